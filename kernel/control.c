/* control.c — the control thread: interrupt_request, shutdown_request (with restart) and
   kernel_info_request, answered even while a cell runs on the shell thread. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "kernel.h"

/* How long shutdown waits for the running cell to stop before the process exits anyway (ms). */
enum { SHUTDOWN_GRACE_MS = 2000 };
/* Milliseconds per second and nanoseconds per millisecond, for nanosleep. */
enum { MS_PER_S = 1000, NS_PER_MS = 1000000 };

void kernel_interrupt(Kernel *k) {
    atomic_store(&k->interrupted, true);
    if (atomic_load(&k->cell_running)) jit_interrupt(k->jit);
}

/* Stops the kernel: the running cell is interrupted, every socket's blocking call returns
   ETERM so the shell and heartbeat threads wind down, and if the cell will not stop, the
   process ends after a grace period (the front end restarts it if it asked to). */
static void begin_shutdown(Kernel *k) {
    atomic_store(&k->shutting_down, true);
    kernel_interrupt(k);
    zmq_close(k->sock[CONN_CONTROL]);
    k->sock[CONN_CONTROL] = NULL;
    zmq_ctx_shutdown(k->zctx);
    struct timespec ts = {SHUTDOWN_GRACE_MS / MS_PER_S, (SHUTDOWN_GRACE_MS % MS_PER_S) * NS_PER_MS};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
    kernel_log("shutdown: the running cell did not stop within %d ms; exiting", SHUTDOWN_GRACE_MS);
    _exit(0);
}

/* Answers one control request; returns true if it was a shutdown_request. */
static bool control_dispatch(Kernel *k, const WireMsg *req) {
    void *sock = k->sock[CONN_CONTROL];
    const char *type = wire_msg_type(req);
    bool shutdown = false;
    iopub_status(k, req, "busy");
    if (strcmp(type, "interrupt_request") == 0) {
        kernel_interrupt(k);
        kernel_send(k, sock, req, "interrupt_reply", json_pack("{s:s}", "status", "ok"));
    } else if (strcmp(type, "shutdown_request") == 0) {
        bool restart = json_is_true(json_object_get(req->content, "restart"));
        json_t *content = json_pack("{s:s, s:b}", "status", "ok", "restart", restart);
        kernel_send(k, sock, req, "shutdown_reply", json_incref(content));
        iopub_send(k, req, "shutdown_reply", content);
        shutdown = true;
    } else if (strcmp(type, "kernel_info_request") == 0) {
        kernel_send(k, sock, req, "kernel_info_reply", shell_kernel_info());
    } else {
        kernel_log("control: ignored unsupported request %s", type);
    }
    iopub_status(k, req, "idle");
    return shutdown;
}

void *control_main(void *kernel) {
    Kernel *k = kernel;
    for (;;) {
        WireMsg req;
        if (!kernel_recv(k, k->sock[CONN_CONTROL], &req)) {
            if (errno == ETERM) break;
            continue; /* EINTR, or a message that did not decode (logged) */
        }
        bool shutdown = control_dispatch(k, &req);
        wire_msg_free(&req);
        if (shutdown) begin_shutdown(k);
    }
    zmq_close(k->sock[CONN_CONTROL]);
    k->sock[CONN_CONTROL] = NULL;
    return NULL;
}
