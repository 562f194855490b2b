/* test_display.c — MIME bundles, the display hook, and the text/plain and text/html forms. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <math.h>
#include <string.h>

#include "internal.h"

/* The text/plain of a bundle. */
static const char *plain(const MimeBundle *b) {
    const char *s = mime_get(b, "text/plain", NULL);
    cr_assert_not_null(s);
    return s;
}

/* Counts occurrences of needle in s. */
static int count_of(const char *s, const char *needle) {
    int n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

Test(display, mime_add_copies_and_replaces) {
    MimeBundle *b = mime_new();
    cr_assert_eq(b->n, 0);
    char text[] = "abc";
    mime_add(b, "text/plain", text, 3);
    text[0] = 'z';
    size_t len = 0;
    cr_assert_str_eq(mime_get(b, "text/plain", &len), "abc");
    cr_assert_eq(len, 3);
    mime_add(b, "text/plain", "hello", 5);
    cr_assert_eq(b->n, 1);
    cr_assert_str_eq(mime_get(b, "text/plain", &len), "hello");
    const unsigned char png[] = {0x89, 'P', 0, 'G'};
    mime_add(b, "image/png", png, sizeof png);
    const char *got = mime_get(b, "image/png", &len);
    cr_assert_eq(len, sizeof png);
    cr_assert_arr_eq(got, png, sizeof png);
    cr_assert_null(mime_get(b, "text/html", NULL));
}

/* Whether calling fn(arg) raises an error of kind whose message mentions needle. */
static bool raises(void (*fn)(void *arg), void *arg, TErrorKind kind, const char *needle) {
    volatile bool raised = false;
    T_TRY { fn(arg); }
    T_CATCH(err) { raised = err->kind == kind && strstr(err->message, needle) != NULL; }
    return raised;
}

/* Adds one type too many to the full bundle arg. */
static void add_extra(void *arg) { mime_add(arg, "x/extra", "", 0); }

Test(display, full_bundle_raises) {
    MimeBundle *b = mime_new();
    for (int i = 0; i < T_MIME_MAX; i++) mime_add(b, t_gc_sprintf("x/%d", i), "", 0);
    cr_assert(raises(add_extra, b, T_ERR_VALUE, "x/extra"));
}

Test(display, integers_and_bools) {
    cr_assert_str_eq(plain(t_bundle(42)), "42");
    cr_assert_str_eq(plain(t_bundle(-7LL)), "-7");
    cr_assert_str_eq(plain(t_bundle(18446744073709551615ULL)), "18446744073709551615");
    cr_assert_str_eq(plain(t_bundle((bool)true)), "true");
    cr_assert_str_eq(plain(t_bundle((bool)false)), "false");
}

Test(display, doubles_as_python_repr) {
    cr_assert_str_eq(plain(t_bundle(1.0)), "1.0");
    cr_assert_str_eq(plain(t_bundle(0.1)), "0.1");
    cr_assert_str_eq(plain(t_bundle(1.0 / 3)), "0.3333333333333333");
    cr_assert_str_eq(plain(t_bundle(1e15)), "1000000000000000.0");
    cr_assert_str_eq(plain(t_bundle(1e16)), "1e+16");
    cr_assert_str_eq(plain(t_bundle(1.5e-5)), "1.5e-05");
    cr_assert_str_eq(plain(t_bundle(0.0001)), "0.0001");
    cr_assert_str_eq(plain(t_bundle(-0.0)), "-0.0");
    cr_assert_str_eq(plain(t_bundle(0.1f)), "0.10000000149011612");
    cr_assert_str_eq(plain(t_bundle(INFINITY)), "inf");
    cr_assert_str_eq(plain(t_bundle(-INFINITY)), "-inf");
    cr_assert_str_eq(plain(t_bundle(NAN)), "nan");
}

Test(display, chars_and_strings_as_c_literals) {
    cr_assert_str_eq(plain(t_bundle((char)'a')), "'a'");
    cr_assert_str_eq(plain(t_bundle((char)'\n')), "'\\n'");
    cr_assert_str_eq(plain(t_bundle((char)'\'')), "'\\''");
    cr_assert_str_eq(plain(t_bundle((char)'\0')), "'\\0'");
    cr_assert_str_eq(plain(t_bundle((char)1)), "'\\001'");
    cr_assert_str_eq(plain(t_bundle("hello\n")), "\"hello\\n\"");
    cr_assert_str_eq(plain(t_bundle("say \"hi\"\t\\")), "\"say \\\"hi\\\"\\t\\\\\"");
    cr_assert_str_eq(plain(t_bundle("\x01" "1")), "\"\\0011\"");
    cr_assert_str_eq(plain(t_bundle("caf\xc3\xa9")), "\"caf\xc3\xa9\"");
    cr_assert_str_eq(plain(t_bundle("bad\xff")), "\"bad\\377\"");
    cr_assert_str_eq(plain(t_bundle((const char *)NULL)), "NULL");
}

Test(display, pointers_and_shapes) {
    int v = 0;
    cr_assert_str_eq(plain(t_bundle(&v)), t_gc_sprintf("(void *) %p", (void *)&v));
    cr_assert_str_eq(plain(t_bundle((void *)NULL)), "NULL");
    cr_assert_str_eq(plain(t_bundle(T_SHAPE(2, 3))), "[2, 3]");
}

Test(display, tensor_bundle_has_text_and_html) {
    Tensor *x = t_tensor(((float[]){1, 2, 3, 4, 5, 6}), 2, 3);
    MimeBundle *b = t_bundle(x);
    cr_assert_str_eq(plain(b), t_str(x));
    const char *html = mime_get(b, "text/html", NULL);
    cr_assert_not_null(html);
    cr_assert(strstr(html, "[2, 3]"));
    cr_assert(strstr(html, "float32"));
    cr_assert(strstr(html, "cpu"));
    cr_assert_null(strstr(html, "requires_grad"));
    cr_assert_eq(count_of(html, "<table"), 1);
    cr_assert_eq(count_of(html, "<tr>"), 2);
    cr_assert_eq(count_of(html, "<td"), 6);
    cr_assert(strstr(html, ">5.</td>"));
}

Test(display, tensor_html_summarizes_and_labels) {
    Tensor *x = t_reshape(t_arange_dt(T_I64, 0, 2 * 40 * 30, 1), 2, 40, 30);
    const char *html = mime_get(t_bundle(x), "text/html", NULL);
    cr_assert_eq(count_of(html, "<table"), 2);
    cr_assert(strstr(html, "[0, :, :]"));
    cr_assert(strstr(html, "[1, :, :]"));
    /* 7 rows (3, the ellipsis row, 3) of 7 cells each, per table */
    cr_assert_eq(count_of(html, "<tr>"), 2 * 7);
    cr_assert_eq(count_of(html, "<td"), 2 * 7 * 7);
    cr_assert(strstr(html, ">2399</td>"));
    cr_assert(strstr(html, ">1200</td>"));
    cr_assert_null(strstr(html, ">15</td>"));
}

Test(display, tensor_html_escapes_and_shows_requires_grad) {
    Tensor *x = t_requires_grad_(t_zeros(2), true);
    const char *html = mime_get(t_bundle(x), "text/html", NULL);
    cr_assert(strstr(html, "requires_grad"));
    const char *result = mime_get(t_bundle(t_add(x, x)), "text/html", NULL);
    cr_assert(strstr(result, "grad_fn=&lt;AddBackward0&gt;"));
    const char *empty = mime_get(t_bundle(t_zeros(0, 3)), "text/html", NULL);
    cr_assert_eq(count_of(empty, "<table"), 0);
    cr_assert(strstr(empty, "[0, 3]"));
}

/* What the test hook saw. */
typedef struct Seen {
    int calls;
    DisplayKind kind;
    const MimeBundle *bundle;
    const char *display_id;
} Seen;

/* A display hook that records its last call. */
static void record_hook(void *ctx, DisplayKind kind, const MimeBundle *bundle,
                        const char *display_id) {
    Seen *s = ctx;
    s->calls++;
    s->kind = kind;
    s->bundle = bundle;
    s->display_id = display_id;
}

Test(display, hook_receives_every_kind) {
    Seen seen = {0};
    t_display_set_hook(record_hook, &seen);
    MimeBundle *b = t_bundle(5);
    t_display_publish(DISPLAY_RESULT, b, NULL);
    cr_assert_eq(seen.calls, 1);
    cr_assert_eq(seen.kind, DISPLAY_RESULT);
    cr_assert_eq(seen.bundle, b);
    t_display_publish(DISPLAY_UPDATE, b, "bar");
    cr_assert_eq(seen.kind, DISPLAY_UPDATE);
    cr_assert_str_eq(seen.display_id, "bar");
    t_clear_output(true);
    cr_assert_eq(seen.calls, 3);
    cr_assert_eq(seen.kind, DISPLAY_CLEAR);
    cr_assert_str_eq(seen.bundle->metadata, "{\"wait\": true}");
    display(2.5);
    cr_assert_eq(seen.kind, DISPLAY_DATA);
    cr_assert_str_eq(plain(seen.bundle), "2.5");
    t_display_set_hook(NULL, NULL);
}

/* Publishes an update with no display id. */
static void update_without_id(void *arg) { t_display_publish(DISPLAY_UPDATE, arg, NULL); }

Test(display, update_without_id_raises) {
    cr_assert(raises(update_without_id, t_bundle(1), T_ERR_VALUE, "display_id"));
}

Test(display, without_a_hook_text_goes_to_stdout, .init = cr_redirect_stdout) {
    t_display_set_hook(NULL, NULL);
    display(42);
    t_display_publish(DISPLAY_RESULT, t_bundle("hi"), NULL);
    t_clear_output(false);
    t_print(t_tensor(((float[]){1, 2}), 2));
    fflush(stdout);
    cr_assert_stdout_eq_str("42\n\"hi\"\ntensor([1., 2.])\n");
}
