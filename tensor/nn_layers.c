/*
 * nn_layers.c — the layer modules that wrap one tensor op each: Linear, Conv2d, the pooling
 * layers, the activations, Flatten and Sequential. Each is a struct whose first member is a
 * Module, with PyTorch's parameter names, initialisation and printed form.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_internal.h"

/* Significant digits that always give back a double when read (what repr relies on). */
enum { DOUBLE_ROUND_TRIP_DIGITS = 17 };
/* Python's repr switches to exponent notation outside [1e-4, 1e16). */
#define PY_REPR_SMALL 1e-4
#define PY_REPR_LARGE 1e16

const char *t_py_float(double v) {
    if (isnan(v)) return "nan";
    if (isinf(v)) return v > 0 ? "inf" : "-inf";
    char digits[64];
    for (int prec = 1; prec <= DOUBLE_ROUND_TRIP_DIGITS; prec++) {
        snprintf(digits, sizeof digits, "%.*e", prec - 1, v);
        if (strtod(digits, NULL) == v) break;
    }
    /* digits is d.ddde±XX: rebuild Python's repr from the mantissa and exponent */
    char *e = strchr(digits, 'e');
    int exp10 = atoi(e + 1);
    *e = '\0';
    double a = fabs(v);
    if (a != 0 && (a < PY_REPR_SMALL || a >= PY_REPR_LARGE)) {
        size_t len = strlen(digits);
        while (len > 1 && digits[len - 1] == '0') digits[--len] = '\0';
        if (digits[len - 1] == '.') digits[--len] = '\0';
        return t_gc_sprintf("%se%c%02d", digits, exp10 < 0 ? '-' : '+', abs(exp10));
    }
    int sig = 0;
    for (const char *p = digits; *p; p++) sig += *p >= '0' && *p <= '9';
    int decimals = sig - 1 - exp10;
    char *s = t_gc_sprintf("%.*f", decimals > 0 ? decimals : 0, v);
    return decimals > 0 ? s : t_gc_sprintf("%s.0", s);
}

/* "True" or "False", as Python prints a bool. */
static const char *py_bool(bool b) { return b ? "True" : "False"; }

/* ---- Linear ---- */

typedef struct Linear {
    Module m;
    int64_t in, out;
    Tensor *weight, *bias;
} Linear;

/* "in_features=400, out_features=120, bias=True". */
static const char *linear_repr(const Module *self) {
    const Linear *l = (const Linear *)self;
    return t_gc_sprintf("in_features=%lld, out_features=%lld, bias=%s", (long long)l->in,
                        (long long)l->out, py_bool(l->bias != NULL));
}

/* x W^T + b, after checking x's last dim against in_features. */
static Tensor *linear_forward(Module *self, Tensor *x) {
    Linear *l = (Linear *)self;
    if (x->ndim < 1 || x->size[x->ndim - 1] != l->in)
        t_raise(T_ERR_SHAPE, "Linear(%s): expected an input [..., %lld], got %s",
                linear_repr(self), (long long)l->in, t_shape_str(t_shape_of(x)));
    return t_linear(x, l->weight, l->bias);
}

/* PyTorch's reset_parameters of Linear and Conv2d: weight kaiming_uniform_(a = sqrt(5)),
   bias uniform in +-1/sqrt(fan_in). */
static void reset_weight_bias(Tensor *weight, Tensor *bias) {
    nn_init_kaiming_uniform_(weight, .a = sqrt(5.0));
    int64_t fan_in = nn_init_fan_in(weight);
    if (bias && fan_in > 0) nn_init_uniform_(bias, -1 / sqrt((double)fan_in), 1 / sqrt((double)fan_in));
}

Module *nn_linear_opts(int64_t in_features, int64_t out_features, LinearOpts o) {
    if (in_features < 0 || out_features < 0)
        t_raise(T_ERR_VALUE, "nn_linear: expected sizes >= 0, got in_features=%lld, "
                "out_features=%lld", (long long)in_features, (long long)out_features);
    Linear *l = NN_NEW(Linear, linear_forward);
    l->m.extra_repr = linear_repr;
    l->in = in_features, l->out = out_features;
    l->weight = nn_add_param(l, "weight", t_empty(out_features, in_features));
    if (o.bias) l->bias = nn_add_param(l, "bias", t_empty(out_features));
    reset_weight_bias(l->weight, l->bias);
    return &l->m;
}

/* ---- Conv2d ---- */

typedef struct Conv2d {
    Module m;
    int64_t in, out, k;
    Conv2dArgs args;
    Tensor *weight, *bias;
} Conv2d;

/* PyTorch's Conv2d text: channels, kernel and stride, then the options that differ from
   their defaults. */
static const char *conv_repr(const Module *self) {
    const Conv2d *c = (const Conv2d *)self;
    TBuf b = {0};
    t_buf_printf(&b, "%lld, %lld, kernel_size=(%lld, %lld), stride=(%lld, %lld)",
                 (long long)c->in, (long long)c->out, (long long)c->k, (long long)c->k,
                 (long long)c->args.stride, (long long)c->args.stride);
    if (c->args.padding)
        t_buf_printf(&b, ", padding=(%lld, %lld)", (long long)c->args.padding,
                     (long long)c->args.padding);
    if (c->args.dilation != 1)
        t_buf_printf(&b, ", dilation=(%lld, %lld)", (long long)c->args.dilation,
                     (long long)c->args.dilation);
    if (c->args.groups != 1) t_buf_printf(&b, ", groups=%lld", (long long)c->args.groups);
    if (!c->bias) t_buf_puts(&b, ", bias=False");
    return b.data;
}

/* The convolution, after checking x's channels against in_channels. */
static Tensor *conv_forward(Module *self, Tensor *x) {
    Conv2d *c = (Conv2d *)self;
    if ((x->ndim != 3 && x->ndim != 4) || x->size[x->ndim - 3] != c->in)
        t_raise(T_ERR_SHAPE, "Conv2d(%s): expected an input [N, %lld, H, W] or [%lld, H, W] "
                "(%lld channels), got %s", conv_repr(self), (long long)c->in, (long long)c->in,
                (long long)c->in, t_shape_str(t_shape_of(x)));
    return t_conv2d_args(x, c->weight, c->bias, c->args);
}

Module *nn_conv2d_opts(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
                       Conv2dOpts o) {
    if (in_channels < 1 || out_channels < 1 || kernel_size < 1)
        t_raise(T_ERR_VALUE, "nn_conv2d: expected channels and kernel_size >= 1, got (%lld, "
                "%lld, %lld)", (long long)in_channels, (long long)out_channels,
                (long long)kernel_size);
    if (o.groups < 1 || in_channels % o.groups || out_channels % o.groups)
        t_raise(T_ERR_VALUE, "nn_conv2d: in_channels (%lld) and out_channels (%lld) must be "
                "divisible by groups (%lld)", (long long)in_channels, (long long)out_channels,
                (long long)o.groups);
    if (o.stride < 1 || o.dilation < 1 || o.padding < 0)
        t_raise(T_ERR_VALUE, "nn_conv2d: expected stride, dilation >= 1 and padding >= 0, got "
                "stride=%lld, padding=%lld, dilation=%lld", (long long)o.stride,
                (long long)o.padding, (long long)o.dilation);
    Conv2d *c = NN_NEW(Conv2d, conv_forward);
    c->m.extra_repr = conv_repr;
    c->in = in_channels, c->out = out_channels, c->k = kernel_size;
    c->args = (Conv2dArgs){o.stride, o.padding, o.dilation, o.groups};
    c->weight = nn_add_param(c, "weight", t_empty(out_channels, in_channels / o.groups,
                                                  kernel_size, kernel_size));
    if (o.bias) c->bias = nn_add_param(c, "bias", t_empty(out_channels));
    reset_weight_bias(c->weight, c->bias);
    return &c->m;
}

/* ---- pooling ---- */

typedef struct Pool2d {
    Module m;
    int64_t k;
    Pool2dArgs args;
    int64_t out_h, out_w; /* adaptive pooling's output size */
} Pool2d;

/* PyTorch's MaxPool2d text (stride shown as the kernel size when not given). */
static const char *max_pool_repr(const Module *self) {
    const Pool2d *p = (const Pool2d *)self;
    return t_gc_sprintf("kernel_size=%lld, stride=%lld, padding=%lld, dilation=%lld, "
                        "ceil_mode=%s", (long long)p->k,
                        (long long)(p->args.stride ? p->args.stride : p->k),
                        (long long)p->args.padding, (long long)p->args.dilation,
                        py_bool(p->args.ceil_mode));
}

/* PyTorch's AvgPool2d text. */
static const char *avg_pool_repr(const Module *self) {
    const Pool2d *p = (const Pool2d *)self;
    return t_gc_sprintf("kernel_size=%lld, stride=%lld, padding=%lld", (long long)p->k,
                        (long long)(p->args.stride ? p->args.stride : p->k),
                        (long long)p->args.padding);
}

/* "output_size=(h, w)". */
static const char *adaptive_repr(const Module *self) {
    const Pool2d *p = (const Pool2d *)self;
    return t_gc_sprintf("output_size=(%lld, %lld)", (long long)p->out_h, (long long)p->out_w);
}

/* The pooling modules' forwards: the op with the module's options. */
static Tensor *max_pool_forward(Module *self, Tensor *x) {
    Pool2d *p = (Pool2d *)self;
    return t_max_pool2d_args(x, p->k, p->args);
}

static Tensor *avg_pool_forward(Module *self, Tensor *x) {
    Pool2d *p = (Pool2d *)self;
    return t_avg_pool2d_args(x, p->k, p->args);
}

static Tensor *adaptive_forward(Module *self, Tensor *x) {
    Pool2d *p = (Pool2d *)self;
    return t_adaptive_avg_pool2d(x, p->out_h, p->out_w);
}

/* A pooling module of the given kind (its name, forward and printed form). */
static Module *pool_module(const char *name, ModuleForward f, ModuleExtraRepr repr, int64_t k,
                           Pool2dArgs args) {
    Pool2d *p = (Pool2d *)nn_new_(sizeof(Pool2d), name, f);
    p->m.extra_repr = repr;
    p->k = k;
    p->args = args;
    return &p->m;
}

Module *nn_max_pool2d_opts(int64_t kernel_size, Pool2dArgs o) {
    if (kernel_size < 1) t_raise(T_ERR_VALUE, "nn_max_pool2d: kernel_size must be >= 1");
    return pool_module("MaxPool2d", max_pool_forward, max_pool_repr, kernel_size, o);
}

Module *nn_avg_pool2d_opts(int64_t kernel_size, Pool2dArgs o) {
    if (kernel_size < 1) t_raise(T_ERR_VALUE, "nn_avg_pool2d: kernel_size must be >= 1");
    return pool_module("AvgPool2d", avg_pool_forward, avg_pool_repr, kernel_size, o);
}

Module *nn_adaptive_avg_pool2d(int64_t out_h, int64_t out_w) {
    if (out_h < 1 || out_w < 1)
        t_raise(T_ERR_VALUE, "nn_adaptive_avg_pool2d: output size must be >= 1, got (%lld, "
                "%lld)", (long long)out_h, (long long)out_w);
    Module *m = pool_module("AdaptiveAvgPool2d", adaptive_forward, adaptive_repr, 0,
                            (Pool2dArgs){0});
    ((Pool2d *)m)->out_h = out_h, ((Pool2d *)m)->out_w = out_w;
    return m;
}

/* ---- activations ---- */

/* A module around one op of a tensor, with a scalar and an int option. */
typedef struct Activation {
    Module m;
    double p;
    int dim;
} Activation;

static Tensor *relu_forward(Module *self, Tensor *x) { return t_relu(x); }
static Tensor *sigmoid_forward(Module *self, Tensor *x) { return t_sigmoid(x); }
static Tensor *tanh_forward(Module *self, Tensor *x) { return t_tanh(x); }
static Tensor *gelu_forward(Module *self, Tensor *x) { return t_gelu(x); }
/* The activations with an option: the slope, the softmax dim, the dropout probability
   (and the module's training mode). */
static Tensor *leaky_forward(Module *self, Tensor *x) {
    return t_leaky_relu(x, ((Activation *)self)->p);
}
static Tensor *softmax_forward(Module *self, Tensor *x) {
    return t_softmax(x, ((Activation *)self)->dim);
}
static Tensor *dropout_forward(Module *self, Tensor *x) {
    return t_dropout(x, ((Activation *)self)->p, self->state->training);
}

static const char *gelu_repr(const Module *self) { return "approximate='none'"; }
/* The activations' texts, as PyTorch prints their options. */
static const char *leaky_repr(const Module *self) {
    return t_gc_sprintf("negative_slope=%s", t_py_float(((const Activation *)self)->p));
}
static const char *softmax_repr(const Module *self) {
    return t_gc_sprintf("dim=%d", ((const Activation *)self)->dim);
}
static const char *dropout_repr(const Module *self) {
    return t_gc_sprintf("p=%s, inplace=False", t_py_float(((const Activation *)self)->p));
}

/* An activation module: its name, forward, printed form and options. */
static Module *activation(const char *name, ModuleForward f, ModuleExtraRepr repr, double p,
                          int dim) {
    Activation *a = (Activation *)nn_new_(sizeof(Activation), name, f);
    a->m.extra_repr = repr;
    a->p = p;
    a->dim = dim;
    return &a->m;
}

Module *nn_relu(void) { return activation("ReLU", relu_forward, NULL, 0, 0); }
Module *nn_sigmoid(void) { return activation("Sigmoid", sigmoid_forward, NULL, 0, 0); }
Module *nn_tanh(void) { return activation("Tanh", tanh_forward, NULL, 0, 0); }
Module *nn_gelu(void) { return activation("GELU", gelu_forward, gelu_repr, 0, 0); }
Module *nn_leaky_relu(double negative_slope) {
    return activation("LeakyReLU", leaky_forward, leaky_repr, negative_slope, 0);
}
Module *nn_softmax(int dim) { return activation("Softmax", softmax_forward, softmax_repr, 0, dim); }
Module *nn_dropout(double p) {
    if (!(p >= 0 && p <= 1))
        t_raise(T_ERR_VALUE, "nn_dropout: dropout probability has to be between 0 and 1, but "
                "got %g", p);
    return activation("Dropout", dropout_forward, dropout_repr, p, 0);
}

/* ---- Flatten ---- */

typedef struct Flatten {
    Module m;
    int start, end;
} Flatten;

/* x with dims start..end merged. */
static Tensor *flatten_forward(Module *self, Tensor *x) {
    Flatten *f = (Flatten *)self;
    return t_flatten_range(x, f->start, f->end);
}

/* "start_dim=1, end_dim=-1". */
static const char *flatten_repr(const Module *self) {
    const Flatten *f = (const Flatten *)self;
    return t_gc_sprintf("start_dim=%d, end_dim=%d", f->start, f->end);
}

Module *nn_flatten(int start_dim, int end_dim) {
    Flatten *f = NN_NEW(Flatten, flatten_forward);
    f->m.extra_repr = flatten_repr;
    f->start = start_dim, f->end = end_dim;
    return &f->m;
}

/* ---- Sequential ---- */

static Tensor *sequential_forward(Module *self, Tensor *x) {
    for (int i = 0; i < nn_num_children(self); i++) x = nn_call(nn_child_at(self, i), x);
    return x;
}

Module *nn_sequential_append(Module *seq, Module *layer) {
    if (!seq || seq->forward != sequential_forward)
        t_raise(T_ERR_VALUE, "nn_sequential_append: expected a Sequential, got %s",
                seq ? seq->type_name : "NULL");
    nn_add(seq, t_gc_sprintf("%d", nn_num_children(seq)), layer);
    return seq;
}

Module *nn_sequential_(Module *const *layers, int n) {
    Module *seq = nn_new_(sizeof(Module), "Sequential", sequential_forward);
    for (int i = 0; i < n; i++) {
        if (!layers[i])
            t_raise(T_ERR_VALUE, "nn_sequential: layer %d is NULL", i);
        nn_sequential_append(seq, layers[i]);
    }
    return seq;
}
