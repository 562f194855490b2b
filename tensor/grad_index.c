/* grad_index.c — backward formulas of indexing and joining: what was gathered is scattered
   back (added, so repeated indices accumulate), and what was joined is cut apart. */
#include "autograd.h"
#include "grad.h"

/* Zeros of input i's shape, dtype and device, to scatter a gradient into. */
static Tensor *zeros_of_input(const Node *n, int i, const Tensor *g) {
    Tensor *z = t_zeros_shape(n->in_shape[i], n->in_dtype[i]);
    return g->device == T_CPU ? z : t_to(z, g->device);
}

static void index_select_backward(Node *n, Tensor *g, Tensor **gi) {
    Tensor *index = t_ag_saved(n, 0);
    int dim = (int)n->ip[0];
    /* the 1-D index, laid along dim and broadcast over g's other dims */
    Shape s = {g->ndim, {0}};
    for (int d = 0; d < g->ndim; d++) s.d[d] = d == dim ? t_numel(index) : 1;
    Tensor *idx = t_expand_shape(t_reshape_shape(index, s), t_shape(g));
    gi[0] = t_scatter_add(zeros_of_input(n, 0, g), dim, idx, g);
}

static void gather_backward(Node *n, Tensor *g, Tensor **gi) {
    gi[0] = t_scatter_add(zeros_of_input(n, 0, g), (int)n->ip[0], t_ag_saved(n, 0), g);
}

/* scatter: overwritten positions pass nothing back to x; src gets what its values became. */
static void scatter_backward(Node *n, Tensor *g, Tensor **gi) {
    Tensor *index = t_ag_saved(n, 0);
    int dim = (int)n->ip[0];
    bool add = n->ip[1] != 0;
    if (t_ag_input_needed(n, 0)) {
        if (add) {
            gi[0] = g;
        } else {
            Tensor *zeros = t_zeros_shape(t_shape(index), g->dtype);
            if (g->device != T_CPU) zeros = t_to(zeros, g->device);
            gi[0] = t_scatter(g, dim, index, zeros);
        }
    }
    if (t_ag_input_needed(n, 2)) {
        /* only src's leading block of index's shape was read; the rest gets zero */
        Tensor *gs = zeros_of_input(n, 2, g), *block = gs;
        for (int d = 0; d < index->ndim; d++) block = t_narrow(block, d, 0, index->size[d]);
        t_copy_(block, t_gather(g, dim, index));
        gi[2] = gs;
    }
}

static void masked_fill_backward(Node *n, Tensor *g, Tensor **gi) {
    gi[0] = t_masked_fill(g, t_ag_saved(n, 0), 0);
}

static void cat_backward(Node *n, Tensor *g, Tensor **gi) {
    int dim = (int)n->ip[0];
    int64_t at = 0;
    for (int i = 0; i < n->ninputs; i++) {
        Shape s = n->in_shape[i];
        if (s.ndim == 1 && s.d[0] == 0 && g->ndim != 1) continue; /* skipped by t_cat */
        int64_t len = s.d[dim];
        if (t_ag_input_needed(n, i)) {
            Tensor *part = t_narrow(g, dim, at, len);
            gi[i] = part->dtype == n->in_dtype[i] ? part : t_to_dtype(part, n->in_dtype[i]);
        }
        at += len;
    }
}

void t_grad_record_index_select(Tensor *out, Tensor *x, int dim, Tensor *index) {
    if (!t_dtype_is_floating(out->dtype) || !t_ag_needed(1, &x)) return;
    Node *n = t_ag_node("IndexSelectBackward0", index_select_backward, 1, &x);
    n->ip[0] = dim;
    t_ag_save(n, 0, index);
    t_ag_set_output(out, n);
}

void t_grad_record_gather(Tensor *out, Tensor *x, int dim, Tensor *index) {
    if (!t_dtype_is_floating(out->dtype) || !t_ag_needed(1, &x)) return;
    Node *n = t_ag_node("GatherBackward0", gather_backward, 1, &x);
    n->ip[0] = dim;
    t_ag_save(n, 0, index);
    t_ag_set_output(out, n);
}

void t_grad_record_scatter(Tensor *out, Tensor *x, int dim, Tensor *index, Tensor *src,
                           bool add) {
    Tensor *in[3] = {x, index, src};
    if (!t_dtype_is_floating(out->dtype) || !t_ag_needed(3, in)) return;
    Node *n = t_ag_node(add ? "ScatterAddBackward0" : "ScatterBackward0", scatter_backward, 3, in);
    n->ip[0] = dim;
    n->ip[1] = add;
    t_ag_save(n, 0, index);
    t_ag_set_output(out, n);
}

void t_grad_record_masked_fill(Tensor *out, Tensor *x, Tensor *mask) {
    if (!t_dtype_is_floating(out->dtype) || !t_ag_needed(1, &x)) return;
    Node *n = t_ag_node("MaskedFillBackward0", masked_fill_backward, 1, &x);
    t_ag_save(n, 0, mask);
    t_ag_set_output(out, n);
}

void t_grad_record_cat(Tensor *out, TensorList parts, int dim) {
    if (!t_dtype_is_floating(out->dtype) || !t_ag_needed(parts.n, parts.items)) return;
    Node *n = t_ag_node("CatBackward0", cat_backward, parts.n, parts.items);
    n->ip[0] = dim;
    t_ag_set_output(out, n);
}
