/*
 * magic.c — IPython-style magics: `%name args` on a cell's first line, `%%name args` over the
 * whole cell, and `?name` for help. Magics are registered by name; the built-in ones are
 * here (%timeit, %%time, %who, %reset, %%file, %lsmagic, %env, %lib), others (%%cuda) are
 * added with jit_register_magic.
 */
#include <ctype.h>
#include <dlfcn.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "jit_internal.h"

/* The registered magics. */
static JitMagicEntry *magics;
static int nmagics;

/* %timeit: a run lasts at least this long when the loop count is chosen automatically, and
   this many runs are timed (IPython's defaults). */
static const double TIMEIT_MIN_RUN_S = 0.2;
enum { TIMEIT_RUNS = 7, TIMEIT_MAX_RUNS = 28 };
/* Significant digits of times shown (IPython's precision). */
enum { TIME_DIGITS = 3 };
/* Directories %lib searches for lib<name>.so.<version>. */
static const char *const LIB_DIRS[] = {"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
                                       "/usr/local/lib", "/usr/lib"};

/* Prints a magic's output on the cell's stdout stream. */
void jit_print(const JitIO *io, const char *text) {
    if (io && io->stream) io->stream(io->ctx, 1, text, strlen(text));
    else fputs(text, stdout);
}

/* Adds a magic, or replaces the one of that name and kind. */
void jit_register_magic(const char *name, JitMagicKind kind, JitMagicFn fn, const char *help) {
    for (int i = 0; i < nmagics; i++) {
        if (magics[i].kind == kind && !strcmp(magics[i].name, name)) {
            magics[i].fn = fn;
            free(magics[i].help);
            magics[i].help = jit_strdup(help);
            return;
        }
    }
    magics = jit_xrealloc(magics, sizeof(JitMagicEntry) * (size_t)(nmagics + 1));
    magics[nmagics].name = jit_strdup(name);
    magics[nmagics].kind = kind;
    magics[nmagics].fn = fn;
    magics[nmagics].help = jit_strdup(help ? help : "");
    nmagics++;
}

/* A duration as IPython writes it: three significant digits and a unit ("1.23 ms"). */
static void format_time(StrBuf *b, double seconds) {
    static const char *const UNITS[] = {"s", "ms", "\xc2\xb5s", "ns"};
    static const double SCALE[] = {1.0, 1e3, 1e6, 1e9};
    enum { DIGITS_PER_UNIT = 3, LAST_UNIT = sizeof UNITS / sizeof UNITS[0] - 1 };
    int order = LAST_UNIT;
    if (seconds >= 1.0) order = 0;
    else if (seconds > 0.0) {
        order = (int)fmin(-floor(log10(seconds)) / DIGITS_PER_UNIT, LAST_UNIT);
        if (order < 0) order = 0;
    }
    sb_printf(b, "%.*g %s", TIME_DIGITS, seconds * SCALE[order], UNITS[order]);
}

/* Monotonic time in seconds. */
static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* ---- %timeit ---- */

/* What the guarded timing loop works on (cells run on one thread). */
static struct {
    void (*body)(void);
    long loops;
    int runs;
    bool choose_loops;
    double per_loop[TIMEIT_MAX_RUNS];
} timeit_job;

/* Seconds for `loops` calls of the body. */
static double time_loops(long loops) {
    double t0 = now_s();
    for (long i = 0; i < loops; i++) timeit_job.body();
    return now_s() - t0;
}

/* The timing loop, run under the guard (the statement may crash or be interrupted). */
static void timeit_runner(void) {
    if (timeit_job.choose_loops) {
        /* 1, 2, 5, 10, 20, 50, ... until a run takes long enough */
        static const long STEPS[] = {1, 2, 5};
        enum { NSTEPS = sizeof STEPS / sizeof STEPS[0], DECADE = 10 };
        for (long scale = 1;; scale *= DECADE) {
            bool done = false;
            for (int i = 0; i < NSTEPS && !done; i++) {
                timeit_job.loops = STEPS[i] * scale;
                done = time_loops(timeit_job.loops) >= TIMEIT_MIN_RUN_S;
            }
            if (done) break;
        }
    }
    for (int r = 0; r < timeit_job.runs; r++)
        timeit_job.per_loop[r] = time_loops(timeit_job.loops) / (double)timeit_job.loops;
}

/* Reads "-n N" and "-r R" from args; returns where the statement starts. */
static const char *timeit_options(const char *args, long *loops, int *runs) {
    const char *p = args;
    for (;;) {
        while (isspace((unsigned char)*p)) p++;
        if (p[0] != '-' || !(p[1] == 'n' || p[1] == 'r') || !isspace((unsigned char)p[2])) break;
        char opt = p[1];
        char *end;
        long v = strtol(p + 3, &end, 10);
        if (end == p + 3 || v <= 0) break;
        if (opt == 'n') *loops = v;
        else *runs = (int)(v < TIMEIT_MAX_RUNS ? v : TIMEIT_MAX_RUNS);
        p = end;
    }
    return p;
}

static void magic_timeit(Jit *jit, const char *args, const char *body, int cell_no,
                         const JitIO *io, JitResult *res) {
    long loops = 0;
    int runs = TIMEIT_RUNS;
    const char *stmt = timeit_options(args, &loops, &runs);
    /* a cell magic's body starts on the cell's second line */
    StrBuf code = {0};
    sb_printf(&code, "%s%s", body ? "\n" : "", body ? body : stmt);
    Compiled c;
    if (!compile_body(jit, code.s, cell_no, &c, res)) {
        sb_free(&code);
        return;
    }
    timeit_job.body = c.entry;
    timeit_job.loops = loops ? loops : 1;
    timeit_job.runs = runs;
    timeit_job.choose_loops = loops == 0;
    compiled_free(&c);
    jit->capture = capture_begin(io);
    guard_run(jit, timeit_runner, res);
    capture_end(jit->capture);
    jit->capture = NULL;
    jit->io_code = NULL;
    sb_free(&code); /* errors quoted it until here */
    if (!res->ok) return;
    double mean = 0, var = 0;
    for (int r = 0; r < runs; r++) mean += timeit_job.per_loop[r] / runs;
    for (int r = 0; r < runs; r++)
        var += (timeit_job.per_loop[r] - mean) * (timeit_job.per_loop[r] - mean) / runs;
    StrBuf b = {0};
    format_time(&b, mean);
    sb_puts(&b, " \xc2\xb1 ");
    format_time(&b, sqrt(var));
    sb_printf(&b, " per loop (mean \xc2\xb1 std. dev. of %d run%s, %ld loop%s each)\n", runs,
              runs == 1 ? "" : "s", timeit_job.loops, timeit_job.loops == 1 ? "" : "s");
    jit_print(io, b.s);
    sb_free(&b);
}

/* ---- %%time ---- */

/* User and system CPU seconds of the process so far. */
static void cpu_times(double *user, double *sys) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6;
    *sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static void magic_time(Jit *jit, const char *args, const char *body, int cell_no,
                       const JitIO *io, JitResult *res) {
    double u0, s0, u1, s1;
    cpu_times(&u0, &s0);
    double w0 = now_s();
    /* a cell magic's body starts on the cell's second line */
    StrBuf code = {0};
    sb_printf(&code, "%s%s", body ? "\n" : "", body ? body : args);
    jit_execute_plain(jit, code.s, cell_no, io, res);
    sb_free(&code);
    double wall = now_s() - w0;
    cpu_times(&u1, &s1);
    StrBuf b = {0};
    sb_puts(&b, "CPU times: user ");
    format_time(&b, u1 - u0);
    sb_puts(&b, ", sys: ");
    format_time(&b, s1 - s0);
    sb_puts(&b, ", total: ");
    format_time(&b, u1 - u0 + s1 - s0);
    sb_puts(&b, "\nWall time: ");
    format_time(&b, wall);
    sb_puts(&b, "\n");
    jit_print(io, b.s);
    sb_free(&b);
}

/* ---- %who, %reset ---- */

static void magic_who(Jit *jit, const char *args, const char *body, int cell_no,
                      const JitIO *io, JitResult *res) {
    StrBuf b = {0};
    size_t width = strlen("Variable");
    for (int i = 0; i < jit->nitems; i++)
        if (jit->items[i].kind == ITEM_GLOBAL && strlen(jit->items[i].name) > width)
            width = strlen(jit->items[i].name);
    sb_printf(&b, "%-*s   Type\n", (int)width, "Variable");
    int n = 0;
    for (int i = 0; i < jit->nitems; i++) {
        const Item *it = &jit->items[i];
        if (it->kind != ITEM_GLOBAL) continue;
        sb_printf(&b, "%-*s   %s\n", (int)width, it->name, it->type);
        n++;
    }
    if (!n) {
        sb_free(&b);
        sb_puts(&b, "Interactive namespace is empty.\n");
    }
    jit_print(io, b.s);
    sb_free(&b);
    res->ok = true;
}

static void magic_reset(Jit *jit, const char *args, const char *body, int cell_no,
                        const JitIO *io, JitResult *res) {
    jit_reset(jit);
    res->ok = true;
}

/* ---- %%file ---- */

static void magic_file(Jit *jit, const char *args, const char *body, int cell_no,
                       const JitIO *io, JitResult *res) {
    while (isspace((unsigned char)*args)) args++;
    bool append = !strncmp(args, "-a", 2) && isspace((unsigned char)args[2]);
    if (append)
        for (args += 2; isspace((unsigned char)*args);) args++;
    char *name = jit_strdup(args);
    for (size_t n = strlen(name); n && isspace((unsigned char)name[n - 1]);) name[--n] = '\0';
    if (!*name) {
        jit_result_error(res, T_ERR_VALUE, "%%%%file: expected a file name, as in %%%%file "
                                           "model.h");
        free(name);
        return;
    }
    bool exists = access(name, F_OK) == 0;
    FILE *f = fopen(name, append ? "a" : "w");
    if (!f) {
        jit_result_error(res, T_ERR_IO, "%%%%file: cannot write %s: %m", name);
        free(name);
        return;
    }
    fputs(body ? body : "", f);
    fclose(f);
    StrBuf b = {0};
    sb_printf(&b, "%s %s\n", append ? "Appending to" : exists ? "Overwriting" : "Writing", name);
    jit_print(io, b.s);
    sb_free(&b);
    free(name);
    res->ok = true;
}

/* ---- %lsmagic, %env ---- */

static void magic_lsmagic(Jit *jit, const char *args, const char *body, int cell_no,
                          const JitIO *io, JitResult *res) {
    StrBuf b = {0};
    for (int kind = JIT_LINE_MAGIC; kind <= JIT_CELL_MAGIC; kind++) {
        sb_printf(&b, "%sAvailable %s magics:\n", kind ? "\n" : "", kind ? "cell" : "line");
        for (int i = 0; i < nmagics; i++)
            if ((int)magics[i].kind == kind)
                sb_printf(&b, "%s%s  %s\n", kind ? "%%" : "%", magics[i].name, magics[i].help);
    }
    sb_puts(&b, "\n?name shows the help of a ctorch function or of a name a cell defined.\n");
    jit_print(io, b.s);
    sb_free(&b);
    res->ok = true;
}

extern char **environ;

static void magic_env(Jit *jit, const char *args, const char *body, int cell_no,
                      const JitIO *io, JitResult *res) {
    while (isspace((unsigned char)*args)) args++;
    char *a = jit_strdup(args);
    for (size_t n = strlen(a); n && isspace((unsigned char)a[n - 1]);) a[--n] = '\0';
    StrBuf b = {0};
    char *sep = strpbrk(a, "= ");
    if (!*a) {
        for (char **e = environ; *e; e++) sb_printf(&b, "%s\n", *e);
    } else if (sep) {
        *sep = '\0';
        char *value = sep + 1;
        while (isspace((unsigned char)*value) || *value == '=') value++;
        setenv(a, value, 1);
        sb_printf(&b, "env: %s=%s\n", a, value);
    } else {
        const char *v = getenv(a);
        if (!v) {
            jit_result_error(res, T_ERR_VALUE, "%%env: environment variable %s is not set", a);
            free(a);
            return;
        }
        sb_printf(&b, "%s\n", v);
    }
    jit_print(io, b.s);
    sb_free(&b);
    free(a);
    res->ok = true;
}

/* ---- %lib ---- */

/* Loads a shared library for cells: a path, lib<name>.so, or the newest lib<name>.so.N. */
static bool load_library(const char *name, StrBuf *err) {
    StrBuf p = {0};
    if (strchr(name, '/')) sb_puts(&p, name);
    else sb_printf(&p, "lib%s.so", name);
    void *h = dlopen(p.s, RTLD_NOW | RTLD_GLOBAL);
    if (!h && !strchr(name, '/')) {
        /* without the -dev package only lib<name>.so.<version> exists */
        StrBuf prefix = {0};
        sb_printf(&prefix, "lib%s.so.", name);
        for (size_t d = 0; !h && d < sizeof LIB_DIRS / sizeof LIB_DIRS[0]; d++) {
            DIR *dir = opendir(LIB_DIRS[d]);
            struct dirent *e;
            while (!h && dir && (e = readdir(dir))) {
                if (strncmp(e->d_name, prefix.s, prefix.len)) continue;
                StrBuf full = {0};
                sb_printf(&full, "%s/%s", LIB_DIRS[d], e->d_name);
                h = dlopen(full.s, RTLD_NOW | RTLD_GLOBAL);
                sb_free(&full);
            }
            if (dir) closedir(dir);
        }
        sb_free(&prefix);
    }
    if (!h) sb_printf(err, "%%lib: cannot load %s (%s)", p.s, dlerror());
    sb_free(&p);
    return h != NULL;
}

static void magic_lib(Jit *jit, const char *args, const char *body, int cell_no,
                      const JitIO *io, JitResult *res) {
    char *a = jit_strdup(args);
    int n = 0;
    for (char *save, *w = strtok_r(a, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
        StrBuf err = {0};
        if (!load_library(w, &err)) {
            jit_result_error(res, T_ERR_IO, "%s", err.s);
            sb_free(&err);
            free(a);
            return;
        }
        jit->libs = jit_xrealloc(jit->libs, sizeof(char *) * (size_t)(jit->nlibs + 1));
        jit->libs[jit->nlibs++] = jit_strdup(w);
        n++;
    }
    free(a);
    if (!n) {
        jit_result_error(res, T_ERR_VALUE, "%%lib: expected library names, as in %%lib m z");
        return;
    }
    res->ok = true;
}

/* ---- dispatch ---- */

static void register_builtins(void) {
    static bool done;
    if (done) return;
    done = true;
    jit_register_magic("timeit", JIT_LINE_MAGIC, magic_timeit,
                       "time a statement: %timeit [-n LOOPS] [-r RUNS] STATEMENT");
    jit_register_magic("time", JIT_LINE_MAGIC, magic_time, "time one run of a statement");
    jit_register_magic("who", JIT_LINE_MAGIC, magic_who, "the globals cells defined, with types");
    jit_register_magic("reset", JIT_LINE_MAGIC, magic_reset, "forget everything cells defined");
    jit_register_magic("lsmagic", JIT_LINE_MAGIC, magic_lsmagic, "list the magics");
    jit_register_magic("env", JIT_LINE_MAGIC, magic_env,
                       "show or set environment variables: %env, %env NAME, %env NAME=VALUE");
    jit_register_magic("lib", JIT_LINE_MAGIC, magic_lib,
                       "load shared libraries for cells: %lib m z (or a path)");
    jit_register_magic("timeit", JIT_CELL_MAGIC, magic_timeit,
                       "time the cell's statements: %%timeit [-n LOOPS] [-r RUNS]");
    jit_register_magic("time", JIT_CELL_MAGIC, magic_time,
                       "run the cell and show its CPU and wall time");
    jit_register_magic("file", JIT_CELL_MAGIC, magic_file,
                       "write the cell to a file: %%file [-a] NAME");
}

/* The magic called name (len bytes) of that kind, or NULL. */
static const JitMagicEntry *find_magic(const char *name, size_t len, JitMagicKind kind) {
    for (int i = 0; i < nmagics; i++)
        if (magics[i].kind == kind && strlen(magics[i].name) == len &&
            !strncmp(magics[i].name, name, len))
            return &magics[i];
    return NULL;
}

/* `?name` or `name?`: the help of a name, printed. Returns false if code is not a query. */
static bool help_query(Jit *jit, const char *code, const JitIO *io, JitResult *res) {
    const char *p = code;
    while (isspace((unsigned char)*p)) p++;
    size_t len = strlen(p);
    while (len && isspace((unsigned char)p[len - 1])) len--;
    if (len < 2) return false;
    const char *name = p;
    size_t n = len;
    if (p[0] == '?') name++, n--;
    else if (p[len - 1] == '?') n--;
    else return false;
    while (n && name[0] == '?') name++, n--;
    while (n && name[n - 1] == '?') n--;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)name[i]) || name[i] == '_')) return false;
    if (!n) return false;
    char *ident = jit_strndup(name, n);
    char *doc = jit_inspect(jit, ident, (int)n, 0);
    StrBuf b = {0};
    if (doc) sb_printf(&b, "%s\n", doc);
    else sb_printf(&b, "Object `%s` not found.\n", ident);
    jit_print(io, b.s);
    sb_free(&b);
    free(doc);
    free(ident);
    res->ok = true;
    return true;
}

/* Runs a ?query or a magic cell; false when code is an ordinary cell. */
bool magic_dispatch(Jit *jit, const char *code, int cell_no, const JitIO *io, JitResult *res) {
    register_builtins();
    const char *p = code;
    while (isspace((unsigned char)*p)) p++;
    if (help_query(jit, code, io, res)) return true;
    if (*p != '%') return false;
    bool cell = p[1] == '%';
    const char *name = p + (cell ? 2 : 1);
    size_t len = 0;
    while (isalnum((unsigned char)name[len]) || name[len] == '_') len++;
    const char *eol = strchr(name, '\n');
    char *args = jit_strndup(name + len, eol ? (size_t)(eol - name - len) : strlen(name + len));
    const char *rest = eol ? eol + 1 : "";
    const JitMagicEntry *m = find_magic(name, len, cell ? JIT_CELL_MAGIC : JIT_LINE_MAGIC);
    if (!m) {
        jit_result_error(res, T_ERR_VALUE, "unknown %s magic %s%.*s (%%lsmagic lists them)",
                         cell ? "cell" : "line", cell ? "%%" : "%", (int)len, name);
        free(args);
        return true;
    }
    m->fn(jit, args, cell ? rest : NULL, cell_no, io, res);
    free(args);
    /* code after a line magic runs as a cell of its own, keeping its line numbers */
    if (!cell && res->ok) {
        const char *q = rest;
        while (isspace((unsigned char)*q)) q++;
        if (*q) {
            StrBuf shifted = {0};
            sb_printf(&shifted, "\n%s", rest);
            jit_result_free(res);
            jit_execute_plain(jit, shifted.s, cell_no, io, res);
            sb_free(&shifted);
        }
    }
    return true;
}
