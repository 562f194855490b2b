/*
 * print.c — tensors as text, exactly as PyTorch 1.13 prints them (torch/_tensor_str.py with
 * the default print options): one element format chosen from every value shown, columns
 * padded to a common width, rows wrapped at the line width, large tensors summarised, and
 * the suffixes (device, dtype, size, requires_grad, grad_fn) after the values.
 */
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "internal.h"

/* PyTorch's default print options (torch._tensor_str.PRINT_OPTS). */
enum {
    PRINT_PRECISION = 4, /* digits after the point */
    PRINT_LINEWIDTH = 80 /* characters per line, wrapping included */
};
/* sci mode when the largest nonzero finite magnitude is more than this times the smallest, */
#define SCI_RATIO_MAX 1000.0
/* or larger than this, */
#define SCI_VALUE_MAX 1.0e8
/* or (for values that are not all whole) a magnitude is below this. */
#define SCI_VALUE_MIN 1.0e-4

/* Longest text of one element: "%.4f" of DBL_MAX is 316 characters. */
enum { ELEM_TEXT_MAX = 400 };
/* First capacity of a text buffer; it doubles from there. */
enum { TBUF_FIRST_CAP = 256 };
/* Most suffixes one tensor's text carries (device, size, dtype, grad). */
enum { MAX_SUFFIXES = 6 };

/* ---- text buffers ---- */

/* Makes room for n more bytes and the terminating NUL. */
static void buf_reserve(TBuf *b, size_t n) {
    if (b->len + n + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : TBUF_FIRST_CAP;
    while (cap < b->len + n + 1) cap *= 2;
    char *data = t_gc_alloc_atomic(cap);
    if (b->len) memcpy(data, b->data, b->len);
    b->data = data;
    b->cap = cap;
}

/* Appends n bytes of s. */
void t_buf_add(TBuf *b, const char *s, size_t n) {
    buf_reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* Appends a C string. */
void t_buf_puts(TBuf *b, const char *s) { t_buf_add(b, s, strlen(s)); }

/* Appends printf-formatted text. */
void t_buf_printf(TBuf *b, const char *fmt, ...) {
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    buf_reserve(b, 0);
    int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) t_raise(T_ERR_VALUE, "t_buf_printf: bad format \"%s\"", fmt);
    if ((size_t)n >= b->cap - b->len) { /* it did not fit: grow, and write it again */
        buf_reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
    }
    va_end(ap2);
    b->len += (size_t)n;
}

/* Appends n copies of c (nothing for n <= 0). */
void t_buf_repeat(TBuf *b, char c, int n) {
    if (n <= 0) return;
    buf_reserve(b, (size_t)n);
    memset(b->data + b->len, c, (size_t)n);
    b->len += (size_t)n;
    b->data[b->len] = '\0';
}

/* ---- reading elements of any dtype and strides ---- */

/* The floating element at off elements from t_ptr(x), widened to double. */
static double read_float(const Tensor *x, int64_t off) {
    const char *p = t_ptr(x);
    return x->dtype == T_F32 ? (double)((const float *)p)[off] : ((const double *)p)[off];
}

/* The integer (or bool) element at off elements from t_ptr(x), widened to int64. */
static int64_t read_int(const Tensor *x, int64_t off) {
    const char *p = t_ptr(x);
    switch (x->dtype) {
    case T_I64: return ((const int64_t *)p)[off];
    case T_I32: return ((const int32_t *)p)[off];
    case T_U8: return ((const uint8_t *)p)[off];
    case T_BOOL: return ((const bool *)p)[off];
    default: t_raise(T_ERR_DTYPE, "t_str: unexpected dtype %s", t_dtype_name(x->dtype));
    }
    return 0;
}

/* ---- which elements are shown ---- */

/* How many entries of a dim of size n are shown (the "..." not counted). */
static int64_t shown_count(int64_t n, bool summarize) {
    return summarize && n > 2 * T_PRINT_EDGE_ITEMS ? 2 * T_PRINT_EDGE_ITEMS : n;
}

/* The index of the k-th shown entry of a dim of size n. */
static int64_t shown_index(int64_t n, bool summarize, int64_t k) {
    if (summarize && n > 2 * T_PRINT_EDGE_ITEMS && k >= T_PRINT_EDGE_ITEMS)
        return n - 2 * T_PRINT_EDGE_ITEMS + k;
    return k;
}

/* Calls visit for the offset of every element shown (get_summarized_data's elements). */
static void each_shown(const Tensor *x, bool summarize, int dim, int64_t off,
                       void (*visit)(void *ctx, const Tensor *x, int64_t off), void *ctx) {
    if (dim == x->ndim) {
        visit(ctx, x, off);
        return;
    }
    int64_t n = x->size[dim], count = shown_count(n, summarize);
    for (int64_t k = 0; k < count; k++)
        each_shown(x, summarize, dim + 1, off + shown_index(n, summarize, k) * x->stride[dim],
                   visit, ctx);
}

/* ---- choosing the element format (torch's _Formatter) ---- */

/* What a first pass over the floating values learns. */
typedef struct FloatScan {
    int64_t count;      /* nonzero finite values */
    double min, max;    /* of their magnitudes */
    bool int_mode;
} FloatScan;

/* Scans one floating value for the format choice. */
static void scan_float(void *ctx, const Tensor *x, int64_t off) {
    FloatScan *s = ctx;
    double v = read_float(x, off);
    if (!isfinite(v) || v == 0) return;
    double a = fabs(v);
    if (s->count == 0 || a < s->min) s->min = a;
    if (s->count == 0 || a > s->max) s->max = a;
    if (v != ceil(v)) s->int_mode = false;
    s->count++;
}

/* Writes the element at off, not padded, into buf; returns its length. */
static int elem_text(const TElemFormat *f, const Tensor *x, int64_t off, char *buf) {
    if (!t_dtype_is_floating(f->dtype)) {
        int64_t v = read_int(x, off);
        if (f->dtype == T_BOOL) return snprintf(buf, ELEM_TEXT_MAX, "%s", v ? "True" : "False");
        return snprintf(buf, ELEM_TEXT_MAX, "%lld", (long long)v);
    }
    double v = read_float(x, off);
    /* Python writes every NaN as "nan", whatever its sign bit; C may write "-nan". */
    if (isnan(v)) return snprintf(buf, ELEM_TEXT_MAX, "nan");
    if (isinf(v)) return snprintf(buf, ELEM_TEXT_MAX, "%s", v > 0 ? "inf" : "-inf");
    if (f->sci_mode) return snprintf(buf, ELEM_TEXT_MAX, "%.*e", PRINT_PRECISION, v);
    if (f->int_mode) return snprintf(buf, ELEM_TEXT_MAX, "%.0f.", v);
    return snprintf(buf, ELEM_TEXT_MAX, "%.*f", PRINT_PRECISION, v);
}

/* Widens f to fit one shown value: every value for integers, nonzero finite ones for floats. */
static void widen_to(void *ctx, const Tensor *x, int64_t off) {
    TElemFormat *f = ctx;
    if (t_dtype_is_floating(f->dtype)) {
        double v = read_float(x, off);
        if (!isfinite(v) || v == 0) return;
    }
    char buf[ELEM_TEXT_MAX];
    int n = elem_text(f, x, off, buf);
    if (n > f->width) f->width = n;
}

/* Whether t_str summarises x. */
static bool summarizes(const Tensor *x) { return t_numel(x) > T_PRINT_THRESHOLD; }

/* torch's _Formatter: the format that fits every value shown (nonzero finite ones for
   floats), with sci mode and int mode chosen from their magnitudes. */
TElemFormat t_elem_format(const Tensor *x) {
    TElemFormat f = {.dtype = x->dtype, .int_mode = true, .sci_mode = false, .width = 1};
    bool summarize = summarizes(x);
    if (t_dtype_is_floating(x->dtype)) {
        FloatScan s = {.count = 0, .int_mode = true};
        each_shown(x, summarize, 0, 0, scan_float, &s);
        if (s.count == 0) return f;
        f.int_mode = s.int_mode;
        f.sci_mode = s.max / s.min > SCI_RATIO_MAX || s.max > SCI_VALUE_MAX ||
                     (!s.int_mode && s.min < SCI_VALUE_MIN);
    }
    each_shown(x, summarize, 0, 0, widen_to, &f);
    return f;
}

/* One element's text in collected memory, for display.c's tables. */
const char *t_elem_text(const TElemFormat *f, const Tensor *x, int64_t off) {
    char buf[ELEM_TEXT_MAX];
    elem_text(f, x, off, buf);
    return t_gc_sprintf("%s", buf);
}

/* ---- the values: nested brackets ---- */

/* One element, right-aligned to the common width. */
static void put_elem(TBuf *b, const TElemFormat *f, const Tensor *x, int64_t off) {
    char buf[ELEM_TEXT_MAX];
    int n = elem_text(f, x, off, buf);
    t_buf_repeat(b, ' ', f->width - n);
    t_buf_add(b, buf, (size_t)n);
}

/* The position among the shown entries of item j of a list where the "..." (when ellipsis)
   is item T_PRINT_EDGE_ITEMS; -1 for the "..." itself. */
static int64_t item_entry(int64_t j, bool ellipsis) {
    if (!ellipsis || j < T_PRINT_EDGE_ITEMS) return j;
    return j == T_PRINT_EDGE_ITEMS ? -1 : j - 1;
}

/* The last dim: entries joined by ", ", wrapped to fit the line width (torch's _vector_str). */
static void put_vector(TBuf *b, const TElemFormat *f, const Tensor *x, int64_t off, int indent,
                       bool summarize) {
    int dim = x->ndim - 1;
    int element_length = f->width + 2;
    int per_line = (PRINT_LINEWIDTH - indent) / element_length;
    if (per_line < 1) per_line = 1;
    int64_t n = x->size[dim], count = shown_count(n, summarize);
    bool ellipsis = count < n;
    t_buf_puts(b, "[");
    for (int64_t j = 0; j < count + ellipsis; j++) {
        if (j > 0 && j % per_line) {
            t_buf_puts(b, ", ");
        } else if (j > 0) {
            t_buf_puts(b, ",\n");
            t_buf_repeat(b, ' ', indent + 1);
        }
        int64_t k = item_entry(j, ellipsis);
        if (k < 0)
            t_buf_puts(b, " ...");
        else
            put_elem(b, f, x, off + shown_index(n, summarize, k) * x->stride[dim]);
    }
    t_buf_puts(b, "]");
}

/* The dims from dim on, at the given indent (torch's _tensor_str_with_formatter): slices
   separated by a comma, one newline per dim below them, and the indent. */
static void put_dims(TBuf *b, const TElemFormat *f, const Tensor *x, int dim, int64_t off,
                     int indent, bool summarize) {
    if (dim == x->ndim) {
        put_elem(b, f, x, off);
        return;
    }
    if (dim == x->ndim - 1) {
        put_vector(b, f, x, off, indent, summarize);
        return;
    }
    int64_t n = x->size[dim], count = shown_count(n, summarize);
    bool ellipsis = count < n;
    t_buf_puts(b, "[");
    for (int64_t j = 0; j < count + ellipsis; j++) {
        if (j > 0) {
            t_buf_puts(b, ",");
            t_buf_repeat(b, '\n', x->ndim - dim - 1);
            t_buf_repeat(b, ' ', indent + 1);
        }
        int64_t k = item_entry(j, ellipsis);
        if (k < 0)
            t_buf_puts(b, "...");
        else
            put_dims(b, f, x, dim + 1, off + shown_index(n, summarize, k) * x->stride[dim],
                     indent + 1, summarize);
    }
    t_buf_puts(b, "]");
}

/* ---- suffixes ---- */

/* The "name=value" parts written after the values, in order. */
typedef struct Suffixes {
    const char *items[MAX_SUFFIXES];
    int n;
} Suffixes;

/* Appends one suffix. */
static void suffix_add(Suffixes *s, const char *text) {
    if (s->n == MAX_SUFFIXES)
        t_raise(T_ERR_RUNTIME, "t_str: more than %d suffixes for one tensor", MAX_SUFFIXES);
    s->items[s->n++] = text;
}

/* A shape as Python writes a tuple: "(0, 3)", "(0,)", "()". */
static const char *shape_tuple(const Tensor *x) {
    TBuf b = {0};
    t_buf_puts(&b, "(");
    for (int i = 0; i < x->ndim; i++) t_buf_printf(&b, i ? ", %lld" : "%lld", (long long)x->size[i]);
    t_buf_puts(&b, x->ndim == 1 ? ",)" : ")");
    return b.data;
}

/* The device suffix, for tensors not on the CPU. */
static void add_device_suffix(Suffixes *s, const Tensor *x) {
    if (x->device != T_CPU) suffix_add(s, t_gc_sprintf("device='%s'", t_device_name(x->device)));
}

/* The size and dtype suffixes: an empty tensor shows its shape (unless 1-D) and any dtype
   but float32; others show dtypes that are not float32, int64 or bool. */
static void add_shape_dtype_suffixes(Suffixes *s, const Tensor *x) {
    bool empty = t_numel(x) == 0;
    if (empty && x->ndim != 1) suffix_add(s, t_gc_sprintf("size=%s", shape_tuple(x)));
    bool shown = empty ? x->dtype != T_F32
                       : x->dtype != T_F32 && x->dtype != T_I64 && x->dtype != T_BOOL;
    if (shown) suffix_add(s, t_gc_sprintf("dtype=torch.%s", t_dtype_name(x->dtype)));
}

/* The autograd suffix: the grad_fn of a result, or requires_grad of a leaf. */
static void add_grad_suffix(Suffixes *s, const Tensor *x) {
    const char *name = t_grad_fn_name(x);
    if (name)
        suffix_add(s, t_gc_sprintf("grad_fn=<%s>", name));
    else if (x->requires_grad && !x->grad_fn)
        suffix_add(s, "requires_grad=True");
}

/* Appends the suffixes and the closing ")", each on a new line when it would pass the line
   width (torch's _add_suffixes). */
static void put_suffixes(TBuf *b, const Suffixes *s, int indent) {
    const char *nl = strrchr(b->data, '\n');
    /* Python's len(s) - s.rfind("\n") + 1, where rfind gives -1 when there is no newline. */
    int64_t last_line_len = (int64_t)b->len - (nl ? nl - b->data : -1) + 1;
    for (int i = 0; i < s->n; i++) {
        int64_t len = (int64_t)strlen(s->items[i]);
        if (last_line_len + len + 2 > PRINT_LINEWIDTH) {
            t_buf_puts(b, ",\n");
            t_buf_repeat(b, ' ', indent);
            last_line_len = indent + len;
        } else {
            t_buf_puts(b, ", ");
            last_line_len += len + 2;
        }
        t_buf_puts(b, s->items[i]);
    }
    t_buf_puts(b, ")");
}

/* ---- the public entry points ---- */

/* torch's _str_intern for plain strided tensors: "tensor(" values suffixes ")". Tensors on
   a GPU are copied to the CPU to be read. */
const char *t_str(const Tensor *x) {
    t_check_alive("t_str", x);
    static const char prefix[] = "tensor(";
    int indent = (int)strlen(prefix);
    const Tensor *values = x->device == T_CPU ? x : t_to((Tensor *)x, T_CPU);
    Suffixes s = {.n = 0};
    add_device_suffix(&s, x);
    add_shape_dtype_suffixes(&s, x);
    add_grad_suffix(&s, x);
    TBuf b = {0};
    t_buf_puts(&b, prefix);
    if (t_numel(values) == 0) {
        t_buf_puts(&b, "[]");
    } else {
        TElemFormat f = t_elem_format(values);
        put_dims(&b, &f, values, 0, 0, indent, summarizes(values));
    }
    put_suffixes(&b, &s, indent);
    return b.data;
}

/* t_str and a newline, to stdout. */
void t_print(const Tensor *x) {
    const char *s = t_str(x);
    fputs(s, stdout);
    fputc('\n', stdout);
}
