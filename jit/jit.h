/*
 * jit.h — the cell compiler's interface to front ends (the Jupyter kernel and the REPL).
 *
 * A Jit holds one living program: every cell executed so far, its globals, functions, types
 * and macros. All calls except jit_interrupt must come from one thread (libtcc is not
 * thread-safe, and cells run on the calling thread).
 */
#ifndef CTORCH_JIT_H
#define CTORCH_JIT_H

#include <stdbool.h>
#include <stddef.h>

#include "ctorch.h"

typedef struct Jit Jit;

/* What the front end does with a cell's side effects while it runs. Any member may be NULL. */
typedef struct JitIO {
    void *ctx;
    /* Output the cell wrote to fd 1 (stdout) or 2 (stderr): valid UTF-8, in order per stream,
       delivered while the cell runs. */
    void (*stream)(void *ctx, int fd, const char *data, size_t len);
    /* A line of input for the cell's stdin (scanf, fgets, getchar): returns a malloc'd string
       without the newline, or NULL when input is not allowed (the read then raises). */
    char *(*input)(void *ctx, const char *prompt, bool password);
} JitIO;

/* The outcome of one cell. On error, ename/evalue/traceback describe it as Jupyter shows it. */
typedef struct JitResult {
    bool ok;
    TErrorKind kind;        /* on error */
    char *ename;            /* "ShapeError", "CompileError", ... (malloc'd) */
    char *evalue;           /* the message (malloc'd) */
    char **traceback;       /* lines, may hold ANSI colours (malloc'd array of malloc'd) */
    int ntraceback;
} JitResult;

/* A new, empty program. Rich output goes through ctorch's display hook (t_display_set_hook);
   the cell's last expression is published as DISPLAY_RESULT. */
Jit *jit_new(void);

/* Compiles and runs one cell, numbered cell_no (the In[n] used in messages). Magics (%timeit,
   %%time, ...) are handled here too. Fills *res; free it with jit_result_free. A cell that
   fails to compile changes nothing; one that fails at run time keeps what it defined before
   the error. */
void jit_execute(Jit *jit, const char *code, int cell_no, const JitIO *io, JitResult *res);
void jit_result_free(JitResult *res);

/* Requests that the running cell stop with KeyboardInterrupt. Safe from any thread and from a
   signal handler. */
void jit_interrupt(Jit *jit);

/* "complete", "incomplete" or "invalid" for code typed so far (Jupyter's is_complete);
   *indent receives a suggested indent for the next line ("" if none). */
const char *jit_is_complete(Jit *jit, const char *code, const char **indent);

/* Completion candidates for code at cursor (byte offset): the matches (malloc'd array of
   malloc'd strings; *n of them) and the [start, end) byte range they replace. */
char **jit_complete(Jit *jit, const char *code, int cursor, int *n, int *start, int *end);

/* Help for the name at cursor: its signature and doc comment (malloc'd), or NULL. */
char *jit_inspect(Jit *jit, const char *code, int cursor, int detail_level);

/* Forgets everything the cells defined (%reset). */
void jit_reset(Jit *jit);

/* ---- additions: output, magics, the non-interactive runner ---- */

/* While a cell runs, fds 1 and 2 are pipes read by a thread of the Jit, which calls
   JitIO.stream from that thread (never concurrently with itself). A front end that prints to
   the terminal from its stream or display callbacks must write to descriptors it dup'ed before
   the cell started, not to fds 1/2. jit_interrupt stops a cell by sending SIGUSR2 to the
   cell's thread: front ends leave that signal to the Jit. */

/* Frees what jit_new made (cells' code stays mapped: tensors may still point into it). */
void jit_free(Jit *jit);

/* Magics: `%name args` (a line magic, on the cell's first line) or `%%name args` (a cell magic:
   the rest of the cell is its body). A magic writes output with the io it is given and fills
   *res (res->ok = true on success, or an error via jit_result_error). */
typedef enum JitMagicKind { JIT_LINE_MAGIC, JIT_CELL_MAGIC } JitMagicKind;
typedef void (*JitMagicFn)(Jit *jit, const char *args, const char *body, int cell_no,
                           const JitIO *io, JitResult *res);
/* Registers (or replaces) a magic; help is the line %lsmagic shows. */
void jit_register_magic(const char *name, JitMagicKind kind, JitMagicFn fn, const char *help);
/* Fills res with an error of kind and message (what magics use to fail). */
void jit_result_error(JitResult *res, TErrorKind kind, const char *fmt, ...);

/* `ctorch --run-cells FILE`: runs the cells of FILE (sections after lines "--- cell"; the
   lines of a "--- stdin" section are the input of the cell before it, "--- interrupt-after
   SECONDS" interrupts the cell before it, other "--- " sections are ignored) and prints one
   JSON object per cell on stdout (see tests/cells/README.md). Returns the exit status. */
int jit_run_cells(const char *path);

#endif /* CTORCH_JIT_H */
