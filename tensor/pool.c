/*
 * pool.c — 2-d pooling: max pooling with indices (its backward scatters the gradient to the
 * winners), average pooling (windows unfolded by im2col, summed, divided; backward by
 * col2im), and adaptive average pooling (two averaging matrices: P_h x P_w^T).
 */
#include "autograd.h"
#include "nn_internal.h"

/* Saved-tensor slots of the pooling nodes. */
enum { POOL_SAVED_INDICES = 0 };
enum { AVG_SAVED_DIVISOR = 0 };
enum { ADAPTIVE_SAVED_PH = 0, ADAPTIVE_SAVED_PW = 1 };
/* Integer parameters of AvgPool2DBackward0: the window geometry. */
enum { AVG_IP_K, AVG_IP_STRIDE, AVG_IP_PAD, AVG_IP_OH, AVG_IP_OW };
/* Integer parameters of MaxPool2DWithIndicesBackward0: the window geometry. */
enum { MAX_IP_K, MAX_IP_STRIDE, MAX_IP_PAD, MAX_IP_DILATION, MAX_IP_OH, MAX_IP_OW };

/* The window geometry of a pooling op over x [n, c, h, w], after checking the options. */
static ConvGeom pool_geometry(const char *op, const Tensor *x, int64_t k, Pool2dArgs a) {
    t_nn_need_floating(op, x);
    if (x->ndim != 4)
        t_raise(T_ERR_SHAPE, "%s: expected a 3-d [C, H, W] or 4-d [N, C, H, W] input, got %s",
                op, t_shape_str(t_shape_of(x)));
    int64_t stride = a.stride ? a.stride : k;
    if (k < 1 || stride < 1 || a.dilation < 1 || a.padding < 0)
        t_raise(T_ERR_VALUE, "%s: expected kernel_size, stride and dilation >= 1 and padding "
                ">= 0, got kernel_size=%lld, stride=%lld, padding=%lld, dilation=%lld", op,
                (long long)k, (long long)stride, (long long)a.padding, (long long)a.dilation);
    if (2 * a.padding > k)
        t_raise(T_ERR_VALUE, "%s: padding should be at most half of the kernel size, got "
                "padding=%lld and kernel_size=%lld", op, (long long)a.padding, (long long)k);
    ConvGeom g = {.n = x->size[0], .c = x->size[1], .h = x->size[2], .w = x->size[3],
                  .kh = k, .kw = k, .sh = stride, .sw = stride, .ph = a.padding,
                  .pw = a.padding, .dh = a.dilation, .dw = a.dilation};
    g.oh = t_window_out_size(g.h, k, stride, a.padding, a.dilation, a.ceil_mode);
    g.ow = t_window_out_size(g.w, k, stride, a.padding, a.dilation, a.ceil_mode);
    if (g.oh < 1 || g.ow < 1)
        t_raise(T_ERR_SHAPE, "%s: the input %s is smaller than the %lldx%lld window "
                "(padding %lld, dilation %lld)", op, t_shape_str(t_shape_of(x)), (long long)k,
                (long long)k, (long long)a.padding, (long long)a.dilation);
    return g;
}

/* ---- max pooling ---- */

/* The gradient goes to each window's winner: added at its index in the input plane. */
static void maxpool_backward(Node *n, Tensor *g, Tensor **gi) {
    Tensor *idx = t_ag_saved(n, POOL_SAVED_INDICES);
    Shape xs = n->in_shape[0];
    ConvGeom geo = {.n = xs.d[0], .c = xs.d[1], .h = xs.d[2], .w = xs.d[3],
                    .kh = n->ip[MAX_IP_K], .kw = n->ip[MAX_IP_K],
                    .sh = n->ip[MAX_IP_STRIDE], .sw = n->ip[MAX_IP_STRIDE],
                    .ph = n->ip[MAX_IP_PAD], .pw = n->ip[MAX_IP_PAD],
                    .dh = n->ip[MAX_IP_DILATION], .dw = n->ip[MAX_IP_DILATION],
                    .oh = n->ip[MAX_IP_OH], .ow = n->ip[MAX_IP_OW]};
    Tensor *gx = t_new(xs, g->dtype, g->device);
    t_backend(g->device)->maxpool2d_backward(gx, t_contiguous(g), idx, &geo);
    gi[0] = gx;
}

Tensor *t_max_pool2d_with_indices(Tensor *x, int64_t kernel_size, Pool2dArgs args,
                                  Tensor **indices) {
    if (!x) t_raise(T_ERR_VALUE, "t_max_pool2d: the input is NULL");
    if (x->ndim == 3) { /* an unbatched [C, H, W] input */
        Tensor *out = t_max_pool2d_with_indices(t_unsqueeze(x, 0), kernel_size, args, indices);
        if (indices) *indices = t_squeeze_dim(*indices, 0);
        return t_squeeze_dim(out, 0);
    }
    ConvGeom geo = pool_geometry("t_max_pool2d", x, kernel_size, args);
    Shape os = T_SHAPE(geo.n, geo.c, geo.oh, geo.ow);
    Tensor *xc, *out = t_new(os, x->dtype, x->device), *idx = t_new(os, T_I64, x->device);
    T_NO_GRAD { xc = t_contiguous(x); }
    t_backend(x->device)->maxpool2d(out, idx, xc, &geo);
    if (t_ag_needed(1, &x)) {
        Node *n = t_ag_node("MaxPool2DWithIndicesBackward0", maxpool_backward, 1, &x);
        n->ip[MAX_IP_K] = kernel_size, n->ip[MAX_IP_STRIDE] = geo.sh;
        n->ip[MAX_IP_PAD] = geo.ph, n->ip[MAX_IP_DILATION] = geo.dh;
        n->ip[MAX_IP_OH] = geo.oh, n->ip[MAX_IP_OW] = geo.ow;
        t_ag_save(n, POOL_SAVED_INDICES, idx);
        t_ag_set_output(out, n);
    }
    if (indices) *indices = idx;
    return out;
}

Tensor *t_max_pool2d_args(Tensor *x, int64_t kernel_size, Pool2dArgs args) {
    return t_max_pool2d_with_indices(x, kernel_size, args, NULL);
}

/* ---- average pooling ---- */

/* The divisor of each output position [oh * ow] (PyTorch's rule: the window clipped to the
   padded input, or to the input itself without count_include_pad), in dtype on device. */
static Tensor *avg_divisor(const ConvGeom *g, bool count_include_pad, DType dtype, Device dev) {
    Tensor *d = t_empty_shape(T_SHAPE(g->oh * g->ow), T_F64);
    double *p = t_data(d);
    for (int64_t oy = 0; oy < g->oh; oy++)
        for (int64_t ox = 0; ox < g->ow; ox++) {
            int64_t y0 = oy * g->sh - g->ph, x0 = ox * g->sw - g->pw;
            int64_t y1 = y0 + g->kh, x1 = x0 + g->kw;
            y1 = y1 < g->h + g->ph ? y1 : g->h + g->ph;
            x1 = x1 < g->w + g->pw ? x1 : g->w + g->pw;
            int64_t area = (y1 - y0) * (x1 - x0);
            if (!count_include_pad) {
                y0 = y0 > 0 ? y0 : 0, x0 = x0 > 0 ? x0 : 0;
                y1 = y1 < g->h ? y1 : g->h, x1 = x1 < g->w ? x1 : g->w;
                area = (y1 - y0) * (x1 - x0);
            }
            p[oy * g->ow + ox] = (double)area;
        }
    return t_to(t_to_dtype(d, dtype), dev);
}

/* The geometry of AvgPool2DBackward0's input, treated as n * c planes of one channel. */
static ConvGeom avg_plane_geometry(const Node *n) {
    Shape xs = n->in_shape[0];
    return (ConvGeom){.n = xs.d[0] * xs.d[1], .c = 1, .h = xs.d[2], .w = xs.d[3],
                      .kh = n->ip[AVG_IP_K], .kw = n->ip[AVG_IP_K],
                      .sh = n->ip[AVG_IP_STRIDE], .sw = n->ip[AVG_IP_STRIDE],
                      .ph = n->ip[AVG_IP_PAD], .pw = n->ip[AVG_IP_PAD], .dh = 1, .dw = 1,
                      .oh = n->ip[AVG_IP_OH], .ow = n->ip[AVG_IP_OW]};
}

/* Each output's gradient, divided by its divisor, spread over its window by col2im. */
static void avgpool_backward(Node *n, Tensor *g, Tensor **gi) {
    ConvGeom geo = avg_plane_geometry(n);
    int64_t kk = geo.kh * geo.kw, L = geo.oh * geo.ow;
    Tensor *share = t_div(t_reshape(g, geo.n, 1, L), t_ag_saved(n, AVG_SAVED_DIVISOR));
    Tensor *col = t_contiguous(t_expand(share, geo.n, kk, L));
    Tensor *gx = t_new(n->in_shape[0], g->dtype, g->device);
    t_backend(g->device)->col2im(gx, col, &geo);
    gi[0] = gx;
}

Tensor *t_avg_pool2d_args(Tensor *x, int64_t kernel_size, Pool2dArgs args) {
    if (!x) t_raise(T_ERR_VALUE, "t_avg_pool2d: the input is NULL");
    if (x->ndim == 3)
        return t_squeeze_dim(t_avg_pool2d_args(t_unsqueeze(x, 0), kernel_size, args), 0);
    if (args.dilation != 1)
        t_raise(T_ERR_VALUE, "t_avg_pool2d: dilation is not an option of average pooling "
                "(got %lld)", (long long)args.dilation);
    ConvGeom geo = pool_geometry("t_avg_pool2d", x, kernel_size, args);
    ConvGeom planes = geo;
    planes.n = geo.n * geo.c, planes.c = 1;
    int64_t kk = geo.kh * geo.kw, L = geo.oh * geo.ow;
    Tensor *divisor = avg_divisor(&geo, args.count_include_pad, x->dtype, x->device), *out;
    T_NO_GRAD {
        Tensor *col = t_new(T_SHAPE(planes.n, kk, L), x->dtype, x->device);
        t_backend(x->device)->im2col(col, t_contiguous(x), &planes);
        out = t_view(t_div(t_sum_dim(col, 1, false), divisor), geo.n, geo.c, geo.oh, geo.ow);
    }
    if (t_ag_needed(1, &x)) {
        Node *n = t_ag_node("AvgPool2DBackward0", avgpool_backward, 1, &x);
        n->ip[AVG_IP_K] = kernel_size, n->ip[AVG_IP_STRIDE] = geo.sh;
        n->ip[AVG_IP_PAD] = geo.ph, n->ip[AVG_IP_OH] = geo.oh, n->ip[AVG_IP_OW] = geo.ow;
        t_ag_save(n, AVG_SAVED_DIVISOR, divisor);
        t_ag_set_output(out, n);
    }
    return out;
}

/* ---- adaptive average pooling ---- */

/* The [out, in] matrix whose row i averages PyTorch's bin i: floor(i in / out) up to
   ceil((i + 1) in / out). */
static Tensor *bin_matrix(int64_t out, int64_t in, DType dtype, Device dev) {
    Tensor *m = t_zeros_shape(T_SHAPE(out, in), T_F64);
    double *p = t_data(m);
    for (int64_t i = 0; i < out; i++) {
        int64_t lo = i * in / out, hi = ((i + 1) * in + out - 1) / out;
        for (int64_t j = lo; j < hi; j++) p[i * in + j] = 1.0 / (double)(hi - lo);
    }
    return t_to(t_to_dtype(m, dtype), dev);
}

/* x = P_h^T g P_w: the adjoint of the two averaging products. */
static void adaptive_backward(Node *n, Tensor *g, Tensor **gi) {
    Tensor *ph = t_ag_saved(n, ADAPTIVE_SAVED_PH), *pw = t_ag_saved(n, ADAPTIVE_SAVED_PW);
    gi[0] = t_matmul(t_matmul(t_T(ph), g), pw);
}

Tensor *t_adaptive_avg_pool2d(Tensor *x, int64_t out_h, int64_t out_w) {
    const char *op = "t_adaptive_avg_pool2d";
    if (!x) t_raise(T_ERR_VALUE, "%s: the input is NULL", op);
    t_nn_need_floating(op, x);
    if (x->ndim != 3 && x->ndim != 4)
        t_raise(T_ERR_SHAPE, "%s: expected a 3-d [C, H, W] or 4-d [N, C, H, W] input, got %s",
                op, t_shape_str(t_shape_of(x)));
    if (out_h < 1 || out_w < 1)
        t_raise(T_ERR_VALUE, "%s: expected an output size >= 1, got %lldx%lld", op,
                (long long)out_h, (long long)out_w);
    int64_t h = x->size[x->ndim - 2], w = x->size[x->ndim - 1];
    Tensor *ph = bin_matrix(out_h, h, x->dtype, x->device);
    Tensor *pw = bin_matrix(out_w, w, x->dtype, x->device), *out;
    T_NO_GRAD { out = t_matmul(t_matmul(ph, x), t_T(pw)); }
    if (t_ag_needed(1, &x)) {
        Node *n = t_ag_node("AdaptiveAvgPool2DBackward0", adaptive_backward, 1, &x);
        t_ag_save(n, ADAPTIVE_SAVED_PH, ph);
        t_ag_save(n, ADAPTIVE_SAVED_PW, pw);
        t_ag_set_output(out, n);
    }
    return out;
}
