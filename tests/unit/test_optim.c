/* test_optim.c — optimizers and learning-rate schedules (tensor/optim.c): updates worked
   out by hand from PyTorch's rules, options, and misuse. (tests/python/test_oracle_nn.py
   follows 20 steps of each against PyTorch itself.) */
#include <criterion/criterion.h>

#include "helpers.h"
#include "internal.h"

/* A leaf [1, 2] whose gradient, after grad_of, is [3, 4] (loss = 3 p0 + 4 p1). */
static Tensor *param(void) { return t_requires_grad_(t_tensor(((float[]){1, 2}), 2), true); }
static void grad_of(Tensor *p) { t_backward(t_sum(t_mul(p, t_tensor(((float[]){3, 4}), 2)))); }

/* One zero_grad / backward / step round. */
static void round_of(Optimizer *o, Tensor *p) {
    opt_zero_grad(o);
    grad_of(p);
    opt_step(o);
}

Test(sgd, plain_step) {
    Tensor *p = param();
    Optimizer *o = optim_sgd(T_LIST(p), .lr = 0.1);
    round_of(o, p);
    T_ASSERT_VALUES(p, 1e-6, 0.7, 1.6);
    cr_assert(t_is_leaf(p) && t_requires_grad(p), "the update is in place and unrecorded");
    cr_assert_eq(opt_steps(o), 1);
}

Test(sgd, momentum_and_nesterov) {
    Tensor *p = param(), *q = param();
    Optimizer *o = optim_sgd(T_LIST(p), .lr = 0.1, .momentum = 0.9);
    Optimizer *n = optim_sgd(T_LIST(q), .lr = 0.1, .momentum = 0.9, .nesterov = true);
    round_of(o, p), round_of(o, p);
    /* buf = g, then 1.9 g: p = p0 - 0.1 g - 0.19 g */
    T_ASSERT_VALUES(p, 1e-6, 1 - 0.29 * 3, 2 - 0.29 * 4);
    round_of(n, q), round_of(n, q);
    /* Nesterov steps by g + 0.9 buf: 1.9 g, then g + 0.9 * 1.9 g = 2.71 g */
    T_ASSERT_VALUES(q, 1e-6, 1 - 0.461 * 3, 2 - 0.461 * 4);
}

Test(sgd, weight_decay_dampening_maximize) {
    Tensor *p = param();
    Optimizer *o = optim_sgd(T_LIST(p), .lr = 0.1, .weight_decay = 0.5);
    round_of(o, p);
    /* d = g + 0.5 p = [3.5, 5] */
    T_ASSERT_VALUES(p, 1e-6, 0.65, 1.5);
    Tensor *q = param();
    Optimizer *d = optim_sgd(T_LIST(q), .lr = 0.1, .momentum = 0.5, .dampening = 0.5);
    round_of(d, q), round_of(d, q);
    /* buf = g, then 0.5 g + 0.5 g = g: two steps of 0.1 g */
    T_ASSERT_VALUES(q, 1e-6, 0.4, 1.2);
    Tensor *r = param();
    round_of(optim_sgd(T_LIST(r), .lr = 0.1, .maximize = true), r);
    T_ASSERT_VALUES(r, 1e-6, 1.3, 2.4);
}

Test(adam, first_step_is_lr_times_sign) {
    Tensor *p = param(), *q = param();
    round_of(optim_adam(T_LIST(p), .lr = 0.01), p);
    /* bias-corrected moments are g and g^2: the step is lr g / (|g| + eps) */
    T_ASSERT_VALUES(p, 1e-6, 0.99, 1.99);
    round_of(optim_adamw(T_LIST(q), .lr = 0.01), q);
    /* AdamW first scales p by 1 - lr * 0.01 */
    T_ASSERT_VALUES(q, 1e-6, 1 * (1 - 1e-4) - 0.01, 2 * (1 - 1e-4) - 0.01);
}

Test(adam, second_step_by_hand) {
    Tensor *p = param();
    Optimizer *o = optim_adam(T_LIST(p), .lr = 0.1, .beta1 = 0.5, .beta2 = 0.5, .eps = 0);
    round_of(o, p), round_of(o, p);
    /* constant g: m = 0.75 g, v = 0.75 g^2, corrections 0.75 and 0.75: the step is
       lr g / (sqrt(g^2 / 0.75) * sqrt(0.75)) ... = lr */
    T_ASSERT_VALUES(p, 1e-6, 0.8, 1.8);
}

Test(optimizer, skips_parameters_without_grad_and_zero_grad) {
    Tensor *p = param(), *unused = t_requires_grad_(t_ones(3), true);
    Optimizer *o = optim_adam(T_LIST(p, unused));
    round_of(o, p);
    T_ASSERT_VALUES(unused, 0, 1, 1, 1);
    cr_assert_not_null(t_grad(p));
    opt_zero_grad(o);
    cr_assert_null(t_grad(p));
    cr_assert(t_close(opt_get_lr(o), 1e-3, 0, 1e-12), "Adam's default lr is 1e-3");
    opt_set_lr(o, 0.5);
    cr_assert_eq(opt_get_lr(o), 0.5);
}

Test(optimizer, misuse) {
    Tensor *p = param();
    T_ASSERT_RAISES(T_ERR_VALUE, optim_sgd(((TensorList){NULL, 0})), "empty parameter list");
    T_ASSERT_RAISES(T_ERR_VALUE, optim_sgd(T_LIST(p), .lr = -1), "learning rate");
    T_ASSERT_RAISES(T_ERR_VALUE, optim_sgd(T_LIST(p), .nesterov = true), "Nesterov");
    T_ASSERT_RAISES(T_ERR_VALUE, optim_adam(T_LIST(p), .beta1 = 1), "beta");
    T_ASSERT_RAISES(T_ERR_VALUE, optim_adamw(T_LIST(p), .weight_decay = -1), "weight_decay");
    T_ASSERT_RAISES(T_ERR_VALUE, optim_sgd(T_LIST(t_mul_s(p, 2))), "non-leaf", "MulBackward");
    T_ASSERT_RAISES(T_ERR_DTYPE, optim_sgd(T_LIST(t_ones_dt(T_I64, 2))), "int64");
    T_ASSERT_RAISES(T_ERR_VALUE, optim_step_lr(optim_sgd(T_LIST(p)), 0), "period");
}

Test(schedule, step_lr) {
    Optimizer *o = optim_sgd(T_LIST(param()), .lr = 1);
    LRScheduler *s = optim_step_lr(o, 2);
    double want[] = {1, 0.1, 0.1, 0.01, 0.01};
    for (int e = 0; e < 5; e++) {
        opt_sched_step(s);
        cr_assert(t_close(opt_get_lr(o), want[e], 1e-15, 1e-12), "epoch %d: lr %g, expected %g",
                  e + 1, opt_get_lr(o), want[e]);
    }
    cr_assert_eq(opt_sched_get_lr(s), opt_get_lr(o));
}

Test(schedule, cosine_annealing) {
    Optimizer *o = optim_sgd(T_LIST(param()), .lr = 1);
    LRScheduler *s = optim_cosine_annealing_lr(o, 4, .eta_min = 0.2);
    double want[] = {0.2 + 0.8 * (1 + cos(M_PI / 4)) / 2, 0.6, 0.2 + 0.8 * (1 + cos(3 * M_PI / 4)) / 2, 0.2};
    for (int e = 0; e < 4; e++) {
        opt_sched_step(s);
        cr_assert(t_close(opt_get_lr(o), want[e], 1e-12, 0), "epoch %d: lr %g, expected %g",
                  e + 1, opt_get_lr(o), want[e]);
    }
}

Test(sgd, step_on_a_transposed_parameter_and_misuse_of_the_update) {
    /* the one-pass update walks any layout, and refuses what it cannot do in place */
    Tensor *p = t_requires_grad_(t_T(t_tensor(((float[]){1, 2, 3, 4, 5, 6}), 2, 3)), true);
    Optimizer *opt = optim_sgd(T_LIST(p), .lr = 0.5, .momentum = 0.9);
    t_backward(t_sum(t_mul(p, p))); /* grad 2p */
    opt_step(opt);
    T_ASSERT_VALUES(p, 1e-6, 0, 0, 0, 0, 0, 0); /* p - 0.5 * 2p */
    T_ASSERT_RAISES(T_ERR_SHAPE, t_axpby_("test", t_ones(3), 1, t_ones(4), 1), "test", "[3]", "[4]");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_axpby_("test", t_ones(3), 1, t_ones_dt(T_F64, 3), 1), "float64");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_axpby_("test", t_ones_dt(T_I64, 3), 1, t_ones_dt(T_I64, 3), 1));
    T_ASSERT_RAISES(T_ERR_AUTOGRAD, t_axpby_("test", t_requires_grad_(t_ones(3), true), 1, t_ones(3), 1),
                    "T_NO_GRAD");
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_axpby_("test", t_expand(t_ones(1), 3), 1, t_ones(3), 1),
                    "single memory location");
}
