/*
 * cpu_index.c — the CPU's gather, scatter and index_select over strided tensors. Indices are
 * int64 and already checked by the op (tensor/index.c): these loops trust them.
 */
#include <string.h>

#include "cpu.h"
#include "cpu_elementwise.h"

/* Operands one walk steps through together: the written one, the index, the read one. */
enum { WALK_OPS = 3 };

/* A walk over every position of a shape, keeping each operand's element offset. */
typedef struct Walk {
    int ndim;
    int64_t size[T_MAX_DIMS];
    int64_t stride[WALK_OPS][T_MAX_DIMS];
    int64_t pos[T_MAX_DIMS];
    int64_t off[WALK_OPS];
} Walk;

/* Starts a walk over shape's positions for three operands with the given strides (a stride
   of 0 holds an operand still along that dim). False when the shape has no elements. */
static bool walk_start(Walk *w, const Tensor *shape, const int64_t *const strides[WALK_OPS],
                       const int64_t base[WALK_OPS]) {
    w->ndim = shape->ndim;
    for (int d = 0; d < shape->ndim; d++) {
        if (shape->size[d] == 0) return false;
        w->size[d] = shape->size[d];
        w->pos[d] = 0;
        for (int k = 0; k < WALK_OPS; k++) w->stride[k][d] = strides[k][d];
    }
    for (int k = 0; k < WALK_OPS; k++) w->off[k] = base[k];
    return true;
}

/* Moves to the next position in row-major order; false after the last one. */
static bool walk_next(Walk *w) {
    for (int d = w->ndim - 1; d >= 0; d--) {
        if (++w->pos[d] < w->size[d]) {
            for (int k = 0; k < WALK_OPS; k++) w->off[k] += w->stride[k][d];
            return true;
        }
        for (int k = 0; k < WALK_OPS; k++) w->off[k] -= w->stride[k][d] * (w->size[d] - 1);
        w->pos[d] = 0;
    }
    return false;
}

/* Copies one element of es bytes (constant sizes, so the copy compiles to one move). */
static inline void copy_elem(char *dst, const char *src, size_t es) {
    switch (es) {
    case 1: memcpy(dst, src, 1); break;
    case 4: memcpy(dst, src, 4); break;
    default: memcpy(dst, src, 8); break;
    }
}

/* *dst += *src for one element of dtype (bool adds as logical or, as PyTorch does). */
static inline void add_elem(DType dtype, char *dst, const char *src) {
    switch (dtype) {
    case T_F32: *(float *)dst += *(const float *)src; break;
    case T_F64: *(double *)dst += *(const double *)src; break;
    case T_I64: *(int64_t *)dst += *(const int64_t *)src; break;
    case T_I32: *(int32_t *)dst += *(const int32_t *)src; break;
    case T_U8: *(unsigned char *)dst += *(const unsigned char *)src; break;
    default: *(unsigned char *)dst = *(const unsigned char *)dst | *(const unsigned char *)src;
    }
}

/* The gather primitive (backend.h): one walk over index's positions. */
void cpu_gather(Tensor *out, const Tensor *x, int dim, const Tensor *index) {
    int64_t xs[T_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) xs[d] = d == dim ? 0 : x->stride[d];
    const int64_t *strides[WALK_OPS] = {out->stride, index->stride, xs};
    const int64_t base[WALK_OPS] = {0, 0, 0};
    Walk w;
    if (!walk_start(&w, index, strides, base)) return;
    size_t es = t_dtype_size(x->dtype);
    char *o = t_ptr(out);
    const char *px = t_ptr(x);
    const int64_t *pi = (const int64_t *)t_ptr(index);
    int64_t dstride = x->ndim ? x->stride[dim] : 0;
    do {
        int64_t v = pi[w.off[1]];
        copy_elem(o + w.off[0] * (int64_t)es, px + (w.off[2] + v * dstride) * (int64_t)es, es);
    } while (walk_next(&w));
}

/* The scatter primitive (backend.h): one walk over index's positions, in order. */
void cpu_scatter(Tensor *out, int dim, const Tensor *index, const Tensor *src, bool add) {
    int64_t os[T_MAX_DIMS];
    for (int d = 0; d < out->ndim; d++) os[d] = d == dim ? 0 : out->stride[d];
    const int64_t *strides[WALK_OPS] = {os, index->stride, src->stride};
    const int64_t base[WALK_OPS] = {0, 0, 0};
    Walk w;
    if (!walk_start(&w, index, strides, base)) return;
    size_t es = t_dtype_size(out->dtype);
    char *o = t_ptr(out);
    const char *ps = t_ptr(src);
    const int64_t *pi = (const int64_t *)t_ptr(index);
    int64_t dstride = out->ndim ? out->stride[dim] : 0;
    /* One thread, in order: repeated indices then behave as PyTorch's CPU kernel (the last
       write wins; additions all land). */
    do {
        char *dst = o + (w.off[0] + pi[w.off[1]] * dstride) * (int64_t)es;
        const char *s = ps + w.off[2] * (int64_t)es;
        if (add) add_elem(out->dtype, dst, s);
        else copy_elem(dst, s, es);
    } while (walk_next(&w));
}

/* The index_select primitive (backend.h): one strided copy per selected slice. */
void cpu_index_select(Tensor *out, const Tensor *x, int dim, const Tensor *index) {
    int64_t len = index->ndim ? index->size[0] : 1;
    int64_t istride = index->ndim ? index->stride[0] : 0;
    const int64_t *pi = (const int64_t *)t_ptr(index);
    /* One strided copy per selected slice: a header on the stack for each side. */
    Tensor dst = *out, src = *x;
    if (out->ndim) dst.size[dim] = 1;
    if (x->ndim) src.size[dim] = 1;
    for (int64_t i = 0; i < len; i++) {
        dst.offset = out->offset + (out->ndim ? i * out->stride[dim] : 0);
        src.offset = x->offset + (x->ndim ? pi[i * istride] * x->stride[dim] : 0);
        cpu_copy(&dst, &src);
    }
}
