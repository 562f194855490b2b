/*
 * libc.c — the libc functions cells get ctorch's versions of (bound by name with
 * tcc_add_symbol, so only cell code sees them):
 *   malloc/calloc/realloc/free  collector-visible memory (DESIGN.md, "Memory"),
 *   exit/abort/assert           end the cell with an error instead of the process,
 *   scanf/fgets/getchar/...     read stdin through the front end's JitIO.input,
 *   pthread_create/join/detach  the collector's, so threads of cells see collected memory.
 */
#define GC_THREADS
#include <gc.h>

#include <libtcc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit_internal.h"

/* ---- memory ---- */

/* Cells' malloc: uncollectable, but scanned, so tensors stored in user structs stay alive. */
static void *cell_malloc(size_t n) { return GC_MALLOC_UNCOLLECTABLE(n ? n : 1); }

/* Cells' calloc: zeroed, uncollectable, scanned. */
static void *cell_calloc(size_t n, size_t size) {
    if (size && n > SIZE_MAX / size) return NULL;
    size_t bytes = n * size;
    void *p = GC_MALLOC_UNCOLLECTABLE(bytes ? bytes : 1);
    if (p) memset(p, 0, bytes);
    return p;
}

/* free and realloc take libc's blocks too (strdup, getline and friends return those). */
static void cell_free_mem(void *p) {
    if (!p) return;
    if (GC_base(p)) GC_FREE(p);
    else free(p);
}

/* Cells' realloc, for the collector's blocks and libc's. */
static void *cell_realloc(void *p, size_t n) {
    if (!p) return cell_malloc(n);
    if (GC_base(p)) return GC_REALLOC(p, n ? n : 1);
    return realloc(p, n);
}

/* ---- ending the cell ---- */

static void cell_exit(int status) {
    char what[T_ERR_MSG_MAX];
    snprintf(what, sizeof what, "exit(%d) was called", status);
    guard_raise(T_ERR_EXIT, status, what);
}

static void cell_abort(void) { guard_raise(T_ERR_ABORT, 0, "abort() was called"); }

/* What assert() calls when its condition is false (file is "In[n]" through #line). */
static void cell_assert_fail(const char *expr, const char *file, unsigned line,
                             const char *function) {
    char what[T_ERR_MSG_MAX];
    snprintf(what, sizeof what, "assertion `%s' failed at %s line %u, in function %s", expr,
             file, line, function);
    guard_raise(T_ERR_ABORT, 0, what);
}

/* ---- stdin ---- */

/* Makes sure unread input is buffered: asks the front end for a line when it is used up.
   Raises when the front end allows no input. */
static void need_input(const char *who) {
    Jit *jit = jit_current;
    if (jit->stdin_buf && jit->stdin_buf[jit->stdin_pos]) return;
    const JitIO *io = jit->io;
    if (!io || !io->input)
        t_raise(T_ERR_IO, "%s: the cell read stdin, but this front end gives cells no input "
                          "(in a notebook, run the cell in a kernel that allows stdin)", who);
    capture_sync(jit->capture); /* the prompt the cell printed comes first */
    char *line = io->input(io->ctx, "", false);
    if (!line)
        t_raise(T_ERR_IO, "%s: the cell read stdin, but no input was given", who);
    free(jit->stdin_buf);
    size_t n = strlen(line);
    jit->stdin_buf = jit_xmalloc(n + 2);
    memcpy(jit->stdin_buf, line, n);
    memcpy(jit->stdin_buf + n, "\n", 2);
    jit->stdin_pos = 0;
    free(line);
}

/* The unread input. */
static const char *unread(void) { return jit_current->stdin_buf + jit_current->stdin_pos; }

/* getchar on the front end's input. */
static int cell_getchar(void) {
    need_input("getchar");
    return (unsigned char)jit_current->stdin_buf[jit_current->stdin_pos++];
}

static int cell_fgetc(FILE *f) { return f == stdin ? cell_getchar() : fgetc(f); }

/* fgets: stdin reads the front end's input, other files libc. */
static char *cell_fgets(char *s, int size, FILE *f) {
    if (f != stdin) return fgets(s, size, f);
    if (size <= 0) return NULL;
    need_input("fgets");
    const char *in = unread();
    int n = 0;
    while (n < size - 1 && in[n]) {
        s[n] = in[n];
        if (in[n++] == '\n') break;
    }
    s[n] = '\0';
    jit_current->stdin_pos += (size_t)n;
    return s;
}

/* getdelim: stdin reads the front end's input (into libc memory, as libc does). */
static ssize_t cell_getdelim(char **line, size_t *cap, int delim, FILE *f) {
    if (f != stdin) return getdelim(line, cap, delim, f);
    need_input("getline");
    const char *in = unread();
    const char *end = strchr(in, delim);
    size_t n = end ? (size_t)(end - in) + 1 : strlen(in);
    if (!*line || *cap < n + 1) {
        char *grown = realloc(*line, n + 1);
        if (!grown) return -1;
        *line = grown;
        *cap = n + 1;
    }
    memcpy(*line, in, n);
    (*line)[n] = '\0';
    jit_current->stdin_pos += n;
    return (ssize_t)n;
}

/* getline: getdelim up to a newline. */
static ssize_t cell_getline(char **line, size_t *cap, FILE *f) {
    return cell_getdelim(line, cap, '\n', f);
}

/* scanf on the buffered input: reads from it as from a file, then keeps what was not read.
   Only whitespace left means a new line is needed first. */
static int cell_vscanf(const char *fmt, va_list ap) {
    Jit *jit = jit_current;
    const char *in = jit->stdin_buf ? unread() : "";
    while (*in && strchr(" \t\n", *in)) in++;
    if (!*in) {
        free(jit->stdin_buf);
        jit->stdin_buf = NULL;
        need_input("scanf");
        in = unread();
    }
    FILE *f = fmemopen((void *)in, strlen(in), "r");
    if (!f) t_raise(T_ERR_IO, "scanf: cannot read the input line");
    int r = vfscanf(f, fmt, ap);
    long used = ftell(f);
    fclose(f);
    jit->stdin_pos = (size_t)(in - jit->stdin_buf) + (size_t)(used > 0 ? used : 0);
    return r;
}

/* scanf on the front end's input. */
static int cell_scanf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = cell_vscanf(fmt, ap);
    va_end(ap);
    return r;
}

/* fscanf: stdin reads the front end's input, other files libc. */
static int cell_fscanf(FILE *f, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = f == stdin ? cell_vscanf(fmt, ap) : vfscanf(f, fmt, ap);
    va_end(ap);
    return r;
}

/* ---- helpers generated code calls ---- */

/* Publishes the cell's result after the output printed before it. */
static void cell_publish(MimeBundle *b) {
    if (!b) return;
    capture_sync(jit_current->capture);
    t_display_publish(DISPLAY_RESULT, b, NULL);
}

/* Cells' t_display_publish (display() uses it): what the cell printed before comes first. */
static void cell_display_publish(DisplayKind kind, const MimeBundle *b, const char *id) {
    capture_sync(jit_current->capture);
    t_display_publish(kind, b, id);
}

/* ---- binding ---- */

typedef struct Binding {
    const char *name;
    const void *fn;
} Binding;

static const Binding BINDINGS[] = {
    {"malloc", (const void *)cell_malloc},
    {"calloc", (const void *)cell_calloc},
    {"realloc", (const void *)cell_realloc},
    {"free", (const void *)cell_free_mem},
    {"exit", (const void *)cell_exit},
    {"_exit", (const void *)cell_exit},
    {"_Exit", (const void *)cell_exit},
    {"quick_exit", (const void *)cell_exit},
    {"abort", (const void *)cell_abort},
    {"__assert_fail", (const void *)cell_assert_fail},
    {"getchar", (const void *)cell_getchar},
    {"fgetc", (const void *)cell_fgetc},
    {"getc", (const void *)cell_fgetc},
    {"_IO_getc", (const void *)cell_fgetc},
    {"fgets", (const void *)cell_fgets},
    {"getline", (const void *)cell_getline},
    {"getdelim", (const void *)cell_getdelim},
    {"__getdelim", (const void *)cell_getdelim},
    {"scanf", (const void *)cell_scanf},
    {"__isoc99_scanf", (const void *)cell_scanf},
    {"fscanf", (const void *)cell_fscanf},
    {"__isoc99_fscanf", (const void *)cell_fscanf},
    {"pthread_create", (const void *)GC_pthread_create},
    {"pthread_join", (const void *)GC_pthread_join},
    {"pthread_detach", (const void *)GC_pthread_detach},
    {"__ct_memcpy", (const void *)memcpy},
    {"__ct_publish", (const void *)cell_publish},
    {"t_display_publish", (const void *)cell_display_publish},
    {"__ct_struct_bundle", (const void *)jit_struct_bundle},
};

/* Binds ctorch's versions of the libc names for one cell's compilation. */
void libc_bind(TCCState *s, const Jit *jit, const Cell *cell) {
    for (size_t i = 0; i < sizeof BINDINGS / sizeof BINDINGS[0]; i++) {
        const char *name = BINDINGS[i].name;
        bool taken = false;
        /* a cell (or an earlier one) that defines its own malloc keeps it */
        for (int k = 0; k < cell->n && !taken; k++)
            taken = cell->items[k].name && !strcmp(cell->items[k].name, name) &&
                    (cell->items[k].kind == ITEM_FUNCTION || cell->items[k].kind == ITEM_GLOBAL);
        for (int k = 0; k < jit->nitems && !taken; k++)
            taken = jit->items[k].addr && !strcmp(jit->items[k].name, name);
        if (!taken) tcc_add_symbol(s, name, BINDINGS[i].fn);
    }
}
