/* kernel.c — starting the kernel: sockets bound from the connection file, the cell compiler,
   the display hook, the control and heartbeat threads; then the shell loop until shutdown. */
#include "kernel.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

/* How long closing a socket may wait to deliver what is queued (ms): the last replies and the
   final idle status must reach the front end at shutdown. */
enum { SOCKET_LINGER_MS = 1000 };
/* Room for an endpoint such as "tcp://255.255.255.255:65535" or an ipc path. */
enum { ENDPOINT_MAX = CONN_FIELD_MAX + 32 };
/* Requests the held queue starts with room for; it doubles when full. */
enum { HELD_INITIAL_CAP = 8 };
/* Room for an error's text. */
enum { ERR_TEXT_MAX = 512 };

/* Where kernel_log writes: the stderr the kernel started with, kept apart from fd 2, which
   the cell compiler redirects while a cell runs (so log lines never appear as cell output). */
static FILE *log_out;

/* The kernel SIGINT interrupts; set once before the handler is installed. */
static Kernel *sigint_kernel;

void kernel_log(const char *fmt, ...) {
    FILE *f = log_out ? log_out : stderr;
    va_list ap;
    va_start(ap, fmt);
    flockfile(f);
    fputs("[ctorch] ", f);
    vfprintf(f, fmt, ap);
    fputc('\n', f);
    fflush(f);
    funlockfile(f);
    va_end(ap);
}

/* SIGINT (a terminal's Ctrl-C, or a front end using signal interrupts) stops the cell. */
static void on_sigint(int sig) {
    (void)sig;
    if (sigint_kernel) kernel_interrupt(sigint_kernel);
}

/* Creates and binds the socket of one channel. A PUB socket drops messages past its
   high-water mark: a cell updating a display in a tight loop would lose its last update and
   even the idle status, leaving the notebook busy forever. So iopub queues without limit (a
   subscriber that disconnects takes its queue with it); the option must precede the bind. */
static bool bind_channel(Kernel *k, ConnChannel ch, int type) {
    char endpoint[ENDPOINT_MAX];
    conn_endpoint(&k->conn, ch, endpoint, sizeof endpoint);
    void *s = zmq_socket(k->zctx, type);
    int linger = SOCKET_LINGER_MS, unlimited = 0;
    if (!s || zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        (type == ZMQ_PUB && zmq_setsockopt(s, ZMQ_SNDHWM, &unlimited, sizeof unlimited) != 0) ||
        zmq_bind(s, endpoint) != 0) {
        kernel_log("cannot bind %s to %s: %s", conn_port_name(ch), endpoint, zmq_strerror(errno));
        if (s) zmq_close(s);
        return false;
    }
    k->sock[ch] = s;
    return true;
}

/* Binds all five channels: ROUTERs for requests and heartbeat, PUB for iopub. */
static bool bind_all(Kernel *k) {
    return bind_channel(k, CONN_SHELL, ZMQ_ROUTER) && bind_channel(k, CONN_CONTROL, ZMQ_ROUTER) &&
           bind_channel(k, CONN_STDIN, ZMQ_ROUTER) && bind_channel(k, CONN_IOPUB, ZMQ_PUB) &&
           bind_channel(k, CONN_HB, ZMQ_ROUTER);
}

/* Starts control and heartbeat with every signal blocked, so SIGINT reaches the shell thread
   and the collector's signals never interrupt threads it does not manage. */
static bool start_threads(Kernel *k) {
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    bool ok = pthread_create(&k->control_thread, NULL, control_main, k) == 0 &&
              pthread_create(&k->hb_thread, NULL, heartbeat_main, k) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!ok) kernel_log("cannot start the control and heartbeat threads");
    return ok;
}

void kernel_hold_queued(Kernel *k) {
    zmq_pollitem_t item = {k->sock[CONN_SHELL], 0, ZMQ_POLLIN, 0};
    while (zmq_poll(&item, 1, 0) > 0) {
        WireMsg msg;
        if (!kernel_recv(k, k->sock[CONN_SHELL], &msg)) {
            if (errno == ETERM) return;
            continue;
        }
        if (k->nheld == k->held_cap) {
            k->held_cap = k->held_cap ? 2 * k->held_cap : HELD_INITIAL_CAP;
            k->held = realloc(k->held, (size_t)k->held_cap * sizeof *k->held);
        }
        k->held[k->nheld++] = msg;
    }
}

/* The next shell request: one held after an error (to abort), else one from the socket.
   Returns false when the socket fails; errno tells (ETERM at shutdown). */
static bool next_request(Kernel *k, WireMsg *req) {
    if (k->held_next < k->nheld) {
        *req = k->held[k->held_next++];
        k->aborting = true;
        return true;
    }
    k->nheld = k->held_next = 0;
    k->aborting = false;
    return kernel_recv(k, k->sock[CONN_SHELL], req);
}

/* Serves shell requests until the context shuts down. */
static void shell_loop(Kernel *k) {
    for (;;) {
        WireMsg req;
        if (!next_request(k, &req)) {
            if (errno == ETERM) return;
            continue; /* EINTR, or a message that did not decode (logged) */
        }
        shell_dispatch(k, &req);
        wire_msg_free(&req);
    }
}

/* Closes the shell thread's sockets and waits for the heartbeat thread. The control thread
   closed its socket before shutting the context down and ends with the process. */
static void teardown(Kernel *k) {
    const ConnChannel mine[] = {CONN_SHELL, CONN_STDIN, CONN_IOPUB};
    pthread_mutex_lock(&k->iopub_lock);
    for (size_t i = 0; i < sizeof mine / sizeof *mine; i++) {
        zmq_close(k->sock[mine[i]]);
        k->sock[mine[i]] = NULL;
    }
    pthread_mutex_unlock(&k->iopub_lock);
    pthread_join(k->hb_thread, NULL);
    zmq_ctx_term(k->zctx);
}

int kernel_run(const char *connection_file) {
    static Kernel kernel;
    Kernel *k = &kernel;
    char err[ERR_TEXT_MAX];
    int log_fd = dup(STDERR_FILENO);
    log_out = log_fd >= 0 ? fdopen(log_fd, "w") : NULL;
    if (!conn_load(connection_file, &k->conn, err, sizeof err)) {
        kernel_log("%s", err);
        return 1;
    }
    wire_key_init(&k->key, k->conn.key);
    wire_uuid(k->session);
    pthread_mutex_init(&k->iopub_lock, NULL);
    k->zctx = zmq_ctx_new();
    if (!bind_all(k)) return 1;
    k->jit = jit_new();
    t_display_set_hook(output_display, k);
    iopub_status(k, NULL, "starting");
    if (!start_threads(k)) return 1;
    sigint_kernel = k;
    struct sigaction sa = {.sa_handler = on_sigint};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    shell_loop(k);
    teardown(k);
    t_display_set_hook(NULL, NULL);
    for (int i = k->held_next; i < k->nheld; i++) wire_msg_free(&k->held[i]);
    free(k->held);
    cellhist_free(&k->history);
    wire_key_free(&k->key);
    return 0;
}
