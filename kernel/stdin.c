/* stdin.c — input for a running cell: an input_request on the stdin channel to the client
   that sent the cell, and its input_reply. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "kernel.h"

/* How often a wait for input_reply wakes to see whether the cell was interrupted (ms). */
enum { STDIN_POLL_MS = 100 };

/* Waits for the input_reply and returns its value (malloc'd), or NULL if the cell was
   interrupted or the kernel is shutting down first. */
static char *await_reply(Kernel *k) {
    void *sock = k->sock[CONN_STDIN];
    while (!atomic_load(&k->interrupted) && !atomic_load(&k->shutting_down)) {
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, STDIN_POLL_MS);
        if (rc < 0 && errno == EINTR) continue;
        if (rc < 0) return NULL;
        if (rc == 0) continue;
        WireMsg msg;
        if (!kernel_recv(k, sock, &msg)) {
            if (errno == ETERM) return NULL;
            continue;
        }
        char *value = NULL;
        if (strcmp(wire_msg_type(&msg), "input_reply") == 0) {
            const char *v = json_string_value(json_object_get(msg.content, "value"));
            value = strdup(v ? v : "");
        } else {
            kernel_log("stdin: ignored a %s while waiting for input_reply", wire_msg_type(&msg));
        }
        wire_msg_free(&msg);
        if (value) return value;
    }
    return NULL;
}

char *stdin_input(void *ctx, const char *prompt, bool password) {
    Kernel *k = ctx;
    if (!k->allow_stdin || !k->cell_request) return NULL;
    json_t *content = json_pack("{s:s, s:b}", "prompt", prompt ? prompt : "", "password", password);
    if (!kernel_send(k, k->sock[CONN_STDIN], k->cell_request, "input_request", content)) {
        kernel_log("stdin: could not send input_request: %s", zmq_strerror(errno));
        return NULL;
    }
    return await_reply(k);
}
