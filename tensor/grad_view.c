/* grad_view.c — backward formulas of views: each maps the view's gradient back to the shape
   of the tensor it views (scattering into zeros for select and slice, summing for expand). */
#include "autograd.h"
#include "grad.h"

/* A zero gradient of the input's shape with g written into the part the view covered. */
static Tensor *zeros_with(Node *n, Tensor *g, Tensor *(*part)(Tensor *z, Node *n)) {
    Tensor *z = t_zeros_shape(n->in_shape[0], g->dtype);
    if (g->device != T_CPU) z = t_to(z, g->device);
    t_copy_(part(z, n), g);
    return z;
}

static Tensor *select_part(Tensor *z, Node *n) { return t_select(z, (int)n->ip[0], n->ip[1]); }

static Tensor *slice_part(Tensor *z, Node *n) {
    int dim = (int)n->ip[0];
    int64_t start = n->ip[1], step = n->ip[2], len = n->ip[3];
    return t_slice(z, dim, start, start + len * step, step);
}

static void view_backward(Node *n, Tensor *g, Tensor **gi) {
    switch ((ViewKind)n->ip[7]) {
    case V_RESHAPE:
    case V_SQUEEZE: gi[0] = t_reshape_shape(g, n->in_shape[0]); break;
    case V_PERMUTE: {
        Shape inv = n->shape_param;
        for (int i = 0; i < inv.ndim; i++) inv.d[n->shape_param.d[i]] = i;
        gi[0] = t_permute_shape(g, inv);
        break;
    }
    case V_SELECT: gi[0] = zeros_with(n, g, select_part); break;
    case V_SLICE: gi[0] = zeros_with(n, g, slice_part); break;
    case V_EXPAND: gi[0] = t_sum_to_shape(g, n->in_shape[0]); break;
    case V_UNSQUEEZE: gi[0] = t_squeeze_dim(g, (int)n->ip[0]); break;
    case V_DETACHED: break;
    }
}

void t_grad_record_view(ViewKind kind, const char *name, Tensor *out, Tensor *x, Shape param,
                        int64_t i0, int64_t i1, int64_t i2) {
    if (kind == V_DETACHED || !t_ag_needed(1, &x)) return;
    Node *n = t_ag_node(name, view_backward, 1, &x);
    n->ip[7] = kind;
    n->ip[0] = i0, n->ip[1] = i1, n->ip[2] = i2;
    if (kind == V_SLICE) n->ip[3] = out->size[i0];
    n->shape_param = param;
    t_ag_set_output(out, n);
}
