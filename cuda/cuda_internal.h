/*
 * cuda_internal.h — what the CUDA backend's files share: error checking, the device a call
 * runs on, launch sizes, and the strided iteration every elementwise-style kernel uses.
 * The backend calls libctorch only through the CudaHost table (cu_host), never by symbol.
 */
#ifndef CTORCH_CUDA_INTERNAL_H
#define CTORCH_CUDA_INTERNAL_H

#include <cuda_runtime.h>
#include <stdint.h>

/* internal.h includes gc.h, which would route dlopen and pthread_create to libgc: the CUDA
   library never calls libgc (only libctorch does, through CudaHost). */
#define GC_NO_THREAD_REDIRECTS
extern "C" {
#include "backend.h"
}

/* Most GPUs one process drives (per-device tables are this long). */
constexpr int CU_MAX_DEVICES = 64;
/* Threads per block for the elementwise, index and reduction kernels: a multiple of the warp
   that keeps enough blocks resident per multiprocessor. */
constexpr int CU_THREADS = 256;
/* Most blocks one grid-stride launch uses; each thread then loops over several elements. */
constexpr int CU_MAX_BLOCKS = 65535;

/* The callbacks libctorch lent at load time (backend.cu). */
extern const CudaHost *cu_host;
/* True when CTORCH_CUDA_SYNC=1: every op waits for its kernels, so errors name the op. */
extern bool cu_sync_each_op;

/* Formats a message and raises it through libctorch's t_raise (never returns). */
[[noreturn]] void cu_raise(TErrorKind kind, const char *fmt, ...);
/* Raises DeviceError (OutOfMemory for allocation failures) naming op unless e is success. */
void cu_check(cudaError_t e, const char *op);
/* Checks the launch just made by op (and, with CTORCH_CUDA_SYNC=1, waits for it). */
void cu_launched(const char *op);
/* Makes device the calling thread's current GPU; DeviceError for one that does not exist. */
void cu_set_device(Device device);
/* Number of GPUs (0 without a driver), counted once. */
int cu_device_count(void);

/* Bytes per element of a dtype, and its name (libctorch's tables, repeated for device code). */
static inline size_t cu_dtype_size(DType d) {
    static const size_t size[T_NDTYPES] = {4, 8, 8, 4, 1, 1};
    return size[d];
}
const char *cu_dtype_name(DType d);
/* Address of x's first element on the device. */
static inline char *cu_ptr(const Tensor *x) {
    return (char *)x->storage->data + x->offset * (int64_t)cu_dtype_size(x->dtype);
}
/* Blocks for a grid-stride loop over n items. */
static inline unsigned cu_blocks(int64_t n) {
    int64_t b = (n + CU_THREADS - 1) / CU_THREADS;
    return (unsigned)(b < 1 ? 1 : b > CU_MAX_BLOCKS ? CU_MAX_BLOCKS : b);
}

/* N operands walked together over one shape: sizes and per-operand strides (in elements),
   passed to kernels by value. Dims of size 1 are dropped and dims contiguous in every
   operand merged, so contiguous tensors walk as one flat dim (the fast path). */
template <int N> struct CuIter {
    int ndim;
    int64_t size[T_MAX_DIMS];
    int64_t stride[N][T_MAX_DIMS];
    char *base[N];
};

/* An iteration over shape (ndim, size) with each operand's strides and base address. */
template <int N>
CuIter<N> cu_iter_make(int ndim, const int64_t *size, const int64_t *const stride[N],
                       char *const base[N]) {
    CuIter<N> it;
    it.ndim = 0;
    for (int k = 0; k < N; k++) it.base[k] = base[k];
    for (int d = 0; d < ndim; d++) {
        if (size[d] == 1) continue;
        int m = it.ndim;
        bool merge = m > 0;
        for (int k = 0; k < N && merge; k++)
            merge = it.stride[k][m - 1] == stride[k][d] * size[d];
        if (merge) {
            it.size[m - 1] *= size[d];
            for (int k = 0; k < N; k++) it.stride[k][m - 1] = stride[k][d];
            continue;
        }
        it.size[m] = size[d];
        for (int k = 0; k < N; k++) it.stride[k][m] = stride[k][d];
        it.ndim++;
    }
    return it;
}

/* The iteration for operands ops[0..N) that all have ops[0]'s shape (broadcast by strides). */
template <int N> CuIter<N> cu_iter(const Tensor *const ops[N]) {
    const int64_t *stride[N];
    char *base[N];
    for (int k = 0; k < N; k++) stride[k] = ops[k]->stride, base[k] = cu_ptr(ops[k]);
    return cu_iter_make<N>(ops[0]->ndim, ops[0]->size, stride, base);
}

/* Element offsets of position i (row-major over it's shape) in each operand. */
template <int N>
__device__ __forceinline__ void cu_offsets(const CuIter<N> &it, int64_t i, int64_t off[N]) {
    if (it.ndim <= 1) {
        for (int k = 0; k < N; k++) off[k] = it.ndim ? i * it.stride[k][0] : 0;
        return;
    }
    for (int k = 0; k < N; k++) off[k] = 0;
    for (int d = it.ndim - 1; d >= 0; d--) {
        int64_t c = i % it.size[d];
        i /= it.size[d];
        for (int k = 0; k < N; k++) off[k] += c * it.stride[k][d];
    }
}

/* Number of positions an iteration walks. */
template <int N> int64_t cu_iter_numel(const CuIter<N> &it) {
    int64_t n = 1;
    for (int d = 0; d < it.ndim; d++) n *= it.size[d];
    return n;
}

/* A grid-stride loop: i runs over [0, n) across the whole grid. */
#define CU_FOR(i, n)                                                                            \
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n);                   \
         i += (int64_t)blockDim.x * gridDim.x)

/* ---- the primitives, one family per file (contracts in tensor/backend.h) ---- */

/* elementwise.cu */
void cu_unary(UnaryOp op, Tensor *out, const Tensor *x, double p0, double p1);
void cu_binary(BinaryOp op, Tensor *out, const Tensor *a, const Tensor *b);
void cu_axpby(Tensor *out, const Tensor *x, const Tensor *y, double alpha, double beta);
void cu_where(Tensor *out, const Tensor *cond, const Tensor *a, const Tensor *b);
void cu_copy(Tensor *dst, const Tensor *src);
void cu_fill(Tensor *out, double value);
/* reduce.cu */
void cu_reduce(ReduceOp op, Tensor *out, Tensor *idx, const Tensor *x, int64_t outer, int64_t n,
               int64_t inner);
void cu_softmax(Tensor *out, const Tensor *x, int64_t outer, int64_t n, int64_t inner,
                bool log);
/* blas.cu */
void cu_matmul(Tensor *out, const Tensor *a, const Tensor *b, int64_t batch,
               int64_t a_batch_stride, int64_t b_batch_stride);
/* random.cu */
void cu_random(Tensor *out, RandomKind kind, uint64_t seed, uint64_t offset, double p0,
               double p1);
/* index.cu */
void cu_gather(Tensor *out, const Tensor *x, int dim, const Tensor *index);
void cu_scatter(Tensor *out, int dim, const Tensor *index, const Tensor *src, bool add);
void cu_index_select(Tensor *out, const Tensor *x, int dim, const Tensor *index);
/* conv.cu */
void cu_im2col(Tensor *col, const Tensor *x, const ConvGeom *g);
void cu_col2im(Tensor *x, const Tensor *col, const ConvGeom *g);
void cu_maxpool2d(Tensor *out, Tensor *idx, const Tensor *x, const ConvGeom *g);
void cu_maxpool2d_backward(Tensor *gx, const Tensor *gout, const Tensor *idx, const ConvGeom *g);
void cu_gelu(Tensor *out, const Tensor *x, const Tensor *grad);
/* alloc.cu */
void *cu_alloc(size_t nbytes, Device device, void **owner);
void cu_free(void *owner);
void cu_to_device(void *dst, const void *src, size_t nbytes, Device device);
void cu_to_host(void *dst, const void *src, size_t nbytes, Device device);
void cu_synchronize(Device device);
CudaMemoryStats cu_memory_stats(int index);
/* nvrtc.cu */
CudaModule *cu_compile(const char *source, const char *name, const char **log);
const char *cu_module_ptx(const CudaModule *m);
const char *cu_module_kernel(const CudaModule *m, int i);
/* launch.cu: the kernel's mangled name in module m, for the i-th kernel. */
void cu_launch(const char *kernel, CudaDim grid, CudaDim block, size_t shared_bytes, int nargs,
               const CudaArg *args);
/* What launch.cu needs of a compiled module (nvrtc.cu builds it). */
struct CudaModule {
    char *ptx;
    int nkernels;
    char **names;   /* as cuda_launch takes them: "saxpy" */
    char **mangled; /* as the PTX names them: "_Z5saxpyPfS_fi" */
    void *loaded[CU_MAX_DEVICES]; /* CUmodule per device, loaded on first launch */
};
/* Registers m's kernels for cuda_launch, replacing earlier kernels of the same names. */
void cu_register_module(CudaModule *m);

#endif /* CTORCH_CUDA_INTERNAL_H */
