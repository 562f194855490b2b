/*
 * nn_loss.c — loss functions with PyTorch's definitions, options and reductions. The negative
 * log likelihood has its own backward node (a scatter of the weights into the picked
 * positions); cross entropy is log-softmax + NLL, which keeps it stable and its backward
 * short; the others are composed from differentiable elementwise ops.
 */
#include <math.h>

#include "autograd.h"
#include "nn_internal.h"

/* Smallest log PyTorch's binary cross entropy lets through (log(0) would be -inf). */
#define BCE_LOG_MIN (-100.0)

/* Saved-tensor slots of NllLossBackward0, and its integer parameter. */
enum { NLL_SAVED_INDEX, NLL_SAVED_WEIGHT, NLL_SAVED_TOTAL };
enum { NLL_IP_REDUCTION, NLL_IP_WEIGHTED };

/* loss reduced as asked: the mean, the sum, or every element. */
static Tensor *reduce(const char *op, Tensor *loss, LossReduction r) {
    switch (r) {
    case T_REDUCE_MEAN: return t_mean(loss);
    case T_REDUCE_SUM: return t_sum(loss);
    case T_REDUCE_NONE: return loss;
    }
    t_raise(T_ERR_VALUE, "%s: reduction must be T_REDUCE_MEAN, T_REDUCE_SUM or T_REDUCE_NONE, "
            "got %d", op, (int)r);
    return NULL;
}

/* True when a and b have the same sizes. */
static bool same_shape(Shape a, Shape b) {
    if (a.ndim != b.ndim) return false;
    for (int i = 0; i < a.ndim; i++)
        if (a.d[i] != b.d[i]) return false;
    return true;
}

/* Raises unless input and target are floating tensors on one device of broadcastable shapes. */
static void check_pair(const char *op, const Tensor *input, const Tensor *target) {
    if (!input || !target) t_raise(T_ERR_VALUE, "%s: input and target must not be NULL", op);
    t_nn_need_floating(op, input);
    t_nn_need_floating(op, target);
    t_check_same_device(op, input, target);
    t_broadcast_shapes(op, t_shape_of(input), t_shape_of(target));
}

/* ---- negative log likelihood ---- */

/* d loss / d input: -w_i (times the output's gradient, over the total weight for the mean)
   at each row's target class, 0 elsewhere. */
static void nll_backward(Node *n, Tensor *g, Tensor **gi) {
    Tensor *index = t_ag_saved(n, NLL_SAVED_INDEX), *src;
    int64_t rows = n->in_shape[0].d[0];
    bool mean = n->ip[NLL_IP_REDUCTION] == T_REDUCE_MEAN;
    if (n->ip[NLL_IP_WEIGHTED]) {
        Tensor *w = t_ag_saved(n, NLL_SAVED_WEIGHT);
        Tensor *scale = mean ? t_div(g, t_ag_saved(n, NLL_SAVED_TOTAL)) : g;
        src = t_unsqueeze(t_neg(t_mul(w, scale)), 1);
    } else if (n->ip[NLL_IP_REDUCTION] == T_REDUCE_NONE) {
        src = t_unsqueeze(t_neg(g), 1);
    } else { /* every row weighs 1: one value for all */
        src = t_expand(t_reshape(t_mul_s(g, mean ? -1.0 / (double)rows : -1.0), 1, 1), rows, 1);
    }
    Tensor *gx = t_zero_(t_new(n->in_shape[0], g->dtype, g->device));
    /* the targets were checked in the forward pass */
    t_backend(g->device)->scatter(gx, 1, index, t_contiguous(src), false);
    gi[0] = gx;
}

/* Raises IndexError for a target outside [0, classes) that is not ignore_index; true when
   some target is ignore_index. */
static bool check_targets(const char *op, Tensor *target, int64_t classes, int64_t ignore) {
    Tensor *t = t_contiguous(t_to(target, T_CPU));
    const int64_t *p = t_data(t);
    bool ignored = false;
    for (int64_t i = 0; i < t_numel(t); i++) {
        ignored |= p[i] == ignore;
        if (p[i] != ignore && (p[i] < 0 || p[i] >= classes))
            t_raise(T_ERR_INDEX, "%s: target %lld is out of bounds for %lld classes", op,
                    (long long)p[i], (long long)classes);
    }
    return ignored;
}

/* NLL of 2-d log-probabilities [M, C] at targets [M] when every row weighs 1 (no class
   weights, nothing ignored): the picked entries' negated mean, sum or values. */
static Tensor *nll_unweighted(const char *op, Tensor *logp, Tensor *target, LossArgs a) {
    Tensor *index, *out;
    T_NO_GRAD {
        index = t_unsqueeze(target, 1);
        Tensor *picked = t_gather(logp, 1, index);
        int64_t rows = logp->size[0];
        if (a.reduction == T_REDUCE_NONE) out = t_neg(t_view(picked, -1));
        else if (a.reduction == T_REDUCE_MEAN) out = t_mul_s(t_sum(picked), -1.0 / (double)rows);
        else out = t_neg(reduce(op, picked, a.reduction)); /* SUM, or the error for a bad value */
    }
    if (t_ag_needed(1, &logp)) {
        Node *n = t_ag_node("NllLossBackward0", nll_backward, 1, &logp);
        n->ip[NLL_IP_REDUCTION] = a.reduction;
        n->ip[NLL_IP_WEIGHTED] = false;
        t_ag_save(n, NLL_SAVED_INDEX, index);
        t_ag_set_output(out, n);
    }
    return out;
}

/* NLL of 2-d log-probabilities [M, C] at targets [M], with class weights and ignored
   targets: each row weighs w[target] (0 when ignored); the mean divides by the total. */
static Tensor *nll_2d(const char *op, Tensor *logp, Tensor *target, LossArgs a) {
    int64_t classes = logp->size[1];
    bool ignored = check_targets(op, target, classes, a.ignore_index);
    if (!a.weight && !ignored) return nll_unweighted(op, logp, target, a);
    if (a.weight) {
        if (a.weight->ndim != 1 || a.weight->size[0] != classes)
            t_raise(T_ERR_SHAPE, "%s: expected a weight of shape [%lld] (one per class), got %s",
                    op, (long long)classes, t_shape_str(t_shape_of(a.weight)));
        t_check_same_device(op, logp, a.weight);
    }
    Tensor *index, *w, *total, *out;
    T_NO_GRAD {
        Tensor *ignore = t_eq_s(target, (double)a.ignore_index);
        index = t_unsqueeze(t_masked_fill(target, ignore, 0), 1);
        Tensor *valid = t_to_dtype(t_ne_s(target, (double)a.ignore_index), logp->dtype);
        w = a.weight ? t_mul(t_index_select(t_to_dtype(a.weight, logp->dtype), 0,
                                            t_view(index, -1)), valid)
                     : valid;
        Tensor *loss = t_neg(t_mul(t_view(t_gather(logp, 1, index), -1), w));
        total = t_sum(w);
        out = a.reduction == T_REDUCE_MEAN ? t_div(t_sum(loss), total) : reduce(op, loss, a.reduction);
    }
    if (t_ag_needed(1, &logp)) {
        Node *n = t_ag_node("NllLossBackward0", nll_backward, 1, &logp);
        n->ip[NLL_IP_REDUCTION] = a.reduction;
        n->ip[NLL_IP_WEIGHTED] = true;
        t_ag_save(n, NLL_SAVED_INDEX, index);
        t_ag_save(n, NLL_SAVED_WEIGHT, w);
        t_ag_save(n, NLL_SAVED_TOTAL, total);
        t_ag_set_output(out, n);
    }
    return out;
}

/* The class-index layout of a loss: input [N, C, d...] moved to [M, C] rows, target [M],
   and the shape [N, d...] an unreduced loss has. [C] with a 0-d target is one row. */
typedef struct ClassRows {
    Tensor *rows, *target;
    Shape loss_shape;
} ClassRows;

/* input and target in the class-index layout, or ShapeError / TypeError naming op. */
static ClassRows class_rows(const char *op, Tensor *input, Tensor *target) {
    if (target->dtype != T_I64)
        t_raise(T_ERR_DTYPE, "%s: expected int64 class indices as target, got %s (or give "
                "class probabilities of the input's shape)", op, t_dtype_name(target->dtype));
    t_check_same_device(op, input, target);
    ClassRows r;
    if (input->ndim == 1 && target->ndim == 0) {
        r.rows = t_unsqueeze(input, 0);
        r.target = t_reshape(target, 1);
        r.loss_shape = T_SHAPE();
        return r;
    }
    bool fits = input->ndim >= 2 && target->ndim == input->ndim - 1 &&
                target->size[0] == input->size[0];
    for (int d = 2; fits && d < input->ndim; d++) fits = target->size[d - 1] == input->size[d];
    if (!fits)
        t_raise(T_ERR_SHAPE, "%s: expected input [N, C, d...] and target [N, d...], got input "
                "%s and target %s", op, t_shape_str(t_shape_of(input)),
                t_shape_str(t_shape_of(target)));
    r.loss_shape = t_shape_of(target);
    r.rows = input;
    if (input->ndim > 2) { /* [N, C, d...] -> [N, d..., C] -> [M, C] */
        Shape perm = {input->ndim, {0}};
        for (int d = 0; d < input->ndim; d++) perm.d[d] = d == 0 ? 0 : d == input->ndim - 1 ? 1 : d + 1;
        r.rows = t_reshape(t_permute_shape(input, perm), -1, input->size[1]);
    }
    r.target = t_reshape(target, -1);
    return r;
}

Tensor *nn_nll_loss_args(Tensor *input, Tensor *target, LossArgs args) {
    const char *op = "nn_nll_loss";
    if (!input || !target) t_raise(T_ERR_VALUE, "%s: input and target must not be NULL", op);
    t_nn_need_floating(op, input);
    ClassRows r = class_rows(op, input, target);
    Tensor *loss = nll_2d(op, r.rows, r.target, args);
    return args.reduction == T_REDUCE_NONE ? t_reshape_shape(loss, r.loss_shape) : loss;
}

/* ---- cross entropy ---- */

/* Cross entropy against class probabilities of the input's shape. */
static Tensor *cross_entropy_soft(const char *op, Tensor *input, Tensor *target, LossArgs a) {
    if (!same_shape(t_shape_of(input), t_shape_of(target)))
        t_raise(T_ERR_SHAPE, "%s: class probabilities must have the input's shape %s, got %s",
                op, t_shape_str(t_shape_of(input)), t_shape_str(t_shape_of(target)));
    int cdim = input->ndim == 1 ? 0 : 1;
    int64_t classes = input->size[cdim];
    if (a.label_smoothing > 0)
        target = t_add_s(t_mul_s(target, 1 - a.label_smoothing), a.label_smoothing / classes);
    Tensor *terms = t_mul(t_log_softmax(input, cdim), target);
    if (a.weight) {
        Shape ws = {input->ndim, {0}};
        for (int d = 0; d < ws.ndim; d++) ws.d[d] = d == cdim ? classes : 1;
        terms = t_mul(terms, t_reshape_shape(a.weight, ws));
    }
    Tensor *loss = t_neg(t_sum_dim(terms, cdim, false));
    if (a.reduction == T_REDUCE_MEAN)
        return t_div_s(t_sum(loss), (double)(input->ndim == 1 ? 1 : t_numel(input) / classes));
    return reduce(op, loss, a.reduction);
}

Tensor *nn_cross_entropy_args(Tensor *input, Tensor *target, LossArgs a) {
    const char *op = "nn_cross_entropy";
    if (!input || !target) t_raise(T_ERR_VALUE, "%s: input and target must not be NULL", op);
    t_nn_need_floating(op, input);
    if (!(a.label_smoothing >= 0 && a.label_smoothing <= 1))
        t_raise(T_ERR_VALUE, "%s: label_smoothing must be between 0.0 and 1.0, got %g", op,
                a.label_smoothing);
    if (t_dtype_is_floating(target->dtype)) return cross_entropy_soft(op, input, target, a);
    ClassRows r = class_rows(op, input, target);
    Tensor *logp = t_log_softmax(r.rows, 1);
    Tensor *loss = nll_2d(op, logp, r.target, a);
    if (a.label_smoothing > 0) {
        /* PyTorch's smoothing term: -sum_c w_c logp_c per row, 0 where the target is
           ignored, reduced like the NLL */
        int64_t classes = r.rows->size[1];
        Tensor *terms = a.weight ? t_mul(logp, t_to_dtype(a.weight, logp->dtype)) : logp;
        Tensor *smooth = t_neg(t_sum_dim(terms, 1, false));
        smooth = t_masked_fill(smooth, t_eq_s(r.target, (double)a.ignore_index), 0);
        Tensor *reduced;
        if (a.reduction == T_REDUCE_MEAN) { /* over the targets' total weight, as the NLL */
            Tensor *total;
            T_NO_GRAD {
                Tensor *ignored = t_eq_s(r.target, (double)a.ignore_index);
                Tensor *w = t_to_dtype(t_ne_s(r.target, (double)a.ignore_index), logp->dtype);
                if (a.weight)
                    w = t_mul(w, t_index_select(t_to_dtype(a.weight, logp->dtype), 0,
                                                t_masked_fill(r.target, ignored, 0)));
                total = t_sum(w);
            }
            reduced = t_div(t_sum(smooth), total);
        } else {
            reduced = reduce(op, smooth, a.reduction);
        }
        loss = t_add(t_mul_s(loss, 1 - a.label_smoothing),
                     t_mul_s(reduced, a.label_smoothing / (double)classes));
    }
    return a.reduction == T_REDUCE_NONE ? t_reshape_shape(loss, r.loss_shape) : loss;
}

/* ---- regression and binary losses ---- */

Tensor *nn_mse_loss_args(Tensor *input, Tensor *target, LossArgs a) {
    check_pair("nn_mse_loss", input, target);
    Tensor *d = t_sub(input, target);
    return reduce("nn_mse_loss", t_mul(d, d), a.reduction);
}

Tensor *nn_l1_loss_args(Tensor *input, Tensor *target, LossArgs a) {
    check_pair("nn_l1_loss", input, target);
    return reduce("nn_l1_loss", t_abs(t_sub(input, target)), a.reduction);
}

Tensor *nn_bce_loss_args(Tensor *input, Tensor *target, LossArgs a) {
    const char *op = "nn_bce_loss";
    check_pair(op, input, target);
    if (!same_shape(t_shape_of(input), t_shape_of(target)))
        t_raise(T_ERR_SHAPE, "%s: target %s must have the input's shape %s", op,
                t_shape_str(t_shape_of(target)), t_shape_str(t_shape_of(input)));
    if (t_numel(input) && (t_item(t_min(input)) < 0 || t_item(t_max(input)) > 1))
        t_raise(T_ERR_VALUE, "%s: all elements of input should be between 0 and 1 (apply "
                "t_sigmoid, or use nn_bce_with_logits)", op);
    Tensor *log_p = t_clamp(t_log(input), BCE_LOG_MIN, INFINITY);
    Tensor *log_q = t_clamp(t_log(t_rsub_s(input, 1)), BCE_LOG_MIN, INFINITY);
    Tensor *loss = t_neg(t_add(t_mul(target, log_p), t_mul(t_rsub_s(target, 1), log_q)));
    if (a.weight) loss = t_mul(loss, a.weight);
    return reduce(op, loss, a.reduction);
}

Tensor *nn_bce_with_logits_args(Tensor *input, Tensor *target, LossArgs a) {
    const char *op = "nn_bce_with_logits";
    check_pair(op, input, target);
    /* softplus(-x) = max(-x, 0) + log(exp(-max) + exp(-x - max)), which never overflows */
    Tensor *max_val = t_relu(t_neg(input));
    Tensor *softplus = t_add(t_log(t_add(t_exp(t_neg(max_val)),
                                         t_exp(t_sub(t_neg(input), max_val)))), max_val);
    if (a.pos_weight) /* log_weight = 1 + (pos_weight - 1) target */
        softplus = t_mul(softplus, t_add_s(t_mul(t_sub_s(a.pos_weight, 1), target), 1));
    Tensor *loss = t_add(t_mul(t_rsub_s(target, 1), input), softplus);
    if (a.weight) loss = t_mul(loss, a.weight);
    return reduce(op, loss, a.reduction);
}
