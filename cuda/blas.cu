/*
 * blas.cu — the GPU's matrix product: float32 and float64 through cuBLAS (sgemm, dgemm,
 * strided batched), integer dtypes by a plain kernel. Operands are [batch, m, k] @
 * [batch, k, n]; each matrix may be row-major (rows possibly padded) or the transpose of one.
 * cuBLAS is column-major: a row-major matrix is its transpose there, so out = a @ b is
 * computed as out^T = b^T @ a^T, with the operands swapped and nothing copied.
 */
#include <cublas_v2.h>
#include <limits.h>
#include <pthread.h>

#include "cuda_internal.h"

typedef unsigned char u8;

/* One cuBLAS handle per GPU, made on first use. */
static cublasHandle_t handles[CU_MAX_DEVICES];
static pthread_mutex_t handles_lock = PTHREAD_MUTEX_INITIALIZER;

/* Raises (OutOfMemory or DeviceError) unless s is success. */
static void check_blas(cublasStatus_t s, const char *op) {
    if (s == CUBLAS_STATUS_SUCCESS) return;
    cu_raise(s == CUBLAS_STATUS_ALLOC_FAILED ? T_ERR_OOM : T_ERR_DEVICE, "%s: cuBLAS error: %s",
             op, cublasGetStatusString(s));
}

/* The handle for the current device (the caller has set it). */
static cublasHandle_t handle_for(Device device) {
    int dev = device - T_CUDA;
    pthread_mutex_lock(&handles_lock);
    cublasStatus_t s = CUBLAS_STATUS_SUCCESS;
    if (!handles[dev]) s = cublasCreate(&handles[dev]);
    cublasHandle_t h = handles[dev];
    pthread_mutex_unlock(&handles_lock);
    check_blas(s, "cublasCreate");
    check_blas(cublasSetStream(h, 0), "cublasSetStream");
    return h;
}

/* out = a @ b for float32 or float64 through one strided-batched cuBLAS call. */
static void gemm(Tensor *out, const Tensor *a, const Tensor *b, int64_t batch, int64_t m,
                 int64_t k, int64_t n, int64_t a_bs, int64_t b_bs) {
    BlasMat la = {false, 0}, lb = {false, 0};
    if (!t_blas_layout(m, k, a->stride[1], a->stride[2], &la) ||
        !t_blas_layout(k, n, b->stride[1], b->stride[2], &lb))
        cu_raise(T_ERR_VALUE, "cuda matmul: operands must be row-major or transposed matrices "
                 "(strides [%lld, %lld] and [%lld, %lld])", (long long)a->stride[1],
                 (long long)a->stride[2], (long long)b->stride[1], (long long)b->stride[2]);
    if (m > INT_MAX || n > INT_MAX || k > INT_MAX || la.ld > INT_MAX || lb.ld > INT_MAX ||
        batch > INT_MAX)
        cu_raise(T_ERR_VALUE, "cuda matmul: matrices of %lld x %lld and %lld x %lld exceed "
                 "cuBLAS's int sizes", (long long)m, (long long)k, (long long)k, (long long)n);
    cublasHandle_t h = handle_for(out->device);
    cublasOperation_t ta = la.trans ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasOperation_t tb = lb.trans ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasStatus_t s;
    if (out->dtype == T_F32) {
        const float one = 1, zero = 0;
        s = cublasSgemmStridedBatched(h, tb, ta, (int)n, (int)m, (int)k, &one,
                                      (const float *)cu_ptr(b), (int)lb.ld, b_bs,
                                      (const float *)cu_ptr(a), (int)la.ld, a_bs, &zero,
                                      (float *)cu_ptr(out), (int)n, m * n, (int)batch);
    } else {
        const double one = 1, zero = 0;
        s = cublasDgemmStridedBatched(h, tb, ta, (int)n, (int)m, (int)k, &one,
                                      (const double *)cu_ptr(b), (int)lb.ld, b_bs,
                                      (const double *)cu_ptr(a), (int)la.ld, a_bs, &zero,
                                      (double *)cu_ptr(out), (int)n, m * n, (int)batch);
    }
    check_blas(s, "t_matmul");
    cu_launched("t_matmul");
}

/* out[t] for each output element t of [batch, m, n]: a dot product walking both strides,
   accumulated in T as the CPU's integer loops do. */
template <typename T>
__global__ void k_matmul_int(T *out, const T *a, const T *b, int64_t batch, int64_t m,
                             int64_t k, int64_t n, int64_t a_bs, int64_t b_bs, int64_t ars,
                             int64_t acs, int64_t brs, int64_t bcs) {
    CU_FOR(t, batch * m * n) {
        int64_t bi = t / (m * n), r = t % (m * n), i = r / n, j = r % n;
        const T *ar = a + bi * a_bs + i * ars, *bc = b + bi * b_bs + j * bcs;
        T acc = 0;
        for (int64_t p = 0; p < k; p++) acc += ar[p * acs] * bc[p * brs];
        out[t] = acc;
    }
}

/* Launches k_matmul_int for T. */
template <typename T>
static void matmul_int(Tensor *out, const Tensor *a, const Tensor *b, int64_t batch, int64_t m,
                       int64_t k, int64_t n, int64_t a_bs, int64_t b_bs) {
    k_matmul_int<T><<<cu_blocks(batch * m * n), CU_THREADS>>>(
        (T *)cu_ptr(out), (const T *)cu_ptr(a), (const T *)cu_ptr(b), batch, m, k, n, a_bs,
        b_bs, a->stride[1], a->stride[2], b->stride[1], b->stride[2]);
    cu_launched("t_matmul");
}

void cu_matmul(Tensor *out, const Tensor *a, const Tensor *b, int64_t batch,
               int64_t a_batch_stride, int64_t b_batch_stride) {
    cu_set_device(out->device);
    if (a->ndim != 3 || b->ndim != 3 || out->ndim != 3)
        cu_raise(T_ERR_SHAPE, "cuda matmul: expected [batch, m, k] and [batch, k, n] operands");
    if (a->dtype != b->dtype || a->dtype != out->dtype)
        cu_raise(T_ERR_DTYPE, "cuda matmul: operands of %s and %s into %s",
                 cu_dtype_name(a->dtype), cu_dtype_name(b->dtype), cu_dtype_name(out->dtype));
    int64_t m = a->size[1], k = a->size[2], n = b->size[2];
    if (batch == 0 || m == 0 || n == 0) return;
    if (k == 0) { /* an empty sum is zero */
        cu_check(cudaMemsetAsync(cu_ptr(out), 0, (size_t)(batch * m * n) * cu_dtype_size(out->dtype), 0),
                 "t_matmul");
        return;
    }
    switch (out->dtype) {
    case T_F32:
    case T_F64: gemm(out, a, b, batch, m, k, n, a_batch_stride, b_batch_stride); return;
    case T_I64: matmul_int<int64_t>(out, a, b, batch, m, k, n, a_batch_stride, b_batch_stride); return;
    case T_I32: matmul_int<int32_t>(out, a, b, batch, m, k, n, a_batch_stride, b_batch_stride); return;
    case T_U8: matmul_int<u8>(out, a, b, batch, m, k, n, a_batch_stride, b_batch_stride); return;
    default:
        cu_raise(T_ERR_DTYPE, "cuda matmul: %s matrices are not supported",
                 cu_dtype_name(out->dtype));
    }
}
