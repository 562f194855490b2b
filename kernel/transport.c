/* transport.c — Jupyter messages on ZeroMQ sockets: receiving whole multipart messages and
   sending signed ones. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "kernel.h"

/* Frames accepted in one message before the rest are dropped unread: identities, delimiter,
   signature, four JSON parts, and room for binary buffers. */
enum { RECV_MAX_FRAMES = 64 };
/* Room for a decoding error's text. */
enum { ERR_TEXT_MAX = 256 };

/* Receives every frame of one message into msgs; returns how many, or -1 on a socket error. */
static int recv_frames(void *sock, zmq_msg_t *msgs, int *nframes_total) {
    int n = 0, total = 0;
    int more = 1;
    while (more) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, sock, 0) < 0) {
            int e = errno;
            zmq_msg_close(&part);
            for (int i = 0; i < n; i++) zmq_msg_close(&msgs[i]);
            errno = e;
            return -1;
        }
        more = zmq_msg_more(&part);
        total++;
        if (n < RECV_MAX_FRAMES) msgs[n++] = part;
        else zmq_msg_close(&part);
    }
    *nframes_total = total;
    return n;
}

bool kernel_recv(Kernel *k, void *sock, WireMsg *msg) {
    zmq_msg_t parts[RECV_MAX_FRAMES];
    int total = 0;
    int n = recv_frames(sock, parts, &total);
    memset(msg, 0, sizeof *msg);
    if (n < 0) return false;
    WireFrame frames[RECV_MAX_FRAMES];
    for (int i = 0; i < n; i++) frames[i] = (WireFrame){zmq_msg_data(&parts[i]), zmq_msg_size(&parts[i])};
    char err[ERR_TEXT_MAX];
    bool ok = total == n;
    if (!ok) snprintf(err, sizeof err, "wire: %d frames, at most %d accepted", total, RECV_MAX_FRAMES);
    ok = ok && wire_decode(&k->key, frames, n, msg, err, sizeof err);
    for (int i = 0; i < n; i++) zmq_msg_close(&parts[i]);
    if (!ok) {
        kernel_log("dropped a message: %s", err);
        errno = EPROTO;
    }
    return ok;
}

/* Sends one frame, with ZMQ_SNDMORE unless it is the last. */
static bool send_frame(void *sock, const void *data, size_t len, bool more) {
    return zmq_send(sock, data, len, more ? ZMQ_SNDMORE : 0) >= 0;
}

bool kernel_send(Kernel *k, void *sock, const WireMsg *parent, const char *msg_type,
                 json_t *content) {
    json_t *header = wire_header_new(msg_type, k->session);
    json_t *parts_json[4] = {header, parent ? parent->header : NULL, NULL, content};
    char *text[4];
    WireFrame parts[4];
    for (int i = 0; i < 4; i++) {
        text[i] = parts_json[i] ? json_dumps(parts_json[i], JSON_COMPACT) : strdup("{}");
        if (!text[i]) text[i] = strdup("{}");
        parts[i] = (WireFrame){text[i], strlen(text[i])};
    }
    char sig[WIRE_SIG_HEX + 1];
    bool ok = wire_sign(&k->key, parts, sig);
    if (!ok) kernel_log("could not sign a %s message (OpenSSL failed)", msg_type);
    if (sock == k->sock[CONN_IOPUB]) {
        ok = ok && send_frame(sock, msg_type, strlen(msg_type), true);
    } else if (parent) {
        for (int i = 0; ok && i < parent->nidents; i++)
            ok = send_frame(sock, parent->idents[i], parent->ident_len[i], true);
    }
    ok = ok && send_frame(sock, WIRE_DELIMITER, strlen(WIRE_DELIMITER), true) &&
         send_frame(sock, sig, strlen(sig), true);
    for (int i = 0; ok && i < 4; i++) ok = send_frame(sock, parts[i].data, parts[i].len, i < 3);
    for (int i = 0; i < 4; i++) free(text[i]);
    json_decref(header);
    json_decref(content);
    return ok;
}
