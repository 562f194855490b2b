/*
 * kernel.h — the Jupyter kernel: its state, shared by the shell loop (which runs cells), the
 * control and heartbeat threads, and the callbacks the cell compiler and display hook call.
 *
 * Threads: the thread that calls kernel_run serves shell and runs every cell (libtcc is
 * single-threaded); control has its own thread so interrupt and shutdown work while a cell
 * runs; heartbeat has its own. Only the shell thread touches collected memory, so the other
 * two are plain pthreads. The iopub socket is shared: every send on it holds iopub_lock,
 * because the cell compiler streams output from its own reader thread.
 */
#ifndef CTORCH_KERNEL_KERNEL_H
#define CTORCH_KERNEL_KERNEL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <jansson.h>

#include "connection.h"
#include "history.h"
#include "jit.h"
#include "wire.h"

/* The version ctorch reports as implementation_version and in its banner. */
#define CTORCH_VERSION "0.1.0"

typedef struct Kernel {
    Connection conn;
    WireKey key;
    char session[WIRE_ID_LEN];
    void *zctx;
    void *sock[CONN_NCHANNELS];
    pthread_mutex_t iopub_lock;
    Jit *jit;
    History history;
    int execution_count;       /* the In[n] of the last cell stored in history */
    /* The execute_request whose cell is running: the parent of its output, and the client
       that input_request asks. Set and cleared by the shell thread around jit_execute. */
    const WireMsg *cell_request;
    bool cell_silent;
    bool allow_stdin;
    char *cell_output;         /* text/plain of the running cell's result, for history */
    bool aborting;             /* the request being handled was queued before an error */
    WireMsg *held;             /* requests queued when a cell failed with stop_on_error */
    int nheld, held_next, held_cap;
    atomic_bool cell_running;
    atomic_bool interrupted;   /* an interrupt arrived while the current cell ran */
    atomic_bool shutting_down;
    pthread_t control_thread;
    pthread_t hb_thread;
} Kernel;

/* Runs the kernel for a connection file until a shutdown_request; returns the exit status. */
int kernel_run(const char *connection_file);

/* Logs a line to stderr, where Jupyter front ends show a kernel's diagnostics. */
void kernel_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* After a cell failed with stop_on_error, takes every request already waiting on shell: they
   are served next, with execute_requests answered "aborted" (as ipykernel does). Called
   before the failed cell's reply is sent, so only requests sent before it are affected. */
void kernel_hold_queued(Kernel *k);

/* ---- transport.c: messages on sockets ---- */

/* Receives one multipart message and decodes it. Returns false (after logging why) for a
   message that fails to decode, and for a socket error (errno tells; ETERM at shutdown). */
bool kernel_recv(Kernel *k, void *sock, WireMsg *msg);
/* Sends a message of msg_type with content (a reference the call takes over) to the client
   that sent parent (its routing identities), with parent's header as parent_header. parent
   may be NULL (no parent, no identities). */
bool kernel_send(Kernel *k, void *sock, const WireMsg *parent, const char *msg_type,
                 json_t *content);

/* ---- iopub.c: broadcasts ---- */

/* Publishes a message on iopub (taking content over), serialized with every other sender. */
void iopub_send(Kernel *k, const WireMsg *parent, const char *msg_type, json_t *content);
/* Publishes execution_state "starting", "busy" or "idle". */
void iopub_status(Kernel *k, const WireMsg *parent, const char *state);

/* ---- output.c: a running cell's output ---- */

/* The JitIO.stream callback: publishes a "stream" message for the running cell. */
void output_stream(void *ctx, int fd, const char *data, size_t len);
/* The display hook (t_display_set_hook) publishing display_data, update_display_data,
   execute_result and clear_output for the running cell. */
void output_display(void *ctx, DisplayKind kind, const MimeBundle *bundle,
                    const char *display_id);
/* A MIME bundle as Jupyter's data object: image types base64, JSON types parsed, text as is. */
json_t *output_mime_data(const MimeBundle *bundle);

/* ---- stdin.c ---- */

/* The JitIO.input callback: asks the client for a line on the stdin channel. */
char *stdin_input(void *ctx, const char *prompt, bool password);

/* ---- shell.c and execute.c: request handlers ---- */

/* Handles one shell request, with busy/idle around it. */
void shell_dispatch(Kernel *k, const WireMsg *req);
/* The content of a kernel_info_reply (shell and control both answer it). */
json_t *shell_kernel_info(void);
/* Handles an execute_request (reply, outputs, history). */
void execute_request(Kernel *k, const WireMsg *req);
/* Whether code is a help query ("?name", "name?", "??name" for more detail): *is_query tells.
   Returns the name's help (malloc'd), or NULL when it is not a query or the name is unknown. */
char *execute_help_query(Jit *jit, const char *code, bool *is_query);

/* ---- control.c and heartbeat.c: the other threads ---- */

/* The control thread's body: interrupt_request, shutdown_request, kernel_info_request. */
void *control_main(void *kernel);
/* The heartbeat thread's body: echoes every ping until the context shuts down. */
void *heartbeat_main(void *kernel);
/* Stops a running cell: sets the interrupt flag and calls jit_interrupt (signal-safe). */
void kernel_interrupt(Kernel *k);

#endif /* CTORCH_KERNEL_KERNEL_H */
