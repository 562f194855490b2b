/*
 * help.c — what ctorch.h documents: every declared name with its signature and the doc
 * comment above it (or beside it), for ?name, inspection (Shift-Tab) and completion.
 * The header is parsed once, with the same C grammar that splits cells.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tree_sitter/api.h>

#include "jit_internal.h"

static HelpEntry *entries;
static int nentries;
static Cell header_items; /* the header's types, for struct members */
static bool loaded;

/* The whole file (malloc'd), or NULL. */
static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    StrBuf b = {0};
    char buf[BUFSIZ];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) sb_add(&b, buf, n);
    fclose(f);
    return sb_take(&b);
}

/* A comment's words without its markers: "/ * text * /" and leading " * " on each line. */
static void comment_text(StrBuf *out, const char *src, TSNode c) {
    uint32_t a = ts_node_start_byte(c), b = ts_node_end_byte(c);
    const char *s = src + a, *e = src + b;
    if (e - s >= 2 && s[0] == '/' && s[1] == '*') s += 2;
    else if (e - s >= 2 && s[0] == '/' && s[1] == '/') s += 2;
    if (e - s >= 2 && e[-2] == '*' && e[-1] == '/') e -= 2;
    bool line_start = true;
    if (out->len) sb_puts(out, "\n");
    for (const char *p = s; p < e; p++) {
        if (line_start) {
            while (p < e && (*p == ' ' || *p == '\t')) p++;
            if (p < e && *p == '*' && !(p + 1 < e && p[1] == '/')) {
                p++;
                if (p < e && *p == ' ') p++;
            }
            line_start = false;
            if (p >= e) break;
        }
        if (*p == '\n') line_start = true;
        sb_add(out, p, 1);
    }
    while (out->len && isspace((unsigned char)out->s[out->len - 1])) out->s[--out->len] = '\0';
}

static int row_start(TSNode n) { return (int)ts_node_start_point(n).row; }
static int row_end(TSNode n) { return (int)ts_node_end_point(n).row; }
static bool is_comment(TSNode n) { return !strcmp(ts_node_type(n), "comment"); }

/* Whether comment c sits at the end of the line of the node before it (documents that one). */
static bool is_trailing(TSNode c) {
    TSNode prev = ts_node_prev_sibling(c);
    return !ts_node_is_null(prev) && !is_comment(prev) && row_end(prev) == row_start(c);
}

/* The doc of node n: the comment beside it on its line, else the comment block above it or
   above the group of declarations it belongs to (no blank line between them). */
static char *doc_of(const char *src, TSNode n) {
    StrBuf b = {0};
    TSNode next = ts_node_next_sibling(n);
    if (!ts_node_is_null(next) && is_comment(next) && row_start(next) == row_end(n)) {
        comment_text(&b, src, next);
        return sb_take(&b);
    }
    TSNode cur = n;
    for (;;) {
        TSNode prev = ts_node_prev_sibling(cur);
        if (ts_node_is_null(prev) || row_end(prev) < row_start(cur) - 1) break;
        if (is_comment(prev) && !is_trailing(prev)) {
            /* a block of comments directly above */
            TSNode first = prev;
            for (;;) {
                TSNode p = ts_node_prev_sibling(first);
                if (ts_node_is_null(p) || !is_comment(p) || row_end(p) < row_start(first) - 1 ||
                    is_trailing(p))
                    break;
                first = p;
            }
            for (TSNode c = first;; c = ts_node_next_sibling(c)) {
                comment_text(&b, src, c);
                if (ts_node_eq(c, prev)) break;
            }
            return sb_take(&b);
        }
        cur = prev;
    }
    sb_free(&b);
    return NULL;
}

/* Records one documented name (doc is taken over). */
static void add_entry(const char *name, const char *signature, char *doc) {
    entries = jit_xrealloc(entries, sizeof(HelpEntry) * (size_t)(nentries + 1));
    entries[nentries].name = jit_strdup(name);
    entries[nentries].signature = jit_strdup(signature);
    entries[nentries].doc = doc;
    nentries++;
}

/* The text of n with whitespace runs collapsed (malloc'd). */
static char *flat_text(const char *src, TSNode n) {
    StrBuf b = {0};
    bool space = false;
    for (uint32_t i = ts_node_start_byte(n); i < ts_node_end_byte(n); i++) {
        char ch = src[i];
        if (ch == '\\' && src[i + 1] == '\n') continue;
        if (isspace((unsigned char)ch)) {
            space = b.len > 0;
            continue;
        }
        if (space) sb_puts(&b, " ");
        space = false;
        sb_add(&b, &ch, 1);
    }
    return sb_take(&b);
}

/* Records the names a header node declares. */
static void collect(const char *src, TSNode n, const Item *items, int nitems) {
    const char *t = ts_node_type(n);
    bool documented = !strcmp(t, "declaration") || !strcmp(t, "preproc_def") ||
                      !strcmp(t, "preproc_function_def") || !strcmp(t, "type_definition");
    if (!documented) {
        if (!strcmp(t, "preproc_ifdef") || !strcmp(t, "preproc_if") ||
            !strcmp(t, "linkage_specification") || !strcmp(t, "declaration_list")) {
            uint32_t k = ts_node_child_count(n);
            for (uint32_t i = 0; i < k; i++) collect(src, ts_node_child(n, i), items, nitems);
        }
        return;
    }
    char *sig = flat_text(src, n);
    uint32_t a = ts_node_start_byte(n);
    /* the header's items (split the same way as cells) give the names declared here */
    for (int i = 0; i < nitems; i++) {
        const Item *it = &items[i];
        if (it->line != row_start(n) + 1) continue;
        for (int k = 0; k < it->nkeys; k++) {
            char *doc = doc_of(src, n);
            /* an enumerator is documented by the comment beside it, if any */
            add_entry(it->keys[k].name, sig, doc);
        }
    }
    (void)a;
    free(sig);
}

/* Headers ctorch.h pulls in with #include "..." (ctorch_nn.h, ...): documented too. */
enum { MAX_HEADERS = 16 };

/* Whether the header's types already hold a struct spelled name. */
static bool help_struct_known(const char *name) {
    for (int i = 0; i < header_items.n; i++)
        if (!strcmp(header_items.items[i].struct_name, name)) return true;
    return false;
}

/* Headers already parsed (each ctorch header guards against being included twice). */
static char *loaded_names[MAX_HEADERS];
static int nloaded;

/* Whether name was parsed already; records it if not. */
static bool seen_header(const char *name) {
    for (int i = 0; i < nloaded; i++)
        if (!strcmp(loaded_names[i], name)) return true;
    if (nloaded == MAX_HEADERS) return true;
    loaded_names[nloaded++] = jit_strdup(name);
    return false;
}

/* Parses one header of ctorch's into the entries, then the ctorch headers it includes. */
static void load_header(const Jit *jit, const char *name, int depth) {
    if (seen_header(name)) return;
    StrBuf path = {0};
    sb_printf(&path, "%s/%s", jit->include_dir, name);
    char *src = read_file(path.s);
    sb_free(&path);
    if (!src) return;
    Cell items;
    split_header(src, &items);
    TSParser *p = ts_parser_new();
    ts_parser_set_language(p, tree_sitter_c());
    TSTree *tree = ts_parser_parse_string(p, NULL, src, (uint32_t)strlen(src));
    TSNode root = ts_tree_root_node(tree);
    uint32_t k = ts_node_child_count(root);
    for (uint32_t i = 0; i < k; i++) collect(src, ts_node_child(root, i), items.items, items.n);
    ts_tree_delete(tree);
    ts_parser_delete(p);
    for (int i = 0; i < items.n; i++) {
        Item *it = &items.items[i];
        if (it->kind == ITEM_INCLUDE && depth < MAX_HEADERS) {
            const char *q = strchr(it->text, '"');
            const char *e = q ? strchr(q + 1, '"') : NULL;
            if (e) {
                char *inc = jit_strndup(q + 1, (size_t)(e - q - 1));
                load_header(jit, inc, depth + 1);
                free(inc);
            }
        }
        if (!it->struct_name || help_struct_known(it->struct_name)) continue;
        header_items.items =
            jit_xrealloc(header_items.items, sizeof(Item) * (size_t)(header_items.n + 1));
        header_items.items[header_items.n++] = item_copy(it);
    }
    cell_free(&items);
    free(src);
}

/* Loads ctorch.h's entries (once). */
static void load(const Jit *jit) {
    if (loaded) return;
    loaded = true;
    load_header(jit, "ctorch.h", 0);
}

/* The documented names of ctorch's headers. */
const HelpEntry *help_entries(const Jit *jit, int *n) {
    load(jit);
    *n = nentries;
    return entries;
}

/* The struct types of ctorch's headers. */
const Item *help_header_structs(const Jit *jit, int *n) {
    load(jit);
    *n = header_items.n;
    return header_items.items;
}

/* The struct spelled type_name, from the cells (newest first) or ctorch's headers. */
const Item *help_struct(const Jit *jit, const char *type_name) {
    load(jit);
    for (int i = jit->nitems; i-- > 0;)
        if (jit->items[i].struct_name && !strcmp(jit->items[i].struct_name, type_name))
            return &jit->items[i];
    for (int i = 0; i < header_items.n; i++)
        if (header_items.items[i].struct_name &&
            !strcmp(header_items.items[i].struct_name, type_name))
            return &header_items.items[i];
    return NULL;
}
