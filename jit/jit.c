/*
 * jit.c — the cell compiler's entry points: a new program, running a cell (split, compile,
 * commit, run guarded with output captured), forgetting everything.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jit_internal.h"

/* Where ctorch.h may be, relative to the executable's directory: the installed layout
   (<bin>/../include), then the source tree (build/bin -> tensor/). */
static const char *const INCLUDE_CANDIDATES[] = {"../include", "../../tensor", "../../include"};
/* Environment variable naming the directory of ctorch.h, tried first. */
static const char INCLUDE_ENV[] = "CTORCH_INCLUDE";

/* Whether dir holds ctorch.h. */
static bool has_header(const char *dir) {
    StrBuf p = {0};
    sb_printf(&p, "%s/ctorch.h", dir);
    bool ok = access(p.s, R_OK) == 0;
    sb_free(&p);
    return ok;
}

/* The directory cells include ctorch.h from (malloc'd). */
static char *find_include_dir(void) {
    const char *env = getenv(INCLUDE_ENV);
    if (env && has_header(env)) return jit_strdup(env);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        for (size_t i = 0; i < sizeof INCLUDE_CANDIDATES / sizeof INCLUDE_CANDIDATES[0]; i++) {
            StrBuf d = {0};
            sb_printf(&d, "%s/%s", exe, INCLUDE_CANDIDATES[i]);
            char real[PATH_MAX];
            if (has_header(d.s) && realpath(d.s, real)) {
                sb_free(&d);
                return jit_strdup(real);
            }
            sb_free(&d);
        }
    }
    /* run from the source tree */
    char real[PATH_MAX];
    if (has_header("build/include") && realpath("build/include", real)) return jit_strdup(real);
    if (has_header("tensor") && realpath("tensor", real)) return jit_strdup(real);
    return jit_strdup("tensor");
}

/* The source tree's tensor/ next to a build/bin executable, when it is not include_dir:
   headers ctorch.h includes that the build did not copy are found there (malloc'd or NULL). */
static char *find_source_dir(const char *include_dir) {
    char exe[PATH_MAX], real[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    StrBuf d = {0};
    sb_printf(&d, "%s/../../tensor", exe);
    char *dir = NULL;
    if (has_header(d.s) && realpath(d.s, real) && strcmp(real, include_dir)) dir = jit_strdup(real);
    sb_free(&d);
    return dir;
}

/* A new, empty program with its arena and include directories. */
Jit *jit_new(void) {
    Jit *jit = calloc(1, sizeof *jit);
    if (!jit) t_raise(T_ERR_OOM, "jit_new: out of memory");
    arena_init(&jit->arena);
    jit->include_dir = find_include_dir();
    jit->include_dir2 = find_source_dir(jit->include_dir);
    return jit;
}

void jit_execute_plain(Jit *jit, const char *code, int cell_no, const JitIO *io,
                       JitResult *res) {
    Cell cell;
    split_cell(code, cell_no, program_is_value, jit, &cell);
    if (cell.n == 0) {
        res->ok = true;
        return;
    }
    Compiled c;
    if (!compile_cell(jit, &cell, code, cell_no, RESULT_DISPLAY, &c, res)) {
        cell_free(&cell);
        return;
    }
    program_commit(jit, &cell, &c, code);
    void (*entry)(void) = c.entry;
    compiled_free(&c);
    cell_free(&cell);
    jit->io_code = jit_cell_source(jit, cell_no);
    jit->capture = capture_begin(io);
    guard_run(jit, entry, res);
    capture_end(jit->capture);
    jit->capture = NULL;
}

/* Runs one cell or magic; never lets an error escape to the caller. */
void jit_execute(Jit *jit, const char *code, int cell_no, const JitIO *io, JitResult *res) {
    memset(res, 0, sizeof *res);
    jit_current = jit;
    jit->io = io;
    jit->cell_no = cell_no;
    guard_thread_init(jit);
    T_TRY {
        if (!magic_dispatch(jit, code, cell_no, io, res))
            jit_execute_plain(jit, code, cell_no, io, res);
    }
    T_CATCH(err) {
        /* the compiler itself failed (out of memory, a pipe that could not be made) */
        result_error(res, err->kind, err->message, NULL, 0);
    }
    /* the cell boundary, whatever the outcome (compile error, magic, crash): grad mode back
       on, progress bars a failed loop left open closed */
    T_TRY { t_reset_thread_state(); }
    T_CATCH(err) {
        if (res->ok) result_error(res, err->kind, err->message, NULL, 0);
    }
    /* input a cell did not read is not left for the next one */
    free(jit->stdin_buf);
    jit->stdin_buf = NULL;
    jit->stdin_pos = 0;
    jit->io = NULL;
    jit->io_code = NULL;
}

/* Forgets every name the cells defined (%reset). */
void jit_reset(Jit *jit) {
    for (int i = 0; i < jit->nitems; i++) item_free(&jit->items[i]);
    free(jit->items);
    jit->items = NULL;
    jit->nitems = 0;
    /* cells' code stays mapped (a tensor or module may still point into it), but their
       names are gone */
    for (int i = 0; i < jit->nsources; i++) free(jit->sources[i].code);
    free(jit->sources);
    jit->sources = NULL;
    rerun_free(jit);
    jit->nsources = 0;
}

/* Frees the program's bookkeeping (the arena stays mapped). */
void jit_free(Jit *jit) {
    if (!jit) return;
    jit_reset(jit);
    prelude_cache_free(jit);
    rerun_free(jit);
    for (int i = 0; i < jit->ncode; i++) free(jit->code[i].name);
    free(jit->code);
    free(jit->marks);
    for (int i = 0; i < jit->nlibs; i++) free(jit->libs[i]);
    free(jit->libs);
    free(jit->include_dir);
    free(jit->include_dir2);
    if (jit->have_timer) timer_delete(jit->timer);
    /* the alternate signal stack stays: the thread may still have it installed */
    if (jit_current == jit) jit_current = NULL;
    free(jit);
}
