/*
 * nn_norm.c — batch and layer normalisation, composed from differentiable ops (means,
 * differences, a power), so their gradients come from the ops' own backward formulas.
 */
#include "autograd.h"
#include "nn_internal.h"

/* Raises unless t (when given) is a 1-d tensor of size c on x's device and dtype. */
static void check_per_channel(const char *op, const char *what, const Tensor *t, int64_t c,
                              const Tensor *x) {
    if (!t) return;
    if (t->ndim != 1 || t->size[0] != c)
        t_raise(T_ERR_SHAPE, "%s: expected %s of shape [%lld] for the input %s, got %s", op,
                what, (long long)c, t_shape_str(t_shape_of(x)), t_shape_str(t_shape_of(t)));
    if (t->dtype != x->dtype)
        t_raise(T_ERR_DTYPE, "%s: %s is %s but the input is %s", op, what,
                t_dtype_name(t->dtype), t_dtype_name(x->dtype));
    t_check_same_device(op, x, t);
}

/* t ([C]) viewed as [1, C, 1, ...] to broadcast over an ndim-d input. */
static Tensor *per_channel(Tensor *t, int ndim) {
    Shape s = {ndim, {0}};
    for (int i = 0; i < ndim; i++) s.d[i] = 1;
    s.d[1] = t->size[0];
    return t_reshape_shape(t, s);
}

/* The mean of x over every dim but dim 1, kept as size-1 dims. */
static Tensor *mean_but_channels(Tensor *x) {
    Tensor *m = x;
    for (int d = x->ndim - 1; d >= 0; d--)
        if (d != 1) m = t_mean_dim(m, d, true);
    return m;
}

/* running = (1 - momentum) running + momentum scale batch, in place and unrecorded. */
static void update_running(Tensor *running, Tensor *batch, double momentum, double scale) {
    T_NO_GRAD {
        t_mul_s_(running, 1 - momentum);
        t_add_(running, t_mul_s(t_reshape(batch, -1), momentum * scale));
    }
}

Tensor *t_batch_norm_args(Tensor *x, BatchNormArgs a) {
    const char *op = "t_batch_norm";
    if (!x) t_raise(T_ERR_VALUE, "%s: the input is NULL", op);
    t_nn_need_floating(op, x);
    if (x->ndim < 2)
        t_raise(T_ERR_SHAPE, "%s: expected an input [N, C, ...] of 2 or more dims, got %s", op,
                t_shape_str(t_shape_of(x)));
    int64_t c = x->size[1], per_channel_count = c ? t_numel(x) / c : 0;
    check_per_channel(op, "running_mean", a.running_mean, c, x);
    check_per_channel(op, "running_var", a.running_var, c, x);
    check_per_channel(op, "weight", a.weight, c, x);
    check_per_channel(op, "bias", a.bias, c, x);
    if (!a.running_mean != !a.running_var)
        t_raise(T_ERR_VALUE, "%s: give both running_mean and running_var, or neither", op);
    bool batch_stats = a.training || !a.running_mean;
    Tensor *y;
    if (batch_stats) {
        if (per_channel_count <= 1)
            t_raise(T_ERR_VALUE, "%s: expected more than 1 value per channel when training, "
                    "got input size %s", op, t_shape_str(t_shape_of(x)));
        Tensor *mean = mean_but_channels(x), *centered = t_sub(x, mean);
        Tensor *var = mean_but_channels(t_mul(centered, centered)); /* biased, as PyTorch */
        y = t_mul(centered, t_pow_s(t_add_s(var, a.eps), -0.5));
        if (a.training && a.running_mean) {
            double unbias = (double)per_channel_count / (double)(per_channel_count - 1);
            update_running(a.running_mean, mean, a.momentum, 1);
            update_running(a.running_var, var, a.momentum, unbias);
        }
    } else {
        Tensor *mean = per_channel(a.running_mean, x->ndim);
        Tensor *var = per_channel(a.running_var, x->ndim);
        y = t_mul(t_sub(x, mean), t_pow_s(t_add_s(var, a.eps), -0.5));
    }
    if (a.weight) y = t_mul(y, per_channel(a.weight, x->ndim));
    if (a.bias) y = t_add(y, per_channel(a.bias, x->ndim));
    return y;
}

Tensor *t_layer_norm(Tensor *x, int normalized_dims, Tensor *weight, Tensor *bias, double eps) {
    const char *op = "t_layer_norm";
    if (!x) t_raise(T_ERR_VALUE, "%s: the input is NULL", op);
    t_nn_need_floating(op, x);
    if (normalized_dims < 1 || normalized_dims > x->ndim)
        t_raise(T_ERR_VALUE, "%s: cannot normalise the last %d dims of an input %s", op,
                normalized_dims, t_shape_str(t_shape_of(x)));
    Shape last = {normalized_dims, {0}}, rows = {x->ndim - normalized_dims + 1, {0}};
    int64_t count = 1;
    for (int i = 0; i < normalized_dims; i++) {
        last.d[i] = x->size[x->ndim - normalized_dims + i];
        count *= last.d[i];
    }
    for (int i = 0; i < rows.ndim - 1; i++) rows.d[i] = x->size[i];
    rows.d[rows.ndim - 1] = count;
    const Tensor *affine[] = {weight, bias};
    for (int i = 0; i < 2; i++) {
        const Tensor *t = affine[i];
        if (!t) continue;
        Shape s = t_shape_of(t);
        bool same = s.ndim == last.ndim;
        for (int d = 0; same && d < s.ndim; d++) same = s.d[d] == last.d[d];
        if (!same)
            t_raise(T_ERR_SHAPE, "%s: expected %s of shape %s (the input's last %d dims), got %s",
                    op, i ? "bias" : "weight", t_shape_str(last), normalized_dims,
                    t_shape_str(s));
        t_check_same_device(op, x, t);
    }
    Tensor *x2 = t_reshape_shape(x, rows);
    Tensor *centered = t_sub(x2, t_mean_dim(x2, -1, true));
    Tensor *var = t_mean_dim(t_mul(centered, centered), -1, true);
    Tensor *y = t_reshape_shape(t_mul(centered, t_pow_s(t_add_s(var, eps), -0.5)), t_shape_of(x));
    if (weight) y = t_mul(y, weight);
    if (bias) y = t_add(y, bias);
    return y;
}
