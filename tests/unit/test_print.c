/* test_print.c — t_str writes exactly what PyTorch 1.13's str(tensor) writes. The expected
   strings were printed by PyTorch for the same values. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "internal.h"

/* Asserts that x prints as expected. */
#define ASSERT_STR(x, expected) cr_assert_str_eq(t_str(x), (expected))

Test(print, float_vector) {
    ASSERT_STR(t_tensor(((float[]){1.5f, -2.25f, 3.125f}), 3), "tensor([ 1.5000, -2.2500,  3.1250])");
}

Test(print, whole_floats_print_with_a_point) {
    ASSERT_STR(t_tensor(((float[]){1, 2, 3, 4}), 2, 2), "tensor([[1., 2.],\n        [3., 4.]])");
    ASSERT_STR(t_tensor(((float[]){-10, 0, 100}), 3), "tensor([-10.,   0., 100.])");
    ASSERT_STR(t_zeros(2), "tensor([0., 0.])");
}

Test(print, zero_dim) {
    ASSERT_STR(t_scalar(3), "tensor(3.)");
    ASSERT_STR(t_scalar(0.5), "tensor(0.5000)");
    ASSERT_STR(t_scalar_dt(T_I64, 7), "tensor(7)");
    ASSERT_STR(t_scalar_dt(T_BOOL, 1), "tensor(True)");
    ASSERT_STR(t_scalar_dt(T_U8, 5), "tensor(5, dtype=torch.uint8)");
    ASSERT_STR(t_scalar(NAN), "tensor(nan)");
    ASSERT_STR(t_scalar(-0.0), "tensor(-0.)");
}

Test(print, dtype_suffixes) {
    ASSERT_STR(t_tensor_dt(T_I64, ((int64_t[]){1, -20, 300}), 3), "tensor([  1, -20, 300])");
    ASSERT_STR(t_tensor_dt(T_I32, ((int32_t[]){1, 2}), 2), "tensor([1, 2], dtype=torch.int32)");
    ASSERT_STR(t_tensor_dt(T_U8, ((uint8_t[]){0, 255}), 2), "tensor([  0, 255], dtype=torch.uint8)");
    ASSERT_STR(t_tensor_dt(T_F64, ((double[]){0.5, 2}), 2),
               "tensor([0.5000, 2.0000], dtype=torch.float64)");
    ASSERT_STR(t_tensor_dt(T_BOOL, ((bool[]){true, false, true}), 3), "tensor([ True, False,  True])");
}

Test(print, scientific_notation) {
    /* smallest magnitude below 1e-4 */
    ASSERT_STR(t_tensor(((float[]){1e-5f, 1.0f}), 2), "tensor([1.0000e-05, 1.0000e+00])");
    /* largest over 1000 times the smallest */
    ASSERT_STR(t_tensor_dt(T_F64, ((double[]){1.5, 2000}), 2),
               "tensor([1.5000e+00, 2.0000e+03], dtype=torch.float64)");
    /* whole numbers past 1e8 */
    ASSERT_STR(t_tensor_dt(T_F64, ((double[]){1e9, 2e9}), 2),
               "tensor([1.0000e+09, 2.0000e+09], dtype=torch.float64)");
    /* a ratio of exactly 1000 stays fixed */
    ASSERT_STR(t_tensor(((float[]){1, 1000}), 2), "tensor([   1., 1000.])");
}

Test(print, nan_and_inf) {
    ASSERT_STR(t_tensor(((float[]){NAN, 1.5f, -INFINITY}), 3), "tensor([   nan, 1.5000,   -inf])");
    ASSERT_STR(t_tensor(((float[]){1e-5f, 1.0f, NAN}), 3),
               "tensor([1.0000e-05, 1.0000e+00,        nan])");
    ASSERT_STR(t_tensor(((float[]){INFINITY, 3}), 2), "tensor([inf, 3.])");
    /* NaN with its sign bit set still prints "nan" */
    ASSERT_STR(t_tensor(((float[]){-NAN}), 1), "tensor([nan])");
}

Test(print, wraps_at_the_line_width) {
    float v[20];
    for (int i = 0; i < 20; i++) v[i] = 0.5f;
    ASSERT_STR(t_tensor(v, 20),
               "tensor([0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000,\n"
               "        0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000,\n"
               "        0.5000, 0.5000])");
}

Test(print, three_dims) {
    ASSERT_STR(t_reshape(t_arange_dt(T_I64, 0, 8, 1), 2, 2, 2),
               "tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]])");
}

Test(print, summarizes_large_vectors) {
    ASSERT_STR(t_arange_dt(T_I64, 0, 2000, 1), "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])");
}

Test(print, summarizes_large_matrices) {
    Tensor *x = t_reshape(t_arange_dt(T_I64, 0, 1200, 1), 40, 30);
    ASSERT_STR(x, "tensor([[   0,    1,    2,  ...,   27,   28,   29],\n"
                  "        [  30,   31,   32,  ...,   57,   58,   59],\n"
                  "        [  60,   61,   62,  ...,   87,   88,   89],\n"
                  "        ...,\n"
                  "        [1110, 1111, 1112,  ..., 1137, 1138, 1139],\n"
                  "        [1140, 1141, 1142,  ..., 1167, 1168, 1169],\n"
                  "        [1170, 1171, 1172,  ..., 1197, 1198, 1199]])");
}

Test(print, summary_width_comes_from_the_shown_values) {
    /* 1e6 sits in the hidden middle, so it does not widen the columns */
    Tensor *x = t_ones(1001);
    t_set(x, 1e6, 500);
    ASSERT_STR(x, "tensor([1., 1., 1.,  ..., 1., 1., 1.])");
}

Test(print, non_contiguous_views) {
    Tensor *x = t_tensor(((float[]){1, 2, 3, 4, 5, 6}), 2, 3);
    ASSERT_STR(t_transpose(x, 0, 1), "tensor([[1., 4.],\n        [2., 5.],\n        [3., 6.]])");
    ASSERT_STR(t_slice(x, 1, 0, T_END, 2), "tensor([[1., 3.],\n        [4., 6.]])");
    ASSERT_STR(t_select(x, 1, 2), "tensor([3., 6.])");
    ASSERT_STR(t_expand(t_tensor(((float[]){7}), 1), 3), "tensor([7., 7., 7.])");
}

Test(print, empty_tensors) {
    ASSERT_STR(t_zeros(0), "tensor([])");
    ASSERT_STR(t_zeros(0, 3), "tensor([], size=(0, 3))");
    ASSERT_STR(t_zeros_dt(T_I64, 0), "tensor([], dtype=torch.int64)");
    ASSERT_STR(t_zeros_dt(T_BOOL, 2, 0), "tensor([], size=(2, 0), dtype=torch.bool)");
}

Test(print, requires_grad_suffix) {
    Tensor *x = t_requires_grad_(t_zeros(3), true);
    ASSERT_STR(x, "tensor([0., 0., 0.], requires_grad=True)");
}

Test(print, grad_fn_suffix) {
    Tensor *a = t_requires_grad_(t_ones(2), true);
    ASSERT_STR(t_add(a, a), "tensor([2., 2.], grad_fn=<AddBackward0>)");
    ASSERT_STR(t_mul_s(a, 3), "tensor([3., 3.], grad_fn=<MulBackward1>)");
}

Test(print, suffix_moves_to_a_new_line_past_the_line_width) {
    Tensor *x = t_tensor_dt(T_F64, ((double[]){0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25,
                                               0.25}), 9);
    ASSERT_STR(x, "tensor([0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500],\n"
                  "       dtype=torch.float64)");
}

/* The error t_str(x) raises (T_NERR_KINDS if none); its message goes to msg. */
static TErrorKind str_error(const Tensor *x, char *msg, size_t cap) {
    volatile TErrorKind kind = T_NERR_KINDS;
    T_TRY { t_str(x); }
    T_CATCH(err) {
        kind = err->kind;
        snprintf(msg, cap, "%s", err->message);
    }
    return kind;
}

Test(print, freed_tensor_raises) {
    Tensor *x = t_zeros(2);
    t_free(x);
    char msg[T_ERR_MSG_MAX] = "";
    cr_assert_eq(str_error(x, msg, sizeof msg), T_ERR_RUNTIME);
    cr_assert(strstr(msg, "t_str"), "message: %s", msg);
}
