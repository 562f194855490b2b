/*
 * prelude.c — the headers every cell starts with, preprocessed once.
 *
 * Every cell is compiled with ctorch.h and the headers earlier cells included. Reading them
 * (over a hundred files, most of a cell's compile time) happens once per set of #include
 * lines: TinyCC preprocesses them with their macros kept (-dD), and later cells compile that
 * text from memory. The text is reused while every file it came from is unchanged on disk.
 */
#include <ctype.h>
#include <libtcc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jit_internal.h"

/* Preprocessed header sets kept: a notebook rarely has more than one. */
enum { PRELUDE_CACHE_MAX = 4 };

/* How TinyCC marks the predefined macros it writes first (they are not the headers'). */
static const char COMMAND_LINE_MARK[] = "# 1 \"<command line>\"";
/* How TinyCC 0.9.27 writes two macro tokens in -dD output: "##", and the parameter list
   "..." (as its last parameter's name). */
static const char PASTE_AS_WRITTEN[] = "<a6>", VARIADIC_AS_WRITTEN[] = "__VA_ARGS__)";
/* Where the headers whose -dD output reads back as they were written live: glibc's and
   TinyCC's (no named variadic macros, "args...", which -dD writes as a plain parameter). */
static const char *const TRUSTED_DIRS[] = {"/usr/include/", "/usr/lib/x86_64-linux-gnu/tcc/"};

/* One file a preprocessed text came from, as it was then. */
typedef struct SourceFile {
    char *path;
    struct timespec mtime;
    off_t size;
} SourceFile;

/* A header set (the #include lines, as text) and what preprocessing it gave. */
typedef struct PreludeEntry {
    unsigned long id;
    char *includes;
    char *text;
    SourceFile *files;
    int nfiles;
    TrimIndex *trim; /* made on first use */
} PreludeEntry;

struct PreludeCache {
    PreludeEntry e[PRELUDE_CACHE_MAX];
    int n;
    unsigned long next_id;
};

/* ---- capturing TinyCC's preprocessor output ---- */

/* The stream TinyCC writes preprocessed text to: appends to a StrBuf. */
typedef struct Sink {
    StrBuf out;
    bool closed;
} Sink;

static ssize_t sink_write(void *cookie, const char *buf, size_t n) {
    sb_add(&((Sink *)cookie)->out, buf, n);
    return (ssize_t)n;
}

static int sink_close(void *cookie) {
    ((Sink *)cookie)->closed = true;
    return 0;
}

/* TinyCC's error callback while preprocessing: any message means the text is not used. */
static void on_error(void *ctx, const char *msg) {
    (void)msg;
    *(bool *)ctx = true;
}

/* The preprocessed text of includes, macros kept (malloc'd), or NULL when TinyCC reported
   anything (the cell's own compile then reports it where it is). */
static char *preprocess(const Jit *jit, const char *includes) {
    Sink sink = {0};
    FILE *f = fopencookie(&sink, "w", (cookie_io_functions_t){.write = sink_write,
                                                               .close = sink_close});
    if (!f) return NULL;
    /* TinyCC writes preprocessed text to the stream stdout names when its state is made */
    FILE *saved = stdout;
    stdout = f;
    TCCState *s = tcc_new();
    stdout = saved;
    if (!s) {
        fclose(f);
        sb_free(&sink.out);
        return NULL;
    }
    bool failed = false;
    tcc_set_error_func(s, &failed, on_error);
    tcc_set_lib_path(s, TCC_LIB_DIR);
    tcc_set_options(s, "-dD");
    tcc_set_output_type(s, TCC_OUTPUT_PREPROCESS);
    tcc_add_include_path(s, jit->include_dir);
    if (jit->include_dir2) tcc_add_include_path(s, jit->include_dir2);
    if (tcc_compile_string(s, includes) < 0) failed = true;
    fflush(f);
    tcc_delete(s);
    if (!sink.closed) fclose(f);
    char *text = sb_take(&sink.out);
    if (failed) {
        free(text);
        return NULL;
    }
    return text;
}

/* Drops the predefined macros TinyCC writes first: the compiling state defines them itself
   (and warns when they are defined again). */
static void drop_predefined(char *text) {
    char *start = strstr(text, COMMAND_LINE_MARK);
    if (!start) return;
    char *end = strstr(start + 1, "\n# ");
    if (!end) return;
    memmove(start, end + 1, strlen(end + 1) + 1);
}

/* Rewrites a #define line as its macro was written (see PASTE_AS_WRITTEN). */
static void fix_define(StrBuf *out, const char *line, size_t len) {
    const char *name_end = line + strlen("#define ");
    while (name_end < line + len && (isalnum((unsigned char)*name_end) || *name_end == '_'))
        name_end++;
    const char *params_end = NULL;
    if (name_end < line + len && *name_end == '(') params_end = memchr(name_end, ')', len);
    size_t vlen = strlen(VARIADIC_AS_WRITTEN), plen = strlen(PASTE_AS_WRITTEN);
    for (const char *p = line; p < line + len;) {
        if (params_end && p == params_end + 1 - vlen && !strncmp(p, VARIADIC_AS_WRITTEN, vlen)) {
            sb_puts(out, "...)");
            p += vlen;
        } else if ((size_t)(line + len - p) >= plen && !strncmp(p, PASTE_AS_WRITTEN, plen)) {
            sb_puts(out, "##");
            p += plen;
        } else {
            sb_add(out, p++, 1);
        }
    }
}

/* The text with every #define line rewritten as written (malloc'd; text is freed). */
static char *fix_defines(char *text) {
    StrBuf out = {0};
    for (const char *p = text; *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (!strncmp(p, "#define ", strlen("#define "))) fix_define(&out, p, len);
        else sb_add(&out, p, len);
        if (eol) sb_puts(&out, "\n");
        p += len + (eol ? 1 : 0);
    }
    free(text);
    return sb_take(&out);
}

/* ---- the files a text came from ---- */

/* Records path (quoted in a line marker) once. */
static void add_file(PreludeEntry *e, const char *path, size_t len) {
    for (int i = 0; i < e->nfiles; i++)
        if (strlen(e->files[i].path) == len && !strncmp(e->files[i].path, path, len)) return;
    struct stat st;
    char *p = jit_strndup(path, len);
    if (stat(p, &st) != 0) {
        free(p);
        return;
    }
    e->files = jit_xrealloc(e->files, sizeof(SourceFile) * (size_t)(e->nfiles + 1));
    e->files[e->nfiles++] = (SourceFile){.path = p, .mtime = st.st_mtim, .size = st.st_size};
}

/* The files named by the text's line markers (`# 1 "/usr/include/stdio.h" 1`). */
static void collect_files(PreludeEntry *e) {
    for (const char *p = e->text; (p = strstr(p, "\n# ")); p++) {
        const char *q = strchr(p + 3, '"');
        const char *eol = strchr(p + 1, '\n');
        if (!q || (eol && q > eol)) continue;
        const char *r = strchr(q + 1, '"');
        if (r && (!eol || r < eol) && q[1] != '<') add_file(e, q + 1, (size_t)(r - q - 1));
    }
}

/* Whether every file the entry came from is a system header or ctorch's (see TRUSTED_DIRS). */
static bool files_trusted(const Jit *jit, const PreludeEntry *e) {
    for (int i = 0; i < e->nfiles; i++) {
        const char *path = e->files[i].path;
        bool ok = false;
        for (size_t d = 0; d < sizeof TRUSTED_DIRS / sizeof TRUSTED_DIRS[0] && !ok; d++)
            ok = !strncmp(path, TRUSTED_DIRS[d], strlen(TRUSTED_DIRS[d]));
        const char *own[] = {jit->include_dir, jit->include_dir2};
        for (size_t d = 0; d < sizeof own / sizeof own[0] && !ok; d++) {
            size_t n = own[d] ? strlen(own[d]) : 0;
            ok = n && !strncmp(path, own[d], n) && path[n] == '/';
        }
        if (!ok) return false;
    }
    return true;
}

/* Whether every file the entry came from is as it was. */
static bool files_unchanged(const PreludeEntry *e) {
    for (int i = 0; i < e->nfiles; i++) {
        struct stat st;
        const SourceFile *f = &e->files[i];
        if (stat(f->path, &st) != 0 || st.st_size != f->size ||
            st.st_mtim.tv_sec != f->mtime.tv_sec || st.st_mtim.tv_nsec != f->mtime.tv_nsec)
            return false;
    }
    return true;
}

/* Frees what an entry holds. */
static void entry_free(PreludeEntry *e) {
    trim_index_free(e->trim);
    free(e->includes);
    free(e->text);
    for (int i = 0; i < e->nfiles; i++) free(e->files[i].path);
    free(e->files);
    memset(e, 0, sizeof *e);
}

/* ---- the cache ---- */

const char *prelude_headers(Jit *jit, const char *includes, unsigned long *id) {
    *id = 0;
    if (!jit->prelude_cache) {
        jit->prelude_cache = calloc(1, sizeof *jit->prelude_cache);
        if (!jit->prelude_cache) t_raise(T_ERR_OOM, "cell compiler: out of memory");
    }
    PreludeCache *c = jit->prelude_cache;
    for (int i = 0; i < c->n; i++) {
        if (strcmp(c->e[i].includes, includes)) continue;
        if (files_unchanged(&c->e[i])) {
            *id = c->e[i].id;
            return c->e[i].text;
        }
        entry_free(&c->e[i]);
        c->e[i] = c->e[--c->n];
        break;
    }
    char *text = preprocess(jit, includes);
    if (!text) return NULL;
    drop_predefined(text);
    PreludeEntry e = {.id = ++c->next_id, .includes = jit_strdup(includes),
                      .text = fix_defines(text)};
    collect_files(&e);
    if (!files_trusted(jit, &e)) {
        /* a user's header may hold macros -dD cannot write back: compiled as written, and
           remembered as such (text NULL) so that it is not preprocessed again for nothing */
        free(e.text);
        e.text = NULL;
    }
    if (c->n == PRELUDE_CACHE_MAX) {
        entry_free(&c->e[0]);
        memmove(&c->e[0], &c->e[1], sizeof(PreludeEntry) * (PRELUDE_CACHE_MAX - 1));
        c->n--;
    }
    c->e[c->n] = e;
    *id = e.id;
    return c->e[c->n++].text;
}

void prelude_emit_trimmed(Jit *jit, unsigned long id, const char *tail, StrBuf *out) {
    PreludeCache *c = jit->prelude_cache;
    for (int i = 0; c && i < c->n; i++) {
        PreludeEntry *e = &c->e[i];
        if (e->id != id || !e->text) continue;
        if (!e->trim) e->trim = trim_index_new(e->text);
        trim_emit(e->trim, tail, out);
        return;
    }
}

void prelude_cache_free(Jit *jit) {
    if (!jit->prelude_cache) return;
    for (int i = 0; i < jit->prelude_cache->n; i++) entry_free(&jit->prelude_cache->e[i]);
    free(jit->prelude_cache);
    jit->prelude_cache = NULL;
}
