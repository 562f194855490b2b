/* view.c — views that share storage (view, permute, select, slice, expand, ...), and the
   copies that make a view contiguous or change its dtype or device. */
#include "autograd.h"
#include "grad.h"

/* Resolves one -1 in shape against numel, checking the product matches. */
static Shape infer_shape(const char *op, const Tensor *x, Shape shape) {
    int64_t numel = t_numel(x), known = 1;
    int infer = -1;
    if (shape.ndim > T_MAX_DIMS)
        t_raise(T_ERR_VALUE, "%s: %d dims given; at most %d", op, shape.ndim, T_MAX_DIMS);
    for (int i = 0; i < shape.ndim; i++) {
        if (shape.d[i] == -1) {
            if (infer >= 0) t_raise(T_ERR_VALUE, "%s: only one dim can be -1, got %s", op,
                                    t_shape_str(shape));
            infer = i;
        } else if (shape.d[i] < 0) {
            t_raise(T_ERR_VALUE, "%s: invalid size %lld in %s", op, (long long)shape.d[i],
                    t_shape_str(shape));
        } else {
            known *= shape.d[i];
        }
    }
    if (infer >= 0) {
        if (known == 0 || numel % known)
            t_raise(T_ERR_SHAPE, "%s: shape %s is invalid for input of size %lld", op,
                    t_shape_str(shape), (long long)numel);
        shape.d[infer] = numel / known;
    } else if (known != numel) {
        t_raise(T_ERR_SHAPE, "%s: shape %s is invalid for input of size %lld (shape %s)", op,
                t_shape_str(shape), (long long)numel, t_shape_str(t_shape_of(x)));
    }
    return shape;
}

/* Strides for viewing x as shape without copying, or false when x's layout does not allow
   it (PyTorch's computeStride: each run of input dims that is contiguous in memory may be
   split or merged freely). */
static bool view_strides(const Tensor *x, Shape shape, int64_t *stride) {
    int64_t numel = t_numel(x);
    if (numel == 0 || x->ndim == 0) {
        int64_t s = 1;
        for (int i = shape.ndim - 1; i >= 0; i--) {
            stride[i] = s;
            s *= shape.d[i] > 1 ? shape.d[i] : 1;
        }
        return true;
    }
    int view_d = shape.ndim - 1;
    int64_t chunk_base_stride = x->stride[x->ndim - 1], tensor_numel = 1, view_numel = 1;
    for (int d = x->ndim - 1; d >= 0; d--) {
        tensor_numel *= x->size[d];
        if (d == 0 || (x->size[d - 1] != 1 &&
                       x->stride[d - 1] != tensor_numel * chunk_base_stride)) {
            while (view_d >= 0 && (view_numel < tensor_numel || shape.d[view_d] == 1)) {
                stride[view_d] = view_numel * chunk_base_stride;
                view_numel *= shape.d[view_d];
                view_d--;
            }
            if (view_numel != tensor_numel) return false;
            if (d > 0) {
                chunk_base_stride = x->stride[d - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    return view_d == -1;
}

Tensor *t_view_shape(Tensor *x, Shape shape) {
    t_check_alive("t_view", x);
    shape = infer_shape("t_view", x, shape);
    int64_t stride[T_MAX_DIMS];
    if (!view_strides(x, shape, stride))
        t_raise(T_ERR_SHAPE, "t_view: a tensor of shape %s with strides %s cannot be viewed as "
                "%s; use t_reshape, which copies", t_shape_str(t_shape_of(x)),
                t_shape_str(t_strides(x)), t_shape_str(shape));
    Tensor *out = t_make_view(x, shape.ndim, shape.d, stride, x->offset);
    t_grad_record_view(V_RESHAPE, "ViewBackward0", out, x, shape, 0, 0, 0);
    return out;
}

Tensor *t_reshape_shape(Tensor *x, Shape shape) {
    t_check_alive("t_reshape", x);
    shape = infer_shape("t_reshape", x, shape);
    int64_t stride[T_MAX_DIMS];
    if (!view_strides(x, shape, stride)) return t_view_shape(t_clone(x), shape);
    Tensor *out = t_make_view(x, shape.ndim, shape.d, stride, x->offset);
    t_grad_record_view(V_RESHAPE, "ViewBackward0", out, x, shape, 0, 0, 0);
    return out;
}

/* x's dims reordered, recorded for autograd under the given name. */
static Tensor *permute_as(const char *name, Tensor *x, Shape dims) {
    int64_t size[T_MAX_DIMS], stride[T_MAX_DIMS];
    bool seen[T_MAX_DIMS] = {false};
    for (int i = 0; i < dims.ndim; i++) {
        int d = t_check_dim("t_permute", (int)dims.d[i], x->ndim);
        if (seen[d]) t_raise(T_ERR_VALUE, "t_permute: dim %d appears twice in %s", d,
                             t_shape_str(dims));
        seen[d] = true;
        dims.d[i] = d;
        size[i] = x->size[d];
        stride[i] = x->stride[d];
    }
    Tensor *out = t_make_view(x, x->ndim, size, stride, x->offset);
    t_grad_record_view(V_PERMUTE, name, out, x, dims, 0, 0, 0);
    return out;
}

Tensor *t_permute_shape(Tensor *x, Shape dims) {
    t_check_alive("t_permute", x);
    if (dims.ndim != x->ndim)
        t_raise(T_ERR_SHAPE, "t_permute: %d dims given for a tensor with %d dims (shape %s)",
                dims.ndim, x->ndim, t_shape_str(t_shape_of(x)));
    return permute_as("PermuteBackward0", x, dims);
}

Tensor *t_transpose(Tensor *x, int dim0, int dim1) {
    t_check_alive("t_transpose", x);
    int a = t_check_dim("t_transpose", dim0, x->ndim), b = t_check_dim("t_transpose", dim1, x->ndim);
    if (x->ndim == 0) return x;
    Shape perm = {x->ndim, {0}};
    for (int i = 0; i < x->ndim; i++) perm.d[i] = i;
    perm.d[a] = b;
    perm.d[b] = a;
    return permute_as("TransposeBackward0", x, perm);
}

Tensor *t_T(Tensor *x) {
    t_check_alive("t_T", x);
    Shape perm = {x->ndim, {0}};
    for (int i = 0; i < x->ndim; i++) perm.d[i] = x->ndim - 1 - i;
    return t_permute_shape(x, perm);
}

Tensor *t_select(Tensor *x, int dim, int64_t index) {
    t_check_alive("t_select", x);
    if (x->ndim == 0) t_raise(T_ERR_INDEX, "t_select: cannot index a 0-d tensor");
    int d = t_check_dim("t_select", dim, x->ndim);
    if (index < -x->size[d] || index >= x->size[d])
        t_raise(T_ERR_INDEX, "t_select: index %lld is out of range for dim %d with size %lld",
                (long long)index, d, (long long)x->size[d]);
    if (index < 0) index += x->size[d];
    int64_t size[T_MAX_DIMS], stride[T_MAX_DIMS];
    for (int i = 0, j = 0; i < x->ndim; i++)
        if (i != d) size[j] = x->size[i], stride[j++] = x->stride[i];
    Tensor *out = t_make_view(x, x->ndim - 1, size, stride, x->offset + index * x->stride[d]);
    t_grad_record_view(V_SELECT, "SelectBackward0", out, x, T_SHAPE(), d, index, 0);
    return out;
}

Tensor *t_slice(Tensor *x, int dim, int64_t start, int64_t end, int64_t step) {
    t_check_alive("t_slice", x);
    if (x->ndim == 0) t_raise(T_ERR_INDEX, "t_slice: cannot slice a 0-d tensor");
    int d = t_check_dim("t_slice", dim, x->ndim);
    if (step <= 0) t_raise(T_ERR_VALUE, "t_slice: step must be positive, got %lld", (long long)step);
    int64_t n = x->size[d];
    if (start < 0) start += n;
    if (end < 0) end += n;
    start = start < 0 ? 0 : start > n ? n : start;
    end = end < start ? start : end > n ? n : end;
    int64_t size[T_MAX_DIMS], stride[T_MAX_DIMS];
    for (int i = 0; i < x->ndim; i++) size[i] = x->size[i], stride[i] = x->stride[i];
    size[d] = (end - start + step - 1) / step;
    stride[d] = x->stride[d] * step;
    Tensor *out = t_make_view(x, x->ndim, size, stride, x->offset + start * x->stride[d]);
    t_grad_record_view(V_SLICE, "SliceBackward0", out, x, T_SHAPE(), d, start, step);
    return out;
}

Tensor *t_narrow(Tensor *x, int dim, int64_t start, int64_t length) {
    t_check_alive("t_narrow", x);
    if (x->ndim == 0) t_raise(T_ERR_INDEX, "t_narrow: cannot narrow a 0-d tensor");
    int d = t_check_dim("t_narrow", dim, x->ndim);
    int64_t n = x->size[d];
    if (start < -n || start > n)
        t_raise(T_ERR_INDEX, "t_narrow: start %lld is out of range for dim %d with size %lld",
                (long long)start, d, (long long)n);
    if (start < 0) start += n;
    if (length < 0 || start + length > n)
        t_raise(T_ERR_INDEX, "t_narrow: start %lld + length %lld exceeds dim %d of size %lld",
                (long long)start, (long long)length, d, (long long)n);
    return t_slice(x, d, start, start + length, 1);
}

Tensor *t_expand_shape(Tensor *x, Shape shape) {
    t_check_alive("t_expand", x);
    if (shape.ndim < x->ndim || shape.ndim > T_MAX_DIMS)
        t_raise(T_ERR_SHAPE, "t_expand: cannot expand shape %s to %s (fewer dims)",
                t_shape_str(t_shape_of(x)), t_shape_str(shape));
    int64_t size[T_MAX_DIMS], stride[T_MAX_DIMS];
    int lead = shape.ndim - x->ndim;
    for (int i = 0; i < shape.ndim; i++) {
        int j = i - lead;
        int64_t have = j >= 0 ? x->size[j] : 1, want = shape.d[i];
        if (want == -1) {
            if (j < 0) t_raise(T_ERR_SHAPE, "t_expand: -1 is not allowed for a new leading dim "
                               "(expanding %s to %s)", t_shape_str(t_shape_of(x)),
                               t_shape_str(shape));
            want = have;
        }
        if (want < 0) t_raise(T_ERR_VALUE, "t_expand: invalid size %lld", (long long)want);
        if (have == want) {
            size[i] = have;
            stride[i] = j >= 0 ? x->stride[j] : 0;
        } else if (have == 1) {
            size[i] = want;
            stride[i] = 0;
        } else {
            t_raise(T_ERR_SHAPE, "t_expand: the size %lld of dim %d must match %lld or be 1 "
                    "(expanding %s to %s)", (long long)have, j, (long long)want,
                    t_shape_str(t_shape_of(x)), t_shape_str(shape));
        }
    }
    Tensor *out = t_make_view(x, shape.ndim, size, stride, x->offset);
    t_grad_record_view(V_EXPAND, "ExpandBackward0", out, x, shape, 0, 0, 0);
    return out;
}

Tensor *t_expand_as(Tensor *x, const Tensor *y) { return t_expand_shape(x, t_shape_of(y)); }

Tensor *t_unsqueeze(Tensor *x, int dim) {
    t_check_alive("t_unsqueeze", x);
    if (x->ndim >= T_MAX_DIMS)
        t_raise(T_ERR_VALUE, "t_unsqueeze: a tensor already has the most dims (%d)", T_MAX_DIMS);
    int d = t_check_dim("t_unsqueeze", dim, x->ndim + 1);
    int64_t size[T_MAX_DIMS], stride[T_MAX_DIMS];
    for (int i = 0, j = 0; i <= x->ndim; i++) {
        if (i == d) {
            size[i] = 1;
            stride[i] = d < x->ndim ? x->size[d] * x->stride[d] : 1;
        } else {
            size[i] = x->size[j];
            stride[i] = x->stride[j++];
        }
    }
    Tensor *out = t_make_view(x, x->ndim + 1, size, stride, x->offset);
    t_grad_record_view(V_UNSQUEEZE, "UnsqueezeBackward0", out, x, T_SHAPE(), d, 0, 0);
    return out;
}

Tensor *t_squeeze(Tensor *x) {
    t_check_alive("t_squeeze", x);
    int64_t size[T_MAX_DIMS], stride[T_MAX_DIMS];
    int n = 0;
    for (int i = 0; i < x->ndim; i++)
        if (x->size[i] != 1) size[n] = x->size[i], stride[n++] = x->stride[i];
    Tensor *out = t_make_view(x, n, size, stride, x->offset);
    t_grad_record_view(V_SQUEEZE, "SqueezeBackward0", out, x, T_SHAPE(), 0, 0, 0);
    return out;
}

Tensor *t_squeeze_dim(Tensor *x, int dim) {
    t_check_alive("t_squeeze_dim", x);
    int d = t_check_dim("t_squeeze_dim", dim, x->ndim);
    int64_t size[T_MAX_DIMS], stride[T_MAX_DIMS];
    int n = 0;
    for (int i = 0; i < x->ndim; i++)
        if (i != d || x->size[i] != 1) size[n] = x->size[i], stride[n++] = x->stride[i];
    Tensor *out = t_make_view(x, n, size, stride, x->offset);
    t_grad_record_view(V_SQUEEZE, "SqueezeBackward1", out, x, T_SHAPE(), 0, 0, 0);
    return out;
}

Tensor *t_flatten_range(Tensor *x, int start_dim, int end_dim) {
    t_check_alive("t_flatten", x);
    int s = t_check_dim("t_flatten", start_dim, x->ndim), e = t_check_dim("t_flatten", end_dim, x->ndim);
    if (x->ndim == 0) return t_reshape(x, 1);
    if (s > e) t_raise(T_ERR_VALUE, "t_flatten: start_dim %d comes after end_dim %d", s, e);
    Shape shape = {0, {0}};
    for (int i = 0; i < x->ndim; i++) {
        if (i <= s || i > e) shape.d[shape.ndim++] = x->size[i];
        else shape.d[shape.ndim - 1] *= x->size[i];
    }
    return t_reshape_shape(x, shape);
}

Tensor *t_contiguous(Tensor *x) {
    t_check_alive("t_contiguous", x);
    return t_is_contiguous(x) ? x : t_clone(x);
}

Tensor *t_clone(Tensor *x) {
    t_check_alive("t_clone", x);
    Tensor *out = t_new(t_shape_of(x), x->dtype, x->device);
    t_backend(x->device)->copy(out, x);
    t_grad_record_identity("CloneBackward0", out, x);
    return out;
}

Tensor *t_to_dtype(Tensor *x, DType dtype) {
    t_check_alive("t_to_dtype", x);
    if ((unsigned)dtype >= T_NDTYPES) t_raise(T_ERR_DTYPE, "t_to_dtype: unknown dtype %d", dtype);
    if (x->dtype == dtype) return x;
    Tensor *out = t_new(t_shape_of(x), dtype, x->device);
    t_backend(x->device)->copy(out, x);
    t_grad_record_identity("ToCopyBackward0", out, x);
    return out;
}

Tensor *t_to(Tensor *x, Device device) {
    t_check_alive("t_to", x);
    if (x->device == device) return x;
    if (x->device != T_CPU && device != T_CPU) /* between GPUs: through the host */
        return t_to(t_to(x, T_CPU), device);
    const Backend *gpu = t_backend(device == T_CPU ? x->device : device); /* raises without CUDA */
    Tensor *src = t_contiguous(x);
    Tensor *out = t_new(t_shape_of(x), x->dtype, device);
    size_t nbytes = (size_t)t_numel(x) * t_dtype_size(x->dtype);
    if (nbytes == 0) return out;
    if (device == T_CPU) gpu->to_host(t_ptr(out), t_ptr(src), nbytes, x->device);
    else gpu->to_device(t_ptr(out), t_ptr(src), nbytes, device);
    return out;
}
