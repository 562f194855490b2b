/* create.c — making tensors: filled, random, from C arrays, ranges. */
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "backend.h"

/* A new CPU tensor, with shape and dtype checked in the name of op. */
static Tensor *make(const char *op, Shape shape, DType dtype) {
    if ((unsigned)dtype >= T_NDTYPES) t_raise(T_ERR_DTYPE, "%s: unknown dtype %d", op, (int)dtype);
    t_shape_numel(op, shape);
    return t_new(shape, dtype, T_CPU);
}

/* A new CPU tensor filled with value. */
static Tensor *filled(const char *op, Shape shape, double value, DType dtype) {
    Tensor *t = make(op, shape, dtype);
    t_backend(T_CPU)->fill(t, value);
    return t;
}

Tensor *t_empty_shape(Shape shape, DType dtype) { return make("t_empty", shape, dtype); }
Tensor *t_full_shape(Shape shape, double value, DType dtype) {
    return filled("t_full", shape, value, dtype);
}
Tensor *t_zeros_shape(Shape shape, DType dtype) { return filled("t_zeros", shape, 0, dtype); }
Tensor *t_ones_shape(Shape shape, DType dtype) { return filled("t_ones", shape, 1, dtype); }

/* A tensor of random numbers of the given kind on device. */
static Tensor *random_tensor(const char *op, Shape shape, DType dtype, Device device,
                             RandomKind kind, double p0, double p1) {
    if (kind != RAND_INT && !t_dtype_is_floating(dtype))
        t_raise(T_ERR_DTYPE, "%s: expected a floating dtype, got %s", op, t_dtype_name(dtype));
    if ((unsigned)dtype >= T_NDTYPES) t_raise(T_ERR_DTYPE, "%s: unknown dtype %d", op, (int)dtype);
    t_shape_numel(op, shape);
    Tensor *t = t_new(shape, dtype, device);
    uint64_t seed, offset;
    t_rng_reserve((uint64_t)t_numel(t), &seed, &offset);
    t_backend(device)->random(t, kind, seed, offset, p0, p1);
    return t;
}

Tensor *t_rand_shape(Shape shape, DType dtype) {
    return random_tensor("t_rand", shape, dtype, T_CPU, RAND_UNIFORM, 0, 1);
}

Tensor *t_randn_shape(Shape shape, DType dtype) {
    return random_tensor("t_randn", shape, dtype, T_CPU, RAND_NORMAL, 0, 1);
}

/* The values an integer dtype holds, [lo, hi]; floating dtypes hold every int64 here. */
static void dtype_range(DType d, int64_t *lo, int64_t *hi) {
    switch (d) {
    case T_I32: *lo = INT32_MIN, *hi = INT32_MAX; break;
    case T_U8: *lo = 0, *hi = UINT8_MAX; break;
    case T_BOOL: *lo = 0, *hi = 1; break;
    default: *lo = INT64_MIN, *hi = INT64_MAX; break;
    }
}

Tensor *t_randint_shape(int64_t low, int64_t high, Shape shape, DType dtype) {
    if (high <= low)
        t_raise(T_ERR_VALUE, "t_randint: expected low < high, got low=%lld, high=%lld",
                (long long)low, (long long)high);
    int64_t lo, hi;
    if ((unsigned)dtype < T_NDTYPES) dtype_range(dtype, &lo, &hi);
    else lo = INT64_MIN, hi = INT64_MAX;
    if (low < lo || high - 1 > hi)
        t_raise(T_ERR_VALUE, "t_randint: [%lld, %lld) is out of bounds for %s (%lld to %lld)",
                (long long)low, (long long)high, t_dtype_name(dtype), (long long)lo,
                (long long)hi);
    uint64_t range = (uint64_t)high - (uint64_t)low;
    return random_tensor("t_randint", shape, dtype, T_CPU, RAND_INT,
                         t_bits_to_double((uint64_t)low), t_bits_to_double(range));
}

Tensor *t_tensor_shape(const void *data, DType dtype, Shape shape) {
    if (!data) t_raise(T_ERR_VALUE, "t_tensor: data is NULL");
    Tensor *t = make("t_tensor", shape, dtype);
    memcpy(t->storage->data, data, (size_t)t_numel(t) * t_dtype_size(dtype));
    return t;
}

Tensor *t_tensor_va_(DType dtype, const void *data, ...) {
    Shape shape = {0, {0}};
    va_list ap;
    va_start(ap, data);
    for (int d; (d = va_arg(ap, int)) != T_DIMS_END_;) {
        if (shape.ndim == T_MAX_DIMS) {
            va_end(ap);
            t_raise(T_ERR_VALUE, "t_tensor: more than %d sizes given", T_MAX_DIMS);
        }
        shape.d[shape.ndim++] = d;
    }
    va_end(ap);
    return t_tensor_shape(data, dtype, shape);
}

Tensor *t_from_blob_shape(void *data, DType dtype, Shape shape) {
    if (!data) t_raise(T_ERR_VALUE, "t_from_blob: data is NULL");
    int64_t numel = t_shape_numel("t_from_blob", shape);
    Tensor *t = t_gc_alloc(sizeof *t);
    t_init_contiguous(t, shape.ndim, shape.d, dtype, T_CPU);
    Storage *s = t_gc_alloc(sizeof *s);
    s->data = data;
    s->nbytes = (size_t)numel * t_dtype_size(dtype);
    s->device = T_CPU;
    s->external = true;
    t->storage = s;
    return t;
}

Tensor *t_scalar_dt(DType dtype, double value) { return t_full_shape(T_SHAPE(), value, dtype); }
Tensor *t_scalar(double value) { return t_scalar_dt(T_F32, value); }

Tensor *t_arange_dt(DType dtype, double start, double end, double step) {
    if (step == 0) t_raise(T_ERR_VALUE, "t_arange: step must be nonzero");
    if (!isfinite(start) || !isfinite(end))
        t_raise(T_ERR_VALUE, "t_arange: start and end must be finite, got %g and %g", start, end);
    if ((end - start) / step < 0)
        t_raise(T_ERR_VALUE, "t_arange: upper bound and step have inconsistent signs "
                "(start %g, end %g, step %g)", start, end, step);
    double count = ceil((end - start) / step);
    if (count > (double)INT64_MAX / 2)
        t_raise(T_ERR_VALUE, "t_arange: %g elements is too many", count);
    Tensor *t = t_new(T_SHAPE((int64_t)count), T_F64, T_CPU);
    double *p = t->storage->data;
    for (int64_t i = 0; i < (int64_t)count; i++) p[i] = start + (double)i * step;
    return t_to_dtype(t, dtype);
}

Tensor *t_arange(double start, double end, double step) {
    return t_arange_dt(T_F32, start, end, step);
}

Tensor *t_linspace(double start, double end, int64_t steps) {
    if (steps < 0) t_raise(T_ERR_VALUE, "t_linspace: number of steps must be non-negative, got "
                           "%lld", (long long)steps);
    Tensor *t = t_new(T_SHAPE(steps), T_F64, T_CPU);
    double *p = t->storage->data;
    double step = steps > 1 ? (end - start) / (double)(steps - 1) : 0;
    /* Both halves are computed from their own end, as PyTorch does, so the ends are exact. */
    int64_t half = steps / 2;
    if (steps == 1) p[0] = start;
    else for (int64_t i = 0; i < steps; i++)
        p[i] = i < half ? start + step * (double)i : end - step * (double)(steps - 1 - i);
    return t_to_dtype(t, T_F32);
}

Tensor *t_eye(int64_t n) {
    if (n < 0) t_raise(T_ERR_VALUE, "t_eye: n must be non-negative, got %lld", (long long)n);
    Tensor *t = t_zeros(n, n);
    float *p = t->storage->data;
    for (int64_t i = 0; i < n; i++) p[i * n + i] = 1;
    return t;
}

/* ---- *_like ---- */

static Tensor *like(const char *op, const Tensor *x) {
    t_check_alive(op, x);
    return t_new(t_shape_of(x), x->dtype, x->device);
}

/* A tensor like x filled with value. */
static Tensor *filled_like(const char *op, const Tensor *x, double value) {
    Tensor *t = like(op, x);
    t_backend(t->device)->fill(t, value);
    return t;
}

Tensor *t_empty_like(const Tensor *x) { return like("t_empty_like", x); }
Tensor *t_full_like(const Tensor *x, double value) { return filled_like("t_full_like", x, value); }
Tensor *t_zeros_like(const Tensor *x) { return filled_like("t_zeros_like", x, 0); }
Tensor *t_ones_like(const Tensor *x) { return filled_like("t_ones_like", x, 1); }

Tensor *t_rand_like(const Tensor *x) {
    t_check_alive("t_rand_like", x);
    return random_tensor("t_rand_like", t_shape_of(x), x->dtype, x->device, RAND_UNIFORM, 0, 1);
}

Tensor *t_randn_like(const Tensor *x) {
    t_check_alive("t_randn_like", x);
    return random_tensor("t_randn_like", t_shape_of(x), x->dtype, x->device, RAND_NORMAL, 0, 1);
}
