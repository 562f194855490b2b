/* test_view.c — views (tensor/view.c): each shares storage with its input, with the sizes,
   strides and storage offset PyTorch reports for the same view; the copies (reshape of a
   non-viewable layout, contiguous, clone, to_dtype with casts between every pair of dtypes);
   and every misuse. */
#include <criterion/criterion.h>

#include "helpers.h"
#include "internal.h"

/* 0, 1, ..., n-1 as a float32 tensor of the given shape. */
static Tensor *iota(Shape shape) {
    int64_t n = 1;
    for (int i = 0; i < shape.ndim; i++) n *= shape.d[i];
    return t_view_shape(t_arange(0, (double)n, 1), shape);
}
#define IOTA(...) iota(T_SHAPE(__VA_ARGS__))

/* ---- view and reshape ---- */

Test(view, view_shares_storage_both_ways) {
    Tensor *x = IOTA(2, 6);
    Tensor *v = t_view(x, 3, 4);
    T_ASSERT_SHAPE(v, 3, 4);
    T_ASSERT_STRIDES(v, 4, 1);
    cr_assert_eq(t_data(v), t_data(x));
    t_set(v, 100, 2, 1); /* element 9 */
    cr_assert_eq(t_get(x, 1, 3), 100);
    t_set(x, -1, 0, 0);
    cr_assert_eq(t_get(v, 0, 0), -1);
    t_mul_s_(v, 2);
    cr_assert_eq(t_get(x, 1, 5), 22);
}

Test(view, view_infers_minus_one) {
    Tensor *x = IOTA(2, 3, 4);
    T_ASSERT_SHAPE(t_view(x, -1), 24);
    T_ASSERT_SHAPE(t_view(x, 4, -1), 4, 6);
    T_ASSERT_SHAPE(t_view(x, -1, 2, 3), 4, 2, 3);
    T_ASSERT_STRIDES(t_view(x, 3, 2, 1, -1), 8, 4, 4, 1); /* torch: (8, 4, 4, 1) */
    T_ASSERT_SHAPE(t_view(t_zeros(0, 3), -1, 3), 0, 3);
}

Test(view, view_of_zero_dim_and_to_zero_dim) {
    Tensor *s = t_scalar(5);
    Tensor *v = t_view(s, 1, 1);
    T_ASSERT_SHAPE(v, 1, 1);
    T_ASSERT_STRIDES(v, 1, 1);
    Tensor *back = t_view(v);
    cr_assert_eq(t_ndim(back), 0);
    cr_assert_eq(t_item(back), 5);
}

Test(view, view_of_a_compatible_non_contiguous_tensor) {
    Tensor *x = IOTA(4, 6);
    Tensor *cols = t_slice(x, 1, 0, 3, 1); /* x[:, :3], strides (6, 1) */
    Tensor *v = t_view(cols, 2, 2, 3);
    T_ASSERT_STRIDES(v, 12, 6, 1); /* torch.zeros(4,6)[:, :3].view(2,2,3).stride() */
    cr_assert_eq(t_get(v, 1, 0, 2), 14);
    Tensor *col = t_select(t_view(t_arange(0, 6, 1), 2, 3), 1, 1); /* strides (3,) */
    T_ASSERT_STRIDES(t_view(col, 2, 1), 3, 3);
    T_ASSERT_STRIDES(t_view(t_zeros(2, 3), 3, 2, 1), 2, 1, 1);
}

Test(view, view_on_incompatible_strides_raises_shape_error) {
    Tensor *t = t_T(IOTA(4, 3));
    T_ASSERT_RAISES(T_ERR_SHAPE, t_view(t, 12), "t_view", "[3, 4]", "[12]", "t_reshape");
    Tensor *cols = t_slice(IOTA(4, 6), 1, 0, 3, 1);
    T_ASSERT_RAISES(T_ERR_SHAPE, t_view(cols, 12), "t_view", "[4, 3]");
}

Test(view, view_with_wrong_sizes_raises) {
    Tensor *x = t_zeros(2, 3);
    T_ASSERT_RAISES(T_ERR_SHAPE, t_view(x, -1, 4), "t_view", "[-1, 4]", "6");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_view(x, 4, 2), "t_view", "[4, 2]", "6");
    T_ASSERT_RAISES(T_ERR_VALUE, t_view(x, -1, -1), "t_view", "-1");
    T_ASSERT_RAISES(T_ERR_VALUE, t_view(x, -2, 3), "t_view", "-2");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_reshape(x, 7), "t_reshape", "[7]", "6");
}

Test(view, reshape_views_when_it_can) {
    Tensor *x = IOTA(2, 6);
    Tensor *r = t_reshape(x, 4, 3);
    cr_assert_eq(t_data(r), t_data(x));
    t_set(r, 99, 3, 2);
    cr_assert_eq(t_get(x, 1, 5), 99);
}

Test(view, reshape_copies_when_strides_forbid_a_view) {
    Tensor *base = IOTA(4, 3);
    Tensor *t = t_T(base);
    Tensor *r = t_reshape(t, 12);
    T_ASSERT_SHAPE(r, 12);
    T_ASSERT_STRIDES(r, 1);
    T_ASSERT_VALUES(r, 0, 0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11);
    t_set(r, -5, 0);
    cr_assert_eq(t_get(base, 0, 0), 0, "a copy does not write through");
    T_ASSERT_SHAPE(t_reshape(t, -1, 2), 6, 2);
}

/* ---- permute, transpose, T ---- */

Test(view, permute_strides_and_values) {
    Tensor *x = IOTA(2, 3, 4);
    Tensor *p = t_permute(x, 2, 0, 1);
    T_ASSERT_SHAPE(p, 4, 2, 3);
    T_ASSERT_STRIDES(p, 1, 12, 4);
    cr_assert_not(t_is_contiguous(p));
    cr_assert_eq(t_get(p, 3, 1, 2), 12 + 8 + 3);
    t_set(p, -1, 1, 1, 0); /* x[1][0][1] */
    cr_assert_eq(t_get(x, 1, 0, 1), -1);
    T_ASSERT_STRIDES(t_permute(x, -1, -3, -2), 1, 12, 4);
}

Test(view, permute_misuse) {
    Tensor *x = t_zeros(2, 3, 4);
    T_ASSERT_RAISES(T_ERR_SHAPE, t_permute(x, 0, 1), "t_permute", "[2, 3, 4]");
    T_ASSERT_RAISES(T_ERR_VALUE, t_permute(x, 0, 0, 1), "t_permute", "0");
    T_ASSERT_RAISES(T_ERR_INDEX, t_permute(x, 0, 1, 3), "t_permute", "3");
}

Test(view, transpose_and_T) {
    Tensor *x = IOTA(2, 3, 4);
    Tensor *t = t_transpose(x, 0, 2);
    T_ASSERT_SHAPE(t, 4, 3, 2);
    T_ASSERT_STRIDES(t, 1, 4, 12);
    T_ASSERT_STRIDES(t_transpose(x, -1, -2), 12, 1, 4);
    T_ASSERT_STRIDES(t_T(x), 1, 4, 12); /* torch: x.T reverses all dims */
    Tensor *m = IOTA(2, 3);
    Tensor *mt = t_T(m);
    T_ASSERT_SHAPE(mt, 3, 2);
    T_ASSERT_STRIDES(mt, 1, 3);
    T_ASSERT_VALUES(mt, 0, 0, 3, 1, 4, 2, 5);
    t_set(mt, 50, 2, 0);
    cr_assert_eq(t_get(m, 0, 2), 50);
    T_ASSERT_RAISES(T_ERR_INDEX, t_transpose(x, 0, 3), "t_transpose", "3");
    T_ASSERT_RAISES(T_ERR_INDEX, t_transpose(x, -4, 0), "t_transpose", "-4");
    Tensor *s = t_scalar(1);
    cr_assert_eq(t_ndim(t_transpose(s, 0, -1)), 0);
    T_ASSERT_SHAPE(t_T(t_zeros(5)), 5);
}

/* ---- select, narrow, slice ---- */

Test(view, select_shape_stride_offset) {
    Tensor *x = IOTA(2, 3, 4);
    Tensor *s = t_select(x, 1, 1); /* x[:, 1] */
    T_ASSERT_SHAPE(s, 2, 4);
    T_ASSERT_STRIDES(s, 12, 1);
    cr_assert_eq(t_offset(s), 4);
    T_ASSERT_VALUES(s, 0, 4, 5, 6, 7, 16, 17, 18, 19);
    Tensor *last = t_select(x, -1, -1); /* x[..., -1] */
    T_ASSERT_SHAPE(last, 2, 3);
    cr_assert_eq(t_offset(last), 3);
    T_ASSERT_VALUES(last, 0, 3, 7, 11, 15, 19, 23);
    t_fill_(last, 0);
    cr_assert_eq(t_get(x, 1, 2, 3), 0);
    cr_assert_eq(t_get(x, 1, 2, 2), 22);
    Tensor *e = t_select(t_arange(0, 3, 1), 0, 2);
    cr_assert_eq(t_ndim(e), 0);
    cr_assert_eq(t_item(e), 2);
}

Test(view, select_misuse) {
    Tensor *x = t_zeros(3, 4);
    T_ASSERT_RAISES(T_ERR_INDEX, t_select(x, 1, 5), "t_select", "5", "4");
    T_ASSERT_RAISES(T_ERR_INDEX, t_select(x, 1, -5), "t_select", "-5");
    T_ASSERT_RAISES(T_ERR_INDEX, t_select(x, 2, 0), "t_select", "2");
    T_ASSERT_RAISES(T_ERR_INDEX, t_select(t_scalar(1), 0, 0), "t_select", "0-d");
}

Test(view, narrow_shape_stride_offset) {
    Tensor *x = IOTA(3, 4);
    Tensor *n = t_narrow(x, 1, 1, 2);
    T_ASSERT_SHAPE(n, 3, 2);
    T_ASSERT_STRIDES(n, 4, 1);
    cr_assert_eq(t_offset(n), 1);
    T_ASSERT_VALUES(n, 0, 1, 2, 5, 6, 9, 10);
    cr_assert_eq(t_offset(t_narrow(x, 1, -2, 2)), 2);
    T_ASSERT_SHAPE(t_narrow(x, 0, 1, 0), 0, 4);
    t_fill_(t_narrow(x, 0, 2, 1), -1);
    T_ASSERT_VALUES(t_select(x, 0, 2), 0, -1, -1, -1, -1);
    T_ASSERT_RAISES(T_ERR_INDEX, t_narrow(x, 1, 3, 2), "t_narrow", "3", "2", "4");
    T_ASSERT_RAISES(T_ERR_INDEX, t_narrow(x, 1, 5, 0), "t_narrow", "5");
    T_ASSERT_RAISES(T_ERR_INDEX, t_narrow(x, 2, 0, 1), "t_narrow", "2");
    T_ASSERT_RAISES(T_ERR_INDEX, t_narrow(x, 1, 0, -1), "t_narrow", "-1");
}

Test(view, slice_with_step) {
    Tensor *x = t_arange(0, 10, 1);
    Tensor *s = t_slice(x, 0, 1, 8, 3); /* x[1:8:3] */
    T_ASSERT_SHAPE(s, 3);
    T_ASSERT_STRIDES(s, 3);
    cr_assert_eq(t_offset(s), 1);
    T_ASSERT_VALUES(s, 0, 1, 4, 7);
    Tensor *ss = t_slice(s, 0, 1, T_END, 1); /* x[1:8:3][1:] */
    cr_assert_eq(t_offset(ss), 4);
    Tensor *twice = t_slice(t_slice(x, 0, 0, T_END, 2), 0, 0, T_END, 3); /* x[::2][::3] */
    T_ASSERT_SHAPE(twice, 2);
    T_ASSERT_STRIDES(twice, 6);
    T_ASSERT_VALUES(twice, 0, 0, 6);
    t_fill_(s, -1);
    T_ASSERT_VALUES(x, 0, 0, -1, 2, 3, -1, 5, 6, -1, 8, 9);
    T_ASSERT_STRIDES(t_slice(t_zeros(1, 4), 1, 0, T_END, 2), 4, 2);
}

Test(view, slice_negative_and_clamped_bounds) {
    Tensor *x = t_arange(0, 10, 1);
    Tensor *tail = t_slice(x, 0, -3, T_END, 1);
    cr_assert_eq(t_offset(tail), 7);
    T_ASSERT_VALUES(tail, 0, 7, 8, 9);
    T_ASSERT_VALUES(t_slice(x, 0, -4, -1, 2), 0, 6, 8);
    T_ASSERT_SHAPE(t_slice(x, 0, -100, 100, 1), 10);
    T_ASSERT_SHAPE(t_slice(x, 0, 5, 2, 1), 0);
    T_ASSERT_SHAPE(t_slice(x, 0, 20, T_END, 1), 0);
    T_ASSERT_SHAPE(t_slice(x, 0, 0, -20, 1), 0);
    Tensor *m = IOTA(3, 4);
    T_ASSERT_VALUES(t_slice(m, -1, 1, 3, 1), 0, 1, 2, 5, 6, 9, 10);
}

Test(view, slice_misuse) {
    Tensor *x = t_zeros(3, 4);
    T_ASSERT_RAISES(T_ERR_VALUE, t_slice(x, 0, 0, 2, 0), "t_slice", "0");
    T_ASSERT_RAISES(T_ERR_VALUE, t_slice(x, 0, 0, 2, -1), "t_slice", "-1");
    T_ASSERT_RAISES(T_ERR_INDEX, t_slice(x, 2, 0, 1, 1), "t_slice", "2");
    T_ASSERT_RAISES(T_ERR_INDEX, t_slice(t_scalar(1), 0, 0, 1, 1), "t_slice");
}

Test(view, empty_slice_is_contiguous) {
    Tensor *e = t_slice(IOTA(2, 3), 1, 3, T_END, 1); /* torch: [2, 0], is_contiguous() True */
    T_ASSERT_SHAPE(e, 2, 0);
    cr_assert(t_is_contiguous(e));
}

/* ---- expand, unsqueeze, squeeze, flatten ---- */

Test(view, expand_strides_and_write_through) {
    Tensor *x = t_tensor((float[]){1, 2, 3}, 3, 1);
    Tensor *e = t_expand(x, 3, 4);
    T_ASSERT_SHAPE(e, 3, 4);
    T_ASSERT_STRIDES(e, 1, 0);
    T_ASSERT_VALUES(e, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
    T_ASSERT_STRIDES(t_expand(x, 2, 3, 4), 0, 1, 0);
    T_ASSERT_STRIDES(t_expand(x, 2, -1, 4), 0, 1, 0);
    T_ASSERT_SHAPE(t_expand(x, 2, -1, 4), 2, 3, 4);
    t_set(x, 7, 1, 0);
    cr_assert_eq(t_get(e, 1, 3), 7);
    T_ASSERT_SHAPE(t_expand_as(x, t_zeros(5, 3, 2)), 5, 3, 2);
    Tensor *s = t_expand(t_scalar(4), 2, 2);
    T_ASSERT_STRIDES(s, 0, 0);
    T_ASSERT_VALUES(s, 0, 4, 4, 4, 4);
}

Test(view, view_of_an_expanded_tensor) {
    Tensor *e = t_expand(t_zeros(3, 1), 3, 4);
    T_ASSERT_STRIDES(t_view(e, 3, 4), 1, 0);
    T_ASSERT_STRIDES(t_view(e, 3, 2, 2), 1, 0, 0);
    T_ASSERT_RAISES(T_ERR_SHAPE, t_view(e, 12), "t_view", "[3, 4]", "[12]");
    Tensor *r = t_reshape(e, 12);
    T_ASSERT_STRIDES(r, 1);
    T_ASSERT_VALUES(r, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}

Test(view, expand_misuse) {
    Tensor *x = t_zeros(3, 2);
    T_ASSERT_RAISES(T_ERR_SHAPE, t_expand(x, 3, 4), "t_expand", "[3, 2]", "[3, 4]");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_expand(x, 2), "t_expand", "[3, 2]", "[2]");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_expand(t_zeros(3, 1), -1, 4, 4), "t_expand");
    T_ASSERT_RAISES(T_ERR_VALUE, t_expand(t_zeros(1), -2), "t_expand", "-2");
}

Test(view, unsqueeze_strides) {
    Tensor *x = t_zeros(2, 3, 4);
    T_ASSERT_STRIDES(t_unsqueeze(x, 0), 24, 12, 4, 1);
    T_ASSERT_STRIDES(t_unsqueeze(x, 1), 12, 12, 4, 1);
    T_ASSERT_STRIDES(t_unsqueeze(x, 3), 12, 4, 1, 1);
    T_ASSERT_STRIDES(t_unsqueeze(x, -1), 12, 4, 1, 1);
    T_ASSERT_SHAPE(t_unsqueeze(x, -2), 2, 3, 1, 4);
    T_ASSERT_STRIDES(t_unsqueeze(t_select(x, 2, 1), 2), 12, 4, 1);
    T_ASSERT_SHAPE(t_unsqueeze(t_scalar(1), 0), 1);
    T_ASSERT_RAISES(T_ERR_INDEX, t_unsqueeze(t_zeros(3), 2), "t_unsqueeze", "2");
    T_ASSERT_RAISES(T_ERR_INDEX, t_unsqueeze(t_zeros(3), -3), "t_unsqueeze", "-3");
    Tensor *full = t_zeros(1, 1, 1, 1, 1, 1, 1, 1);
    T_ASSERT_RAISES(T_ERR_VALUE, t_unsqueeze(full, 0), "t_unsqueeze", "8");
}

Test(view, squeeze_and_squeeze_dim) {
    Tensor *x = IOTA(1, 3, 1, 2);
    Tensor *s = t_squeeze(x);
    T_ASSERT_SHAPE(s, 3, 2);
    T_ASSERT_STRIDES(s, 2, 1);
    t_set(s, -1, 2, 1);
    cr_assert_eq(t_get(x, 0, 2, 0, 1), -1);
    T_ASSERT_SHAPE(t_squeeze_dim(x, 2), 1, 3, 2);
    T_ASSERT_SHAPE(t_squeeze_dim(x, 1), 1, 3, 1, 2);
    T_ASSERT_SHAPE(t_squeeze_dim(x, -4), 3, 1, 2);
    T_ASSERT_STRIDES(t_squeeze_dim(t_zeros(2, 1, 4), 1), 4, 1);
    cr_assert_eq(t_ndim(t_squeeze(t_zeros(1, 1))), 0);
    T_ASSERT_RAISES(T_ERR_INDEX, t_squeeze_dim(x, 4), "t_squeeze_dim", "4");
}

Test(view, flatten_ranges) {
    Tensor *x = t_zeros(2, 3, 4, 5);
    T_ASSERT_SHAPE(t_flatten(x, 0), 120);
    T_ASSERT_SHAPE(t_flatten(x, 1), 2, 60);
    Tensor *mid = t_flatten_range(x, 1, 2);
    T_ASSERT_SHAPE(mid, 2, 12, 5);
    T_ASSERT_STRIDES(mid, 60, 5, 1);
    cr_assert_eq(t_data(mid), t_data(x));
    T_ASSERT_SHAPE(t_flatten_range(x, -2, -1), 2, 3, 20);
    T_ASSERT_SHAPE(t_flatten_range(x, 2, 2), 2, 3, 4, 5);
    T_ASSERT_SHAPE(t_flatten(t_scalar(3), 0), 1);
    Tensor *t = t_T(IOTA(3, 4));
    Tensor *f = t_flatten(t, 0); /* a copy: torch's is contiguous */
    cr_assert(t_is_contiguous(f));
    T_ASSERT_VALUES(f, 0, 0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11);
    T_ASSERT_RAISES(T_ERR_VALUE, t_flatten_range(x, 2, 1), "t_flatten", "2", "1");
    T_ASSERT_RAISES(T_ERR_INDEX, t_flatten(x, 4), "t_flatten", "4");
}

Test(view, zero_dim_tensors_check_their_dims) {
    /* a 0-d tensor takes dim 0 and -1, and nothing else (torch raises IndexError) */
    Tensor *s = t_scalar(1);
    cr_assert_eq(t_ndim(t_squeeze_dim(s, -1)), 0);
    cr_assert_eq(t_ndim(t_transpose(s, 0, -1)), 0);
    T_ASSERT_SHAPE(t_unsqueeze(s, -1), 1);
    T_ASSERT_SHAPE(t_flatten(s, -1), 1);
    T_ASSERT_RAISES(T_ERR_INDEX, t_unsqueeze(s, 1), "t_unsqueeze", "1");
    T_ASSERT_RAISES(T_ERR_INDEX, t_squeeze_dim(s, 5), "t_squeeze_dim", "5");
    T_ASSERT_RAISES(T_ERR_INDEX, t_transpose(s, 0, 5), "t_transpose", "5");
    T_ASSERT_RAISES(T_ERR_INDEX, t_flatten(s, 3), "t_flatten", "3");
}

/* ---- contiguity and copies ---- */

Test(view, is_contiguous_of_views) {
    Tensor *x = t_zeros(3, 4);
    cr_assert(t_is_contiguous(x));
    cr_assert_not(t_is_contiguous(t_T(x)));
    cr_assert(t_is_contiguous(t_select(x, 0, 1)));
    cr_assert_not(t_is_contiguous(t_select(x, 1, 1)));
    cr_assert(t_is_contiguous(t_narrow(x, 0, 1, 2)));
    cr_assert_not(t_is_contiguous(t_narrow(x, 1, 1, 2)));
    cr_assert_not(t_is_contiguous(t_expand(t_zeros(3, 1), 3, 4)));
    cr_assert(t_is_contiguous(t_unsqueeze(x, 1)));
}

Test(view, contiguous_and_clone) {
    Tensor *x = IOTA(2, 3);
    cr_assert_eq(t_contiguous(x), x, "a contiguous tensor is returned as is");
    Tensor *t = t_T(x);
    Tensor *c = t_contiguous(t);
    cr_assert_neq(c, t);
    T_ASSERT_STRIDES(c, 2, 1);
    T_ASSERT_VALUES(c, 0, 0, 3, 1, 4, 2, 5);
    Tensor *k = t_clone(x);
    cr_assert_neq(t_data(k), t_data(x));
    t_set(k, 9, 0, 0);
    cr_assert_eq(t_get(x, 0, 0), 0);
    Tensor *e = t_contiguous(t_expand(t_tensor((float[]){1, 2}, 2), 3, 2));
    T_ASSERT_STRIDES(e, 2, 1);
    T_ASSERT_VALUES(e, 0, 1, 2, 1, 2, 1, 2);
    Tensor *kc = t_clone(t_slice(t_arange_dt(T_I32, 0, 10, 1), 0, 1, T_END, 4));
    T_ASSERT_DTYPE(kc, T_I32);
    T_ASSERT_VALUES(kc, 0, 1, 5, 9);
}

Test(view, to_dtype_and_to_same_device) {
    Tensor *x = IOTA(2, 2);
    cr_assert_eq(t_to_dtype(x, T_F32), x);
    cr_assert_eq(t_to(x, T_CPU), x);
    Tensor *d = t_to_dtype(t_T(x), T_F64);
    T_ASSERT_DTYPE(d, T_F64);
    T_ASSERT_VALUES(d, 0, 0, 2, 1, 3);
    T_ASSERT_RAISES(T_ERR_DTYPE, t_to_dtype(x, (DType)17), "t_to_dtype", "17");
}

Test(view, views_of_views_keep_sharing) {
    Tensor *x = IOTA(4, 5);
    Tensor *v = t_unsqueeze(t_select(t_T(t_slice(x, 0, 1, 4, 2)), 0, 3), 0); /* x[1:4:2, 3] */
    T_ASSERT_SHAPE(v, 1, 2);
    T_ASSERT_STRIDES(v, 20, 10); /* torch: x[1:4:2].T[3].unsqueeze(0).stride() */
    cr_assert_eq(t_offset(v), 8);
    T_ASSERT_VALUES(v, 0, 8, 18);
    t_add_s_(v, 100);
    cr_assert_eq(t_get(x, 1, 3), 108);
    cr_assert_eq(t_get(x, 3, 3), 118);
    cr_assert_eq(t_get(x, 2, 3), 13);
}

/* ---- casts (t_to_dtype, through the CPU copy kernels) ---- */

Test(elementwise, casts_between_every_pair_of_dtypes) {
    static const double v[6] = {0, 1, 2, 3, 100, 7};
    for (DType from = 0; from < T_NDTYPES; from++)
        for (DType to = 0; to < T_NDTYPES; to++)
            for (TLayout l = 0; l < T_NLAYOUTS; l++) {
                Tensor *x = t_in_layout(v, from, l, NULL);
                double want[6];
                for (int i = 0; i < 6; i++) want[i] = t_as_dtype(v[i], from);
                Tensor *y = t_to_dtype(x, to);
                T_ASSERT_SHAPE(y, 2, 3);
                t_assert_dtype_values(y, to, want, 6,
                                      t_gc_sprintf("%s %s -> %s", t_dtype_name(from),
                                                   t_layout_name(l), t_dtype_name(to)));
            }
}

Test(elementwise, float_to_int_truncates_and_nonzero_is_true) {
    for (DType from = T_F32; from <= T_F64; from++) {
        Tensor *f = t_to_dtype(t_tensor_dt(T_F64, (double[]){1.5, -2.7, 0.9, -0.5, 126.99}, 5),
                               from);
        T_ASSERT_VALUES(t_to_dtype(f, T_I64), 0, 1, -2, 0, 0, 126);
        T_ASSERT_VALUES(t_to_dtype(f, T_I32), 0, 1, -2, 0, 0, 126);
        Tensor *p = t_to_dtype(t_tensor_dt(T_F64, (double[]){1.5, 2.9, 0.2, 254.7}, 4), from);
        T_ASSERT_VALUES(t_to_dtype(p, T_U8), 0, 1, 2, 0, 254);
        Tensor *b = t_to_dtype(
            t_tensor_dt(T_F64, (double[]){0.5, 0, -0.0, NAN, -3, 1e-30}, 6), from);
        T_ASSERT_VALUES(t_to_dtype(b, T_BOOL), 0, 1, 0, 0, 1, 1, 1);
    }
    T_ASSERT_VALUES(t_to_dtype(t_tensor_dt(T_I64, (int64_t[]){0, -1, 2}, 3), T_BOOL), 0, 0, 1, 1);
    T_ASSERT_VALUES(t_to_dtype(t_tensor_dt(T_U8, (uint8_t[]){0, 255}, 2), T_BOOL), 0, 0, 1);
    T_ASSERT_VALUES(t_to_dtype(t_tensor_dt(T_BOOL, (bool[]){true, false}, 2), T_F64), 0, 1, 0);
}

Test(elementwise, integer_casts_wrap) {
    Tensor *i = t_tensor_dt(T_I64, (int64_t[]){300, -1, (INT64_C(1) << 32) + 5}, 3);
    T_ASSERT_VALUES(t_to_dtype(i, T_U8), 0, 44, 255, 5);
    T_ASSERT_VALUES(t_to_dtype(i, T_I32), 0, 300, -1, 5);
    T_ASSERT_VALUES(t_to_dtype(t_tensor_dt(T_F64, (double[]){0.1}, 1), T_F32), 0, (double)0.1f);
}
