/* test_jit_capture.c — the cleaning of captured output into valid UTF-8 (jit/capture.c). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "jit_internal.h"

/* utf8_clean in one piece (final). */
static char *clean(const char *s, size_t len) {
    char carry[4];
    int ncarry = 0;
    size_t n;
    char *out = utf8_clean(s, len, carry, &ncarry, true, &n);
    cr_assert_eq(strlen(out), n);
    return out;
}

Test(jit_capture, valid_text_passes_unchanged) {
    const char *s = "plain, caf\xc3\xa9, \xe2\x82\xac, \xf0\x9f\x98\x80";
    char *out = clean(s, strlen(s));
    cr_assert_str_eq(out, s);
    free(out);
}

Test(jit_capture, invalid_bytes_become_replacement_characters) {
    char *out = clean("a\xff" "b\xc3" "c\xed\xa0\x80" "d", 9);
    cr_assert_str_eq(out, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                          "d");
    free(out);
}

Test(jit_capture, a_character_split_across_reads_is_kept_whole) {
    char carry[4];
    int ncarry = 0;
    size_t n;
    char *first = utf8_clean("x\xe2\x82", 3, carry, &ncarry, false, &n);
    cr_assert_str_eq(first, "x");
    cr_assert_eq(ncarry, 2);
    char *second = utf8_clean("\xac!", 2, carry, &ncarry, false, &n);
    cr_assert_str_eq(second, "\xe2\x82\xac!");
    cr_assert_eq(ncarry, 0);
    char *third = utf8_clean("\xe2", 1, carry, &ncarry, false, &n);
    cr_assert_str_eq(third, "");
    char *last = utf8_clean("", 0, carry, &ncarry, true, &n);
    cr_assert_str_eq(last, "\xef\xbf\xbd", "an unfinished character at the end is replaced");
    free(first);
    free(second);
    free(third);
    free(last);
}
