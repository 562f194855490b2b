/* check.c — dtype facts, shape arithmetic and the argument checks every op shares. */
#include <string.h>

#include "internal.h"

static const struct {
    const char *name;
    size_t size;
} dtype_info[T_NDTYPES] = {
    [T_F32] = {"float32", 4}, [T_F64] = {"float64", 8}, [T_I64] = {"int64", 8},
    [T_I32] = {"int32", 4},   [T_U8] = {"uint8", 1},    [T_BOOL] = {"bool", 1},
};

const char *t_dtype_name(DType dtype) {
    return (unsigned)dtype < T_NDTYPES ? dtype_info[dtype].name : "unknown";
}

size_t t_dtype_size(DType dtype) {
    if ((unsigned)dtype >= T_NDTYPES) t_raise(T_ERR_DTYPE, "unknown dtype %d", (int)dtype);
    return dtype_info[dtype].size;
}

bool t_dtype_is_floating(DType dtype) { return dtype == T_F32 || dtype == T_F64; }

/* Promotion order: bool < uint8 < int32 < int64 < float32 < float64. */
static int dtype_rank(DType d) {
    static const int rank[T_NDTYPES] = {[T_BOOL] = 0, [T_U8] = 1, [T_I32] = 2,
                                        [T_I64] = 3,  [T_F32] = 4, [T_F64] = 5};
    return rank[d];
}

DType t_promote(DType a, DType b) { return dtype_rank(a) >= dtype_rank(b) ? a : b; }

const char *t_shape_str(Shape shape) {
    char buf[T_MAX_DIMS * 24 + 4];
    size_t n = 0;
    buf[n++] = '[';
    for (int i = 0; i < shape.ndim && i < T_MAX_DIMS; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, i ? ", %lld" : "%lld",
                              (long long)shape.d[i]);
    buf[n++] = ']';
    buf[n] = '\0';
    return t_gc_sprintf("%s", buf);
}

int t_check_dim(const char *op, int dim, int ndim) {
    int n = ndim > 0 ? ndim : 1; /* a 0-d tensor accepts dim 0 and -1, as in PyTorch */
    if (dim < -n || dim >= n)
        t_raise(T_ERR_INDEX, "%s: dim %d is out of range for a tensor with %d dims (expected "
                "%d to %d)", op, dim, ndim, -n, n - 1);
    return dim < 0 ? dim + n : dim;
}

int64_t t_shape_numel(const char *op, Shape shape) {
    if (shape.ndim < 0 || shape.ndim > T_MAX_DIMS)
        t_raise(T_ERR_VALUE, "%s: %d dims given; ctorch tensors have at most %d", op,
                shape.ndim, T_MAX_DIMS);
    int64_t n = 1;
    for (int i = 0; i < shape.ndim; i++) {
        if (shape.d[i] < 0)
            t_raise(T_ERR_VALUE, "%s: negative size %lld in shape %s", op,
                    (long long)shape.d[i], t_shape_str(shape));
        if (shape.d[i] && n > INT64_MAX / shape.d[i])
            t_raise(T_ERR_VALUE, "%s: shape %s has more elements than fit in int64", op,
                    t_shape_str(shape));
        n *= shape.d[i];
    }
    return n;
}

void t_check_alive_failed(const char *op, const Tensor *x) {
    if (!x) t_raise(T_ERR_VALUE, "%s: got a NULL tensor", op);
    t_raise(T_ERR_RUNTIME, "%s: the tensor's storage was released by t_free", op);
}

void t_check_same_device_failed(const char *op, const Tensor *a, const Tensor *b) {
    t_raise(T_ERR_DEVICE, "%s: expected all tensors on the same device, but found %s and %s", op,
            a->device == T_CPU ? "cpu" : t_gc_sprintf("cuda:%d", a->device - 1),
            b->device == T_CPU ? "cpu" : t_gc_sprintf("cuda:%d", b->device - 1));
}

Shape t_broadcast_shapes(const char *op, Shape a, Shape b) {
    Shape out = {a.ndim > b.ndim ? a.ndim : b.ndim, {0}};
    for (int i = 0; i < out.ndim; i++) {
        int ia = a.ndim - out.ndim + i, ib = b.ndim - out.ndim + i;
        int64_t sa = ia >= 0 ? a.d[ia] : 1, sb = ib >= 0 ? b.d[ib] : 1;
        if (sa != sb && sa != 1 && sb != 1)
            t_raise(T_ERR_SHAPE, "%s: shapes %s and %s cannot be broadcast (size %lld vs %lld "
                    "at dim %d)", op, t_shape_str(a), t_shape_str(b), (long long)sa,
                    (long long)sb, i);
        out.d[i] = sa == 1 ? sb : sa;
    }
    return out;
}
