/*
 * tree_sitter/parser.h — lets the tree-sitter C grammar's generated parser.c (language ABI 14,
 * written by tree-sitter's newer generator) build against Debian's tree-sitter 0.20 headers.
 *
 * The TSLanguage layout of ABI 14 is the one Debian's header declares; the newer generator
 * adds lexer helpers (character-range sets and ADVANCE_MAP) and passes REDUCE's dynamic
 * precedence and production id positionally, so those are defined here as the upstream
 * header defines them. Only the grammar's parser.c is compiled with this directory on its
 * include path.
 */
#ifndef CTORCH_TS_COMPAT_PARSER_H
#define CTORCH_TS_COMPAT_PARSER_H

#include_next <tree_sitter/parser.h>

/* An inclusive range of code points, as the generated lexer's character sets list them. */
typedef struct {
    int32_t start;
    int32_t end;
} TSCharacterRange;

/* Whether lookahead falls in one of the len sorted ranges (binary search). */
static inline bool set_contains(const TSCharacterRange *ranges, uint32_t len, int32_t lookahead) {
    uint32_t index = 0;
    uint32_t size = len - index;
    while (size > 1) {
        uint32_t half_size = size / 2;
        uint32_t mid_index = index + half_size;
        const TSCharacterRange *range = &ranges[mid_index];
        if (lookahead >= range->start && lookahead <= range->end) return true;
        if (lookahead > range->end) index = mid_index;
        size -= half_size;
    }
    const TSCharacterRange *range = &ranges[index];
    return lookahead >= range->start && lookahead <= range->end;
}

/* A lexer state's transitions as (character, next state) pairs. */
#define ADVANCE_MAP(...)                                                                     \
    {                                                                                        \
        static const uint16_t map[] = {__VA_ARGS__};                                         \
        for (uint32_t i = 0; i < sizeof(map) / sizeof(map[0]); i += 2) {                     \
            if (map[i] == lookahead) {                                                       \
                state = map[i + 1];                                                          \
                goto next_state;                                                             \
            }                                                                                \
        }                                                                                    \
    }

/* A reduce action: REDUCE(symbol, child count, dynamic precedence, production id). */
#undef REDUCE
#define REDUCE(symbol_name, children, precedence, prod_id)                                   \
    {                                                                                        \
        {                                                                                    \
            .reduce = {                                                                      \
                .type = TSParseActionTypeReduce,                                             \
                .symbol = symbol_name,                                                       \
                .child_count = children,                                                     \
                .dynamic_precedence = precedence,                                            \
                .production_id = prod_id                                                     \
            },                                                                               \
        }                                                                                    \
    }

#endif /* CTORCH_TS_COMPAT_PARSER_H */
