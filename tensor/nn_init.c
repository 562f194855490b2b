/*
 * nn_init.c — parameter initialisation as torch.nn.init: fills in place, unrecorded, from
 * the global generator (t_manual_seed), with PyTorch's fan and gain rules.
 */
#include <math.h>
#include <string.h>

#include "nn_internal.h"

/* Raises unless w is a floating tensor with at least 2 dims (what fans need). */
static void need_fans(const char *op, const Tensor *w) {
    if (!w) t_raise(T_ERR_VALUE, "%s: the tensor is NULL", op);
    if (w->ndim < 2)
        t_raise(T_ERR_VALUE, "%s: fan in and fan out can not be computed for a tensor with "
                "fewer than 2 dims, got %s", op, t_shape_str(t_shape_of(w)));
}

/* The product of dims 2... (a convolution kernel's size), 1 for a matrix. */
static int64_t receptive_field(const Tensor *w) {
    int64_t r = 1;
    for (int i = 2; i < w->ndim; i++) r *= w->size[i];
    return r;
}

int64_t nn_init_fan_in(const Tensor *w) {
    need_fans("nn_init_fan_in", w);
    return w->size[1] * receptive_field(w);
}

int64_t nn_init_fan_out(const Tensor *w) {
    need_fans("nn_init_fan_out", w);
    return w->size[0] * receptive_field(w);
}

double nn_init_calculate_gain(const char *nonlinearity, double param) {
    static const char *const linear[] = {"linear", "conv1d", "conv2d", "conv3d", "sigmoid",
                                         "conv_transpose1d", "conv_transpose2d",
                                         "conv_transpose3d"};
    if (!nonlinearity) t_raise(T_ERR_VALUE, "nn_init_calculate_gain: nonlinearity is NULL");
    for (size_t i = 0; i < sizeof linear / sizeof *linear; i++)
        if (strcmp(nonlinearity, linear[i]) == 0) return 1.0;
    if (strcmp(nonlinearity, "tanh") == 0) return 5.0 / 3;
    if (strcmp(nonlinearity, "relu") == 0) return sqrt(2.0);
    if (strcmp(nonlinearity, "leaky_relu") == 0) return sqrt(2.0 / (1 + param * param));
    if (strcmp(nonlinearity, "selu") == 0) return 3.0 / 4;
    t_raise(T_ERR_VALUE, "nn_init_calculate_gain: unsupported nonlinearity \"%s\"", nonlinearity);
    return 0;
}

/* Writes src into w without recording; returns w. */
static Tensor *fill_from(Tensor *w, Tensor *src) {
    T_NO_GRAD { t_copy_(w, src); }
    return w;
}

Tensor *nn_init_uniform_(Tensor *w, double a, double b) {
    if (!w) t_raise(T_ERR_VALUE, "nn_init_uniform_: the tensor is NULL");
    if (!(a <= b)) t_raise(T_ERR_VALUE, "nn_init_uniform_: expected a <= b, got [%g, %g)", a, b);
    return fill_from(w, t_add_s(t_mul_s(t_rand_like(w), b - a), a));
}

Tensor *nn_init_normal_(Tensor *w, double mean, double std) {
    if (!w) t_raise(T_ERR_VALUE, "nn_init_normal_: the tensor is NULL");
    if (!(std >= 0)) t_raise(T_ERR_VALUE, "nn_init_normal_: expected std >= 0, got %g", std);
    return fill_from(w, t_add_s(t_mul_s(t_randn_like(w), std), mean));
}

Tensor *nn_init_constant_(Tensor *w, double value) {
    if (!w) t_raise(T_ERR_VALUE, "nn_init_constant_: the tensor is NULL");
    T_NO_GRAD { t_fill_(w, value); }
    return w;
}

Tensor *nn_init_zeros_(Tensor *w) { return nn_init_constant_(w, 0); }
Tensor *nn_init_ones_(Tensor *w) { return nn_init_constant_(w, 1); }

/* Kaiming's standard deviation gain / sqrt(fan) for the options. */
static double kaiming_std(const char *op, const Tensor *w, KaimingArgs a) {
    need_fans(op, w);
    const char *mode = a.mode ? a.mode : "fan_in";
    int64_t fan = 0;
    if (strcmp(mode, "fan_in") == 0) fan = nn_init_fan_in(w);
    else if (strcmp(mode, "fan_out") == 0) fan = nn_init_fan_out(w);
    else
        t_raise(T_ERR_VALUE, "%s: mode must be \"fan_in\" or \"fan_out\", got \"%s\"", op, mode);
    if (fan == 0) t_raise(T_ERR_VALUE, "%s: cannot initialise an empty tensor %s", op,
                          t_shape_str(t_shape_of(w)));
    double gain = nn_init_calculate_gain(a.nonlinearity ? a.nonlinearity : "leaky_relu", a.a);
    return gain / sqrt((double)fan);
}

Tensor *nn_init_kaiming_uniform_args(Tensor *w, KaimingArgs a) {
    double bound = sqrt(3.0) * kaiming_std("nn_init_kaiming_uniform_", w, a);
    return nn_init_uniform_(w, -bound, bound);
}

Tensor *nn_init_kaiming_normal_args(Tensor *w, KaimingArgs a) {
    return nn_init_normal_(w, 0, kaiming_std("nn_init_kaiming_normal_", w, a));
}

/* Glorot's standard deviation gain sqrt(2 / (fan_in + fan_out)). */
static double xavier_std(const char *op, const Tensor *w, double gain) {
    need_fans(op, w);
    return gain * sqrt(2.0 / (double)(nn_init_fan_in(w) + nn_init_fan_out(w)));
}

Tensor *nn_init_xavier_uniform_(Tensor *w, double gain) {
    double bound = sqrt(3.0) * xavier_std("nn_init_xavier_uniform_", w, gain);
    return nn_init_uniform_(w, -bound, bound);
}

Tensor *nn_init_xavier_normal_(Tensor *w, double gain) {
    return nn_init_normal_(w, 0, xavier_std("nn_init_xavier_normal_", w, gain));
}
