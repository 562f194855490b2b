/*
 * complete.c — what a front end asks while the user types: is the cell complete, what can
 * complete the word at the cursor, and what is the name under it.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <tree_sitter/api.h>

#include "jit_internal.h"

/* Spaces per nesting level in the indent suggested for the next line. */
enum { INDENT_WIDTH = 4, INDENT_MAX = 64 };

static const char *const C_KEYWORDS[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
    "union", "unsigned", "void", "volatile", "while", "_Bool", "_Generic", "_Static_assert",
    "bool", "true", "false", "NULL", "#include", "#define"};

static bool is_ident(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* What scanning code found: bracket depth, an unclosed comment or string, a trailing '\'. */
typedef struct Scan {
    int depth;
    bool negative;
    bool open_comment;
    bool open_string;
    bool continued;
} Scan;

/* Scans code for balance outside comments, strings and character constants. */
static Scan scan(const char *code) {
    Scan s = {0};
    const char *p = code;
    while (*p) {
        if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            if (!end) {
                s.open_comment = true;
                return s;
            }
            p = end + 2;
        } else if (p[0] == '/' && p[1] == '/') {
            while (*p && *p != '\n') p++;
        } else if (*p == '"' || *p == '\'') {
            char q = *p++;
            while (*p && *p != q && *p != '\n') p += p[0] == '\\' && p[1] ? 2 : 1;
            if (*p != q) {
                s.open_string = true;
                return s;
            }
            p++;
        } else {
            if (strchr("({[", *p)) s.depth++;
            if (strchr(")}]", *p) && --s.depth < 0) s.negative = true;
            p++;
        }
    }
    size_t n = strlen(code);
    while (n && (code[n - 1] == ' ' || code[n - 1] == '\t')) n--;
    s.continued = n && code[n - 1] == '\\';
    return s;
}

/* Whether the code ends with a control statement still waiting for its body. */
static bool waits_for_body(const char *code) {
    size_t n = strlen(code);
    while (n && isspace((unsigned char)code[n - 1])) n--;
    static const char *const WORDS[] = {"else", "do"};
    for (size_t i = 0; i < sizeof WORDS / sizeof WORDS[0]; i++) {
        size_t w = strlen(WORDS[i]);
        if (n >= w && !strncmp(code + n - w, WORDS[i], w) && (n == w || !is_ident(code[n - w - 1])))
            return true;
    }
    if (!n || code[n - 1] != ')') return false;
    /* the matching '(' and the word before it */
    int depth = 0;
    size_t i = n;
    while (i-- > 0) {
        if (code[i] == ')') depth++;
        if (code[i] == '(' && --depth == 0) break;
    }
    if (i == (size_t)-1) return false;
    while (i && isspace((unsigned char)code[i - 1])) i--;
    size_t e = i;
    while (i && is_ident(code[i - 1])) i--;
    size_t len = e - i;
    static const char *const HEADS[] = {"if", "for", "while", "switch"};
    for (size_t h = 0; h < sizeof HEADS / sizeof HEADS[0]; h++)
        if (len == strlen(HEADS[h]) && !strncmp(code + i, HEADS[h], len)) return true;
    return false;
}

/* Jupyter's is_complete: open brackets, comments or bodies wait for more lines. */
const char *jit_is_complete(Jit *jit, const char *code, const char **indent) {
    static char spaces[INDENT_MAX + 1];
    *indent = "";
    const char *p = code;
    while (isspace((unsigned char)*p)) p++;
    if (*p == '%' && p[1] == '%') return strchr(p, '\n') ? "complete" : "incomplete";
    if (*p == '%' || *p == '?') return "complete";
    Scan s = scan(code);
    if (s.negative) return "invalid";
    if (s.open_string) return "invalid";
    if (s.open_comment || s.continued) return "incomplete";
    if (s.depth > 0) {
        int w = s.depth * INDENT_WIDTH;
        if (w > INDENT_MAX) w = INDENT_MAX;
        memset(spaces, ' ', (size_t)w);
        spaces[w] = '\0';
        *indent = spaces;
        return "incomplete";
    }
    if (waits_for_body(code)) {
        memset(spaces, ' ', INDENT_WIDTH);
        spaces[INDENT_WIDTH] = '\0';
        *indent = spaces;
        return "incomplete";
    }
    /* balanced: the splitter runs what it can, and the compiler explains the rest */
    Cell c;
    split_cell(code, 0, program_is_value, jit, &c);
    bool bad = false;
    for (int i = 0; i < c.n; i++)
        if (c.items[i].kind == ITEM_STATEMENT && c.items[i].text &&
            strpbrk(c.items[i].text, "{};") == NULL && i != c.n - 1)
            bad = true;
    cell_free(&c);
    return bad ? "invalid" : "complete";
}

/* ---- completion ---- */

typedef struct Matches {
    char **s;
    int n;
} Matches;

/* Adds name if it starts with prefix and is not there yet. */
static void add_match(Matches *m, const char *name, const char *prefix, size_t plen) {
    if (strncmp(name, prefix, plen)) return;
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->s[i], name)) return;
    m->s = jit_xrealloc(m->s, sizeof(char *) * (size_t)(m->n + 1));
    m->s[m->n++] = jit_strdup(name);
}

/* qsort order of strings. */
static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The struct a type written as text names ("const struct P *" -> "struct P"), malloc'd. */
static char *base_type(const char *type) {
    StrBuf b = {0};
    char *t = jit_strdup(type);
    for (char *save, *w = strtok_r(t, " *\t", &save); w; w = strtok_r(NULL, " *\t", &save)) {
        if (!strcmp(w, "const") || !strcmp(w, "volatile")) continue;
        if (b.len) sb_puts(&b, " ");
        sb_puts(&b, w);
        if (strcmp(w, "struct") && strcmp(w, "union")) break;
    }
    free(t);
    return sb_take(&b);
}

/* The type of variable `name` as text: declared in the cell so far, or by an earlier cell. */
static char *type_of(Jit *jit, const char *code, size_t upto, const char *name) {
    char *head = jit_strndup(code, upto);
    Cell c;
    split_cell(head, 0, program_is_value, jit, &c);
    char *type = NULL;
    for (int i = c.n; i-- > 0 && !type;)
        if (c.items[i].kind == ITEM_GLOBAL && !strcmp(c.items[i].name, name))
            type = jit_strdup(c.items[i].type);
    cell_free(&c);
    free(head);
    for (int i = jit->nitems; i-- > 0 && !type;)
        if (jit->items[i].kind == ITEM_GLOBAL && !strcmp(jit->items[i].name, name))
            type = jit_strdup(jit->items[i].type);
    return type;
}

/* Members of the struct the expression before "." or "->" at `dot` has, into m. */
static void member_matches(Jit *jit, const char *code, size_t dot, const char *prefix,
                           size_t plen, Matches *m) {
    size_t e = dot;
    while (e && isspace((unsigned char)code[e - 1])) e--;
    size_t s = e;
    while (s && is_ident(code[s - 1])) s--;
    if (s == e) return;
    char *var = jit_strndup(code + s, e - s);
    char *type = type_of(jit, code, s, var);
    if (type) {
        char *base = base_type(type);
        const Item *st = help_struct(jit, base);
        for (int i = 0; st && i < st->nfields; i++) add_match(m, st->fields[i], prefix, plen);
        free(base);
    }
    free(type);
    free(var);
}

/* Completions for the word before the cursor: members after . or ->, else names. */
char **jit_complete(Jit *jit, const char *code, int cursor, int *n, int *start, int *end) {
    size_t len = strlen(code);
    size_t cur = cursor < 0 ? 0 : (size_t)cursor > len ? len : (size_t)cursor;
    size_t s = cur;
    while (s && is_ident(code[s - 1])) s--;
    if (s && code[s - 1] == '#') s--;
    char *prefix = jit_strndup(code + s, cur - s);
    size_t plen = strlen(prefix);
    Matches m = {0};
    *start = (int)s;
    *end = (int)cur;
    bool member = (s >= 1 && code[s - 1] == '.') ||
                  (s >= 2 && code[s - 1] == '>' && code[s - 2] == '-');
    if (member) {
        member_matches(jit, code, code[s - 1] == '.' ? s - 1 : s - 2, prefix, plen, &m);
    } else if (plen) {
        for (size_t i = 0; i < sizeof C_KEYWORDS / sizeof C_KEYWORDS[0]; i++)
            add_match(&m, C_KEYWORDS[i], prefix, plen);
        int ne;
        const HelpEntry *e = help_entries(jit, &ne);
        for (int i = 0; i < ne; i++) add_match(&m, e[i].name, prefix, plen);
        for (int i = 0; i < jit->nitems; i++)
            for (int k = 0; k < jit->items[i].nkeys; k++)
                if (jit->items[i].keys[k].space != KEY_TAG)
                    add_match(&m, jit->items[i].keys[k].name, prefix, plen);
        /* names declared earlier in this same cell */
        Cell c;
        char *head = jit_strndup(code, s);
        split_cell(head, 0, program_is_value, jit, &c);
        for (int i = 0; i < c.n; i++)
            for (int k = 0; k < c.items[i].nkeys; k++)
                add_match(&m, c.items[i].keys[k].name, prefix, plen);
        cell_free(&c);
        free(head);
    }
    free(prefix);
    if (m.n) qsort(m.s, (size_t)m.n, sizeof(char *), cmp_str);
    *n = m.n;
    if (!m.s) m.s = jit_xmalloc(sizeof(char *));
    return m.s;
}

/* ---- inspection ---- */

char *jit_inspect(Jit *jit, const char *code, int cursor, int detail_level) {
    size_t len = strlen(code);
    size_t cur = cursor < 0 ? 0 : (size_t)cursor > len ? len : (size_t)cursor;
    size_t s = cur, e = cur;
    while (s && is_ident(code[s - 1])) s--;
    while (e < len && is_ident(code[e])) e++;
    if (s == e) {
        /* the cursor after "f(": the function being called */
        size_t p = s;
        while (p && (code[p - 1] == '(' || isspace((unsigned char)code[p - 1]))) p--;
        e = p;
        s = p;
        while (s && is_ident(code[s - 1])) s--;
        if (s == e) return NULL;
    }
    char *name = jit_strndup(code + s, e - s);
    StrBuf b = {0};
    const Item *it = program_find(jit, name);
    if (it) {
        if (it->kind == ITEM_GLOBAL) sb_printf(&b, "%s %s", it->type, it->name);
        else sb_puts(&b, detail_level > 0 || it->kind != ITEM_FUNCTION ? it->text : it->prelude);
        sb_printf(&b, "\n\nDefined in In[%d] line %d.", it->cell_no, it->line);
    } else {
        int ne;
        const HelpEntry *en = help_entries(jit, &ne);
        for (int i = 0; i < ne; i++) {
            if (strcmp(en[i].name, name)) continue;
            sb_puts(&b, en[i].signature);
            if (en[i].doc) sb_printf(&b, "\n\n%s", en[i].doc);
            break;
        }
    }
    free(name);
    if (!b.len) return NULL;
    return sb_take(&b);
}
