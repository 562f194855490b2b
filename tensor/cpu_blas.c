/*
 * cpu_blas.c — the CPU's matrix product: float32 and float64 through OpenBLAS (sgemm, dgemm),
 * integer dtypes by plain loops. Operands are [batch, m, k] @ [batch, k, n]; each matrix may
 * be row-major (rows possibly padded) or the transpose of one, which BLAS reads in place.
 */
#include <cblas.h>
#include <limits.h>
#include <omp.h>
#include <string.h>

#include "cpu.h"

/* Multiply-adds below which integer batches stay on one thread. */
enum { INT_PARALLEL_MIN_MACS = 1 << 16 };
/* Float batches go over threads, one product each, when each product has at most this many
   multiply-adds and the batch at least this many. */
enum { BATCH_PARALLEL_MAX_MACS = 1 << 21, BATCH_PARALLEL_MIN_MACS = 1 << 20 };
/* A single float product of at least this many multiply-adds is split over the threads
   (OpenBLAS's own threshold for threading one); rows or columns are shared out in multiples
   of SPLIT_ALIGN, the width of its register blocks. */
enum { SPLIT_MIN_MACS = 1 << 18, SPLIT_ALIGN = 16 };
/* A product with fewer rows than columns is split by rows only when it has at least this many:
   each thread then packs all of B, and with few rows that duplicated packing weighs more than
   the products (64x784 @ 784x256: 164 us by rows, 147-157 by columns; 256x64 @ 64x784: 140-178
   by rows, 163-191 by columns). */
enum { SPLIT_ROWS_MIN = 128 };

/* out[i][j] = sum_p a[i][p] * b[p][j] for one integer matrix pair, walking strides; the inner
   loop runs along b's row and out's row, which vectorizes when b is row-major. */
#define DEFINE_INT_MATMUL(NAME, T)                                                              \
    static void NAME(void *out_, const void *a_, const void *b_, int64_t m, int64_t k,         \
                     int64_t n, const int64_t st[4]) {                                          \
        T *out = out_;                                                                          \
        const T *a = a_, *b = b_;                                                               \
        int64_t ars = st[0], acs = st[1], brs = st[2], bcs = st[3];                             \
        for (int64_t i = 0; i < m; i++) {                                                       \
            T *row = out + i * n;                                                               \
            for (int64_t j = 0; j < n; j++) row[j] = 0;                                         \
            for (int64_t p = 0; p < k; p++) {                                                   \
                T av = a[i * ars + p * acs];                                                    \
                const T *br = b + p * brs;                                                      \
                for (int64_t j = 0; j < n; j++) row[j] += av * br[j * bcs];                     \
            }                                                                                   \
        }                                                                                       \
    }

DEFINE_INT_MATMUL(matmul_i64, int64_t)
DEFINE_INT_MATMUL(matmul_i32, int32_t)
DEFINE_INT_MATMUL(matmul_u8, unsigned char)

/* One float32 or float64 product through BLAS: C (m x n, row-major, rows ldc apart) =
   A (m x k) @ B (k x n). */
static void gemm(DType dtype, void *c, int64_t ldc, const void *a, BlasMat la, const void *b,
                 BlasMat lb, int64_t m, int64_t k, int64_t n) {
    enum CBLAS_TRANSPOSE ta = la.trans ? CblasTrans : CblasNoTrans;
    enum CBLAS_TRANSPOSE tb = lb.trans ? CblasTrans : CblasNoTrans;
    if (dtype == T_F32)
        cblas_sgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, 1.0f, a, (int)la.ld, b,
                    (int)lb.ld, 0.0f, c, (int)ldc);
    else
        cblas_dgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, 1.0, a, (int)la.ld, b,
                    (int)lb.ld, 0.0, c, (int)ldc);
}

/* [begin, end) of part `part` of `parts` over len items, in multiples of SPLIT_ALIGN where
   there are enough of them. */
static void split_range(int64_t len, int part, int parts, int64_t *begin, int64_t *end) {
    int64_t unit = len >= SPLIT_ALIGN * parts ? SPLIT_ALIGN : 1;
    int64_t units = (len + unit - 1) / unit;
    *begin = (units * part / parts) * unit;
    *end = part == parts - 1 ? len : (units * (part + 1) / parts) * unit;
}

/* One product, on this thread or shared out over the pool: each thread computes a band of
   C's rows (or of its columns; see SPLIT_ROWS_MIN) with one BLAS call, which OpenBLAS
   runs on the calling thread inside a parallel region. Measured against letting OpenBLAS thread
   the product itself: 256^3 186 us instead of 200, 128^3 34-40 us instead of 68, a 64x784 @
   784x256 layer (by columns) 147-157 us instead of 157-161; 1024^3 and 2048^3 the same. */
static void product(DType dtype, char *c, const char *a, BlasMat la, const char *b, BlasMat lb,
                    int64_t m, int64_t k, int64_t n) {
    int parts = omp_in_parallel() ? 1 : omp_get_max_threads();
    if (parts < 2 || m * n * k < SPLIT_MIN_MACS) {
        gemm(dtype, c, n, a, la, b, lb, m, k, n);
        return;
    }
    size_t es = t_dtype_size(dtype);
    bool by_rows = m >= n || m >= SPLIT_ROWS_MIN;
#pragma omp parallel num_threads(parts)
    {
        int part = omp_get_thread_num(), nparts = omp_get_num_threads();
        int64_t lo, hi;
        split_range(by_rows ? m : n, part, nparts, &lo, &hi);
        if (hi > lo) {
            if (by_rows) /* rows lo..hi of A: of its storage, columns when it is transposed */
                gemm(dtype, c + (size_t)(lo * n) * es, n,
                     a + (size_t)(la.trans ? lo : lo * la.ld) * es, la, b, lb, hi - lo, k, n);
            else /* columns lo..hi of B: of its storage, rows when it is transposed */
                gemm(dtype, c + (size_t)lo * es, n, a, la,
                     b + (size_t)(lb.trans ? lo * lb.ld : lo) * es, lb, m, k, hi - lo);
        }
    }
}

/* The matmul primitive (backend.h): one GEMM per batch, or integer loops. */
void cpu_matmul(Tensor *out, const Tensor *a, const Tensor *b, int64_t batch,
                int64_t a_batch_stride, int64_t b_batch_stride) {
    if (a->ndim != 3 || b->ndim != 3 || out->ndim != 3)
        t_raise(T_ERR_SHAPE, "cpu_matmul: expected [batch, m, k] and [batch, k, n] operands, "
                "got %s and %s", t_shape_str(t_shape_of(a)), t_shape_str(t_shape_of(b)));
    if (a->dtype != b->dtype || a->dtype != out->dtype)
        t_raise(T_ERR_DTYPE, "cpu_matmul: operands of %s and %s into %s", t_dtype_name(a->dtype),
                t_dtype_name(b->dtype), t_dtype_name(out->dtype));
    int64_t m = a->size[1], k = a->size[2], n = b->size[2];
    if (batch == 0 || m == 0 || n == 0) return;
    size_t es = t_dtype_size(out->dtype);
    char *o = t_ptr(out);
    if (k == 0) {
        memset(o, 0, (size_t)(batch * m * n) * es); /* an empty sum is zero */
        return;
    }
    const char *pa = t_ptr(a), *pb = t_ptr(b);
    int64_t ars = a->stride[1], acs = a->stride[2], brs = b->stride[1], bcs = b->stride[2];
    if (out->dtype == T_F32 || out->dtype == T_F64) {
        BlasMat la = {false, 0}, lb = {false, 0};
        if (!t_blas_layout(m, k, ars, acs, &la) || !t_blas_layout(k, n, brs, bcs, &lb))
            t_raise(T_ERR_VALUE, "cpu_matmul: operands must be row-major or transposed "
                    "matrices (strides [%lld, %lld] and [%lld, %lld])", (long long)ars,
                    (long long)acs, (long long)brs, (long long)bcs);
        if (m > INT_MAX || n > INT_MAX || k > INT_MAX || la.ld > INT_MAX || lb.ld > INT_MAX)
            t_raise(T_ERR_VALUE, "cpu_matmul: matrices of %lld x %lld and %lld x %lld exceed "
                    "BLAS's int sizes", (long long)m, (long long)k, (long long)k, (long long)n);
        /* A batch of small products (a convolution's, one per image) is shared out over
           threads, each product on one; larger products are each split over the threads.
           BLAS is only ever called on one thread from inside an active parallel region, or
           outside any OpenMP construct: inside even an inactive one (`if` false), its own
           parallel regions become nested ones, with threads of their own that fight the
           pool's for the cores (measured: a 64x120x84 product took 6 ms, not 20 us). */
        bool threads = batch > 1 && m * n * k <= BATCH_PARALLEL_MAX_MACS &&
                       batch * m * n * k >= BATCH_PARALLEL_MIN_MACS && !omp_in_parallel();
        if (threads) {
#pragma omp parallel for schedule(static)
            for (int64_t i = 0; i < batch; i++)
                gemm(out->dtype, o + (size_t)(i * m * n) * es, n,
                     pa + (size_t)(i * a_batch_stride) * es, la,
                     pb + (size_t)(i * b_batch_stride) * es, lb, m, k, n);
            return;
        }
        for (int64_t i = 0; i < batch; i++)
            product(out->dtype, o + (size_t)(i * m * n) * es,
                    pa + (size_t)(i * a_batch_stride) * es, la,
                    pb + (size_t)(i * b_batch_stride) * es, lb, m, k, n);
        return;
    }
    void (*int_matmul)(void *, const void *, const void *, int64_t, int64_t, int64_t,
                       const int64_t[4]);
    switch (out->dtype) {
    case T_I64: int_matmul = matmul_i64; break;
    case T_I32: int_matmul = matmul_i32; break;
    case T_U8: int_matmul = matmul_u8; break;
    default:
        t_raise(T_ERR_DTYPE, "cpu_matmul: %s matrices are not supported",
                t_dtype_name(out->dtype));
        return;
    }
    const int64_t st[4] = {ars, acs, brs, bcs};
    bool threads = batch > 1 && batch * m * n * k >= INT_PARALLEL_MIN_MACS;
#pragma omp parallel for schedule(static) if (threads)
    for (int64_t i = 0; i < batch; i++)
        int_matmul(o + (size_t)(i * m * n) * es, pa + (size_t)(i * a_batch_stride) * es,
                   pb + (size_t)(i * b_batch_stride) * es, m, k, n, st);
}
