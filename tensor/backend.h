/*
 * backend.h — the primitive set every device implements (DESIGN.md, "Tensors"). Ops in
 * tensor/ check arguments, promote dtypes, allocate outputs and record autograd; then they
 * call one of these on already-broadcast, same-device operands. Everything else is composed.
 *
 * Conventions for every primitive: operands are strided views (any strides, including 0 for
 * broadcast dims) with exactly out's shape unless said otherwise; out may alias an input only
 * elementwise (same geometry), as in-place ops do.
 */
#ifndef CTORCH_BACKEND_H
#define CTORCH_BACKEND_H

#include <string.h>

#include "internal.h"

typedef enum UnaryOp {
    /* floating dtypes only */
    U_EXP, U_LOG, U_SQRT, U_SIN, U_COS, U_TANH, U_SIGMOID,
    /* every numeric dtype */
    U_NEG, U_ABS, U_RELU,
    U_CLAMP,   /* p0 = lo, p1 = hi */
    U_ADD_S,   /* x + p0 */
    U_MUL_S,   /* x * p0 */
    U_DIV_S,   /* x / p0 */
    U_RSUB_S,  /* p0 - x */
    U_POW_S,   /* x ^ p0 */
    U_NUNARY
} UnaryOp;

typedef enum BinaryOp {
    B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MAX, B_MIN,
    /* comparisons: out is T_BOOL, a and b share a dtype */
    B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE,
    B_NBINARY
} BinaryOp;

typedef enum ReduceOp {
    R_SUM, R_PROD, R_MAX, R_MIN, R_ARGMAX, R_ARGMIN, R_NREDUCE
} ReduceOp;

typedef enum RandomKind { RAND_UNIFORM, RAND_NORMAL, RAND_INT } RandomKind;

/* RAND_INT's bounds travel in the random primitive's double parameters bit for bit, so that
   every int64 survives: p0 holds the low bound (int64), p1 the range high - low (uint64). */
static inline double t_bits_to_double(uint64_t v) {
    double d;
    memcpy(&d, &v, sizeof d);
    return d;
}
static inline uint64_t t_double_to_bits(double d) {
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    return v;
}

/* The geometry of a 2-d convolution or pooling window over an [n, c, h, w] input: kernel
   kh x kw, stride sh, sw, zero padding ph, pw, dilation dh, dw, and the output's oh x ow. */
typedef struct ConvGeom {
    int64_t n, c, h, w;
    int64_t kh, kw, sh, sw, ph, pw, dh, dw;
    int64_t oh, ow;
} ConvGeom;

typedef struct Backend {
    const char *name;
    /* out = op(x) with parameters p0, p1; x and out have the same dtype. */
    void (*unary)(UnaryOp op, Tensor *out, const Tensor *x, double p0, double p1);
    /* out = op(a, b); a and b share a dtype, which is out's unless op is a comparison. */
    void (*binary)(BinaryOp op, Tensor *out, const Tensor *a, const Tensor *b);
    /* out = cond ? a : b; cond is T_BOOL, a, b and out share a dtype. */
    void (*where)(Tensor *out, const Tensor *cond, const Tensor *a, const Tensor *b);
    /* out = alpha * x + beta * y for float32/float64 (DTypeError otherwise); x, y and out
       share a dtype and out's shape (broadcast by strides); out may be x or y elementwise (an
       in-place update, as an optimizer's step is). */
    void (*axpby)(Tensor *out, const Tensor *x, const Tensor *y, double alpha, double beta);
    /* dst = src, converting dtype; src has dst's shape (broadcast by strides). */
    void (*copy)(Tensor *dst, const Tensor *src);
    /* Every element of out set to value. */
    void (*fill)(Tensor *out, double value);
    /* Reduces x (contiguous, viewed as [outer, n, inner]) over the middle dim into out
       (contiguous [outer, inner]); for ARGMAX/ARGMIN out is int64, and for MAX/MIN idx, when
       not NULL, receives the int64 positions. SUM and PROD accumulate in out's dtype, which
       may be wider than x's. */
    void (*reduce)(ReduceOp op, Tensor *out, Tensor *idx, const Tensor *x, int64_t outer,
                   int64_t n, int64_t inner);
    /* Softmax (or log-softmax) of x (contiguous, [outer, n, inner]) over the middle dim. */
    void (*softmax)(Tensor *out, const Tensor *x, int64_t outer, int64_t n, int64_t inner,
                    bool log);
    /* out[b] = a[b] @ b[b] for contiguous [batch, m, k] @ [batch, k, n] (a batch stride of 0
       broadcasts); out is contiguous [batch, m, n]. Each matrix of a and b (3-D tensors) is
       row-major (strides [cols, 1]) or the transpose of a row-major one (strides [1, rows]),
       which GEMM reads in place with its transpose flag: read a->stride[1..2], b->stride[1..2]. */
    void (*matmul)(Tensor *out, const Tensor *a, const Tensor *b, int64_t batch,
                   int64_t a_batch_stride, int64_t b_batch_stride);
    /* Random numbers from the Philox stream at (seed, offset): uniform in [p0, p1), normal
       with mean p0 and std p1, or integers low + (64 random bits mod range) with low and range
       packed in p0 and p1 (t_bits_to_double). out is contiguous. */
    void (*random)(Tensor *out, RandomKind kind, uint64_t seed, uint64_t offset, double p0,
                   double p1);
    /* out = x gathered along dim by index (int64, same ndim as x; out has index's shape). */
    void (*gather)(Tensor *out, const Tensor *x, int dim, const Tensor *index);
    /* out[... index[i] ...] (=, or += when add) src[i] along dim; out is written in place. */
    void (*scatter)(Tensor *out, int dim, const Tensor *index, const Tensor *src, bool add);
    /* out = x's slices along dim at the positions in index (1-D int64). */
    void (*index_select)(Tensor *out, const Tensor *x, int dim, const Tensor *index);

    /* ---- convolution and pooling (tensor/conv.c, tensor/pool.c); float32/float64 ---- */
    /* col (contiguous [n, c*kh*kw, oh*ow]) = the windows of x (contiguous [n, c, h, w]), row
       (ci*kh + i)*kw + j holding x[ci][oy*sh - ph + i*dh][ox*sw - pw + j*dw], 0 outside x. */
    void (*im2col)(Tensor *col, const Tensor *x, const ConvGeom *g);
    /* The adjoint of im2col: x (contiguous [n, c, h, w]) = the sum of the col entries that
       read each element (x is overwritten, not accumulated into). */
    void (*col2im)(Tensor *x, const Tensor *col, const ConvGeom *g);
    /* out (contiguous [n, c, oh, ow]) = the max of each window of x (contiguous
       [n, c, h, w]; padding never wins; NaN wins), idx (int64, out's shape) = its position
       y*w + x within the plane, as PyTorch's max_pool2d indices. */
    void (*maxpool2d)(Tensor *out, Tensor *idx, const Tensor *x, const ConvGeom *g);
    /* gx (contiguous [n, c, h, w], overwritten) = zeros plus each gout element (contiguous
       [n, c, oh, ow]) added at its plane's position idx (maxpool2d's indices for the same
       geometry g, which is complete). */
    void (*maxpool2d_backward)(Tensor *gx, const Tensor *gout, const Tensor *idx,
                               const ConvGeom *g);
    /* GELU with the exact erf form, on contiguous tensors of one shape: out = gelu(x) when
       grad is NULL, else out = grad * gelu'(x). */
    void (*gelu)(Tensor *out, const Tensor *x, const Tensor *grad);

    /* ---- device memory: NULL in the CPU's table, whose storage is collected memory ---- */
    /* nbytes of memory on device; *owner receives the handle that free takes. Raises
       OutOfMemory (after collecting unreachable tensors and retrying) or DeviceError. */
    void *(*alloc)(size_t nbytes, Device device, void **owner);
    /* Gives memory from alloc back to the backend at once (by its owner handle). */
    void (*free)(void *owner);
    /* nbytes from host memory src to device memory dst on device, or back; both wait until
       the bytes have arrived. */
    void (*to_device)(void *dst, const void *src, size_t nbytes, Device device);
    void (*to_host)(void *dst, const void *src, size_t nbytes, Device device);
    /* Waits until every op queued on device has finished (raising the first error). */
    void (*synchronize)(Device device);
} Backend;

/* How a GEMM reads one matrix operand in place: trans false when its rows are contiguous
   (leading dimension ld = the row stride), true when its columns are (ld = the column stride).
   The CPU passes this to CBLAS (row-major); CUDA to cuBLAS with the operands swapped. */
typedef struct BlasMat {
    bool trans;
    int64_t ld;
} BlasMat;

/* The BlasMat of a rows x cols matrix with strides rs, cs (in elements), or false when it is
   neither layout (the op copies it first). Size-1 dims put no constraint on their stride. */
static inline bool t_blas_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs, BlasMat *m) {
    int64_t min_ld_rows = cols > 1 ? cols : 1, min_ld_cols = rows > 1 ? rows : 1;
    if ((cols == 1 || cs == 1) && (rows == 1 || rs >= min_ld_rows)) {
        m->trans = false;
        m->ld = rows == 1 || rs < min_ld_rows ? min_ld_rows : rs;
        return true;
    }
    if ((rows == 1 || rs == 1) && (cols == 1 || cs >= min_ld_cols)) {
        m->trans = true;
        m->ld = cols == 1 || cs < min_ld_cols ? min_ld_cols : cs;
        return true;
    }
    return false;
}

/* The backend of a device: the CPU's, or the CUDA one (DeviceError when there is none). */
extern const Backend t_cpu_backend;
/* t_backend for a device other than the CPU: loads CUDA when first asked, or raises. */
const Backend *t_backend_other(Device device);
static inline const Backend *t_backend(Device device) {
    return device == T_CPU ? &t_cpu_backend : t_backend_other(device);
}

/* ---- the CUDA backend's entry point (cuda/ builds it, tensor/cuda_loader.c loads it) ---- */

/* Installs the backend that serves CUDA devices (device.c). */
void t_register_cuda_backend(const Backend *b);
/* Loads libctorch-cuda.so once (later calls return at once); true when a GPU can be used. */
bool t_cuda_try_load(void);
/* Why CUDA devices cannot be used ("" when they can), for DeviceError messages. */
const char *t_cuda_unavailable_reason(void);

/* What libctorch lends the CUDA library. It calls back through these, never by symbol, so it
   loads into programs that link libctorch statically as well as dynamically. */
typedef struct CudaHost {
    void (*raise)(TErrorKind kind, const char *fmt, ...);
    /* Collected, unscanned memory (for strings handed to users). */
    void *(*gc_alloc_atomic)(size_t nbytes);
    /* A full collection, with finalizers run: unreachable tensors give device memory back. */
    void (*collect)(void);
} CudaHost;

/* What the CUDA library offers besides its Backend. Every member works without a driver or
   GPU (device_count is then 0) except those that touch a device. */
typedef struct CudaApi {
    int abi_version;             /* CTORCH_CUDA_ABI of the library */
    size_t backend_size;         /* sizeof(Backend) where the library was built */
    const Backend *backend;
    int (*device_count)(void);
    /* Why device_count is 0 (the driver's words), or "". */
    const char *(*unavailable_reason)(void);
    /* The device's product name (static storage). */
    const char *(*device_name)(int index);
    CudaMemoryStats (*memory_stats)(int index);
    /* NVRTC: the public cuda_compile, cuda_module_ptx, cuda_module_kernel, cuda_launch_args. */
    CudaModule *(*compile)(const char *source, const char *name, const char **log);
    const char *(*module_ptx)(const CudaModule *m);
    const char *(*module_kernel)(const CudaModule *m, int i);
    void (*launch)(const char *kernel, CudaDim grid, CudaDim block, size_t shared_bytes,
                   int nargs, const CudaArg *args);
} CudaApi;

/* Bumped whenever CudaHost or CudaApi change, so a stale library is refused (a Backend that
   gained members is caught by backend_size and by the loader's check for NULL primitives). */
#define CTORCH_CUDA_ABI 2
/* The symbol libctorch-cuda.so exports: const CudaApi *ctorch_cuda_entry(const CudaHost *). */
#define CTORCH_CUDA_ENTRY "ctorch_cuda_entry"
typedef const CudaApi *(*CudaEntry)(const CudaHost *host);

#endif /* CTORCH_BACKEND_H */
