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

#endif /* CTORCH_JIT_H */
