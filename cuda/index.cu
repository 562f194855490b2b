/*
 * index.cu — the GPU's gather, scatter and index_select over strided tensors. Indices are
 * int64 and already checked by the op (tensor/index.c): these kernels trust them. Elements
 * only move, so the kernels are chosen by element width, except scatter-add, which adds
 * atomically: repeated indices all land, as on the CPU (plain scatter with repeated indices
 * keeps one of the writes, as PyTorch's GPU kernel does).
 */
#include "cuda_internal.h"

typedef unsigned char u8;

/* Strides of x with dim's replaced by 0: walking the index's shape then stays on dim's
   first slice, and the index picks the position along dim. */
static void strides_without(const Tensor *x, int dim, int64_t *out) {
    for (int d = 0; d < T_MAX_DIMS; d++) out[d] = d < x->ndim && d != dim ? x->stride[d] : 0;
}

/* The element stride of dim in x (0 for a 0-d tensor). */
static int64_t dim_stride(const Tensor *x, int dim) { return x->ndim ? x->stride[dim] : 0; }

/* ---- gather: out[i] = x[... index[i] ...], walking index's shape ---- */

/* out[i] = x[base + index[i] * dstride] over index's positions. */
template <typename E> __global__ void k_gather(CuIter<3> it, int64_t n, int64_t dstride) {
    E *o = (E *)it.base[0];
    const int64_t *idx = (const int64_t *)it.base[1];
    const E *x = (const E *)it.base[2];
    CU_FOR(i, n) {
        int64_t off[3];
        cu_offsets(it, i, off);
        o[off[0]] = x[off[2] + idx[off[1]] * dstride];
    }
}

/* Launches the kernel for elements of type E (of the dtype's width). */
template <typename E> static void gather_t(Tensor *out, const Tensor *x, int dim, const Tensor *index) {
    int64_t xs[T_MAX_DIMS];
    strides_without(x, dim, xs);
    const int64_t *stride[3] = {out->stride, index->stride, xs};
    char *base[3] = {cu_ptr(out), cu_ptr(index), cu_ptr(x)};
    CuIter<3> it = cu_iter_make<3>(index->ndim, index->size, stride, base);
    int64_t n = cu_iter_numel(it);
    if (n == 0) return;
    k_gather<E><<<cu_blocks(n), CU_THREADS>>>(it, n, dim_stride(x, dim));
    cu_launched("t_gather");
}

void cu_gather(Tensor *out, const Tensor *x, int dim, const Tensor *index) {
    cu_set_device(out->device);
    switch (cu_dtype_size(x->dtype)) {
    case 8: gather_t<int64_t>(out, x, dim, index); return;
    case 4: gather_t<int32_t>(out, x, dim, index); return;
    default: gather_t<u8>(out, x, dim, index); return;
    }
}

/* ---- scatter: out[... index[i] ...] (=, or +=) src[i], walking index's shape ---- */

/* *p += v for one byte, by compare-and-swap on the aligned word holding it (device blocks
   are whole multiples of 512 bytes, so the word is inside the allocation); bool adds as "or". */
__device__ static void atomic_add_byte(u8 *p, u8 v, bool logical) {
    unsigned int *word = (unsigned int *)((uintptr_t)p & ~(uintptr_t)3);
    unsigned shift = (unsigned)((uintptr_t)p & 3) * 8;
    unsigned old = *word, assumed;
    do {
        assumed = old;
        u8 cur = (u8)(assumed >> shift);
        u8 next = logical ? (u8)(cur | v) : (u8)(cur + v);
        old = atomicCAS(word, assumed, (assumed & ~(0xFFu << shift)) | ((unsigned)next << shift));
    } while (assumed != old);
}

/* *p += v atomically, for each dtype. */
__device__ static void atomic_add(float *p, float v) { atomicAdd(p, v); }
__device__ static void atomic_add(double *p, double v) { atomicAdd(p, v); }
__device__ static void atomic_add(int32_t *p, int32_t v) { atomicAdd((int *)p, (int)v); }
__device__ static void atomic_add(int64_t *p, int64_t v) {
    atomicAdd((unsigned long long *)p, (unsigned long long)v); /* two's complement wraps alike */
}
__device__ static void atomic_add(u8 *p, u8 v) { atomic_add_byte(p, v, false); }
__device__ static void atomic_add(bool *p, bool v) { atomic_add_byte((u8 *)p, (u8)v, true); }

/* out[base + index[i] * dstride] = (or +=) src[i] over index's positions. */
template <typename T>
__global__ void k_scatter(CuIter<3> it, int64_t n, int64_t dstride, bool add) {
    T *o = (T *)it.base[0];
    const int64_t *idx = (const int64_t *)it.base[1];
    const T *src = (const T *)it.base[2];
    CU_FOR(i, n) {
        int64_t off[3];
        cu_offsets(it, i, off);
        T *dst = o + off[0] + idx[off[1]] * dstride;
        if (add) atomic_add(dst, src[off[2]]);
        else *dst = src[off[2]];
    }
}

/* Launches the kernel for dtype T. */
template <typename T>
static void scatter_t(Tensor *out, int dim, const Tensor *index, const Tensor *src, bool add) {
    int64_t os[T_MAX_DIMS];
    strides_without(out, dim, os);
    const int64_t *stride[3] = {os, index->stride, src->stride};
    char *base[3] = {cu_ptr(out), cu_ptr(index), cu_ptr(src)};
    CuIter<3> it = cu_iter_make<3>(index->ndim, index->size, stride, base);
    int64_t n = cu_iter_numel(it);
    if (n == 0) return;
    k_scatter<T><<<cu_blocks(n), CU_THREADS>>>(it, n, dim_stride(out, dim), add);
    cu_launched(add ? "t_scatter_add" : "t_scatter");
}

void cu_scatter(Tensor *out, int dim, const Tensor *index, const Tensor *src, bool add) {
    cu_set_device(out->device);
    switch (out->dtype) {
    case T_F32: scatter_t<float>(out, dim, index, src, add); return;
    case T_F64: scatter_t<double>(out, dim, index, src, add); return;
    case T_I64: scatter_t<int64_t>(out, dim, index, src, add); return;
    case T_I32: scatter_t<int32_t>(out, dim, index, src, add); return;
    case T_U8: scatter_t<u8>(out, dim, index, src, add); return;
    default: scatter_t<bool>(out, dim, index, src, add); return;
    }
}

/* ---- index_select: out's slice i along dim is x's slice index[i], walking out's shape ---- */

/* out[i] = x[base + index[along dim] * dstride] over out's positions. */
template <typename E> __global__ void k_index_select(CuIter<3> it, int64_t n, int64_t dstride) {
    E *o = (E *)it.base[0];
    const E *x = (const E *)it.base[1];
    const int64_t *idx = (const int64_t *)it.base[2];
    CU_FOR(i, n) {
        int64_t off[3];
        cu_offsets(it, i, off);
        o[off[0]] = x[off[1] + idx[off[2]] * dstride];
    }
}

/* Launches the kernel for elements of type E. The index operand steps only along dim. */
template <typename E>
static void index_select_t(Tensor *out, const Tensor *x, int dim, const Tensor *index) {
    int64_t xs[T_MAX_DIMS], is[T_MAX_DIMS] = {0};
    strides_without(x, dim, xs);
    if (out->ndim) is[dim] = index->ndim ? index->stride[0] : 0;
    const int64_t *stride[3] = {out->stride, xs, is};
    char *base[3] = {cu_ptr(out), cu_ptr(x), cu_ptr(index)};
    CuIter<3> it = cu_iter_make<3>(out->ndim, out->size, stride, base);
    int64_t n = cu_iter_numel(it);
    if (n == 0) return;
    k_index_select<E><<<cu_blocks(n), CU_THREADS>>>(it, n, dim_stride(x, dim));
    cu_launched("t_index_select");
}

void cu_index_select(Tensor *out, const Tensor *x, int dim, const Tensor *index) {
    cu_set_device(out->device);
    switch (cu_dtype_size(x->dtype)) {
    case 8: index_select_t<int64_t>(out, x, dim, index); return;
    case 4: index_select_t<int32_t>(out, x, dim, index); return;
    default: index_select_t<u8>(out, x, dim, index); return;
    }
}
