/*
 * reduce.cu — the GPU's reductions and softmax over the middle dim of a contiguous
 * [outer, n, inner] tensor. Reducing the last dim (inner == 1) gives each row a block whose
 * threads stride along it and combine in shared memory; other dims give each output column a
 * thread that walks down it (neighbouring threads read neighbouring columns). Max and min
 * keep PyTorch's rules, as the CPU does: NaN wins, and ties keep the first position.
 */
#include <math.h>

#include <type_traits>

#include "cuda_internal.h"

typedef unsigned char u8;

/* Combines every thread's v in the block with f (buf holds CU_THREADS values); every thread
   gets the result. */
template <typename T, typename F> __device__ T block_reduce(T v, T *buf, F f) {
    buf[threadIdx.x] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) buf[threadIdx.x] = f(buf[threadIdx.x], buf[threadIdx.x + s]);
        __syncthreads();
    }
    T r = buf[0];
    __syncthreads();
    return r;
}

/* ---- sum and product ---- */

/* Adds, or multiplies, two partial results. */
template <typename ACC> struct SumProd {
    bool prod;
    __device__ ACC operator()(ACC a, ACC b) const { return prod ? a * b : a + b; }
};

/* Sum or product of each row of x ([outer, n]): one block per row. */
template <typename T, typename ACC, typename OT>
__global__ void k_sumprod_rows(OT *out, const T *x, int64_t outer, int64_t n, bool prod) {
    __shared__ ACC buf[CU_THREADS];
    SumProd<ACC> f{prod};
    for (int64_t r = blockIdx.x; r < outer; r += gridDim.x) {
        const T *row = x + r * n;
        ACC acc = prod ? 1 : 0;
        for (int64_t k = threadIdx.x; k < n; k += blockDim.x) acc = f(acc, (ACC)row[k]);
        acc = block_reduce(acc, buf, f);
        if (threadIdx.x == 0) out[r] = (OT)acc;
    }
}

/* Sum or product down each column of x ([outer, n, inner]): one thread per column. */
template <typename T, typename ACC, typename OT>
__global__ void k_sumprod_cols(OT *out, const T *x, int64_t outer, int64_t n, int64_t inner,
                               bool prod) {
    SumProd<ACC> f{prod};
    CU_FOR(t, outer * inner) {
        const T *col = x + (t / inner) * n * inner + t % inner;
        ACC acc = prod ? 1 : 0;
        for (int64_t k = 0; k < n; k++) acc = f(acc, (ACC)col[k * inner]);
        out[t] = (OT)acc;
    }
}

/* Sum or product of T into OT, accumulating in double (floating) or int64 (integers). */
template <typename T, typename OT>
static void sumprod(bool prod, Tensor *out, const Tensor *x, int64_t outer, int64_t n,
                    int64_t inner) {
    using ACC = std::conditional_t<std::is_floating_point_v<T> || std::is_floating_point_v<OT>,
                                   double, int64_t>;
    OT *o = (OT *)cu_ptr(out);
    const T *p = (const T *)cu_ptr(x);
    if (inner == 1) k_sumprod_rows<T, ACC, OT><<<cu_blocks(outer * CU_THREADS), CU_THREADS>>>(o, p, outer, n, prod);
    else k_sumprod_cols<T, ACC, OT><<<cu_blocks(outer * inner), CU_THREADS>>>(o, p, outer, n, inner, prod);
    cu_launched(prod ? "t_prod" : "t_sum");
}

/* Picks the kernel for x's dtype and out's: the pairs the CPU takes (tensor/cpu.h). */
static void reduce_sumprod(bool prod, Tensor *out, const Tensor *x, int64_t outer, int64_t n,
                           int64_t inner) {
    DType xt = x->dtype, ot = out->dtype;
    if (xt == T_F32 && ot == T_F32) sumprod<float, float>(prod, out, x, outer, n, inner);
    else if (xt == T_F32 && ot == T_F64) sumprod<float, double>(prod, out, x, outer, n, inner);
    else if (xt == T_F64 && ot == T_F32) sumprod<double, float>(prod, out, x, outer, n, inner);
    else if (xt == T_F64 && ot == T_F64) sumprod<double, double>(prod, out, x, outer, n, inner);
    else if (xt == T_I64 && ot == T_I64) sumprod<int64_t, int64_t>(prod, out, x, outer, n, inner);
    else if (xt == T_I32 && ot == T_I64) sumprod<int32_t, int64_t>(prod, out, x, outer, n, inner);
    else if (xt == T_I32 && ot == T_I32) sumprod<int32_t, int32_t>(prod, out, x, outer, n, inner);
    else if ((xt == T_U8 || xt == T_BOOL) && ot == T_I64) sumprod<u8, int64_t>(prod, out, x, outer, n, inner);
    else if (xt == T_U8 && ot == T_U8) sumprod<u8, u8>(prod, out, x, outer, n, inner);
    else
        cu_raise(T_ERR_DTYPE, "cuda reduce: cannot %s %s into %s", prod ? "multiply" : "sum",
                 cu_dtype_name(xt), cu_dtype_name(ot));
}

/* ---- max, min and their positions ---- */

/* A candidate: a value and its position along the reduced dim (-1: none yet). */
template <typename T> struct Cand {
    T v;
    int64_t i;
};

/* Whether a should replace b as the running max (MAX) or min: a NaN beats any number and the
   earlier position wins ties, so the result does not depend on the order threads combine. */
template <typename T, bool MAX> struct Better {
    __device__ Cand<T> operator()(Cand<T> a, Cand<T> b) const { return wins(b, a) ? b : a; }
    __device__ static bool wins(Cand<T> a, Cand<T> b) {
        if (a.i < 0) return false;
        if (b.i < 0) return true;
        bool an = a.v != a.v, bn = b.v != b.v;
        if (an || bn) return an && (!bn || a.i < b.i);
        if (a.v == b.v) return a.i < b.i;
        return MAX ? a.v > b.v : a.v < b.v;
    }
};

/* Max or min (value and position) of each row of x: one block per row. */
template <typename T, bool MAX>
__global__ void k_extremum_rows(T *vals, int64_t *pos, const T *x, int64_t outer, int64_t n) {
    __shared__ Cand<T> buf[CU_THREADS];
    Better<T, MAX> f;
    for (int64_t r = blockIdx.x; r < outer; r += gridDim.x) {
        const T *row = x + r * n;
        Cand<T> best = {T(), -1};
        for (int64_t k = threadIdx.x; k < n; k += blockDim.x) best = f(best, Cand<T>{row[k], k});
        best = block_reduce(best, buf, f);
        if (threadIdx.x == 0) {
            if (vals) vals[r] = best.v;
            if (pos) pos[r] = best.i;
        }
    }
}

/* Max or min (value and position) down each column of x: one thread per column. */
template <typename T, bool MAX>
__global__ void k_extremum_cols(T *vals, int64_t *pos, const T *x, int64_t outer, int64_t n,
                                int64_t inner) {
    Better<T, MAX> f;
    CU_FOR(t, outer * inner) {
        const T *col = x + (t / inner) * n * inner + t % inner;
        Cand<T> best = {col[0], 0};
        for (int64_t k = 1; k < n; k++) best = f(best, Cand<T>{col[k * inner], k});
        if (vals) vals[t] = best.v;
        if (pos) pos[t] = best.i;
    }
}

/* Max or min of T into vals and/or positions into pos (either may be NULL). */
template <typename T, bool MAX>
static void extremum(void *vals, int64_t *pos, const Tensor *x, int64_t outer, int64_t n,
                     int64_t inner) {
    const T *p = (const T *)cu_ptr(x);
    if (inner == 1)
        k_extremum_rows<T, MAX><<<cu_blocks(outer * CU_THREADS), CU_THREADS>>>((T *)vals, pos, p, outer, n);
    else
        k_extremum_cols<T, MAX><<<cu_blocks(outer * inner), CU_THREADS>>>((T *)vals, pos, p, outer, n, inner);
    cu_launched(MAX ? "t_max" : "t_min");
}

/* Picks the kernel for x's dtype (bool as uint8, as the CPU does). */
template <bool MAX>
static void reduce_extremum(void *vals, int64_t *pos, const Tensor *x, int64_t outer, int64_t n,
                            int64_t inner) {
    switch (x->dtype) {
    case T_F32: extremum<float, MAX>(vals, pos, x, outer, n, inner); return;
    case T_F64: extremum<double, MAX>(vals, pos, x, outer, n, inner); return;
    case T_I64: extremum<int64_t, MAX>(vals, pos, x, outer, n, inner); return;
    case T_I32: extremum<int32_t, MAX>(vals, pos, x, outer, n, inner); return;
    case T_U8:
    case T_BOOL: extremum<u8, MAX>(vals, pos, x, outer, n, inner); return;
    default: cu_raise(T_ERR_DTYPE, "cuda reduce: unknown dtype %d", (int)x->dtype);
    }
}

void cu_reduce(ReduceOp op, Tensor *out, Tensor *idx, const Tensor *x, int64_t outer,
               int64_t n, int64_t inner) {
    cu_set_device(out->device);
    if (outer * inner == 0) return;
    if (op == R_SUM || op == R_PROD) {
        reduce_sumprod(op == R_PROD, out, x, outer, n, inner);
        return;
    }
    if (n == 0) cu_raise(T_ERR_INDEX, "cuda reduce: cannot reduce over a zero-size dimension");
    bool is_max = op == R_MAX || op == R_ARGMAX;
    void *vals = NULL;
    int64_t *pos = NULL;
    if (op == R_MAX || op == R_MIN) {
        if (out->dtype != x->dtype)
            cu_raise(T_ERR_DTYPE, "cuda reduce: max/min of %s into %s", cu_dtype_name(x->dtype),
                     cu_dtype_name(out->dtype));
        vals = cu_ptr(out);
        pos = idx ? (int64_t *)cu_ptr(idx) : NULL;
    } else if (op == R_ARGMAX || op == R_ARGMIN) {
        if (out->dtype != T_I64)
            cu_raise(T_ERR_DTYPE, "cuda reduce: argmax/argmin into %s; expected int64",
                     cu_dtype_name(out->dtype));
        pos = (int64_t *)cu_ptr(out);
    } else {
        cu_raise(T_ERR_VALUE, "cuda reduce: unknown reduction %d", (int)op);
    }
    if (is_max) reduce_extremum<true>(vals, pos, x, outer, n, inner);
    else reduce_extremum<false>(vals, pos, x, outer, n, inner);
}

/* ---- softmax ---- */

/* The larger of a and b, NaN winning (so a NaN anywhere makes the row NaN, as in PyTorch). */
template <typename T> struct NanMax {
    __device__ T operator()(T a, T b) const { return b > a || b != b ? b : a; }
};
/* The sum of two partial sums. */
template <typename T> struct Plus {
    __device__ T operator()(T a, T b) const { return a + b; }
};

/* exp and log of float or double. */
__device__ __forceinline__ float m_exp(float x) { return expf(x); }
__device__ __forceinline__ double m_exp(double x) { return exp(x); }
__device__ __forceinline__ float m_log(float x) { return logf(x); }
__device__ __forceinline__ double m_log(double x) { return log(x); }

/* Softmax (or log-softmax) of each row: one block per row, in three passes (max, sum of
   exponentials, scale), as the CPU's. */
template <typename T>
__global__ void k_softmax_rows(T *out, const T *x, int64_t outer, int64_t n, bool want_log) {
    __shared__ T buf[CU_THREADS];
    for (int64_t r = blockIdx.x; r < outer; r += gridDim.x) {
        const T *row = x + r * n;
        T *o = out + r * n;
        T m = -INFINITY, sum = 0;
        for (int64_t k = threadIdx.x; k < n; k += blockDim.x) m = NanMax<T>()(m, row[k]);
        m = block_reduce(m, buf, NanMax<T>());
        for (int64_t k = threadIdx.x; k < n; k += blockDim.x) {
            T e = m_exp(row[k] - m);
            if (!want_log) o[k] = e;
            sum += e;
        }
        sum = block_reduce(sum, buf, Plus<T>());
        T shift = m + m_log(sum), inv = (T)1 / sum;
        for (int64_t k = threadIdx.x; k < n; k += blockDim.x)
            o[k] = want_log ? row[k] - shift : o[k] * inv;
    }
}

/* Softmax (or log-softmax) down each column: one thread per column, the same three passes. */
template <typename T>
__global__ void k_softmax_cols(T *out, const T *x, int64_t outer, int64_t n, int64_t inner,
                               bool want_log) {
    CU_FOR(t, outer * inner) {
        int64_t at = (t / inner) * n * inner + t % inner;
        const T *col = x + at;
        T *o = out + at;
        T m = -INFINITY, sum = 0;
        for (int64_t k = 0; k < n; k++) m = NanMax<T>()(m, col[k * inner]);
        for (int64_t k = 0; k < n; k++) {
            T e = m_exp(col[k * inner] - m);
            if (!want_log) o[k * inner] = e;
            sum += e;
        }
        T shift = m + m_log(sum), inv = (T)1 / sum;
        for (int64_t k = 0; k < n; k++)
            o[k * inner] = want_log ? col[k * inner] - shift : o[k * inner] * inv;
    }
}

/* Launches the softmax kernel for T. */
template <typename T>
static void softmax_t(Tensor *out, const Tensor *x, int64_t outer, int64_t n, int64_t inner,
                      bool want_log) {
    T *o = (T *)cu_ptr(out);
    const T *p = (const T *)cu_ptr(x);
    if (inner == 1)
        k_softmax_rows<T><<<cu_blocks(outer * CU_THREADS), CU_THREADS>>>(o, p, outer, n, want_log);
    else
        k_softmax_cols<T><<<cu_blocks(outer * inner), CU_THREADS>>>(o, p, outer, n, inner, want_log);
    cu_launched(want_log ? "t_log_softmax" : "t_softmax");
}

void cu_softmax(Tensor *out, const Tensor *x, int64_t outer, int64_t n, int64_t inner,
                bool want_log) {
    cu_set_device(out->device);
    if (x->dtype != out->dtype || (x->dtype != T_F32 && x->dtype != T_F64))
        cu_raise(T_ERR_DTYPE, "cuda softmax: expected floating tensors of one dtype, got %s "
                 "into %s", cu_dtype_name(x->dtype), cu_dtype_name(out->dtype));
    if (outer * n * inner == 0) return;
    if (x->dtype == T_F32) softmax_t<float>(out, x, outer, n, inner, want_log);
    else softmax_t<double>(out, x, outer, n, inner, want_log);
}
