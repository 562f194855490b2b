/* test_elementwise.c — elementwise ops (tensor/elementwise.c, tensor/cpu_elementwise.c,
   tensor/cpu_iter.c): every op and in-place form on every dtype it takes, on contiguous,
   transposed, strided and offset operands, broadcast, large (multi-threaded) tensors, dtype
   promotion, NaN, where/fill/copy, and every misuse. Expected values follow PyTorch. Casts
   are tested in test_view.c, beside t_to_dtype. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "helpers.h"
#include "internal.h"

/* Elements of the tensors that the multi-threaded path gets (cpu_iter.c runs 65536 and more
   on several threads); odd sizes so that rows do not split evenly between threads. */
enum { BIG_ROWS = 301, BIG_COLS = 401 };

/* ---- binary ops: reference, result dtype ---- */

typedef Tensor *(*BinaryFn)(Tensor *, Tensor *);
typedef enum { K_ARITH, K_DIV, K_POW, K_CMP } BinaryKind;

/* The reference of each binary op, in double (NaN wins in maximum and minimum, as in torch). */
static double r_add(double x, double y) { return x + y; }
static double r_sub(double x, double y) { return x - y; }
static double r_mul(double x, double y) { return x * y; }
static double r_div(double x, double y) { return x / y; }
static double r_pow(double x, double y) { return pow(x, y); }
static double r_max(double x, double y) { return isnan(x) || x > y ? x : y; }
static double r_min(double x, double y) { return isnan(x) || x < y ? x : y; }
static double r_eq(double x, double y) { return x == y; }
static double r_ne(double x, double y) { return x != y; }
static double r_lt(double x, double y) { return x < y; }
static double r_le(double x, double y) { return x <= y; }
static double r_gt(double x, double y) { return x > y; }
static double r_ge(double x, double y) { return x >= y; }

/* Every tensor-tensor op: its name, in-place form (NULL if none), reference and kind. */
static const struct BinaryOpCase {
    const char *name;
    BinaryFn fn, inplace; /* inplace is NULL for ops without an in-place form */
    double (*ref)(double, double);
    BinaryKind kind;
} binary_ops[] = {
    {"t_add", t_add, t_add_, r_add, K_ARITH},     {"t_sub", t_sub, t_sub_, r_sub, K_ARITH},
    {"t_mul", t_mul, t_mul_, r_mul, K_ARITH},     {"t_div", t_div, t_div_, r_div, K_DIV},
    {"t_pow", t_pow, t_pow_, r_pow, K_POW},       {"t_maximum", t_maximum, NULL, r_max, K_ARITH},
    {"t_minimum", t_minimum, NULL, r_min, K_ARITH}, {"t_eq", t_eq, NULL, r_eq, K_CMP},
    {"t_ne", t_ne, NULL, r_ne, K_CMP},            {"t_lt", t_lt, NULL, r_lt, K_CMP},
    {"t_le", t_le, NULL, r_le, K_CMP},            {"t_gt", t_gt, NULL, r_gt, K_CMP},
    {"t_ge", t_ge, NULL, r_ge, K_CMP},
};
enum { NBINARY = sizeof binary_ops / sizeof *binary_ops };

/* Whether PyTorch defines op on two dt operands (bool - bool and bool ** bool it refuses). */
static bool binary_takes(const struct BinaryOpCase *op, DType dt) {
    return dt != T_BOOL || (op->fn != t_sub && op->fn != t_pow);
}

/* The dtype of op on two dt operands. */
static DType binary_dtype(const struct BinaryOpCase *op, DType dt) {
    if (op->kind == K_CMP) return T_BOOL;
    if (op->kind == K_DIV && !t_dtype_is_floating(dt)) return T_F32;
    return dt;
}

/* Operand values: equal pairs for eq, both orders for lt/gt; u8 subtraction wraps. */
static const double num_a[6] = {1, 5, 3, 4, 2, 6}, num_b[6] = {3, 5, 1, 2, 4, 3};
static const double bool_a[6] = {1, 0, 1, 0, 1, 1}, bool_b[6] = {1, 1, 0, 0, 0, 1};

Test(elementwise, binary_ops_every_dtype_and_layout) {
    for (DType dt = 0; dt < T_NDTYPES; dt++) {
        const double *va = dt == T_BOOL ? bool_a : num_a, *vb = dt == T_BOOL ? bool_b : num_b;
        for (int k = 0; k < NBINARY; k++) {
            const struct BinaryOpCase *op = &binary_ops[k];
            if (!binary_takes(op, dt)) continue;
            double want[6];
            for (int i = 0; i < 6; i++) want[i] = op->ref(va[i], vb[i]);
            for (TLayout la = 0; la < T_NLAYOUTS; la++)
                for (TLayout lb = 0; lb < T_NLAYOUTS; lb++) {
                    Tensor *a = t_in_layout(va, dt, la, NULL), *b = t_in_layout(vb, dt, lb, NULL);
                    Tensor *out = op->fn(a, b);
                    T_ASSERT_SHAPE(out, 2, 3);
                    t_assert_dtype_values(out, binary_dtype(op, dt), want, 6,
                                          t_gc_sprintf("%s(%s %s, %s)", op->name,
                                                       t_dtype_name(dt), t_layout_name(la),
                                                       t_layout_name(lb)));
                    /* the inputs are left as they were */
                    t_assert_dtype_values(a, dt, va, 6, "input a");
                    t_assert_dtype_values(b, dt, vb, 6, "input b");
                }
        }
    }
}

Test(elementwise, binary_ops_broadcast_column_with_row) {
    static const double col[3] = {1, 2, 3}, row[4] = {4, 3, 2, 1};
    for (DType dt = 0; dt < T_NDTYPES; dt++) {
        for (int k = 0; k < NBINARY; k++) {
            const struct BinaryOpCase *op = &binary_ops[k];
            if (!binary_takes(op, dt)) continue;
            Tensor *a = t_to_dtype(t_tensor_dt(T_F64, (double[]){1, 2, 3}, 3, 1), dt);
            Tensor *b = t_to_dtype(t_tensor_dt(T_F64, (double[]){4, 3, 2, 1}, 4), dt);
            double want[12], want_t[12];
            for (int i = 0; i < 12; i++) {
                double x = t_as_dtype(col[i / 4], dt), y = t_as_dtype(row[i % 4], dt);
                want[i] = op->ref(x, y);
                want_t[i] = op->ref(y, x);
            }
            const char *what = t_gc_sprintf("%s(%s [3, 1], [4])", op->name, t_dtype_name(dt));
            Tensor *ab = op->fn(a, b), *ba = op->fn(b, a);
            T_ASSERT_SHAPE(ab, 3, 4);
            T_ASSERT_SHAPE(ba, 3, 4);
            t_assert_dtype_values(ab, binary_dtype(op, dt), want, 12, what);
            t_assert_dtype_values(ba, binary_dtype(op, dt), want_t, 12, what);
        }
    }
}

Test(elementwise, broadcast_row_and_column_against_layouts) {
    for (TLayout l = 0; l < T_NLAYOUTS; l++) {
        Tensor *a = t_in_layout(num_a, T_F64, l, NULL);
        Tensor *row = t_tensor_dt(T_F64, (double[]){10, 20, 30}, 3);
        Tensor *col = t_tensor_dt(T_F64, (double[]){100, 200}, 2, 1);
        Tensor *s = t_scalar_dt(T_F64, 1000);
        double want[6];
        for (int i = 0; i < 6; i++)
            want[i] = num_a[i] + 10 * (i % 3 + 1) + 100 * (i / 3 + 1) + 1000;
        t_assert_dtype_values(t_add(t_add(t_add(a, row), col), s), T_F64, want, 6,
                              t_layout_name(l));
        Tensor *e = t_expand(t_tensor_dt(T_F64, (double[]){7}, 1, 1), 2, 3); /* stride 0 */
        for (int i = 0; i < 6; i++) want[i] = num_a[i] * 7;
        t_assert_dtype_values(t_mul(a, e), T_F64, want, 6, "times an expanded tensor");
    }
}

Test(elementwise, binary_inplace_every_dtype_and_layout) {
    for (DType dt = 0; dt < T_NDTYPES; dt++) {
        const double *va = dt == T_BOOL ? bool_a : num_a, *vb = dt == T_BOOL ? bool_b : num_b;
        for (int k = 0; k < NBINARY; k++) {
            const struct BinaryOpCase *op = &binary_ops[k];
            if (!op->inplace || !binary_takes(op, dt) || binary_dtype(op, dt) != dt) continue;
            double want[6];
            for (int i = 0; i < 6; i++) want[i] = op->ref(va[i], vb[i]);
            for (TLayout l = 0; l < T_NLAYOUTS; l++) {
                Tensor *base, *a = t_in_layout(va, dt, l, &base);
                Tensor *b = t_in_layout(vb, dt, (l + 1) % T_NLAYOUTS, NULL);
                int64_t base_n = t_numel(base);
                double base_sum_before = 0, base_sum_after = 0;
                for (int64_t i = 0; i < base_n; i++) base_sum_before += t_flat_get(base, i);
                Tensor *r = op->inplace(a, b);
                cr_assert_eq(r, a, "%s returns its first operand", op->name);
                const char *what = t_gc_sprintf("%s_(%s %s)", op->name, t_dtype_name(dt),
                                                t_layout_name(l));
                t_assert_dtype_values(a, dt, want, 6, what);
                /* only the view's elements changed in the base */
                double view_before = 0, view_after = 0;
                for (int i = 0; i < 6; i++)
                    view_before += t_as_dtype(va[i], dt), view_after += t_flat_get(a, i);
                for (int64_t i = 0; i < base_n; i++) base_sum_after += t_flat_get(base, i);
                cr_assert(t_close(base_sum_after - view_after, base_sum_before - view_before,
                                  1e-9, 1e-9),
                          "%s wrote outside its view", what);
            }
        }
    }
}

Test(elementwise, inplace_broadcasts_the_second_operand) {
    Tensor *a = t_zeros_dt(T_I32, 2, 3);
    t_add_(a, t_tensor_dt(T_I32, (int32_t[]){1, 2, 3}, 3));
    t_mul_(a, t_tensor_dt(T_I32, (int32_t[]){2, 3}, 2, 1));
    T_ASSERT_VALUES(a, 0, 2, 4, 6, 3, 6, 9);
    t_sub_(a, t_scalar_dt(T_I64, 1)); /* a 0-d int64 operand does not widen an int32 output */
    T_ASSERT_DTYPE(a, T_I32);
    T_ASSERT_VALUES(a, 0, 1, 3, 5, 2, 5, 8);
    Tensor *f = t_ones(2, 2);
    t_add_(f, t_tensor_dt(T_I64, (int64_t[]){1, 2}, 2)); /* int into float is fine */
    T_ASSERT_VALUES(f, 0, 2, 3, 2, 3);
    Tensor *p = t_tensor((float[]){2, 3}, 2);
    t_pow_(p, t_tensor_dt(T_I64, (int64_t[]){2, 3}, 2));
    T_ASSERT_VALUES(p, 0, 4, 27);
    Tensor *i = t_tensor_dt(T_I64, (int64_t[]){1, 2}, 2);
    t_mul_(i, t_tensor_dt(T_BOOL, (bool[]){true, false}, 2));
    T_ASSERT_VALUES(i, 0, 1, 0);
}

Test(elementwise, integer_powers) {
    Tensor *p = t_pow(t_tensor_dt(T_I64, (int64_t[]){2, 1, -1, -2, 3}, 5),
                      t_tensor_dt(T_I64, (int64_t[]){-1, -2, -3, -1, 0}, 5));
    T_ASSERT_DTYPE(p, T_I64);
    T_ASSERT_VALUES(p, 0, 0, 1, -1, 0, 1); /* torch: integer ** negative integer */
    T_ASSERT_VALUES(t_pow(t_tensor_dt(T_I32, (int32_t[]){3, -2}, 2), t_scalar_dt(T_I32, 3)), 0,
                    27, -8);
}

Test(elementwise, empty_and_zero_dim_operands) {
    Tensor *e = t_add(t_zeros(0, 3), t_ones(3));
    T_ASSERT_SHAPE(e, 0, 3);
    T_ASSERT_SHAPE(t_exp(t_zeros(3, 0)), 3, 0);
    T_ASSERT_SHAPE(t_lt(t_zeros(0), t_scalar(1)), 0);
    T_ASSERT_SHAPE(t_to_dtype(t_zeros(0, 2), T_I32), 0, 2);
    Tensor *z = t_exp(t_scalar(0));
    cr_assert_eq(t_ndim(z), 0);
    cr_assert_eq(t_item(z), 1);
    Tensor *w = t_where(t_scalar_dt(T_BOOL, 1), t_scalar(1), t_scalar(2));
    cr_assert_eq(t_ndim(w), 0);
    cr_assert_eq(t_item(w), 1);
    Tensor *s = t_scalar_dt(T_I64, 5);
    cr_assert_eq(t_add_(s, t_scalar_dt(T_I64, 2)), s);
    cr_assert_eq(t_item(s), 7);
}

/* ---- unary ops ---- */

typedef Tensor *(*UnaryFn)(Tensor *);
typedef enum { KU_FLOAT, KU_SIGNED } UnaryKind;

/* References of the unary ops that libm does not provide. */
static double r_neg(double x) { return -x; }
static double r_relu(double x) { return isnan(x) ? x : x > 0 ? x : 0; }
static double r_sigmoid(double x) { return 1 / (1 + exp(-x)); }

/* Every unary op: float ops give float32 for integer input; signed ops keep the dtype. */
static const struct UnaryOpCase {
    const char *name;
    UnaryFn fn, inplace;
    double (*ref)(double);
    UnaryKind kind;
} unary_ops[] = {
    {"t_exp", t_exp, t_exp_, exp, KU_FLOAT},       {"t_log", t_log, t_log_, log, KU_FLOAT},
    {"t_sqrt", t_sqrt, t_sqrt_, sqrt, KU_FLOAT},   {"t_sin", t_sin, t_sin_, sin, KU_FLOAT},
    {"t_cos", t_cos, t_cos_, cos, KU_FLOAT},       {"t_tanh", t_tanh, t_tanh_, tanh, KU_FLOAT},
    {"t_sigmoid", t_sigmoid, t_sigmoid_, r_sigmoid, KU_FLOAT},
    {"t_neg", t_neg, t_neg_, r_neg, KU_SIGNED},    {"t_abs", t_abs, t_abs_, fabs, KU_SIGNED},
    {"t_relu", t_relu, t_relu_, r_relu, KU_SIGNED},
};
enum { NUNARY = sizeof unary_ops / sizeof *unary_ops };

/* Asserts that op (its in-place form when inplace) raises TypeError on x, naming the op and
   the given dtype words. A function of its own, so that no loop variable lives across the
   T_TRY's setjmp. */
static void expect_unary_type_error(const struct UnaryOpCase *op, bool inplace, Tensor *x,
                                    const char *w1, const char *w2) {
    UnaryFn fn = inplace ? op->inplace : op->fn;
    T_ASSERT_RAISES(T_ERR_DTYPE, fn(x), op->name, w1, w2);
}

Test(elementwise, unary_ops_every_dtype_and_layout) {
    static const double positive[6] = {0.5, 1, 1.5, 2, 2.5, 3}, ints[6] = {1, 2, 3, 4, 5, 6};
    static const double mixed[6] = {-2.5, -1, 0, 1, 2, 3.5}, imixed[6] = {-3, -1, 0, 1, 2, 7};
    static const double bytes[6] = {0, 1, 2, 250, 4, 255};
    for (DType dt = 0; dt < T_NDTYPES; dt++)
        for (int k = 0; k < NUNARY; k++) {
            const struct UnaryOpCase *op = &unary_ops[k];
            bool floating = t_dtype_is_floating(dt);
            const double *v = op->kind == KU_FLOAT
                                  ? (floating ? positive : dt == T_BOOL ? bool_a : ints)
                                  : floating ? mixed : dt == T_U8 ? bytes : imixed;
            DType out_dt = op->kind == KU_FLOAT && !floating ? T_F32 : dt;
            for (TLayout l = 0; l < T_NLAYOUTS; l++) {
                Tensor *x = t_in_layout(v, dt, l, NULL);
                const char *what = t_gc_sprintf("%s(%s %s)", op->name, t_dtype_name(dt),
                                                t_layout_name(l));
                if (op->kind == KU_SIGNED && dt == T_BOOL) {
                    expect_unary_type_error(op, false, x, "bool", "bool");
                    continue;
                }
                double want[6];
                for (int i = 0; i < 6; i++) want[i] = op->ref(t_as_dtype(v[i], dt));
                t_assert_dtype_values(op->fn(x), out_dt, want, 6, what);
                if (out_dt != dt) {
                    expect_unary_type_error(op, true, x, "float32", t_dtype_name(dt));
                    continue;
                }
                cr_assert_eq(op->inplace(x), x);
                t_assert_dtype_values(x, dt, want, 6, t_gc_sprintf("%s_ in place", what));
            }
        }
}

Test(elementwise, unary_output_keeps_a_transposed_layout) {
    Tensor *x = t_T(t_rand(4, 3));
    T_ASSERT_STRIDES(t_exp(x), 1, 3); /* torch.exp(x.T).stride() */
    T_ASSERT_STRIDES(t_add(x, t_T(t_rand(4, 3))), 1, 3);
    T_ASSERT_STRIDES(t_add(x, t_rand(3, 4)), 1, 3);
    T_ASSERT_STRIDES(t_exp(t_slice(t_rand(3, 8), 1, 0, T_END, 2)), 4, 1);
}

/* ---- scalar operands ---- */

typedef Tensor *(*ScalarFn)(Tensor *, double);
/* s - x, the reference of t_rsub_s. */
static double r_rsub(double x, double s) { return s - x; }

/* Every op with a scalar operand, with its in-place form (NULL if none). */
static const struct ScalarOpCase {
    const char *name;
    ScalarFn fn, inplace;
    double (*ref)(double, double);
    BinaryKind kind;
} scalar_ops[] = {
    {"t_add_s", t_add_s, t_add_s_, r_add, K_ARITH}, {"t_sub_s", t_sub_s, t_sub_s_, r_sub, K_ARITH},
    {"t_rsub_s", t_rsub_s, NULL, r_rsub, K_ARITH},  {"t_mul_s", t_mul_s, t_mul_s_, r_mul, K_ARITH},
    {"t_div_s", t_div_s, t_div_s_, r_div, K_DIV},   {"t_pow_s", t_pow_s, t_pow_s_, r_pow, K_POW},
};
enum { NSCALAR = sizeof scalar_ops / sizeof *scalar_ops };

/* The dtype PyTorch gives x op s for a dt tensor and a Python number s. */
static DType scalar_dtype(const struct ScalarOpCase *op, DType dt, double s) {
    if (t_dtype_is_floating(dt)) return dt;
    if (op->kind == K_DIV || s != floor(s)) return T_F32;
    return dt == T_BOOL ? T_I64 : dt;
}

/* Asserts that op's in-place form raises TypeError on x and s, naming the op and x's dtype
   (a function of its own, for the same reason as expect_unary_type_error). */
static void expect_scalar_type_error(const struct ScalarOpCase *op, Tensor *x, double s) {
    T_ASSERT_RAISES(T_ERR_DTYPE, op->inplace(x, s), op->name, t_dtype_name(t_dtype(x)));
}

Test(elementwise, scalar_ops_every_dtype) {
    static const double scalars[] = {2, 2.5};
    static const double small[6] = {0, 1, 2, 3, 4, 5};
    for (DType dt = 0; dt < T_NDTYPES; dt++)
        for (int k = 0; k < NSCALAR; k++)
            for (size_t j = 0; j < sizeof scalars / sizeof *scalars; j++) {
                const struct ScalarOpCase *op = &scalar_ops[k];
                double s = scalars[j];
                const double *v = dt == T_BOOL ? bool_a : small;
                DType out_dt = scalar_dtype(op, dt, s);
                double want[6];
                for (int i = 0; i < 6; i++) want[i] = op->ref(t_as_dtype(v[i], dt), s);
                const char *what = t_gc_sprintf("%s(%s, %g)", op->name, t_dtype_name(dt), s);
                Tensor *x = t_in_layout(v, dt, T_L_STRIDED, NULL);
                t_assert_dtype_values(op->fn(x, s), out_dt, want, 6, what);
                if (!op->inplace) continue;
                if (out_dt != dt) {
                    expect_scalar_type_error(op, x, s);
                    continue;
                }
                cr_assert_eq(op->inplace(x, s), x);
                t_assert_dtype_values(x, dt, want, 6, t_gc_sprintf("%s in place", what));
            }
}

Test(elementwise, integer_scalar_ops_wrap_like_torch) {
    Tensor *u = t_tensor_dt(T_U8, (uint8_t[]){0, 5, 8}, 3);
    T_ASSERT_VALUES(t_sub_s(u, 6), 0, 250, 255, 2);
    T_ASSERT_VALUES(t_rsub_s(t_tensor_dt(T_U8, (uint8_t[]){5}, 1), 2), 0, 253);
    T_ASSERT_VALUES(t_add_s(u, 300), 0, 44, 49, 52);
    Tensor *i = t_tensor_dt(T_I64, (int64_t[]){-7, 7}, 2);
    T_ASSERT_VALUES(t_div_s(i, 2), 0, -3.5, 3.5);
    T_ASSERT_DTYPE(t_div_s(i, 2), T_F32);
    T_ASSERT_VALUES(t_pow_s(t_tensor_dt(T_I64, (int64_t[]){2, 3}, 2), 2.5), 1e-5, 5.656854,
                    15.588457);
}

Test(elementwise, comparisons_with_scalars) {
    Tensor *i = t_tensor_dt(T_I64, (int64_t[]){1, 2, 3}, 3);
    Tensor *lt = t_lt_s(i, 2.5);
    T_ASSERT_DTYPE(lt, T_BOOL);
    T_ASSERT_VALUES(lt, 0, 1, 1, 0);
    T_ASSERT_VALUES(t_eq_s(i, 2), 0, 0, 1, 0);
    T_ASSERT_VALUES(t_ne_s(i, 2), 0, 1, 0, 1);
    T_ASSERT_VALUES(t_le_s(i, 2), 0, 1, 1, 0);
    T_ASSERT_VALUES(t_ge_s(i, 2), 0, 0, 1, 1);
    T_ASSERT_VALUES(t_gt_s(i, 1.5), 0, 0, 1, 1);
    /* the scalar is compared in the tensor's float32: 0.1f > 0.1 is false in torch */
    T_ASSERT_VALUES(t_gt_s(t_tensor((float[]){0.1f}, 1), 0.1), 0, 0);
    T_ASSERT_VALUES(t_eq_s(t_tensor_dt(T_BOOL, (bool[]){true, false}, 2), 1), 0, 1, 0);
    T_ASSERT_VALUES(t_lt_s(t_tensor_dt(T_U8, (uint8_t[]){1, 200}, 2), 100), 0, 1, 0);
}

Test(elementwise, comparisons_with_scalars_beyond_the_integer_range) {
    /* torch.tensor([1]) < 1e20 is True: a whole scalar too big for the tensor's dtype must not
       be converted into it */
    Tensor *i = t_tensor_dt(T_I64, (int64_t[]){1, -1}, 2);
    T_ASSERT_VALUES(t_lt_s(i, 1e20), 0, 1, 1);
    T_ASSERT_VALUES(t_gt_s(i, -1e20), 0, 1, 1);
    T_ASSERT_VALUES(t_lt_s(t_tensor_dt(T_I32, (int32_t[]){1}, 1), 3e9), 0, 1);
}

/* ---- dtype promotion ---- */

Test(elementwise, promotion_between_tensors) {
    static const struct {
        DType a, b, want;
    } cases[] = {
        {T_I64, T_F32, T_F32}, {T_I32, T_F64, T_F64}, {T_U8, T_I32, T_I32},
        {T_BOOL, T_U8, T_U8},  {T_I64, T_I32, T_I64}, {T_F32, T_F64, T_F64},
        {T_BOOL, T_F32, T_F32}, {T_U8, T_I64, T_I64}, {T_BOOL, T_I32, T_I32},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        Tensor *a = t_ones_dt(cases[k].a, 2), *b = t_full_dt(cases[k].b, 2, 2);
        Tensor *ab = t_add(a, b), *ba = t_mul(b, a);
        T_ASSERT_DTYPE(ab, cases[k].want);
        T_ASSERT_DTYPE(ba, cases[k].want);
        T_ASSERT_VALUES(ab, 0, 3, 3);
        T_ASSERT_VALUES(ba, 0, 2, 2);
    }
    Tensor *x = t_add(t_tensor_dt(T_I64, (int64_t[]){1, 2}, 2), t_tensor((float[]){0.5, 0.25}, 2));
    T_ASSERT_VALUES(x, 0, 1.5, 2.25);
}

Test(elementwise, promotion_with_zero_dim_tensors) {
    Tensor *i64 = t_tensor_dt(T_I64, (int64_t[]){1, 2}, 2);
    Tensor *i32 = t_tensor_dt(T_I32, (int32_t[]){1, 2}, 2);
    Tensor *f32 = t_tensor((float[]){1, 2}, 2);
    Tensor *r = t_add(i64, t_scalar(2.5)); /* a 0-d float decides: int + 0-d float is float */
    T_ASSERT_DTYPE(r, T_F32);
    T_ASSERT_VALUES(r, 0, 3.5, 4.5);
    T_ASSERT_DTYPE(t_add(t_scalar(2.5), i64), T_F32);
    T_ASSERT_DTYPE(t_add(i64, t_scalar_dt(T_F64, 2.5)), T_F64);
    T_ASSERT_DTYPE(t_add(i32, t_scalar_dt(T_I64, 2)), T_I32); /* same category: tensor wins */
    T_ASSERT_DTYPE(t_add(f32, t_scalar_dt(T_F64, 0.1)), T_F32);
    T_ASSERT_DTYPE(t_add(t_ones_dt(T_U8, 2), t_scalar_dt(T_BOOL, 1)), T_U8);
    T_ASSERT_DTYPE(t_add(t_ones_dt(T_BOOL, 2), t_scalar_dt(T_I32, 3)), T_I32);
    T_ASSERT_VALUES(t_add(t_ones_dt(T_BOOL, 2), t_scalar_dt(T_I32, 3)), 0, 4, 4);
    Tensor *zz = t_add(t_scalar_dt(T_I64, 1), t_scalar(1.5)); /* both 0-d: ordinary promotion */
    cr_assert_eq(t_ndim(zz), 0);
    T_ASSERT_DTYPE(zz, T_F32);
    cr_assert_eq(t_item(zz), 2.5);
    T_ASSERT_DTYPE(t_lt(i64, t_scalar(1.5)), T_BOOL);
    T_ASSERT_VALUES(t_lt(i64, t_scalar(1.5)), 0, 1, 0);
}

Test(elementwise, integer_division_gives_float32) {
    Tensor *q = t_div(t_tensor_dt(T_I64, (int64_t[]){7, -7}, 2),
                      t_tensor_dt(T_I64, (int64_t[]){2, 2}, 2));
    T_ASSERT_DTYPE(q, T_F32);
    T_ASSERT_VALUES(q, 0, 3.5, -3.5);
    Tensor *m = t_div(t_tensor_dt(T_I32, (int32_t[]){1, 2}, 2),
                      t_tensor_dt(T_U8, (uint8_t[]){2}, 1));
    T_ASSERT_DTYPE(m, T_F32);
    T_ASSERT_VALUES(m, 0, 0.5, 1);
    Tensor *b = t_div(t_tensor_dt(T_BOOL, (bool[]){true, false}, 2), t_zeros_dt(T_BOOL, 2));
    T_ASSERT_DTYPE(b, T_F32);
    cr_assert(isinf(t_get(b, 0)) && t_get(b, 0) > 0);
    cr_assert(isnan(t_get(b, 1)));
    Tensor *z = t_div(t_scalar_dt(T_I64, 7), t_scalar_dt(T_I64, 2));
    T_ASSERT_DTYPE(z, T_F32);
    cr_assert_eq(t_item(z), 3.5);
}

Test(elementwise, comparisons_of_mixed_dtypes_give_bool) {
    Tensor *c = t_lt(t_tensor_dt(T_I64, (int64_t[]){1, 2, 3}, 3),
                     t_tensor((float[]){1.5, 1.5, 3.5}, 3));
    T_ASSERT_DTYPE(c, T_BOOL);
    T_ASSERT_VALUES(c, 0, 1, 0, 1);
    Tensor *e = t_eq(t_tensor_dt(T_U8, (uint8_t[]){1, 0}, 2),
                     t_tensor_dt(T_BOOL, (bool[]){true, true}, 2));
    T_ASSERT_DTYPE(e, T_BOOL);
    T_ASSERT_VALUES(e, 0, 1, 0);
    Tensor *g = t_ge(t_tensor_dt(T_F64, (double[]){0.1}, 1), t_tensor((float[]){0.1f}, 1));
    T_ASSERT_VALUES(g, 0, 0);
}

/* ---- NaN ---- */

Test(elementwise, nan_propagates_through_maximum_minimum_clamp_relu) {
    for (DType dt = T_F32; dt <= T_F64; dt++) {
        Tensor *a = t_to_dtype(t_tensor_dt(T_F64, (double[]){1, NAN, NAN, -1}, 4), dt);
        Tensor *b = t_to_dtype(t_tensor_dt(T_F64, (double[]){NAN, 2, NAN, -2}, 4), dt);
        T_ASSERT_VALUES(t_maximum(a, b), 0, NAN, NAN, NAN, -1);
        T_ASSERT_VALUES(t_minimum(a, b), 0, NAN, NAN, NAN, -2);
        Tensor *x = t_to_dtype(t_tensor_dt(T_F64, (double[]){NAN, -1, 2, 0.5}, 4), dt);
        T_ASSERT_VALUES(t_relu(x), 0, NAN, 0, 2, 0.5);
        T_ASSERT_VALUES(t_clamp(x, 0, 1), 0, NAN, 0, 1, 0.5);
        T_ASSERT_VALUES(t_clamp(x, -INFINITY, 1), 0, NAN, -1, 1, 0.5);
        T_ASSERT_VALUES(t_clamp_(x, 0, INFINITY), 0, NAN, 0, 2, 0.5);
        T_ASSERT_VALUES(t_relu_(t_to_dtype(t_tensor_dt(T_F64, (double[]){NAN, -3}, 2), dt)), 0,
                        NAN, 0);
    }
}

/* ---- clamp ---- */

Test(elementwise, clamp_every_dtype) {
    Tensor *i = t_tensor_dt(T_I64, (int64_t[]){-5, 0, 3, 9}, 4);
    T_ASSERT_VALUES(t_clamp(i, -1, 4), 0, -1, 0, 3, 4);
    T_ASSERT_DTYPE(t_clamp(i, -1, 4), T_I64);
    T_ASSERT_VALUES(t_clamp(i, -INFINITY, 2), 0, -5, 0, 2, 2);
    T_ASSERT_VALUES(t_clamp(t_to_dtype(i, T_I32), 1, 1), 0, 1, 1, 1, 1);
    Tensor *u = t_tensor_dt(T_U8, (uint8_t[]){1, 2, 250}, 3);
    T_ASSERT_VALUES(t_clamp(u, 2, 100), 0, 2, 2, 100);
    Tensor *f = t_tensor_dt(T_F64, (double[]){-1.5, 0.25, 7}, 3);
    T_ASSERT_VALUES(t_clamp(f, -1, 1), 0, -1, 0.25, 1);
    cr_assert_eq(t_clamp_(f, 0, 0.5), f);
    T_ASSERT_VALUES(f, 0, 0, 0.25, 0.5);
    T_ASSERT_RAISES(T_ERR_DTYPE, t_clamp(t_ones_dt(T_BOOL, 2), 0, 1), "t_clamp", "bool");
}

Test(elementwise, clamp_with_low_above_high_gives_high) {
    /* torch.clamp(x, min=3, max=1) is 1 everywhere: min(max(x, lo), hi) */
    T_ASSERT_VALUES(t_clamp(t_tensor((float[]){2, 5, 0}, 3), 3, 1), 0, 1, 1, 1);
    T_ASSERT_VALUES(t_clamp(t_tensor_dt(T_F64, (double[]){2, 5, 0}, 3), 3, 1), 0, 1, 1, 1);
    T_ASSERT_VALUES(t_clamp(t_tensor_dt(T_I64, (int64_t[]){2, 5, 0}, 3), 3, 1), 0, 1, 1, 1);
}

Test(elementwise, clamp_of_integers_with_a_fractional_bound_gives_float) {
    /* as for the scalar ops (and torch.clamp(torch.tensor([1, 2, 3]), min=2.5)) */
    Tensor *c = t_clamp(t_tensor_dt(T_I64, (int64_t[]){1, 2, 3}, 3), 2.5, INFINITY);
    T_ASSERT_DTYPE(c, T_F32);
    T_ASSERT_VALUES(c, 0, 2.5, 2.5, 3);
}

/* ---- where, fill, copy ---- */

Test(elementwise, where_broadcasts_all_three) {
    Tensor *cond = t_tensor_dt(T_BOOL, (bool[]){true, false, true}, 3, 1);
    Tensor *a = t_tensor((float[]){1, 2, 3, 4}, 4);
    Tensor *w = t_where(cond, a, t_scalar(0));
    T_ASSERT_SHAPE(w, 3, 4);
    T_ASSERT_DTYPE(w, T_F32);
    T_ASSERT_VALUES(w, 0, 1, 2, 3, 4, 0, 0, 0, 0, 1, 2, 3, 4);
    Tensor *ints = t_tensor_dt(T_I64, (int64_t[]){1, 2}, 2);
    Tensor *m = t_where(t_tensor_dt(T_BOOL, (bool[]){true, false}, 2), ints, t_scalar(2.5));
    T_ASSERT_DTYPE(m, T_F32); /* torch.where(c, int tensor, 0-d float) is float */
    T_ASSERT_VALUES(m, 0, 1, 2.5);
    Tensor *d = t_where(t_tensor_dt(T_BOOL, (bool[]){false, true}, 2), ints,
                        t_tensor_dt(T_F64, (double[]){2.5, 3.5}, 2));
    T_ASSERT_DTYPE(d, T_F64);
    T_ASSERT_VALUES(d, 0, 2.5, 2);
}

Test(elementwise, where_every_dtype_and_layout) {
    static const double c[6] = {1, 0, 0, 1, 1, 0};
    for (DType dt = 0; dt < T_NDTYPES; dt++)
        for (TLayout l = 0; l < T_NLAYOUTS; l++) {
            const double *va = dt == T_BOOL ? bool_a : num_a, *vb = dt == T_BOOL ? bool_b : num_b;
            Tensor *w = t_where(t_in_layout(c, T_BOOL, (l + 2) % T_NLAYOUTS, NULL),
                                t_in_layout(va, dt, l, NULL),
                                t_in_layout(vb, dt, (l + 1) % T_NLAYOUTS, NULL));
            double want[6];
            for (int i = 0; i < 6; i++) want[i] = c[i] ? va[i] : vb[i];
            const char *what = t_gc_sprintf("t_where %s %s", t_dtype_name(dt), t_layout_name(l));
            t_assert_dtype_values(w, dt, want, 6, what);
        }
}

Test(elementwise, where_misuse) {
    Tensor *a = t_zeros(3), *b = t_zeros(3);
    T_ASSERT_RAISES(T_ERR_DTYPE, t_where(t_ones_dt(T_I64, 3), a, b), "t_where", "int64");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_where(t_ones_dt(T_BOOL, 3), a, t_zeros(4)), "t_where",
                    "[3]", "[4]");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_where(t_ones_dt(T_BOOL, 2), a, b), "t_where", "[2]", "[3]");
}

Test(elementwise, fill_every_dtype_and_layout) {
    for (DType dt = 0; dt < T_NDTYPES; dt++)
        for (TLayout l = 0; l < T_NLAYOUTS; l++) {
            Tensor *base, *x = t_in_layout(num_a, dt, l, &base);
            cr_assert_eq(t_fill_(x, 2.75), x);
            double want[6] = {2.75, 2.75, 2.75, 2.75, 2.75, 2.75};
            const char *what = t_gc_sprintf("t_fill_ %s %s", t_dtype_name(dt), t_layout_name(l));
            t_assert_dtype_values(x, dt, want, 6, what);
            int64_t filled = 0;
            for (int64_t i = 0; i < t_numel(base); i++) filled += t_flat_get(base, i) != 0;
            cr_assert_eq(filled, 6, "t_fill_ wrote outside its view (%s)", t_layout_name(l));
            t_zero_(x);
            double zeros[6] = {0};
            t_assert_dtype_values(x, dt, zeros, 6, "t_zero_");
        }
    Tensor *s = t_scalar_dt(T_U8, 0);
    t_fill_(s, 255);
    cr_assert_eq(t_item(s), 255);
    t_fill_(s, -1); /* torch.full((1,), -1, dtype=torch.uint8) is 255 */
    cr_assert_eq(t_item(s), 255);
    Tensor *e = t_zeros(0, 3);
    cr_assert_eq(t_fill_(e, 1), e);
}

Test(elementwise, copy_broadcasts_and_casts) {
    Tensor *dst = t_zeros_dt(T_I32, 2, 3);
    cr_assert_eq(t_copy_(dst, t_tensor_dt(T_F64, (double[]){1.7, -2.7, 3.2}, 3)), dst);
    T_ASSERT_VALUES(dst, 0, 1, -2, 3, 1, -2, 3);
    Tensor *base = t_zeros(3, 2), *dt = t_T(base);
    t_copy_(dt, t_tensor_dt(T_I64, (int64_t[]){1, 2, 3, 4, 5, 6}, 2, 3));
    T_ASSERT_VALUES(base, 0, 1, 4, 2, 5, 3, 6);
    Tensor *src_t = t_T(t_tensor((float[]){1, 2, 3, 4, 5, 6}, 3, 2));
    Tensor *c = t_zeros_dt(T_F64, 2, 3);
    t_copy_(c, src_t);
    T_ASSERT_VALUES(c, 0, 1, 3, 5, 2, 4, 6);
    t_copy_(c, t_scalar(9));
    T_ASSERT_VALUES(c, 0, 9, 9, 9, 9, 9, 9);
    Tensor *b = t_zeros_dt(T_BOOL, 3);
    t_copy_(b, t_tensor((float[]){0, 0.1f, -2}, 3));
    T_ASSERT_VALUES(b, 0, 0, 1, 1);
    Tensor *strided = t_slice(t_zeros(8), 0, 0, T_END, 3);
    t_copy_(strided, t_arange(1, 4, 1));
    T_ASSERT_VALUES(strided, 0, 1, 2, 3);
}

Test(elementwise, copy_misuse_names_the_op) {
    T_ASSERT_RAISES(T_ERR_SHAPE, t_copy_(t_zeros(2, 3), t_zeros(4)), "t_copy_", "[2, 3]", "[4]");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_copy_(t_zeros(2, 3), t_zeros(1, 2, 3)), "t_copy_");
}

/* ---- large tensors: the multi-threaded path against plain loops ---- */

/* The elements of a contiguous float tensor. */
static const float *floats(Tensor *x) {
    cr_assert(t_is_contiguous(x));
    cr_assert_eq(t_dtype(x), T_F32);
    return t_data(x);
}

Test(elementwise, large_binary_ops_match_a_plain_loop) {
    t_manual_seed(11);
    Tensor *a = t_randn(BIG_ROWS, BIG_COLS), *bt = t_randn(BIG_COLS, BIG_ROWS);
    Tensor *b = t_T(bt); /* transposed operand */
    Tensor *row = t_randn(BIG_COLS), *col = t_randn(BIG_ROWS, 1);
    const float *pa = floats(a), *pbt = floats(bt), *prow = floats(row), *pcol = floats(col);
    Tensor *sum = t_contiguous(t_add(a, b)), *prod = t_mul(a, row), *diff = t_sub(col, a);
    Tensor *mx = t_maximum(a, b), *lt = t_lt(a, b);
    const float *ps = floats(sum), *pp = floats(prod), *pd = floats(diff);
    const bool *pl = t_data(t_contiguous(lt));
    Tensor *mxc = t_contiguous(mx);
    const float *pm = floats(mxc);
    for (int64_t i = 0; i < BIG_ROWS; i++)
        for (int64_t j = 0; j < BIG_COLS; j++) {
            int64_t k = i * BIG_COLS + j;
            float x = pa[k], y = pbt[j * BIG_ROWS + i];
            cr_assert_eq(ps[k], x + y, "add at (%lld, %lld)", (long long)i, (long long)j);
            cr_assert_eq(pp[k], x * prow[j], "mul at (%lld, %lld)", (long long)i, (long long)j);
            cr_assert_eq(pd[k], pcol[i] - x, "sub at (%lld, %lld)", (long long)i, (long long)j);
            cr_assert_eq(pm[k], x > y ? x : y);
            cr_assert_eq(pl[k], x < y);
        }
}

Test(elementwise, large_unary_inplace_cast_fill_where) {
    t_manual_seed(12);
    Tensor *base = t_rand_dt(T_F64, BIG_ROWS, 2 * BIG_COLS);
    const double *pb = t_data(base);
    double *orig = malloc(sizeof(double) * BIG_ROWS * 2 * BIG_COLS);
    cr_assert_not_null(orig);
    memcpy(orig, pb, sizeof(double) * BIG_ROWS * 2 * BIG_COLS);
    Tensor *odd = t_slice(base, 1, 1, T_END, 2); /* every other column */
    Tensor *e = t_contiguous(t_exp(t_T(odd)));
    const double *pe = t_data(e);
    for (int64_t j = 0; j < BIG_COLS; j++)
        for (int64_t i = 0; i < BIG_ROWS; i++)
            cr_assert(t_close(pe[j * BIG_ROWS + i], exp(orig[i * 2 * BIG_COLS + 2 * j + 1]), 0,
                              T_F64_RTOL));
    t_mul_s_(odd, 3); /* in place through a strided view */
    Tensor *as_int = t_contiguous(t_to_dtype(t_T(base), T_I32));
    const int32_t *pi = t_data(as_int);
    for (int64_t i = 0; i < BIG_ROWS; i++)
        for (int64_t j = 0; j < 2 * BIG_COLS; j++) {
            int64_t k = i * 2 * BIG_COLS + j;
            double want = j % 2 ? orig[k] * 3 : orig[k];
            cr_assert_eq(pb[k], want, "t_mul_s_ at (%lld, %lld)", (long long)i, (long long)j);
            cr_assert_eq(pi[j * BIG_ROWS + i], (int32_t)want);
        }
    Tensor *w = t_contiguous(t_where(t_gt_s(base, 1), base, t_scalar_dt(T_F64, -1)));
    const double *pw = t_data(w);
    for (int64_t k = 0; k < (int64_t)BIG_ROWS * 2 * BIG_COLS; k++)
        cr_assert_eq(pw[k], pb[k] > 1 ? pb[k] : -1);
    t_fill_(t_T(odd), 0.5);
    for (int64_t k = 0; k < (int64_t)BIG_ROWS * 2 * BIG_COLS; k++)
        cr_assert_eq(pb[k], k % 2 ? 0.5 : orig[k]);
    free(orig);
}

Test(elementwise, large_integer_ops_are_exact) {
    Tensor *a = t_arange_dt(T_I64, 0, (double)BIG_ROWS * BIG_COLS, 1);
    Tensor *m = t_view(a, BIG_ROWS, BIG_COLS);
    Tensor *r = t_contiguous(t_add(t_mul(t_T(t_contiguous(t_T(m))), m), t_scalar_dt(T_I64, 1)));
    const int64_t *p = t_data(r);
    for (int64_t k = 0; k < (int64_t)BIG_ROWS * BIG_COLS; k++) cr_assert_eq(p[k], k * k + 1);
}

/* Every order of 3 dims, for the permuted-operand tests. */
static const int64_t perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                    {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};

/* A [d0, d1, d2] tensor of random values stored with its dims in the order perm, every
   other element of its last stored dim when strided: a view the iterator cannot merge. */
static Tensor *permuted(const int64_t d[3], const int64_t perm[3], bool strided) {
    int64_t inv[3];
    for (int i = 0; i < 3; i++) inv[perm[i]] = i;
    int64_t last = d[perm[2]] * (strided ? 2 : 1);
    Tensor *stored = t_randn(d[perm[0]], d[perm[1]], last);
    if (strided) stored = t_slice(stored, 2, 0, T_END, 2);
    return t_permute(stored, inv[0], inv[1], inv[2]);
}

/* A 3-d float32 tensor's elements found from its strides with plain arithmetic (no library
   iteration, so it is an independent reference for the iterator). */
typedef struct View3 {
    const float *p;
    int64_t s[3];
} View3;

/* The View3 of x. */
static View3 view3(const Tensor *x) {
    Shape st = t_strides(x);
    return (View3){t_data(x), {st.d[0], st.d[1], st.d[2]}};
}

/* Element (i, j, k) of v. */
static inline float at3(View3 v, int64_t i, int64_t j, int64_t k) {
    return v.p[i * v.s[0] + j * v.s[1] + k * v.s[2]];
}

/* Checks a + b, a * b, where(a > 0, b, a) (b broadcast) and an in-place a -= 1 on every
   permuted, strided layout of a [d0, d1, d2] operand, against single elements. */
static void check_permuted_layouts(const int64_t d[3]) {
    Tensor *bs[] = {t_randn(d[1], 1), t_randn(d[0], 1, d[2]), t_randn(d[2]), t_scalar(0.5)};
    for (int p = 0; p < 6; p++)
        for (int strided = 0; strided < 2; strided++) {
            Tensor *a = permuted(d, perms[p], strided);
            T_ASSERT_SHAPE(a, d[0], d[1], d[2]);
            Tensor *before = t_clone(a);
            for (size_t k = 0; k < sizeof bs / sizeof *bs; k++) {
                Tensor *sum = t_add(a, bs[k]), *prod = t_mul(bs[k], a);
                Tensor *pick = t_where(t_gt_s(a, 0), bs[k], a);
                View3 va = view3(a), vb = view3(t_expand(bs[k], d[0], d[1], d[2]));
                View3 vs = view3(sum), vp = view3(prod), vk = view3(pick);
                int64_t wrong = 0;
                for (int64_t i = 0; i < d[0]; i++)
                    for (int64_t j = 0; j < d[1]; j++)
                        for (int64_t l = 0; l < d[2]; l++) {
                            float x = at3(va, i, j, l), y = at3(vb, i, j, l);
                            wrong += at3(vs, i, j, l) != x + y || at3(vp, i, j, l) != y * x ||
                                     at3(vk, i, j, l) != (x > 0 ? y : x);
                        }
                cr_assert_eq(wrong, 0, "perm %d strided %d operand %zu: %lld wrong elements", p,
                             strided, k, (long long)wrong);
            }
            t_sub_s_(a, 1);
            View3 va = view3(a), vbefore = view3(before);
            int64_t wrong = 0;
            for (int64_t i = 0; i < d[0]; i++)
                for (int64_t j = 0; j < d[1]; j++)
                    for (int64_t l = 0; l < d[2]; l++)
                        wrong += at3(va, i, j, l) != at3(vbefore, i, j, l) - 1.0f;
            cr_assert_eq(wrong, 0, "perm %d strided %d: t_sub_s_ got %lld elements wrong", p,
                         strided, (long long)wrong);
        }
}

Test(elementwise, permuted_and_strided_operands_small) {
    t_manual_seed(13);
    check_permuted_layouts((const int64_t[3]){4, 5, 6});
}

Test(elementwise, permuted_and_strided_operands_multithreaded) {
    t_manual_seed(14);
    check_permuted_layouts((const int64_t[3]){37, 41, 47}); /* 71299 elements */
}

/* ---- misuse ---- */

/* Asserts that op raises ShapeError on a and b, naming the op and both shapes. */
static void expect_shape_error(const struct BinaryOpCase *op, Tensor *a, Tensor *b) {
    T_ASSERT_RAISES(T_ERR_SHAPE, op->fn(a, b), op->name, t_shape_str(t_shape(a)),
                    t_shape_str(t_shape(b)));
}

Test(elementwise, shapes_that_do_not_broadcast_raise_shape_error) {
    Tensor *a = t_zeros(3), *b = t_zeros(4), *c = t_zeros(2, 3), *d = t_zeros(3, 2);
    for (int k = 0; k < NBINARY; k++) {
        expect_shape_error(&binary_ops[k], a, b);
        expect_shape_error(&binary_ops[k], c, d);
    }
    T_ASSERT_RAISES(T_ERR_SHAPE, t_add_(a, b), "t_add_", "[3]", "[4]");
}

Test(elementwise, inplace_output_must_hold_the_broadcast_shape) {
    T_ASSERT_RAISES(T_ERR_SHAPE, t_add_(t_zeros(3), t_zeros(2, 3)), "t_add_", "[3]", "[2, 3]");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_mul_(t_zeros(3, 1), t_zeros(3)), "t_mul_", "[3, 1]", "[3, 3]");
}

Test(elementwise, inplace_float_into_int_raises_type_error) {
    Tensor *i = t_ones_dt(T_I64, 3);
    T_ASSERT_RAISES(T_ERR_DTYPE, t_add_(i, t_ones(3)), "t_add_", "float32", "int64");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_mul_(t_ones_dt(T_I32, 3), t_ones_dt(T_F64, 3)), "t_mul_",
                    "float64", "int32");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_div_(i, t_ones_dt(T_I64, 3)), "t_div_", "float32", "int64");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_add_(t_ones_dt(T_BOOL, 3), i), "t_add_", "int64", "bool");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_add_(t_ones_dt(T_U8, 3), t_scalar(0.5)), "t_add_", "uint8");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_add_s_(i, 0.5), "t_add_s_", "int64");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_exp_(i), "t_exp_", "int64");
    T_ASSERT_VALUES(i, 0, 1, 1, 1); /* nothing was written */
}

Test(elementwise, inplace_into_an_expanded_tensor_raises) {
    /* torch: "unsupported operation: more than one element of the written-to tensor refers to
       a single memory location" */
    Tensor *base = t_zeros(3);
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_add_(t_expand(base, 2, 3), t_ones(2, 3)), "t_add_");
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_add_s_(t_expand(base, 2, 3), 1), "t_add_s_");
}

Test(elementwise, fill_of_an_expanded_tensor_works_as_in_torch) {
    /* torch.zeros(3).expand(2, 3).fill_(1) is allowed: every element gets the same value */
    Tensor *base = t_zeros(3);
    T_ASSERT_NO_RAISE(t_fill_(t_expand(base, 2, 3), 1));
    T_ASSERT_VALUES(base, 0, 1, 1, 1);
    T_ASSERT_NO_RAISE(t_zero_(t_expand(base, 2, 3)));
    T_ASSERT_VALUES(base, 0, 0, 0, 0);
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_copy_(t_expand(base, 2, 3), t_ones(2, 3)), "t_copy_");
}

Test(elementwise, inplace_with_a_partly_overlapping_input_raises) {
    /* torch: "some elements of the input tensor and the written-to tensor refer to a single
       memory location"; the same tensor as both operands is fine */
    Tensor *x = t_view(t_arange(0, 9, 1), 3, 3);
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_add_(x, t_T(x)), "t_add_");
    Tensor *z = t_arange(0, 5, 1);
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_add_(t_slice(z, 0, 1, T_END, 1), t_slice(z, 0, 0, 4, 1)),
                    "t_add_");
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_copy_(t_slice(z, 0, 1, T_END, 1), t_slice(z, 0, 0, 4, 1)),
                    "t_copy_");
    Tensor *r = t_view(t_arange(0, 6, 1), 2, 3);
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_add_(r, t_select(r, 0, 0)), "t_add_"); /* y.add_(y[0]) */
    Tensor *y = t_arange(0, 3, 1);
    t_add_(y, y);
    T_ASSERT_VALUES(y, 0, 0, 2, 4);
}

Test(elementwise, inplace_with_interleaved_disjoint_views_works) {
    /* views of one storage whose elements do not meet are fine in torch:
       m[:, 0] += m[:, 1], x[::2] += x[1::2], w[::2].copy_(w[1::2]), z[0] += z[1] */
    Tensor *m = t_view(t_arange(0, 6, 1), 3, 2);
    T_ASSERT_NO_RAISE(t_add_(t_select(m, 1, 0), t_select(m, 1, 1)));
    T_ASSERT_VALUES(m, 0, 1, 1, 5, 3, 9, 5);
    Tensor *x = t_arange(0, 6, 1);
    T_ASSERT_NO_RAISE(t_add_(t_slice(x, 0, 0, T_END, 2), t_slice(x, 0, 1, T_END, 2)));
    T_ASSERT_VALUES(x, 0, 1, 1, 5, 3, 9, 5);
    Tensor *w = t_arange(0, 6, 1);
    T_ASSERT_NO_RAISE(t_copy_(t_slice(w, 0, 0, T_END, 2), t_slice(w, 0, 1, T_END, 2)));
    T_ASSERT_VALUES(w, 0, 1, 1, 3, 3, 5, 5);
    Tensor *z = t_view(t_arange(0, 6, 1), 2, 3);
    T_ASSERT_NO_RAISE(t_add_(t_select(z, 0, 0), t_select(z, 0, 1)));
    T_ASSERT_VALUES(z, 0, 3, 5, 7, 3, 4, 5);
}

Test(elementwise, ops_refused_for_bool) {
    Tensor *b = t_ones_dt(T_BOOL, 2);
    T_ASSERT_RAISES(T_ERR_DTYPE, t_sub(b, b), "t_sub", "bool");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_neg(b), "t_neg", "bool");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_abs(b), "t_abs", "bool");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_relu_(b), "t_relu_", "bool");
}

Test(elementwise, results_too_large_to_hold_raise) {
    /* expanded views hold no memory; results of their size cannot be made */
    Tensor *col = t_expand(t_zeros(1, 1), (int64_t)1 << 40, 1);
    Tensor *row = t_expand(t_zeros(1, 1), 1, (int64_t)1 << 40);
    T_ASSERT_RAISES(T_ERR_VALUE, t_add(col, row), "more elements than fit in int64");
    T_ASSERT_RAISES(T_ERR_VALUE, t_exp(t_expand(t_zeros(1), (int64_t)1 << 62)), "too large",
                    "float32");
}
