/*
 * trim.c — the part of the preprocessed headers a cell needs.
 *
 * Most of a cell's compile time is TinyCC reading the headers' declarations and macros, yet a
 * cell uses few of them. The headers' text (prelude.c) is parsed once into top-level pieces,
 * each with the names it defines and the names it mentions; a cell then gets only the pieces
 * reachable from the names its own source mentions, in their order (without the line markers
 * that name places in the headers). When a trimmed compile
 * fails, compile.c compiles again with every header, so a piece missed here (a name made by
 * token pasting) costs time, never a wrong error.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <tree_sitter/api.h>

#include "jit_internal.h"

/* Slots of the name table: a power of two, at least twice the names. */
enum { NAMES_MIN = 1024 };

/* One top-level piece of the headers: its bytes, what it defines and what it mentions. */
typedef struct Piece {
    uint32_t start, end;
    int *defines, ndefines; /* name ids */
    int *uses, nuses;
    bool always;            /* kept whatever the cell uses (#pragma, line markers, errors) */
    bool pastes;            /* a macro whose body pastes names together (a ## b) */
    bool is_macro;
} Piece;

struct TrimIndex {
    char *text;
    Piece *p;
    int n;
    /* interned names: open addressing over name ids */
    char **names;
    int nnames;
    int *slot;             /* slot -> name id + 1, 0 for empty */
    size_t cap;
    int **definers;        /* name id -> pieces defining it */
    int *ndefiners;
};

/* djb2 over len bytes. */
static size_t hash(const char *s, size_t len) {
    size_t h = 5381;
    for (size_t i = 0; i < len; i++) h = h * 33 + (unsigned char)s[i];
    return h;
}

/* The id of a name, or -1 when it is not interned. */
static int name_find(const TrimIndex *ix, const char *s, size_t len) {
    for (size_t i = hash(s, len) & (ix->cap - 1); ix->slot[i]; i = (i + 1) & (ix->cap - 1)) {
        const char *n = ix->names[ix->slot[i] - 1];
        if (strlen(n) == len && !memcmp(n, s, len)) return ix->slot[i] - 1;
    }
    return -1;
}

/* Doubles the name table. */
static void grow(TrimIndex *ix) {
    size_t cap = ix->cap * 2;
    int *slot = calloc(cap, sizeof(int));
    if (!slot) t_raise(T_ERR_OOM, "cell compiler: out of memory");
    for (int id = 0; id < ix->nnames; id++) {
        size_t i = hash(ix->names[id], strlen(ix->names[id])) & (cap - 1);
        while (slot[i]) i = (i + 1) & (cap - 1);
        slot[i] = id + 1;
    }
    free(ix->slot);
    ix->slot = slot;
    ix->cap = cap;
}

/* The id of a name, interned if new. */
static int name_id(TrimIndex *ix, const char *s, size_t len) {
    int id = name_find(ix, s, len);
    if (id >= 0) return id;
    if ((size_t)(ix->nnames + 1) * 2 > ix->cap) grow(ix);
    id = ix->nnames++;
    ix->names = jit_xrealloc(ix->names, sizeof(char *) * (size_t)ix->nnames);
    ix->definers = jit_xrealloc(ix->definers, sizeof(int *) * (size_t)ix->nnames);
    ix->ndefiners = jit_xrealloc(ix->ndefiners, sizeof(int) * (size_t)ix->nnames);
    ix->names[id] = jit_strndup(s, len);
    ix->definers[id] = NULL;
    ix->ndefiners[id] = 0;
    size_t i = hash(s, len) & (ix->cap - 1);
    while (ix->slot[i]) i = (i + 1) & (ix->cap - 1);
    ix->slot[i] = id + 1;
    return id;
}

/* Appends v to a growing int array. */
static void push(int **a, int *n, int v) {
    *a = jit_xrealloc(*a, sizeof(int) * (size_t)(*n + 1));
    (*a)[(*n)++] = v;
}

/* Calls fn for every identifier in text[a, b) (a plain scan: strings count too, which only
   keeps more). */
static void each_identifier(const char *text, uint32_t a, uint32_t b,
                            void (*fn)(void *ctx, const char *s, size_t len), void *ctx) {
    for (uint32_t i = a; i < b;) {
        char c = text[i];
        if (isalpha((unsigned char)c) || c == '_') {
            uint32_t j = i;
            while (j < b && (isalnum((unsigned char)text[j]) || text[j] == '_')) j++;
            fn(ctx, text + i, j - i);
            i = j;
        } else if (isdigit((unsigned char)c)) {
            while (i < b && (isalnum((unsigned char)text[i]) || text[i] == '_' || text[i] == '.'))
                i++;
        } else {
            i++;
        }
    }
}

/* What each_identifier's callback adds a use to. */
typedef struct UseCtx {
    TrimIndex *ix;
    Piece *p;
} UseCtx;

static void add_use(void *ctx, const char *s, size_t len) {
    UseCtx *u = ctx;
    push(&u->p->uses, &u->p->nuses, name_id(u->ix, s, len));
}

/* Records that piece pi defines the name at node n's text. */
static void define_node(TrimIndex *ix, int pi, TSNode n) {
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    Piece *p = &ix->p[pi];
    int id = name_id(ix, ix->text + a, b - a);
    push(&p->defines, &p->ndefines, id);
    push(&ix->definers[id], &ix->ndefiners[id], pi);
}

/* Records the names a struct, union or enum specifier defines: its tag and its constants. */
static void define_tag(TrimIndex *ix, int pi, TSNode spec) {
    TSNode name = ts_node_child_by_field_name(spec, "name", 4);
    if (!ts_node_is_null(name)) define_node(ix, pi, name);
    TSNode body = ts_node_child_by_field_name(spec, "body", 4);
    uint32_t m = ts_node_is_null(body) ? 0 : ts_node_named_child_count(body);
    for (uint32_t j = 0; j < m; j++) {
        TSNode e = ts_node_named_child(body, j);
        if (!strcmp(ts_node_type(e), "enumerator"))
            define_node(ix, pi, ts_node_child_by_field_name(e, "name", 4));
    }
}

/* Records the names a declaration-like node defines: its declarators' names, and a struct,
   union or enum's tag and constants (an identifier in a declarator position, found by
   walking down "declarator" fields). */
static void define_declarators(TrimIndex *ix, int pi, TSNode n) {
    uint32_t k = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < k; i++) {
        TSNode c = ts_node_named_child(n, i);
        const char *t = ts_node_type(c);
        if (!strcmp(t, "struct_specifier") || !strcmp(t, "union_specifier") ||
            !strcmp(t, "enum_specifier")) {
            define_tag(ix, pi, c);
            continue;
        }
        if (!strcmp(t, "identifier") || !strcmp(t, "type_identifier")) {
            /* a declarator's name; a type's name (typedef'd) is a use, found by the scan */
            TSNode parent = ts_node_parent(c);
            TSNode type = ts_node_child_by_field_name(parent, "type", 4);
            if (ts_node_is_null(type) || !ts_node_eq(type, c)) define_node(ix, pi, c);
            continue;
        }
        if (strstr(t, "declarator")) define_declarators(ix, pi, c);
    }
}

/* Fills piece pi from the top-level node n. */
static void index_piece(TrimIndex *ix, int pi, TSNode n) {
    Piece *p = &ix->p[pi];
    const char *t = ts_node_type(n);
    UseCtx u = {ix, p};
    if (!strcmp(t, "preproc_def") || !strcmp(t, "preproc_function_def")) {
        p->is_macro = true;
        define_node(ix, pi, ts_node_child_by_field_name(n, "name", 4));
        p = &ix->p[pi];
        TSNode value = ts_node_child_by_field_name(n, "value", 5);
        if (ts_node_is_null(value)) return;
        uint32_t a = ts_node_start_byte(value), b = ts_node_end_byte(value);
        each_identifier(ix->text, a, b, add_use, &u);
        /* "a ## b" may make any name; ", ## __VA_ARGS__" (swallowing a comma) makes none */
        for (uint32_t i = a; i + 1 < b; i++) {
            if (ix->text[i] != '#' || ix->text[i + 1] != '#') continue;
            uint32_t j = i;
            while (j > a && isspace((unsigned char)ix->text[j - 1])) j--;
            if (j == a || ix->text[j - 1] != ',') p->pastes = true;
            i++;
        }
        return;
    }
    if (!strcmp(t, "preproc_call")) {
        TSNode dir = ts_node_child_by_field_name(n, "directive", 9);
        TSNode arg = ts_node_child_by_field_name(n, "argument", 8);
        uint32_t a = ts_node_start_byte(dir), b = ts_node_end_byte(dir);
        if (b - a == strlen("#undef") && !memcmp(ix->text + a, "#undef", b - a) &&
            !ts_node_is_null(arg)) {
            /* an #undef goes with the macro it ends */
            p->is_macro = true;
            uint32_t s = ts_node_start_byte(arg), e = s;
            while (e < ts_node_end_byte(arg) &&
                   (isalnum((unsigned char)ix->text[e]) || ix->text[e] == '_'))
                e++;
            int id = name_id(ix, ix->text + s, e - s);
            p = &ix->p[pi];
            push(&p->defines, &p->ndefines, id);
            push(&ix->definers[id], &ix->ndefiners[id], pi);
            return;
        }
        /* "# 13 "file"" line markers name places in the headers, which matter only to
           messages about them: a trimmed compile that fails is compiled again in full */
        const char *at = ix->text + ts_node_start_byte(n) + 1;
        while (*at == ' ') at++;
        p->always = !isdigit((unsigned char)*at);
        return;
    }
    bool declares = !strcmp(t, "declaration") || !strcmp(t, "type_definition") ||
                    !strcmp(t, "function_definition") || !strcmp(t, "struct_specifier") ||
                    !strcmp(t, "union_specifier") || !strcmp(t, "enum_specifier");
    if (!declares || ts_node_has_error(n)) {
        p->always = true;
        return;
    }
    if (!strcmp(t, "struct_specifier") || !strcmp(t, "union_specifier") ||
        !strcmp(t, "enum_specifier")) {
        /* "struct S { ... };": the tag and constants, as in a declaration */
        define_tag(ix, pi, n);
    } else {
        define_declarators(ix, pi, n);
    }
    p = &ix->p[pi];
    u.p = p;
    each_identifier(ix->text, ts_node_start_byte(n), ts_node_end_byte(n), add_use, &u);
    if (!p->ndefines) p->always = true;
}

TrimIndex *trim_index_new(const char *text) {
    TrimIndex *ix = calloc(1, sizeof *ix);
    if (!ix) t_raise(T_ERR_OOM, "cell compiler: out of memory");
    ix->text = jit_strdup(text);
    ix->cap = NAMES_MIN;
    ix->slot = calloc(ix->cap, sizeof(int));
    if (!ix->slot) t_raise(T_ERR_OOM, "cell compiler: out of memory");
    TSParser *parser = ts_parser_new();
    ts_parser_set_language(parser, tree_sitter_c());
    size_t len = strlen(ix->text);
    TSTree *tree = ts_parser_parse_string(parser, NULL, ix->text, (uint32_t)len);
    TSNode root = ts_tree_root_node(tree);
    uint32_t k = ts_node_child_count(root), from = 0;
    for (uint32_t i = 0; i < k; i++) {
        TSNode c = ts_node_child(root, i);
        if (!ts_node_is_named(c) || !strcmp(ts_node_type(c), "comment")) {
            /* a ';' the grammar leaves outside "struct S { ... }" goes with it */
            if (ix->n) ix->p[ix->n - 1].end = ts_node_end_byte(c);
            from = ts_node_end_byte(c);
            continue;
        }
        ix->p = jit_xrealloc(ix->p, sizeof(Piece) * (size_t)(ix->n + 1));
        int pi = ix->n++;
        /* a piece runs to the next one, so line markers and blank lines stay with it */
        ix->p[pi] = (Piece){.start = from, .end = ts_node_end_byte(c)};
        from = ts_node_end_byte(c);
        index_piece(ix, pi, c);
    }
    if (ix->n) ix->p[ix->n - 1].end = (uint32_t)len;
    ts_tree_delete(tree);
    ts_parser_delete(parser);
    return ix;
}

/* What the reach walk carries. */
typedef struct Reach {
    const TrimIndex *ix;
    bool *kept;       /* per piece */
    bool *seen;       /* per name */
    int *pending, npending; /* names reached, not yet followed */
    bool all_macros;
} Reach;

/* Marks a name reached. */
static void reach_name(Reach *r, int id) {
    if (id < 0 || r->seen[id]) return;
    r->seen[id] = true;
    push(&r->pending, &r->npending, id);
}

/* Keeps piece pi and reaches what it mentions. */
static void keep(Reach *r, int pi) {
    if (r->kept[pi]) return;
    r->kept[pi] = true;
    const Piece *p = &r->ix->p[pi];
    if (p->pastes) r->all_macros = true;
    for (int i = 0; i < p->nuses; i++) reach_name(r, p->uses[i]);
    for (int i = 0; i < p->ndefines; i++) reach_name(r, p->defines[i]);
}

/* each_identifier callback over the cell's own source. */
static void reach_text_name(void *ctx, const char *s, size_t len) {
    Reach *r = ctx;
    reach_name(r, name_find(r->ix, s, len));
}

void trim_emit(const TrimIndex *ix, const char *tail, StrBuf *out) {
    Reach r = {ix, calloc((size_t)ix->n + 1, sizeof(bool)),
               calloc((size_t)ix->nnames + 1, sizeof(bool)), NULL, 0, false};
    if (!r.kept || !r.seen) t_raise(T_ERR_OOM, "cell compiler: out of memory");
    for (int i = 0; i < ix->n; i++)
        if (ix->p[i].always) keep(&r, i);
    each_identifier(tail, 0, (uint32_t)strlen(tail), reach_text_name, &r);
    bool macros_done = false;
    while (r.npending || (r.all_macros && !macros_done)) {
        if (r.all_macros && !macros_done) {
            /* a reached macro pastes names: any macro may be what it makes */
            macros_done = true;
            for (int i = 0; i < ix->n; i++)
                if (ix->p[i].is_macro) keep(&r, i);
            continue;
        }
        int id = r.pending[--r.npending];
        for (int i = 0; i < ix->ndefiners[id]; i++) keep(&r, ix->definers[id][i]);
    }
    for (int i = 0; i < ix->n; i++) {
        const Piece *p = &ix->p[i];
        if (r.kept[i]) sb_add(out, ix->text + p->start, p->end - p->start);
    }
    sb_add(out, "\n", 1);
    free(r.kept);
    free(r.seen);
    free(r.pending);
}

void trim_index_free(TrimIndex *ix) {
    if (!ix) return;
    free(ix->text);
    for (int i = 0; i < ix->n; i++) {
        free(ix->p[i].defines);
        free(ix->p[i].uses);
    }
    free(ix->p);
    for (int i = 0; i < ix->nnames; i++) {
        free(ix->names[i]);
        free(ix->definers[i]);
    }
    free(ix->names);
    free(ix->definers);
    free(ix->ndefiners);
    free(ix->slot);
    free(ix);
}
