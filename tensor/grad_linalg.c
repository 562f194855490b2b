/* grad_linalg.c — the backward of t_matmul: vectors are treated as one-row (left) or
   one-column (right) matrices, and gradients are summed over broadcast batch dims. */
#include "autograd.h"
#include "grad.h"

/* Whether x is a matrix stored transposed (column-major), as t_T(w) of a weight is. */
static bool column_major(const Tensor *x) {
    return x->ndim == 2 && x->size[0] > 1 && x->size[1] > 1 && x->stride[0] == 1 &&
           x->stride[1] == x->size[0];
}

/* a @ b, computed in the layout of like: for a column-major like, as (b^T @ a^T)^T, so that the
   gradient of a transposed weight reaches the weight contiguous instead of through a
   transposing copy. */
static Tensor *matmul_like(Tensor *a, Tensor *b, const Tensor *like) {
    if (a->ndim == 2 && b->ndim == 2 && column_major(like))
        return t_transpose(t_matmul(t_transpose(b, 0, 1), t_transpose(a, 0, 1)), 0, 1);
    return t_matmul(a, b);
}

static void matmul_backward(Node *n, Tensor *g, Tensor **gi) {
    Tensor *a = t_ag_saved(n, 0), *b = t_ag_saved(n, 1);
    bool a_vec = a->ndim == 1, b_vec = b->ndim == 1;
    Tensor *a2 = a_vec ? t_unsqueeze(a, 0) : a, *b2 = b_vec ? t_unsqueeze(b, 1) : b;
    Tensor *g2 = g;
    if (a_vec) g2 = t_unsqueeze(g2, b_vec ? g2->ndim : g2->ndim - 1);
    if (b_vec) g2 = t_unsqueeze(g2, g2->ndim);
    if (t_ag_input_needed(n, 0)) {
        Tensor *ga = matmul_like(g2, t_transpose(b2, -1, -2), a2);
        gi[0] = t_reshape_shape(t_sum_to_shape(ga, t_shape(a2)), n->in_shape[0]);
    }
    if (t_ag_input_needed(n, 1)) {
        Tensor *gb = matmul_like(t_transpose(a2, -1, -2), g2, b2);
        gi[1] = t_reshape_shape(t_sum_to_shape(gb, t_shape(b2)), n->in_shape[1]);
    }
}

/* PyTorch's node names for each case of matmul. */
static const char *matmul_name(const Tensor *a, const Tensor *b) {
    if (a->ndim == 1 && b->ndim == 1) return "DotBackward0";
    if (a->ndim == 2 && b->ndim == 1) return "MvBackward0";
    if (a->ndim == 2 && b->ndim == 2) return "MmBackward0";
    if (a->ndim == 3 && b->ndim == 3) return "BmmBackward0";
    return "MatmulBackward0";
}

void t_grad_record_matmul(Tensor *out, Tensor *a, Tensor *b) {
    Tensor *in[2] = {a, b};
    if (!t_dtype_is_floating(out->dtype) || !t_ag_needed(2, in)) return;
    Node *n = t_ag_node(matmul_name(a, b), matmul_backward, 2, in);
    t_ag_save(n, 0, a);
    t_ag_save(n, 1, b);
    t_ag_set_output(out, n);
}
