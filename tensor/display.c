/*
 * display.c — values as MIME bundles, and the hook that hands them to a front end.
 *
 * tensor/ knows nothing of Jupyter (DESIGN.md, "Layout"): it builds bundles (text/plain for
 * every value, text/html too for tensors) and passes them to the display hook the kernel or
 * the REPL installs. With no hook, text/plain goes to stdout.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Significant digits that always round-trip a double ("%.17g"). */
enum { DOUBLE_MAX_DIGITS = 17 };
/* Python's repr writes a double in fixed notation when its decimal exponent is in
   [REPR_EXP_MIN, REPR_EXP_MAX), in scientific notation otherwise. */
enum { REPR_EXP_MIN = -4, REPR_EXP_MAX = 16 };
/* Room for "%.16e" of any double: sign, 17 digits, point, "e-308", NUL. */
enum { DOUBLE_TEXT_MAX = 32 };

/* The front end's hook, and its context; NULL prints text/plain to stdout. */
static DisplayHook display_hook;
static void *display_ctx;

/* ---- bundles ---- */

/* An empty bundle in collected memory. */
MimeBundle *mime_new(void) { return t_gc_alloc(sizeof(MimeBundle)); }

/* Adds (or replaces) one representation; data and the type name are copied. */
void mime_add(MimeBundle *b, const char *mime, const void *data, size_t len) {
    if (!b || !mime) t_raise(T_ERR_VALUE, "mime_add: expected a bundle and a MIME type, got NULL");
    if (!data && len) t_raise(T_ERR_VALUE, "mime_add: %zu bytes of %s data at NULL", len, mime);
    int slot = 0;
    while (slot < b->n && strcmp(b->mime[slot], mime) != 0) slot++;
    if (slot == T_MIME_MAX)
        t_raise(T_ERR_VALUE, "mime_add: a bundle holds at most %d MIME types; adding %s",
                T_MIME_MAX, mime);
    /* A NUL after the bytes lets text types be used as C strings. */
    char *copy = t_gc_alloc_atomic(len + 1);
    if (len) memcpy(copy, data, len);
    copy[len] = '\0';
    b->mime[slot] = t_gc_sprintf("%s", mime);
    b->data[slot] = copy;
    b->len[slot] = len;
    if (slot == b->n) b->n++;
}

/* Looks a representation up by its MIME type. */
const char *mime_get(const MimeBundle *b, const char *mime, size_t *len) {
    for (int i = 0; b && mime && i < b->n; i++) {
        if (strcmp(b->mime[i], mime) != 0) continue;
        if (len) *len = b->len[i];
        return b->data[i];
    }
    return NULL;
}

/* ---- publishing ---- */

/* Installs the front end's hook (the kernel's, or the REPL's); NULL means stdout. */
void t_display_set_hook(DisplayHook hook, void *ctx) {
    display_hook = hook;
    display_ctx = ctx;
}

/* Whether a front end installed a hook (progress bars draw on stderr without one). */
bool t_display_has_hook(void) { return display_hook != NULL; }

/* What stdout shows for a bundle without a hook: its text/plain, or the types it holds. */
static void print_bundle(const MimeBundle *bundle) {
    size_t len;
    const char *text = mime_get(bundle, "text/plain", &len);
    if (text) {
        fwrite(text, 1, len, stdout);
    } else {
        for (int i = 0; i < bundle->n; i++)
            printf("%s<%s, %zu bytes>", i ? " " : "", bundle->mime[i], bundle->len[i]);
    }
    fputc('\n', stdout);
    fflush(stdout);
}

/* Checks the request, then hands it to the hook, or prints its text with no hook. */
void t_display_publish(DisplayKind kind, const MimeBundle *bundle, const char *display_id) {
    if ((unsigned)kind > DISPLAY_CLEAR)
        t_raise(T_ERR_VALUE, "t_display_publish: unknown display kind %d", (int)kind);
    if (!bundle && kind != DISPLAY_CLEAR)
        t_raise(T_ERR_VALUE, "t_display_publish: expected a bundle to show, got NULL");
    if (kind == DISPLAY_UPDATE && !display_id)
        t_raise(T_ERR_VALUE, "t_display_publish: DISPLAY_UPDATE needs the display_id of the "
                "output to replace, got NULL");
    if (display_hook)
        display_hook(display_ctx, kind, bundle, display_id);
    else if (kind != DISPLAY_CLEAR)
        print_bundle(bundle);
}

/* Publishes DISPLAY_CLEAR; wait travels in the bundle's metadata, as the kernel reads it. */
void t_clear_output(bool wait) {
    MimeBundle *b = mime_new();
    b->metadata = wait ? "{\"wait\": true}" : "{\"wait\": false}";
    t_display_publish(DISPLAY_CLEAR, b, NULL);
}

/* ---- text/plain of C values ---- */

/* A bundle of text/plain only: the building block of the other bundles. */
MimeBundle *t_bundle_text(const char *text) {
    if (!text) t_raise(T_ERR_VALUE, "t_bundle_text: expected a string, got NULL");
    MimeBundle *b = mime_new();
    mime_add(b, "text/plain", text, strlen(text));
    return b;
}

/* Integers, unsigned integers, bools and shapes as C code would write them. */
MimeBundle *t_bundle_i64(long long v) { return t_bundle_text(t_gc_sprintf("%lld", v)); }
MimeBundle *t_bundle_u64(unsigned long long v) { return t_bundle_text(t_gc_sprintf("%llu", v)); }
MimeBundle *t_bundle_bool(bool v) { return t_bundle_text(v ? "true" : "false"); }
MimeBundle *t_bundle_shape(Shape s) { return t_bundle_text(t_shape_str(s)); }

/* Pointers as "(void *) 0x...", the way a debugger shows them; NULL by name. */
MimeBundle *t_bundle_ptr(const void *p) {
    return t_bundle_text(p ? t_gc_sprintf("(void *) %p", p) : "NULL");
}

/* Python's repr of a double: the shortest digits that read back as v, in fixed notation for
   decimal exponents in [-4, 16) ("0.1", "100.0") and scientific otherwise ("1e+16"). */
static const char *double_repr(double v) {
    if (isnan(v)) return "nan";
    if (isinf(v)) return v > 0 ? "inf" : "-inf";
    char sci[DOUBLE_TEXT_MAX];
    for (int digits = 1; digits <= DOUBLE_MAX_DIGITS; digits++) {
        snprintf(sci, sizeof sci, "%.*e", digits - 1, v);
        if (strtod(sci, NULL) == v) break;
    }
    /* sci is "-d.ddde+XX": split it into sign, digits and exponent */
    bool negative = sci[0] == '-';
    char digits[DOUBLE_TEXT_MAX];
    int nd = 0;
    const char *p = sci + negative;
    for (; *p != 'e'; p++)
        if (*p != '.') digits[nd++] = *p;
    int exp = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    TBuf b = {0};
    if (negative) t_buf_puts(&b, "-");
    if (exp < REPR_EXP_MIN || exp >= REPR_EXP_MAX) {
        t_buf_add(&b, digits, 1);
        if (nd > 1) {
            t_buf_puts(&b, ".");
            t_buf_add(&b, digits + 1, (size_t)nd - 1);
        }
        t_buf_printf(&b, "e%+03d", exp);
    } else if (exp < 0) {
        t_buf_puts(&b, "0.");
        t_buf_repeat(&b, '0', -exp - 1);
        t_buf_add(&b, digits, (size_t)nd);
    } else {
        int whole = exp + 1; /* digits before the point */
        t_buf_add(&b, digits, (size_t)(nd < whole ? nd : whole));
        t_buf_repeat(&b, '0', whole - nd);
        t_buf_puts(&b, ".");
        if (nd > whole)
            t_buf_add(&b, digits + whole, (size_t)(nd - whole));
        else
            t_buf_puts(&b, "0");
    }
    return b.data;
}

/* Doubles (and floats, widened) as Python's repr writes them. */
MimeBundle *t_bundle_f64(double v) { return t_bundle_text(double_repr(v)); }

/* Length of the valid UTF-8 sequence at s (of at most n bytes), or 0 if it is not one. */
static int utf8_length(const unsigned char *s, size_t n) {
    int len = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (s[0] >= 0xF8 || len == 0 || (size_t)len > n) return 0;
    for (int i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    /* overlong three- and four-byte forms, surrogates, and code points past U+10FFFF */
    if (len == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0))) return 0;
    if (len == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))) return 0;
    return len;
}

/* Appends byte c as it is written inside a C literal quoted by quote. */
static void put_escaped(TBuf *b, unsigned char c, char quote) {
    static const char simple[][2] = {{'\a', 'a'}, {'\b', 'b'}, {'\f', 'f'}, {'\n', 'n'},
                                     {'\r', 'r'}, {'\t', 't'}, {'\v', 'v'}, {'\\', '\\'}};
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++) {
        if (c == (unsigned char)simple[i][0]) {
            t_buf_printf(b, "\\%c", simple[i][1]);
            return;
        }
    }
    if (c == (unsigned char)quote)
        t_buf_printf(b, "\\%c", quote);
    else if (c >= ' ' && c <= '~')
        t_buf_add(b, (const char *)&c, 1);
    else
        t_buf_printf(b, "\\%03o", c); /* three octal digits: never merges with what follows */
}

/* A char as a C character literal: 'a', '\n', '\0', '\001'. */
MimeBundle *t_bundle_char(char v) {
    TBuf b = {0};
    t_buf_puts(&b, "'");
    if (v == '\0')
        t_buf_puts(&b, "\\0");
    else
        put_escaped(&b, (unsigned char)v, '\'');
    t_buf_puts(&b, "'");
    return t_bundle_text(b.data);
}

/* A string as a C string literal; valid UTF-8 beyond ASCII is kept as it is. */
MimeBundle *t_bundle_str(const char *s) {
    if (!s) return t_bundle_text("NULL");
    TBuf b = {0};
    t_buf_puts(&b, "\"");
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        int len = u[i] >= 0x80 ? utf8_length(u + i, n - i) : 0;
        if (len > 0) {
            t_buf_add(&b, s + i, (size_t)len);
            i += (size_t)len;
        } else {
            put_escaped(&b, u[i++], '"');
        }
    }
    t_buf_puts(&b, "\"");
    return t_bundle_text(b.data);
}

/* ---- text/html of tensors ---- */

/* Appends text with HTML's special characters escaped. */
static void put_html_text(TBuf *b, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&': t_buf_puts(b, "&amp;"); break;
        case '<': t_buf_puts(b, "&lt;"); break;
        case '>': t_buf_puts(b, "&gt;"); break;
        case '"': t_buf_puts(b, "&quot;"); break;
        case '\'': t_buf_puts(b, "&#39;"); break;
        default: t_buf_add(b, s, 1);
        }
    }
}

/* Which entries of a dim of size n a summarised view shows: like t_str, the first and last
   T_PRINT_EDGE_ITEMS. Entry j of the list is index idx[j], or the ellipsis when -1. */
static int64_t shown_entries(int64_t n, bool summarize, int64_t *idx) {
    if (!summarize || n <= 2 * T_PRINT_EDGE_ITEMS) {
        for (int64_t i = 0; i < n && idx; i++) idx[i] = i;
        return n;
    }
    for (int64_t i = 0; i < T_PRINT_EDGE_ITEMS && idx; i++) {
        idx[i] = i;
        idx[T_PRINT_EDGE_ITEMS + 1 + i] = n - T_PRINT_EDGE_ITEMS + i;
    }
    if (idx) idx[T_PRINT_EDGE_ITEMS] = -1;
    return 2 * T_PRINT_EDGE_ITEMS + 1;
}

/* The shown entries of dim of x (every one of an absent dim, as a 1-row or 1-column table). */
static int64_t *dim_entries(const Tensor *x, int dim, bool summarize, int64_t *count) {
    int64_t n = dim >= 0 ? x->size[dim] : 1;
    *count = shown_entries(n, summarize, NULL);
    int64_t *idx = t_gc_alloc_atomic((size_t)*count * sizeof *idx);
    shown_entries(n, summarize, idx);
    return idx;
}

/* One table: the last two dims of x (or fewer) at element offset off. */
static void put_html_table(TBuf *b, const TElemFormat *f, const Tensor *x, int64_t off,
                           bool summarize) {
    int row_dim = x->ndim - 2, col_dim = x->ndim - 1;
    int64_t nrows, ncols;
    int64_t *rows = dim_entries(x, row_dim, summarize, &nrows);
    int64_t *cols = dim_entries(x, col_dim, summarize, &ncols);
    t_buf_puts(b, "<table style=\"font-family:monospace;text-align:right;"
                  "border-collapse:separate;border-spacing:1em 0\">");
    for (int64_t r = 0; r < nrows; r++) {
        t_buf_puts(b, "<tr>");
        for (int64_t c = 0; c < ncols; c++) {
            t_buf_puts(b, "<td>");
            if (rows[r] < 0 || cols[c] < 0) {
                t_buf_puts(b, "...");
            } else {
                int64_t at = off + (row_dim >= 0 ? rows[r] * x->stride[row_dim] : 0) +
                             (col_dim >= 0 ? cols[c] * x->stride[col_dim] : 0);
                put_html_text(b, t_elem_text(f, x, at));
            }
            t_buf_puts(b, "</td>");
        }
        t_buf_puts(b, "</tr>");
    }
    t_buf_puts(b, "</table>");
}

/* The tables of the leading dims from dim on, each labelled with its index ("[1, :, :]"). */
static void put_html_leading(TBuf *b, const TElemFormat *f, const Tensor *x, int dim,
                             int64_t *index, int64_t off, bool summarize) {
    if (dim >= x->ndim - 2) {
        if (x->ndim > 2) {
            t_buf_puts(b, "<div style=\"font-family:monospace;margin-top:0.3em\">[");
            for (int i = 0; i < x->ndim; i++) {
                if (i < dim)
                    t_buf_printf(b, "%lld", (long long)index[i]);
                else
                    t_buf_puts(b, ":");
                t_buf_puts(b, i + 1 < x->ndim ? ", " : "]");
            }
            t_buf_puts(b, "</div>");
        }
        put_html_table(b, f, x, off, summarize);
        return;
    }
    int64_t count;
    int64_t *entries = dim_entries(x, dim, summarize, &count);
    for (int64_t j = 0; j < count; j++) {
        if (entries[j] < 0) {
            t_buf_puts(b, "<div style=\"font-family:monospace\">...</div>");
            continue;
        }
        index[dim] = entries[j];
        put_html_leading(b, f, x, dim + 1, index, off + entries[j] * x->stride[dim], summarize);
    }
}

/* The header line: shape, dtype, device, and the grad_fn or requires_grad of x. */
static void put_html_header(TBuf *b, const Tensor *x) {
    t_buf_puts(b, "<div style=\"font-family:monospace;margin-bottom:0.3em\"><b>tensor</b> ");
    put_html_text(b, t_shape_str(t_shape_of(x)));
    t_buf_printf(b, " &#183; %s &#183; %s", t_dtype_name(x->dtype), t_device_name(x->device));
    const char *grad_fn = t_grad_fn_name(x);
    if (grad_fn) {
        t_buf_puts(b, " &#183; grad_fn=");
        put_html_text(b, t_gc_sprintf("<%s>", grad_fn));
    } else if (x->requires_grad) {
        t_buf_puts(b, " &#183; requires_grad");
    }
    t_buf_puts(b, "</div>");
}

/* x as an HTML fragment: a header and the values as tables (one root element). */
static const char *tensor_html(const Tensor *x) {
    const Tensor *values = x->device == T_CPU ? x : t_to((Tensor *)x, T_CPU);
    TBuf b = {0};
    t_buf_puts(&b, "<div class=\"ctorch-tensor\">");
    put_html_header(&b, x);
    if (t_numel(values) == 0) {
        t_buf_puts(&b, "<div style=\"font-family:monospace\">(no elements)</div>");
    } else {
        TElemFormat f = t_elem_format(values);
        int64_t index[T_MAX_DIMS] = {0};
        put_html_leading(&b, &f, values, 0, index, 0, t_numel(values) > T_PRINT_THRESHOLD);
    }
    t_buf_puts(&b, "</div>");
    return b.data;
}

/* A tensor as t_str writes it, and as HTML tables. */
MimeBundle *t_bundle_tensor(const Tensor *x) {
    t_check_alive("t_bundle_tensor", x);
    MimeBundle *b = t_bundle_text(t_str(x));
    const char *html = tensor_html(x);
    mime_add(b, "text/html", html, strlen(html));
    return b;
}
