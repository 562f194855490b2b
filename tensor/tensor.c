/* tensor.c — accessors: what a tensor is, and reading or writing single elements. */
#include "backend.h"

/* Raises ValueError for a NULL tensor given to accessor op. */
static inline const Tensor *need(const char *op, const Tensor *x) {
    if (!x) t_raise(T_ERR_VALUE, "%s: got a NULL tensor", op);
    return x;
}

Shape t_shape(const Tensor *x) { return t_shape_of(need("t_shape", x)); }

Shape t_strides(const Tensor *x) {
    need("t_strides", x);
    Shape s = {x->ndim, {0}};
    for (int i = 0; i < x->ndim; i++) s.d[i] = x->stride[i];
    return s;
}

int t_ndim(const Tensor *x) { return need("t_ndim", x)->ndim; }
int64_t t_size(const Tensor *x, int dim) {
    return x->size[t_check_dim("t_size", dim, need("t_size", x)->ndim)];
}
int64_t t_stride(const Tensor *x, int dim) {
    return x->stride[t_check_dim("t_stride", dim, need("t_stride", x)->ndim)];
}
DType t_dtype(const Tensor *x) { return need("t_dtype", x)->dtype; }
Device t_device(const Tensor *x) { return need("t_device", x)->device; }
int64_t t_offset(const Tensor *x) { return need("t_offset", x)->offset; }

int64_t t_numel(const Tensor *x) {
    need("t_numel", x);
    int64_t n = 1;
    for (int i = 0; i < x->ndim; i++) n *= x->size[i];
    return n;
}

bool t_is_contiguous(const Tensor *x) {
    if (t_numel(x) == 0) return true; /* nothing to lay out, as PyTorch sees it */
    int64_t expected = 1;
    for (int i = x->ndim - 1; i >= 0; i--) {
        if (x->size[i] == 1) continue;
        if (x->stride[i] != expected) return false;
        expected *= x->size[i];
    }
    return true;
}

void *t_data(const Tensor *x) {
    t_check_alive("t_data", x);
    if (x->device != T_CPU)
        t_raise(T_ERR_DEVICE, "t_data: the tensor is on %s; move it with t_to(x, T_CPU) first",
                t_device_name(x->device));
    return t_ptr(x);
}

/* Reads element at byte address p of dtype dt as a double. */
static double load(const char *p, DType dt) {
    switch (dt) {
    case T_F32: return *(const float *)p;
    case T_F64: return *(const double *)p;
    case T_I64: return (double)*(const int64_t *)p;
    case T_I32: return *(const int32_t *)p;
    case T_U8: return *(const uint8_t *)p;
    default: return *(const bool *)p;
    }
}

double t_item(const Tensor *x) {
    t_check_alive("t_item", x);
    if (t_numel(x) != 1)
        t_raise(T_ERR_VALUE, "t_item: a tensor with %lld elements (shape %s) cannot be "
                "converted to a scalar; only one-element tensors can",
                (long long)t_numel(x), t_shape_str(t_shape_of(x)));
    Tensor *c = t_to((Tensor *)x, T_CPU);
    return load(t_ptr(c), c->dtype);
}

/* Byte offset of the element at index, with bounds checked (negative indices count back). */
static int64_t element_offset(const char *op, const Tensor *x, Shape index) {
    if (index.ndim != x->ndim)
        t_raise(T_ERR_INDEX, "%s: %d indices given for a tensor with %d dims (shape %s)", op,
                index.ndim, x->ndim, t_shape_str(t_shape_of(x)));
    int64_t off = x->offset;
    for (int i = 0; i < x->ndim; i++) {
        int64_t k = index.d[i];
        if (k < -x->size[i] || k >= x->size[i])
            t_raise(T_ERR_INDEX, "%s: index %lld is out of bounds for dim %d with size %lld", op,
                    (long long)k, i, (long long)x->size[i]);
        off += (k < 0 ? k + x->size[i] : k) * x->stride[i];
    }
    return off * (int64_t)t_dtype_size(x->dtype);
}

double t_get_at(const Tensor *x, Shape index) {
    t_check_alive("t_get", x);
    int64_t off = element_offset("t_get", x, index);
    if (x->device != T_CPU) {
        Tensor *one = t_make_view(x, 0, NULL, NULL, off / (int64_t)t_dtype_size(x->dtype));
        return t_item(one);
    }
    return load((const char *)x->storage->data + off, x->dtype);
}

void t_set_at(Tensor *x, double value, Shape index) {
    t_check_alive("t_set", x);
    int64_t off = element_offset("t_set", x, index);
    Tensor *one = t_make_view(x, 0, NULL, NULL, off / (int64_t)t_dtype_size(x->dtype));
    t_fill_(one, value);
}
