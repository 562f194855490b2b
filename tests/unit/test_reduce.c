/* test_reduce.c — reductions and softmax (tensor/reduce.c, tensor/cpu_reduce.c). Expected
   values were computed by PyTorch 1.13 on the same inputs. */
#include <criterion/criterion.h>

#include "helpers.h"

/* Float tolerance for values of order 1. */
#define TOL 1e-6
/* Elements in the large-sum tests: 16M, the size the benchmarks use. */
#define BIG (16 * 1024 * 1024)

/* [[0, 1, 2], [3, 4, 5]] as float32. */
static Tensor *x23(void) { return t_tensor(((float[]){0, 1, 2, 3, 4, 5}), 2, 3); }

Test(sum, all_and_each_dim) {
    Tensor *x = x23();
    Tensor *s = t_sum(x);
    T_ASSERT_SHAPE(s);
    T_ASSERT_DTYPE(s, T_F32);
    T_ASSERT_VALUES(s, 0, 15);
    T_ASSERT_VALUES(t_sum_dim(x, 0, false), 0, 3, 5, 7);
    Tensor *k = t_sum_dim(x, 1, true);
    T_ASSERT_SHAPE(k, 2, 1);
    T_ASSERT_VALUES(k, 0, 3, 12);
    T_ASSERT_SHAPE(t_sum_dim(x, -1, false), 2);
    T_ASSERT_VALUES(t_sum_dim(x, -2, false), 0, 3, 5, 7);
}

Test(sum, middle_dim_of_3d) {
    Tensor *x = t_reshape(t_arange(0, 24, 1), 2, 3, 4);
    Tensor *s = t_sum_dim(x, 1, false);
    T_ASSERT_SHAPE(s, 2, 4);
    T_ASSERT_VALUES(s, 0, 12, 15, 18, 21, 48, 51, 54, 57);
}

Test(sum, integer_and_bool_give_int64) {
    Tensor *i32 = t_sum(t_tensor_dt(T_I32, ((int32_t[]){1, 2, 3}), 3));
    T_ASSERT_DTYPE(i32, T_I64);
    T_ASSERT_VALUES(i32, 0, 6);
    Tensor *u8 = t_sum(t_tensor_dt(T_U8, ((uint8_t[]){200, 100, 250}), 3));
    T_ASSERT_DTYPE(u8, T_I64);
    T_ASSERT_VALUES(u8, 0, 550); /* no wrap-around at 256 */
    Tensor *b = t_sum_dim(t_tensor_dt(T_BOOL, ((bool[]){1, 0, 1, 1}), 2, 2), 0, false);
    T_ASSERT_DTYPE(b, T_I64);
    T_ASSERT_VALUES(b, 0, 2, 1);
    Tensor *i64 = t_sum_dim(t_tensor_dt(T_I64, ((int64_t[]){1, -2, 3, 4}), 2, 2), 1, false);
    T_ASSERT_VALUES(i64, 0, -1, 7);
    Tensor *f64 = t_sum(t_tensor_dt(T_F64, ((double[]){0.25, 1e10, -1e10}), 3));
    T_ASSERT_DTYPE(f64, T_F64);
    T_ASSERT_VALUES(f64, 0, 0.25);
}

Test(sum, non_contiguous_and_broadcast_inputs) {
    Tensor *xt = t_T(x23()); /* [[0, 3], [1, 4], [2, 5]] */
    T_ASSERT_VALUES(t_sum_dim(xt, 0, false), 0, 3, 12);
    T_ASSERT_VALUES(t_sum_dim(xt, 1, false), 0, 3, 5, 7);
    Tensor *e = t_expand(t_tensor(((float[]){1, 2, 3}), 3), 4, 3);
    T_ASSERT_VALUES(t_sum_dim(e, 0, false), 0, 4, 8, 12);
    T_ASSERT_VALUES(t_sum(e), 0, 24);
    Tensor *s = t_slice(t_arange(0, 10, 1), 0, 1, T_END, 3); /* 1, 4, 7 */
    T_ASSERT_VALUES(t_sum(s), 0, 12);
}

Test(sum, empty_is_zero_and_prod_empty_is_one) {
    T_ASSERT_VALUES(t_sum(t_zeros(0, 3)), 0, 0);
    Tensor *s = t_sum_dim(t_zeros(0, 3), 0, false);
    T_ASSERT_SHAPE(s, 3);
    T_ASSERT_VALUES(s, 0, 0, 0, 0);
    T_ASSERT_SHAPE(t_sum_dim(t_zeros(3, 0), 0, false), 0);
    T_ASSERT_VALUES(t_prod(t_zeros(0)), 0, 1);
    T_ASSERT_VALUES(t_prod_dim(t_zeros(2, 0), 1, false), 0, 1, 1);
}

Test(sum, zero_dim_input) {
    T_ASSERT_VALUES(t_sum(t_scalar(2.5)), 0, 2.5);
    Tensor *s = t_sum_dim(t_scalar(2.5), 0, true);
    T_ASSERT_SHAPE(s);
    T_ASSERT_VALUES(s, 0, 2.5);
}

/* Naive float32 accumulation stalls at 2^21 when adding 0.1: the sum must not. */
Test(sum, float32_accumulates_accurately_over_16m) {
    Tensor *x = t_full(0.1, BIG);
    double want = (double)0.1f * BIG;
    cr_assert(t_close(t_item(t_sum(x)), want, 0, 1e-6), "sum is %.9g, expected %.9g",
              t_item(t_sum(x)), want);
    cr_assert(t_close(t_item(t_mean(x)), (double)0.1f, 0, 1e-6));
    Tensor *cols = t_sum_dim(t_full(0.1, BIG / 2, 2), 0, false);
    T_ASSERT_VALUES(cols, 1, want / 2, want / 2);
}

Test(sum, random_float32_matches_float64) {
    t_manual_seed(7);
    Tensor *x = t_randn(BIG + 3);
    double want = t_item(t_sum(t_to_dtype(x, T_F64)));
    double got = t_item(t_sum(x));
    /* float32 rounding of the result, plus a margin for the order of additions */
    cr_assert(fabs(got - want) <= 1e-6 * sqrt((double)BIG) + 1e-6 * fabs(want),
              "sum is %.9g, float64 sum is %.9g", got, want);
    Tensor *rows = t_sum_dim(t_reshape(t_narrow(x, 0, 0, BIG), 4096, -1), 1, false);
    Tensor *rows64 = t_sum_dim(t_reshape(t_narrow(t_to_dtype(x, T_F64), 0, 0, BIG), 4096, -1), 1,
                               false);
    for (int i = 0; i < 4096; i += 511)
        cr_assert(t_close(t_get(rows, i), t_get(rows64, i), 1e-4, 1e-6), "row %d: %g vs %g", i,
                  t_get(rows, i), t_get(rows64, i));
}

Test(mean, values_and_dims) {
    Tensor *x = x23();
    T_ASSERT_VALUES(t_mean(x), TOL, 2.5);
    T_ASSERT_VALUES(t_mean_dim(x, 1, false), TOL, 1, 4);
    Tensor *k = t_mean_dim(x, 0, true);
    T_ASSERT_SHAPE(k, 1, 3);
    T_ASSERT_VALUES(k, TOL, 1.5, 2.5, 3.5);
    Tensor *d = t_mean(t_tensor_dt(T_F64, ((double[]){1, 2}), 2));
    T_ASSERT_DTYPE(d, T_F64);
    T_ASSERT_VALUES(d, 0, 1.5);
    cr_assert(isnan(t_item(t_mean(t_zeros(0)))), "the mean of nothing is NaN");
}

Test(mean, needs_floating) {
    T_ASSERT_RAISES(T_ERR_DTYPE, t_mean(t_tensor_dt(T_I64, ((int64_t[]){1, 2}), 2)), "t_mean",
                    "int64");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_mean_dim(t_ones_dt(T_BOOL, 2), 0, false), "t_mean_dim", "bool");
}

Test(prod, values_and_dtypes) {
    Tensor *x = t_tensor(((float[]){1, 2, 3, 4, 5, 6}), 2, 3);
    T_ASSERT_VALUES(t_prod(x), 0, 720);
    T_ASSERT_VALUES(t_prod_dim(x, 1, false), 0, 6, 120);
    T_ASSERT_VALUES(t_prod_dim(x, 0, false), 0, 4, 10, 18);
    Tensor *i = t_prod(t_tensor_dt(T_I32, ((int32_t[]){-2, 3, 100000}), 3));
    T_ASSERT_DTYPE(i, T_I64);
    T_ASSERT_VALUES(i, 0, -600000);
    Tensor *b = t_prod(t_tensor_dt(T_BOOL, ((bool[]){1, 0}), 2));
    T_ASSERT_DTYPE(b, T_I64);
    T_ASSERT_VALUES(b, 0, 0);
}

Test(max, values_indices_ties_and_nan) {
    Tensor *x = t_tensor(((float[]){1, 5, 5, NAN, 2, NAN}), 2, 3);
    Tensor *idx = NULL;
    Tensor *m = t_max_dim(x, 1, false, &idx);
    T_ASSERT_VALUES(m, 0, 5, NAN);
    T_ASSERT_DTYPE(idx, T_I64);
    T_ASSERT_VALUES(idx, 0, 1, 0); /* first of the tied 5s; first NaN */
    Tensor *n = t_min_dim(x, 1, true, &idx);
    T_ASSERT_SHAPE(n, 2, 1);
    T_ASSERT_VALUES(n, 0, 1, NAN);
    T_ASSERT_VALUES(idx, 0, 0, 0);
    cr_assert(isnan(t_item(t_max(x))) && isnan(t_item(t_min(x))), "NaN wins a full max/min");
    T_ASSERT_VALUES(t_max(t_tensor(((float[]){-3, 7, 2}), 3)), 0, 7);
    T_ASSERT_VALUES(t_min(t_tensor(((float[]){-3, 7, 2}), 3)), 0, -3);
    T_ASSERT_VALUES(t_max_dim(x, 1, false, NULL), 0, 5, NAN);
}

Test(max, over_leading_dim_and_non_contiguous) {
    Tensor *x = t_tensor(((float[]){1, 7, 3, 2, 3, 9}), 3, 2);
    Tensor *idx;
    T_ASSERT_VALUES(t_max_dim(x, 0, false, &idx), 0, 3, 9);
    T_ASSERT_VALUES(idx, 0, 1, 2);
    T_ASSERT_VALUES(t_min_dim(x, 0, false, &idx), 0, 1, 2);
    T_ASSERT_VALUES(idx, 0, 0, 1);
    T_ASSERT_VALUES(t_max_dim(t_T(x), 1, false, &idx), 0, 3, 9);
    T_ASSERT_VALUES(idx, 0, 1, 2);
    T_ASSERT_VALUES(t_max(t_expand(t_tensor(((float[]){4, -1}), 2, 1), 2, 5)), 0, 4);
}

Test(max, every_dtype) {
    Tensor *i64 = t_max(t_tensor_dt(T_I64, ((int64_t[]){-5, 9, 9}), 3));
    T_ASSERT_DTYPE(i64, T_I64);
    T_ASSERT_VALUES(i64, 0, 9);
    Tensor *idx;
    T_ASSERT_VALUES(t_min_dim(t_tensor_dt(T_I32, ((int32_t[]){4, -2, -2}), 3), 0, false, &idx), 0,
                    -2);
    T_ASSERT_VALUES(idx, 0, 1);
    T_ASSERT_VALUES(t_max(t_tensor_dt(T_U8, ((uint8_t[]){3, 250, 7}), 3)), 0, 250);
    Tensor *b = t_max(t_tensor_dt(T_BOOL, ((bool[]){0, 1, 0}), 3));
    T_ASSERT_DTYPE(b, T_BOOL);
    T_ASSERT_VALUES(b, 0, 1);
    T_ASSERT_VALUES(t_min(t_tensor_dt(T_F64, ((double[]){2.5, -1e300}), 2)), 0, -1e300);
}

Test(max, large_rows_match_argmax) {
    t_manual_seed(3);
    Tensor *x = t_randn(1 << 20);
    t_set(x, 10.0, 123457);
    t_set(x, -10.0, 999);
    T_ASSERT_VALUES(t_max(x), 0, 10);
    T_ASSERT_VALUES(t_min(x), 0, -10);
    T_ASSERT_VALUES(t_argmax(x), 0, 123457);
    T_ASSERT_VALUES(t_argmin(x), 0, 999);
    t_set(x, NAN, 5000);
    cr_assert(isnan(t_item(t_max(x))), "a NaN among a million values wins");
}

Test(argmax, flat_and_dims) {
    Tensor *x = t_tensor(((float[]){1, 5, 5, 3, 2, 3}), 2, 3);
    Tensor *a = t_argmax(x);
    T_ASSERT_SHAPE(a);
    T_ASSERT_DTYPE(a, T_I64);
    T_ASSERT_VALUES(a, 0, 1);
    T_ASSERT_VALUES(t_argmin(x), 0, 0);
    T_ASSERT_VALUES(t_argmax_dim(x, 1, false), 0, 1, 0);
    T_ASSERT_VALUES(t_argmin_dim(x, 1, false), 0, 0, 1);
    Tensor *k = t_argmax_dim(x, 0, true);
    T_ASSERT_SHAPE(k, 1, 3);
    T_ASSERT_VALUES(k, 0, 1, 0, 0);
    Tensor *n = t_tensor(((float[]){1, NAN, 3}), 3);
    T_ASSERT_VALUES(t_argmax(n), 0, 1);
    T_ASSERT_VALUES(t_argmin(n), 0, 1);
    T_ASSERT_VALUES(t_argmax(t_tensor_dt(T_I32, ((int32_t[]){1, 8, 8}), 3)), 0, 1);
}

Test(extremum, misuse_raises) {
    T_ASSERT_RAISES(T_ERR_VALUE, t_max(t_zeros(0, 3)), "t_max", "zero-size", "[0, 3]");
    T_ASSERT_RAISES(T_ERR_VALUE, t_argmin(t_zeros(0)), "t_argmin", "zero-size");
    T_ASSERT_RAISES(T_ERR_INDEX, t_max_dim(t_zeros(0, 3), 0, false, NULL), "t_max_dim",
                    "zero-size", "dim 0", "[0, 3]");
    T_ASSERT_RAISES(T_ERR_INDEX, t_argmax_dim(t_zeros(2, 0), 1, false), "t_argmax_dim",
                    "zero-size");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_argmax(t_ones_dt(T_BOOL, 2)), "t_argmax", "bool");
    T_ASSERT_RAISES(T_ERR_INDEX, t_sum_dim(x23(), 2, false), "t_sum_dim", "dim 2");
    T_ASSERT_RAISES(T_ERR_INDEX, t_max_dim(x23(), -3, false, NULL), "t_max_dim", "dim -3");
    /* a non-empty tensor with an empty dim elsewhere still reduces */
    T_ASSERT_SHAPE(t_max_dim(t_zeros(0, 3), 1, false, NULL), 0);
}

Test(var, corrections_and_std) {
    Tensor *x = t_tensor(((float[]){1, 2, 3, 4, 2, 4, 6, 8}), 2, 4);
    T_ASSERT_VALUES(t_var_dim(x, 1, false, 1), 1e-5, 1.66666663, 6.66666651);
    T_ASSERT_VALUES(t_var_dim(x, 1, false, 0), 1e-5, 1.25, 5);
    T_ASSERT_VALUES(t_std_dim(x, 1, false, 1), 1e-5, 1.29099441, 2.58198881);
    Tensor *k = t_var_dim(x, 0, true, 1);
    T_ASSERT_SHAPE(k, 1, 4);
    T_ASSERT_VALUES(k, 1e-5, 0.5, 2, 4.5, 8);
    T_ASSERT_VALUES(t_var(x), 1e-5, 5.35714293);
    T_ASSERT_VALUES(t_std(x), 1e-5, 2.31455016);
    T_ASSERT_VALUES(t_var(t_T(x)), 1e-5, 5.35714293);
    Tensor *d = t_var(t_tensor_dt(T_F64, ((double[]){1, 2, 3, 4}), 4));
    T_ASSERT_DTYPE(d, T_F64);
    T_ASSERT_VALUES(d, 1e-12, 5.0 / 3);
    cr_assert(isnan(t_item(t_var(t_ones(1)))), "one element has no unbiased variance");
}

/* Squares of 1e19 fit float32, their sum does not: PyTorch accumulates in double, so must we. */
Test(var, float32_squares_accumulate_without_overflow) {
    Tensor *x = t_full(1e19, 1000);
    t_fill_(t_slice(x, 0, 1, T_END, 2), -1e19);
    double want = 1e38 * 1000 / 999;
    cr_assert(t_close(t_item(t_var(x)), want, 0, 1e-5), "var is %g, expected %g",
              t_item(t_var(x)), want);
    T_ASSERT_DTYPE(t_var(x), T_F32);
    cr_assert(t_close(t_item(t_std_dim(x, 0, false, 0)), 1e19, 0, 1e-5));
}

Test(var, misuse_raises) {
    T_ASSERT_RAISES(T_ERR_DTYPE, t_var(t_ones_dt(T_I64, 3)), "t_var", "int64");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_std_dim(t_ones_dt(T_I32, 3), 0, false, 1), "t_std_dim", "int32");
    T_ASSERT_RAISES(T_ERR_VALUE, t_var_dim(t_ones(3), 0, false, -1), "t_var_dim", "correction");
    T_ASSERT_RAISES(T_ERR_INDEX, t_var_dim(t_ones(3), 1, false, 1), "t_var_dim", "dim 1");
}

Test(softmax, rows_columns_and_log) {
    Tensor *x = t_tensor(((float[]){1, 2, 3, 1, 1, 1}), 2, 3);
    T_ASSERT_VALUES(t_softmax(x, 1), TOL, 0.09003057, 0.24472848, 0.66524094, 1.0 / 3, 1.0 / 3,
                    1.0 / 3);
    T_ASSERT_VALUES(t_softmax(x, 0), TOL, 0.5, 0.7310586, 0.88079703, 0.5, 0.26894143,
                    0.11920292);
    T_ASSERT_VALUES(t_log_softmax(x, -1), TOL, -2.40760589, -1.40760589, -0.40760595,
                    -1.09861231, -1.09861231, -1.09861231);
    T_ASSERT_VALUES(t_log_softmax(x, 0), TOL, -0.69314718, -0.31326166, -0.12692805,
                    -0.69314718, -1.31326163, -2.12692809);
    T_ASSERT_VALUES(t_softmax(t_T(x), 0), TOL, 0.09003057, 1.0 / 3, 0.24472848, 1.0 / 3,
                    0.66524094, 1.0 / 3);
}

Test(softmax, middle_dim_of_3d) {
    Tensor *x = t_div_s(t_reshape(t_arange(0, 24, 1), 2, 3, 4), 10);
    Tensor *s = t_softmax(x, 1);
    T_ASSERT_SHAPE(s, 2, 3, 4);
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 4; k++) {
            cr_assert(t_close(t_get(s, i, 0, k), 0.21198273, TOL, 0));
            cr_assert(t_close(t_get(s, i, 1, k), 0.31624106, TOL, 0));
            cr_assert(t_close(t_get(s, i, 2, k), 0.47177625, TOL, 0));
        }
}

Test(softmax, stable_for_large_and_infinite_inputs) {
    T_ASSERT_VALUES(t_softmax(t_tensor(((float[]){1000, 1001}), 2), 0), TOL, 0.26894143,
                    0.7310586);
    T_ASSERT_VALUES(t_log_softmax(t_tensor(((float[]){-1000, -1001}), 2), 0), TOL, -0.31326166,
                    -1.31326163);
    Tensor *inf = t_tensor(((float[]){0, -INFINITY, 1}), 3);
    T_ASSERT_VALUES(t_softmax(inf, 0), TOL, 0.26894143, 0, 0.7310586);
    T_ASSERT_VALUES(t_log_softmax(inf, 0), TOL, -1.31326163, -INFINITY, -0.31326166);
    T_ASSERT_VALUES(t_softmax(t_tensor(((float[]){1, NAN, 2}), 3), 0), 0, NAN, NAN, NAN);
    T_ASSERT_VALUES(t_softmax(t_scalar(3), 0), 0, 1);
}

/* The fast float32 exp against libm's through the float64 path, over 4096 x 1000. */
Test(softmax, float32_matches_float64_on_a_large_batch) {
    t_manual_seed(11);
    Tensor *x = t_mul_s(t_randn(4096, 1000), 4);
    Tensor *s = t_softmax(x, 1), *s64 = t_softmax(t_to_dtype(x, T_F64), 1);
    Tensor *l = t_log_softmax(x, 1), *l64 = t_log_softmax(t_to_dtype(x, T_F64), 1);
    double worst = 0, worst_log = 0;
    const float *ps = t_data(s), *pl = t_data(l);
    const double *ps64 = t_data(s64), *pl64 = t_data(l64);
    for (int64_t i = 0; i < t_numel(s); i++) {
        double e = fabs(ps[i] - ps64[i]) / (ps64[i] + 1e-30);
        double el = fabs(pl[i] - pl64[i]) / (fabs(pl64[i]) + 1);
        worst = e > worst ? e : worst;
        worst_log = el > worst_log ? el : worst_log;
    }
    cr_assert(worst < 1e-5, "softmax relative error %g", worst);
    cr_assert(worst_log < 1e-5, "log_softmax error %g", worst_log);
    T_ASSERT_VALUES(t_sum_dim(t_narrow(s, 0, 0, 3), 1, false), 1e-5, 1, 1, 1);
}

Test(softmax, misuse_raises) {
    T_ASSERT_RAISES(T_ERR_DTYPE, t_softmax(t_ones_dt(T_I64, 3), 0), "t_softmax", "int64");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_log_softmax(t_ones_dt(T_U8, 3), 0), "t_log_softmax", "uint8");
    T_ASSERT_RAISES(T_ERR_INDEX, t_softmax(t_ones(2, 3), 2), "t_softmax", "dim 2");
    T_ASSERT_SHAPE(t_softmax(t_zeros(0, 4), 1), 0, 4);
}

/* [[1, 2, 0], [3, 1, 1]] in every dtype (as bool: [[1, 1, 0], [1, 1, 1]]) through every
   reduction that takes it, over both dims. */
Test(reduce, every_dtype_over_each_dim) {
    static const DType dtypes[] = {T_F32, T_F64, T_I64, T_I32, T_U8, T_BOOL};
    for (size_t i = 0; i < sizeof dtypes / sizeof *dtypes; i++) {
        DType dt = dtypes[i];
        bool b = dt == T_BOOL;
        Tensor *x = t_to_dtype(t_tensor(((float[]){1, 2, 0, 3, 1, 1}), 2, 3), dt);
        Tensor *s0 = t_sum_dim(x, 0, false), *s1 = t_sum_dim(x, 1, true);
        T_ASSERT_DTYPE(s0, t_dtype_is_floating(dt) ? dt : T_I64);
        if (b) T_ASSERT_VALUES(s0, 0, 2, 2, 1);
        else T_ASSERT_VALUES(s0, 0, 4, 3, 1);
        if (b) T_ASSERT_VALUES(s1, 0, 2, 3);
        else T_ASSERT_VALUES(s1, 0, 3, 5);
        if (b) T_ASSERT_VALUES(t_prod_dim(x, 1, false), 0, 0, 1);
        else T_ASSERT_VALUES(t_prod_dim(x, 0, false), 0, 3, 2, 0);
        Tensor *idx;
        Tensor *m = t_max_dim(x, 1, false, &idx);
        T_ASSERT_DTYPE(m, dt);
        if (b) {
            T_ASSERT_VALUES(m, 0, 1, 1);
            T_ASSERT_VALUES(idx, 0, 0, 0);
        } else {
            T_ASSERT_VALUES(m, 0, 2, 3);
            T_ASSERT_VALUES(idx, 0, 1, 0);
            T_ASSERT_VALUES(t_argmin_dim(x, 0, false), 0, 0, 1, 0);
            T_ASSERT_VALUES(t_argmax(x), 0, 3);
        }
        T_ASSERT_VALUES(t_min_dim(x, 0, false, &idx), 0, 1, 1, 0);
        T_ASSERT_VALUES(idx, 0, 0, b ? 0 : 1, 0);
    }
}
