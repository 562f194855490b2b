/*
 * split.c — splits a cell into file-scope items and statements with tree-sitter's C grammar.
 *
 * File-scope items (preprocessor lines, types, functions, globals, prototypes) are compiled
 * at file scope and kept for later cells' preludes; statements, and the runtime initialisers
 * of globals, run in order in the cell's body. A final expression without ';' is the result.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <tree_sitter/api.h>

#include "jit_internal.h"

/* What the splitter works on. */
typedef struct Splitter {
    const char *src;
    int cell_no;
    JitIsValue is_value;
    void *ctx;
    Cell *out;
    int nmarks; /* line markers placed so far (each has its own name) */
} Splitter;

/* ---- nodes ---- */

/* The node's type name. */
static const char *ty(TSNode n) { return ts_node_type(n); }
static bool is(TSNode n, const char *type) { return strcmp(ts_node_type(n), type) == 0; }

/* The node's text, trailing whitespace removed (malloc'd). */
static char *text_of(const Splitter *sp, TSNode n) {
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    while (b > a && isspace((unsigned char)sp->src[b - 1])) b--;
    return jit_strndup(sp->src + a, b - a);
}

/* Text between two byte offsets (malloc'd). */
static char *text_range(const Splitter *sp, uint32_t a, uint32_t b) {
    return jit_strndup(sp->src + a, b > a ? b - a : 0);
}

static int line_of(TSNode n) { return (int)ts_node_start_point(n).row + 1; }

/* The child of n in field name (a null node if none). */
static TSNode field(TSNode n, const char *name) {
    return ts_node_child_by_field_name(n, name, (uint32_t)strlen(name));
}

/* The field name of the i-th child of n, or NULL (walked with a cursor: Debian's tree-sitter
   0.20 answers ts_node_field_name_for_child wrongly for repeated fields). */
static const char *field_name_of(TSNode n, uint32_t i) {
    TSTreeCursor c = ts_tree_cursor_new(n);
    const char *name = NULL;
    if (ts_tree_cursor_goto_first_child(&c)) {
        uint32_t j = 0;
        while (j < i && ts_tree_cursor_goto_next_sibling(&c)) j++;
        if (j == i) name = ts_tree_cursor_current_field_name(&c);
    }
    ts_tree_cursor_delete(&c);
    return name;
}

/* The identifier a declarator declares (through pointers, arrays, parentheses), or a null
   node. */
static TSNode declarator_name(TSNode d) {
    while (!ts_node_is_null(d)) {
        const char *t = ty(d);
        if (!strcmp(t, "identifier") || !strcmp(t, "type_identifier") ||
            !strcmp(t, "field_identifier"))
            return d;
        TSNode inner = field(d, "declarator");
        if (ts_node_is_null(inner) && ts_node_named_child_count(d) > 0)
            inner = ts_node_named_child(d, 0);
        d = inner;
    }
    return d;
}

/* The declarator right around the name, parentheses skipped: tells a function from a pointer
   to one ("*f(int)" declares a function, "(*f)(int)" a pointer). */
static TSNode name_parent(TSNode name) {
    TSNode p = ts_node_parent(name);
    while (!ts_node_is_null(p) && is(p, "parenthesized_declarator")) p = ts_node_parent(p);
    return p;
}

/* ---- items ---- */

/* A new item of kind at node n, appended to the cell. */
static Item *add_item(Splitter *sp, ItemKind kind, TSNode n) {
    Cell *c = sp->out;
    c->items = jit_xrealloc(c->items, sizeof(Item) * (size_t)(c->n + 1));
    Item *it = &c->items[c->n++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    it->cell_no = sp->cell_no;
    it->line = line_of(n);
    return it;
}

/* Records that the item defines name in space. */
static void add_key(Item *it, KeySpace space, const char *name) {
    it->keys = jit_xrealloc(it->keys, sizeof(ItemKey) * (size_t)(it->nkeys + 1));
    it->keys[it->nkeys].space = space;
    it->keys[it->nkeys].name = jit_strdup(name);
    it->nkeys++;
}

/* Records every identifier under n as used by the item (for ordering the prelude). */
static void collect_uses(const Splitter *sp, Item *it, TSNode n) {
    const char *t = ty(n);
    if (!strcmp(t, "identifier") || !strcmp(t, "type_identifier")) {
        char *name = text_of(sp, n);
        for (int i = 0; i < it->nuses; i++) {
            if (!strcmp(it->uses[i], name)) {
                free(name);
                return;
            }
        }
        it->uses = jit_xrealloc(it->uses, sizeof(char *) * (size_t)(it->nuses + 1));
        it->uses[it->nuses++] = name;
        return;
    }
    uint32_t k = ts_node_child_count(n);
    for (uint32_t i = 0; i < k; i++) collect_uses(sp, it, ts_node_child(n, i));
}

/* Blanks the storage classes a notebook global must not keep (static hides it from later
   cells; inline would leave no definition) in text, which starts at byte base. */
static void blank_storage(const Splitter *sp, TSNode n, uint32_t base, char *text) {
    uint32_t k = ts_node_child_count(n);
    for (uint32_t i = 0; i < k; i++) {
        TSNode c = ts_node_child(n, i);
        if (!is(c, "storage_class_specifier")) continue;
        uint32_t a = ts_node_start_byte(c), b = ts_node_end_byte(c);
        const char *w = sp->src + a;
        if ((b - a == 6 && !strncmp(w, "static", 6)) || (b - a == 6 && !strncmp(w, "inline", 6)))
            memset(text + (a - base), ' ', b - a);
    }
}

/* Whether a declaration has the storage class word. */
static bool has_storage(const Splitter *sp, TSNode n, const char *word) {
    uint32_t k = ts_node_child_count(n);
    for (uint32_t i = 0; i < k; i++) {
        TSNode c = ts_node_child(n, i);
        if (!is(c, "storage_class_specifier")) continue;
        uint32_t a = ts_node_start_byte(c), b = ts_node_end_byte(c);
        if (b - a == strlen(word) && !strncmp(sp->src + a, word, b - a)) return true;
    }
    return false;
}

/* Collapses runs of whitespace to one space and trims (in place). */
static char *squeeze(char *s) {
    char *w = s;
    bool space = false;
    for (char *r = s; *r; r++) {
        if (isspace((unsigned char)*r)) {
            space = w != s;
            continue;
        }
        if (space) *w++ = ' ';
        space = false;
        *w++ = *r;
    }
    *w = '\0';
    return s;
}

/* text with the byte range [a, b) (offsets into text) replaced by with (malloc'd). */
static char *splice(const char *text, size_t a, size_t b, const char *with) {
    StrBuf sb = {0};
    sb_add(&sb, text, a);
    sb_puts(&sb, with);
    sb_puts(&sb, text + b);
    return sb_take(&sb);
}

/* Records the fields of a struct or union body on a type item. */
static void collect_fields(const Splitter *sp, Item *it, TSNode body) {
    uint32_t k = ts_node_named_child_count(body);
    for (uint32_t i = 0; i < k; i++) {
        TSNode fd = ts_node_named_child(body, i);
        if (!is(fd, "field_declaration")) continue;
        TSNode type = field(fd, "type");
        if (ts_node_is_null(type)) continue;
        uint32_t nk = ts_node_child_count(fd);
        for (uint32_t j = 0; j < nk; j++) {
            const char *f = field_name_of(fd, j);
            if (!f || strcmp(f, "declarator")) continue;
            TSNode d = ts_node_child(fd, j);
            TSNode name = declarator_name(d);
            if (ts_node_is_null(name)) continue;
            char *dtext = text_of(sp, d);
            uint32_t off = ts_node_start_byte(name) - ts_node_start_byte(d);
            char *abstract = splice(dtext, off, off + (ts_node_end_byte(name) -
                                                       ts_node_start_byte(name)), "");
            char *spec = text_range(sp, ts_node_start_byte(fd), ts_node_start_byte(type));
            char *tt = text_of(sp, type);
            StrBuf t = {0};
            sb_printf(&t, "%s %s %s", spec, tt, abstract);
            it->fields = jit_xrealloc(it->fields, sizeof(char *) * (size_t)(it->nfields + 1));
            it->field_types =
                jit_xrealloc(it->field_types, sizeof(char *) * (size_t)(it->nfields + 1));
            it->fields[it->nfields] = text_of(sp, name);
            it->field_types[it->nfields] = squeeze(sb_take(&t));
            it->nfields++;
            free(dtext);
            free(abstract);
            free(spec);
            free(tt);
        }
    }
}

/* Keys (tag, enumerators) and fields a struct/union/enum specifier with a body defines. */
static void specifier_keys(const Splitter *sp, Item *it, TSNode spec, const char *spelled) {
    TSNode name = field(spec, "name");
    TSNode body = field(spec, "body");
    if (!ts_node_is_null(name)) {
        char *tag = text_of(sp, name);
        add_key(it, KEY_TAG, tag);
        free(tag);
    }
    if (ts_node_is_null(body)) return;
    if (is(spec, "enum_specifier")) {
        uint32_t k = ts_node_named_child_count(body);
        for (uint32_t i = 0; i < k; i++) {
            TSNode e = ts_node_named_child(body, i);
            if (!is(e, "enumerator")) continue;
            char *en = text_of(sp, field(e, "name"));
            add_key(it, KEY_ORDINARY, en);
            free(en);
        }
        return;
    }
    if (spelled && !it->struct_name) {
        it->struct_name = jit_strdup(spelled);
        collect_fields(sp, it, body);
    }
}

/* How a tagged specifier is spelled ("struct P"), or NULL when it has no tag. */
static char *spelled_tag(const Splitter *sp, TSNode spec) {
    TSNode name = field(spec, "name");
    if (ts_node_is_null(name)) return NULL;
    const char *word = is(spec, "struct_specifier") ? "struct"
                       : is(spec, "union_specifier") ? "union" : "enum";
    char *tag = text_of(sp, name);
    StrBuf b = {0};
    sb_printf(&b, "%s %s", word, tag);
    free(tag);
    return sb_take(&b);
}

/* Whether n is a struct, union or enum specifier. */
static bool is_tagged_type(TSNode n) {
    return is(n, "struct_specifier") || is(n, "union_specifier") || is(n, "enum_specifier");
}

/* A struct/union/enum written at file scope on its own ("struct P {...};"). */
static void split_specifier(Splitter *sp, TSNode n) {
    bool body = !ts_node_is_null(field(n, "body"));
    Item *it = add_item(sp, body ? ITEM_TYPE : ITEM_RAW, n);
    char *t = text_of(sp, n);
    StrBuf b = {0};
    sb_printf(&b, "%s;", t);
    free(t);
    it->text = sb_take(&b);
    it->prelude = jit_strdup(it->text);
    if (body) {
        char *spelled = spelled_tag(sp, n);
        specifier_keys(sp, it, n, spelled);
        it->name = spelled;
    }
    collect_uses(sp, it, n);
}

/* typedef ...; : every declared name, plus the tag and fields of a struct it defines. */
static void split_typedef(Splitter *sp, TSNode n) {
    Item *it = add_item(sp, ITEM_TYPE, n);
    it->text = text_of(sp, n);
    it->prelude = jit_strdup(it->text);
    TSNode type = field(n, "type");
    uint32_t k = ts_node_child_count(n);
    char *first = NULL;
    bool plain_first = false;
    for (uint32_t i = 0; i < k; i++) {
        const char *f = field_name_of(n, i);
        if (!f || strcmp(f, "declarator")) continue;
        TSNode d = ts_node_child(n, i);
        TSNode name = declarator_name(d);
        if (ts_node_is_null(name)) continue;
        char *nm = text_of(sp, name);
        add_key(it, KEY_ORDINARY, nm);
        if (!first) {
            first = jit_strdup(nm);
            plain_first = is(d, "type_identifier");
        }
        free(nm);
    }
    it->name = first;
    if (!ts_node_is_null(type) && is_tagged_type(type))
        specifier_keys(sp, it, type, plain_first ? first : NULL);
    collect_uses(sp, it, n);
}

/* Whether a function definition really defines a function: "T_CATCH(e) { ... }" (a macro
   making a statement) parses as one with a parenthesised declarator. */
static bool is_real_function(TSNode n) {
    TSNode d = field(n, "declarator");
    while (!ts_node_is_null(d) && is(d, "pointer_declarator")) d = field(d, "declarator");
    return !ts_node_is_null(d) && is(d, "function_declarator");
}

/* A function definition: compiled as written (less static/inline), a prototype for later. */
static void split_function(Splitter *sp, TSNode n) {
    Item *it = add_item(sp, ITEM_FUNCTION, n);
    uint32_t base = ts_node_start_byte(n);
    it->text = text_of(sp, n);
    blank_storage(sp, n, base, it->text);
    TSNode body = field(n, "body");
    TSNode decl = field(n, "declarator");
    TSNode type = field(n, "type");
    uint32_t head_end = ts_node_is_null(body) ? ts_node_end_byte(n) : ts_node_start_byte(body);
    if (!ts_node_is_null(body))
        it->marked = marks_insert(sp->src, &body, base, it->text, &sp->nmarks);
    char *head = jit_strndup(it->text, head_end - base);
    StrBuf b = {0};
    sb_printf(&b, "%s;", squeeze(head));
    free(head);
    it->prelude = sb_take(&b);
    TSNode name = declarator_name(decl);
    if (!ts_node_is_null(name)) {
        it->name = text_of(sp, name);
        add_key(it, KEY_ORDINARY, it->name);
    }
    if (!ts_node_is_null(type)) {
        it->type = text_of(sp, type);
        collect_uses(sp, it, type);
    }
    /* the body is not in later cells' prelude: only the head orders it */
    if (!ts_node_is_null(decl)) collect_uses(sp, it, decl);
}

/* The element count of an array initialiser, as C text: sizeof for strings, the number of
   elements for a list. */
static char *array_size(const Splitter *sp, TSNode value) {
    StrBuf b = {0};
    if (is(value, "string_literal") || is(value, "concatenated_string")) {
        char *v = text_of(sp, value);
        sb_printf(&b, "sizeof(%s)", v);
        free(v);
    } else {
        uint32_t k = ts_node_named_child_count(value), count = 0;
        for (uint32_t i = 0; i < k; i++)
            if (!is(ts_node_named_child(value, i), "comment")) count++;
        sb_printf(&b, "%u", count ? count : 1);
    }
    return sb_take(&b);
}

/* One declarator of a global declaration: the global's definition, extern declaration, type
   and runtime initialiser. spec is the declaration's specifiers as text. */
static void split_global(Splitter *sp, TSNode n, TSNode d, const char *spec) {
    TSNode decl = d, value = {0};
    bool has_value = false;
    if (is(d, "init_declarator")) {
        decl = field(d, "declarator");
        value = field(d, "value");
        has_value = !ts_node_is_null(value);
    }
    TSNode name = declarator_name(decl);
    if (ts_node_is_null(name)) return;
    TSNode parent = name_parent(name);
    bool is_function = !ts_node_is_null(parent) && is(parent, "function_declarator") &&
                       !has_value;
    Item *it = add_item(sp, is_function ? ITEM_PROTOTYPE : ITEM_GLOBAL, n);
    it->name = text_of(sp, name);
    add_key(it, KEY_ORDINARY, it->name);
    /* the initialiser runs in the body: only the type and declarator order the prelude */
    TSNode type = field(n, "type");
    if (!ts_node_is_null(type)) collect_uses(sp, it, type);
    collect_uses(sp, it, decl);
    uint32_t dbase = ts_node_start_byte(decl);
    char *dtext = text_of(sp, decl);
    size_t na = ts_node_start_byte(name) - dbase, nb = ts_node_end_byte(name) - dbase;
    if (is_function) {
        StrBuf b = {0};
        sb_printf(&b, "%s %s;", spec, dtext);
        it->text = squeeze(sb_take(&b));
        it->prelude = jit_strdup(it->text);
        free(dtext);
        return;
    }
    /* An array of unspecified size keeps the size its initialiser gives it. */
    char *sized = jit_strdup(dtext);
    if (has_value && !ts_node_is_null(parent) && is(parent, "array_declarator") &&
        ts_node_is_null(field(parent, "size"))) {
        uint32_t k = ts_node_child_count(parent);
        for (uint32_t i = 0; i < k; i++) {
            TSNode c = ts_node_child(parent, i);
            if (!is(c, "[")) continue;
            size_t at = ts_node_end_byte(c) - dbase;
            char *size = array_size(sp, value);
            free(sized);
            sized = splice(dtext, at, at, size);
            free(size);
            break;
        }
    }
    StrBuf b = {0};
    sb_printf(&b, "%s %s;", spec, sized);
    it->text = sb_take(&b);
    /* Hidden: TinyCC then addresses it directly (cells' data all lies in one arena) rather
       than through its GOT, whose loads of doubles mix badly with int operands. glibc's
       headers define __attribute__ away for TinyCC, so the short spelling is used. */
    sb_printf(&b, "extern %s %s __attribute((visibility(\"hidden\")));", spec, sized);
    it->prelude = squeeze(sb_take(&b));
    char *abstract = splice(dtext, na, nb, "");
    sb_printf(&b, "%s %s", spec, abstract);
    it->type = squeeze(sb_take(&b));
    free(abstract);
    if (has_value) {
        char *tmp = splice(dtext, na, nb, "__ct_tmp");
        char *v = text_of(sp, value);
        sb_printf(&b, "{ %s %s = %s; __ct_memcpy((void *)&%s, (const void *)&__ct_tmp, "
                      "sizeof %s); }",
                  spec, tmp, v, it->name, it->name);
        it->init = sb_take(&b);
        free(tmp);
        free(v);
    }
    free(sized);
    free(dtext);
}

/* Whether a declaration is really an expression statement that reads as one ("a * b;"
   declares b as a pointer to type a, unless a is a variable the program knows). */
static bool declaration_is_expression(const Splitter *sp, TSNode n) {
    TSNode type = field(n, "type");
    if (ts_node_is_null(type) || !is(type, "type_identifier")) return false;
    char *name = text_of(sp, type);
    bool value = sp->is_value && sp->is_value(sp->ctx, name);
    /* names this cell declared above count too */
    for (int i = 0; i < sp->out->n && !value; i++) {
        const Item *it = &sp->out->items[i];
        if ((it->kind == ITEM_GLOBAL || it->kind == ITEM_FUNCTION) && it->name &&
            !strcmp(it->name, name))
            value = true;
    }
    free(name);
    return value;
}

/* A declaration at file scope: globals, prototypes, or a user's extern declarations. */
static void split_declaration(Splitter *sp, TSNode n) {
    if (has_storage(sp, n, "extern")) {
        Item *it = add_item(sp, ITEM_EXTERN, n);
        it->text = text_of(sp, n);
        it->prelude = jit_strdup(it->text);
        uint32_t k = ts_node_child_count(n);
        for (uint32_t i = 0; i < k; i++) {
            const char *f = field_name_of(n, i);
            if (!f || strcmp(f, "declarator")) continue;
            TSNode name = declarator_name(ts_node_child(n, i));
            if (ts_node_is_null(name)) continue;
            char *nm = text_of(sp, name);
            add_key(it, KEY_ORDINARY, nm);
            if (!it->name) it->name = jit_strdup(nm);
            free(nm);
        }
        collect_uses(sp, it, n);
        return;
    }
    TSNode type = field(n, "type");
    uint32_t base = ts_node_start_byte(n);
    uint32_t first_decl = ts_node_end_byte(n);
    uint32_t k = ts_node_child_count(n);
    for (uint32_t i = 0; i < k; i++) {
        const char *f = field_name_of(n, i);
        if (f && !strcmp(f, "declarator")) {
            first_decl = ts_node_start_byte(ts_node_child(n, i));
            break;
        }
    }
    char *spec = text_range(sp, base, first_decl);
    blank_storage(sp, n, base, spec);
    /* A struct defined in the declaration becomes a type item of its own. */
    if (!ts_node_is_null(type) && is_tagged_type(type) && !ts_node_is_null(field(type, "body"))) {
        char *spelled = spelled_tag(sp, type);
        if (spelled) {
            split_specifier(sp, type);
            size_t a = ts_node_start_byte(type) - base, b = ts_node_end_byte(type) - base;
            char *s2 = splice(spec, a, b, spelled);
            free(spec);
            spec = s2;
            free(spelled);
        }
    }
    squeeze(spec);
    for (uint32_t i = 0; i < k; i++) {
        const char *f = field_name_of(n, i);
        if (f && !strcmp(f, "declarator")) split_global(sp, n, ts_node_child(n, i), spec);
    }
    free(spec);
}

/* Code that runs in the cell's body. */
static void split_statement(Splitter *sp, TSNode n, ItemKind kind) {
    Item *it = add_item(sp, kind, n);
    it->text = text_of(sp, n);
    if (kind == ITEM_RESULT) {
        /* the expression without the ';' the splitter added */
        size_t len = strlen(it->text);
        while (len && (it->text[len - 1] == ';' || isspace((unsigned char)it->text[len - 1])))
            it->text[--len] = '\0';
    }
}

/* A preprocessor line or block. */
static void split_preproc(Splitter *sp, TSNode n) {
    const char *t = ty(n);
    if (!strcmp(t, "preproc_include")) {
        Item *it = add_item(sp, ITEM_INCLUDE, n);
        it->text = text_of(sp, n);
        it->prelude = jit_strdup(it->text);
        return;
    }
    if (!strcmp(t, "preproc_def") || !strcmp(t, "preproc_function_def")) {
        Item *it = add_item(sp, ITEM_MACRO, n);
        it->text = text_of(sp, n);
        it->prelude = jit_strdup(it->text);
        it->name = text_of(sp, field(n, "name"));
        add_key(it, KEY_MACRO, it->name);
        collect_uses(sp, it, n);
        return;
    }
    if (!strcmp(t, "preproc_call")) {
        char *dir = text_of(sp, field(n, "directive"));
        Item *it = add_item(sp, ITEM_MACRO, n);
        it->text = text_of(sp, n);
        if (!strcmp(dir, "#undef")) {
            /* "#undef N" replaces N's definition: later cells see neither */
            TSNode arg = field(n, "argument");
            if (!ts_node_is_null(arg)) {
                char *a = text_of(sp, arg);
                add_key(it, KEY_MACRO, squeeze(a));
                free(a);
            }
        } else {
            it->kind = ITEM_RAW;
            it->prelude = jit_strdup(it->text);
        }
        free(dir);
        return;
    }
    /* #if / #ifdef blocks: compiled in their cell only. */
    Item *it = add_item(sp, ITEM_RAW, n);
    it->text = text_of(sp, n);
}

/* One top-level node; `result` when it is the cell's final expression without ';'. */
static void split_node(Splitter *sp, TSNode n, bool result) {
    const char *t = ty(n);
    if (!strcmp(t, "comment") || !strcmp(t, ";")) return;
    if (!strncmp(t, "preproc_", 8)) {
        split_preproc(sp, n);
    } else if (!strcmp(t, "function_definition") && is_real_function(n)) {
        split_function(sp, n);
    } else if (!strcmp(t, "type_definition")) {
        split_typedef(sp, n);
    } else if (is_tagged_type(n)) {
        split_specifier(sp, n);
    } else if (!strcmp(t, "declaration") && !declaration_is_expression(sp, n)) {
        split_declaration(sp, n);
    } else {
        split_statement(sp, n, result ? ITEM_RESULT : ITEM_STATEMENT);
        /* "T_CATCH(e) { ... }" continues the statement a macro started before it */
        if (!strcmp(t, "function_definition")) sp->out->items[sp->out->n - 1].joins = true;
    }
}

/* Whether n is a lone ';' (what follows an expression the grammar does not take at file
   scope, such as "x + 1;"). */
static bool is_lone_semicolon(const Splitter *sp, TSNode n) {
    return is(n, "expression_statement") && ts_node_named_child_count(n) == 0 &&
           ts_node_end_byte(n) - ts_node_start_byte(n) == 1 &&
           sp->src[ts_node_start_byte(n)] == ';';
}

/* Whether a top-level node counts: comments and the zero-width nodes tree-sitter inserts for
   what is missing do not. */
static bool counts(TSNode n) {
    return !is(n, "comment") && ts_node_end_byte(n) > ts_node_start_byte(n);
}

/* Whether n is the last top-level node that counts. */
static bool is_last(TSNode root, uint32_t i) {
    uint32_t k = ts_node_child_count(root);
    for (uint32_t j = i + 1; j < k; j++)
        if (counts(ts_node_child(root, j))) return false;
    return true;
}

/* Whether an item's text ends a statement (with ';' or a closing brace). */
static bool ends_statement(const char *text) {
    size_t n = strlen(text);
    return n && (text[n - 1] == ';' || text[n - 1] == '}');
}

/* Marks the newest item as continuing the statement before it, when that one is unfinished
   (a macro such as T_TRY that the grammar cannot read as a statement). */
static void mark_join(Cell *c) {
    if (c->n < 2) return;
    Item *it = &c->items[c->n - 1], *prev = &c->items[c->n - 2];
    if (it->kind == ITEM_STATEMENT && prev->kind == ITEM_STATEMENT && !ends_statement(prev->text))
        it->joins = true;
}

/* Parses src as C, with options arguments masked (the tree's offsets are src's). */
static TSTree *parse(const char *src, size_t len) {
    static TSParser *parser; /* the cell compiler runs on one thread */
    if (!parser) {
        parser = ts_parser_new();
        ts_parser_set_language(parser, tree_sitter_c());
    }
    char *masked = mask_options(src, len);
    TSTree *tree = ts_parser_parse_string(parser, NULL, masked, (uint32_t)len);
    free(masked);
    return tree;
}

/* Whether a node that did not parse ends without ';' (an expression statement missing one). */
static bool lacks_semicolon(TSNode n) {
    uint32_t k = ts_node_child_count(n);
    return k && ts_node_is_missing(ts_node_child(n, k - 1));
}

/* Splits a cell: file-scope items, statements, and the result expression if any. */
void split_cell(const char *code, int cell_no, JitIsValue is_value, void *ctx, Cell *out) {
    memset(out, 0, sizeof *out);
    TSTree *tree = parse(code, strlen(code));
    Splitter sp = {.src = code, .cell_no = cell_no, .is_value = is_value, .ctx = ctx,
                   .out = out};
    TSNode root = ts_tree_root_node(tree);
    uint32_t k = ts_node_child_count(root);
    for (uint32_t i = 0; i < k; i++) {
        TSNode c = ts_node_child(root, i);
        if (!counts(c)) continue;
        bool last = is_last(root, i);
        if (is(c, "ERROR") && i + 1 < k && is_lone_semicolon(&sp, ts_node_child(root, i + 1))) {
            /* an expression the file-scope grammar does not take ("x + 1;") */
            Item *it = add_item(&sp, ITEM_STATEMENT, c);
            uint32_t a = ts_node_start_byte(c), b = ts_node_end_byte(ts_node_child(root, i + 1));
            it->text = text_range(&sp, a, b);
            mark_join(out);
            i++;
            continue;
        }
        if (is(c, "declaration") && ts_node_has_error(c) && !last) {
            /* left as written, for the compiler to say what is wrong with it */
            split_statement(&sp, c, ITEM_STATEMENT);
            continue;
        }
        /* the final expression has no ';' */
        char *text = text_of(&sp, c);
        bool result = last && (is(c, "ERROR") || lacks_semicolon(c) || !ends_statement(text));
        free(text);
        split_node(&sp, c, result);
        mark_join(out);
    }
    ts_tree_delete(tree);
}

/* Frees what an item holds. */
void item_free(Item *it) {
    free(it->text);
    free(it->marked);
    free(it->prelude);
    free(it->init);
    free(it->name);
    free(it->type);
    for (int i = 0; i < it->nkeys; i++) free(it->keys[i].name);
    free(it->keys);
    for (int i = 0; i < it->nuses; i++) free(it->uses[i]);
    free(it->uses);
    free(it->struct_name);
    for (int i = 0; i < it->nfields; i++) {
        free(it->fields[i]);
        free(it->field_types[i]);
    }
    free(it->fields);
    free(it->field_types);
    memset(it, 0, sizeof *it);
}

/* Frees a split cell. */
void cell_free(Cell *c) {
    for (int i = 0; i < c->n; i++) item_free(&c->items[i]);
    free(c->items);
    memset(c, 0, sizeof *c);
}

/* A copy of an array of n strings. */
static char **copy_strings(char **s, int n) {
    if (!n) return NULL;
    char **d = jit_xmalloc(sizeof(char *) * (size_t)n);
    for (int i = 0; i < n; i++) d[i] = jit_strdup(s[i]);
    return d;
}

/* A deep copy of an item. */
Item item_copy(const Item *it) {
    Item c = *it;
    c.text = jit_strdup(it->text);
    c.marked = jit_strdup(it->marked);
    c.prelude = jit_strdup(it->prelude);
    c.init = jit_strdup(it->init);
    c.name = jit_strdup(it->name);
    c.type = jit_strdup(it->type);
    c.keys = it->nkeys ? jit_xmalloc(sizeof(ItemKey) * (size_t)it->nkeys) : NULL;
    for (int i = 0; i < it->nkeys; i++) {
        c.keys[i].space = it->keys[i].space;
        c.keys[i].name = jit_strdup(it->keys[i].name);
    }
    c.uses = copy_strings(it->uses, it->nuses);
    c.struct_name = jit_strdup(it->struct_name);
    c.fields = copy_strings(it->fields, it->nfields);
    c.field_types = copy_strings(it->field_types, it->nfields);
    return c;
}

/* Whether a and b define a name in the same name space. */
bool item_keys_overlap(const Item *a, const Item *b) {
    for (int i = 0; i < a->nkeys; i++)
        for (int j = 0; j < b->nkeys; j++)
            if (a->keys[i].space == b->keys[j].space && !strcmp(a->keys[i].name, b->keys[j].name))
                return true;
    return false;
}

/* Descends into the blocks a header wraps its declarations in (include guards, extern "C"). */
static void split_nested(Splitter *sp, TSNode n) {
    uint32_t k = ts_node_child_count(n);
    for (uint32_t i = 0; i < k; i++) {
        TSNode c = ts_node_child(n, i);
        const char *t = ty(c);
        if (!strcmp(t, "preproc_ifdef") || !strcmp(t, "preproc_if") ||
            !strcmp(t, "preproc_else") || !strcmp(t, "linkage_specification") ||
            !strcmp(t, "declaration_list"))
            split_nested(sp, c);
        else if (ts_node_is_named(c))
            split_node(sp, c, false);
    }
}

/* Splits a header (include guards and extern "C" opened). */
void split_header(const char *src, Cell *out) {
    memset(out, 0, sizeof *out);
    TSTree *tree = parse(src, strlen(src));
    Splitter sp = {.src = src, .cell_no = 0, .out = out};
    split_nested(&sp, ts_tree_root_node(tree));
    ts_tree_delete(tree);
}
