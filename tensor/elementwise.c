/*
 * elementwise.c — the public elementwise ops: dtype promotion, broadcasting, in-place rules
 * and output layout, then one call into the device's primitives.
 */
#include <math.h>

#include "autograd.h"
#include "grad.h"

/* 0: bool, 1: integer, 2: floating — PyTorch promotes by category first. */
static int category(DType d) { return d == T_BOOL ? 0 : t_dtype_is_floating(d) ? 2 : 1; }

/* The dtype a binary op computes in: as t_promote, except that a 0-d operand only decides
   when its category is higher than the other's (torch's result_type). */
static DType result_type(const Tensor *a, const Tensor *b) {
    if (a->dtype == b->dtype) return a->dtype;
    bool za = a->ndim == 0, zb = b->ndim == 0;
    if (za == zb) return t_promote(a->dtype, b->dtype);
    const Tensor *dim = za ? b : a, *zero = za ? a : b;
    return category(zero->dtype) > category(dim->dtype) ? zero->dtype : dim->dtype;
}

/* A Shape of ndim sizes. */
static Shape shape_of_sizes(int ndim, const int64_t *size) {
    Shape s = {ndim, {0}};
    for (int i = 0; i < ndim; i++) s.d[i] = size[i];
    return s;
}

/* x converted to dtype and expanded to the sizes `size`: operand's slow path. */
static Tensor *operand_converted(Tensor *x, DType dtype, int ndim, const int64_t *size) {
    bool grad_mode = t_no_grad_enter_();
    Tensor *r = t_expand_shape(t_to_dtype(x, dtype), shape_of_sizes(ndim, size));
    t_no_grad_exit_(grad_mode);
    return r;
}

/* x as a view with exactly the sizes `size` (broadcast), in dtype: an internal operand, so
   nothing is recorded for autograd (the op records itself against the user's tensors). Sizes
   travel as a pointer, not a Shape by value, and the common case (x as it is) is inline:
   this is every op's hot path. */
static inline Tensor *operand(Tensor *x, DType dtype, int ndim, const int64_t *size) {
    if (x->dtype == dtype && x->ndim == ndim) {
        if (x->size == size) return x; /* x's own sizes */
        bool same = true;
        for (int i = 0; i < ndim && same; i++) same = x->size[i] == size[i];
        if (same) return x;
    }
    return operand_converted(x, dtype, ndim, size);
}

/* Whether a and b have the same sizes (the common case, with nothing to broadcast). */
static bool same_shape(const Tensor *a, const Tensor *b) {
    if (a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->size[i] != b->size[i]) return false;
    return true;
}

/* True when x's elements exactly tile its storage span in some dim order (no gaps, no
   overlap), so an output can share its layout and be walked in one flat pass. */
static bool is_dense(const Tensor *x) {
    int64_t strides[T_MAX_DIMS], sizes[T_MAX_DIMS];
    int n = 0;
    for (int i = 0; i < x->ndim; i++)
        if (x->size[i] != 1) sizes[n] = x->size[i], strides[n++] = x->stride[i];
    for (int i = 1; i < n; i++) /* sort by stride, ascending */
        for (int j = i; j > 0 && strides[j - 1] > strides[j]; j--) {
            int64_t s = strides[j]; strides[j] = strides[j - 1]; strides[j - 1] = s;
            s = sizes[j]; sizes[j] = sizes[j - 1]; sizes[j - 1] = s;
        }
    int64_t expected = 1;
    for (int i = 0; i < n; i++) {
        if (strides[i] != expected) return false;
        expected *= sizes[i];
    }
    return true;
}

/* A new output with sizes `size` (like's own, or a broadcast) and dtype. When like has the
   same sizes and a dense, permuted layout (a transposed tensor, say), the output takes that
   layout, as PyTorch's does. */
static Tensor *new_output(int ndim, const int64_t *size, DType dtype, const Tensor *like) {
    /* like's own sizes are known to fit; a broadcast of two tensors' may not */
    Tensor *out = size == like->size ? t_new_sized(ndim, size, dtype, like->device)
                                     : t_new(shape_of_sizes(ndim, size), dtype, like->device);
    /* t_contiguous_fast already falls back to t_is_contiguous when its quick walk fails */
    if (like->ndim != ndim || t_contiguous_fast(like) || !is_dense(like)) return out;
    for (int i = 0; i < ndim; i++)
        if (like->size[i] != size[i]) return out;
    for (int i = 0; i < ndim; i++) out->stride[i] = like->stride[i];
    return out;
}

/* Raises unless every element of x has its own memory: an in-place write through an
   expanded view would write one location many times. */
static void check_writable(const char *op, const Tensor *x) {
    for (int i = 0; i < x->ndim; i++)
        if (x->stride[i] == 0 && x->size[i] > 1)
            t_raise(T_ERR_RUNTIME, "%s: unsupported operation: more than one element of the "
                    "written-to tensor (shape %s, strides %s) refers to a single memory location; "
                    "t_clone it first", op, t_shape_str(t_shape_of(x)), t_shape_str(t_strides(x)));
}

/* The lowest and highest element offsets x reaches in its storage. */
static void span(const Tensor *x, int64_t *lo, int64_t *hi) {
    *lo = *hi = x->offset;
    for (int i = 0; i < x->ndim; i++) {
        int64_t reach = (x->size[i] - 1) * x->stride[i];
        if (reach < 0) *lo += reach;
        else *hi += reach;
    }
}

/* Raises when src shares memory with dst in a different arrangement, so that an in-place
   write could change src's elements before they are read. As PyTorch, only tensors that are
   dense (no gaps) are judged: interleaved views such as two columns are left alone. */
static void check_no_partial_overlap(const char *op, const Tensor *dst, const Tensor *src) {
    if (dst->storage != src->storage || t_numel(dst) == 0 || t_numel(src) == 0) return;
    if (!is_dense(dst) || !is_dense(src)) return;
    bool same = dst->offset == src->offset && dst->ndim == src->ndim;
    for (int i = 0; same && i < dst->ndim; i++)
        same = dst->size[i] == src->size[i] && dst->stride[i] == src->stride[i];
    if (same) return;
    int64_t dlo, dhi, slo, shi;
    span(dst, &dlo, &dhi);
    span(src, &slo, &shi);
    if (dlo <= shi && slo <= dhi)
        t_raise(T_ERR_RUNTIME, "%s: unsupported operation: some elements of the input tensor and "
                "the written-to tensor refer to a single memory location; t_clone the input first", op);
}

/* Records an in-place write to x's storage (autograd checks saved tensors against it). */
static void bump_version(Tensor *x) { x->storage->version++; }

/* Raises unless a result of dtype `from` may be written into a tensor of dtype `to` in
   place (PyTorch's can_cast: never float into integer, nor number into bool). */
static void check_inplace_cast(const char *op, DType from, DType to) {
    if (category(from) > category(to))
        t_raise(T_ERR_DTYPE, "%s: result type %s can't be cast to the desired output type %s",
                op, t_dtype_name(from), t_dtype_name(to));
}

static bool is_comparison(BinaryOp op) { return op >= B_EQ; }

/* The shared body of every tensor-tensor op. inplace writes into a. */
static Tensor *binary(const char *name, BinaryOp op, Tensor *a, Tensor *b, bool inplace) {
    t_check_alive(name, a);
    t_check_alive(name, b);
    t_check_same_device(name, a, b);
    DType ct = result_type(a, b);
    if (op == B_DIV && !t_dtype_is_floating(ct)) ct = T_F32; /* true division */
    if (op == B_SUB && ct == T_BOOL)
        t_raise(T_ERR_DTYPE, "%s: subtracting bool tensors is not supported; use t_ne or "
                "logical operations instead", name);
    if (op == B_POW && ct == T_BOOL) ct = T_I64;
    Shape broadcast;
    int ndim = a->ndim;
    const int64_t *size = a->size;
    if (!same_shape(a, b)) {
        broadcast = t_broadcast_shapes(name, t_shape_of(a), t_shape_of(b));
        ndim = broadcast.ndim;
        size = broadcast.d;
    }
    Tensor *out, *grad_a = a;
    if (inplace) {
        check_writable(name, a);
        check_no_partial_overlap(name, a, b);
        t_ag_check_inplace(name, a);
        /* the op's gradient may need a's old values: keep them, linked to a's history */
        if (t_ag_needed(2, (Tensor *[]){a, b})) grad_a = t_clone(a);
        check_inplace_cast(name, ct, a->dtype);
        Shape shape = shape_of_sizes(ndim, size);
        if (a->ndim != ndim || t_numel(a) != t_shape_numel(name, shape))
            t_raise(T_ERR_SHAPE, "%s: output with shape %s doesn't match the broadcast shape %s",
                    name, t_shape_str(t_shape_of(a)), t_shape_str(shape));
        ct = a->dtype;
        out = a;
    } else {
        out = new_output(ndim, size, is_comparison(op) ? T_BOOL : ct, a);
    }
    Tensor *x = operand(a, ct, ndim, size), *y = operand(b, ct, ndim, size);
    t_backend(a->device)->binary(op, out, x, y);
    if (inplace) bump_version(a);
    /* the flags settle most calls here, without the call (the recorder checks in full) */
    if (grad_a->requires_grad || b->requires_grad) t_grad_record_binary(op, out, grad_a, b);
    return out;
}

void t_axpby_(const char *op, Tensor *y, double beta, Tensor *x, double alpha) {
    t_check_alive(op, y);
    t_check_alive(op, x);
    t_check_same_device(op, y, x);
    if (y->dtype != x->dtype || !t_dtype_is_floating(y->dtype))
        t_raise(T_ERR_DTYPE, "%s: expected two float32 or two float64 tensors, got %s and %s", op,
                t_dtype_name(y->dtype), t_dtype_name(x->dtype));
    if (!same_shape(y, x))
        t_raise(T_ERR_SHAPE, "%s: expected tensors of one shape, got %s and %s", op,
                t_shape_str(t_shape_of(y)), t_shape_str(t_shape_of(x)));
    if (t_ag_needed(2, (Tensor *[]){y, x}))
        t_raise(T_ERR_AUTOGRAD, "%s: an in-place update that autograd does not record; run it "
                "inside T_NO_GRAD", op);
    check_writable(op, y);
    check_no_partial_overlap(op, y, x);
    t_backend(y->device)->axpby(y, y, x, beta, alpha);
    bump_version(y);
}

Tensor *t_add(Tensor *a, Tensor *b) { return binary("t_add", B_ADD, a, b, false); }
Tensor *t_sub(Tensor *a, Tensor *b) { return binary("t_sub", B_SUB, a, b, false); }
Tensor *t_mul(Tensor *a, Tensor *b) { return binary("t_mul", B_MUL, a, b, false); }
Tensor *t_div(Tensor *a, Tensor *b) { return binary("t_div", B_DIV, a, b, false); }
Tensor *t_pow(Tensor *a, Tensor *b) { return binary("t_pow", B_POW, a, b, false); }
Tensor *t_maximum(Tensor *a, Tensor *b) { return binary("t_maximum", B_MAX, a, b, false); }
Tensor *t_minimum(Tensor *a, Tensor *b) { return binary("t_minimum", B_MIN, a, b, false); }
Tensor *t_eq(Tensor *a, Tensor *b) { return binary("t_eq", B_EQ, a, b, false); }
Tensor *t_ne(Tensor *a, Tensor *b) { return binary("t_ne", B_NE, a, b, false); }
Tensor *t_lt(Tensor *a, Tensor *b) { return binary("t_lt", B_LT, a, b, false); }
Tensor *t_le(Tensor *a, Tensor *b) { return binary("t_le", B_LE, a, b, false); }
Tensor *t_gt(Tensor *a, Tensor *b) { return binary("t_gt", B_GT, a, b, false); }
Tensor *t_ge(Tensor *a, Tensor *b) { return binary("t_ge", B_GE, a, b, false); }
Tensor *t_add_(Tensor *a, Tensor *b) { return binary("t_add_", B_ADD, a, b, true); }
Tensor *t_sub_(Tensor *a, Tensor *b) { return binary("t_sub_", B_SUB, a, b, true); }
Tensor *t_mul_(Tensor *a, Tensor *b) { return binary("t_mul_", B_MUL, a, b, true); }
Tensor *t_div_(Tensor *a, Tensor *b) { return binary("t_div_", B_DIV, a, b, true); }
Tensor *t_pow_(Tensor *a, Tensor *b) { return binary("t_pow_", B_POW, a, b, true); }

/* ---- comparisons with a scalar: the scalar is a 0-d tensor of a's category ---- */

/* Whether s is a whole number that an integer dtype holds exactly. */
static bool fits_integer(DType d, double s) {
    static const double lo[T_NDTYPES] = {[T_I64] = -0x1p63, [T_I32] = INT32_MIN, [T_U8] = 0,
                                         [T_BOOL] = 0};
    static const double hi[T_NDTYPES] = {[T_I64] = 0x1p63 - 1024, [T_I32] = INT32_MAX,
                                         [T_U8] = UINT8_MAX, [T_BOOL] = 1};
    return s == floor(s) && s >= lo[d] && s <= hi[d];
}

/* A 0-d tensor holding s for comparing with a: of a's dtype when that holds s exactly,
   else float64 so the comparison stays exact. */
static Tensor *scalar_like(const char *op, const Tensor *a, double s) {
    t_check_alive(op, a);
    DType dt = a->dtype;
    if (!t_dtype_is_floating(dt) && !fits_integer(dt, s)) dt = T_F64;
    Tensor *t = t_scalar_dt(dt, s);
    if (a->device != T_CPU) t = t_to(t, a->device);
    return t;
}

/* A comparison of a with the scalar s. */
#define COMPARE_S(fn, OP)                                                                       \
    Tensor *fn(Tensor *a, double s) { return binary(#fn, OP, a, scalar_like(#fn, a, s), false); }
COMPARE_S(t_eq_s, B_EQ)
COMPARE_S(t_ne_s, B_NE)
COMPARE_S(t_lt_s, B_LT)
COMPARE_S(t_le_s, B_LE)
COMPARE_S(t_gt_s, B_GT)
COMPARE_S(t_ge_s, B_GE)

/* ---- unary ops and scalar arithmetic ---- */

/* Applies a unary primitive to x (cast to dtype first if needed), in place or not. */
static Tensor *unary(const char *name, UnaryOp op, Tensor *x, DType dtype, double p0, double p1,
                     bool inplace) {
    t_check_alive(name, x);
    Tensor *out, *grad_x = x;
    if (inplace) {
        check_writable(name, x);
        t_ag_check_inplace(name, x);
        if (t_ag_needed(1, &x)) grad_x = t_clone(x); /* old values, for the gradient */
        check_inplace_cast(name, dtype, x->dtype);
        dtype = x->dtype;
        out = x;
    } else {
        out = new_output(x->ndim, x->size, dtype, x);
    }
    t_backend(x->device)->unary(op, out, operand(x, dtype, x->ndim, x->size), p0, p1);
    if (inplace) bump_version(x);
    t_grad_record_unary(op, out, grad_x, p0, p1);
    return out;
}

/* Transcendental ops compute in floating point: integers become float32, as in PyTorch. */
static DType float_dtype(DType d) { return t_dtype_is_floating(d) ? d : T_F32; }

/* Sign-preserving ops keep integer dtypes; bool is refused, as in PyTorch. */
static DType signed_dtype(const char *name, DType d) {
    if (d == T_BOOL)
        t_raise(T_ERR_DTYPE, "%s: not supported for bool tensors; convert with t_to_dtype first",
                name);
    return d;
}

/* The dtype of x op s: integers stay integers for whole-number scalars. */
static DType scalar_result(DType d, double s) {
    if (t_dtype_is_floating(d)) return d;
    if (s != floor(s) || !isfinite(s)) return T_F32;
    return d == T_BOOL ? T_I64 : d;
}

#define FLOAT_UNARY(fn, OP)                                                                     \
    Tensor *t_##fn(Tensor *x) {                                                                 \
        t_check_alive("t_" #fn, x);                                                             \
        return unary("t_" #fn, OP, x, float_dtype(x->dtype), 0, 0, false);                     \
    }                                                                                           \
    Tensor *t_##fn##_(Tensor *x) {                                                              \
        t_check_alive("t_" #fn "_", x);                                                         \
        return unary("t_" #fn "_", OP, x, float_dtype(x->dtype), 0, 0, true);                  \
    }
FLOAT_UNARY(exp, U_EXP)
FLOAT_UNARY(log, U_LOG)
FLOAT_UNARY(sqrt, U_SQRT)
FLOAT_UNARY(sin, U_SIN)
FLOAT_UNARY(cos, U_COS)
FLOAT_UNARY(tanh, U_TANH)
FLOAT_UNARY(sigmoid, U_SIGMOID)

#define SIGNED_UNARY(fn, OP)                                                                    \
    Tensor *t_##fn(Tensor *x) {                                                                 \
        t_check_alive("t_" #fn, x);                                                             \
        return unary("t_" #fn, OP, x, signed_dtype("t_" #fn, x->dtype), 0, 0, false);          \
    }                                                                                           \
    Tensor *t_##fn##_(Tensor *x) {                                                              \
        t_check_alive("t_" #fn "_", x);                                                         \
        return unary("t_" #fn "_", OP, x, signed_dtype("t_" #fn "_", x->dtype), 0, 0, true);   \
    }
SIGNED_UNARY(neg, U_NEG)
SIGNED_UNARY(abs, U_ABS)
SIGNED_UNARY(relu, U_RELU)

/* Integers clamp as integers to whole bounds (infinite ones included); a fractional bound
   makes the result float32, as a Python float bound does in PyTorch. */
static DType clamp_dtype(const char *name, DType d, double lo, double hi) {
    d = signed_dtype(name, d);
    bool whole = (lo == floor(lo) || isinf(lo)) && (hi == floor(hi) || isinf(hi));
    return t_dtype_is_floating(d) || whole ? d : T_F32;
}
Tensor *t_clamp(Tensor *x, double lo, double hi) {
    t_check_alive("t_clamp", x);
    return unary("t_clamp", U_CLAMP, x, clamp_dtype("t_clamp", x->dtype, lo, hi), lo, hi, false);
}
Tensor *t_clamp_(Tensor *x, double lo, double hi) {
    t_check_alive("t_clamp_", x);
    return unary("t_clamp_", U_CLAMP, x, clamp_dtype("t_clamp_", x->dtype, lo, hi), lo, hi, true);
}

/* Integer powers need a non-negative whole exponent; anything else computes in float. */
static DType pow_dtype(DType d, double s) {
    return t_dtype_is_floating(d) || s < 0 || s != floor(s) ? float_dtype(d)
           : d == T_BOOL ? T_I64 : d;
}

/* A scalar op: OP applied with parameter P0, computing in the dtype RULE(a's dtype, s). */
#define SCALAR_OP(fn, OP, RULE, P0, INPLACE)                                                    \
    Tensor *fn(Tensor *a, double s) {                                                           \
        t_check_alive(#fn, a);                                                                  \
        return unary(#fn, OP, a, RULE(a->dtype, s), P0, 0, INPLACE);                            \
    }
#define FLOAT_RULE(d, s) float_dtype(d)
SCALAR_OP(t_add_s, U_ADD_S, scalar_result, s, false)
SCALAR_OP(t_sub_s, U_ADD_S, scalar_result, -s, false)
SCALAR_OP(t_rsub_s, U_RSUB_S, scalar_result, s, false)
SCALAR_OP(t_mul_s, U_MUL_S, scalar_result, s, false)
SCALAR_OP(t_div_s, U_DIV_S, FLOAT_RULE, s, false)
SCALAR_OP(t_pow_s, U_POW_S, pow_dtype, s, false)
SCALAR_OP(t_add_s_, U_ADD_S, scalar_result, s, true)
SCALAR_OP(t_sub_s_, U_ADD_S, scalar_result, -s, true)
SCALAR_OP(t_mul_s_, U_MUL_S, scalar_result, s, true)
SCALAR_OP(t_div_s_, U_DIV_S, FLOAT_RULE, s, true)
SCALAR_OP(t_pow_s_, U_POW_S, pow_dtype, s, true)

/* ---- where, fill, copy ---- */

Tensor *t_where(Tensor *cond, Tensor *a, Tensor *b) {
    t_check_alive("t_where", cond);
    t_check_alive("t_where", a);
    t_check_alive("t_where", b);
    if (cond->dtype != T_BOOL)
        t_raise(T_ERR_DTYPE, "t_where: the condition must be bool, got %s (compare with t_ne_s "
                "to make one)", t_dtype_name(cond->dtype));
    t_check_same_device("t_where", cond, a);
    t_check_same_device("t_where", a, b);
    Shape shape = t_broadcast_shapes("t_where", t_shape_of(a), t_shape_of(b));
    shape = t_broadcast_shapes("t_where", t_shape_of(cond), shape);
    DType dt = result_type(a, b);
    Tensor *out = new_output(shape.ndim, shape.d, dt, a);
    t_backend(a->device)->where(out, operand(cond, T_BOOL, shape.ndim, shape.d),
                                operand(a, dt, shape.ndim, shape.d), operand(b, dt, shape.ndim, shape.d));
    t_grad_record_where(out, cond, a, b);
    return out;
}

Tensor *t_fill_(Tensor *x, double value) {
    t_check_alive("t_fill_", x);
    t_ag_check_inplace("t_fill_", x);
    t_backend(x->device)->fill(x, value);
    bump_version(x);
    t_grad_record_fill(x);
    return x;
}

Tensor *t_zero_(Tensor *x) { return t_fill_(x, 0); }

Tensor *t_copy_(Tensor *dst, Tensor *src) {
    t_check_alive("t_copy_", dst);
    t_check_alive("t_copy_", src);
    t_check_same_device("t_copy_", dst, src);
    check_writable("t_copy_", dst);
    check_no_partial_overlap("t_copy_", dst, src);
    t_ag_check_inplace("t_copy_", dst);
    Shape ds = t_shape_of(dst), both = t_broadcast_shapes("t_copy_", ds, t_shape_of(src));
    if (both.ndim != ds.ndim || t_shape_numel("t_copy_", both) != t_numel(dst))
        t_raise(T_ERR_SHAPE, "t_copy_: src of shape %s cannot be broadcast to dst's shape %s",
                t_shape_str(t_shape_of(src)), t_shape_str(ds));
    t_backend(dst->device)->copy(dst, operand(src, src->dtype, dst->ndim, dst->size));
    bump_version(dst);
    t_grad_record_copy(dst, src);
    return dst;
}
