/*
 * helpers.h — assertions shared by ctorch's unit tests: "this call raises that error", shapes,
 * and element values read through the public API (so they work on any layout), plus operands
 * stored in several layouts for checking that an op gives the same values on each.
 *
 *   T_ASSERT_RAISES(T_ERR_SHAPE, t_add(a, b), "t_add", "[3]", "[4]");
 *   T_ASSERT_NO_RAISE(t_add(a, a));
 *   T_ASSERT_SHAPE(x, 2, 3);  T_ASSERT_STRIDES(x, 3, 1);  T_ASSERT_DTYPE(x, T_F32);
 *   T_ASSERT_VALUES(x, 0, 1, 2, 3, 4, 5, 6);   (tolerance first, then the values, row-major)
 *   t_assert_dtype_values(y, T_I32, want, 6, "what");   (dtype, then want[i] as stored in it)
 *   Tensor *t = t_in_layout(vals, T_F64, T_L_TRANSPOSED, &base);   ([2, 3], 6 values)
 */
#ifndef CTORCH_TEST_HELPERS_H
#define CTORCH_TEST_HELPERS_H

#include <criterion/criterion.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ctorch.h"

/* Room for the text that explains a failed expectation. */
#define T_TEST_WHY_MAX 1536

/* Why a raise expectation failed, or NULL when it held: raised must be true, err->kind must be
   kind, and err->message must contain every one of the n words. The text lives in a static
   buffer (each Criterion test runs in its own process, one at a time). */
static inline const char *t_raise_mismatch(bool raised, const TError *err, TErrorKind kind,
                                           const char *const *words, size_t n) {
    static char why[T_TEST_WHY_MAX];
    if (!raised) {
        snprintf(why, sizeof why, "nothing was raised; expected %s", t_error_name(kind));
        return why;
    }
    if (err->kind != kind) {
        snprintf(why, sizeof why, "raised %s (\"%s\"); expected %s", t_error_name(err->kind),
                 err->message, t_error_name(kind));
        return why;
    }
    for (size_t i = 0; i < n; i++)
        if (!strstr(err->message, words[i])) {
            snprintf(why, sizeof why, "raised %s: \"%s\", which does not mention \"%s\"",
                     t_error_name(err->kind), err->message, words[i]);
            return why;
        }
    return NULL;
}

/* Asserts that running stmt raises an error of kind whose message contains each of the
   given words (none is fine). stmt runs inside a T_TRY; the handler stack is left as it was. */
#define T_ASSERT_RAISES(kind, stmt, ...)                                                        \
    do {                                                                                        \
        const char *const t_words_[] = {"", ##__VA_ARGS__};                                     \
        volatile bool t_raised_ = false;                                                        \
        TError t_err_;                                                                          \
        memset(&t_err_, 0, sizeof t_err_);                                                      \
        T_TRY { stmt; }                                                                         \
        T_CATCH(t_e_) {                                                                         \
            t_raised_ = true;                                                                   \
            t_err_ = *t_e_;                                                                     \
        }                                                                                       \
        const char *t_why_ = t_raise_mismatch(t_raised_, &t_err_, (kind), t_words_ + 1,        \
                                              sizeof t_words_ / sizeof *t_words_ - 1);         \
        cr_assert(t_why_ == NULL, "`%s`: %s", #stmt, t_why_);                                  \
    } while (0)

/* Asserts that running stmt raises nothing, reporting the error if it does. */
#define T_ASSERT_NO_RAISE(stmt)                                                                 \
    do {                                                                                        \
        volatile bool t_raised_ = false;                                                        \
        TError t_err_;                                                                          \
        memset(&t_err_, 0, sizeof t_err_);                                                      \
        T_TRY { stmt; }                                                                         \
        T_CATCH(t_e_) {                                                                         \
            t_raised_ = true;                                                                   \
            t_err_ = *t_e_;                                                                     \
        }                                                                                       \
        cr_assert(!t_raised_, "`%s` raised %s: %s", #stmt, t_error_name(t_err_.kind),          \
                  t_err_.message);                                                              \
    } while (0)

/* True when two shapes have the same dims and sizes. */
static inline bool t_shape_equal(Shape a, Shape b) {
    if (a.ndim != b.ndim) return false;
    for (int i = 0; i < a.ndim; i++)
        if (a.d[i] != b.d[i]) return false;
    return true;
}

/* Asserts that x's shape is the given sizes (none for a 0-d tensor). */
#define T_ASSERT_SHAPE(x, ...)                                                                  \
    do {                                                                                        \
        Shape t_want_ = T_SHAPE(__VA_ARGS__), t_got_ = t_shape(x);                              \
        cr_assert(t_shape_equal(t_got_, t_want_), "shape of %s is %s; expected %s", #x,         \
                  t_shape_str(t_got_), t_shape_str(t_want_));                                   \
    } while (0)

/* Asserts that x's strides are the given ones, in elements. */
#define T_ASSERT_STRIDES(x, ...)                                                                \
    do {                                                                                        \
        Shape t_want_ = T_SHAPE(__VA_ARGS__), t_got_ = t_strides(x);                            \
        cr_assert(t_shape_equal(t_got_, t_want_), "strides of %s are %s; expected %s", #x,      \
                  t_shape_str(t_got_), t_shape_str(t_want_));                                   \
    } while (0)

/* The row-major multi-index of flat position i in shape s. */
static inline Shape t_unravel(Shape s, int64_t i) {
    Shape idx = {s.ndim, {0}};
    for (int d = s.ndim - 1; d >= 0; d--) {
        idx.d[d] = s.d[d] ? i % s.d[d] : 0;
        i = s.d[d] ? i / s.d[d] : 0;
    }
    return idx;
}

/* Element i of x in row-major order, whatever x's strides, read with t_get_at. */
static inline double t_flat_get(const Tensor *x, int64_t i) {
    return t_get_at(x, t_unravel(t_shape(x), i));
}

/* True when got is within atol + rtol * |want| of want; NaN matches only NaN, and an infinity
   only the same infinity. */
static inline bool t_close(double got, double want, double atol, double rtol) {
    if (isnan(want)) return isnan(got);
    if (isinf(want)) return got == want;
    return fabs(got - want) <= atol + rtol * fabs(want);
}

/* Asserts that x has n elements equal (within atol + rtol * |want|) to want, row-major. */
static inline void t_assert_values(const Tensor *x, const double *want, int64_t n, double atol,
                                   double rtol, const char *what) {
    cr_assert_eq(t_numel(x), n, "%s has %lld elements; expected %lld", what,
                 (long long)t_numel(x), (long long)n);
    for (int64_t i = 0; i < n; i++) {
        double got = t_flat_get(x, i);
        cr_assert(t_close(got, want[i], atol, rtol), "%s[flat %lld] is %.9g; expected %.9g",
                  what, (long long)i, got, want[i]);
    }
}

/* "file:line" of the caller, for failures reported from inside a helper. */
#define T_STR_(x) #x
#define T_STR(x) T_STR_(x)
#define T_WHERE __FILE__ ":" T_STR(__LINE__)

/* Asserts that x holds exactly the given values (row-major), up to absolute tolerance tol. */
#define T_ASSERT_VALUES(x, tol, ...)                                                            \
    t_assert_values((x), (const double[]){__VA_ARGS__},                                         \
                    (int64_t)(sizeof((const double[]){__VA_ARGS__}) / sizeof(double)), (tol),   \
                    0, #x " at " T_WHERE)

/* Asserts that x has the given dtype. */
#define T_ASSERT_DTYPE(x, dtype)                                                                \
    cr_assert_eq(t_dtype(x), (dtype), "dtype of %s is %s; expected %s", #x,                     \
                 t_dtype_name(t_dtype(x)), t_dtype_name(dtype))

/* ---- operands in several layouts ---- */

/* How a [2, 3] operand is stored: row-major; as the transpose of a [3, 2] tensor; as every
   other column of a [2, 7] tensor (strides (7, 2), offset 1); as a block inside a bigger
   tensor (offset and row gaps). Ops must give the same values for all of them. */
typedef enum TLayout { T_L_CONTIG, T_L_TRANSPOSED, T_L_STRIDED, T_L_OFFSET, T_NLAYOUTS } TLayout;

/* The name of a layout, for failure messages. */
static inline const char *t_layout_name(TLayout l) {
    switch (l) {
    case T_L_TRANSPOSED: return "transposed";
    case T_L_STRIDED: return "strided";
    case T_L_OFFSET: return "offset";
    default: return "contiguous";
    }
}

/* The [2, 3] tensor of dtype dt holding vals (6 values, row-major) in layout l; when base is
   not NULL it receives the tensor whose storage the result views (zeros outside the view). */
static inline Tensor *t_in_layout(const double *vals, DType dt, TLayout l, Tensor **base) {
    Tensor *b, *t;
    switch (l) {
    case T_L_TRANSPOSED: b = t_zeros_dt(dt, 3, 2), t = t_T(b); break;
    case T_L_STRIDED: b = t_zeros_dt(dt, 2, 7), t = t_slice(b, 1, 1, T_END, 2); break;
    case T_L_OFFSET: b = t_zeros_dt(dt, 4, 5), t = t_narrow(t_narrow(b, 0, 1, 2), 1, 2, 3); break;
    default: b = t = t_zeros_dt(dt, 2, 3); break;
    }
    for (int i = 0; i < 6; i++) t_set(t, vals[i], i / 3, i % 3);
    if (base) *base = b;
    return t;
}

/* v stored in dtype dt, as C's conversion (and PyTorch's, for in-range values) gives it:
   integers wrap, bool is "nonzero". */
static inline double t_as_dtype(double v, DType dt) {
    switch (dt) {
    case T_F32: return (float)v;
    case T_F64: return v;
    case T_I64: return (double)(int64_t)v;
    case T_I32: return (int32_t)(int64_t)v;
    case T_U8: return (uint8_t)(int64_t)v;
    default: return v != 0;
    }
}

/* Relative tolerances for results a reference computes in double: float32 rounding (and
   libm's float functions, within a few ulps), and float64 libm differences. */
#define T_F32_RTOL 1e-6
#define T_F64_RTOL 1e-12

/* The relative tolerance for comparing values of dtype dt (exact for integers and bool). */
static inline double t_rtol_of(DType dt) {
    return dt == T_F32 ? T_F32_RTOL : dt == T_F64 ? T_F64_RTOL : 0;
}

/* Asserts that got has dtype dt and n elements, element i being want[i] stored in dt (see
   t_as_dtype), within t_rtol_of(dt). what names the case in failure messages. */
static inline void t_assert_dtype_values(const Tensor *got, DType dt, const double *want, int n,
                                         const char *what) {
    cr_assert_eq(t_dtype(got), dt, "%s: dtype %s, expected %s", what, t_dtype_name(t_dtype(got)),
                 t_dtype_name(dt));
    cr_assert_eq(t_numel(got), n, "%s: %lld elements", what, (long long)t_numel(got));
    for (int i = 0; i < n; i++) {
        double w = t_as_dtype(want[i], dt), g = t_flat_get(got, i);
        cr_assert(t_close(g, w, 0, t_rtol_of(dt)), "%s: element %d is %.9g, expected %.9g",
                  what, i, g, w);
    }
}

#endif /* CTORCH_TEST_HELPERS_H */
