/*
 * grad_elementwise.c — backward formulas of the elementwise ops, written with ops so they run
 * on every device. Gradients are summed back over broadcast dims and cast back to each
 * input's dtype.
 */
#include <math.h>

#include "autograd.h"
#include "grad.h"

/* g brought back to input i's shape and dtype. */
static Tensor *to_input(Node *n, int i, Tensor *g) {
    g = t_sum_to_shape(g, n->in_shape[i]);
    return g->dtype == n->in_dtype[i] ? g : t_to_dtype(g, n->in_dtype[i]);
}

static void add_backward(Node *n, Tensor *g, Tensor **gi) {
    if (t_ag_input_needed(n, 0)) gi[0] = to_input(n, 0, g);
    if (t_ag_input_needed(n, 1)) gi[1] = to_input(n, 1, g);
}

static void sub_backward(Node *n, Tensor *g, Tensor **gi) {
    if (t_ag_input_needed(n, 0)) gi[0] = to_input(n, 0, g);
    if (t_ag_input_needed(n, 1)) gi[1] = to_input(n, 1, t_neg(g));
}

static void mul_backward(Node *n, Tensor *g, Tensor **gi) {
    if (t_ag_input_needed(n, 0)) gi[0] = to_input(n, 0, t_mul(g, t_ag_saved(n, 1)));
    if (t_ag_input_needed(n, 1)) gi[1] = to_input(n, 1, t_mul(g, t_ag_saved(n, 0)));
}

static void div_backward(Node *n, Tensor *g, Tensor **gi) {
    Tensor *b = t_ag_saved(n, 1);
    if (t_ag_input_needed(n, 0)) gi[0] = to_input(n, 0, t_div(g, b));
    if (t_ag_input_needed(n, 1)) {
        Tensor *a = t_ag_saved(n, 0);
        gi[1] = to_input(n, 1, t_neg(t_div(t_mul(g, a), t_mul(b, b))));
    }
}

static void pow_backward(Node *n, Tensor *g, Tensor **gi) {
    Tensor *a = t_ag_saved(n, 0), *b = t_ag_saved(n, 1);
    if (t_ag_input_needed(n, 0))
        gi[0] = to_input(n, 0, t_mul(g, t_mul(b, t_pow(a, t_sub_s(b, 1)))));
    if (t_ag_input_needed(n, 1)) {
        /* d/db a^b = a^b log a, taken as 0 where a == 0 (PyTorch's convention) */
        Tensor *v = t_mul(t_pow(a, b), t_log(a));
        v = t_where(t_eq_s(a, 0), t_zeros_like(v), v);
        gi[1] = to_input(n, 1, t_mul(g, v));
    }
}

/* maximum/minimum: the gradient goes to the chosen input, split evenly on ties (PyTorch 1.13). */
static void minmax_backward(Node *n, Tensor *g, Tensor **gi, bool is_max) {
    Tensor *a = t_ag_saved(n, 0), *b = t_ag_saved(n, 1);
    Tensor *half = t_where(t_eq(a, b), t_div_s(g, 2), g), *zero = t_zeros_like(half);
    Tensor *a_lost = is_max ? t_lt(a, b) : t_gt(a, b), *b_lost = is_max ? t_gt(a, b) : t_lt(a, b);
    if (t_ag_input_needed(n, 0)) gi[0] = to_input(n, 0, t_where(a_lost, zero, half));
    if (t_ag_input_needed(n, 1)) gi[1] = to_input(n, 1, t_where(b_lost, zero, half));
}
static void max_backward(Node *n, Tensor *g, Tensor **gi) { minmax_backward(n, g, gi, true); }
static void min_backward(Node *n, Tensor *g, Tensor **gi) { minmax_backward(n, g, gi, false); }

static const struct {
    const char *name;
    BackwardFn fn;
} binary_grads[B_NBINARY] = {
    [B_ADD] = {"AddBackward0", add_backward}, [B_SUB] = {"SubBackward0", sub_backward},
    [B_MUL] = {"MulBackward0", mul_backward}, [B_DIV] = {"DivBackward0", div_backward},
    [B_POW] = {"PowBackward1", pow_backward}, [B_MAX] = {"MaximumBackward0", max_backward},
    [B_MIN] = {"MinimumBackward0", min_backward},
};

void t_grad_record_binary(BinaryOp op, Tensor *out, Tensor *a, Tensor *b) {
    if (op >= B_EQ || !t_dtype_is_floating(out->dtype)) return; /* comparisons: no gradient */
    Tensor *in[2] = {a, b};
    if (!t_ag_needed(2, in)) return;
    Node *n = t_ag_node(binary_grads[op].name, binary_grads[op].fn, 2, in);
    t_ag_save(n, 0, a);
    t_ag_save(n, 1, b);
    t_ag_set_output(out, n);
}

/* ---- unary ---- */

/* The saved input and output of a unary node; only the ones its formula uses are saved. */
static Tensor *saved_x(Node *n) { return t_ag_saved(n, 0); }
static Tensor *saved_out(Node *n) { return t_ag_saved(n, 1); }

static void unary_backward(Node *n, Tensor *g, Tensor **gi) {
    Tensor *d;
    double s = n->p[0];
    switch ((UnaryOp)n->ip[0]) {
    case U_EXP: d = t_mul(g, saved_out(n)); break;
    case U_LOG: d = t_div(g, saved_x(n)); break;
    case U_SQRT: d = t_div(g, t_mul_s(saved_out(n), 2)); break;
    case U_SIN: d = t_mul(g, t_cos(saved_x(n))); break;
    case U_COS: d = t_neg(t_mul(g, t_sin(saved_x(n)))); break;
    case U_TANH: {
        Tensor *out = saved_out(n);
        d = t_mul(g, t_rsub_s(t_mul(out, out), 1));
        break;
    }
    case U_SIGMOID: {
        Tensor *out = saved_out(n);
        d = t_mul(g, t_mul(out, t_rsub_s(out, 1)));
        break;
    }
    case U_NEG: d = t_neg(g); break;
    case U_ABS: { /* sign(x), with sign(0) = 0 */
        Tensor *x = saved_x(n);
        d = t_mul(g, t_sub(t_to_dtype(t_gt_s(x, 0), g->dtype), t_to_dtype(t_lt_s(x, 0), g->dtype)));
        break;
    }
    case U_RELU: /* PyTorch's threshold_backward: 0 where out <= 0, else g (two passes, not three) */
        d = t_where(t_le_s(saved_out(n), 0), t_scalar_dt(g->dtype, 0), g);
        break;
    case U_CLAMP: {
        Tensor *x = saved_x(n);
        Tensor *inside = t_mul(t_to_dtype(t_ge_s(x, n->p[0]), g->dtype),
                               t_to_dtype(t_le_s(x, n->p[1]), g->dtype));
        d = t_mul(g, inside);
        break;
    }
    case U_ADD_S: d = g; break;
    case U_MUL_S: d = t_mul_s(g, s); break;
    case U_DIV_S: d = t_div_s(g, s); break;
    case U_RSUB_S: d = t_neg(g); break;
    case U_POW_S:
        d = s == 0 ? t_zeros_like(g) : t_mul(g, t_mul_s(t_pow_s(saved_x(n), s - 1), s));
        break;
    default: t_raise(T_ERR_AUTOGRAD, "%s: no derivative", n->name); return;
    }
    gi[0] = d->dtype == n->in_dtype[0] ? d : t_to_dtype(d, n->in_dtype[0]);
}

/* What each unary derivative reads: its input, its output, or neither. */
static bool needs_input(UnaryOp op) {
    return op == U_LOG || op == U_SIN || op == U_COS || op == U_ABS || op == U_CLAMP ||
           op == U_POW_S;
}
static bool needs_output(UnaryOp op) {
    return op == U_EXP || op == U_SQRT || op == U_TANH || op == U_SIGMOID || op == U_RELU;
}

static const char *const unary_names[U_NUNARY] = {
    [U_EXP] = "ExpBackward0",     [U_LOG] = "LogBackward0",       [U_SQRT] = "SqrtBackward0",
    [U_SIN] = "SinBackward0",     [U_COS] = "CosBackward0",       [U_TANH] = "TanhBackward0",
    [U_SIGMOID] = "SigmoidBackward0", [U_NEG] = "NegBackward0",   [U_ABS] = "AbsBackward0",
    [U_RELU] = "ReluBackward0",   [U_CLAMP] = "ClampBackward1",   [U_ADD_S] = "AddBackward1",
    [U_MUL_S] = "MulBackward1",   [U_DIV_S] = "DivBackward1",     [U_RSUB_S] = "RsubBackward1",
    [U_POW_S] = "PowBackward0",
};

void t_grad_record_unary(UnaryOp op, Tensor *out, Tensor *x, double p0, double p1) {
    if (!t_dtype_is_floating(out->dtype) || !t_ag_needed(1, &x)) return;
    Node *n = t_ag_node(unary_names[op], unary_backward, 1, &x);
    n->ip[0] = op;
    n->p[0] = p0;
    n->p[1] = p1;
    if (needs_input(op)) t_ag_save(n, 0, x);
    if (needs_output(op)) t_ag_save(n, 1, out == x ? t_clone(out) : out);
    t_ag_set_output(out, n);
}

/* ---- where, casts, copies ---- */

static void where_backward(Node *n, Tensor *g, Tensor **gi) {
    Tensor *c = t_ag_saved(n, 0), *zero = t_zeros_like(g);
    if (t_ag_input_needed(n, 1)) gi[1] = to_input(n, 1, t_where(c, g, zero));
    if (t_ag_input_needed(n, 2)) gi[2] = to_input(n, 2, t_where(c, zero, g));
}

void t_grad_record_where(Tensor *out, Tensor *cond, Tensor *a, Tensor *b) {
    Tensor *in[3] = {cond, a, b};
    if (!t_dtype_is_floating(out->dtype) || !t_ag_needed(3, in)) return;
    Node *n = t_ag_node("WhereBackward0", where_backward, 3, in);
    t_ag_save(n, 0, cond);
    t_ag_set_output(out, n);
}

static void identity_backward(Node *n, Tensor *g, Tensor **gi) { gi[0] = to_input(n, 0, g); }

void t_grad_record_identity(const char *name, Tensor *out, Tensor *x) {
    if (!t_dtype_is_floating(out->dtype) || !t_dtype_is_floating(x->dtype)) return;
    if (!t_ag_needed(1, &x)) return;
    t_ag_set_output(out, t_ag_node(name, identity_backward, 1, &x));
}

/* copy_: the old contents of dst get no gradient; src gets dst's, summed to its shape. */
static void copy_backward(Node *n, Tensor *g, Tensor **gi) {
    if (t_ag_input_needed(n, 0)) gi[0] = t_zeros_like(g);
    if (t_ag_input_needed(n, 1)) gi[1] = to_input(n, 1, g);
}

void t_grad_record_copy(Tensor *dst, Tensor *src) {
    Tensor *in[2] = {dst, src};
    if (!t_dtype_is_floating(dst->dtype) || !t_ag_needed(2, in)) return;
    t_ag_set_output(dst, t_ag_node("CopyBackwards", copy_backward, 2, in));
}

/* fill_: nothing flows back to the overwritten values. */
static void fill_backward(Node *n, Tensor *g, Tensor **gi) {
    if (t_ag_input_needed(n, 0)) gi[0] = t_zeros_like(g);
}

void t_grad_record_fill(Tensor *x) {
    if (!t_ag_needed(1, &x)) return;
    t_ag_set_output(x, t_ag_node("FillBackward0", fill_backward, 1, &x));
}
