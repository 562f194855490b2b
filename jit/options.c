/*
 * options.c — makes ctorch's options idiom readable to tree-sitter's C grammar.
 *
 * Macros take designated initialisers as arguments (`optim_sgd(p, .lr = 0.01)`,
 * `nn_conv2d(1, 6, 5, .padding = 2)`, `nn_max_pool2d(x, .kernel = {2, 2})`): valid C once the
 * macro expands, but a syntax error to a parser that sees the call. The splitter parses a
 * masked copy instead: in a call's argument list, a designator's leading '.' becomes a space
 * and a braced value's braces become parentheses (`( lr = 0.01)`, `kernel = (2, 2)`), which
 * parse as expressions. Likewise macros that take a block (`T_TRY { } T_CATCH(e) { }`,
 * `T_NO_GRAD { }`: an all-capitals name, maybe with arguments, then '{' where a statement
 * starts) read as `if(1) { }` and, for T_CATCH, `else { }`. Every byte keeps its offset, so
 * nodes found in the copy name the same text in the original, which is what gets compiled.
 */
#include <ctype.h>
#include <string.h>

#include "jit_internal.h"

/* Brackets deeper than this are left as they are (no cell nests calls this far). */
enum { MASK_MAX_DEPTH = 256 };

/* What an open bracket is: a call's (or any) parentheses, an index, a block or initialiser
   list, or the braces of an option's value turned into parentheses. */
typedef enum Open { OPEN_PAREN, OPEN_INDEX, OPEN_BRACE, OPEN_VALUE } Open;

/* The block macro that continues the statement before it (it expands to "else ..."), and
   what block macros read as. */
static const char CATCH_MACRO[] = "T_CATCH";
static const char AS_ELSE[] = "else", AS_IF[] = "if(1)";

/* Whether c can start an identifier. */
static bool ident_start(char c) { return isalpha((unsigned char)c) || c == '_'; }

/* Skips a comment, string or character literal starting at s[i]; returns the index after
   it, or i when none starts there. */
static size_t skip_opaque(const char *s, size_t i, size_t n) {
    if (s[i] == '/' && i + 1 < n && s[i + 1] == '/') {
        while (i < n && s[i] != '\n') i++;
        return i;
    }
    if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
        i += 2;
        while (i + 1 < n && !(s[i] == '*' && s[i + 1] == '/')) i++;
        return i + 2 < n ? i + 2 : n;
    }
    if (s[i] == '"' || s[i] == '\'') {
        char q = s[i++];
        while (i < n && s[i] != q && s[i] != '\n') i += s[i] == '\\' ? 2 : 1;
        return i < n ? i + 1 : n;
    }
    return i;
}

/* Whether c is part of an identifier. */
static bool ident_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* The end of a block macro's head starting at s[i] (its name and arguments, up to the '{'
   it takes), or i when no block macro starts there. */
static size_t block_macro_end(const char *s, size_t i, size_t n) {
    size_t j = i;
    bool letter = false;
    while (j < n && (isupper((unsigned char)s[j]) || isdigit((unsigned char)s[j]) || s[j] == '_'))
        letter |= isupper((unsigned char)s[j++]) != 0;
    if (!letter || (j < n && ident_char(s[j]))) return i;
    size_t end = j;
    while (j < n && isspace((unsigned char)s[j])) j++;
    if (j < n && s[j] == '(') {
        int depth = 0;
        for (; j < n; j++) {
            depth += s[j] == '(' ? 1 : s[j] == ')' ? -1 : 0;
            if (!depth) break;
        }
        if (j >= n) return i;
        end = ++j;
        while (j < n && isspace((unsigned char)s[j])) j++;
    }
    return j < n && s[j] == '{' ? end : i;
}

/* Rewrites a block macro's head s[i, end) in m as `if(1)` or `else` (blank-padded); false
   when it is too short to hold them. */
static bool mask_block_macro(const char *s, char *m, size_t i, size_t end) {
    bool is_catch = !strncmp(s + i, CATCH_MACRO, strlen(CATCH_MACRO)) &&
                    !ident_char(s[i + strlen(CATCH_MACRO)]);
    const char *as = is_catch ? AS_ELSE : AS_IF;
    if (end - i < strlen(as)) return false;
    memset(m + i, ' ', end - i);
    memcpy(m + i, as, strlen(as));
    return true;
}

/* Whether a statement may start after the significant character prev. */
static bool statement_place(char prev) {
    return prev == '\0' || prev == ';' || prev == '{' || prev == '}' || prev == ')';
}

/* Whether the bracket context lets an option start here: directly in parentheses or in an
   option's braced value, after '(' or ','. */
static bool option_place(Open top, char prev) {
    return (top == OPEN_PAREN || top == OPEN_VALUE) && (prev == '(' || prev == ',');
}

/* The masked copy of src (malloc'd, the same length). */
char *mask_options(const char *src, size_t n) {
    char *m = jit_strndup(src, n);
    Open stack[MASK_MAX_DEPTH];
    int depth = 0;
    char prev = '\0'; /* the last significant character of the copy */
    for (size_t i = 0; i < n;) {
        size_t after = skip_opaque(src, i, n);
        if (after != i) {
            prev = '"';
            i = after;
            continue;
        }
        char c = src[i];
        Open top = depth ? stack[depth - 1] : OPEN_BRACE;
        if (isupper((unsigned char)c) && (i == 0 || !ident_char(src[i - 1])) &&
            top == OPEN_BRACE && statement_place(prev)) {
            size_t end = block_macro_end(src, i, n);
            if (end > i && mask_block_macro(src, m, i, end)) {
                prev = ')';
                i = end;
                continue;
            }
        }
        if (c == '.' && i + 1 < n && ident_start(src[i + 1]) && option_place(top, prev)) {
            m[i] = ' ';
        } else if (c == '{' && depth < MASK_MAX_DEPTH) {
            /* `= {` or a nested `{` directly in parentheses is an option's value */
            bool value = (top == OPEN_PAREN && prev == '=') ||
                         (top == OPEN_VALUE && (prev == '=' || prev == '(' || prev == ','));
            if (value) m[i] = '(';
            stack[depth++] = value ? OPEN_VALUE : OPEN_BRACE;
        } else if ((c == '(' || c == '[') && depth < MASK_MAX_DEPTH) {
            stack[depth++] = c == '(' ? OPEN_PAREN : OPEN_INDEX;
        } else if ((c == ')' || c == ']' || c == '}') && depth) {
            if (c == '}' && top == OPEN_VALUE) m[i] = ')';
            depth--;
        }
        if (!isspace((unsigned char)c)) prev = m[i] == ' ' ? '.' : c;
        i++;
    }
    return m;
}
