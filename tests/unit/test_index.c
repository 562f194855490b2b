/* test_index.c — index_select, gather, scatter, masked_fill, cat, stack, split and chunk
   (tensor/index.c, tensor/cpu_index.c). Expected values were computed by PyTorch 1.13. */
#include <criterion/criterion.h>

#include "helpers.h"

/* [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]] as float32. */
static Tensor *x34(void) { return t_reshape(t_arange(0, 12, 1), 3, 4); }

/* A 1-D int64 index tensor of the n values given. */
#define IDX(n, ...) t_tensor_dt(T_I64, ((int64_t[]){__VA_ARGS__}), (n))

Test(index_select, rows_columns_and_repeats) {
    Tensor *r = t_index_select(x34(), 0, IDX(3, 2, 0, 2));
    T_ASSERT_SHAPE(r, 3, 4);
    T_ASSERT_VALUES(r, 0, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11);
    Tensor *c = t_index_select(x34(), -1, IDX(2, 3, 1));
    T_ASSERT_SHAPE(c, 3, 2);
    T_ASSERT_VALUES(c, 0, 3, 1, 7, 5, 11, 9);
    Tensor *t = t_index_select(t_T(x34()), 0, IDX(2, 3, 1));
    T_ASSERT_VALUES(t, 0, 3, 7, 11, 1, 5, 9);
    Tensor *i = t_index_select(t_to_dtype(x34(), T_I64), 1, IDX(1, 2));
    T_ASSERT_DTYPE(i, T_I64);
    T_ASSERT_VALUES(i, 0, 2, 6, 10);
    Tensor *b = t_index_select(t_tensor_dt(T_BOOL, ((bool[]){1, 0, 1}), 3), 0, IDX(2, 1, 2));
    T_ASSERT_VALUES(b, 0, 0, 1);
    T_ASSERT_SHAPE(t_index_select(x34(), 0, t_zeros_dt(T_I64, 0)), 0, 4);
    Tensor *strided = t_slice(IDX(5, 0, 9, 2, 9, 1), 0, 0, T_END, 2); /* 0, 2, 1 */
    T_ASSERT_VALUES(t_index_select(x34(), 0, strided), 0, 0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7);
}

Test(index_select, misuse_raises) {
    T_ASSERT_RAISES(T_ERR_INDEX, t_index_select(x34(), 0, IDX(2, 1, 3)), "t_index_select",
                    "index 3", "size 3");
    T_ASSERT_RAISES(T_ERR_INDEX, t_index_select(x34(), 1, IDX(1, -1)), "t_index_select",
                    "index -1", "size 4");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_index_select(x34(), 0, t_zeros_dt(T_I32, 2)),
                    "t_index_select", "int64", "int32");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_index_select(x34(), 0, t_zeros_dt(T_I64, 2, 2)),
                    "t_index_select", "1-D", "[2, 2]");
    T_ASSERT_RAISES(T_ERR_INDEX, t_index_select(x34(), 2, IDX(1, 0)), "t_index_select", "dim 2");
}

Test(gather, along_each_dim) {
    Tensor *g = t_gather(x34(), 1, t_reshape(IDX(6, 3, 0, 1, 1, 2, 0), 3, 2));
    T_ASSERT_SHAPE(g, 3, 2);
    T_ASSERT_VALUES(g, 0, 3, 0, 5, 5, 10, 8);
    Tensor *g0 = t_gather(x34(), 0, t_reshape(IDX(4, 2, 0, 1, 0), 1, 4));
    T_ASSERT_VALUES(g0, 0, 8, 1, 6, 3);
    /* a transposed input, and an index smaller than x in the other dim */
    Tensor *gt = t_gather(t_T(x34()), 0, t_reshape(IDX(2, 1, 3), 1, 2));
    T_ASSERT_VALUES(gt, 0, 1, 7);
    Tensor *gi = t_gather(t_to_dtype(x34(), T_I32), 1, t_reshape(IDX(2, 3, 3), 2, 1));
    T_ASSERT_DTYPE(gi, T_I32);
    T_ASSERT_VALUES(gi, 0, 3, 7);
}

Test(gather, misuse_raises) {
    T_ASSERT_RAISES(T_ERR_INDEX, t_gather(x34(), 1, t_reshape(IDX(2, 0, 4), 1, 2)), "t_gather",
                    "index 4", "size 4");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_gather(x34(), 1, IDX(2, 0, 1)), "t_gather", "[2]", "[3, 4]");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_gather(x34(), 1, t_zeros_dt(T_I64, 4, 1)), "t_gather",
                    "[4, 1]", "[3, 4]");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_gather(x34(), 1, t_zeros_dt(T_F32, 3, 1)), "t_gather",
                    "int64", "float32");
}

Test(scatter, write_and_add) {
    Tensor *index = t_reshape(IDX(6, 4, 0, 1, 1, 2, 3), 3, 2);
    Tensor *src = t_reshape(t_arange(1, 7, 1), 3, 2);
    Tensor *x = t_zeros(3, 5);
    Tensor *s = t_scatter(x, 1, index, src);
    T_ASSERT_VALUES(s, 0, 2, 0, 0, 0, 1, 0, 4, 0, 0, 0, 0, 0, 5, 6, 0);
    T_ASSERT_VALUES(t_sum(x), 0, 0); /* the out-of-place form leaves x alone */
    Tensor *a = t_scatter_add(x, 1, index, src);
    T_ASSERT_VALUES(a, 0, 2, 0, 0, 0, 1, 0, 7, 0, 0, 0, 0, 0, 5, 6, 0);
    Tensor *y = t_zeros(2, 4);
    cr_assert_eq(t_scatter_add_(y, 0, t_reshape(IDX(4, 1, 0, 1, 1), 1, 4), t_ones(2, 4)), y);
    T_ASSERT_VALUES(y, 0, 0, 1, 0, 0, 1, 0, 1, 1);
    Tensor *z = t_zeros_dt(T_I64, 4);
    t_scatter_(z, 0, IDX(2, 3, 0), t_tensor_dt(T_I64, ((int64_t[]){7, 9, 11}), 3));
    T_ASSERT_VALUES(z, 0, 9, 0, 0, 7);
}

Test(scatter, into_a_non_contiguous_tensor) {
    Tensor *base = t_zeros(4, 3);
    Tensor *view = t_T(base); /* [3, 4], writes land in base */
    t_scatter_(view, 1, t_reshape(IDX(3, 3, 0, 2), 3, 1), t_ones(3, 1));
    T_ASSERT_VALUES(base, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0);
}

Test(scatter, misuse_raises) {
    Tensor *x = t_zeros(3, 5);
    T_ASSERT_RAISES(T_ERR_INDEX, t_scatter_(x, 1, t_reshape(IDX(1, 5), 1, 1), t_ones(1, 1)),
                    "t_scatter_", "index 5", "size 5");
    Tensor *one = t_reshape(IDX(1, 0), 1, 1);
    T_ASSERT_RAISES(T_ERR_DTYPE, t_scatter(x, 1, one, t_ones_dt(T_F64, 1, 1)), "t_scatter",
                    "float64", "float32");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_scatter_add(x, 1, t_zeros_dt(T_I64, 2, 2), t_ones(1, 2)),
                    "t_scatter_add", "[2, 2]", "[1, 2]");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_scatter_add_(x, 0, t_zeros_dt(T_U8, 1, 1), t_ones(1, 1)),
                    "t_scatter_add_", "int64", "uint8");
    T_ASSERT_VALUES(t_sum(x), 0, 0); /* nothing was written before the errors */
}

Test(masked_fill, broadcast_masks_and_dtypes) {
    Tensor *cols = t_tensor_dt(T_BOOL, ((bool[]){1, 0, 0, 1}), 4);
    Tensor *f = t_masked_fill(x34(), cols, -1.5);
    T_ASSERT_VALUES(f, 0, -1.5, 1, 2, -1.5, -1.5, 5, 6, -1.5, -1.5, 9, 10, -1.5);
    Tensor *i = t_reshape(t_arange_dt(T_I64, 0, 6, 1), 2, 3);
    Tensor *rows = t_tensor_dt(T_BOOL, ((bool[]){1, 0}), 2, 1);
    Tensor *fi = t_masked_fill(i, rows, 2.7);
    T_ASSERT_DTYPE(fi, T_I64);
    T_ASSERT_VALUES(fi, 0, 2, 2, 2, 3, 4, 5); /* 2.7 becomes 2 in an int64 tensor */
    T_ASSERT_VALUES(i, 0, 0, 1, 2, 3, 4, 5);
    Tensor *x = x34();
    cr_assert_eq(t_masked_fill_(x, t_gt_s(x, 8), 0), x);
    T_ASSERT_VALUES(t_sum(x), 0, 36);
    Tensor *t = t_T(x34());
    t_masked_fill_(t, t_tensor_dt(T_BOOL, ((bool[]){0, 0, 1}), 3), 100);
    T_ASSERT_VALUES(t_select(t, 1, 2), 0, 100, 100, 100, 100);
}

Test(masked_fill, misuse_raises) {
    T_ASSERT_RAISES(T_ERR_DTYPE, t_masked_fill(x34(), t_ones(4), 0), "t_masked_fill", "bool",
                    "float32");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_masked_fill(x34(), t_ones_dt(T_BOOL, 2, 3, 4), 0),
                    "t_masked_fill", "[2, 3, 4]", "[3, 4]");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_masked_fill_(x34(), t_ones_dt(T_BOOL, 3), 0), "t_masked_fill_",
                    "[3]", "[3, 4]");
}

Test(cat, along_dims) {
    Tensor *a = t_reshape(t_arange(0, 4, 1), 2, 2), *b = t_reshape(t_arange(4, 10, 1), 3, 2);
    Tensor *c = t_cat(T_LIST(a, b), 0);
    T_ASSERT_SHAPE(c, 5, 2);
    T_ASSERT_VALUES(c, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    Tensor *d = t_cat(T_LIST(a, t_T(a), a), -1);
    T_ASSERT_SHAPE(d, 2, 6);
    T_ASSERT_VALUES(d, 0, 0, 1, 0, 2, 0, 1, 2, 3, 1, 3, 2, 3);
    Tensor *one = t_cat(T_LIST(b), 1);
    T_ASSERT_VALUES(one, 0, 4, 5, 6, 7, 8, 9);
    Tensor *e = t_cat(T_LIST(t_expand(t_ones(1, 2), 2, 2), a), 0);
    T_ASSERT_VALUES(e, 0, 1, 1, 1, 1, 0, 1, 2, 3);
}

Test(cat, promotes_dtypes_and_skips_empty_vectors) {
    Tensor *c = t_cat(T_LIST(t_ones_dt(T_I32, 2), t_full_dt(T_F64, 0.5, 3)), 0);
    T_ASSERT_DTYPE(c, T_F64);
    T_ASSERT_VALUES(c, 0, 1, 1, 0.5, 0.5, 0.5);
    Tensor *b = t_cat(T_LIST(t_ones_dt(T_BOOL, 1), t_full_dt(T_U8, 7, 1)), 0);
    T_ASSERT_DTYPE(b, T_U8);
    T_ASSERT_VALUES(b, 0, 1, 7);
    Tensor *s = t_cat(T_LIST(t_ones(2, 3), t_empty(0), t_zeros(1, 3)), 0);
    T_ASSERT_SHAPE(s, 3, 3);
    T_ASSERT_VALUES(t_sum(s), 0, 6);
    Tensor *none = t_cat(T_LIST(t_empty(0), t_empty(0)), 0);
    T_ASSERT_SHAPE(none, 0);
    T_ASSERT_SHAPE(t_cat(T_LIST(t_ones(0, 3), t_ones(2, 3)), 0), 2, 3);
}

Test(cat, misuse_raises) {
    T_ASSERT_RAISES(T_ERR_SHAPE, t_cat(T_LIST(t_ones(2, 3), t_ones(2)), 0), "t_cat", "[2, 3]",
                    "[2]");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_cat(T_LIST(t_ones(2, 3), t_ones(2, 4)), 0), "t_cat",
                    "[2, 3]", "[2, 4]", "dim 0");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_cat(T_LIST(t_scalar(1), t_scalar(2)), 0), "t_cat", "0-d");
    T_ASSERT_RAISES(T_ERR_VALUE, t_cat(((TensorList){NULL, 0}), 0), "t_cat", "non-empty");
    T_ASSERT_RAISES(T_ERR_INDEX, t_cat(T_LIST(t_ones(2, 3)), 2), "t_cat", "dim 2");
}

Test(stack, new_dims) {
    Tensor *a = t_arange_dt(T_I64, 0, 3, 1), *b = t_mul_s(t_arange_dt(T_I64, 0, 3, 1), 10);
    Tensor *s0 = t_stack(T_LIST(a, b), 0);
    T_ASSERT_SHAPE(s0, 2, 3);
    T_ASSERT_VALUES(s0, 0, 0, 1, 2, 0, 10, 20);
    Tensor *s1 = t_stack(T_LIST(a, b), -1);
    T_ASSERT_SHAPE(s1, 3, 2);
    T_ASSERT_VALUES(s1, 0, 0, 0, 1, 10, 2, 20);
    Tensor *sc = t_stack(T_LIST(t_scalar(1), t_scalar(2), t_scalar(3)), 0);
    T_ASSERT_SHAPE(sc, 3);
    T_ASSERT_VALUES(sc, 0, 1, 2, 3);
    T_ASSERT_SHAPE(t_stack(T_LIST(t_ones(2, 3), t_ones(2, 3)), 1), 2, 2, 3);
}

Test(stack, misuse_raises) {
    T_ASSERT_RAISES(T_ERR_SHAPE, t_stack(T_LIST(t_ones(2), t_ones(3)), 0), "t_stack", "[2]",
                    "[3]", "position 1");
    T_ASSERT_RAISES(T_ERR_INDEX, t_stack(T_LIST(t_ones(2), t_ones(2)), 2), "t_stack", "dim 2");
    T_ASSERT_RAISES(T_ERR_VALUE, t_stack(((TensorList){NULL, 0}), 0), "t_stack", "non-empty");
}

Test(split, pieces_are_views) {
    Tensor *x = t_arange(0, 5, 1);
    TensorList l = t_split(x, 2, 0);
    cr_assert_eq(l.n, 3);
    T_ASSERT_VALUES(l.items[0], 0, 0, 1);
    T_ASSERT_VALUES(l.items[1], 0, 2, 3);
    T_ASSERT_VALUES(l.items[2], 0, 4);
    t_fill_(l.items[1], -1);
    T_ASSERT_VALUES(x, 0, 0, 1, -1, -1, 4);
    TensorList c = t_split(x34(), 3, 1);
    cr_assert_eq(c.n, 2);
    T_ASSERT_SHAPE(c.items[0], 3, 3);
    T_ASSERT_VALUES(c.items[1], 0, 3, 7, 11);
    TensorList e = t_split(t_zeros(0), 2, 0);
    cr_assert_eq(e.n, 1);
    T_ASSERT_SHAPE(e.items[0], 0);
}

Test(chunk, as_torch_chunk) {
    TensorList a = t_chunk(t_arange(0, 5, 1), 4, 0); /* split size 2: three pieces */
    cr_assert_eq(a.n, 3);
    T_ASSERT_VALUES(a.items[2], 0, 4);
    TensorList b = t_chunk(t_arange(0, 6, 1), 4, 0);
    cr_assert_eq(b.n, 3);
    T_ASSERT_VALUES(b.items[1], 0, 2, 3);
    TensorList c = t_chunk(x34(), 2, -1);
    cr_assert_eq(c.n, 2);
    T_ASSERT_VALUES(c.items[1], 0, 2, 3, 6, 7, 10, 11);
    TensorList e = t_chunk(t_zeros(0), 3, 0);
    cr_assert_eq(e.n, 3);
    T_ASSERT_SHAPE(e.items[2], 0);
}

Test(split, misuse_raises) {
    T_ASSERT_RAISES(T_ERR_VALUE, t_split(t_ones(4), 0, 0), "t_split", "split_size");
    T_ASSERT_RAISES(T_ERR_VALUE, t_split(t_ones(4), -2, 0), "t_split", "-2");
    T_ASSERT_RAISES(T_ERR_VALUE, t_chunk(t_ones(4), 0, 0), "t_chunk", "chunks");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_chunk(t_scalar(1), 2, 0), "t_chunk", "0-d");
    T_ASSERT_RAISES(T_ERR_INDEX, t_split(t_ones(4), 2, 1), "t_split", "dim 1");
}

Test(index, every_dtype) {
    static const DType dtypes[] = {T_F32, T_F64, T_I64, T_I32, T_U8, T_BOOL};
    for (size_t d = 0; d < sizeof dtypes / sizeof *dtypes; d++) {
        DType dt = dtypes[d];
        /* [[0, 1, 0, 1], [1, 0, 1, 0]] survives every dtype, bool included */
        Tensor *x = t_to_dtype(t_tensor(((float[]){0, 1, 0, 1, 1, 0, 1, 0}), 2, 4), dt);
        Tensor *sel = t_index_select(x, 1, IDX(3, 3, 0, 2));
        T_ASSERT_DTYPE(sel, dt);
        T_ASSERT_VALUES(sel, 0, 1, 0, 0, 0, 1, 1);
        Tensor *g = t_gather(x, 0, t_reshape(IDX(4, 1, 1, 0, 0), 1, 4));
        T_ASSERT_DTYPE(g, dt);
        T_ASSERT_VALUES(g, 0, 1, 0, 0, 1);
        Tensor *s = t_scatter(t_zeros_like(x), 1, t_reshape(IDX(2, 3, 2), 2, 1),
                              t_ones_like(t_zeros_like(x)));
        T_ASSERT_VALUES(s, 0, 0, 0, 0, 1, 0, 0, 1, 0);
        Tensor *a = t_scatter_add(x, 1, t_reshape(IDX(2, 0, 1), 2, 1), t_ones_like(x));
        T_ASSERT_VALUES(a, 0, 1, 1, 0, 1, 1, 1, 1, 0);
        Tensor *m = t_masked_fill(x, t_tensor_dt(T_BOOL, ((bool[]){0, 0, 1, 1}), 4), 1);
        T_ASSERT_DTYPE(m, dt);
        T_ASSERT_VALUES(m, 0, 0, 1, 1, 1, 1, 0, 1, 1);
        Tensor *c = t_cat(T_LIST(x, x), 0);
        T_ASSERT_DTYPE(c, dt);
        T_ASSERT_VALUES(t_select(c, 0, 3), 0, 1, 0, 1, 0);
    }
}

Test(scatter_add, integer_sums_and_bool_or) {
    Tensor *i = t_scatter_add(t_zeros_dt(T_I32, 3), 0, IDX(4, 0, 2, 0, 0),
                              t_tensor_dt(T_I32, ((int32_t[]){5, 6, 7, 8}), 4));
    T_ASSERT_VALUES(i, 0, 20, 0, 6);
    Tensor *u = t_scatter_add(t_full_dt(T_U8, 250, 2), 0, IDX(2, 1, 1),
                              t_full_dt(T_U8, 4, 2));
    T_ASSERT_VALUES(u, 0, 250, 2); /* 258 wraps to 2 in uint8 */
    Tensor *b = t_scatter_add(t_zeros_dt(T_BOOL, 3), 0, IDX(2, 0, 0),
                              t_tensor_dt(T_BOOL, ((bool[]){1, 1}), 2));
    T_ASSERT_VALUES(b, 0, 1, 0, 0);
    Tensor *f = t_scatter_add(t_zeros_dt(T_F64, 2), 0, IDX(3, 1, 1, 1),
                              t_full_dt(T_F64, 0.25, 3));
    T_ASSERT_VALUES(f, 0, 0, 0.75);
}
