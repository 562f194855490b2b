/*
 * elementwise.cu — the GPU's elementwise primitives: unary, binary, where, copy (with dtype
 * conversion) and fill, for every dtype. One grid-stride kernel per arity walks strided,
 * broadcast operands (cuda_internal.h's CuIter); each op is a device lambda with exactly the
 * arithmetic of tensor/cpu_elementwise.c, so both devices give the same values.
 */
#include <math.h>

#include <limits>
#include <type_traits>

#include "cuda_internal.h"

typedef unsigned char u8;

/* ---- kernels: one per arity, the op passed as a device lambda ---- */

/* out = f(x) for every position of the iteration. */
template <typename OT, typename T, typename F> __global__ void k_map1(CuIter<2> it, int64_t n, F f) {
    OT *o = (OT *)it.base[0];
    const T *a = (const T *)it.base[1];
    CU_FOR(i, n) {
        int64_t off[2];
        cu_offsets(it, i, off);
        o[off[0]] = f(a[off[1]]);
    }
}

/* out = f(a, b) for every position of the iteration. */
template <typename OT, typename T, typename F> __global__ void k_map2(CuIter<3> it, int64_t n, F f) {
    OT *o = (OT *)it.base[0];
    const T *a = (const T *)it.base[1], *b = (const T *)it.base[2];
    CU_FOR(i, n) {
        int64_t off[3];
        cu_offsets(it, i, off);
        o[off[0]] = f(a[off[1]], b[off[2]]);
    }
}

/* out = cond ? a : b for every position of the iteration. */
template <typename T> __global__ void k_where(CuIter<4> it, int64_t n) {
    T *o = (T *)it.base[0];
    const bool *c = (const bool *)it.base[1];
    const T *a = (const T *)it.base[2], *b = (const T *)it.base[3];
    CU_FOR(i, n) {
        int64_t off[4];
        cu_offsets(it, i, off);
        o[off[0]] = c[off[1]] ? a[off[2]] : b[off[3]];
    }
}

/* out = alpha * x + beta * y for every position of the iteration. */
template <typename T> __global__ void k_axpby(CuIter<3> it, int64_t n, T alpha, T beta) {
    T *o = (T *)it.base[0];
    const T *x = (const T *)it.base[1], *y = (const T *)it.base[2];
    CU_FOR(i, n) {
        int64_t off[3];
        cu_offsets(it, i, off);
        o[off[0]] = alpha * x[off[1]] + beta * y[off[2]];
    }
}

/* out = v for every position of the iteration. */
template <typename T> __global__ void k_fill(CuIter<1> it, int64_t n, T v) {
    T *o = (T *)it.base[0];
    CU_FOR(i, n) {
        int64_t off[1];
        cu_offsets(it, i, off);
        o[off[0]] = v;
    }
}

/* Launches k_map1 over out and x (op names the primitive in errors). */
template <typename OT, typename T, typename F>
static void map1(const char *op, Tensor *out, const Tensor *x, F f) {
    const Tensor *ops[2] = {out, x};
    CuIter<2> it = cu_iter<2>(ops);
    int64_t n = cu_iter_numel(it);
    if (n == 0) return;
    k_map1<OT, T><<<cu_blocks(n), CU_THREADS>>>(it, n, f);
    cu_launched(op);
}

/* Launches k_map2 over out, a and b. */
template <typename OT, typename T, typename F>
static void map2(const char *op, Tensor *out, const Tensor *a, const Tensor *b, F f) {
    const Tensor *ops[3] = {out, a, b};
    CuIter<3> it = cu_iter<3>(ops);
    int64_t n = cu_iter_numel(it);
    if (n == 0) return;
    k_map2<OT, T><<<cu_blocks(n), CU_THREADS>>>(it, n, f);
    cu_launched(op);
}

/* ---- scalar helpers, as the CPU's ---- */

__device__ __forceinline__ int64_t ipow64(int64_t x, int64_t y) {
    if (y < 0) return x == 1 ? 1 : x == -1 ? (y & 1 ? -1 : 1) : 0;
    int64_t r = 1;
    while (y) {
        if (y & 1) r *= x;
        x *= x;
        y >>= 1;
    }
    return r;
}

/* Overloads picking the float or double libdevice function. */
#define CU_MATH1(NAME, F32, F64)                                                                \
    __device__ __forceinline__ float NAME(float x) { return F32(x); }                           \
    __device__ __forceinline__ double NAME(double x) { return F64(x); }
CU_MATH1(m_exp, expf, exp)
CU_MATH1(m_log, logf, log)
CU_MATH1(m_sqrt, sqrtf, sqrt)
CU_MATH1(m_sin, sinf, sin)
CU_MATH1(m_cos, cosf, cos)
CU_MATH1(m_tanh, tanhf, tanh)
__device__ __forceinline__ float m_pow(float x, float y) { return powf(x, y); }
__device__ __forceinline__ double m_pow(double x, double y) { return pow(x, y); }

/* ---- unary ---- */

/* The public op behind each primitive op, for error messages. */
static const char *const unary_names[U_NUNARY] = {
    [U_EXP] = "t_exp", [U_LOG] = "t_log", [U_SQRT] = "t_sqrt", [U_SIN] = "t_sin",
    [U_COS] = "t_cos", [U_TANH] = "t_tanh", [U_SIGMOID] = "t_sigmoid", [U_NEG] = "t_neg",
    [U_ABS] = "t_abs", [U_RELU] = "t_relu", [U_CLAMP] = "t_clamp", [U_ADD_S] = "t_add_s",
    [U_MUL_S] = "t_mul_s", [U_DIV_S] = "t_div_s", [U_RSUB_S] = "t_rsub_s", [U_POW_S] = "t_pow_s"};
static const char *const binary_names[B_NBINARY] = {
    [B_ADD] = "t_add", [B_SUB] = "t_sub", [B_MUL] = "t_mul", [B_DIV] = "t_div", [B_POW] = "t_pow",
    [B_MAX] = "t_maximum", [B_MIN] = "t_minimum", [B_EQ] = "t_eq", [B_NE] = "t_ne",
    [B_LT] = "t_lt", [B_LE] = "t_le", [B_GT] = "t_gt", [B_GE] = "t_ge"};

/* The unary ops of a floating dtype T. */
template <typename T>
static void unary_float(UnaryOp op, Tensor *out, const Tensor *x, double p0, double p1) {
    const T c0 = (T)p0, c1 = (T)p1;
    const char *name = unary_names[op];
    switch (op) {
    case U_EXP: map1<T, T>(name, out, x, [] __device__(T v) { return m_exp(v); }); return;
    case U_LOG: map1<T, T>(name, out, x, [] __device__(T v) { return m_log(v); }); return;
    case U_SQRT: map1<T, T>(name, out, x, [] __device__(T v) { return m_sqrt(v); }); return;
    case U_SIN: map1<T, T>(name, out, x, [] __device__(T v) { return m_sin(v); }); return;
    case U_COS: map1<T, T>(name, out, x, [] __device__(T v) { return m_cos(v); }); return;
    case U_TANH: map1<T, T>(name, out, x, [] __device__(T v) { return m_tanh(v); }); return;
    case U_SIGMOID:
        map1<T, T>(name, out, x, [] __device__(T v) { return (T)1 / ((T)1 + m_exp(-v)); });
        return;
    case U_NEG: map1<T, T>(name, out, x, [] __device__(T v) { return -v; }); return;
    case U_ABS: map1<T, T>(name, out, x, [] __device__(T v) { return v < 0 ? -v : v; }); return;
    case U_RELU:
        map1<T, T>(name, out, x, [] __device__(T v) { return v > 0 ? v : (v != v ? v : (T)0); });
        return;
    case U_CLAMP:
        map1<T, T>(name, out, x, [c0, c1] __device__(T v) {
            return v != v ? v : v < c0 ? c0 : v > c1 ? c1 : v;
        });
        return;
    case U_ADD_S: map1<T, T>(name, out, x, [c0] __device__(T v) { return v + c0; }); return;
    case U_MUL_S: map1<T, T>(name, out, x, [c0] __device__(T v) { return v * c0; }); return;
    case U_DIV_S: map1<T, T>(name, out, x, [c0] __device__(T v) { return v / c0; }); return;
    case U_RSUB_S: map1<T, T>(name, out, x, [c0] __device__(T v) { return c0 - v; }); return;
    case U_POW_S: map1<T, T>(name, out, x, [c0] __device__(T v) { return m_pow(v, c0); }); return;
    default: break;
    }
    cu_raise(T_ERR_DTYPE, "%s (cuda) is not defined for %s", unary_names[op],
             cu_dtype_name(x->dtype));
}

/* The unary ops of an integer dtype T; clamp bounds stay doubles so that infinite or
   out-of-range bounds mean "no bound". */
template <typename T>
static void unary_int(UnaryOp op, Tensor *out, const Tensor *x, double p0, double p1) {
    const T c0 = (T)p0;
    constexpr bool is_unsigned = std::is_unsigned_v<T>;
    const char *name = unary_names[op];
    switch (op) {
    case U_NEG: map1<T, T>(name, out, x, [] __device__(T v) { return (T)-v; }); return;
    case U_ABS:
        if constexpr (is_unsigned) map1<T, T>(name, out, x, [] __device__(T v) { return v; });
        else map1<T, T>(name, out, x, [] __device__(T v) { return (T)(v < 0 ? -v : v); });
        return;
    case U_RELU:
        if constexpr (is_unsigned) map1<T, T>(name, out, x, [] __device__(T v) { return v; });
        else map1<T, T>(name, out, x, [] __device__(T v) { return (T)(v < 0 ? 0 : v); });
        return;
    case U_CLAMP:
        map1<T, T>(name, out, x, [p0, p1] __device__(T v) {
            if ((double)v < p0) v = (T)ceil(p0);
            if ((double)v > p1) v = (T)floor(p1);
            return v;
        });
        return;
    case U_ADD_S: map1<T, T>(name, out, x, [c0] __device__(T v) { return (T)(v + c0); }); return;
    case U_MUL_S: map1<T, T>(name, out, x, [c0] __device__(T v) { return (T)(v * c0); }); return;
    case U_RSUB_S: map1<T, T>(name, out, x, [c0] __device__(T v) { return (T)(c0 - v); }); return;
    case U_POW_S:
        map1<T, T>(name, out, x, [c0] __device__(T v) { return (T)ipow64(v, c0); });
        return;
    default: break;
    }
    cu_raise(T_ERR_DTYPE, "%s (cuda) is not defined for %s", unary_names[op],
             cu_dtype_name(x->dtype));
}

void cu_unary(UnaryOp op, Tensor *out, const Tensor *x, double p0, double p1) {
    if ((unsigned)op >= U_NUNARY) cu_raise(T_ERR_VALUE, "cuda unary: unknown op %d", (int)op);
    cu_set_device(out->device);
    switch (x->dtype) {
    case T_F32: unary_float<float>(op, out, x, p0, p1); return;
    case T_F64: unary_float<double>(op, out, x, p0, p1); return;
    case T_I64: unary_int<int64_t>(op, out, x, p0, p1); return;
    case T_I32: unary_int<int32_t>(op, out, x, p0, p1); return;
    case T_U8: unary_int<u8>(op, out, x, p0, p1); return;
    default:
        cu_raise(T_ERR_DTYPE, "%s (cuda) is not defined for %s", unary_names[op],
                 cu_dtype_name(x->dtype));
    }
}

/* ---- binary ---- */

/* Comparisons of T into bool (every dtype). */
template <typename T> static bool compare(BinaryOp op, Tensor *out, const Tensor *a, const Tensor *b) {
    const char *name = binary_names[op];
    switch (op) {
    case B_EQ: map2<bool, T>(name, out, a, b, [] __device__(T x, T y) { return x == y; }); return true;
    case B_NE: map2<bool, T>(name, out, a, b, [] __device__(T x, T y) { return x != y; }); return true;
    case B_LT: map2<bool, T>(name, out, a, b, [] __device__(T x, T y) { return x < y; }); return true;
    case B_LE: map2<bool, T>(name, out, a, b, [] __device__(T x, T y) { return x <= y; }); return true;
    case B_GT: map2<bool, T>(name, out, a, b, [] __device__(T x, T y) { return x > y; }); return true;
    case B_GE: map2<bool, T>(name, out, a, b, [] __device__(T x, T y) { return x >= y; }); return true;
    default: return false;
    }
}

/* Arithmetic of a numeric dtype T; false for pairs the op layer never sends. */
template <typename T> static bool arith(BinaryOp op, Tensor *out, const Tensor *a, const Tensor *b) {
    constexpr bool floating = std::is_floating_point_v<T>;
    const char *name = binary_names[op];
    switch (op) {
    case B_ADD: map2<T, T>(name, out, a, b, [] __device__(T x, T y) { return (T)(x + y); }); return true;
    case B_SUB: map2<T, T>(name, out, a, b, [] __device__(T x, T y) { return (T)(x - y); }); return true;
    case B_MUL: map2<T, T>(name, out, a, b, [] __device__(T x, T y) { return (T)(x * y); }); return true;
    case B_DIV:
        if (!floating) return false;
        map2<T, T>(name, out, a, b, [] __device__(T x, T y) { return (T)(x / y); });
        return true;
    case B_POW:
        if constexpr (floating) map2<T, T>(name, out, a, b, [] __device__(T x, T y) { return m_pow(x, y); });
        else map2<T, T>(name, out, a, b, [] __device__(T x, T y) { return (T)ipow64(x, y); });
        return true;
    /* NaN wins max and min, as in PyTorch (x != x is false for integers) */
    case B_MAX:
        map2<T, T>(name, out, a, b, [] __device__(T x, T y) { return x != x || x > y ? x : y; });
        return true;
    case B_MIN:
        map2<T, T>(name, out, a, b, [] __device__(T x, T y) { return x != x || x < y ? x : y; });
        return true;
    default: return compare<T>(op, out, a, b);
    }
}

/* bool operands: add and max are "or", mul and min are "and", as on the CPU. */
static bool arith_bool(BinaryOp op, Tensor *out, const Tensor *a, const Tensor *b) {
    const char *name = binary_names[op];
    switch (op) {
    case B_ADD:
    case B_MAX: map2<bool, bool>(name, out, a, b, [] __device__(bool x, bool y) { return x || y; }); return true;
    case B_MUL:
    case B_MIN: map2<bool, bool>(name, out, a, b, [] __device__(bool x, bool y) { return x && y; }); return true;
    default: return compare<bool>(op, out, a, b);
    }
}

void cu_binary(BinaryOp op, Tensor *out, const Tensor *a, const Tensor *b) {
    if ((unsigned)op >= B_NBINARY) cu_raise(T_ERR_VALUE, "cuda binary: unknown op %d", (int)op);
    cu_set_device(out->device);
    bool done = false;
    switch (a->dtype) {
    case T_F32: done = arith<float>(op, out, a, b); break;
    case T_F64: done = arith<double>(op, out, a, b); break;
    case T_I64: done = arith<int64_t>(op, out, a, b); break;
    case T_I32: done = arith<int32_t>(op, out, a, b); break;
    case T_U8: done = arith<u8>(op, out, a, b); break;
    case T_BOOL: done = arith_bool(op, out, a, b); break;
    default: break;
    }
    if (!done)
        cu_raise(T_ERR_DTYPE, "%s (cuda) is not defined for %s", binary_names[op],
                 cu_dtype_name(a->dtype));
}

/* ---- axpby ---- */

/* Launches k_axpby for dtype T. */
template <typename T>
static void axpby_t(Tensor *out, const Tensor *x, const Tensor *y, double alpha, double beta) {
    const Tensor *ops[3] = {out, x, y};
    CuIter<3> it = cu_iter<3>(ops);
    int64_t n = cu_iter_numel(it);
    if (n == 0) return;
    k_axpby<T><<<cu_blocks(n), CU_THREADS>>>(it, n, (T)alpha, (T)beta);
    cu_launched("axpby");
}

void cu_axpby(Tensor *out, const Tensor *x, const Tensor *y, double alpha, double beta) {
    cu_set_device(out->device);
    switch (out->dtype) {
    case T_F32: axpby_t<float>(out, x, y, alpha, beta); return;
    case T_F64: axpby_t<double>(out, x, y, alpha, beta); return;
    default:
        cu_raise(T_ERR_DTYPE, "axpby (cuda): expected float32 or float64, got %s",
                 cu_dtype_name(out->dtype));
    }
}

/* ---- where ---- */

/* Launches k_where for dtype T. */
template <typename T> static void where_t(Tensor *out, const Tensor *c, const Tensor *a, const Tensor *b) {
    const Tensor *ops[4] = {out, c, a, b};
    CuIter<4> it = cu_iter<4>(ops);
    int64_t n = cu_iter_numel(it);
    if (n == 0) return;
    k_where<T><<<cu_blocks(n), CU_THREADS>>>(it, n);
    cu_launched("t_where");
}

void cu_where(Tensor *out, const Tensor *cond, const Tensor *a, const Tensor *b) {
    cu_set_device(out->device);
    switch (out->dtype) {
    case T_F32: where_t<float>(out, cond, a, b); return;
    case T_F64: where_t<double>(out, cond, a, b); return;
    case T_I64: case T_I32: case T_U8: case T_BOOL: break;
    default: cu_raise(T_ERR_DTYPE, "cuda where: unknown dtype %d", (int)out->dtype);
    }
    /* Integer and bool elements only move: pick the kernel by width. */
    switch (cu_dtype_size(out->dtype)) {
    case 8: where_t<int64_t>(out, cond, a, b); return;
    case 4: where_t<int32_t>(out, cond, a, b); return;
    default: where_t<u8>(out, cond, a, b); return;
    }
}

/* ---- copy with conversion ---- */

/* One element converted from T to OT exactly as cpu_elementwise.c's copy loops do: to bool
   means "is nonzero"; floating to integer saturates (NaN gives 0); otherwise C's cast. */
template <typename OT, typename T> struct Convert {
    __device__ static OT run(T x) {
        constexpr bool to_bool = std::is_same_v<OT, bool>;
        constexpr bool float_to_int = std::is_floating_point_v<T> && std::is_integral_v<OT>;
        if constexpr (to_bool) {
            return x != 0;
        } else if constexpr (float_to_int) {
            constexpr OT lo = std::numeric_limits<OT>::min(), hi = std::numeric_limits<OT>::max();
            return x != x ? (OT)0 : (double)x <= (double)lo ? lo : (double)x >= (double)hi ? hi : (OT)x;
        } else {
            return (OT)x;
        }
    }
};

/* Launches the conversion from T into OT. */
template <typename OT, typename T> static void copy_to(Tensor *dst, const Tensor *src) {
    map1<OT, T>("cuda copy", dst, src, [] __device__(T v) { return Convert<OT, T>::run(v); });
}

/* Launches the conversion from T into dst's dtype. */
template <typename T> static void copy_from(Tensor *dst, const Tensor *src) {
    switch (dst->dtype) {
    case T_F32: copy_to<float, T>(dst, src); return;
    case T_F64: copy_to<double, T>(dst, src); return;
    case T_I64: copy_to<int64_t, T>(dst, src); return;
    case T_I32: copy_to<int32_t, T>(dst, src); return;
    case T_U8: copy_to<u8, T>(dst, src); return;
    default: copy_to<bool, T>(dst, src); return;
    }
}

/* True when x's elements fill numel consecutive slots from its first element. */
static bool contiguous(const Tensor *x) {
    int64_t expected = 1;
    for (int i = x->ndim - 1; i >= 0; i--) {
        if (x->size[i] == 1) continue;
        if (x->stride[i] != expected) return false;
        expected *= x->size[i];
    }
    return true;
}

void cu_copy(Tensor *dst, const Tensor *src) {
    cu_set_device(dst->device);
    if (dst->dtype == src->dtype && contiguous(dst) && contiguous(src) && src->ndim == dst->ndim) {
        int64_t n = 1;
        for (int i = 0; i < dst->ndim; i++) n *= dst->size[i];
        size_t nbytes = (size_t)n * cu_dtype_size(dst->dtype);
        char *d = cu_ptr(dst), *s = cu_ptr(src);
        if (n == 0 || d == s) return;
        /* disjoint ranges copy in one call; overlapping views take the kernel */
        if (d + nbytes <= s || s + nbytes <= d) {
            cu_check(cudaMemcpyAsync(d, s, nbytes, cudaMemcpyDeviceToDevice, 0), "cuda copy");
            if (cu_sync_each_op) cu_check(cudaDeviceSynchronize(), "cuda copy");
            return;
        }
    }
    switch (src->dtype) {
    case T_F32: copy_from<float>(dst, src); return;
    case T_F64: copy_from<double>(dst, src); return;
    case T_I64: copy_from<int64_t>(dst, src); return;
    case T_I32: copy_from<int32_t>(dst, src); return;
    case T_U8: copy_from<u8>(dst, src); return;
    default: copy_from<bool>(dst, src); return;
    }
}

/* ---- fill ---- */

/* Launches k_fill with v. */
template <typename T> static void fill_t(Tensor *out, T v) {
    const Tensor *ops[1] = {out};
    CuIter<1> it = cu_iter<1>(ops);
    int64_t n = cu_iter_numel(it);
    if (n == 0) return;
    k_fill<T><<<cu_blocks(n), CU_THREADS>>>(it, n, v);
    cu_launched("t_fill_");
}

void cu_fill(Tensor *out, double value) {
    cu_set_device(out->device);
    switch (out->dtype) {
    case T_F32: fill_t<float>(out, (float)value); return;
    case T_F64: fill_t<double>(out, value); return;
    case T_I64: fill_t<int64_t>(out, (int64_t)value); return;
    case T_I32: fill_t<int32_t>(out, (int32_t)value); return;
    case T_U8: fill_t<u8>(out, (u8)value); return;
    default: fill_t<bool>(out, value != 0); return;
    }
}
