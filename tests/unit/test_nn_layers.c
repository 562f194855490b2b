/* test_nn_layers.c — layers as tensor ops (tensor/conv.c, tensor/pool.c,
   tensor/nn_functional.c, tensor/nn_norm.c, tensor/nn_loss.c, tensor/nn_init.c): shapes,
   values worked out by hand or by PyTorch 1.13, grad_fn names, gradients against finite
   differences (t_gradcheck, float64), and misuse. */
#include <criterion/criterion.h>

#include "helpers.h"

/* A float64 leaf that requires grad, for gradcheck. */
static Tensor *leaf64(Shape s) { return t_requires_grad_(t_randn_shape(s, T_F64), true); }
#define L64(...) leaf64(T_SHAPE(__VA_ARGS__))

/* ---- convolution ---- */

Test(conv2d, values_by_hand) {
    /* a 3x3 input of 0..8 and a 2x2 kernel [[1, 0], [0, -1]]: x[i][j] - x[i+1][j+1] = -4 */
    Tensor *x = t_reshape(t_arange(0, 9, 1), 1, 1, 3, 3);
    Tensor *w = t_tensor(((float[]){1, 0, 0, -1}), 1, 1, 2, 2);
    Tensor *y = t_conv2d(x, w, t_tensor(((float[]){0.5f}), 1));
    T_ASSERT_SHAPE(y, 1, 1, 2, 2);
    T_ASSERT_VALUES(y, 1e-6, -3.5, -3.5, -3.5, -3.5);
    /* padding 1: the top row sees only -x[0][j], and nothing past the right edge */
    Tensor *p = t_conv2d(x, w, NULL, .padding = 1);
    T_ASSERT_SHAPE(p, 1, 1, 4, 4);
    T_ASSERT_VALUES(t_select(t_select(t_select(p, 0, 0), 0, 0), 0, 0), 1e-6, 0, -1, -2, 0);
}

Test(conv2d, output_shapes) {
    Tensor *x = t_randn(2, 4, 11, 10), *w = t_randn(6, 2, 3, 3);
    T_ASSERT_SHAPE(t_conv2d(x, w, NULL, .groups = 2), 2, 6, 9, 8);
    T_ASSERT_SHAPE(t_conv2d(x, w, NULL, .groups = 2, .stride = 2, .padding = 1), 2, 6, 6, 5);
    T_ASSERT_SHAPE(t_conv2d(x, w, NULL, .groups = 2, .dilation = 2), 2, 6, 7, 6);
    T_ASSERT_SHAPE(t_conv2d(t_randn(4, 5, 5), t_randn(3, 4, 2, 2), NULL), 3, 4, 4);
}

/* Largest |a - b| relative to the largest |b|. */
static double rel_diff(Tensor *a, Tensor *b) {
    double scale = t_item(t_max(t_abs(b)));
    return t_item(t_max(t_abs(t_sub(a, b)))) / (scale > 0 ? scale : 1);
}

Test(conv2d, big_batch_matches_image_by_image) {
    /* a batch big enough that the per-image products and the unfolding run on several
       threads, and that its unfolded input (2.4 MB) is unfolded again for the weight's
       gradient; one image at a time they run on one thread and the unfolded input is kept
       from the forward pass: forward and every gradient agree */
    t_manual_seed(3);
    Tensor *x = t_requires_grad_(t_randn(40, 6, 14, 14), true);
    Tensor *w = t_requires_grad_(t_randn(16, 6, 5, 5), true);
    Tensor *b = t_requires_grad_(t_randn(16), true);
    Tensor *g = t_randn(40, 16, 10, 10);
    Tensor *y = t_conv2d(x, w, b);
    t_backward_grad(y, g);
    Tensor *gx = t_grad(x), *gw = t_clone(t_grad(w)), *gb = t_clone(t_grad(b));
    t_zero_grad(w);
    t_zero_grad(b);
    for (int64_t i = 0; i < 40; i++) {
        Tensor *xi = t_detach(t_narrow(x, 0, i, 1));
        t_requires_grad_(xi, true);
        Tensor *yi = t_conv2d(xi, w, b);
        cr_assert(rel_diff(yi, t_narrow(y, 0, i, 1)) < 1e-6, "image %lld's output", (long long)i);
        t_backward_grad(yi, t_narrow(g, 0, i, 1));
        cr_assert(rel_diff(t_grad(xi), t_narrow(gx, 0, i, 1)) < 1e-6,
                  "image %lld's input gradient", (long long)i);
    }
    cr_assert(rel_diff(t_grad(w), gw) < 1e-5, "weight gradient");
    cr_assert(rel_diff(t_grad(b), gb) < 1e-5, "bias gradient");
}

static Tensor *conv_fn(TensorList in, void *ctx) {
    return t_conv2d(in.items[0], in.items[1], in.items[2], .stride = 2, .padding = 1,
                    .dilation = 1, .groups = 2);
}

Test(conv2d, gradcheck_and_grad_fn) {
    t_manual_seed(1);
    TensorList in = T_LIST(L64(2, 4, 5, 6), L64(6, 2, 3, 3), L64(6));
    cr_assert(t_gradcheck(conv_fn, in, NULL));
    cr_assert_str_eq(t_grad_fn_name(conv_fn(in, NULL)), "ConvolutionBackward0");
}

Test(conv2d, misuse) {
    Tensor *x = t_randn(2, 3, 8, 8);
    T_ASSERT_RAISES(T_ERR_SHAPE, t_conv2d(x, t_randn(6, 1, 5, 5), NULL), "t_conv2d",
                    "[6, 1, 5, 5]", "[2, 3, 8, 8]");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_conv2d(x, t_randn(6, 3, 9, 9), NULL), "smaller than the kernel");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_conv2d(x, t_randn(6, 3, 3, 3), t_randn(5)), "bias", "[6]");
    T_ASSERT_RAISES(T_ERR_VALUE, t_conv2d(x, t_randn(6, 3, 3, 3), NULL, .stride = 0), "stride=0");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_conv2d(x, t_randn_dt(T_F64, 6, 3, 3, 3), NULL), "float64");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_conv2d(t_randn(8, 8), t_randn(6, 3, 3, 3), NULL), "[8, 8]");
}

/* ---- pooling ---- */

Test(pool, max_values_and_indices) {
    Tensor *x = t_tensor(((float[]){1, 5, 2, 0, 3, 4, 8, 1, 0, 9, 1, 1, 2, 2, 7, 3}), 1, 1, 4, 4);
    Tensor *idx;
    Tensor *y = t_max_pool2d_with_indices(x, 2, (Pool2dArgs){.dilation = 1}, &idx);
    T_ASSERT_VALUES(y, 0, 5, 8, 9, 7);
    T_ASSERT_VALUES(idx, 0, 1, 6, 9, 14);
    cr_assert_str_eq(t_grad_fn_name(t_max_pool2d(t_requires_grad_(x, true), 2)),
                     "MaxPool2DWithIndicesBackward0");
    /* the gradient goes to the winners only */
    t_backward(t_sum(t_max_pool2d(x, 2)));
    T_ASSERT_VALUES(t_grad(x), 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0);
}

Test(pool, max_nan_wins) {
    Tensor *x = t_tensor(((float[]){1, NAN, 2, 3}), 1, 1, 2, 2);
    cr_assert(isnan(t_item(t_max_pool2d(x, 2))));
    /* two NaNs: the index is the last one's (PyTorch's rule), in the 2x2 path and the
       general one (a 3x3 window with padding) */
    Tensor *idx;
    Tensor *two = t_tensor(((float[]){NAN, 1, NAN, 0}), 1, 1, 2, 2);
    t_max_pool2d_with_indices(two, 2, (Pool2dArgs){.dilation = 1}, &idx);
    T_ASSERT_VALUES(idx, 0, 2);
    Tensor *y = t_max_pool2d_with_indices(two, 3, (Pool2dArgs){.stride = 1, .padding = 1,
                                                              .dilation = 1}, &idx);
    cr_assert(isnan(t_flat_get(y, 3)));
    T_ASSERT_VALUES(idx, 0, 2, 2, 2, 2);
}

Test(pool, max_2x2_wide_rows_ties_and_nans) {
    /* rows wide enough for the vectorized 2x2 loop: each window of this 2 x 96 input is one of
       six cases (ties, a NaN in any position, two NaNs, all -inf), checked against PyTorch's
       rule taken one candidate at a time: a larger value or a NaN replaces the best so far */
    enum { W = 96, OW = W / 2 };
    float v[2 * W];
    for (int ox = 0; ox < OW; ox++) {
        float *a = &v[2 * ox], *c = &v[W + 2 * ox];
        const float cases[6][4] = {{1, 1, 0, 1},       {0, NAN, 5, 2},      {3, 2, 1, NAN},
                                   {NAN, 4, NAN, 9},   {-INFINITY, -INFINITY, -INFINITY,
                                                        -INFINITY},         {2, 7, 7, -1}};
        const float *k = cases[ox % 6];
        a[0] = k[0], a[1] = k[1], c[0] = k[2], c[1] = k[3];
        a[0] += (float)ox, a[1] += (float)ox, c[0] += (float)ox, c[1] += (float)ox;
    }
    Tensor *idx;
    Tensor *y = t_max_pool2d_with_indices(t_tensor(v, 1, 1, 2, W), 2,
                                          (Pool2dArgs){.dilation = 1}, &idx);
    T_ASSERT_SHAPE(y, 1, 1, 1, OW);
    for (int ox = 0; ox < OW; ox++) {
        const int at[4] = {2 * ox, 2 * ox + 1, W + 2 * ox, W + 2 * ox + 1};
        float best = v[at[0]];
        int where = at[0];
        for (int k = 1; k < 4; k++)
            if (v[at[k]] > best || isnan(v[at[k]])) best = v[at[k]], where = at[k];
        cr_assert_eq(t_flat_get(idx, ox), where, "window %d: index %g, expected %d", ox,
                     t_flat_get(idx, ox), where);
        double got = t_flat_get(y, ox);
        cr_assert(isnan(best) ? isnan(got) : got == best, "window %d: %g, expected %g", ox,
                  got, best);
    }
}

Test(pool, avg_values) {
    Tensor *x = t_reshape(t_arange(0, 16, 1), 1, 1, 4, 4);
    T_ASSERT_VALUES(t_avg_pool2d(x, 2), 1e-6, 2.5, 4.5, 10.5, 12.5);
    /* padding 1 with a 3x3 window: the corner sees 0, 1, 4, 5 over 9 (or over 4) */
    T_ASSERT_VALUES(t_select(t_flatten(t_avg_pool2d(x, 3, .stride = 3, .padding = 1), 0), 0, 0),
                    1e-6, 10.0 / 9);
    T_ASSERT_VALUES(t_select(t_flatten(t_avg_pool2d(x, 3, .stride = 3, .padding = 1,
                                                    .count_include_pad = false), 0), 0, 0),
                    1e-6, 2.5);
}

Test(pool, adaptive_values) {
    Tensor *x = t_reshape(t_arange(0, 15, 1), 1, 3, 5); /* [C=1, 3, 5] */
    /* rows bins {0, 1}, {1, 2}; columns {0, 1, 2}, {2, 3, 4} */
    T_ASSERT_VALUES(t_adaptive_avg_pool2d(x, 2, 2), 1e-5, 3.5, 5.5, 8.5, 10.5);
    T_ASSERT_SHAPE(t_adaptive_avg_pool2d(t_randn(2, 3, 7, 7), 1, 1), 2, 3, 1, 1);
}

static Tensor *pools_fn(TensorList in, void *ctx) {
    Tensor *x = in.items[0];
    Tensor *a = t_max_pool2d(x, 3, .stride = 2, .padding = 1);
    Tensor *b = t_avg_pool2d(x, 3, .stride = 2, .padding = 1, .count_include_pad = false);
    Tensor *c = t_adaptive_avg_pool2d(x, 3, 3);
    return t_add(t_add(a, b), c);
}

Test(pool, gradcheck) {
    t_manual_seed(2);
    cr_assert(t_gradcheck(pools_fn, T_LIST(L64(2, 2, 6, 5)), NULL));
}

Test(pool, misuse) {
    T_ASSERT_RAISES(T_ERR_VALUE, t_max_pool2d(t_randn(1, 1, 8, 8), 2, .padding = 2),
                    "at most half");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_max_pool2d(t_randn(1, 1, 2, 2), 3), "smaller");
    T_ASSERT_RAISES(T_ERR_SHAPE, t_max_pool2d(t_randn(4, 4), 2), "[4, 4]");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_avg_pool2d(t_ones_dt(T_I64, 1, 1, 4, 4), 2), "int64");
    T_ASSERT_RAISES(T_ERR_VALUE, t_adaptive_avg_pool2d(t_randn(1, 4, 4), 0, 2), "0x2");
}

/* ---- activations, dropout, normalisation, embedding ---- */

Test(functional, activations) {
    Tensor *x = t_tensor(((float[]){-2, -0.5f, 0, 1.5f}), 4);
    T_ASSERT_VALUES(t_leaky_relu(x, 0.1), 1e-6, -0.2, -0.05, 0, 1.5);
    /* torch.nn.functional.gelu(torch.tensor([-2, -0.5, 0, 1.5])) */
    T_ASSERT_VALUES(t_gelu(x), 1e-6, -0.0455003, -0.1542688, 0, 1.3997892);
    T_ASSERT_VALUES(t_gelu_tanh(x), 1e-6, -0.0454023, -0.1542860, 0, 1.3995716);
}

static Tensor *gelu_fn(TensorList in, void *ctx) { return t_gelu(in.items[0]); }

Test(functional, gelu_gradcheck) {
    t_manual_seed(4);
    Tensor *x = L64(3, 4);
    cr_assert(t_gradcheck(gelu_fn, T_LIST(x), NULL));
    cr_assert_str_eq(t_grad_fn_name(t_gelu(x)), "GeluBackward0");
}

Test(functional, dropout) {
    t_manual_seed(5);
    Tensor *x = t_ones(100, 100);
    cr_assert_eq(t_dropout(x, 0.5, false), x);
    Tensor *y = t_dropout(x, 0.25, true);
    double kept = t_item(t_mean(t_to_dtype(t_ne_s(y, 0), T_F32)));
    cr_assert(fabs(kept - 0.75) < 0.03, "kept %g of the elements, expected about 0.75", kept);
    cr_assert(t_close(t_item(t_max(y)), 1 / 0.75, 1e-6, 0));
    T_ASSERT_VALUES(t_sum(t_dropout(t_ones(4), 1, true)), 0, 0);
    T_ASSERT_RAISES(T_ERR_VALUE, t_dropout(x, -0.1, true), "between 0 and 1");
}

Test(functional, linear) {
    Tensor *x = t_tensor(((float[]){1, 2, 3, 4, 5, 6}), 2, 3);
    Tensor *w = t_tensor(((float[]){1, 0, -1, 2, 1, 0}), 2, 3);
    Tensor *y = t_linear(x, w, t_tensor(((float[]){10, 20}), 2));
    T_ASSERT_VALUES(y, 1e-6, 8, 24, 8, 33);
    T_ASSERT_SHAPE(t_linear(t_randn(2, 5, 3), w, NULL), 2, 5, 2);
    T_ASSERT_RAISES(T_ERR_SHAPE, t_linear(t_randn(2, 4), w, NULL), "[2, 3]", "[2, 4]");
}

static Tensor *norm_fn(TensorList in, void *ctx) {
    Tensor *bn = t_batch_norm(in.items[0], .weight = in.items[1], .bias = in.items[2],
                              .training = true);
    return t_layer_norm(bn, 2, NULL, NULL, 1e-5);
}

Test(functional, norms) {
    t_manual_seed(6);
    cr_assert(t_gradcheck(norm_fn, T_LIST(L64(4, 3, 2, 2), L64(3), L64(3)), NULL));
    /* normalised rows have mean 0 and (biased) variance 1 */
    Tensor *y = t_layer_norm(t_randn(5, 8), 1, NULL, NULL, 1e-5);
    T_ASSERT_VALUES(t_mean_dim(y, 1, false), 1e-5, 0, 0, 0, 0, 0);
    T_ASSERT_VALUES(t_var_dim(y, 1, false, 0), 1e-3, 1, 1, 1, 1, 1);
    T_ASSERT_RAISES(T_ERR_VALUE, t_batch_norm(t_randn(1, 3), .training = true), "more than 1");
}

Test(functional, batch_norm_running_stats) {
    Tensor *x = t_tensor(((float[]){1, 10, 3, 20}), 2, 2); /* channel means 2, 15 */
    Tensor *rm = t_zeros(2), *rv = t_ones(2);
    t_batch_norm(x, .running_mean = rm, .running_var = rv, .training = true);
    /* running = 0.9 old + 0.1 batch, with the unbiased variances 2 and 50 */
    T_ASSERT_VALUES(rm, 1e-6, 0.2, 1.5);
    T_ASSERT_VALUES(rv, 1e-6, 1.1, 5.9);
    Tensor *y = t_batch_norm(x, .running_mean = rm, .running_var = rv);
    T_ASSERT_VALUES(t_select(y, 0, 0), 1e-4, (1 - 0.2) / sqrt(1.1 + 1e-5),
                    (10 - 1.5) / sqrt(5.9 + 1e-5));
}

Test(functional, embedding) {
    Tensor *w = t_requires_grad_(t_reshape(t_arange(0, 8, 1), 4, 2), true);
    Tensor *idx = t_tensor_dt(T_I64, ((int64_t[]){3, 0, 3}), 3);
    Tensor *y = t_embedding(idx, w);
    T_ASSERT_VALUES(y, 0, 6, 7, 0, 1, 6, 7);
    cr_assert_str_eq(t_grad_fn_name(y), "EmbeddingBackward0");
    t_backward(t_sum(y));
    T_ASSERT_VALUES(t_grad(w), 0, 1, 1, 0, 0, 0, 0, 2, 2);
    T_ASSERT_RAISES(T_ERR_INDEX, t_embedding(t_tensor_dt(T_I64, ((int64_t[]){4}), 1), w), "4");
}

/* ---- losses ---- */

Test(loss, cross_entropy_values) {
    /* logits [[0, 0], [ln 3, 0]] at classes 0 and 1: -ln(1/2) and -ln(1/4) */
    Tensor *x = t_tensor(((float[]){0, 0, (float)log(3.0), 0}), 2, 2);
    Tensor *y = t_tensor_dt(T_I64, ((int64_t[]){0, 1}), 2);
    double a = log(2.0), b = log(4.0);
    T_ASSERT_VALUES(nn_cross_entropy(x, y), 1e-6, (a + b) / 2);
    T_ASSERT_VALUES(nn_cross_entropy(x, y, .reduction = T_REDUCE_SUM), 1e-6, a + b);
    T_ASSERT_VALUES(nn_cross_entropy(x, y, .reduction = T_REDUCE_NONE), 1e-6, a, b);
    T_ASSERT_VALUES(nn_cross_entropy(x, y, .ignore_index = 1), 1e-6, a);
    /* one unbatched sample: logits [C] and a 0-d target */
    Tensor *one = nn_cross_entropy(t_select(x, 0, 1), t_scalar_dt(T_I64, 1));
    T_ASSERT_SHAPE(one);
    T_ASSERT_VALUES(one, 1e-6, b);
}

Test(loss, cross_entropy_is_stable) {
    Tensor *x = t_tensor(((float[]){1000, 0, -1000, 0}), 2, 2);
    Tensor *x_leaf = t_requires_grad_(x, true);
    Tensor *loss = nn_cross_entropy(x_leaf, t_tensor_dt(T_I64, ((int64_t[]){1, 0}), 2));
    T_ASSERT_VALUES(loss, 1e-3, 1000);
    t_backward(loss);
    T_ASSERT_VALUES(t_grad(x_leaf), 1e-6, 0.5, -0.5, -0.5, 0.5);
}

static Tensor *losses_fn(TensorList in, void *ctx) {
    Tensor *x = in.items[0], *y = ctx;
    Tensor *total = nn_cross_entropy(x, y, .label_smoothing = 0.2);
    total = t_add(total, nn_mse_loss(x, t_ones_like(x)));
    total = t_add(total, nn_bce_with_logits(x, t_full_like(x, 0.3)));
    return t_add(total, nn_bce_loss(t_sigmoid(x), t_full_like(x, 0.7), .reduction = T_REDUCE_SUM));
}

Test(loss, gradcheck) {
    t_manual_seed(8);
    Tensor *y = t_tensor_dt(T_I64, ((int64_t[]){2, 0, 1}), 3);
    cr_assert(t_gradcheck(losses_fn, T_LIST(L64(3, 4)), y));
}

Test(loss, misuse) {
    Tensor *x = t_randn(3, 4);
    T_ASSERT_RAISES(T_ERR_INDEX, nn_cross_entropy(x, t_tensor_dt(T_I64, ((int64_t[]){0, 4, 1}), 3)),
                    "target 4", "4 classes");
    T_ASSERT_RAISES(T_ERR_SHAPE, nn_cross_entropy(x, t_zeros_dt(T_I64, 2)), "[3, 4]", "[2]");
    T_ASSERT_RAISES(T_ERR_DTYPE, nn_cross_entropy(x, t_zeros_dt(T_I32, 3)), "int64", "int32");
    T_ASSERT_RAISES(T_ERR_VALUE, nn_cross_entropy(x, t_zeros_dt(T_I64, 3), .label_smoothing = 2),
                    "label_smoothing");
    T_ASSERT_RAISES(T_ERR_VALUE, nn_bce_loss(x, t_zeros(3, 4)), "between 0 and 1");
    T_ASSERT_RAISES(T_ERR_SHAPE, nn_mse_loss(x, t_zeros(3, 5)), "nn_mse_loss");
}

/* ---- initialisation ---- */

Test(init, fans_gains_and_fills) {
    Tensor *w = t_empty(6, 3, 5, 5);
    cr_assert_eq(nn_init_fan_in(w), 75);
    cr_assert_eq(nn_init_fan_out(w), 150);
    cr_assert(t_close(nn_init_calculate_gain("leaky_relu", sqrt(5.0)), sqrt(1.0 / 3), 1e-12, 0));
    cr_assert(t_close(nn_init_calculate_gain("relu", 0), sqrt(2.0), 1e-12, 0));
    T_ASSERT_VALUES(t_sum(nn_init_ones_(t_empty(2, 2))), 0, 4);
    T_ASSERT_VALUES(t_sum(nn_init_zeros_(t_empty(2, 2))), 0, 0);
    t_manual_seed(9);
    Tensor *big = t_empty(200, 300);
    nn_init_xavier_uniform_(big, 1);
    double bound = sqrt(6.0 / 500);
    cr_assert_leq(t_item(t_max(t_abs(big))), bound);
    nn_init_kaiming_normal_(big, .mode = "fan_out", .nonlinearity = "relu");
    cr_assert(t_close(t_item(t_std(big)), sqrt(2.0 / 200), 0, 0.02));
    nn_init_normal_(big, 3, 0.5);
    cr_assert(t_close(t_item(t_mean(big)), 3, 0.01, 0));
    T_ASSERT_RAISES(T_ERR_VALUE, nn_init_xavier_uniform_(t_empty(5), 1), "fewer than 2");
    T_ASSERT_RAISES(T_ERR_VALUE, nn_init_kaiming_uniform_(big, .mode = "fan_avg"), "fan_avg");
    T_ASSERT_RAISES(T_ERR_VALUE, nn_init_calculate_gain("swish", 0), "swish");
}
