/*
 * compile.c — turns a split cell into C for TinyCC: the prelude of earlier cells, the cell's
 * file-scope items, and a function __ct_cell running its statements and initialisers in order.
 * #line directives make TinyCC's diagnostics name the cell and line ("In[3] line 2").
 */
#include <ctype.h>
#include <libtcc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jit_internal.h"

/* TinyCC's own headers and libtcc1.a (Debian's libtcc-dev); prelude.c uses it too. */
const char TCC_LIB_DIR[] = "/usr/lib/x86_64-linux-gnu/tcc";

/* What every cell starts with: the ctorch API, then the helpers generated code calls. */
static const char CELL_INCLUDE[] = "#include \"ctorch.h\"\n";
static const char CELL_INCLUDE_NAME[] = "\"ctorch.h\"";
static const char CELL_HEADER_LINE[] = "#line 1 \"<cell header>\"\n";
static const char CELL_DECLS[] =
    "extern volatile int __ct_line;\n"
    "void *__ct_memcpy(void *, const void *, unsigned long);\n"
    "void __ct_publish(MimeBundle *);\n"
    "MimeBundle *__ct_struct_bundle(const char *, int, const char *const *,\n"
    "                               MimeBundle *const *);\n";

/* Set (to anything) to print the C source of each cell to stderr: what TinyCC compiles. */
static const char SOURCE_ENV[] = "CTORCH_JIT_SOURCE";

/* The cell's entry point. */
static const char CELL_ENTRY[] = "__ct_cell";

/* One message from TinyCC. */
typedef struct Diag {
    char *file; /* "In[3]", a header path, or NULL for link errors */
    int line;
    bool error;
    char *message;
} Diag;

typedef struct Diags {
    Diag *d;
    int n;
    int nerrors;
} Diags;

/* How TinyCC separates a diagnostic's place from its message. */
static const char ERROR_SEP[] = ": error: ", WARNING_SEP[] = ": warning: ";

/* TinyCC's error callback: "file:line: error: message", "tcc: error: message". */
static void on_diag(void *ctx, const char *msg) {
    Diags *ds = ctx;
    ds->d = jit_xrealloc(ds->d, sizeof(Diag) * (size_t)(ds->n + 1));
    Diag *d = &ds->d[ds->n++];
    memset(d, 0, sizeof *d);
    /* "In file included from ...:\n" lines come first in the same message */
    const char *last = strrchr(msg, '\n');
    const char *m = last ? last + 1 : msg;
    const char *kind = strstr(m, ERROR_SEP);
    const char *warn = strstr(m, WARNING_SEP);
    d->error = kind && (!warn || kind < warn);
    const char *sep = d->error ? kind : warn;
    if (!sep) {
        d->error = true;
        d->message = jit_strdup(m);
    } else {
        d->message = jit_strdup(sep + strlen(d->error ? ERROR_SEP : WARNING_SEP));
        const char *colon = sep;
        /* file:line before the separator */
        const char *p = colon;
        while (p > m && isdigit((unsigned char)p[-1])) p--;
        if (p < colon && p > m && p[-1] == ':') {
            d->line = atoi(p);
            d->file = jit_strndup(m, (size_t)(p - 1 - m));
        }
    }
    /* ctorch makes implicit declarations errors: the call would be compiled as int f(). */
    if (!d->error && strstr(d->message, "implicit declaration of function")) d->error = true;
    if (d->error) ds->nerrors++;
}

/* Frees the collected diagnostics. */
static void diags_free(Diags *ds) {
    for (int i = 0; i < ds->n; i++) {
        free(ds->d[i].file);
        free(ds->d[i].message);
    }
    free(ds->d);
    memset(ds, 0, sizeof *ds);
}

/* The cell number in a file name "In[3]", or -1. */
static int cell_of_file(const char *file) {
    int n;
    if (file && sscanf(file, "In[%d]", &n) == 1) return n;
    return -1;
}

/* Line `line` (1-based) of text, without its newline (malloc'd), or NULL. */
static char *nth_line(const char *text, int line) {
    for (int i = 1; text && i < line; i++) {
        text = strchr(text, '\n');
        if (text) text++;
    }
    if (!text || line < 1) return NULL;
    const char *end = strchr(text, '\n');
    return jit_strndup(text, end ? (size_t)(end - text) : strlen(text));
}

/* Quotes line `line` of cell `file` with a caret under hint (or its first word). */
void diag_quote(const Jit *jit, StrBuf *out, const char *file, int line, const char *hint) {
    int cell = cell_of_file(file);
    const char *src = cell == jit->cell_no ? jit->io_code : jit_cell_source(jit, cell);
    char *text = cell >= 0 ? nth_line(src, line) : NULL;
    if (!text) return;
    size_t col = 0;
    while (text[col] == ' ' || text[col] == '\t') col++;
    if (hint && *hint) {
        const char *at = strstr(text, hint);
        if (at) col = (size_t)(at - text);
    }
    sb_printf(out, "    %s\n    ", text);
    for (size_t i = 0; i < col; i++) sb_puts(out, text[i] == '\t' ? "\t" : " ");
    sb_puts(out, "^");
    free(text);
}

/* The identifier a message quotes ('x' undeclared): where the caret goes (malloc'd). */
static char *quoted_name(const char *msg) {
    const char *a = strchr(msg, '\'');
    const char *b = a ? strchr(a + 1, '\'') : NULL;
    return b ? jit_strndup(a + 1, (size_t)(b - a - 1)) : NULL;
}

/* The first line of the cell mentioning name (for link errors, which have no line). */
static int line_mentioning(const char *code, const char *name) {
    if (!name || !*name) return 0;
    size_t n = strlen(name);
    int line = 1;
    for (const char *p = code; *p; p++) {
        if (*p == '\n') line++;
        bool start = p == code || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
        if (start && !strncmp(p, name, n) && !(isalnum((unsigned char)p[n]) || p[n] == '_'))
            return line;
    }
    return 0;
}

/* "In[3] line 2: message" for a diagnostic (a link error gets the line naming its symbol). */
static void diag_where(const Jit *jit, const Diag *d, int cell_no, StrBuf *out, int *line,
                       char **file) {
    char *name = quoted_name(d->message);
    *line = d->line;
    *file = d->file ? jit_strdup(d->file) : NULL;
    if (!d->file) {
        int l = line_mentioning(jit->io_code, name);
        if (l) {
            *line = l;
            StrBuf f = {0};
            sb_printf(&f, "In[%d]", cell_no);
            *file = sb_take(&f);
        }
    }
    if (*file && cell_of_file(*file) >= 0)
        sb_printf(out, "%s line %d: %s", *file, *line, d->message);
    else if (*file)
        sb_printf(out, "%s:%d: %s", *file, *line, d->message);
    else
        sb_puts(out, d->message);
    free(name);
}

/* Fills res with a CompileError listing the errors; sends warnings to stderr. */
static void report(Jit *jit, const Diags *ds, int cell_no, JitResult *res) {
    char **tb = NULL;
    int ntb = 0;
    char *evalue = NULL;
    for (int i = 0; i < ds->n; i++) {
        const Diag *d = &ds->d[i];
        if (!d->error) continue;
        StrBuf where = {0}, quote = {0};
        int line;
        char *file;
        diag_where(jit, d, cell_no, &where, &line, &file);
        char *hint = quoted_name(d->message);
        diag_quote(jit, &quote, file, line, hint);
        free(hint);
        free(file);
        if (!evalue) evalue = jit_strdup(where.s);
        tb = jit_xrealloc(tb, sizeof(char *) * (size_t)(ntb + 2));
        StrBuf line_text = {0};
        sb_printf(&line_text, "\x1b[0;31merror\x1b[0m: %s", where.s);
        tb[ntb++] = sb_take(&line_text);
        if (quote.len) tb[ntb++] = sb_take(&quote);
        sb_free(&where);
        sb_free(&quote);
    }
    result_error(res, T_ERR_COMPILE, evalue ? evalue : "the cell did not compile", tb, ntb);
    free(evalue);
}

/* Sends TinyCC's warnings to the cell's stderr, with the line they are about. */
static void warn(Jit *jit, const Diags *ds, int cell_no, const JitIO *io) {
    for (int i = 0; i < ds->n; i++) {
        const Diag *d = &ds->d[i];
        if (d->error) continue;
        StrBuf msg = {0}, where = {0};
        int line;
        char *file;
        diag_where(jit, d, cell_no, &where, &line, &file);
        sb_printf(&msg, "warning: %s\n", where.s);
        diag_quote(jit, &msg, file, line, NULL);
        if (msg.s[msg.len - 1] != '\n') sb_puts(&msg, "\n");
        if (io && io->stream) io->stream(io->ctx, STDERR_FILENO, msg.s, msg.len);
        else fputs(msg.s, stderr);
        free(file);
        sb_free(&msg);
        sb_free(&where);
    }
}

/* Whether the cell itself defines (not just declares) name: its own definition wins over the
   program's, so the program's is neither declared nor linked in. */
static bool cell_defines(const Cell *cell, const char *name) {
    for (int i = 0; i < cell->n; i++) {
        const Item *it = &cell->items[i];
        if ((it->kind == ITEM_FUNCTION || it->kind == ITEM_GLOBAL) && it->name &&
            !strcmp(it->name, name))
            return true;
    }
    return false;
}

/* Whether a program item is replaced by one of the cell's items (a declaration repeated in
   the cell leaves the program's definition visible). */
static bool cell_replaces(const Cell *cell, const Item *old) {
    for (int i = 0; i < cell->n; i++) {
        const Item *it = &cell->items[i];
        if (it->kind == ITEM_PROTOTYPE || it->kind == ITEM_EXTERN) continue;
        if (item_keys_overlap(it, old)) return true;
    }
    return false;
}

/* A #line directive: what follows is line `line` of In[cell_no]. */
static void emit_line(StrBuf *b, int line, int cell_no) {
    sb_printf(b, "#line %d \"In[%d]\"\n", line, cell_no);
}

/* C's words for scalar types and their qualifiers, and <stdint.h>'s and <stddef.h>'s names. */
static const char *const SCALAR_WORDS[] = {
    "int", "long", "short", "char", "signed", "unsigned", "float", "double", "_Bool", "bool",
    "const", "volatile", "size_t", "ssize_t", "ptrdiff_t", "intptr_t", "uintptr_t", "int8_t",
    "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t"};

/* Whether a field's type (as text) is a scalar, a pointer or an array: never a struct. */
static bool is_plain_type(const char *type) {
    if (strpbrk(type, "*[")) return true;
    for (const char *p = type; *p;) {
        while (*p == ' ') p++;
        size_t n = strcspn(p, " ");
        if (!n) break;
        bool scalar = false;
        for (size_t i = 0; i < sizeof SCALAR_WORDS / sizeof SCALAR_WORDS[0] && !scalar; i++)
            scalar = strlen(SCALAR_WORDS[i]) == n && !strncmp(p, SCALAR_WORDS[i], n);
        if (!scalar) return false;
        p += n;
    }
    return true;
}

/* The struct types a result may have: a _Generic association for each, showing its fields.
   A field of one of the nested types (the cells' own, a few) shows as {...}; listing every
   type for every field would grow as the square of the number of types. */
static void emit_struct_cases(StrBuf *b, const Item *const *types, int ntypes,
                              const Item *const *nested, int nnested, const char *expr) {
    StrBuf cases = {0};
    for (int u = 0; u < nnested; u++)
        sb_printf(&cases, ", %s: t_bundle_text(\"{...}\")", nested[u]->struct_name);
    for (int t = 0; t < ntypes; t++) {
        const Item *ty = types[t];
        sb_printf(b, ", %s: ({ %s __ct_v = (%s); __ct_struct_bundle(\"%s\", %d, "
                     "(const char *const[]){",
                  ty->struct_name, ty->struct_name, expr, ty->struct_name, ty->nfields);
        for (int f = 0; f < ty->nfields; f++)
            sb_printf(b, "%s\"%s\"", f ? ", " : "", ty->fields[f]);
        sb_puts(b, "}, (MimeBundle *const[]){");
        for (int f = 0; f < ty->nfields; f++) {
            sb_printf(b, "%s_Generic((0, __ct_v.%s)", f ? ", " : "", ty->fields[f]);
            /* a field of a scalar, pointer or array type cannot be one of the structs */
            if (cases.len && !is_plain_type(ty->field_types[f])) sb_add(b, cases.s, cases.len);
            sb_printf(b, ", default: t_bundle((0, __ct_v.%s)))", ty->fields[f]);
        }
        sb_puts(b, "}); })");
    }
    sb_free(&cases);
}

/* The handle types of ctorch.h a result may have, and the bundle that shows each. */
static const char *const HANDLE_CASES[][2] = {
    {"Module *", "t_bundle_module"},       {"const Module *", "t_bundle_module"},
    {"Optimizer *", "t_bundle_optimizer"}, {"const Optimizer *", "t_bundle_optimizer"},
    {"Dataset *", "t_bundle_dataset"},     {"const Dataset *", "t_bundle_dataset"},
    {"DataLoader *", "t_bundle_loader"},   {"const DataLoader *", "t_bundle_loader"},
    {"Plot *", "plot_bundle"},             {"void *", "t_bundle_pointer"},
    {"const void *", "t_bundle_pointer"},
};

/* Handles show as their summary, modules as their tree (t_bundle_module): also a pointer to
   any of the cells' structs, which is a module when NN_NEW made it (nn_is_module tells at run
   time, so a struct nesting another module struct first shows as a tree too). */
static void emit_module_cases(StrBuf *b, const Item *const *types, int ntypes, const char *expr) {
    for (size_t i = 0; i < sizeof HANDLE_CASES / sizeof HANDLE_CASES[0]; i++)
        sb_printf(b, ", %s: %s((%s)(%s))", HANDLE_CASES[i][0], HANDLE_CASES[i][1],
                  HANDLE_CASES[i][0], expr);
    for (int t = 0; t < ntypes; t++)
        sb_printf(b, ", %s *: t_bundle_pointer((const void *)(%s))", types[t]->struct_name,
                  expr);
}

/* The statement that displays the result: chosen by the expression's type at compile time
   (TinyCC compiles only the chosen association). */
static void emit_result(StrBuf *b, const Item *it, const Item *const *types, int ntypes,
                        int nheader, ResultMode mode) {
    if (mode == RESULT_DISCARD) {
        sb_printf(b, "__ct_line = %d; (void)(%s);\n", it->line, it->text);
        return;
    }
    sb_printf(b, "__ct_line = %d; __ct_publish(_Generic((0, (%s)), void: ((%s), (MimeBundle *)0)",
              it->line, it->text, it->text);
    emit_struct_cases(b, types, ntypes, types + nheader, ntypes - nheader, it->text);
    emit_module_cases(b, types + nheader, ntypes - nheader, it->text);
    sb_printf(b, ", default: t_bundle((0, (%s)))));\n", it->text);
}

/* Struct types known to the cell: the program's (not replaced) and the cell's own, and with
   RESULT_DISPLAY_ALL ctorch.h's (but Shape, which t_bundle shows). */
static const Item **struct_types(const Jit *jit, const Cell *cell, ResultMode mode, int *n,
                                 int *nheader) {
    int nh = 0;
    const Item *header = mode == RESULT_DISPLAY_ALL ? help_header_structs(jit, &nh) : NULL;
    const Item **t = jit_xmalloc(sizeof(Item *) * (size_t)(jit->nitems + cell->n + nh + 1));
    *n = 0;
    for (int i = 0; i < nh; i++)
        if (header[i].nfields && strcmp(header[i].struct_name, "Shape")) t[(*n)++] = &header[i];
    *nheader = *n;
    for (int i = 0; i < jit->nitems; i++)
        if (jit->items[i].struct_name && jit->items[i].nfields &&
            !cell_replaces(cell, &jit->items[i]))
            t[(*n)++] = &jit->items[i];
    for (int i = 0; i < cell->n; i++)
        if (cell->items[i].struct_name && cell->items[i].nfields) t[(*n)++] = &cell->items[i];
    return t;
}

/* Whether it is one of the cell's own items (not the program's). */
static bool is_cell_item(const Cell *cell, const Item *it) {
    return cell->n && it >= cell->items && it < cell->items + cell->n;
}

/* The text of an item as this cell compiles it: its own as written, earlier cells' prelude. */
static const char *item_text(const Cell *cell, const Item *it) {
    return is_cell_item(cell, it) ? it->text : it->prelude;
}

/* Whether it is an #include of a system header or of ctorch.h: those lead the preprocessed
   part; a header of the user's ends it. */
static bool is_system_include(const Cell *cell, const Item *it) {
    const char *text = item_text(cell, it);
    return it->kind == ITEM_INCLUDE && text &&
           (strchr(text, '<') || strstr(text, CELL_INCLUDE_NAME));
}

/* The start of a cell's source: ctorch.h and the #include items that lead the view, from
   the preprocessed copy when they preprocess. Returns how many items of the view it covered;
   *headers_id names the preprocessed text (0 when the includes are compiled as written). */
static int emit_headers(Jit *jit, const Cell *cell, const Item **view, int nview, StrBuf *b,
                        unsigned long *headers_id) {
    StrBuf inc = {0};
    sb_puts(&inc, CELL_INCLUDE);
    int n = 0;
    while (n < nview && is_system_include(cell, view[n]))
        sb_printf(&inc, "%s\n", item_text(cell, view[n++]));
    const char *pre = prelude_headers(jit, inc.s, headers_id);
    sb_free(&inc);
    if (!pre) {
        /* the includes go through the compile, which says what is wrong with them */
        *headers_id = 0;
        sb_puts(b, CELL_HEADER_LINE);
        sb_puts(b, CELL_INCLUDE);
        return 0;
    }
    sb_puts(b, pre);
    return n;
}

/* Where a cell's source ends its headers, and which headers they are. */
typedef struct SourceParts {
    size_t tail_at;
    unsigned long headers_id;
} SourceParts;

/* Whether a cell's source carries every header or only what the cell needs (trim.c). */
typedef enum Headers { HEADERS_TRIMMED, HEADERS_ALL } Headers;

/* The whole C source of a cell; parts (when not NULL) receives where its headers end. */
static char *cell_source(Jit *jit, const Cell *cell, int cell_no, ResultMode mode,
                         Headers headers, SourceParts *parts) {
    StrBuf head = {0}, b = {0};
    int nview;
    const Item **view = program_view(jit, cell, &nview);
    unsigned long headers_id;
    int first = emit_headers(jit, cell, view, nview, &head, &headers_id);
    sb_puts(&b, CELL_HEADER_LINE);
    sb_puts(&b, CELL_DECLS);
    for (int i = first; i < nview; i++) {
        const Item *it = view[i];
        if (is_cell_item(cell, it)) {
            emit_line(&b, it->line, cell_no);
            sb_puts(&b, it->marked ? it->marked : it->text);
            sb_puts(&b, "\n");
        } else if (it->prelude) {
            emit_line(&b, it->line, it->cell_no);
            sb_puts(&b, it->prelude);
            sb_puts(&b, "\n");
        }
    }
    free(view);
    int ntypes, nheader;
    const Item **types = struct_types(jit, cell, mode, &ntypes, &nheader);
    sb_printf(&b, "void %s(void) {\n", CELL_ENTRY);
    for (int i = 0; i < cell->n; i++) {
        const Item *it = &cell->items[i];
        if (it->kind == ITEM_GLOBAL && it->init) {
            emit_line(&b, it->line, cell_no);
            sb_printf(&b, "__ct_line = %d; %s\n", it->line, it->init);
        } else if (it->kind == ITEM_STATEMENT && it->joins) {
            emit_line(&b, it->line, cell_no);
            sb_printf(&b, "%s\n", it->text);
        } else if (it->kind == ITEM_STATEMENT) {
            emit_line(&b, it->line, cell_no);
            sb_printf(&b, "__ct_line = %d; %s\n", it->line, it->text);
        } else if (it->kind == ITEM_RESULT) {
            emit_line(&b, it->line, cell_no);
            emit_result(&b, it, types, ntypes, nheader, mode);
        }
    }
    sb_puts(&b, "}\n");
    free(types);
    /* a user's header (included after the system ones) may use any system declaration */
    StrBuf all = {0};
    if (headers == HEADERS_TRIMMED && headers_id && !strstr(b.s, "#include"))
        prelude_emit_trimmed(jit, headers_id, b.s, &all);
    else
        sb_add(&all, head.s ? head.s : "", head.len);
    if (parts) *parts = (SourceParts){all.len, headers_id};
    sb_add(&all, b.s, b.len);
    sb_free(&head);
    sb_free(&b);
    return sb_take(&all);
}

/* A TinyCC state set up for a cell: include paths, bound libc, earlier cells' symbols. */
static TCCState *new_state(Jit *jit, const Cell *cell, Diags *ds) {
    TCCState *s = tcc_new();
    if (!s) t_raise(T_ERR_OOM, "cell compiler: TinyCC could not start");
    tcc_set_error_func(s, ds, on_diag);
    tcc_set_lib_path(s, TCC_LIB_DIR);
    tcc_set_output_type(s, TCC_OUTPUT_MEMORY);
    tcc_add_include_path(s, jit->include_dir);
    if (jit->include_dir2) tcc_add_include_path(s, jit->include_dir2);
    libc_bind(s, jit, cell);
    tcc_add_symbol(s, "__ct_line", (const void *)&jit->line);
    for (int i = 0; i < jit->nitems; i++) {
        const Item *it = &jit->items[i];
        if (it->addr && !cell_defines(cell, it->name)) tcc_add_symbol(s, it->name, it->addr);
    }
    return s;
}

/* Compiles and relocates source; on failure the diagnostics are in ds. */
static bool build(Jit *jit, const Cell *cell, const char *src, Diags *ds, Compiled *out) {
    if (getenv(SOURCE_ENV)) fprintf(stderr, "%s\n", src);
    TCCState *s = new_state(jit, cell, ds);
    if (tcc_compile_string(s, src) < 0 || ds->nerrors) {
        tcc_delete(s);
        return false;
    }
    StrBuf err = {0};
    char *at = arena_place(&jit->arena, s, &out->size, &err);
    if (!at || ds->nerrors) {
        if (err.len) on_diag(ds, err.s);
        sb_free(&err);
        tcc_delete(s);
        return false;
    }
    out->entry = (void (*)(void))tcc_get_symbol(s, CELL_ENTRY);
    out->state = s;
    out->image = at;
    return true;
}

/* Whether an error is on the line of the cell's result (its display may be what failed). */
static bool error_on_result(const Diags *ds, const Cell *cell, int cell_no) {
    const Item *r = cell->n ? &cell->items[cell->n - 1] : NULL;
    if (!r || r->kind != ITEM_RESULT) return false;
    for (int i = 0; i < ds->n; i++)
        if (ds->d[i].error && ds->d[i].line == r->line && cell_of_file(ds->d[i].file) == cell_no)
            return true;
    return false;
}

/* The number a cell's own lines are named by in the source a kept compile is looked up by:
   the same for every run of it (see rerun.c). */
enum { RERUN_CELL_NO = 0 };

/* Looks for a kept compile of the cell as it would be compiled now; fills key (its tail is
   malloc'd, or NULL when the cell cannot be kept). */
static bool reuse(Jit *jit, const Cell *cell, ResultMode mode, RerunKey *key, Compiled *out) {
    *key = (RerunKey){0};
    if (!rerun_cacheable(cell, "")) return false;
    SourceParts parts;
    char *src = cell_source(jit, cell, RERUN_CELL_NO, mode, HEADERS_ALL, &parts);
    *key = (RerunKey){.headers_id = parts.headers_id, .links = rerun_links(jit, cell),
                      .nlibs = jit->nlibs, .mode = mode};
    if (!parts.headers_id || !rerun_cacheable(cell, src + parts.tail_at)) {
        free(src);
        return false;
    }
    key->tail = jit_strdup(src + parts.tail_at);
    free(src);
    const RerunEntry *e = rerun_find(jit, key);
    if (!e) return false;
    out->entry = rerun_entry(e);
    out->reused = e;
    return true;
}

/* Compiles the cell in one result mode: with the headers it needs, then, when that fails,
   with all of them (so that a piece trim.c missed costs time, not a wrong error). */
static bool build_mode(Jit *jit, const Cell *cell, int cell_no, ResultMode mode, Diags *ds,
                       Compiled *out) {
    char *src = cell_source(jit, cell, cell_no, mode, HEADERS_TRIMMED, NULL);
    bool ok = build(jit, cell, src, ds, out);
    free(src);
    if (ok) return true;
    diags_free(ds);
    src = cell_source(jit, cell, cell_no, mode, HEADERS_ALL, NULL);
    ok = build(jit, cell, src, ds, out);
    free(src);
    return ok;
}

bool compile_cell(Jit *jit, const Cell *cell, const char *code, int cell_no, ResultMode mode,
                  Compiled *out, JitResult *res) {
    memset(out, 0, sizeof *out);
    jit->cell_no = cell_no;
    jit->io_code = code;
    RerunKey key = {0};
    if (reuse(jit, cell, mode, &key, out)) {
        free((char *)key.tail);
        return true;
    }
    Diags ds = {0};
    bool ok = build_mode(jit, cell, cell_no, mode, &ds, out);
    /* A result of one of ctorch.h's struct types is displayed on a second try; a result of a
       type ctorch cannot display is run without displaying it. */
    static const ResultMode RETRIES[] = {RESULT_DISPLAY_ALL, RESULT_DISCARD};
    for (size_t r = 0; r < sizeof RETRIES / sizeof RETRIES[0]; r++) {
        if (ok || mode != RESULT_DISPLAY || !error_on_result(&ds, cell, cell_no)) break;
        diags_free(&ds);
        ok = build_mode(jit, cell, cell_no, RETRIES[r], &ds, out);
    }
    /* kept only when TinyCC said nothing: a reused compile shows no warnings */
    if (ok && key.tail && ds.n == 0) rerun_store(jit, &key, cell, out);
    free((char *)key.tail);
    if (ok) warn(jit, &ds, cell_no, jit->io);
    else report(jit, &ds, cell_no, res);
    diags_free(&ds);
    return ok;
}

/* Compiles body as the whole of __ct_cell (the statement %timeit times); commits nothing. */
bool compile_body(Jit *jit, const char *body, int cell_no, Compiled *out, JitResult *res) {
    memset(out, 0, sizeof *out);
    jit->cell_no = cell_no;
    jit->io_code = body;
    Cell none = {0};
    StrBuf b = {0};
    char *prelude = cell_source(jit, &none, cell_no, RESULT_DISCARD, HEADERS_ALL, NULL);
    /* drop the empty entry function the prelude ends with */
    char *entry = strstr(prelude, "void __ct_cell(void) {\n}");
    if (entry) *entry = '\0';
    sb_puts(&b, prelude);
    free(prelude);
    sb_printf(&b, "void %s(void) {\n", CELL_ENTRY);
    emit_line(&b, 1, cell_no);
    sb_printf(&b, "%s\n;}\n", body);
    Diags ds = {0};
    bool ok = build(jit, &none, b.s, &ds, out);
    sb_free(&b);
    if (!ok) report(jit, &ds, cell_no, res);
    diags_free(&ds);
    return ok;
}

/* Deletes the TinyCC state (the code stays in the arena). */
void compiled_free(Compiled *c) {
    if (c->state) tcc_delete(c->state);
    c->state = NULL;
}
