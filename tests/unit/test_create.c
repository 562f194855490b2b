/* test_create.c — making tensors (tensor/create.c) and reading them back through the accessors
   (tensor/tensor.c): values, dtypes, shapes, element access, collected memory (tensor/alloc.c),
   t_free, and every misuse. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#define GC_THREADS /* threads made here are the collector's, so their stacks are scanned */
#include <pthread.h>
#include <gc/gc.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "helpers.h"

/* ---- filled tensors ---- */

Test(create, zeros_ones_full_every_dtype) {
    for (DType dt = 0; dt < T_NDTYPES; dt++) {
        Tensor *z = t_zeros_dt(dt, 2, 3), *o = t_ones_dt(dt, 2, 3), *f = t_full_dt(dt, 7, 3, 2);
        T_ASSERT_DTYPE(z, dt);
        T_ASSERT_DTYPE(o, dt);
        T_ASSERT_DTYPE(f, dt);
        T_ASSERT_SHAPE(z, 2, 3);
        T_ASSERT_SHAPE(f, 3, 2);
        double seven = dt == T_BOOL ? 1 : 7;
        for (int64_t i = 0; i < 6; i++) {
            cr_assert_eq(t_flat_get(z, i), 0, "%s zeros", t_dtype_name(dt));
            cr_assert_eq(t_flat_get(o, i), 1, "%s ones", t_dtype_name(dt));
            cr_assert_eq(t_flat_get(f, i), seven, "%s full", t_dtype_name(dt));
        }
    }
}

Test(create, default_dtype_is_float32) {
    T_ASSERT_DTYPE(t_zeros(2), T_F32);
    T_ASSERT_DTYPE(t_ones(2), T_F32);
    T_ASSERT_DTYPE(t_full(1.5, 2), T_F32);
    T_ASSERT_DTYPE(t_empty(2), T_F32);
    T_ASSERT_DTYPE(t_tensor((float[]){1, 2}, 2), T_F32);
    T_ASSERT_VALUES(t_full(1.5, 2, 2), 0, 1.5, 1.5, 1.5, 1.5);
}

Test(create, full_converts_the_value_as_torch_does) {
    T_ASSERT_VALUES(t_full_dt(T_I32, 2.9, 2), 0, 2, 2);     /* truncation toward zero */
    T_ASSERT_VALUES(t_full_dt(T_I64, -2.9, 1), 0, -2);
    T_ASSERT_VALUES(t_full_dt(T_U8, 255, 1), 0, 255);
    T_ASSERT_VALUES(t_full_dt(T_BOOL, 0.5, 2), 0, 1, 1);    /* nonzero is true */
    T_ASSERT_VALUES(t_full_dt(T_F64, 0.1, 1), 0, 0.1);
    cr_assert_eq(t_flat_get(t_full(0.1, 1), 0), (double)0.1f);
    cr_assert(isnan(t_item(t_full(NAN, 1))));
    cr_assert_eq(t_item(t_full(-INFINITY, 1)), -INFINITY);
}

Test(create, empty_has_shape_dtype_and_contiguous_strides) {
    Tensor *e = t_empty_dt(T_F64, 2, 3, 4);
    T_ASSERT_SHAPE(e, 2, 3, 4);
    T_ASSERT_STRIDES(e, 12, 4, 1);
    T_ASSERT_DTYPE(e, T_F64);
    cr_assert_eq(t_numel(e), 24);
    cr_assert_eq(t_offset(e), 0);
    cr_assert(t_is_contiguous(e));
    cr_assert_eq(t_device(e), T_CPU);
}

Test(create, empty_dims_have_torch_strides) {
    Tensor *e = t_zeros(2, 0, 3);
    T_ASSERT_SHAPE(e, 2, 0, 3);
    T_ASSERT_STRIDES(e, 3, 3, 1); /* torch.zeros(2, 0, 3).stride() */
    cr_assert_eq(t_numel(e), 0);
    cr_assert(t_is_contiguous(e));
    cr_assert_not_null(t_data(e));
}

Test(create, zero_dim_tensors) {
    Tensor *s = t_zeros();
    cr_assert_eq(t_ndim(s), 0);
    cr_assert_eq(t_numel(s), 1);
    cr_assert_eq(t_item(s), 0);
    Tensor *f = t_full(2.5);
    cr_assert_eq(t_item(f), 2.5);
}

/* ---- scalars ---- */

Test(create, scalar_is_zero_dim_float32) {
    Tensor *s = t_scalar(3.25);
    cr_assert_eq(t_ndim(s), 0);
    cr_assert_eq(t_numel(s), 1);
    T_ASSERT_DTYPE(s, T_F32);
    cr_assert_eq(t_item(s), 3.25);
    cr_assert_eq(t_get(s), 3.25);
}

Test(create, scalar_dt_converts) {
    Tensor *i = t_scalar_dt(T_I64, 3.9);
    T_ASSERT_DTYPE(i, T_I64);
    cr_assert_eq(t_item(i), 3);
    cr_assert_eq(t_item(t_scalar_dt(T_F64, 1e300)), 1e300);
    cr_assert_eq(t_item(t_scalar_dt(T_BOOL, 0.5)), 1);
    cr_assert_eq(t_item(t_scalar_dt(T_BOOL, 0)), 0);
    cr_assert_eq(t_item(t_scalar_dt(T_U8, 200)), 200);
    cr_assert_eq(t_item(t_scalar_dt(T_I32, -7)), -7);
}

/* ---- from C arrays ---- */

Test(create, tensor_copies_the_array) {
    float data[] = {1, 2, 3, 4, 5, 6};
    Tensor *t = t_tensor(data, 2, 3);
    T_ASSERT_SHAPE(t, 2, 3);
    data[0] = 100;
    T_ASSERT_VALUES(t, 0, 1, 2, 3, 4, 5, 6);
    cr_assert_neq(t_data(t), (void *)data);
}

Test(create, tensor_literal_and_zero_dim) {
    Tensor *t = t_tensor((float[]){1.5, -2}, 2);
    T_ASSERT_VALUES(t, 0, 1.5, -2);
    Tensor *s = t_tensor((float[]){4});
    cr_assert_eq(t_ndim(s), 0);
    cr_assert_eq(t_item(s), 4);
}

Test(create, tensor_dt_every_dtype) {
    Tensor *a = t_tensor_dt(T_F64, (double[]){0.1, 0.2}, 2);
    Tensor *b = t_tensor_dt(T_I64, (int64_t[]){1, -2, 3, INT64_C(1) << 40}, 2, 2);
    Tensor *c = t_tensor_dt(T_I32, (int32_t[]){-5, 6}, 2, 1);
    Tensor *d = t_tensor_dt(T_U8, (uint8_t[]){0, 255, 7}, 3);
    Tensor *e = t_tensor_dt(T_BOOL, (bool[]){true, false}, 1, 2);
    T_ASSERT_DTYPE(a, T_F64);
    T_ASSERT_VALUES(a, 0, 0.1, 0.2);
    T_ASSERT_DTYPE(b, T_I64);
    T_ASSERT_SHAPE(b, 2, 2);
    T_ASSERT_VALUES(b, 0, 1, -2, 3, (double)(INT64_C(1) << 40));
    T_ASSERT_DTYPE(c, T_I32);
    T_ASSERT_SHAPE(c, 2, 1);
    T_ASSERT_VALUES(c, 0, -5, 6);
    T_ASSERT_DTYPE(d, T_U8);
    T_ASSERT_VALUES(d, 0, 0, 255, 7);
    T_ASSERT_DTYPE(e, T_BOOL);
    T_ASSERT_SHAPE(e, 1, 2);
    T_ASSERT_VALUES(e, 0, 1, 0);
}

Test(create, tensor_shape_form) {
    int32_t data[] = {1, 2, 3, 4, 5, 6};
    Tensor *t = t_tensor_shape(data, T_I32, T_SHAPE(3, 2));
    T_ASSERT_SHAPE(t, 3, 2);
    T_ASSERT_STRIDES(t, 2, 1);
    cr_assert_eq(t_get(t, 2, 1), 6);
}

Test(create, from_blob_shares_memory_both_ways) {
    float data[6] = {1, 2, 3, 4, 5, 6};
    Tensor *t = t_from_blob(data, T_F32, 2, 3);
    T_ASSERT_SHAPE(t, 2, 3);
    T_ASSERT_STRIDES(t, 3, 1);
    cr_assert_eq(t_data(t), (void *)data);
    data[4] = 50; /* array -> tensor */
    cr_assert_eq(t_get(t, 1, 1), 50);
    t_set(t, -9, 0, 2); /* tensor -> array */
    cr_assert_eq(data[2], -9);
    t_add_(t, t_ones(3)); /* in-place ops write the array too */
    cr_assert_eq(data[0], 2);
    cr_assert_eq(data[5], 7);
    /* a view of the blob still writes the array */
    t_fill_(t_select(t, 0, 1), 0);
    cr_assert_eq(data[3], 0);
    cr_assert_eq(data[4], 0);
    cr_assert_eq(data[0], 2);
}

Test(create, from_blob_other_dtypes) {
    int64_t data[4] = {10, 20, 30, 40};
    Tensor *t = t_from_blob(data, T_I64, 4);
    T_ASSERT_DTYPE(t, T_I64);
    T_ASSERT_VALUES(t, 0, 10, 20, 30, 40);
    t_mul_s_(t, 2);
    cr_assert_eq(data[3], 80);
    uint8_t bytes[3] = {1, 2, 3};
    Tensor *u = t_from_blob(bytes, T_U8, 3);
    t_set(u, 200, 1);
    cr_assert_eq(bytes[1], 200);
}

Test(create, from_blob_free_leaves_the_array) {
    double data[3] = {1, 2, 3};
    Tensor *t = t_from_blob(data, T_F64, 3);
    t_free(t);
    cr_assert_eq(data[0], 1);
    cr_assert_eq(data[2], 3);
    data[1] = 5; /* still the user's memory */
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_neg(t), "t_neg", "t_free");
}

/* ---- ranges ---- */

Test(create, arange_positive_step) {
    Tensor *t = t_arange(0, 5, 1);
    T_ASSERT_DTYPE(t, T_F32);
    T_ASSERT_SHAPE(t, 5);
    T_ASSERT_VALUES(t, 0, 0, 1, 2, 3, 4);
    T_ASSERT_VALUES(t_arange(1, 2.5, 0.5), 0, 1, 1.5, 2);
    T_ASSERT_VALUES(t_arange(0, 1, 0.3), 1e-7, 0, 0.3, 0.6, 0.9); /* torch.arange(0., 1., .3) */
    cr_assert_eq(t_numel(t_arange(0, 1, 0.1)), 10);
}

Test(create, arange_negative_step) {
    T_ASSERT_VALUES(t_arange(5, 0, -1), 0, 5, 4, 3, 2, 1);
    T_ASSERT_VALUES(t_arange(-1, -3, -0.5), 0, -1, -1.5, -2, -2.5);
    T_ASSERT_VALUES(t_arange_dt(T_I64, 10, 0, -3), 0, 10, 7, 4, 1);
}

Test(create, arange_dtypes_and_empty) {
    Tensor *t = t_arange_dt(T_I64, 0, 10, 1);
    T_ASSERT_DTYPE(t, T_I64);
    T_ASSERT_SHAPE(t, 10);
    for (int64_t i = 0; i < 10; i++) cr_assert_eq(t_get(t, i), (double)i);
    T_ASSERT_VALUES(t_arange_dt(T_F64, 0, 0.35, 0.1), 1e-15, 0, 0.1, 0.2, 0.3);
    T_ASSERT_VALUES(t_arange_dt(T_I32, -2, 2, 1), 0, -2, -1, 0, 1);
    T_ASSERT_VALUES(t_arange_dt(T_U8, 250, 256, 2), 0, 250, 252, 254);
    Tensor *e = t_arange(3, 3, 1);
    T_ASSERT_SHAPE(e, 0);
}

Test(create, arange_errors) {
    T_ASSERT_RAISES(T_ERR_VALUE, t_arange(0, 1, 0), "t_arange", "step");
    T_ASSERT_RAISES(T_ERR_VALUE, t_arange(0, 5, -1), "t_arange", "5", "-1");
    T_ASSERT_RAISES(T_ERR_VALUE, t_arange(5, 0, 1), "t_arange");
    T_ASSERT_RAISES(T_ERR_VALUE, t_arange(0, INFINITY, 1), "t_arange");
    T_ASSERT_RAISES(T_ERR_VALUE, t_arange(NAN, 1, 1), "t_arange");
}

Test(create, linspace_endpoints_are_exact) {
    Tensor *t = t_linspace(0, 1, 5);
    T_ASSERT_DTYPE(t, T_F32);
    T_ASSERT_VALUES(t, 0, 0, 0.25, 0.5, 0.75, 1);
    Tensor *u = t_linspace(-1, 1, 4);
    cr_assert_eq(t_get(u, 0), -1);
    cr_assert_eq(t_get(u, 3), 1);
    cr_assert(t_close(t_get(u, 1), -1.0 / 3, 1e-7, 0));
    cr_assert(t_close(t_get(u, 2), 1.0 / 3, 1e-7, 0));
    Tensor *big = t_linspace(0.1, 0.7, 1001);
    cr_assert_eq(t_get(big, 0), (double)0.1f);
    cr_assert_eq(t_get(big, 1000), (double)0.7f);
    for (int64_t i = 0; i <= 1000; i++)
        cr_assert(t_close(t_get(big, i), 0.1 + 0.6 * (double)i / 1000, 1e-6, 0));
    T_ASSERT_VALUES(t_linspace(3, 7, 2), 0, 3, 7);
    T_ASSERT_VALUES(t_linspace(5, 1, 3), 0, 5, 3, 1);
}

Test(create, linspace_one_step_is_start) {
    T_ASSERT_VALUES(t_linspace(2, 5, 1), 0, 2); /* torch.linspace(2, 5, 1) == [2.] */
}

Test(create, linspace_zero_steps_and_errors) {
    T_ASSERT_SHAPE(t_linspace(0, 1, 0), 0);
    T_ASSERT_RAISES(T_ERR_VALUE, t_linspace(0, 1, -1), "t_linspace", "-1");
}

Test(create, eye) {
    Tensor *e = t_eye(3);
    T_ASSERT_DTYPE(e, T_F32);
    T_ASSERT_SHAPE(e, 3, 3);
    T_ASSERT_VALUES(e, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1);
    T_ASSERT_SHAPE(t_eye(0), 0, 0);
    T_ASSERT_VALUES(t_eye(1), 0, 1);
}

/* ---- *_like ---- */

Test(create, like_keeps_shape_and_dtype) {
    Tensor *x = t_tensor_dt(T_I32, (int32_t[]){1, 2, 3, 4, 5, 6}, 2, 3);
    Tensor *z = t_zeros_like(x), *o = t_ones_like(x);
    Tensor *f = t_full_like(x, 4.7), *e = t_empty_like(x);
    Tensor *all[] = {z, o, f, e};
    for (int i = 0; i < 4; i++) {
        T_ASSERT_SHAPE(all[i], 2, 3);
        T_ASSERT_DTYPE(all[i], T_I32);
        cr_assert_neq(t_data(all[i]), t_data(x), "a *_like tensor has storage of its own");
    }
    T_ASSERT_VALUES(z, 0, 0, 0, 0, 0, 0, 0);
    T_ASSERT_VALUES(o, 0, 1, 1, 1, 1, 1, 1);
    T_ASSERT_VALUES(f, 0, 4, 4, 4, 4, 4, 4);
    T_ASSERT_VALUES(x, 0, 1, 2, 3, 4, 5, 6);
}

Test(create, like_of_a_view_and_of_zero_dim) {
    Tensor *x = t_T(t_zeros_dt(T_F64, 2, 3));
    Tensor *o = t_ones_like(x);
    T_ASSERT_SHAPE(o, 3, 2);
    T_ASSERT_DTYPE(o, T_F64);
    Tensor *s = t_full_like(t_scalar_dt(T_U8, 1), 9);
    cr_assert_eq(t_ndim(s), 0);
    cr_assert_eq(t_item(s), 9);
}

Test(create, rand_like_and_randn_like) {
    Tensor *x = t_zeros_dt(T_F64, 40, 50);
    Tensor *r = t_rand_like(x), *n = t_randn_like(x);
    T_ASSERT_SHAPE(r, 40, 50);
    T_ASSERT_DTYPE(r, T_F64);
    T_ASSERT_SHAPE(n, 40, 50);
    T_ASSERT_DTYPE(n, T_F64);
    for (int64_t i = 0; i < 2000; i++) {
        double v = t_flat_get(r, i);
        cr_assert(v >= 0 && v < 1);
    }
    T_ASSERT_RAISES(T_ERR_DTYPE, t_rand_like(t_zeros_dt(T_I64, 2)), "t_rand_like", "int64");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_randn_like(t_zeros_dt(T_BOOL, 2)), "t_randn_like", "bool");
}

/* ---- accessors ---- */

Test(create, size_stride_ndim_with_negative_dims) {
    Tensor *x = t_zeros(2, 3, 4);
    cr_assert_eq(t_ndim(x), 3);
    cr_assert_eq(t_size(x, 0), 2);
    cr_assert_eq(t_size(x, -1), 4);
    cr_assert_eq(t_size(x, -3), 2);
    cr_assert_eq(t_stride(x, 0), 12);
    cr_assert_eq(t_stride(x, -2), 4);
    T_ASSERT_RAISES(T_ERR_INDEX, t_size(x, 3), "t_size", "3");
    T_ASSERT_RAISES(T_ERR_INDEX, t_size(x, -4), "t_size", "-4");
    T_ASSERT_RAISES(T_ERR_INDEX, t_stride(x, 5), "t_stride", "5");
}

Test(create, item_of_one_element) {
    cr_assert_eq(t_item(t_full(2.5, 1, 1)), 2.5);
    cr_assert_eq(t_item(t_full_dt(T_I64, -4, 1)), -4);
    cr_assert_eq(t_item(t_select(t_arange(0, 5, 1), 0, 3)), 3);
}

Test(create, item_of_many_elements_raises) {
    T_ASSERT_RAISES(T_ERR_VALUE, t_item(t_zeros(2, 3)), "t_item", "6", "[2, 3]");
    T_ASSERT_RAISES(T_ERR_VALUE, t_item(t_zeros(0)), "t_item", "0");
}

Test(create, get_and_set_with_negative_indices) {
    Tensor *x = t_arange(0, 12, 1);
    Tensor *m = t_view(x, 3, 4);
    cr_assert_eq(t_get(m, 1, 2), 6);
    cr_assert_eq(t_get(m, -1, -1), 11);
    cr_assert_eq(t_get(m, -3, 0), 0);
    t_set(m, 42, -1, 0);
    cr_assert_eq(t_get(x, 8), 42);
    Tensor *i = t_zeros_dt(T_I64, 2);
    t_set(i, 2.7, 1);
    cr_assert_eq(t_get(i, 1), 2); /* x[1] = 2.7 on an int tensor stores 2 */
    Tensor *b = t_zeros_dt(T_BOOL, 2);
    t_set(b, 3, 0);
    cr_assert_eq(t_get(b, 0), 1);
}

Test(create, get_and_set_out_of_range_raise) {
    Tensor *m = t_zeros(3, 4);
    T_ASSERT_RAISES(T_ERR_INDEX, t_get(m, 3, 0), "t_get", "3");
    T_ASSERT_RAISES(T_ERR_INDEX, t_get(m, 0, -5), "t_get", "-5");
    T_ASSERT_RAISES(T_ERR_INDEX, t_get(m, 0), "t_get", "1", "2");
    T_ASSERT_RAISES(T_ERR_INDEX, t_get(m, 0, 0, 0), "t_get");
    T_ASSERT_RAISES(T_ERR_INDEX, t_set(m, 1, 0, 4), "t_set", "4");
}

Test(create, data_points_at_the_first_element_of_a_view) {
    Tensor *x = t_arange_dt(T_F64, 0, 10, 1);
    Tensor *v = t_slice(x, 0, 3, T_END, 1);
    cr_assert_eq(t_offset(v), 3);
    cr_assert_eq(*(double *)t_data(v), 3);
    cr_assert_eq((double *)t_data(v), (double *)t_data(x) + 3);
}

Test(create, dtype_facts_and_names) {
    static const char *const names[T_NDTYPES] = {"float32", "float64", "int64",
                                                 "int32",   "uint8",   "bool"};
    static const size_t sizes[T_NDTYPES] = {4, 8, 8, 4, 1, 1};
    for (DType dt = 0; dt < T_NDTYPES; dt++) {
        cr_assert_str_eq(t_dtype_name(dt), names[dt]);
        cr_assert_eq(t_dtype_size(dt), sizes[dt]);
        cr_assert_eq(t_dtype_is_floating(dt), dt == T_F32 || dt == T_F64);
    }
    cr_assert_str_eq(t_shape_str(T_SHAPE(2, 3)), "[2, 3]");
    cr_assert_str_eq(t_shape_str(T_SHAPE()), "[]");
    cr_assert_str_eq(t_device_name(T_CPU), "cpu");
    cr_assert_str_eq(t_device_name(T_CUDA), "cuda:0");
    cr_assert_str_eq(t_device_name(T_CUDA_N(1)), "cuda:1");
}

/* ---- collected memory ---- */

/* The collector's blocks of small objects are swept in place, not handed back and carved out
   again: the first object of each stays pinned (tensor/alloc.c), so across collections no
   small tensor ever starts a 4 KiB block. */
Test(create, small_tensors_reuse_pinned_blocks_across_collections) {
    Tensor *a = t_ones(4), *b = t_ones(4);
    GC_word first = GC_get_gc_no();
    long block_starts = 0, made = 0;
    while (GC_get_gc_no() < first + 3) {
        block_starts += ((uintptr_t)t_add(a, b) & 4095) == 0;
        made++;
    }
    cr_assert_gt(made, 10000, "only %ld tensors before three collections", made);
    cr_assert_eq(block_starts, 0, "%ld of %ld small tensors started a block", block_starts, made);
    T_ASSERT_VALUES(t_add(a, b), 0, 2, 2, 2, 2);
}

/* A large allocation lets the pins go, so that the blocks a loop of small ops held become
   free runs again for large tensors. */
Test(create, a_large_tensor_lets_pinned_blocks_go) {
    Tensor *a = t_ones(4), *b = t_ones(4);
    for (int i = 0; i < 50000; i++) t_add(a, b); /* about 3,500 blocks, 14 MB, pinned */
    GC_gcollect();
    size_t free_while_pinned = GC_get_free_bytes();
    Tensor *large = t_empty(1 << 14); /* 64 KiB of elements: a large block */
    GC_gcollect();
    size_t free_after = GC_get_free_bytes();
    cr_assert_gt(free_after, free_while_pinned + ((size_t)8 << 20),
                 "free bytes went from %zu to %zu", free_while_pinned, free_after);
    cr_assert_eq(t_numel(large), 1 << 14);
}

/* Small objects come from each thread's own lists, which the collector must see: if it did
   not, it would take back the objects waiting there and hand them out a second time. Live
   small tensors, each holding its own value, stay intact through collections while
   garbage of every small size comes and goes. */
Test(create, small_tensors_stay_intact_across_collections) {
    enum { LIVE = 2000, ROUNDS = 4 };
    static Tensor *live[LIVE]; /* static data, as the cache's own lists */
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < LIVE; i++) {
            if (round == 0 || i % ROUNDS == round) /* some made after each collection */
                live[i] = t_full_shape((Shape){1, {1 + i % 16}}, round * LIVE + i, T_F32);
            for (int n = 1; n <= 16; n++) t_ones(n); /* garbage of each inline size */
        }
        GC_gcollect();
    }
    for (int round = 0; round < ROUNDS; round++)
        for (int n = 1; n <= 16; n++) t_ones(n);
    for (int i = 0; i < LIVE; i++) {
        const float *v = t_data(live[i]);
        float want = (float)((i % ROUNDS) * LIVE + i);
        for (int k = 0; k < 1 + i % 16; k++)
            cr_assert_eq(v[k], want, "tensor %d, element %d", i, k);
    }
}

/* A thread that makes small tensors, each filled with its own number, and checks them all. */
static void *fill_and_check(void *arg) {
    enum { N = 3000 };
    int id = (int)(intptr_t)arg;
    Tensor **made = GC_MALLOC(N * sizeof *made);
    for (int i = 0; i < N; i++) made[i] = t_full(id * N + i, 4);
    GC_gcollect();
    for (int i = 0; i < N; i++)
        if (t_item(t_sum(made[i])) != 4.0 * (id * N + i)) return (void *)1;
    return NULL;
}

/* Threads at once get objects of their own (none handed to two), and threads that end give
   their lists back: more threads than there are lists, one after another, all allocate. */
Test(create, threads_allocate_small_tensors_of_their_own) {
    for (int wave = 0; wave < 40; wave++) {
        pthread_t th[4];
        for (int k = 0; k < 4; k++) {
            void *id = (void *)(intptr_t)(wave * 4 + k);
            cr_assert_eq(pthread_create(&th[k], NULL, fill_and_check, id), 0);
        }
        for (int k = 0; k < 4; k++) {
            void *failed;
            pthread_join(th[k], &failed);
            cr_assert_null(failed, "thread %d of wave %d saw another's values", k, wave);
        }
    }
}

/* Once large tensors have grown the heap, the collector waits for a share of it to be
   allocated before it collects again (tensor/alloc.c): every collection walks the whole heap,
   and in a loop of small ops after large ones (bench/run.py's 4-element add) it had collected
   after every 3 MB, with a 600 MB heap. */
Test(create, collections_wait_for_a_share_of_a_grown_heap) {
    size_t before = GC_get_heap_size();
    Tensor *large = t_empty(64 << 20); /* 256 MB: the heap grows */
    size_t heap = GC_get_heap_size();
    cr_assert_gt(heap, before + ((size_t)200 << 20));
    cr_assert_geq(GC_get_min_bytes_allocd(), heap / 16, "%zu bytes between collections, heap %zu",
                  GC_get_min_bytes_allocd(), heap);
    t_free(large);
}

/* ---- t_free ---- */

Test(create, freed_tensor_raises_runtime_error) {
    Tensor *x = t_ones(2, 3), *y = t_ones(2, 3);
    Tensor *view = t_select(x, 0, 1);
    t_free(x);
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_add(x, y), "t_add", "t_free");
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_add(y, x), "t_add", "t_free");
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_exp(x), "t_exp", "t_free");
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_add_s(x, 1), "t_add_s", "t_free");
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_item(x), "t_item", "t_free");
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_get(x, 0, 0), "t_get", "t_free");
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_set(x, 1, 0, 0), "t_set", "t_free");
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_data(x), "t_data", "t_free");
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_view(x, 6), "t_view", "t_free");
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_fill_(x, 1), "t_fill_", "t_free");
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_copy_(y, x), "t_copy_", "t_free");
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_to_dtype(x, T_F64), "t_to_dtype", "t_free");
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_zeros_like(x), "t_free");
    /* a view shares the storage, so it is released too */
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_mul(view, y), "t_mul", "t_free");
    /* the other tensor is untouched, and freeing twice is harmless */
    T_ASSERT_VALUES(y, 0, 1, 1, 1, 1, 1, 1);
    T_ASSERT_NO_RAISE(t_free(x));
}

Test(create, freeing_a_view_releases_its_base) {
    Tensor *x = t_ones(4);
    t_free(t_slice(x, 0, 1, 3, 1));
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_neg(x), "t_neg", "t_free");
}

Test(create, null_tensors_given_to_ops_raise_value_error) {
    Tensor *x = t_ones(2);
    T_ASSERT_RAISES(T_ERR_VALUE, t_add(NULL, x), "t_add", "NULL");
    T_ASSERT_RAISES(T_ERR_VALUE, t_where(NULL, x, x), "t_where", "NULL");
    T_ASSERT_RAISES(T_ERR_VALUE, t_item(NULL), "t_item", "NULL");
    T_ASSERT_RAISES(T_ERR_VALUE, t_view(NULL, 2), "t_view", "NULL");
    T_ASSERT_RAISES(T_ERR_VALUE, t_zeros_like(NULL), "t_zeros_like", "NULL");
    T_ASSERT_RAISES(T_ERR_VALUE, t_exp(NULL), "t_exp", "NULL");
    T_ASSERT_RAISES(T_ERR_VALUE, t_neg(NULL), "t_neg", "NULL");
    T_ASSERT_RAISES(T_ERR_VALUE, t_clamp(NULL, 0, 1), "t_clamp", "NULL");
    T_ASSERT_RAISES(T_ERR_VALUE, t_add_s(NULL, 1), "t_add_s", "NULL");
    T_ASSERT_RAISES(T_ERR_VALUE, t_div_s(NULL, 2), "t_div_s", "NULL");
    T_ASSERT_RAISES(T_ERR_VALUE, t_pow_s(NULL, 2), "t_pow_s", "NULL");
    T_ASSERT_RAISES(T_ERR_VALUE, t_eq_s(NULL, 1), "t_eq_s", "NULL");
    T_ASSERT_RAISES(T_ERR_VALUE, t_rand_like(NULL), "t_rand_like", "NULL");
}

Test(create, null_tensors_given_to_accessors_raise_value_error) {
    T_ASSERT_RAISES(T_ERR_VALUE, t_numel(NULL), "t_numel", "NULL");
    T_ASSERT_RAISES(T_ERR_VALUE, t_shape(NULL), "t_shape", "NULL");
    T_ASSERT_RAISES(T_ERR_VALUE, t_dtype(NULL), "t_dtype", "NULL");
    T_ASSERT_RAISES(T_ERR_VALUE, t_ndim(NULL), "t_ndim", "NULL");
}

Test(create, free_of_null_is_harmless_as_free_is) {
    T_ASSERT_NO_RAISE(t_free(NULL));
}

/* ---- misuse: sizes, dtypes ---- */

Test(create, negative_sizes_raise_value_error_naming_the_op) {
    T_ASSERT_RAISES(T_ERR_VALUE, t_empty(2, -1), "t_empty", "-1");
    T_ASSERT_RAISES(T_ERR_VALUE, t_from_blob((float[]){1}, T_F32, -1), "t_from_blob", "-1");
    T_ASSERT_RAISES(T_ERR_VALUE, t_zeros(-1), "t_zeros", "-1");
    T_ASSERT_RAISES(T_ERR_VALUE, t_ones(3, -2), "t_ones", "-2");
    T_ASSERT_RAISES(T_ERR_VALUE, t_full(1.0, -3), "t_full", "-3");
    T_ASSERT_RAISES(T_ERR_VALUE, t_rand(-4), "t_rand", "-4");
    T_ASSERT_RAISES(T_ERR_VALUE, t_randn(-5), "t_randn", "-5");
    T_ASSERT_RAISES(T_ERR_VALUE, t_randint(0, 3, -6), "t_randint", "-6");
    T_ASSERT_RAISES(T_ERR_VALUE, t_tensor((float[]){1}, -1), "t_tensor", "-1");
    T_ASSERT_RAISES(T_ERR_VALUE, t_eye(-2), "t_eye", "-2");
}

Test(create, element_count_overflow_raises) {
    T_ASSERT_RAISES(T_ERR_VALUE, t_zeros(INT32_MAX, INT32_MAX, INT32_MAX), "t_zeros", "int64");
}

/* The collector warns on stderr before the allocation fails; the warning is not checked. */
Test(create, allocation_failure_raises_out_of_memory, .init = cr_redirect_stderr) {
    T_ASSERT_RAISES(T_ERR_OOM, t_zeros(INT64_C(1) << 30, INT64_C(1) << 30));
}

Test(create, unknown_dtype_raises_type_error_naming_the_op) {
    T_ASSERT_RAISES(T_ERR_DTYPE, t_zeros_dt((DType)42, 2), "t_zeros", "42");
}

Test(create, bad_data_and_too_many_sizes) {
    T_ASSERT_RAISES(T_ERR_VALUE, t_tensor_shape(NULL, T_F32, T_SHAPE(2)), "t_tensor", "NULL");
    T_ASSERT_RAISES(T_ERR_VALUE, t_from_blob(NULL, T_F32, 2), "t_from_blob", "NULL");
    float nine[1] = {0};
    T_ASSERT_RAISES(T_ERR_VALUE, t_tensor(nine, 1, 1, 1, 1, 1, 1, 1, 1, 1), "t_tensor", "8");
    T_ASSERT_RAISES(T_ERR_VALUE, t_empty_shape((Shape){9, {0}}, T_F32), "9", "8");
}
