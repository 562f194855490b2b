/*
 * marks.c — line markers in the functions cells define, so that a crash names its line.
 *
 * Before each statement of a function's blocks goes an assembler label named after the line
 * ("__ct_ln_<line>_<k>", JIT_LINE_MARK). TinyCC gives the labels addresses like any symbol;
 * program.c keeps them, and guard.c maps a crash's address (or the return address of the
 * cell's call into a library) to the last label before it. The labels emit no code.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <tree_sitter/api.h>

#include "jit_internal.h"

/* Whether n is of type. */
static bool is(TSNode n, const char *type) { return strcmp(ts_node_type(n), type) == 0; }

/* Line (1-based) where n starts. */
static int line_of(TSNode n) { return (int)ts_node_start_point(n).row + 1; }

/* Whether text starts with an all-capitals word (a macro, by C's convention). */
static bool starts_with_macro_name(const char *text) {
    if (!isupper((unsigned char)*text)) return false;
    while (isupper((unsigned char)*text) || isdigit((unsigned char)*text) || *text == '_') text++;
    return !islower((unsigned char)*text);
}

/* Whether a marker may go before node n (in a block): after a statement ended by ';', or by
   '}' unless n starts with a macro. A marker between a macro such as T_TRY and the block it
   takes, or between its block and T_CATCH (which expands to "else"), would break them. */
static bool after_complete_statement(const char *src, TSNode n) {
    TSNode prev = ts_node_prev_sibling(n);
    if (ts_node_is_null(prev) || is(prev, "{")) return true;
    uint32_t end = ts_node_end_byte(prev);
    if (end == 0) return false;
    char last = src[end - 1];
    return last == ';' || (last == '}' && !starts_with_macro_name(src + ts_node_start_byte(n)));
}

/* Finds where markers go under n: before every statement of its blocks that may have one.
   Their offsets (into src) and lines go to at/lines. */
static void find_marks(const char *src, TSNode n, uint32_t **at, int **lines, int *nat) {
    bool block = is(n, "compound_statement");
    uint32_t k = ts_node_child_count(n);
    for (uint32_t i = 0; i < k; i++) {
        TSNode c = ts_node_child(n, i);
        if (!ts_node_is_named(c) || is(c, "comment")) continue;
        bool statement = !is(c, "ERROR") && !ts_node_has_error(c) &&
                         strncmp(ts_node_type(c), "preproc", strlen("preproc")) != 0;
        if (block && statement && after_complete_statement(src, c)) {
            *at = jit_xrealloc(*at, sizeof(uint32_t) * (size_t)(*nat + 1));
            *lines = jit_xrealloc(*lines, sizeof(int) * (size_t)(*nat + 1));
            (*at)[*nat] = ts_node_start_byte(c);
            (*lines)[*nat] = line_of(c);
            (*nat)++;
        }
        find_marks(src, c, at, lines, nat);
    }
}

/* The function's text with a marker at every place find_marks found (see jit_internal.h). */
char *marks_insert(const char *src, const void *body, uint32_t base, const char *text,
                   int *counter) {
    uint32_t *at = NULL;
    int *lines = NULL, nat = 0;
    find_marks(src, *(const TSNode *)body, &at, &lines, &nat);
    if (!nat) return NULL;
    StrBuf b = {0};
    size_t from = 0;
    for (int i = 0; i < nat; i++) {
        size_t off = at[i] - base;
        sb_add(&b, text + from, off - from);
        sb_printf(&b, "__asm__(\".globl %s%d_%d\\n%s%d_%d:\"); ", JIT_LINE_MARK, lines[i],
                  *counter, JIT_LINE_MARK, lines[i], *counter);
        (*counter)++;
        from = off;
    }
    sb_puts(&b, text + from);
    free(at);
    free(lines);
    return sb_take(&b);
}
