/*
 * nn_functional.c — layers as tensor ops: linear (one matrix product and an in-place bias
 * add, with its own backward node), activations (leaky ReLU, GELU), dropout and embedding.
 */
#include <math.h>

#include "autograd.h"
#include "nn_internal.h"

/* Saved-tensor slots of the nodes below. */
enum { LINEAR_SAVED_X, LINEAR_SAVED_W };
enum { GELU_SAVED_X = 0 };
enum { EMBED_SAVED_INDICES = 0 };

/* ---- linear ---- */

/* x [rows, in] and W [out, in]: dx = g W, dW = g^T x, db = the column sums of g. */
static void linear_backward(Node *n, Tensor *g, Tensor **gi) {
    Tensor *x2 = t_ag_saved(n, LINEAR_SAVED_X), *w = t_ag_saved(n, LINEAR_SAVED_W);
    Tensor *g2 = t_reshape(g, -1, w->size[0]);
    if (t_ag_input_needed(n, 0)) gi[0] = t_reshape_shape(t_matmul(g2, w), n->in_shape[0]);
    if (t_ag_input_needed(n, 1)) gi[1] = t_matmul(t_T(g2), x2);
    if (t_ag_input_needed(n, 2)) gi[2] = t_sum_dim(g2, 0, false);
}

/* Raises unless x, weight and bias fit together as a linear layer. */
static void check_linear(const Tensor *x, const Tensor *w, const Tensor *b) {
    const char *op = "t_linear";
    if (!x || !w) t_raise(T_ERR_VALUE, "%s: input and weight must not be NULL", op);
    t_nn_need_floating(op, x);
    if (w->ndim != 2)
        t_raise(T_ERR_SHAPE, "%s: expected a 2-d weight [out, in], got %s", op,
                t_shape_str(t_shape_of(w)));
    if (x->ndim < 1 || x->size[x->ndim - 1] != w->size[1])
        t_raise(T_ERR_SHAPE, "%s: weight %s expects inputs [..., %lld], got %s", op,
                t_shape_str(t_shape_of(w)), (long long)w->size[1], t_shape_str(t_shape_of(x)));
    if (b && (b->ndim != 1 || b->size[0] != w->size[0]))
        t_raise(T_ERR_SHAPE, "%s: expected a bias of shape [%lld], got %s", op,
                (long long)w->size[0], t_shape_str(t_shape_of(b)));
    if (w->dtype != x->dtype || (b && b->dtype != x->dtype))
        t_raise(T_ERR_DTYPE, "%s: input, weight and bias must share a dtype, got %s and %s", op,
                t_dtype_name(x->dtype), t_dtype_name(w->dtype));
    t_check_same_device(op, x, w);
    if (b) t_check_same_device(op, x, b);
}

Tensor *t_linear(Tensor *x, Tensor *weight, Tensor *bias) {
    check_linear(x, weight, bias);
    Tensor *x2, *out;
    Shape os = t_shape_of(x);
    os.d[os.ndim - 1] = weight->size[0];
    T_NO_GRAD {
        x2 = t_reshape(x, -1, weight->size[1]);
        out = t_matmul(x2, t_T(weight));
        if (bias) t_add_(out, bias);
        out = t_view_shape(out, os);
    }
    Tensor *in[3] = {x, weight, bias};
    if (t_ag_needed(3, in)) {
        Node *n = t_ag_node(bias ? "AddmmBackward0" : "MmBackward0", linear_backward, 3, in);
        t_ag_save(n, LINEAR_SAVED_X, x2);
        t_ag_save(n, LINEAR_SAVED_W, weight);
        t_ag_set_output(out, n);
    }
    return out;
}

/* ---- activations ---- */

Tensor *t_leaky_relu(Tensor *x, double negative_slope) {
    if (!x) t_raise(T_ERR_VALUE, "t_leaky_relu: the input is NULL");
    t_nn_need_floating("t_leaky_relu", x);
    return t_where(t_gt_s(x, 0), x, t_mul_s(x, negative_slope));
}

/* d gelu / dx times the output's gradient, by the backend's GELU primitive. */
static void gelu_backward(Node *n, Tensor *g, Tensor **gi) {
    Tensor *x = t_ag_saved(n, GELU_SAVED_X), *gx = t_new(t_shape_of(x), x->dtype, x->device);
    t_backend(x->device)->gelu(gx, x, t_contiguous(t_to_dtype(g, x->dtype)));
    gi[0] = gx;
}

Tensor *t_gelu(Tensor *x) {
    if (!x) t_raise(T_ERR_VALUE, "t_gelu: the input is NULL");
    t_nn_need_floating("t_gelu", x);
    Tensor *xc, *out = t_new(t_shape_of(x), x->dtype, x->device);
    T_NO_GRAD { xc = t_contiguous(x); }
    t_backend(x->device)->gelu(out, xc, NULL);
    if (t_ag_needed(1, &x)) {
        Node *n = t_ag_node("GeluBackward0", gelu_backward, 1, &x);
        t_ag_save(n, GELU_SAVED_X, xc);
        t_ag_set_output(out, n);
    }
    return out;
}

/* sqrt(2 / pi) and the cubic coefficient of GELU's tanh approximation. */
#define GELU_TANH_SCALE 0.79788456080286535588
#define GELU_TANH_CUBIC 0.044715

Tensor *t_gelu_tanh(Tensor *x) {
    if (!x) t_raise(T_ERR_VALUE, "t_gelu_tanh: the input is NULL");
    t_nn_need_floating("t_gelu_tanh", x);
    Tensor *inner = t_mul_s(t_add(x, t_mul_s(t_pow_s(x, 3), GELU_TANH_CUBIC)), GELU_TANH_SCALE);
    return t_mul(t_mul_s(x, 0.5), t_add_s(t_tanh(inner), 1));
}

/* ---- dropout ---- */

Tensor *t_dropout(Tensor *x, double p, bool training) {
    if (!x) t_raise(T_ERR_VALUE, "t_dropout: the input is NULL");
    if (!(p >= 0 && p <= 1))
        t_raise(T_ERR_VALUE, "t_dropout: probability has to be between 0 and 1, but got %g", p);
    if (!training || p == 0) return x;
    t_nn_need_floating("t_dropout", x);
    if (p == 1) return t_mul_s(x, 0);
    Tensor *keep = t_to_dtype(t_ge_s(t_rand_like(x), p), x->dtype);
    return t_mul(x, t_mul_s(keep, 1 / (1 - p)));
}

/* ---- embedding ---- */

/* Each row's gradient is added into the weight row it was read from. */
static void embedding_backward(Node *n, Tensor *g, Tensor **gi) {
    Tensor *idx = t_ag_saved(n, EMBED_SAVED_INDICES);
    Shape ws = n->in_shape[1];
    int64_t rows = idx->size[0], dim = ws.d[1];
    Tensor *gw = t_zero_(t_new(ws, g->dtype, g->device));
    Tensor *where = t_expand(t_unsqueeze(idx, 1), rows, dim);
    /* the indices were checked in the forward pass */
    t_backend(g->device)->scatter(gw, 0, where, t_reshape(g, rows, dim), true);
    gi[1] = gw;
}

Tensor *t_embedding(Tensor *indices, Tensor *weight) {
    const char *op = "t_embedding";
    if (!indices || !weight) t_raise(T_ERR_VALUE, "%s: indices and weight must not be NULL", op);
    if (indices->dtype != T_I64 && indices->dtype != T_I32)
        t_raise(T_ERR_DTYPE, "%s: expected int64 indices, got %s", op,
                t_dtype_name(indices->dtype));
    if (weight->ndim != 2)
        t_raise(T_ERR_SHAPE, "%s: expected a 2-d weight [num_embeddings, embedding_dim], got %s",
                op, t_shape_str(t_shape_of(weight)));
    Tensor *flat, *out;
    T_NO_GRAD {
        flat = t_contiguous(t_to_dtype(t_reshape(indices, -1), T_I64));
        out = t_index_select(weight, 0, flat); /* checks every index */
        Shape os = t_shape_of(indices);
        os.d[os.ndim++] = weight->size[1];
        out = t_view_shape(out, os);
    }
    Tensor *in[2] = {indices, weight};
    if (t_ag_needed(2, in)) {
        Node *n = t_ag_node("EmbeddingBackward0", embedding_backward, 2, in);
        t_ag_save(n, EMBED_SAVED_INDICES, flat);
        t_ag_set_output(out, n);
    }
    return out;
}
