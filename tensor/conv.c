/*
 * conv.c — 2-d convolution as im2col + one matrix product per image (groups as a batch dim
 * of that product), with its own backward node: the input's gradient by col2im of
 * weight^T @ grad, the weight's by grad @ col^T summed over images, the bias's by a sum. The
 * unfolded input the weight's gradient needs is kept from the forward pass when it is at most
 * CONV_KEEP_COL_MAX_BYTES, and unfolded again otherwise (it is kh*kw times the input).
 */
#include "autograd.h"
#include "nn_internal.h"

/* Saved-tensor slots and integer parameters of ConvolutionBackward0. */
enum { CONV_SAVED_INPUT, CONV_SAVED_WEIGHT, CONV_SAVED_COL };
/* Largest unfolded input kept for the backward pass. Kept, the blitz network's batch-4 step
   went from 0.39 to 0.32 ms (unfolding again was half its im2col time, 15% of the step); at
   batch 64 (5 MB unfolded) keeping it was 8% slower than unfolding again into the scratch
   buffer, which stays in cache. */
#define CONV_KEEP_COL_MAX_BYTES ((size_t)1 << 20)
enum { CONV_IP_STRIDE, CONV_IP_PAD, CONV_IP_DILATION, CONV_IP_GROUPS };

void t_nn_need_floating(const char *op, const Tensor *x) {
    if (!t_dtype_is_floating(x->dtype))
        t_raise(T_ERR_DTYPE, "%s: expected a float32 or float64 tensor, got %s %s", op,
                t_dtype_name(x->dtype), t_shape_str(t_shape_of(x)));
}

int64_t t_window_out_size(int64_t in, int64_t k, int64_t stride, int64_t pad, int64_t dilation,
                          bool ceil_mode) {
    int64_t span = in + 2 * pad - dilation * (k - 1) - 1;
    if (span < 0) return 0;
    int64_t out = (span + (ceil_mode ? stride - 1 : 0)) / stride + 1;
    /* with ceil_mode the last window must start inside the input or its left padding */
    if (ceil_mode && (out - 1) * stride >= in + pad) out--;
    return out;
}

/* The geometry of a convolution of x [n, c, h, w] by a kh x kw kernel. */
static ConvGeom conv_geometry(const int64_t *xs, int64_t kh, int64_t kw, const int64_t *ip) {
    ConvGeom g = {.n = xs[0], .c = xs[1], .h = xs[2], .w = xs[3], .kh = kh, .kw = kw,
                  .sh = ip[CONV_IP_STRIDE], .sw = ip[CONV_IP_STRIDE],
                  .ph = ip[CONV_IP_PAD], .pw = ip[CONV_IP_PAD],
                  .dh = ip[CONV_IP_DILATION], .dw = ip[CONV_IP_DILATION]};
    g.oh = t_window_out_size(g.h, kh, g.sh, g.ph, g.dh, false);
    g.ow = t_window_out_size(g.w, kw, g.sw, g.pw, g.dw, false);
    return g;
}

/* Raises unless x, weight and bias fit together as a convolution with these options. */
static void check_conv(const Tensor *x, const Tensor *w, const Tensor *b, Conv2dArgs a) {
    const char *op = "t_conv2d";
    if (!x || !w) t_raise(T_ERR_VALUE, "%s: input and weight must not be NULL", op);
    t_nn_need_floating(op, x);
    if (a.stride < 1 || a.dilation < 1 || a.groups < 1 || a.padding < 0)
        t_raise(T_ERR_VALUE, "%s: expected stride, dilation and groups >= 1 and padding >= 0, "
                "got stride=%lld, padding=%lld, dilation=%lld, groups=%lld", op,
                (long long)a.stride, (long long)a.padding, (long long)a.dilation,
                (long long)a.groups);
    if (w->ndim != 4)
        t_raise(T_ERR_SHAPE, "%s: expected a 4-d weight [out, in / groups, kh, kw], got %s", op,
                t_shape_str(t_shape_of(w)));
    if (x->ndim != 4)
        t_raise(T_ERR_SHAPE, "%s: expected a 3-d [C, H, W] or 4-d [N, C, H, W] input, got %s",
                op, t_shape_str(t_shape_of(x)));
    if (x->dtype != w->dtype || (b && b->dtype != x->dtype))
        t_raise(T_ERR_DTYPE, "%s: input, weight and bias must share a dtype, got %s and %s", op,
                t_dtype_name(x->dtype), t_dtype_name(w->dtype));
    t_check_same_device(op, x, w);
    if (b) t_check_same_device(op, x, b);
    if (x->size[1] != w->size[1] * a.groups)
        t_raise(T_ERR_SHAPE, "%s: weight %s with groups=%lld expects %lld input channels, but "
                "the input %s has %lld", op, t_shape_str(t_shape_of(w)), (long long)a.groups,
                (long long)(w->size[1] * a.groups), t_shape_str(t_shape_of(x)),
                (long long)x->size[1]);
    if (w->size[0] % a.groups)
        t_raise(T_ERR_SHAPE, "%s: %lld output channels are not divisible by groups=%lld", op,
                (long long)w->size[0], (long long)a.groups);
    if (b && (b->ndim != 1 || b->size[0] != w->size[0]))
        t_raise(T_ERR_SHAPE, "%s: expected a bias of shape [%lld], got %s", op,
                (long long)w->size[0], t_shape_str(t_shape_of(b)));
}

/* The CPU buffer inputs are unfolded into, one per thread, kept and grown as needed: an
   unfolded input lives only until the product that reads it returns, and reusing warm
   memory saves the allocation, the page faults and the collector's attention that a fresh
   buffer per call costs. Uncollectable, as the collector does not scan thread-locals. */
static __thread void *scratch_data;
static __thread size_t scratch_bytes;

/* A tensor of the given shape over the scratch buffer (CPU), or a new one (other devices). */
static Tensor *scratch_tensor(Shape s, DType dtype, Device device) {
    if (device != T_CPU) return t_new(s, dtype, device);
    size_t need = (size_t)t_shape_numel("t_conv2d", s) * t_dtype_size(dtype);
    if (need > scratch_bytes) {
        if (scratch_data) GC_FREE(scratch_data);
        scratch_data = GC_MALLOC_ATOMIC_UNCOLLECTABLE(need);
        if (!scratch_data)
            t_raise(T_ERR_OOM, "t_conv2d: out of memory for a %zu-byte unfolded input", need);
        scratch_bytes = need;
    }
    return t_from_blob_shape(scratch_data, dtype, s);
}

/* Whether the unfolded input is x itself: a 1x1 kernel with stride 1 and no padding. */
static bool pointwise(const ConvGeom *geo) {
    return geo->kh == 1 && geo->kw == 1 && geo->sh == 1 && geo->sw == 1 && geo->ph == 0 &&
           geo->pw == 0;
}

/* The unfolded input of a convolution ([n, c*kh*kw, oh*ow]) for x (contiguous): a view of
   x itself for a pointwise kernel, else a new tensor when keep (it outlives the call), else
   the scratch buffer, valid until the next unfold on this thread. */
static Tensor *unfold(Tensor *xc, const ConvGeom *geo, bool keep) {
    int64_t L = geo->oh * geo->ow;
    if (pointwise(geo)) return t_view(xc, geo->n, geo->c, L);
    Shape s = T_SHAPE(geo->n, geo->c * geo->kh * geo->kw, L);
    Tensor *col = keep ? t_new(s, xc->dtype, xc->device) : scratch_tensor(s, xc->dtype, xc->device);
    t_backend(xc->device)->im2col(col, xc, geo);
    return col;
}

/* Gives an unfolded input's device memory back at once (the CPU's scratch buffer stays, and
   a view of x is not unfolded memory). */
static void release_unfolded(Tensor *col, Tensor *xc) {
    if (col->device != T_CPU && col->storage != xc->storage) t_free(col);
}

/* Input, weight and bias gradients of a convolution (see the file comment). Buffers that
   die here are given back at once (t_free), so a training loop's temporaries do not wait
   for the collector. */
static void conv_backward(Node *n, Tensor *g, Tensor **gi) {
    Tensor *xc = t_ag_saved(n, CONV_SAVED_INPUT), *w = t_ag_saved(n, CONV_SAVED_WEIGHT);
    ConvGeom geo = conv_geometry(n->in_shape[0].d, w->size[2], w->size[3], n->ip);
    int64_t groups = n->ip[CONV_IP_GROUPS], cout = w->size[0], co = cout / groups;
    int64_t k = w->size[1] * geo.kh * geo.kw, L = geo.oh * geo.ow;
    Tensor *g4 = t_reshape(g, geo.n, groups, co, L);
    if (t_ag_input_needed(n, 0)) {
        Tensor *w3 = t_reshape(w, groups, co, k);
        Tensor *gcol = t_contiguous(t_matmul(t_transpose(w3, 1, 2), g4));
        Tensor *gx = t_new(n->in_shape[0], g->dtype, g->device);
        t_backend(g->device)->col2im(gx, gcol, &geo);
        t_free(gcol);
        gi[0] = gx;
    }
    if (t_ag_input_needed(n, 1)) {
        bool kept = n->saved[CONV_SAVED_COL] != NULL;
        Tensor *col = kept ? t_ag_saved(n, CONV_SAVED_COL) : unfold(xc, &geo, false);
        Tensor *per_image = t_matmul(g4, t_transpose(t_view(col, geo.n, groups, k, L), 2, 3));
        gi[1] = t_reshape_shape(t_sum_dim(per_image, 0, false), n->in_shape[1]);
        t_free(per_image);
        if (!kept) release_unfolded(col, xc);
    }
    if (t_ag_input_needed(n, 2)) {
        Tensor *g3 = t_reshape(g, geo.n, cout, L);
        gi[2] = t_sum_dim(t_sum_dim(g3, 2, false), 0, false);
    }
}

/* The convolution of a 4-d input, computed without recording; *xc_out receives the
   contiguous input, and *col_out (when not NULL) the unfolded input, kept for the backward
   pass, or NULL when the backward pass is to unfold again (too big, or free to redo). */
static Tensor *conv_forward(Tensor *x, Tensor *w, Tensor *b, const int64_t *ip,
                            Tensor **xc_out, Tensor **col_out) {
    Tensor *out = NULL;
    T_NO_GRAD {
        Tensor *xc = t_contiguous(x);
        ConvGeom geo = conv_geometry(xc->size, w->size[2], w->size[3], ip);
        int64_t groups = ip[CONV_IP_GROUPS], cout = w->size[0];
        int64_t k = w->size[1] * geo.kh * geo.kw, L = geo.oh * geo.ow;
        bool keep = col_out && !pointwise(&geo) &&
                    (size_t)(geo.n * k * L) * t_dtype_size(xc->dtype) <= CONV_KEEP_COL_MAX_BYTES;
        Tensor *col = unfold(xc, &geo, keep);
        out = t_matmul(t_reshape(w, groups, cout / groups, k), t_view(col, geo.n, groups, k, L));
        out = t_view(out, geo.n, cout, geo.oh, geo.ow);
        if (b) t_add_(out, t_reshape(b, 1, cout, 1, 1));
        if (!keep) release_unfolded(col, xc);
        *xc_out = xc;
        if (col_out) *col_out = keep ? col : NULL;
    }
    return out;
}

Tensor *t_conv2d_args(Tensor *x, Tensor *weight, Tensor *bias, Conv2dArgs args) {
    if (x && x->ndim == 3) /* an unbatched [C, H, W] input */
        return t_squeeze_dim(t_conv2d_args(t_unsqueeze(x, 0), weight, bias, args), 0);
    check_conv(x, weight, bias, args);
    int64_t ip[] = {[CONV_IP_STRIDE] = args.stride, [CONV_IP_PAD] = args.padding,
                    [CONV_IP_DILATION] = args.dilation, [CONV_IP_GROUPS] = args.groups};
    ConvGeom geo = conv_geometry(x->size, weight->size[2], weight->size[3], ip);
    if (geo.oh < 1 || geo.ow < 1)
        t_raise(T_ERR_SHAPE, "t_conv2d: the input %s (padding %lld) is smaller than the kernel "
                "%lldx%lld (dilation %lld)", t_shape_str(t_shape_of(x)), (long long)args.padding,
                (long long)geo.kh, (long long)geo.kw, (long long)args.dilation);
    Tensor *xc, *col = NULL;
    Tensor *in[3] = {x, weight, bias};
    bool record = t_ag_needed(3, in);
    /* the weight's gradient reads the unfolded input */
    Tensor *out = conv_forward(x, weight, bias, ip, &xc,
                               record && t_ag_needed(1, &in[1]) ? &col : NULL);
    if (record) {
        Node *n = t_ag_node("ConvolutionBackward0", conv_backward, 3, in);
        for (int i = 0; i <= CONV_IP_GROUPS; i++) n->ip[i] = ip[i];
        t_ag_save(n, CONV_SAVED_INPUT, xc);
        t_ag_save(n, CONV_SAVED_WEIGHT, weight);
        if (col) t_ag_save(n, CONV_SAVED_COL, col);
        t_ag_set_output(out, n);
    }
    return out;
}
