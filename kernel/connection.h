/*
 * connection.h — the connection file a Jupyter front end writes for a kernel it starts: the
 * transport, address, five ports, and the signing key.
 */
#ifndef CTORCH_KERNEL_CONNECTION_H
#define CTORCH_KERNEL_CONNECTION_H

#include <stdbool.h>
#include <stddef.h>

/* Longest transport, address, key or scheme kept from a connection file. */
#define CONN_FIELD_MAX 256

/* The five channels, in the order ports are kept. */
typedef enum ConnChannel { CONN_SHELL, CONN_CONTROL, CONN_STDIN, CONN_IOPUB, CONN_HB, CONN_NCHANNELS } ConnChannel;

typedef struct Connection {
    char transport[CONN_FIELD_MAX];        /* "tcp" or "ipc" */
    char ip[CONN_FIELD_MAX];               /* address to bind */
    char key[CONN_FIELD_MAX];              /* HMAC key, "" for none */
    char signature_scheme[CONN_FIELD_MAX]; /* "hmac-sha256" */
    int port[CONN_NCHANNELS];
} Connection;

/* The connection file's field name for a channel's port ("shell_port", ...). */
const char *conn_port_name(ConnChannel ch);

/* Reads and checks a connection file. On failure writes why into err and returns false. */
bool conn_load(const char *path, Connection *conn, char *err, size_t errlen);

/* The ZeroMQ endpoint to bind for a channel: "tcp://127.0.0.1:5555" or "ipc://path-5555". */
void conn_endpoint(const Connection *conn, ConnChannel ch, char *out, size_t len);

#endif /* CTORCH_KERNEL_CONNECTION_H */
