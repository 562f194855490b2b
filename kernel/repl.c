/* repl.c — the terminal REPL: cells typed (or piped) in, run by the cell compiler, with the
   same output semantics as the notebook kernel. */
#include "repl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <editline/readline.h>

#include "kernel.h"

/* Lines of history the terminal REPL keeps on disk. */
enum { REPL_HISTORY_LINES = 1000 };
/* How long a prompt that returned no line waits to learn whether Ctrl-C ended it (ms). */
enum { SIGINT_SETTLE_MS = 100 };
/* The history file in the user's home directory (terminal sessions only). */
static const char HISTORY_FILE[] = ".ctorch_history";

typedef struct Repl {
    Jit *jit;
    bool tty;           /* stdin is a terminal: prompts, line editing, Out[n] */
    FILE *out, *err;    /* the real stdout and stderr, kept before any cell redirects them */
    int count;          /* In[n] of the current cell */
    atomic_bool running;
    volatile sig_atomic_t prompt_interrupted; /* Ctrl-C while a line was being typed */
    int sigint_pipe[2]; /* the SIGINT handler writes a byte; the prompt's reader wakes up */
} Repl;

/* The REPL SIGINT and Tab completion talk to. */
static Repl *the_repl;

/* Ctrl-C stops the running cell; at the prompt it discards what was typed. */
static void repl_sigint(int sig) {
    (void)sig;
    if (!the_repl) return;
    if (atomic_load(&the_repl->running)) {
        jit_interrupt(the_repl->jit);
        return;
    }
    int saved = errno;
    char byte = 0;
    if (write(the_repl->sigint_pipe[1], &byte, 1) < 0) {} /* full pipe: a wake-up is pending */
    errno = saved;
}

/* Whether Ctrl-C ended the prompt: libedit re-raises the signal to the process, so the
   handler may run on another thread a moment after readline returns; waits that long. */
static bool prompt_was_interrupted(Repl *r) {
    struct pollfd fd = {r->sigint_pipe[0], POLLIN, 0};
    if (poll(&fd, 1, SIGINT_SETTLE_MS) <= 0) return false;
    char drain[16];
    while (read(r->sigint_pipe[0], drain, sizeof drain) > 0) {}
    return true;
}

/* JitIO.stream: the cell's output goes straight to the terminal (or the pipe). */
static void repl_stream(void *ctx, int fd, const char *data, size_t len) {
    Repl *r = ctx;
    FILE *f = fd == 2 ? r->err : r->out;
    fwrite(data, 1, len, f);
    fflush(f);
}

/* One line of stdin without its newline (malloc'd), or NULL at end of input. */
static char *stdin_line(void) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (n < 0) {
        free(line);
        return NULL;
    }
    if (n && line[n - 1] == '\n') line[n - 1] = '\0';
    return line;
}

/* JitIO.input: a line from stdin for the cell's scanf/fgets/getchar. */
static char *repl_input(void *ctx, const char *prompt, bool password) {
    Repl *r = ctx;
    (void)password;
    if (prompt && *prompt) {
        fputs(prompt, r->out);
        fflush(r->out);
    }
    return stdin_line();
}

/* Prints a bundle's text/plain, or says what it holds when it has no text. */
static void print_bundle(Repl *r, const MimeBundle *b, const char *prefix) {
    size_t len = 0;
    const char *text = mime_get(b, "text/plain", &len);
    fputs(prefix, r->out);
    if (text) fwrite(text, 1, len, r->out);
    else fprintf(r->out, "<%s, %zu bytes>", b->n ? b->mime[0] : "empty output", b->n ? b->len[0] : 0);
    fputc('\n', r->out);
    fflush(r->out);
}

/* The display hook: results and displays printed as text; clearing means nothing here. */
static void repl_display(void *ctx, DisplayKind kind, const MimeBundle *bundle,
                         const char *display_id) {
    Repl *r = ctx;
    (void)display_id;
    if (kind == DISPLAY_CLEAR || !bundle) return;
    char prefix[32] = "";
    if (kind == DISPLAY_RESULT && r->tty) snprintf(prefix, sizeof prefix, "Out[%d]: ", r->count);
    print_bundle(r, bundle, prefix);
}

/* Tab completion: one candidate per call, from the cell compiler's list. */
static char *complete_next(const char *text, int state) {
    static char **matches;
    static int n, i;
    (void)text;
    if (state == 0) {
        for (int j = i; j < n; j++) free(matches[j]);
        free(matches);
        int start = 0, end = 0;
        matches = jit_complete(the_repl->jit, rl_line_buffer, rl_point, &n, &start, &end);
        i = 0;
    }
    return i < n ? matches[i++] : NULL;
}

/* Tab completion entry point for libedit. */
static char **repl_complete(const char *text, int start, int end) {
    (void)start;
    (void)end;
    return rl_completion_matches(text, complete_next);
}

/* Reads one line (without newline) with or without line editing; NULL at end of input. */
static char *read_line(Repl *r, const char *prompt) {
    if (r->tty) {
        char *line = readline(prompt);
        if (!line && prompt_was_interrupted(r)) r->prompt_interrupted = 1;
        return line;
    }
    return stdin_line();
}

/* Appends a line to the cell being typed. */
static char *append_line(char *cell, const char *line) {
    size_t a = cell ? strlen(cell) : 0, b = strlen(line);
    cell = realloc(cell, a + b + 2);
    if (a) cell[a++] = '\n';
    memcpy(cell + a, line, b + 1);
    return cell;
}

/* Reads lines until the cell compiler calls them a whole cell; NULL at end of input. */
static char *read_cell(Repl *r) {
    char prompt[32], cont[32];
    snprintf(prompt, sizeof prompt, "In [%d]: ", r->count + 1);
    snprintf(cont, sizeof cont, "%*s: ", (int)strlen(prompt) - 2, "...");
    char *cell = NULL;
    for (;;) {
        char *line = read_line(r, cell ? cont : prompt);
        if (!line && r->prompt_interrupted) { /* Ctrl-C: start the cell over */
            r->prompt_interrupted = 0;
            fputs("^C\n", r->out);
            fflush(r->out);
            free(cell);
            cell = NULL;
            continue;
        }
        if (!line) return cell; /* end of input: what was typed runs as it is */
        cell = append_line(cell, line);
        free(line);
        if (!cell[strspn(cell, " \t\n")]) { /* only blank lines so far */
            free(cell);
            cell = NULL;
            continue;
        }
        const char *indent = "";
        if (strcmp(jit_is_complete(r->jit, cell, &indent), "incomplete") != 0) return cell;
    }
}

/* Prints an error as the notebook shows it: the traceback, or "ename: evalue". */
static void print_error(Repl *r, const JitResult *res) {
    for (int i = 0; i < res->ntraceback; i++) fprintf(r->err, "%s\n", res->traceback[i]);
    if (res->ntraceback == 0)
        fprintf(r->err, "%s: %s\n", res->ename ? res->ename : t_error_name(res->kind),
                res->evalue ? res->evalue : "");
    fflush(r->err);
}

/* Runs one cell (or answers "?name"); returns false if it failed. */
static bool run_cell(Repl *r, const char *cell) {
    if (r->tty) add_history(cell);
    r->count++;
    bool is_query = false;
    char *doc = execute_help_query(r->jit, cell, &is_query);
    if (is_query) {
        bool found = doc != NULL;
        if (found) fprintf(r->out, "%s\n", doc);
        else {
            size_t skip = strspn(cell, "? \t\n");
            fprintf(r->out, "Object `%.*s` not found.\n", (int)strcspn(cell + skip, "? \t\n"),
                    cell + skip);
        }
        fflush(r->out);
        free(doc);
        return found;
    }
    JitIO io = {.ctx = r, .stream = repl_stream, .input = repl_input};
    JitResult res = {0};
    atomic_store(&r->running, true);
    jit_execute(r->jit, cell, r->count, &io, &res);
    atomic_store(&r->running, false);
    bool ok = res.ok;
    if (!ok) print_error(r, &res);
    jit_result_free(&res);
    return ok;
}

/* The history file's path, or NULL without a home directory (malloc'd). */
static char *history_path(void) {
    const char *home = getenv("HOME");
    char *path = NULL;
    if (!home || asprintf(&path, "%s/%s", home, HISTORY_FILE) < 0) return NULL;
    return path;
}

int repl_run(void) {
    static Repl repl;
    Repl *r = &repl;
    r->tty = isatty(STDIN_FILENO);
    if (pipe2(r->sigint_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        perror("ctorch: cannot create a pipe");
        return 1;
    }
    r->out = fdopen(dup(STDOUT_FILENO), "w");
    r->err = fdopen(dup(STDERR_FILENO), "w");
    if (!r->out || !r->err) {
        perror("ctorch: cannot duplicate stdout/stderr");
        return 1;
    }
    r->jit = jit_new();
    the_repl = r;
    t_display_set_hook(repl_display, r);
    struct sigaction sa = {.sa_handler = repl_sigint};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    char *hist = r->tty ? history_path() : NULL;
    if (r->tty) {
        rl_attempted_completion_function = repl_complete;
        stifle_history(REPL_HISTORY_LINES);
        if (hist) read_history(hist);
        fprintf(r->out, "ctorch %s - C cells, tensors and autograd. ?name for help, Ctrl-D to quit.\n",
                CTORCH_VERSION);
    }
    bool failed = false;
    for (char *cell; (cell = read_cell(r)); free(cell))
        if (!run_cell(r, cell)) failed = true;
    if (hist) write_history(hist);
    free(hist);
    if (r->tty) fputc('\n', r->out);
    t_display_set_hook(NULL, NULL);
    fflush(r->out);
    return !r->tty && failed;
}
