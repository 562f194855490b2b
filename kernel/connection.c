/* connection.c — reading a Jupyter connection file and naming the endpoints it describes. */
#include "connection.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

/* The only signature scheme Jupyter defines today. */
static const char SCHEME_HMAC_SHA256[] = "hmac-sha256";
/* Highest TCP port number. */
enum { PORT_MAX = 65535 };

static const char *const port_names[CONN_NCHANNELS] = {
    [CONN_SHELL] = "shell_port", [CONN_CONTROL] = "control_port", [CONN_STDIN] = "stdin_port",
    [CONN_IOPUB] = "iopub_port", [CONN_HB] = "hb_port",
};

const char *conn_port_name(ConnChannel ch) { return port_names[ch]; }

/* Copies an optional string field (def when absent); false if present but not a string or too
   long. */
static bool get_string(json_t *root, const char *name, const char *def, char *out, char *err,
                       size_t errlen) {
    json_t *v = json_object_get(root, name);
    const char *s = v ? json_string_value(v) : def;
    if (!s) {
        snprintf(err, errlen, "connection file: \"%s\" must be a string", name);
        return false;
    }
    if (strlen(s) >= CONN_FIELD_MAX) {
        snprintf(err, errlen, "connection file: \"%s\" is longer than %d bytes", name,
                 CONN_FIELD_MAX - 1);
        return false;
    }
    strcpy(out, s);
    return true;
}

bool conn_load(const char *path, Connection *conn, char *err, size_t errlen) {
    memset(conn, 0, sizeof *conn);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        snprintf(err, errlen, "connection file %s: %s (line %d)", path, jerr.text, jerr.line);
        return false;
    }
    bool ok = json_is_object(root);
    if (!ok) snprintf(err, errlen, "connection file %s: expected a JSON object", path);
    ok = ok && get_string(root, "transport", "tcp", conn->transport, err, errlen) &&
         get_string(root, "ip", "127.0.0.1", conn->ip, err, errlen) &&
         get_string(root, "key", "", conn->key, err, errlen) &&
         get_string(root, "signature_scheme", SCHEME_HMAC_SHA256, conn->signature_scheme, err,
                    errlen);
    if (ok && strcmp(conn->signature_scheme, SCHEME_HMAC_SHA256) != 0) {
        snprintf(err, errlen, "connection file: signature_scheme \"%s\" is not supported, "
                 "expected \"%s\"", conn->signature_scheme, SCHEME_HMAC_SHA256);
        ok = false;
    }
    if (ok && strcmp(conn->transport, "tcp") != 0 && strcmp(conn->transport, "ipc") != 0) {
        snprintf(err, errlen, "connection file: transport \"%s\", expected \"tcp\" or \"ipc\"",
                 conn->transport);
        ok = false;
    }
    for (int ch = 0; ok && ch < CONN_NCHANNELS; ch++) {
        json_t *p = json_object_get(root, port_names[ch]);
        json_int_t v = json_is_integer(p) ? json_integer_value(p) : -1;
        if (v <= 0 || v > PORT_MAX) {
            snprintf(err, errlen, "connection file: \"%s\" must be a port in 1..%d",
                     port_names[ch], PORT_MAX);
            ok = false;
        }
        conn->port[ch] = (int)v;
    }
    json_decref(root);
    return ok;
}

void conn_endpoint(const Connection *conn, ConnChannel ch, char *out, size_t len) {
    if (strcmp(conn->transport, "ipc") == 0)
        snprintf(out, len, "ipc://%s-%d", conn->ip, conn->port[ch]);
    else
        snprintf(out, len, "tcp://%s:%d", conn->ip, conn->port[ch]);
}
