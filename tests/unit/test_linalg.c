/* test_linalg.c — t_matmul (tensor/linalg.c, tensor/cpu_blas.c). Expected values were
   computed by PyTorch 1.13's torch.matmul on the same inputs. */
#include <criterion/criterion.h>

#include "helpers.h"

/* arange(start, start + rows * cols) as a float32 rows x cols matrix. */
static Tensor *mat(double start, int64_t rows, int64_t cols) {
    return t_reshape(t_arange(start, start + (double)(rows * cols), 1), rows, cols);
}

/* Asserts that c == a @ b elementwise, computed here in double from the elements. */
static void assert_matches_naive(Tensor *c, Tensor *a, Tensor *b, double rtol) {
    int64_t m = t_size(a, 0), k = t_size(a, 1), n = t_size(b, 1);
    T_ASSERT_SHAPE(c, m, n);
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double want = 0;
            for (int64_t p = 0; p < k; p++) want += t_get(a, i, p) * t_get(b, p, j);
            cr_assert(t_close(t_get(c, i, j), want, rtol, rtol), "c[%lld][%lld] is %.9g; "
                      "expected %.9g", (long long)i, (long long)j, t_get(c, i, j), want);
        }
}

Test(matmul, matrix_times_matrix) {
    Tensor *c = t_matmul(mat(0, 2, 3), mat(0, 3, 2));
    T_ASSERT_SHAPE(c, 2, 2);
    T_ASSERT_DTYPE(c, T_F32);
    T_ASSERT_VALUES(c, 0, 10, 13, 28, 40);
}

Test(matmul, vectors) {
    Tensor *dot = t_matmul(t_arange(0, 3, 1), t_arange(1, 4, 1));
    T_ASSERT_SHAPE(dot);
    T_ASSERT_VALUES(dot, 0, 8);
    Tensor *vm = t_matmul(t_arange(0, 3, 1), mat(0, 3, 2));
    T_ASSERT_SHAPE(vm, 2);
    T_ASSERT_VALUES(vm, 0, 10, 13);
    Tensor *mv = t_matmul(mat(0, 2, 3), t_arange(0, 3, 1));
    T_ASSERT_SHAPE(mv, 2);
    T_ASSERT_VALUES(mv, 0, 5, 14);
    Tensor *bv = t_matmul(t_reshape(t_arange(0, 24, 1), 2, 3, 4), t_arange(0, 4, 1));
    T_ASSERT_SHAPE(bv, 2, 3);
    T_ASSERT_VALUES(bv, 0, 14, 38, 62, 86, 110, 134);
    Tensor *vb = t_matmul(t_arange(0, 3, 1), t_reshape(t_arange(0, 24, 1), 2, 3, 4));
    T_ASSERT_SHAPE(vb, 2, 4);
    T_ASSERT_VALUES(vb, 0, 20, 23, 26, 29, 56, 59, 62, 65);
}

Test(matmul, batches_broadcast) {
    Tensor *a = t_reshape(t_arange(0, 24, 1), 2, 1, 3, 4);
    Tensor *b = t_reshape(t_arange(0, 40, 1), 5, 4, 2);
    Tensor *c = t_matmul(a, b);
    T_ASSERT_SHAPE(c, 2, 5, 3, 2);
    T_ASSERT_VALUES(t_sum(c), 0, 54420);
    cr_assert_eq(t_get(c, 1, 3, 2, 1), 2418);
    cr_assert_eq(t_get(c, 0, 4, 1, 0), 780);
    cr_assert_eq(t_get(c, 1, 0, 0, 0), 172);
    cr_assert_eq(t_get(c, 1, 0, 0, 1), 226);
    /* one matrix against a batch: the matrix is reused, not copied */
    Tensor *m = mat(0, 2, 3), *bat = t_reshape(t_arange(0, 18, 1), 3, 3, 2);
    Tensor *d = t_matmul(m, bat);
    T_ASSERT_SHAPE(d, 3, 2, 2);
    for (int i = 0; i < 3; i++)
        assert_matches_naive(t_select(d, 0, i), m, t_select(bat, 0, i), 0);
}

Test(matmul, big_batch_matches_slice_by_slice) {
    /* enough small products that they are shared out over threads, in both layouts */
    Tensor *a = t_randn(16, 40, 50), *b = t_randn(16, 50, 60);
    Tensor *bt = t_transpose(t_contiguous(t_transpose(b, 1, 2)), 1, 2);
    Tensor *y = t_matmul(a, b), *yt = t_matmul(a, bt);
    for (int64_t i = 0; i < 16; i++) {
        Tensor *want = t_matmul(t_select(a, 0, i), t_select(b, 0, i));
        cr_assert(t_item(t_max(t_abs(t_sub(t_select(y, 0, i), want)))) < 1e-4, "slice %lld",
                  (long long)i);
        cr_assert(t_item(t_max(t_abs(t_sub(t_select(yt, 0, i), want)))) < 1e-4,
                  "slice %lld, b transposed", (long long)i);
    }
}

Test(matmul, products_split_over_threads_match_naive) {
    /* big enough to be split over the threads (cpu_blas.c): by rows, and by columns when there
       are fewer rows than columns and few rows; sizes that do not divide evenly, and
       transposed operands, which the split offsets along their storage's other dim */
    t_manual_seed(11);
    const int64_t shapes[][3] = {{150, 61, 90}, {70, 61, 90}, {20, 70, 203}};
    for (int s = 0; s < 3; s++) {
        int64_t m = shapes[s][0], k = shapes[s][1], n = shapes[s][2];
        Tensor *a = t_randn(m, k), *b = t_randn(k, n);
        Tensor *at = t_T(t_contiguous(t_T(a))), *bt = t_T(t_contiguous(t_T(b)));
        assert_matches_naive(t_matmul(a, b), a, b, 1e-5);
        assert_matches_naive(t_matmul(at, bt), at, bt, 1e-5);
        Tensor *a64 = t_to_dtype(at, T_F64), *b64 = t_to_dtype(b, T_F64);
        assert_matches_naive(t_matmul(a64, b64), a64, b64, 1e-12);
    }
}

Test(matmul, transposed_and_strided_operands) {
    Tensor *w = mat(1, 4, 3); /* [4, 3]: x @ w^T as a linear layer does */
    Tensor *x = mat(-2, 2, 3);
    assert_matches_naive(t_matmul(x, t_T(w)), x, t_T(w), 0);
    assert_matches_naive(t_matmul(t_T(w), mat(0, 4, 2)), t_T(w), mat(0, 4, 2), 0);
    assert_matches_naive(t_matmul(t_T(w), w), t_T(w), w, 0);
    Tensor *big = mat(0, 5, 6);
    Tensor *sa = t_slice(big, 1, 0, T_END, 2);   /* [5, 3] with stride 2 */
    Tensor *sb = t_narrow(big, 1, 0, 4);         /* [5, 4] with padded rows */
    assert_matches_naive(t_matmul(t_T(sa), sb), t_T(sa), sb, 0);
    Tensor *batched_t = t_transpose(t_reshape(t_arange(0, 24, 1), 2, 3, 4), 1, 2);
    Tensor *bt = t_matmul(batched_t, mat(0, 3, 2));
    T_ASSERT_SHAPE(bt, 2, 4, 2);
    assert_matches_naive(t_select(bt, 0, 1), t_select(batched_t, 0, 1), mat(0, 3, 2), 0);
    Tensor *v = t_slice(t_arange(0, 10, 1), 0, 0, T_END, 3); /* 0, 3, 6, 9 */
    T_ASSERT_VALUES(t_matmul(v, t_slice(t_arange(0, 12, 1), 0, 1, T_END, 3)), 0, 144);
    Tensor *e = t_expand(t_reshape(t_arange(0, 3, 1), 3, 1), 3, 4);
    assert_matches_naive(t_matmul(mat(0, 2, 3), e), mat(0, 2, 3), e, 0);
}

Test(matmul, random_float32_and_float64_match_naive) {
    t_manual_seed(5);
    Tensor *a = t_randn(65, 33), *b = t_randn(33, 17);
    assert_matches_naive(t_matmul(a, b), a, b, 1e-5);
    Tensor *a64 = t_to_dtype(a, T_F64), *b64 = t_to_dtype(b, T_F64);
    Tensor *c64 = t_matmul(a64, b64);
    T_ASSERT_DTYPE(c64, T_F64);
    assert_matches_naive(c64, a64, b64, 1e-12);
}

Test(matmul, integer_dtypes) {
    Tensor *i = t_matmul(t_to_dtype(mat(0, 2, 3), T_I64), t_to_dtype(mat(0, 3, 2), T_I64));
    T_ASSERT_DTYPE(i, T_I64);
    T_ASSERT_VALUES(i, 0, 10, 13, 28, 40);
    Tensor *a32 = t_to_dtype(mat(-2, 2, 3), T_I32), *b32 = t_to_dtype(mat(0, 3, 2), T_I32);
    Tensor *i32 = t_matmul(a32, b32);
    T_ASSERT_DTYPE(i32, T_I32);
    T_ASSERT_VALUES(i32, 0, -2, -5, 16, 22);
    T_ASSERT_VALUES(t_matmul(t_T(b32), t_T(a32)), 0, -2, 16, -5, 22);
    Tensor *u8 = t_matmul(t_to_dtype(t_mul_s(mat(0, 2, 3), 20), T_U8),
                          t_to_dtype(mat(0, 3, 2), T_U8));
    T_ASSERT_DTYPE(u8, T_U8);
    T_ASSERT_VALUES(u8, 0, 200, 4, 48, 32); /* wraps around modulo 256, as in PyTorch */
}

Test(matmul, empty_inner_dim_gives_zeros) {
    Tensor *c = t_matmul(t_ones(2, 0), t_ones(0, 3));
    T_ASSERT_SHAPE(c, 2, 3);
    T_ASSERT_VALUES(c, 0, 0, 0, 0, 0, 0, 0);
    T_ASSERT_SHAPE(t_matmul(t_ones(0, 4), t_ones(4, 3)), 0, 3);
    T_ASSERT_SHAPE(t_matmul(t_ones(0, 2, 4), t_ones(4, 3)), 0, 2, 3);
}

Test(matmul, misuse_raises) {
    T_ASSERT_RAISES(T_ERR_SHAPE, t_matmul(t_zeros(2, 3), t_zeros(4, 5)),
                    "t_matmul: shapes [2, 3] and [4, 5] cannot be multiplied (3 != 4)");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_matmul(t_zeros(3), t_zeros(4)), "t_matmul", "[3]", "[4]");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_matmul(t_zeros(2, 2, 3), t_zeros(3, 3, 2)), "t_matmul",
                    "[2]", "[3]");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_matmul(t_scalar(1), t_zeros(3)), "t_matmul", "[]", "[3]");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_matmul(t_zeros(2, 3), t_zeros_dt(T_F64, 3, 2)), "t_matmul",
                    "float32", "float64");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_matmul(t_zeros_dt(T_I64, 2, 3), t_zeros(3, 2)), "t_matmul",
                    "int64", "float32");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_matmul(t_ones_dt(T_BOOL, 2, 2), t_ones_dt(T_BOOL, 2, 2)),
                    "t_matmul", "bool");
}
