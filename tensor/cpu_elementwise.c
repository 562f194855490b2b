/*
 * cpu_elementwise.c — the CPU's elementwise primitives: unary, binary, where, copy and fill,
 * for every dtype. Each (op, dtype) pair is one loop function with a contiguous fast path
 * the compiler vectorizes, a path for a broadcast scalar operand, and a general strided path;
 * each loop is built for AVX2 and plain x86-64 (CPU_MULTIVERSION_AVX2, cpu.h).
 */
#include <math.h>
#include <string.h>

#include "backend.h"
#include "cpu.h"
#include "cpu_elementwise.h"
#include "cpu_iter.h"

typedef struct Params {
    double p0, p1;
} Params;

/* ---- scalar helpers ---- */

static inline int64_t ipow64(int64_t x, int64_t y) {
    if (y < 0) return x == 1 ? 1 : x == -1 ? (y & 1 ? -1 : 1) : 0;
    int64_t r = 1;
    while (y) {
        if (y & 1) r *= x;
        x *= x;
        y >>= 1;
    }
    return r;
}

#define FMAX_NAN(x, y) ((x) != (x) || (x) > (y) ? (x) : (y))
#define FMIN_NAN(x, y) ((x) != (x) || (x) < (y) ? (x) : (y))

/* Parameters converted to a loop's element type. Floats convert as C does; integers go through
   int64 so that a negative parameter of an unsigned loop wraps (as PyTorch's does) instead of
   being an undefined conversion. */
static inline float to_float(double v) { return (float)v; }
static inline double to_double(double v) { return v; }
static inline int64_t to_int64_t(double v) { return (int64_t)v; }
static inline int32_t to_int32_t(double v) { return (int32_t)(int64_t)v; }
static inline uint8_t to_uint8_t(double v) { return (uint8_t)(int64_t)v; }

/* ---- loop templates ---- */

/* A two-input loop: out OT from inputs of T, with the expression in x (a) and y (b). */
#define BINARY_LOOP(NAME, T, OT, EXPR)                                                          \
    CPU_MULTIVERSION_AVX2 static void NAME(char **p, const int64_t *s, int64_t n,               \
                                           const void *ctx) {                                   \
        (void)ctx;                                                                              \
        OT *o = (OT *)p[0];                                                                     \
        const T *a = (const T *)p[1], *b = (const T *)p[2];                                     \
        if (s[0] == sizeof(OT) && s[1] == sizeof(T) && s[2] == sizeof(T)) {                     \
            for (int64_t i = 0; i < n; i++) {                                                   \
                T x = a[i], y = b[i];                                                           \
                o[i] = (OT)(EXPR);                                                              \
            }                                                                                   \
        } else if (s[0] == sizeof(OT) && s[1] == sizeof(T) && s[2] == 0) {                      \
            const T y = b[0];                                                                   \
            for (int64_t i = 0; i < n; i++) {                                                   \
                T x = a[i];                                                                     \
                o[i] = (OT)(EXPR);                                                              \
            }                                                                                   \
        } else if (s[0] == sizeof(OT) && s[1] == 0 && s[2] == sizeof(T)) {                      \
            const T x = a[0];                                                                   \
            for (int64_t i = 0; i < n; i++) {                                                   \
                T y = b[i];                                                                     \
                o[i] = (OT)(EXPR);                                                              \
            }                                                                                   \
        } else {                                                                                \
            char *po = p[0], *pa = p[1], *pb = p[2];                                            \
            for (int64_t i = 0; i < n; i++, po += s[0], pa += s[1], pb += s[2]) {               \
                T x = *(const T *)pa, y = *(const T *)pb;                                       \
                *(OT *)po = (OT)(EXPR);                                                         \
            }                                                                                   \
        }                                                                                       \
    }

/* A one-input loop of T with parameters c0, c1 (converted from the op's doubles). */
#define UNARY_LOOP(NAME, T, EXPR)                                                               \
    CPU_MULTIVERSION_AVX2 static void NAME(char **p, const int64_t *s, int64_t n,               \
                                           const void *ctx) {                                   \
        const Params *pr = ctx;                                                                 \
        const T c0 = to_##T(pr->p0), c1 = to_##T(pr->p1);                                       \
        (void)c0, (void)c1;                                                                     \
        T *o = (T *)p[0];                                                                       \
        const T *a = (const T *)p[1];                                                           \
        if (s[0] == sizeof(T) && s[1] == sizeof(T)) {                                           \
            for (int64_t i = 0; i < n; i++) {                                                   \
                T x = a[i];                                                                     \
                o[i] = (T)(EXPR);                                                               \
            }                                                                                   \
        } else {                                                                                \
            char *po = p[0], *pa = p[1];                                                        \
            for (int64_t i = 0; i < n; i++, po += s[0], pa += s[1]) {                           \
                T x = *(const T *)pa;                                                           \
                *(T *)po = (T)(EXPR);                                                           \
            }                                                                                   \
        }                                                                                       \
    }

/* ---- binary ops ---- */

#define DEFINE_ARITH(T, SUF)                                                                    \
    BINARY_LOOP(add_##SUF, T, T, x + y)                                                        \
    BINARY_LOOP(sub_##SUF, T, T, x - y)                                                        \
    BINARY_LOOP(mul_##SUF, T, T, x * y)                                                        \
    BINARY_LOOP(eq_##SUF, T, bool, x == y)                                                     \
    BINARY_LOOP(ne_##SUF, T, bool, x != y)                                                     \
    BINARY_LOOP(lt_##SUF, T, bool, x < y)                                                      \
    BINARY_LOOP(le_##SUF, T, bool, x <= y)                                                     \
    BINARY_LOOP(gt_##SUF, T, bool, x > y)                                                      \
    BINARY_LOOP(ge_##SUF, T, bool, x >= y)

DEFINE_ARITH(float, f32)
DEFINE_ARITH(double, f64)
DEFINE_ARITH(int64_t, i64)
DEFINE_ARITH(int32_t, i32)
DEFINE_ARITH(uint8_t, u8)
BINARY_LOOP(eq_b, bool, bool, x == y)
BINARY_LOOP(ne_b, bool, bool, x != y)
BINARY_LOOP(lt_b, bool, bool, x < y)
BINARY_LOOP(le_b, bool, bool, x <= y)
BINARY_LOOP(gt_b, bool, bool, x > y)
BINARY_LOOP(ge_b, bool, bool, x >= y)
BINARY_LOOP(or_b, bool, bool, x || y)
BINARY_LOOP(and_b, bool, bool, x && y)

BINARY_LOOP(div_f32, float, float, x / y)
BINARY_LOOP(div_f64, double, double, x / y)
BINARY_LOOP(pow_f32, float, float, powf(x, y))
BINARY_LOOP(pow_f64, double, double, pow(x, y))
BINARY_LOOP(pow_i64, int64_t, int64_t, ipow64(x, y))
BINARY_LOOP(pow_i32, int32_t, int32_t, ipow64(x, y))
BINARY_LOOP(pow_u8, uint8_t, uint8_t, ipow64(x, y))
BINARY_LOOP(max_f32, float, float, FMAX_NAN(x, y))
BINARY_LOOP(max_f64, double, double, FMAX_NAN(x, y))
BINARY_LOOP(min_f32, float, float, FMIN_NAN(x, y))
BINARY_LOOP(min_f64, double, double, FMIN_NAN(x, y))
BINARY_LOOP(max_i64, int64_t, int64_t, x > y ? x : y)
BINARY_LOOP(max_i32, int32_t, int32_t, x > y ? x : y)
BINARY_LOOP(max_u8, uint8_t, uint8_t, x > y ? x : y)
BINARY_LOOP(min_i64, int64_t, int64_t, x < y ? x : y)
BINARY_LOOP(min_i32, int32_t, int32_t, x < y ? x : y)
BINARY_LOOP(min_u8, uint8_t, uint8_t, x < y ? x : y)

/* binary_loops[op][dtype]; NULL where the op layer never sends that pair. */
static const CpuLoop binary_loops[B_NBINARY][T_NDTYPES] = {
    [B_ADD] = {add_f32, add_f64, add_i64, add_i32, add_u8, or_b},
    [B_SUB] = {sub_f32, sub_f64, sub_i64, sub_i32, sub_u8, NULL},
    [B_MUL] = {mul_f32, mul_f64, mul_i64, mul_i32, mul_u8, and_b},
    [B_DIV] = {div_f32, div_f64, NULL, NULL, NULL, NULL},
    [B_POW] = {pow_f32, pow_f64, pow_i64, pow_i32, pow_u8, NULL},
    [B_MAX] = {max_f32, max_f64, max_i64, max_i32, max_u8, or_b},
    [B_MIN] = {min_f32, min_f64, min_i64, min_i32, min_u8, and_b},
    [B_EQ] = {eq_f32, eq_f64, eq_i64, eq_i32, eq_u8, eq_b},
    [B_NE] = {ne_f32, ne_f64, ne_i64, ne_i32, ne_u8, ne_b},
    [B_LT] = {lt_f32, lt_f64, lt_i64, lt_i32, lt_u8, lt_b},
    [B_LE] = {le_f32, le_f64, le_i64, le_i32, le_u8, le_b},
    [B_GT] = {gt_f32, gt_f64, gt_i64, gt_i32, gt_u8, gt_b},
    [B_GE] = {ge_f32, ge_f64, ge_i64, ge_i32, ge_u8, ge_b},
};

void cpu_binary(BinaryOp op, Tensor *out, const Tensor *a, const Tensor *b) {
    CpuLoop loop = binary_loops[op][a->dtype];
    if (!loop)
        t_raise(T_ERR_DTYPE, "binary op %d is not defined for %s", (int)op,
                t_dtype_name(a->dtype));
    const Tensor *ops[3] = {out, a, b};
    cpu_iter_run(ops, 3, loop, NULL);
}

/* ---- unary ops ---- */

#define DEFINE_FLOAT_UNARY(T, SUF, EXPF, LOGF, SQRTF, SINF, COSF, TANHF, POWF)                  \
    UNARY_LOOP(exp_##SUF, T, EXPF(x))                                                          \
    UNARY_LOOP(log_##SUF, T, LOGF(x))                                                          \
    UNARY_LOOP(sqrt_##SUF, T, SQRTF(x))                                                        \
    UNARY_LOOP(sin_##SUF, T, SINF(x))                                                          \
    UNARY_LOOP(cos_##SUF, T, COSF(x))                                                          \
    UNARY_LOOP(tanh_##SUF, T, TANHF(x))                                                        \
    UNARY_LOOP(sigmoid_##SUF, T, (T)1 / ((T)1 + EXPF(-x)))                                     \
    UNARY_LOOP(neg_##SUF, T, -x)                                                               \
    UNARY_LOOP(abs_##SUF, T, x < 0 ? -x : x)                                                   \
    UNARY_LOOP(relu_##SUF, T, x > 0 ? x : (x != x ? x : 0))                                    \
    UNARY_LOOP(clamp_##SUF, T, x != x ? x : (x < c0 ? c0 : x) > c1 ? c1 : (x < c0 ? c0 : x))   \
    UNARY_LOOP(adds_##SUF, T, x + c0)                                                          \
    UNARY_LOOP(muls_##SUF, T, x * c0)                                                          \
    UNARY_LOOP(divs_##SUF, T, x / c0)                                                          \
    UNARY_LOOP(rsubs_##SUF, T, c0 - x)                                                         \
    UNARY_LOOP(pows_##SUF, T, POWF(x, c0))

DEFINE_FLOAT_UNARY(float, f32, expf, logf, sqrtf, sinf, cosf, tanhf, powf)
DEFINE_FLOAT_UNARY(double, f64, exp, log, sqrt, sin, cos, tanh, pow)

/* Integer dtypes: parameters arrive as whole numbers (the op layer checks), and clamp bounds
   saturate to the dtype's range. */
#define DEFINE_INT_UNARY(T, SUF)                                                                \
    UNARY_LOOP(neg_##SUF, T, -x)                                                               \
    UNARY_LOOP(adds_##SUF, T, x + c0)                                                          \
    UNARY_LOOP(muls_##SUF, T, x * c0)                                                          \
    UNARY_LOOP(rsubs_##SUF, T, c0 - x)                                                         \
    UNARY_LOOP(pows_##SUF, T, ipow64(x, c0))

DEFINE_INT_UNARY(int64_t, i64)
DEFINE_INT_UNARY(int32_t, i32)
DEFINE_INT_UNARY(uint8_t, u8)
UNARY_LOOP(abs_i64, int64_t, x < 0 ? -x : x)
UNARY_LOOP(abs_i32, int32_t, x < 0 ? -x : x)
UNARY_LOOP(relu_i64, int64_t, x < 0 ? 0 : x)
UNARY_LOOP(relu_i32, int32_t, x < 0 ? 0 : x)
UNARY_LOOP(identity_u8, uint8_t, x) /* abs and relu of unsigned values */

/* Clamping integers: the bounds are whole numbers (the op layer computes in float otherwise)
   kept as doubles, so that infinite bounds mean "no bound" instead of undefined conversions.
   The high bound is applied last, so lo > hi gives hi, as in PyTorch. */
#define INT_CLAMP_LOOP(NAME, T)                                                                 \
    static void NAME(char **p, const int64_t *s, int64_t n, const void *ctx) {                 \
        const Params *pr = ctx;                                                                 \
        char *po = p[0], *pa = p[1];                                                            \
        for (int64_t i = 0; i < n; i++, po += s[0], pa += s[1]) {                               \
            T x = *(const T *)pa;                                                               \
            if ((double)x < pr->p0) x = (T)pr->p0;                                              \
            if ((double)x > pr->p1) x = (T)pr->p1;                                              \
            *(T *)po = x;                                                                       \
        }                                                                                       \
    }
INT_CLAMP_LOOP(clamp_i64, int64_t)
INT_CLAMP_LOOP(clamp_i32, int32_t)
INT_CLAMP_LOOP(clamp_u8, uint8_t)

static const CpuLoop unary_loops[U_NUNARY][T_NDTYPES] = {
    [U_EXP] = {exp_f32, exp_f64},
    [U_LOG] = {log_f32, log_f64},
    [U_SQRT] = {sqrt_f32, sqrt_f64},
    [U_SIN] = {sin_f32, sin_f64},
    [U_COS] = {cos_f32, cos_f64},
    [U_TANH] = {tanh_f32, tanh_f64},
    [U_SIGMOID] = {sigmoid_f32, sigmoid_f64},
    [U_NEG] = {neg_f32, neg_f64, neg_i64, neg_i32, neg_u8},
    [U_ABS] = {abs_f32, abs_f64, abs_i64, abs_i32, identity_u8},
    [U_RELU] = {relu_f32, relu_f64, relu_i64, relu_i32, identity_u8},
    [U_CLAMP] = {clamp_f32, clamp_f64, clamp_i64, clamp_i32, clamp_u8},
    [U_ADD_S] = {adds_f32, adds_f64, adds_i64, adds_i32, adds_u8},
    [U_MUL_S] = {muls_f32, muls_f64, muls_i64, muls_i32, muls_u8},
    [U_DIV_S] = {divs_f32, divs_f64},
    [U_RSUB_S] = {rsubs_f32, rsubs_f64, rsubs_i64, rsubs_i32, rsubs_u8},
    [U_POW_S] = {pows_f32, pows_f64, pows_i64, pows_i32, pows_u8},
};

void cpu_unary(UnaryOp op, Tensor *out, const Tensor *x, double p0, double p1) {
    CpuLoop loop = unary_loops[op][x->dtype];
    if (!loop)
        t_raise(T_ERR_DTYPE, "unary op %d is not defined for %s", (int)op,
                t_dtype_name(x->dtype));
    Params pr = {p0, p1};
    const Tensor *ops[2] = {out, x};
    cpu_iter_run(ops, 2, loop, &pr);
}

/* ---- axpby ---- */

/* out = alpha * x + beta * y (ctx: Params with alpha in p0, beta in p1). */
#define AXPBY_LOOP(NAME, T)                                                                     \
    CPU_MULTIVERSION_AVX2 static void NAME(char **p, const int64_t *s, int64_t n,               \
                                           const void *ctx) {                                   \
        const Params *pr = ctx;                                                                 \
        const T alpha = (T)pr->p0, beta = (T)pr->p1;                                            \
        if (s[0] == sizeof(T) && s[1] == sizeof(T) && s[2] == sizeof(T)) {                      \
            T *o = (T *)p[0];                                                                   \
            const T *x = (const T *)p[1], *y = (const T *)p[2];                                 \
            for (int64_t i = 0; i < n; i++) o[i] = alpha * x[i] + beta * y[i];                  \
            return;                                                                             \
        }                                                                                       \
        char *po = p[0], *px = p[1], *py = p[2];                                                \
        for (int64_t i = 0; i < n; i++, po += s[0], px += s[1], py += s[2])                     \
            *(T *)po = alpha * *(const T *)px + beta * *(const T *)py;                          \
    }
AXPBY_LOOP(axpby_f32, float)
AXPBY_LOOP(axpby_f64, double)

void cpu_axpby(Tensor *out, const Tensor *x, const Tensor *y, double alpha, double beta) {
    CpuLoop loop = out->dtype == T_F32 ? axpby_f32 : out->dtype == T_F64 ? axpby_f64 : NULL;
    if (!loop)
        t_raise(T_ERR_DTYPE, "axpby: expected float32 or float64, got %s",
                t_dtype_name(out->dtype));
    const Tensor *ops[3] = {out, x, y};
    Params pr = {alpha, beta};
    cpu_iter_run(ops, 3, loop, &pr);
}

/* ---- where ---- */

/* One element of a where: cond ? x : y by bit masks (U: the unsigned type of T's size), so
   that loops over it vectorize without branches (a ReLU mask is a coin toss per element). */
#define WHERE_SELECT(T, U, c, x, y, dst)                                                        \
    do {                                                                                        \
        T x_ = (x), y_ = (y);                                                                   \
        U xb_, yb_, m_ = (U)0 - (U)(c);                                                         \
        memcpy(&xb_, &x_, sizeof xb_);                                                          \
        memcpy(&yb_, &y_, sizeof yb_);                                                          \
        U r_ = (xb_ & m_) | (yb_ & (U)~m_);                                                     \
        memcpy((dst), &r_, sizeof r_);                                                          \
    } while (0)

/* out = cond ? a : b, with vectorizing paths for contiguous operands and for a scalar a or b
   (a gradient masked by zero, as ReLU's backward is). Those paths read the condition as bytes:
   compilers do not vectorize loads of bool. */
#define WHERE_LOOP(NAME, T, U)                                                                  \
    CPU_MULTIVERSION_AVX2 static void NAME(char **p, const int64_t *s, int64_t n,               \
                                           const void *ctx) {                                   \
        (void)ctx;                                                                              \
        char *po = p[0], *pc = p[1], *pa = p[2], *pb = p[3];                                    \
        if (s[0] == sizeof(T) && s[1] == sizeof(bool)) {                                        \
            T *o = (T *)po;                                                                     \
            const uint8_t *c = (const uint8_t *)pc;                                             \
            const T *a = (const T *)pa, *b = (const T *)pb;                                     \
            if (s[2] == sizeof(T) && s[3] == sizeof(T)) {                                       \
                for (int64_t i = 0; i < n; i++) WHERE_SELECT(T, U, c[i], a[i], b[i], &o[i]);    \
                return;                                                                         \
            }                                                                                   \
            if (s[2] == 0 && s[3] == sizeof(T)) {                                               \
                const T av = a[0];                                                              \
                for (int64_t i = 0; i < n; i++) WHERE_SELECT(T, U, c[i], av, b[i], &o[i]);      \
                return;                                                                         \
            }                                                                                   \
            if (s[2] == sizeof(T) && s[3] == 0) {                                               \
                const T bv = b[0];                                                              \
                for (int64_t i = 0; i < n; i++) WHERE_SELECT(T, U, c[i], a[i], bv, &o[i]);      \
                return;                                                                         \
            }                                                                                   \
        }                                                                                       \
        for (int64_t i = 0; i < n; i++, po += s[0], pc += s[1], pa += s[2], pb += s[3])         \
            *(T *)po = *(const bool *)pc ? *(const T *)pa : *(const T *)pb;                     \
    }
WHERE_LOOP(where_f32, float, uint32_t)
WHERE_LOOP(where_f64, double, uint64_t)
WHERE_LOOP(where_i64, int64_t, uint64_t)
WHERE_LOOP(where_i32, int32_t, uint32_t)
WHERE_LOOP(where_u8, uint8_t, uint8_t)
WHERE_LOOP(where_b, bool, uint8_t)

static const CpuLoop where_loops[T_NDTYPES] = {where_f32, where_f64, where_i64,
                                               where_i32, where_u8,  where_b};

void cpu_where(Tensor *out, const Tensor *cond, const Tensor *a, const Tensor *b) {
    const Tensor *ops[4] = {out, cond, a, b};
    cpu_iter_run(ops, 4, where_loops[out->dtype], NULL);
}

/* ---- copy with conversion ---- */

/* Converting to bool means "is nonzero", as in PyTorch; every other conversion is C's. */
#define CONV(OT, x) ((OT)(x))
#define COPY_LOOP(NAME, T, OT, CONVERT)                                                         \
    static void NAME(char **p, const int64_t *s, int64_t n, const void *ctx) {                 \
        (void)ctx;                                                                              \
        if (s[0] == sizeof(OT) && s[1] == sizeof(T)) {                                          \
            OT *o = (OT *)p[0];                                                                 \
            const T *a = (const T *)p[1];                                                       \
            for (int64_t i = 0; i < n; i++) o[i] = CONVERT(OT, a[i]);                           \
        } else {                                                                                \
            char *po = p[0], *pa = p[1];                                                        \
            for (int64_t i = 0; i < n; i++, po += s[0], pa += s[1])                             \
                *(OT *)po = CONVERT(OT, *(const T *)pa);                                        \
        }                                                                                       \
    }
#define TO_BOOL(OT, x) ((x) != 0)
/* Float to integer: out-of-range values are undefined in C; saturate instead of trapping. */
#define F2I(OT, x) ((x) != (x) ? (OT)0 : (double)(x) <= (double)OT##_MIN_ ? OT##_MIN_ : \
                    (double)(x) >= (double)OT##_MAX_ ? OT##_MAX_ : (OT)(x))
#define int64_t_MIN_ INT64_MIN
#define int64_t_MAX_ INT64_MAX
#define int32_t_MIN_ INT32_MIN
#define int32_t_MAX_ INT32_MAX
#define uint8_t_MIN_ 0
#define uint8_t_MAX_ UINT8_MAX

#define COPY_FROM(T, SUF, TOINT)                                                                \
    COPY_LOOP(copy_##SUF##_f32, T, float, CONV)                                                 \
    COPY_LOOP(copy_##SUF##_f64, T, double, CONV)                                                \
    COPY_LOOP(copy_##SUF##_i64, T, int64_t, TOINT)                                              \
    COPY_LOOP(copy_##SUF##_i32, T, int32_t, TOINT)                                              \
    COPY_LOOP(copy_##SUF##_u8, T, uint8_t, TOINT)                                               \
    COPY_LOOP(copy_##SUF##_b, T, bool, TO_BOOL)
COPY_FROM(float, f32, F2I)
COPY_FROM(double, f64, F2I)
COPY_FROM(int64_t, i64, CONV)
COPY_FROM(int32_t, i32, CONV)
COPY_FROM(uint8_t, u8, CONV)
COPY_FROM(bool, b, CONV)

#define COPY_ROW(SUF)                                                                           \
    {copy_##SUF##_f32, copy_##SUF##_f64, copy_##SUF##_i64,                                      \
     copy_##SUF##_i32, copy_##SUF##_u8,  copy_##SUF##_b}
/* copy_loops[src dtype][dst dtype] */
static const CpuLoop copy_loops[T_NDTYPES][T_NDTYPES] = {
    COPY_ROW(f32), COPY_ROW(f64), COPY_ROW(i64), COPY_ROW(i32), COPY_ROW(u8), COPY_ROW(b),
};

void cpu_copy(Tensor *dst, const Tensor *src) {
    if (dst->dtype == src->dtype && t_is_contiguous(dst) && t_is_contiguous(src) &&
        src->ndim == dst->ndim) {
        int64_t n = t_numel(dst);
        memmove(t_ptr(dst), t_ptr(src), (size_t)n * t_dtype_size(dst->dtype));
        return;
    }
    const Tensor *ops[2] = {dst, src};
    cpu_iter_run(ops, 2, copy_loops[src->dtype][dst->dtype], NULL);
}

/* ---- fill ---- */

#define FILL_LOOP(NAME, T)                                                                      \
    static void NAME(char **p, const int64_t *s, int64_t n, const void *ctx) {                 \
        const T v = *(const T *)ctx;                                                            \
        if (s[0] == sizeof(T)) {                                                                \
            T *o = (T *)p[0];                                                                   \
            for (int64_t i = 0; i < n; i++) o[i] = v;                                           \
        } else {                                                                                \
            char *po = p[0];                                                                    \
            for (int64_t i = 0; i < n; i++, po += s[0]) *(T *)po = v;                           \
        }                                                                                       \
    }
FILL_LOOP(fill_f32, float)
FILL_LOOP(fill_f64, double)
FILL_LOOP(fill_i64, int64_t)
FILL_LOOP(fill_i32, int32_t)
FILL_LOOP(fill_u8, uint8_t)
FILL_LOOP(fill_b, bool)

void cpu_fill(Tensor *out, double value) {
    union {
        float f32;
        double f64;
        int64_t i64;
        int32_t i32;
        uint8_t u8;
        bool b;
    } v;
    static const CpuLoop loops[T_NDTYPES] = {fill_f32, fill_f64, fill_i64,
                                             fill_i32, fill_u8,  fill_b};
    switch (out->dtype) {
    case T_F32: v.f32 = (float)value; break;
    case T_F64: v.f64 = value; break;
    case T_I64: v.i64 = (int64_t)value; break;
    case T_I32: v.i32 = to_int32_t(value); break;
    case T_U8: v.u8 = to_uint8_t(value); break;
    default: v.b = value != 0; break;
    }
    const Tensor *ops[1] = {out};
    cpu_iter_run(ops, 1, loops[out->dtype], &v);
}
