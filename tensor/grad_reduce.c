/* grad_reduce.c — backward formulas of reductions and softmax. A reduced gradient is first
   given back its reduced dim (size 1), then broadcast over the input's shape. */
#include "autograd.h"
#include "grad.h"

/* g with the reduced dim restored: unsqueezed at dim unless keepdim kept it; for a full
   reduction (dim < 0) a 0-d g broadcasts as it is. */
static Tensor *unreduce(Tensor *g, const Node *n) {
    int dim = (int)n->ip[0];
    bool keepdim = n->ip[1] != 0;
    if (dim >= 0 && !keepdim) g = t_unsqueeze(g, dim);
    return g;
}

static void sum_backward(Node *n, Tensor *g, Tensor **gi) {
    gi[0] = t_expand_shape(unreduce(g, n), n->in_shape[0]);
}

static void mean_backward(Node *n, Tensor *g, Tensor **gi) {
    gi[0] = t_expand_shape(t_div_s(unreduce(g, n), n->p[0]), n->in_shape[0]);
}

/* d prod / d x_i is the product of the others: out / x_i where x_i != 0; where x_i is the
   only zero of its slice, the product of the nonzeros; 0 otherwise. */
static void prod_backward(Node *n, Tensor *g, Tensor **gi) {
    Tensor *x = t_ag_saved(n, 0), *out = unreduce(t_ag_saved(n, 1), n);
    int dim = (int)n->ip[0];
    Tensor *is_zero = t_eq_s(x, 0), *x_safe = t_masked_fill(x, is_zero, 1);
    Tensor *zero_count, *prod_nonzero;
    if (dim >= 0) {
        zero_count = t_sum_dim(is_zero, dim, true);
        prod_nonzero = t_prod_dim(x_safe, dim, true);
    } else {
        zero_count = t_sum(is_zero);
        prod_nonzero = t_prod(x_safe);
    }
    Tensor *at_zero = t_where(t_eq_s(zero_count, 1), prod_nonzero, t_zeros_like(prod_nonzero));
    Tensor *d = t_where(is_zero, t_expand_shape(at_zero, n->in_shape[0]), t_div(out, x_safe));
    gi[0] = t_mul(t_expand_shape(unreduce(g, n), n->in_shape[0]), d);
}

/* max/min of everything: the gradient is shared evenly among the elements equal to it. */
static void extremum_all_backward(Node *n, Tensor *g, Tensor **gi) {
    Tensor *x = t_ag_saved(n, 0), *out = t_ag_saved(n, 1);
    Tensor *hit = t_to_dtype(t_eq(x, out), x->dtype);
    gi[0] = t_mul(t_div(hit, t_sum(hit)), g);
}

/* max/min along a dim: the gradient goes to the position each value came from. */
static void extremum_dim_backward(Node *n, Tensor *g, Tensor **gi) {
    Tensor *idx = unreduce(t_ag_saved(n, 0), n);
    Tensor *z = t_zeros_shape(n->in_shape[0], g->dtype);
    if (g->device != T_CPU) z = t_to(z, g->device);
    gi[0] = t_scatter_add(z, (int)n->ip[0], idx, unreduce(g, n));
}

static void softmax_backward(Node *n, Tensor *g, Tensor **gi) {
    Tensor *out = t_ag_saved(n, 0);
    int dim = (int)n->ip[0];
    gi[0] = t_mul(out, t_sub(g, t_sum_dim(t_mul(g, out), dim, true)));
}

static void log_softmax_backward(Node *n, Tensor *g, Tensor **gi) {
    Tensor *out = t_ag_saved(n, 0);
    int dim = (int)n->ip[0];
    gi[0] = t_sub(g, t_mul(t_exp(out), t_sum_dim(g, dim, true)));
}

/* One reduction's node: dim < 0 for a full reduction. */
static Node *reduce_node(const char *name, BackwardFn fn, Tensor *out, Tensor *x, int dim,
                         bool keepdim) {
    Node *n = t_ag_node(name, fn, 1, &x);
    n->ip[0] = dim;
    n->ip[1] = keepdim;
    t_ag_set_output(out, n);
    return n;
}

void t_grad_record_reduce(ReduceOp op, bool mean, Tensor *out, Tensor *x, int dim, bool keepdim,
                          Tensor *indices) {
    if (!t_dtype_is_floating(out->dtype) || !t_ag_needed(1, &x)) return;
    bool all = dim < 0;
    Node *n;
    switch (op) {
    case R_SUM:
        if (mean) {
            n = reduce_node(all ? "MeanBackward0" : "MeanBackward1", mean_backward, out, x, dim,
                            keepdim);
            n->p[0] = all ? (double)t_numel(x) : (double)x->size[dim];
        } else {
            reduce_node(all ? "SumBackward0" : "SumBackward1", sum_backward, out, x, dim, keepdim);
        }
        break;
    case R_PROD:
        n = reduce_node(all ? "ProdBackward0" : "ProdBackward1", prod_backward, out, x, dim,
                        keepdim);
        t_ag_save(n, 0, x);
        t_ag_save(n, 1, out);
        break;
    case R_MAX:
    case R_MIN:
        if (all) {
            n = reduce_node(op == R_MAX ? "MaxBackward1" : "MinBackward1", extremum_all_backward,
                            out, x, dim, keepdim);
            t_ag_save(n, 0, x);
            t_ag_save(n, 1, out);
        } else {
            n = reduce_node(op == R_MAX ? "MaxBackward0" : "MinBackward0", extremum_dim_backward,
                            out, x, dim, keepdim);
            t_ag_save(n, 0, indices);
        }
        break;
    default: break; /* argmax/argmin: integer results, no gradient */
    }
}

void t_grad_record_softmax(Tensor *out, Tensor *x, int dim, bool log) {
    if (!t_ag_needed(1, &x)) return;
    Node *n = reduce_node(log ? "LogSoftmaxBackward0" : "SoftmaxBackward0",
                          log ? log_softmax_backward : softmax_backward, out, x, dim, true);
    t_ag_save(n, 0, out);
}
