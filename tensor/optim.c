/*
 * optim.c — SGD, Adam and AdamW with PyTorch's update rules (its single-tensor CPU path, op
 * for op), and the StepLR and cosine annealing schedules. Steps run with grad mode off and
 * write the parameters in place, so the tensors a module holds stay the same.
 */
#include <math.h>
#include <string.h>

#include "nn_internal.h"

typedef enum OptKind { OPT_SGD, OPT_ADAM, OPT_ADAMW } OptKind;

struct Optimizer {
    OptKind kind;
    Tensor **params;
    int n;
    SGDOpts sgd;
    AdamOpts adam;
    double lr;
    /* per-parameter state, NULL until the first step that needs it: SGD's momentum buffer;
       Adam's exp_avg, exp_avg_sq and max_exp_avg_sq */
    Tensor **buf, **sq, **max_sq;
    int64_t *param_steps; /* Adam's step count of each parameter */
    int64_t steps;
};

typedef enum SchedKind { SCHED_STEP, SCHED_COSINE } SchedKind;

struct LRScheduler {
    SchedKind kind;
    Optimizer *opt;
    double base_lr, gamma, eta_min, lr;
    int64_t period; /* StepLR's step_size, or cosine's T_max */
    int64_t epoch;
};

/* A new optimizer over params (copied), after checking them. */
static Optimizer *optimizer_new(const char *op, OptKind kind, TensorList params, double lr) {
    if (params.n <= 0 || !params.items)
        t_raise(T_ERR_VALUE, "%s: optimizer got an empty parameter list", op);
    if (!(lr >= 0)) t_raise(T_ERR_VALUE, "%s: invalid learning rate: %g", op, lr);
    for (int i = 0; i < params.n; i++) {
        Tensor *p = params.items[i];
        if (!p) t_raise(T_ERR_VALUE, "%s: parameter %d is NULL", op, i);
        if (!t_dtype_is_floating(p->dtype))
            t_raise(T_ERR_DTYPE, "%s: parameter %d is %s; only floating tensors can be "
                    "optimized", op, i, t_dtype_name(p->dtype));
        if (!t_is_leaf(p))
            t_raise(T_ERR_VALUE, "%s: can't optimize a non-leaf tensor (parameter %d, computed "
                    "by %s)", op, i, t_grad_fn_name(p));
    }
    Optimizer *o = t_gc_alloc(sizeof *o);
    o->kind = kind;
    o->n = params.n;
    o->lr = lr;
    size_t bytes = (size_t)params.n * sizeof(Tensor *);
    o->params = t_gc_alloc(bytes);
    memcpy(o->params, params.items, bytes);
    o->buf = t_gc_alloc(bytes);
    o->sq = t_gc_alloc(bytes);
    o->max_sq = t_gc_alloc(bytes);
    o->param_steps = t_gc_alloc((size_t)params.n * sizeof(int64_t));
    return o;
}

Optimizer *optim_sgd_opts(TensorList params, SGDOpts s) {
    const char *op = "optim_sgd";
    if (!(s.momentum >= 0)) t_raise(T_ERR_VALUE, "%s: invalid momentum value: %g", op, s.momentum);
    if (!(s.weight_decay >= 0))
        t_raise(T_ERR_VALUE, "%s: invalid weight_decay value: %g", op, s.weight_decay);
    if (s.nesterov && (s.momentum <= 0 || s.dampening != 0))
        t_raise(T_ERR_VALUE, "%s: Nesterov momentum requires a momentum and zero dampening "
                "(got momentum=%g, dampening=%g)", op, s.momentum, s.dampening);
    Optimizer *o = optimizer_new(op, OPT_SGD, params, s.lr);
    o->sgd = s;
    return o;
}

/* Checks Adam's options and makes the optimizer. */
static Optimizer *adam_new(const char *op, OptKind kind, TensorList params, AdamOpts a) {
    if (!(a.eps >= 0)) t_raise(T_ERR_VALUE, "%s: invalid epsilon value: %g", op, a.eps);
    if (!(a.beta1 >= 0 && a.beta1 < 1))
        t_raise(T_ERR_VALUE, "%s: invalid beta parameter at index 0: %g", op, a.beta1);
    if (!(a.beta2 >= 0 && a.beta2 < 1))
        t_raise(T_ERR_VALUE, "%s: invalid beta parameter at index 1: %g", op, a.beta2);
    if (!(a.weight_decay >= 0))
        t_raise(T_ERR_VALUE, "%s: invalid weight_decay value: %g", op, a.weight_decay);
    Optimizer *o = optimizer_new(op, kind, params, a.lr);
    o->adam = a;
    return o;
}

Optimizer *optim_adam_opts(TensorList params, AdamOpts a) {
    return adam_new("optim_adam", OPT_ADAM, params, a);
}

Optimizer *optim_adamw_opts(TensorList params, AdamOpts a) {
    return adam_new("optim_adamw", OPT_ADAMW, params, a);
}

/* PyTorch's SGD for one parameter: weight decay into the gradient, then momentum (with
   dampening, optionally Nesterov), then p -= lr d. */
static void sgd_update(Optimizer *o, int i, Tensor *p, Tensor *g) {
    const SGDOpts *s = &o->sgd;
    Tensor *d = s->maximize ? t_neg(g) : g;
    if (s->weight_decay != 0) d = t_add(d, t_mul_s(p, s->weight_decay));
    if (s->momentum != 0) {
        if (!o->buf[i]) o->buf[i] = t_clone(d);
        else t_axpby_("opt_step", o->buf[i], s->momentum, d, 1 - s->dampening);
        d = s->nesterov ? t_add(d, t_mul_s(o->buf[i], s->momentum)) : o->buf[i];
    }
    t_axpby_("opt_step", p, 1, d, -o->lr); /* p += -lr * d, as PyTorch's add_(d, alpha=-lr) */
}

/* PyTorch's Adam / AdamW for one parameter (bias-corrected moments; AdamW decays the
   parameter itself, Adam adds the decay to the gradient). */
static void adam_update(Optimizer *o, int i, Tensor *p, Tensor *g) {
    const AdamOpts *a = &o->adam;
    int64_t step = ++o->param_steps[i];
    if (a->maximize) g = t_neg(g);
    if (o->kind == OPT_ADAMW) t_mul_s_(p, 1 - o->lr * a->weight_decay);
    else if (a->weight_decay != 0) g = t_add(g, t_mul_s(p, a->weight_decay));
    if (!o->buf[i]) {
        o->buf[i] = t_zeros_like(p);
        o->sq[i] = t_zeros_like(p);
        if (a->amsgrad) o->max_sq[i] = t_zeros_like(p);
    }
    Tensor *m = o->buf[i], *v = o->sq[i];
    t_add_(t_mul_s_(m, a->beta1), t_mul_s(g, 1 - a->beta1));
    t_add_(t_mul_s_(v, a->beta2), t_mul_s(t_mul(g, g), 1 - a->beta2));
    double bias1 = 1 - pow(a->beta1, (double)step), bias2 = 1 - pow(a->beta2, (double)step);
    double step_size = o->lr / bias1, bias2_sqrt = sqrt(bias2);
    Tensor *second = v;
    if (a->amsgrad) second = t_copy_(o->max_sq[i], t_maximum(o->max_sq[i], v));
    Tensor *denom = t_add_s(t_div_s(t_sqrt(second), bias2_sqrt), a->eps);
    t_sub_(p, t_mul_s(t_div(m, denom), step_size));
}

void opt_step(Optimizer *o) {
    if (!o) t_raise(T_ERR_VALUE, "opt_step: the optimizer is NULL");
    T_NO_GRAD {
        for (int i = 0; i < o->n; i++) {
            Tensor *p = o->params[i], *g = t_grad(p);
            if (!g) continue;
            if (o->kind == OPT_SGD) sgd_update(o, i, p, g);
            else adam_update(o, i, p, g);
        }
    }
    o->steps++;
}

void opt_zero_grad(Optimizer *o) {
    if (!o) t_raise(T_ERR_VALUE, "opt_zero_grad: the optimizer is NULL");
    for (int i = 0; i < o->n; i++) t_zero_grad(o->params[i]);
}

double opt_get_lr(const Optimizer *o) {
    if (!o) t_raise(T_ERR_VALUE, "opt_get_lr: the optimizer is NULL");
    return o->lr;
}

void opt_set_lr(Optimizer *o, double lr) {
    if (!o) t_raise(T_ERR_VALUE, "opt_set_lr: the optimizer is NULL");
    if (!(lr >= 0)) t_raise(T_ERR_VALUE, "opt_set_lr: invalid learning rate: %g", lr);
    o->lr = lr;
}

int64_t opt_steps(const Optimizer *o) {
    if (!o) t_raise(T_ERR_VALUE, "opt_steps: the optimizer is NULL");
    return o->steps;
}

/* ---- learning-rate schedules ---- */

/* A schedule of the given kind starting from o's current lr. */
static LRScheduler *scheduler_new(const char *op, SchedKind kind, Optimizer *o, int64_t period) {
    if (!o) t_raise(T_ERR_VALUE, "%s: the optimizer is NULL", op);
    if (period < 1) t_raise(T_ERR_VALUE, "%s: the period must be >= 1, got %lld", op,
                            (long long)period);
    LRScheduler *s = t_gc_alloc(sizeof *s);
    s->kind = kind;
    s->opt = o;
    s->base_lr = s->lr = o->lr;
    s->period = period;
    return s;
}

LRScheduler *optim_step_lr_opts(Optimizer *o, int64_t step_size, StepLROpts opts) {
    LRScheduler *s = scheduler_new("optim_step_lr", SCHED_STEP, o, step_size);
    s->gamma = opts.gamma;
    return s;
}

LRScheduler *optim_cosine_annealing_lr_opts(Optimizer *o, int64_t T_max, CosineLROpts opts) {
    LRScheduler *s = scheduler_new("optim_cosine_annealing_lr", SCHED_COSINE, o, T_max);
    s->eta_min = opts.eta_min;
    return s;
}

void opt_sched_step(LRScheduler *s) {
    if (!s) t_raise(T_ERR_VALUE, "opt_sched_step: the scheduler is NULL");
    s->epoch++;
    if (s->kind == SCHED_STEP)
        s->lr = s->base_lr * pow(s->gamma, (double)(s->epoch / s->period));
    else
        s->lr = s->eta_min + (s->base_lr - s->eta_min) *
                                 (1 + cos(M_PI * (double)s->epoch / (double)s->period)) / 2;
    opt_set_lr(s->opt, s->lr);
}

double opt_sched_get_lr(const LRScheduler *s) {
    if (!s) t_raise(T_ERR_VALUE, "opt_sched_get_lr: the scheduler is NULL");
    return s->lr;
}
