"""ctorch's nn layers, losses and optimizers against PyTorch.

A C program (PROGRAM below, compiled against build/lib/libctorch.so) builds each layer with
ctorch's own constructors and initialisation, runs it forward on seeded random inputs and
backward from a random output gradient, and prints every input, parameter, output and
gradient as one JSON line per case. Each test loads those same inputs and parameters into the
PyTorch module of the same configuration, runs it, and requires ctorch's outputs and
gradients to match (float32: rtol 1e-4, atol 1e-5). The optimizer cases run 20 steps of a
small regression and compare the parameters' whole trajectory.

PyTorch 1.13 (Debian's python3-torch) is the oracle.
"""
import json
import math
import pathlib
import subprocess

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
LIB = BUILD / "lib" / "libctorch.so"
RTOL, ATOL = 1e-4, 1e-5
OPT_STEPS = 20  # optimizer steps compared (the brief's "20 steps follow PyTorch")
SWEEP_CASES = 40  # random convolution and pooling geometries

PROGRAM = r"""
#include "ctorch.h"
#include <math.h>
#include <stdlib.h>

static int fields;

/* Starts one case's JSON line. */
static void begin(const char *name) { printf("{\"case\": \"%s\", \"t\": {", name); fields = 0; }
static void end(void) { printf("}}\n"); }

/* Prints x as "name": {"shape": [...], "data": [...]} (float64 digits that round-trip). */
static void dump(const char *name, Tensor *x) {
    if (!x) return;
    Tensor *c = t_contiguous(t_to_dtype(t_detach(x), T_F64));
    Shape s = t_shape(c);
    printf("%s\"%s\": {\"shape\": [", fields++ ? ", " : "", name);
    for (int i = 0; i < s.ndim; i++) printf("%s%lld", i ? ", " : "", (long long)s.d[i]);
    printf("], \"data\": [");
    const double *p = t_data(c);
    for (int64_t i = 0; i < t_numel(c); i++) printf("%s%.17g", i ? ", " : "", p[i]);
    printf("]}");
}

/* A float32 leaf of the given shape, N(0, 1), that requires grad. */
static Tensor *leaf(Shape s) { return t_requires_grad_(t_randn_shape(s, T_F32), true); }

/* Backward from out with a random output gradient (or 1 for a scalar), printed as "gout". */
static void backward(Tensor *out) {
    if (t_ndim(out) == 0) { t_backward(out); return; }
    Tensor *g = t_randn_shape(t_shape(out), T_F32);
    dump("gout", g);
    t_backward_grad(out, g);
}

/* Runs module m on x: prints x, the parameters ("p.NAME") and buffers ("b.NAME") as they were
   before, the output, and every gradient ("gx", "g.NAME"), and the buffers after ("a.NAME"). */
static void run_module(const char *name, Module *m, Tensor *x) {
    begin(name);
    dump("x", x);
    NamedTensors ps = nn_named_parameters(m), bs = nn_named_buffers(m);
    char key[128];
    for (int i = 0; i < ps.n; i++) { snprintf(key, sizeof key, "p.%s", ps.names[i]); dump(key, ps.items[i]); }
    for (int i = 0; i < bs.n; i++) {
        if (t_dtype(bs.items[i]) == T_I64) continue;
        snprintf(key, sizeof key, "b.%s", bs.names[i]); dump(key, t_clone(bs.items[i]));
    }
    Tensor *out = nn_call(m, x);
    dump("out", out);
    backward(out);
    if (t_requires_grad(x)) dump("gx", t_grad(x));
    for (int i = 0; i < ps.n; i++) { snprintf(key, sizeof key, "g.%s", ps.names[i]); dump(key, t_grad(ps.items[i])); }
    for (int i = 0; i < bs.n; i++) {
        if (t_dtype(bs.items[i]) == T_I64) continue;
        snprintf(key, sizeof key, "a.%s", bs.names[i]); dump(key, bs.items[i]);
    }
    end();
}

#define X(...) leaf(T_SHAPE(__VA_ARGS__))

static void layers(void) {
    run_module("linear", nn_linear(7, 4), X(5, 7));
    run_module("linear_3d_nobias", nn_linear(6, 3, .bias = false), X(2, 4, 6));
    run_module("conv", nn_conv2d(3, 4, 3), X(2, 3, 9, 9));
    run_module("conv_opts", nn_conv2d(2, 4, 3, .stride = 2, .padding = 1, .dilation = 2), X(2, 2, 11, 10));
    run_module("conv_groups", nn_conv2d(4, 6, 3, .groups = 2, .bias = false, .padding = 1), X(2, 4, 6, 6));
    run_module("conv_1x1", nn_conv2d(3, 5, 1), X(2, 3, 4, 4));
    run_module("conv_unbatched", nn_conv2d(2, 3, 2), X(2, 5, 5));
    run_module("maxpool", nn_max_pool2d(2), X(2, 3, 8, 8));
    run_module("maxpool_opts", nn_max_pool2d(3, .stride = 2, .padding = 1), X(2, 2, 9, 8));
    run_module("maxpool_ceil", nn_max_pool2d(2, .ceil_mode = true), X(1, 2, 7, 7));
    run_module("maxpool_dilation", nn_max_pool2d(2, .stride = 1, .dilation = 2), X(1, 2, 6, 6));
    run_module("avgpool", nn_avg_pool2d(2), X(2, 3, 8, 8));
    run_module("avgpool_opts", nn_avg_pool2d(3, .stride = 2, .padding = 1), X(2, 2, 9, 8));
    run_module("avgpool_nopad", nn_avg_pool2d(3, .stride = 2, .padding = 1, .count_include_pad = false), X(2, 2, 9, 8));
    run_module("avgpool_ceil", nn_avg_pool2d(2, .ceil_mode = true), X(1, 2, 7, 7));
    run_module("adaptive", nn_adaptive_avg_pool2d(3, 2), X(2, 3, 7, 5));
    run_module("adaptive_even", nn_adaptive_avg_pool2d(2, 2), X(2, 3, 8, 8));
    run_module("relu", nn_relu(), X(4, 5));
    run_module("leaky_relu", nn_leaky_relu(0.2), X(4, 5));
    run_module("sigmoid", nn_sigmoid(), X(4, 5));
    run_module("tanh", nn_tanh(), X(4, 5));
    run_module("gelu", nn_gelu(), X(4, 5));
    run_module("softmax", nn_softmax(1), X(3, 6));
    run_module("flatten", nn_flatten(1, -1), X(2, 3, 4));
    run_module("dropout_eval", nn_eval(nn_dropout(0.3)), X(4, 5));
    run_module("dropout_train", nn_dropout(0.3), X(40, 50));
    run_module("batchnorm1d", nn_batch_norm1d(4), X(6, 4));
    run_module("batchnorm1d_3d", nn_batch_norm1d(3, .momentum = 0.3), X(5, 3, 4));
    run_module("batchnorm2d", nn_batch_norm2d(3), X(4, 3, 5, 5));
    Module *bn = nn_batch_norm2d(3);
    T_NO_GRAD { for (int i = 0; i < 3; i++) nn_call(bn, t_add_s(t_mul_s(t_randn(4, 3, 5, 5), 2), 1)); }
    run_module("batchnorm2d_eval", nn_eval(bn), X(4, 3, 5, 5));
    run_module("batchnorm2d_noaffine", nn_batch_norm2d(3, .affine = false, .track_running_stats = false), X(4, 3, 5, 5));
    run_module("layernorm", nn_layer_norm(6), X(3, 4, 6));
    Module *ln = nn_layer_norm(5);
    T_NO_GRAD { t_copy_(nn_param(ln, "weight"), t_randn(5)); t_copy_(nn_param(ln, "bias"), t_randn(5)); }
    run_module("layernorm_affine", ln, X(4, 5));
    run_module("embedding", nn_embedding(10, 3), t_tensor_dt(T_I64, ((int64_t[]){1, 2, 4, 5, 4, 3, 2, 9}), 2, 4));
    run_module("sequential", nn_sequential(nn_linear(5, 8), nn_relu(), nn_linear(8, 3)), X(4, 5));
}

/* Runs a loss on input x and target y (printed as "x" and "y"), with the gradient of x. */
static void run_loss(const char *name, Tensor *x, Tensor *y, Tensor *(*f)(Tensor *, Tensor *)) {
    begin(name);
    dump("x", x);
    dump("y", y);
    Tensor *out = f(x, y);
    dump("out", out);
    backward(out);
    dump("gx", t_grad(x));
    end();
}

static Tensor *W;  /* class weights of the weighted cases */
static Tensor *ce(Tensor *x, Tensor *y) { return nn_cross_entropy(x, y); }
static Tensor *ce_sum(Tensor *x, Tensor *y) { return nn_cross_entropy(x, y, .reduction = T_REDUCE_SUM); }
static Tensor *ce_none(Tensor *x, Tensor *y) { return nn_cross_entropy(x, y, .reduction = T_REDUCE_NONE); }
static Tensor *ce_smooth(Tensor *x, Tensor *y) { return nn_cross_entropy(x, y, .label_smoothing = 0.1); }
static Tensor *ce_ignore(Tensor *x, Tensor *y) { return nn_cross_entropy(x, y, .ignore_index = 2, .label_smoothing = 0.2); }
static Tensor *ce_weight(Tensor *x, Tensor *y) { return nn_cross_entropy(x, y, .weight = W, .label_smoothing = 0.1); }
static Tensor *ce_weight_none(Tensor *x, Tensor *y) { return nn_cross_entropy(x, y, .weight = W, .reduction = T_REDUCE_NONE, .ignore_index = 1); }
static Tensor *nll(Tensor *x, Tensor *y) { return nn_nll_loss(t_log_softmax(x, 1), y); }
static Tensor *nll_weight(Tensor *x, Tensor *y) { return nn_nll_loss(t_log_softmax(x, 1), y, .weight = W, .ignore_index = 0); }
static Tensor *mse(Tensor *x, Tensor *y) { return nn_mse_loss(x, y); }
static Tensor *mse_sum(Tensor *x, Tensor *y) { return nn_mse_loss(x, y, .reduction = T_REDUCE_SUM); }
static Tensor *l1(Tensor *x, Tensor *y) { return nn_l1_loss(x, y); }
static Tensor *l1_none(Tensor *x, Tensor *y) { return nn_l1_loss(x, y, .reduction = T_REDUCE_NONE); }
static Tensor *bce(Tensor *x, Tensor *y) { return nn_bce_loss(t_sigmoid(x), y); }
static Tensor *bce_weight(Tensor *x, Tensor *y) { return nn_bce_loss(t_sigmoid(x), y, .weight = W, .reduction = T_REDUCE_SUM); }
static Tensor *bce_logits(Tensor *x, Tensor *y) { return nn_bce_with_logits(x, y); }
static Tensor *bce_logits_pw(Tensor *x, Tensor *y) { return nn_bce_with_logits(x, y, .pos_weight = W, .reduction = T_REDUCE_NONE); }

static void losses(void) {
    Tensor *cls = t_tensor_dt(T_I64, ((int64_t[]){0, 3, 2, 4, 1, 2}), 6);
    W = t_tensor(((float[]){0.5f, 1.0f, 2.0f, 1.5f, 0.25f}), 5);
    run_loss("ce", X(6, 5), cls, ce);
    run_loss("ce_sum", X(6, 5), cls, ce_sum);
    run_loss("ce_none", X(6, 5), cls, ce_none);
    run_loss("ce_smooth", X(6, 5), cls, ce_smooth);
    run_loss("ce_ignore", X(6, 5), cls, ce_ignore);
    run_loss("ce_weight", X(6, 5), cls, ce_weight);
    run_loss("ce_weight_none", X(6, 5), cls, ce_weight_none);
    run_loss("ce_4d", X(2, 5, 3, 2), t_randint(0, 5, 2, 3, 2), ce);
    run_loss("ce_probs", X(6, 5), t_softmax(t_randn(6, 5), 1), ce_smooth);
    run_loss("nll", X(6, 5), cls, nll);
    run_loss("nll_weight", X(6, 5), cls, nll_weight);
    run_loss("mse", X(4, 3), t_randn(4, 3), mse);
    run_loss("mse_sum", X(4, 3), t_randn(4, 3), mse_sum);
    run_loss("l1", X(4, 3), t_randn(4, 3), l1);
    run_loss("l1_none", X(4, 3), t_randn(4, 3), l1_none);
    run_loss("bce", X(4, 5), t_rand(4, 5), bce);
    run_loss("bce_weight", X(4, 5), t_rand(4, 5), bce_weight);
    run_loss("bce_logits", t_requires_grad_(t_mul_s(t_randn(4, 5), 30), true), t_rand(4, 5), bce_logits);
    run_loss("bce_logits_pw", X(4, 5), t_rand(4, 5), bce_logits_pw);
}

/* OPT_STEPS steps of an optimizer on a linear regression: prints the starting parameters,
   the data, and the parameters after every step. */
static void run_optimizer(const char *name, Optimizer *(*make)(TensorList)) {
    Module *m = nn_linear(4, 3);
    Tensor *x = t_randn(8, 4), *y = t_randn(8, 3);
    begin(name);
    dump("x", x);
    dump("y", y);
    dump("w0", nn_param(m, "weight"));
    dump("b0", nn_param(m, "bias"));
    Optimizer *o = make(nn_parameters(m));
    char key[64];
    for (int s = 0; s < OPT_STEPS; s++) {
        opt_zero_grad(o);
        t_backward(nn_mse_loss(nn_call(m, x), y));
        opt_step(o);
        snprintf(key, sizeof key, "w%d", s + 1); dump(key, nn_param(m, "weight"));
        snprintf(key, sizeof key, "b%d", s + 1); dump(key, nn_param(m, "bias"));
    }
    end();
}

static Optimizer *sgd(TensorList p) { return optim_sgd(p, .lr = 0.1); }
static Optimizer *sgd_momentum(TensorList p) { return optim_sgd(p, .lr = 0.05, .momentum = 0.9); }
static Optimizer *sgd_nesterov(TensorList p) { return optim_sgd(p, .lr = 0.05, .momentum = 0.9, .nesterov = true, .weight_decay = 0.01); }
static Optimizer *sgd_dampening(TensorList p) { return optim_sgd(p, .lr = 0.05, .momentum = 0.8, .dampening = 0.3, .weight_decay = 0.1); }
static Optimizer *adam(TensorList p) { return optim_adam(p, .lr = 0.05); }
static Optimizer *adam_wd(TensorList p) { return optim_adam(p, .lr = 0.05, .weight_decay = 0.1, .beta1 = 0.8); }
static Optimizer *adam_amsgrad(TensorList p) { return optim_adam(p, .lr = 0.05, .amsgrad = true); }
static Optimizer *adamw(TensorList p) { return optim_adamw(p, .lr = 0.05); }
static Optimizer *adamw_wd(TensorList p) { return optim_adamw(p, .lr = 0.05, .weight_decay = 0.3, .eps = 1e-6); }

static void optimizers(void) {
    run_optimizer("sgd", sgd);
    run_optimizer("sgd_momentum", sgd_momentum);
    run_optimizer("sgd_nesterov", sgd_nesterov);
    run_optimizer("sgd_dampening", sgd_dampening);
    run_optimizer("adam", adam);
    run_optimizer("adam_wd", adam_wd);
    run_optimizer("adam_amsgrad", adam_amsgrad);
    run_optimizer("adamw", adamw);
    run_optimizer("adamw_wd", adamw_wd);
}

/* The lr of a schedule over 12 epochs. */
static void schedules(void) {
    Tensor *p = t_requires_grad_(t_zeros(1), true);
    Optimizer *o1 = optim_sgd(T_LIST(p), .lr = 0.5), *o2 = optim_sgd(T_LIST(p), .lr = 0.5);
    LRScheduler *step = optim_step_lr(o1, 3, .gamma = 0.5);
    LRScheduler *cosine = optim_cosine_annealing_lr(o2, 10, .eta_min = 0.01);
    double lr_step[12], lr_cos[12];
    for (int e = 0; e < 12; e++) {
        lr_step[e] = opt_get_lr(o1), lr_cos[e] = opt_get_lr(o2);
        opt_sched_step(step);
        opt_sched_step(cosine);
    }
    begin("schedules");
    dump("step", t_tensor_dt(T_F64, lr_step, 12));
    dump("cosine", t_tensor_dt(T_F64, lr_cos, 12));
    end();
}

/* Convolutions and poolings over many geometries (kernel, stride, padding, dilation, sizes,
   groups, ceil_mode), drawn from a fixed sequence, as "sweep_conv_I", "sweep_max_I" and
   "sweep_avg_I", each with its options as the tensor "opts". */
static void sweep(void) {
    srand(11);
    char name[64];
    for (int i = 0; i < SWEEP_CASES; i++) {
        int k = 1 + rand() % 4, s = 1 + rand() % 3, d = 1 + rand() % 2, p = rand() % (k + 1);
        int g = 1 + rand() % 2, cin = g * (1 + rand() % 2), cout = g * (1 + rand() % 2);
        int h = k * d + rand() % 8, w = k * d + rand() % 8;
        snprintf(name, sizeof name, "sweep_conv_%d", i);
        Module *conv = nn_conv2d(cin, cout, k, .stride = s, .padding = p, .dilation = d, .groups = g,
                                 .bias = rand() % 2);
        Tensor *opts = t_tensor(((float[]){cin, cout, k, s, p, d, g, nn_param(conv, "bias") != NULL}), 8);
        begin(name); dump("opts", opts); end();
        snprintf(name, sizeof name, "sweep_conv_%d_run", i);
        run_module(name, conv, X(2, cin, h, w));
        int pp = rand() % (k / 2 + 1), ceil = rand() % 2;
        snprintf(name, sizeof name, "sweep_max_%d", i);
        begin(name); dump("opts", t_tensor(((float[]){k, s, pp, d, ceil}), 5)); end();
        snprintf(name, sizeof name, "sweep_max_%d_run", i);
        run_module(name, nn_max_pool2d(k, .stride = s, .padding = pp, .dilation = d, .ceil_mode = ceil),
                   X(2, 2, h, w));
        int inc = rand() % 2;
        snprintf(name, sizeof name, "sweep_avg_%d", i);
        begin(name); dump("opts", t_tensor(((float[]){k, s, pp, inc, ceil}), 5)); end();
        snprintf(name, sizeof name, "sweep_avg_%d_run", i);
        run_module(name, nn_avg_pool2d(k, .stride = s, .padding = pp, .count_include_pad = inc,
                                       .ceil_mode = ceil), X(2, 2, h, w));
    }
}

int main(void) {
    t_manual_seed(7);
    sweep();
    layers();
    losses();
    optimizers();
    schedules();
    return 0;
}
"""


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """Every case the C program prints, by name: {name: {tensor name: np.ndarray}}."""
    if not LIB.exists():
        pytest.skip(f"{LIB} is missing: run `make` first")
    work = tmp_path_factory.mktemp("oracle_nn")
    src, exe = work / "oracle_nn.c", work / "oracle_nn"
    src.write_text(PROGRAM)
    subprocess.run(["gcc", "-O1", "-std=gnu11", f"-DOPT_STEPS={OPT_STEPS}", f"-DSWEEP_CASES={SWEEP_CASES}",
                    f"-I{BUILD / 'include'}", str(src), "-o", str(exe),
                    f"-L{BUILD / 'lib'}", "-lctorch", f"-Wl,-rpath,{BUILD / 'lib'}", "-lm"],
                   check=True)
    run = subprocess.run([str(exe)], check=True, capture_output=True, text=True,
                         env={"OMP_NUM_THREADS": "1"})
    out = {}
    for line in run.stdout.splitlines():
        case = json.loads(line)
        out[case["case"]] = {k: np.array(v["data"], dtype=np.float64).reshape(v["shape"])
                             for k, v in case["t"].items()}
    return out


def close(got, want, what):
    """Asserts that ctorch's array matches torch's (shape and values)."""
    want = want.detach().double().numpy() if isinstance(want, torch.Tensor) else np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, torch has {want.shape}"
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=what)


def th(a, grad=False, dtype=torch.float32):
    """A torch tensor of a ctorch array."""
    return torch.tensor(a, dtype=dtype, requires_grad=grad)


# ---------------------------------------------------------------------------------------
# Layers: the torch module of each case's configuration.
# ---------------------------------------------------------------------------------------

def _bn_eval():
    m = nn.BatchNorm2d(3)
    m.eval()
    return m


def _dropout_eval():
    m = nn.Dropout(0.3)
    m.eval()
    return m


MODULES = {
    "linear": lambda: nn.Linear(7, 4),
    "linear_3d_nobias": lambda: nn.Linear(6, 3, bias=False),
    "conv": lambda: nn.Conv2d(3, 4, 3),
    "conv_opts": lambda: nn.Conv2d(2, 4, 3, stride=2, padding=1, dilation=2),
    "conv_groups": lambda: nn.Conv2d(4, 6, 3, groups=2, bias=False, padding=1),
    "conv_1x1": lambda: nn.Conv2d(3, 5, 1),
    "conv_unbatched": lambda: nn.Conv2d(2, 3, 2),
    "maxpool": lambda: nn.MaxPool2d(2),
    "maxpool_opts": lambda: nn.MaxPool2d(3, stride=2, padding=1),
    "maxpool_ceil": lambda: nn.MaxPool2d(2, ceil_mode=True),
    "maxpool_dilation": lambda: nn.MaxPool2d(2, stride=1, dilation=2),
    "avgpool": lambda: nn.AvgPool2d(2),
    "avgpool_opts": lambda: nn.AvgPool2d(3, stride=2, padding=1),
    "avgpool_nopad": lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
    "avgpool_ceil": lambda: nn.AvgPool2d(2, ceil_mode=True),
    "adaptive": lambda: nn.AdaptiveAvgPool2d((3, 2)),
    "adaptive_even": lambda: nn.AdaptiveAvgPool2d((2, 2)),
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
    "softmax": lambda: nn.Softmax(1),
    "flatten": nn.Flatten,
    "dropout_eval": _dropout_eval,
    "batchnorm1d": lambda: nn.BatchNorm1d(4),
    "batchnorm1d_3d": lambda: nn.BatchNorm1d(3, momentum=0.3),
    "batchnorm2d": lambda: nn.BatchNorm2d(3),
    "batchnorm2d_eval": _bn_eval,
    "batchnorm2d_noaffine": lambda: nn.BatchNorm2d(3, affine=False, track_running_stats=False),
    "layernorm": lambda: nn.LayerNorm(6),
    "layernorm_affine": lambda: nn.LayerNorm(5),
    "embedding": lambda: nn.Embedding(10, 3),
    "sequential": lambda: nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3)),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_layer(cases, name):
    """Forward output, input gradient, parameter gradients and updated buffers match."""
    c = cases[name]
    m = MODULES[name]()
    with torch.no_grad():
        for key, value in c.items():
            if key.startswith("p."):
                m.get_parameter(key[2:]).copy_(torch.tensor(value))
            if key.startswith("b."):
                m.get_buffer(key[2:]).copy_(torch.tensor(value))
    is_index = name == "embedding"
    x = th(c["x"], grad=not is_index, dtype=torch.int64 if is_index else torch.float32)
    out = m(x)
    close(c["out"], out, f"{name}: output")
    if "gout" in c:
        out.backward(th(c["gout"]))
    else:
        out.backward()
    if not is_index:
        close(c["gx"], x.grad, f"{name}: input gradient")
    for pname, p in m.named_parameters():
        close(c["g." + pname], p.grad, f"{name}: gradient of {pname}")
    for bname, b in m.named_buffers():
        if b.dtype.is_floating_point:
            close(c["a." + bname], b, f"{name}: buffer {bname} after the forward pass")


def _sweep_module(kind, o):
    """The torch module of one sweep case from its printed options."""
    o = [int(v) for v in o]
    if kind == "conv":
        cin, cout, k, s, p, d, g, bias = o
        return nn.Conv2d(cin, cout, k, stride=s, padding=p, dilation=d, groups=g, bias=bool(bias))
    if kind == "max":
        k, s, p, d, ceil = o
        return nn.MaxPool2d(k, stride=s, padding=p, dilation=d, ceil_mode=bool(ceil))
    k, s, p, inc, ceil = o
    return nn.AvgPool2d(k, stride=s, padding=p, count_include_pad=bool(inc), ceil_mode=bool(ceil))


@pytest.mark.parametrize("kind", ["conv", "max", "avg"])
@pytest.mark.parametrize("i", range(SWEEP_CASES))
def test_geometry_sweep(cases, kind, i):
    """Convolution and pooling over random geometries: output and every gradient match."""
    c = cases[f"sweep_{kind}_{i}_run"]
    m = _sweep_module(kind, cases[f"sweep_{kind}_{i}"]["opts"])
    with torch.no_grad():
        for key, value in c.items():
            if key.startswith("p."):
                m.get_parameter(key[2:]).copy_(torch.tensor(value))
    x = th(c["x"], grad=True)
    out = m(x)
    what = f"sweep {kind} {i} ({m})"
    close(c["out"], out, f"{what}: output")
    out.backward(th(c["gout"]))
    close(c["gx"], x.grad, f"{what}: input gradient")
    for pname, p in m.named_parameters():
        close(c["g." + pname], p.grad, f"{what}: gradient of {pname}")


def test_dropout_train(cases):
    """Training dropout zeroes some elements (about p of them) and scales the rest by
    1 / (1 - p); the gradient flows through the same mask."""
    c, p = cases["dropout_train"], 0.3
    kept = c["out"] != 0
    assert abs(1 - kept.mean() - p) < 0.05, f"dropped {1 - kept.mean():.3f}, expected about {p}"
    np.testing.assert_allclose(c["out"], np.where(kept, c["x"] / (1 - p), 0), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(c["gx"], np.where(kept, c["gout"] / (1 - p), 0), rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------------------

W = torch.tensor([0.5, 1.0, 2.0, 1.5, 0.25])
LOSSES = {
    "ce": lambda x, y: F.cross_entropy(x, y.long()),
    "ce_sum": lambda x, y: F.cross_entropy(x, y.long(), reduction="sum"),
    "ce_none": lambda x, y: F.cross_entropy(x, y.long(), reduction="none"),
    "ce_smooth": lambda x, y: F.cross_entropy(x, y.long(), label_smoothing=0.1),
    "ce_ignore": lambda x, y: F.cross_entropy(x, y.long(), ignore_index=2, label_smoothing=0.2),
    "ce_weight": lambda x, y: F.cross_entropy(x, y.long(), weight=W, label_smoothing=0.1),
    "ce_weight_none": lambda x, y: F.cross_entropy(x, y.long(), weight=W, reduction="none",
                                                   ignore_index=1),
    "ce_4d": lambda x, y: F.cross_entropy(x, y.long()),
    "ce_probs": lambda x, y: F.cross_entropy(x, y, label_smoothing=0.1),
    "nll": lambda x, y: F.nll_loss(F.log_softmax(x, 1), y.long()),
    "nll_weight": lambda x, y: F.nll_loss(F.log_softmax(x, 1), y.long(), weight=W, ignore_index=0),
    "mse": F.mse_loss,
    "mse_sum": lambda x, y: F.mse_loss(x, y, reduction="sum"),
    "l1": F.l1_loss,
    "l1_none": lambda x, y: F.l1_loss(x, y, reduction="none"),
    "bce": lambda x, y: F.binary_cross_entropy(torch.sigmoid(x), y),
    "bce_weight": lambda x, y: F.binary_cross_entropy(torch.sigmoid(x), y, weight=W, reduction="sum"),
    "bce_logits": F.binary_cross_entropy_with_logits,
    "bce_logits_pw": lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=W,
                                                                    reduction="none"),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss(cases, name):
    """The loss and the input's gradient match."""
    c = cases[name]
    x = th(c["x"], grad=True)
    out = LOSSES[name](x, th(c["y"]))
    close(c["out"], out, f"{name}: loss")
    out.backward(th(c["gout"]) if "gout" in c else None)
    close(c["gx"], x.grad, f"{name}: input gradient")


# ---------------------------------------------------------------------------------------
# Optimizers and schedules
# ---------------------------------------------------------------------------------------

OPTIMIZERS = {
    "sgd": lambda p: torch.optim.SGD(p, lr=0.1),
    "sgd_momentum": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
    "sgd_nesterov": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True,
                                              weight_decay=0.01),
    "sgd_dampening": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.3,
                                               weight_decay=0.1),
    "adam": lambda p: torch.optim.Adam(p, lr=0.05),
    "adam_wd": lambda p: torch.optim.Adam(p, lr=0.05, weight_decay=0.1, betas=(0.8, 0.999)),
    "adam_amsgrad": lambda p: torch.optim.Adam(p, lr=0.05, amsgrad=True),
    "adamw": lambda p: torch.optim.AdamW(p, lr=0.05),
    "adamw_wd": lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.3, eps=1e-6),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_trajectory(cases, name):
    """After each of 20 steps, the parameters are PyTorch's."""
    c = cases[name]
    m = nn.Linear(4, 3)
    with torch.no_grad():
        m.weight.copy_(th(c["w0"]))
        m.bias.copy_(th(c["b0"]))
    opt = OPTIMIZERS[name](m.parameters())
    x, y = th(c["x"]), th(c["y"])
    for step in range(1, OPT_STEPS + 1):
        opt.zero_grad()
        F.mse_loss(m(x), y).backward()
        opt.step()
        close(c[f"w{step}"], m.weight, f"{name}: weight after step {step}")
        close(c[f"b{step}"], m.bias, f"{name}: bias after step {step}")


def test_schedules(cases):
    """StepLR and CosineAnnealingLR give PyTorch's learning rates, epoch by epoch."""
    c = cases["schedules"]
    for key, make in [("step", lambda o: torch.optim.lr_scheduler.StepLR(o, 3, gamma=0.5)),
                      ("cosine", lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(
                          o, 10, eta_min=0.01))]:
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
        sched, lrs = make(opt), []
        for _ in range(12):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        np.testing.assert_allclose(c[key], lrs, rtol=1e-9, err_msg=key)
