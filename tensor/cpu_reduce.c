/*
 * cpu_reduce.c — the CPU's reductions and softmax: x (contiguous, viewed as [outer, n, inner])
 * reduced over its middle dim into out ([outer, inner]), or normalised along it. Reducing the
 * last dim (inner == 1) walks each row with independent partial sums; other dims walk blocks
 * of output columns so that the inner loop runs over contiguous memory. Both shapes vectorize;
 * large inputs spread over threads. Functions that hold hot loops are built for several
 * instruction sets (CPU_MULTIVERSION) and called from the parallel loops, since OpenMP's
 * outlined loop bodies would otherwise get only the baseline ones.
 */
#include <math.h>
#include <string.h>

#include "cpu.h"

/* Elements below which a reduction stays on one thread: handing out smaller work to threads
   costs more than it saves. */
enum { PARALLEL_MIN_ELEMS = 1 << 15 };
/* Output columns one accumulator block holds when inner > 1: kept on the stack, in L1. */
enum { COL_BLOCK = 256 };
/* Independent float partial sums in a contiguous float32 sum: two AVX-512 vectors' worth,
   so consecutive adds never wait on each other. */
enum { SUM_LANES = 32 };
/* Elements summed in single precision before the partial sums join the double total: each
   lane adds only SUM_BLOCK / SUM_LANES values in float, so float32 sums stay accurate. */
enum { SUM_BLOCK = 1024 };

/* A pragma built inside a macro, after the macro's arguments are substituted. */
#define PRAGMA(x) _Pragma(#x)

typedef unsigned char u8;

/* Sum of a contiguous float32 row, accumulated in double by blocks of float lanes. Each
   block's lanes join lanes of doubles (a vector add, not a chain of scalar ones: that chain
   took as long as the block's loads), which are added up once at the end. */
CPU_MULTIVERSION static double sum_row_f32(const float *x, int64_t n) {
    double dlane[SUM_LANES] = {0};
    int64_t i = 0;
    for (; i + SUM_BLOCK <= n; i += SUM_BLOCK) {
        float lane[SUM_LANES] = {0};
        for (int64_t b = 0; b < SUM_BLOCK; b += SUM_LANES)
            for (int j = 0; j < SUM_LANES; j++) lane[j] += x[i + b + j];
        for (int j = 0; j < SUM_LANES; j++) dlane[j] += lane[j];
    }
    if (i < n) { /* the last, partial block: whole lane groups, then single elements */
        float lane[SUM_LANES] = {0};
        for (; i + SUM_LANES <= n; i += SUM_LANES)
            for (int j = 0; j < SUM_LANES; j++) lane[j] += x[i + j];
        for (int j = 0; j < SUM_LANES; j++) dlane[j] += lane[j];
    }
    double total = 0;
    for (int j = 0; j < SUM_LANES; j++) total += dlane[j];
    for (; i < n; i++) total += x[i];
    return total;
}

/* Sum of a contiguous float32 row, split over threads (in pieces of whole blocks) when it is
   long. */
static double sum_f32(const float *x, int64_t n) {
    if (n < PARALLEL_MIN_ELEMS) return sum_row_f32(x, n);
    int64_t npieces = (n + PARALLEL_MIN_ELEMS - 1) / PARALLEL_MIN_ELEMS;
    double total = 0;
#pragma omp parallel for schedule(static) reduction(+ : total)
    for (int64_t b = 0; b < npieces; b++) {
        int64_t start = b * PARALLEL_MIN_ELEMS;
        int64_t len = n - start < PARALLEL_MIN_ELEMS ? n - start : PARALLEL_MIN_ELEMS;
        total += sum_row_f32(x + start, len);
    }
    return total;
}

/* Whether float v beats best for a max (or, with less, a min): NaN beats every number, and
   the first NaN is kept, as PyTorch does; ties keep the earlier position. */
#define BEATS_MAX(v, best) ((v) > (best) || ((v) != (v) && (best) == (best)))
#define BEATS_MIN(v, best) ((v) < (best) || ((v) != (v) && (best) == (best)))

/*
 * SUM and PROD of element type T into out of type OT, accumulating in ACC. Rows (inner == 1)
 * reduce with a vectorized reduction clause; other dims keep a block of column accumulators.
 */
#define DEFINE_SUMPROD(NAME, T, ACC, OT)                                                        \
    CPU_MULTIVERSION static ACC NAME##_row(bool prod, const T *row, int64_t n) {                \
        ACC acc = prod ? 1 : 0;                                                                 \
        if (prod) {                                                                             \
            _Pragma("omp simd reduction(* : acc)")                                             \
            for (int64_t k = 0; k < n; k++) acc *= (ACC)row[k];                                 \
        } else {                                                                                \
            _Pragma("omp simd reduction(+ : acc)")                                             \
            for (int64_t k = 0; k < n; k++) acc += (ACC)row[k];                                 \
        }                                                                                       \
        return acc;                                                                             \
    }                                                                                           \
    CPU_MULTIVERSION static void NAME##_cols(bool prod, OT *out, const T *base, int64_t n,     \
                                             int64_t inner, int64_t w) {                        \
        ACC acc[COL_BLOCK];                                                                     \
        for (int64_t j = 0; j < w; j++) acc[j] = prod ? 1 : 0;                                  \
        for (int64_t k = 0; k < n; k++) {                                                       \
            const T *r = base + k * inner;                                                      \
            if (prod)                                                                           \
                for (int64_t j = 0; j < w; j++) acc[j] *= (ACC)r[j];                            \
            else                                                                                \
                for (int64_t j = 0; j < w; j++) acc[j] += (ACC)r[j];                            \
        }                                                                                       \
        for (int64_t j = 0; j < w; j++) out[j] = (OT)acc[j];                                    \
    }                                                                                           \
    static void NAME(bool prod, OT *out, const T *x, int64_t outer, int64_t n, int64_t inner) { \
        if (inner == 1) {                                                                       \
            _Pragma("omp parallel for schedule(static) if (outer * n >= PARALLEL_MIN_ELEMS)")   \
            for (int64_t o = 0; o < outer; o++) out[o] = (OT)NAME##_row(prod, x + o * n, n);    \
            return;                                                                             \
        }                                                                                       \
        int64_t nblk = (inner + COL_BLOCK - 1) / COL_BLOCK;                                     \
        _Pragma("omp parallel for schedule(static) if (outer * n * inner >= PARALLEL_MIN_ELEMS)") \
        for (int64_t t = 0; t < outer * nblk; t++) {                                            \
            int64_t o = t / nblk, j0 = (t % nblk) * COL_BLOCK;                                  \
            int64_t w = inner - j0 < COL_BLOCK ? inner - j0 : COL_BLOCK;                        \
            NAME##_cols(prod, out + o * inner + j0, x + o * n * inner + j0, n, inner, w);       \
        }                                                                                       \
    }

DEFINE_SUMPROD(sumprod_f32_f32, float, double, float)
DEFINE_SUMPROD(sumprod_f32_f64, float, double, double)
DEFINE_SUMPROD(sumprod_f64_f32, double, double, float)
DEFINE_SUMPROD(sumprod_f64_f64, double, double, double)
DEFINE_SUMPROD(sumprod_i64_i64, int64_t, int64_t, int64_t)
DEFINE_SUMPROD(sumprod_i32_i64, int32_t, int64_t, int64_t)
DEFINE_SUMPROD(sumprod_i32_i32, int32_t, int64_t, int32_t)
DEFINE_SUMPROD(sumprod_u8_i64, u8, int64_t, int64_t)
DEFINE_SUMPROD(sumprod_u8_u8, u8, int64_t, u8)

/*
 * MAX/MIN (values into out, positions into idx when not NULL) and ARGMAX/ARGMIN (positions
 * into the int64 out) of element type T. BEATS picks the winner; the first one wins ties.
 */
#define DEFINE_EXTREMUM(NAME, T, BEATS)                                                         \
    CPU_MULTIVERSION static void NAME##_cols(T *vals, int64_t *pos, const T *base, int64_t n,  \
                                             int64_t inner, int64_t w) {                        \
        T best[COL_BLOCK];                                                                      \
        int64_t at[COL_BLOCK];                                                                  \
        for (int64_t j = 0; j < w; j++) best[j] = base[j], at[j] = 0;                           \
        for (int64_t k = 1; k < n; k++) {                                                       \
            const T *r = base + k * inner;                                                      \
            _Pragma("omp simd")                                                                 \
            for (int64_t j = 0; j < w; j++) {                                                   \
                bool win = BEATS(r[j], best[j]);                                                \
                best[j] = win ? r[j] : best[j];                                                 \
                at[j] = win ? k : at[j];                                                        \
            }                                                                                   \
        }                                                                                       \
        for (int64_t j = 0; j < w; j++) {                                                       \
            if (vals) vals[j] = best[j];                                                        \
            if (pos) pos[j] = at[j];                                                            \
        }                                                                                       \
    }                                                                                           \
    static void NAME(T *vals, int64_t *pos, const T *x, int64_t outer, int64_t n,              \
                     int64_t inner) {                                                           \
        int64_t nblk = (inner + COL_BLOCK - 1) / COL_BLOCK;                                     \
        _Pragma("omp parallel for schedule(static) if (outer * n * inner >= PARALLEL_MIN_ELEMS)") \
        for (int64_t t = 0; t < outer * nblk; t++) {                                            \
            int64_t o = t / nblk, j0 = (t % nblk) * COL_BLOCK, at = o * inner + j0;             \
            int64_t w = inner - j0 < COL_BLOCK ? inner - j0 : COL_BLOCK;                        \
            NAME##_cols(vals ? vals + at : NULL, pos ? pos + at : NULL, x + o * n * inner + j0, \
                        n, inner, w);                                                           \
        }                                                                                       \
    }

DEFINE_EXTREMUM(max_f32, float, BEATS_MAX)
DEFINE_EXTREMUM(min_f32, float, BEATS_MIN)
DEFINE_EXTREMUM(max_f64, double, BEATS_MAX)
DEFINE_EXTREMUM(min_f64, double, BEATS_MIN)
DEFINE_EXTREMUM(max_i64, int64_t, BEATS_MAX)
DEFINE_EXTREMUM(min_i64, int64_t, BEATS_MIN)
DEFINE_EXTREMUM(max_i32, int32_t, BEATS_MAX)
DEFINE_EXTREMUM(min_i32, int32_t, BEATS_MIN)
DEFINE_EXTREMUM(max_u8, u8, BEATS_MAX)
DEFINE_EXTREMUM(min_u8, u8, BEATS_MIN)

/* Elements a position search tests at once before looking at them one by one. */
enum { FIND_CHUNK = 64 };

/*
 * MAX/MIN (and ARGMAX/ARGMIN) along contiguous rows, in two vectorized passes: the extreme
 * value with a max reduction and a NaN flag (a vector max drops NaN, PyTorch keeps it), then,
 * when positions are wanted, the first element equal to it (or the first NaN). A single long
 * row is split over threads. NANV is the value a NaN result takes (unused for integers).
 */
#define DEFINE_ROW_EXTREMUM(NAME, T, CMP, RED, NANV)                                            \
    CPU_MULTIVERSION static T NAME##_span(const T *row, int64_t n, bool *nan_out) {            \
        T best = row[0];                                                                        \
        int nan = 0;                                                                            \
        PRAGMA(omp simd reduction(RED : best) reduction(| : nan))                               \
        for (int64_t k = 0; k < n; k++) {                                                       \
            best = row[k] CMP best ? row[k] : best;                                             \
            nan |= row[k] != row[k];                                                            \
        }                                                                                       \
        *nan_out = nan;                                                                         \
        return nan ? (T)NANV : best;                                                            \
    }                                                                                           \
    CPU_MULTIVERSION static int64_t NAME##_find(const T *row, int64_t n, T v, bool nan) {       \
        for (int64_t k0 = 0; k0 < n; k0 += FIND_CHUNK) {                                        \
            int64_t len = n - k0 < FIND_CHUNK ? n - k0 : FIND_CHUNK;                            \
            int hit = 0;                                                                        \
            PRAGMA(omp simd reduction(| : hit))                                                 \
            for (int64_t j = 0; j < len; j++)                                                   \
                hit |= nan ? row[k0 + j] != row[k0 + j] : row[k0 + j] == v;                     \
            if (hit)                                                                            \
                for (int64_t j = 0; j < len; j++)                                               \
                    if (nan ? row[k0 + j] != row[k0 + j] : row[k0 + j] == v) return k0 + j;     \
        }                                                                                       \
        return 0;                                                                               \
    }                                                                                           \
    static void NAME##_long(T *vals, int64_t *pos, const T *row, int64_t n) {                   \
        int64_t nchunk = (n + PARALLEL_MIN_ELEMS - 1) / PARALLEL_MIN_ELEMS;                     \
        T best = row[0];                                                                        \
        bool nan = false;                                                                       \
        _Pragma("omp parallel")                                                                 \
        {                                                                                       \
            T mine = row[0];                                                                    \
            bool mine_nan = false;                                                              \
            _Pragma("omp for schedule(static) nowait")                                          \
            for (int64_t c = 0; c < nchunk; c++) {                                              \
                int64_t at = c * PARALLEL_MIN_ELEMS;                                            \
                int64_t len = n - at < PARALLEL_MIN_ELEMS ? n - at : PARALLEL_MIN_ELEMS;        \
                bool cn;                                                                        \
                T v = NAME##_span(row + at, len, &cn);                                          \
                if (cn) mine_nan = true;                                                        \
                else if (v CMP mine) mine = v;                                                  \
            }                                                                                   \
            _Pragma("omp critical")                                                             \
            {                                                                                   \
                if (mine_nan) nan = true;                                                       \
                else if (mine CMP best) best = mine;                                            \
            }                                                                                   \
        }                                                                                       \
        if (nan) best = (T)NANV;                                                                \
        if (vals) *vals = best;                                                                 \
        if (pos) *pos = NAME##_find(row, n, best, nan);                                         \
    }                                                                                           \
    static void NAME(T *vals, int64_t *pos, const T *x, int64_t outer, int64_t n) {            \
        if (outer == 1 && n >= PARALLEL_MIN_ELEMS) {                                            \
            NAME##_long(vals, pos, x, n);                                                       \
            return;                                                                             \
        }                                                                                       \
        _Pragma("omp parallel for schedule(static) if (outer * n >= PARALLEL_MIN_ELEMS)")       \
        for (int64_t o = 0; o < outer; o++) {                                                   \
            bool nan;                                                                           \
            T v = NAME##_span(x + o * n, n, &nan);                                              \
            if (vals) vals[o] = v;                                                              \
            if (pos) pos[o] = NAME##_find(x + o * n, n, v, nan);                                \
        }                                                                                       \
    }

DEFINE_ROW_EXTREMUM(rowmax_f32, float, >, max, NAN)
DEFINE_ROW_EXTREMUM(rowmin_f32, float, <, min, NAN)
DEFINE_ROW_EXTREMUM(rowmax_f64, double, >, max, NAN)
DEFINE_ROW_EXTREMUM(rowmin_f64, double, <, min, NAN)
DEFINE_ROW_EXTREMUM(rowmax_i64, int64_t, >, max, 0)
DEFINE_ROW_EXTREMUM(rowmin_i64, int64_t, <, min, 0)
DEFINE_ROW_EXTREMUM(rowmax_i32, int32_t, >, max, 0)
DEFINE_ROW_EXTREMUM(rowmin_i32, int32_t, <, min, 0)
DEFINE_ROW_EXTREMUM(rowmax_u8, u8, >, max, 0)
DEFINE_ROW_EXTREMUM(rowmin_u8, u8, <, min, 0)

/* SUM or PROD: picks the kernel for x's dtype and out's (see cpu.h for the pairs taken). */
static void reduce_sumprod(bool prod, Tensor *out, const Tensor *x, int64_t outer, int64_t n,
                           int64_t inner) {
    void *o = t_ptr(out);
    const void *p = t_ptr(x);
    DType xt = x->dtype, ot = out->dtype;
    if (xt == T_F32 && ot == T_F32 && !prod && inner == 1) {
        float *of = o;
        if (outer == 1) {
            of[0] = (float)sum_f32(p, n);
            return;
        }
#pragma omp parallel for schedule(static) if (outer * n >= PARALLEL_MIN_ELEMS)
        for (int64_t r = 0; r < outer; r++) of[r] = (float)sum_row_f32((const float *)p + r * n, n);
        return;
    }
    if (xt == T_F32 && ot == T_F32) sumprod_f32_f32(prod, o, p, outer, n, inner);
    else if (xt == T_F32 && ot == T_F64) sumprod_f32_f64(prod, o, p, outer, n, inner);
    else if (xt == T_F64 && ot == T_F32) sumprod_f64_f32(prod, o, p, outer, n, inner);
    else if (xt == T_F64 && ot == T_F64) sumprod_f64_f64(prod, o, p, outer, n, inner);
    else if (xt == T_I64 && ot == T_I64) sumprod_i64_i64(prod, o, p, outer, n, inner);
    else if (xt == T_I32 && ot == T_I64) sumprod_i32_i64(prod, o, p, outer, n, inner);
    else if (xt == T_I32 && ot == T_I32) sumprod_i32_i32(prod, o, p, outer, n, inner);
    else if ((xt == T_U8 || xt == T_BOOL) && ot == T_I64)
        sumprod_u8_i64(prod, o, p, outer, n, inner);
    else if (xt == T_U8 && ot == T_U8) sumprod_u8_u8(prod, o, p, outer, n, inner);
    else
        t_raise(T_ERR_DTYPE, "cpu_reduce: cannot %s %s into %s", prod ? "multiply" : "sum",
                t_dtype_name(xt), t_dtype_name(ot));
}

/* MAX/MIN/ARGMAX/ARGMIN: picks the kernel for x's dtype; vals and pos may each be NULL. */
static void reduce_extremum(bool is_max, void *vals, int64_t *pos, const Tensor *x,
                            int64_t outer, int64_t n, int64_t inner) {
    const void *p = t_ptr(x);
    if (inner == 1) {
        switch (x->dtype) {
        case T_F32: (is_max ? rowmax_f32 : rowmin_f32)(vals, pos, p, outer, n); return;
        case T_F64: (is_max ? rowmax_f64 : rowmin_f64)(vals, pos, p, outer, n); return;
        case T_I64: (is_max ? rowmax_i64 : rowmin_i64)(vals, pos, p, outer, n); return;
        case T_I32: (is_max ? rowmax_i32 : rowmin_i32)(vals, pos, p, outer, n); return;
        default: (is_max ? rowmax_u8 : rowmin_u8)(vals, pos, p, outer, n); return;
        }
    }
    switch (x->dtype) {
    case T_F32: (is_max ? max_f32 : min_f32)(vals, pos, p, outer, n, inner); break;
    case T_F64: (is_max ? max_f64 : min_f64)(vals, pos, p, outer, n, inner); break;
    case T_I64: (is_max ? max_i64 : min_i64)(vals, pos, p, outer, n, inner); break;
    case T_I32: (is_max ? max_i32 : min_i32)(vals, pos, p, outer, n, inner); break;
    case T_U8:
    case T_BOOL: (is_max ? max_u8 : min_u8)(vals, pos, p, outer, n, inner); break;
    default: t_raise(T_ERR_DTYPE, "cpu_reduce: unknown dtype %d", (int)x->dtype);
    }
}

/* The reduce primitive (backend.h): dispatches on the op, then on the dtypes. */
void cpu_reduce(ReduceOp op, Tensor *out, Tensor *idx, const Tensor *x, int64_t outer,
                int64_t n, int64_t inner) {
    if (outer * inner == 0) return;
    switch (op) {
    case R_SUM: reduce_sumprod(false, out, x, outer, n, inner); return;
    case R_PROD: reduce_sumprod(true, out, x, outer, n, inner); return;
    default: break;
    }
    if (n == 0)
        t_raise(T_ERR_INDEX, "cpu_reduce: cannot reduce over a zero-size dimension");
    bool is_max = op == R_MAX || op == R_ARGMAX;
    if (op == R_MAX || op == R_MIN) {
        if (out->dtype != x->dtype)
            t_raise(T_ERR_DTYPE, "cpu_reduce: max/min of %s into %s", t_dtype_name(x->dtype),
                    t_dtype_name(out->dtype));
        reduce_extremum(is_max, t_ptr(out), idx ? (int64_t *)t_ptr(idx) : NULL, x, outer, n,
                        inner);
    } else if (op == R_ARGMAX || op == R_ARGMIN) {
        if (out->dtype != T_I64)
            t_raise(T_ERR_DTYPE, "cpu_reduce: argmax/argmin into %s; expected int64",
                    t_dtype_name(out->dtype));
        reduce_extremum(is_max, NULL, (int64_t *)t_ptr(out), x, outer, n, inner);
    } else {
        t_raise(T_ERR_VALUE, "cpu_reduce: unknown reduction %d", (int)op);
    }
}

/* ---- softmax ---------------------------------------------------------------------------- */

/* Inputs below this give exp(x) under float32's smallest normal number: the result is 0. */
#define EXP_F32_MIN_ARG (-87.33654f)
/* Inputs above this overflow float32 (ln of its largest value): the result is inf. */
#define EXP_F32_MAX_ARG 88.72283f
/* 1.5 * 2^23: adding and subtracting it rounds a float to the nearest integer. */
#define ROUND_MAGIC_F32 12582912.0f
#define LOG2E_F32 1.44269504088896341f
/* ln 2 split in two, so that n * LN2_HI is exact for the n that occur (Cody and Waite). */
#define LN2_HI_F32 0.693359375f
#define LN2_LO_F32 (-2.12194440e-4f)
/* Exponent bias of float32 and the position of its exponent field. */
enum { F32_EXP_BIAS = 127, F32_MANT_BITS = 23 };

/* exp(x) in float32, within 2 ulp of libm's for the normal range (softmax's x <= 0).
   Written branch-free, unlike libm's expf, so that loops calling it vectorize: x = n ln2 + r,
   exp(r) by Cephes' degree-6 polynomial, 2^n put straight into the exponent bits. NaN stays
   NaN, -inf gives 0, +inf gives inf. */
static inline float exp_f32(float x) {
    float c = x < EXP_F32_MIN_ARG ? EXP_F32_MIN_ARG : x > EXP_F32_MAX_ARG ? EXP_F32_MAX_ARG : x;
    float whole = c == c ? c : 0.0f; /* NaN must not reach the integer conversion */
    float n = (whole * LOG2E_F32 + ROUND_MAGIC_F32) - ROUND_MAGIC_F32;
    float r = c - n * LN2_HI_F32 - n * LN2_LO_F32;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    uint32_t bits = (uint32_t)((int32_t)n + F32_EXP_BIAS) << F32_MANT_BITS;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return x < EXP_F32_MIN_ARG ? 0.0f : p * scale;
}

/* Softmax over one contiguous float32 row: max, then exp and sum in one pass, then scale
   (or, for log-softmax, (x - max) - log(sum)). */
CPU_MULTIVERSION static void softmax_row_f32(float *out, const float *x, int64_t n, bool want_log) {
    float m = -INFINITY;
#pragma omp simd reduction(max : m)
    for (int64_t k = 0; k < n; k++) m = x[k] > m ? x[k] : m;
    /* A NaN anywhere makes the whole row NaN, as in PyTorch: the sum picks it up below. */
    float sum = 0;
    if (want_log) {
#pragma omp simd reduction(+ : sum)
        for (int64_t k = 0; k < n; k++) sum += exp_f32(x[k] - m);
        float lse = logf(sum); /* subtracted after m, which keeps digits when |x| is large */
#pragma omp simd
        for (int64_t k = 0; k < n; k++) out[k] = (x[k] - m) - lse;
        return;
    }
#pragma omp simd reduction(+ : sum)
    for (int64_t k = 0; k < n; k++) {
        out[k] = exp_f32(x[k] - m);
        sum += out[k];
    }
    float inv = 1.0f / sum;
#pragma omp simd
    for (int64_t k = 0; k < n; k++) out[k] *= inv;
}

/* Columns one softmax block spans when inner > 1: n rows of them (n * 256 bytes) stay in L2
   across the three passes. */
enum { SOFTMAX_COL_BLOCK = 64 };

/* Softmax over the middle dim of [outer, n, inner] with inner > 1, for a block of w <=
   SOFTMAX_COL_BLOCK columns: the same three passes, each running along contiguous columns. */
#define DEFINE_SOFTMAX_COLS(NAME, T, EXP, LOG)                                                  \
    CPU_MULTIVERSION static void NAME(T *out, const T *x, int64_t n, int64_t inner, int64_t w, \
                                      bool want_log) {                                         \
        T m[SOFTMAX_COL_BLOCK], sum[SOFTMAX_COL_BLOCK];                                         \
        for (int64_t j = 0; j < w; j++) m[j] = -INFINITY, sum[j] = 0;                           \
        for (int64_t k = 0; k < n; k++) {                                                       \
            const T *r = x + k * inner;                                                         \
            _Pragma("omp simd")                                                                 \
            for (int64_t j = 0; j < w; j++) m[j] = r[j] > m[j] || r[j] != r[j] ? r[j] : m[j];   \
        }                                                                                       \
        for (int64_t k = 0; k < n; k++) {                                                       \
            const T *r = x + k * inner;                                                         \
            T *o = out + k * inner;                                                             \
            if (want_log) {                                                                     \
                _Pragma("omp simd")                                                             \
                for (int64_t j = 0; j < w; j++) sum[j] += EXP(r[j] - m[j]);                     \
            } else {                                                                            \
                _Pragma("omp simd")                                                             \
                for (int64_t j = 0; j < w; j++) {                                               \
                    o[j] = EXP(r[j] - m[j]);                                                    \
                    sum[j] += o[j];                                                             \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
        for (int64_t j = 0; j < w; j++) sum[j] = want_log ? LOG(sum[j]) : 1 / sum[j];          \
        for (int64_t k = 0; k < n; k++) {                                                       \
            const T *r = x + k * inner;                                                         \
            T *o = out + k * inner;                                                             \
            if (want_log) {                                                                     \
                _Pragma("omp simd")                                                             \
                for (int64_t j = 0; j < w; j++) o[j] = (r[j] - m[j]) - sum[j];                  \
            } else {                                                                            \
                _Pragma("omp simd")                                                             \
                for (int64_t j = 0; j < w; j++) o[j] *= sum[j];                                 \
            }                                                                                   \
        }                                                                                       \
    }

DEFINE_SOFTMAX_COLS(softmax_cols_f32, float, exp_f32, logf)
DEFINE_SOFTMAX_COLS(softmax_cols_f64, double, exp, log)

/* Softmax over one contiguous float64 row (libm's exp: float64 is not the fast path). */
static void softmax_row_f64(double *out, const double *x, int64_t n, bool want_log) {
    softmax_cols_f64(out, x, n, 1, 1, want_log);
}

/* The softmax primitive (backend.h): rows when the dim is the last, column blocks otherwise. */
void cpu_softmax(Tensor *out, const Tensor *x, int64_t outer, int64_t n, int64_t inner,
                 bool want_log) {
    if (x->dtype != out->dtype || !t_dtype_is_floating(x->dtype))
        t_raise(T_ERR_DTYPE, "cpu_softmax: expected floating tensors of one dtype, got %s into %s",
                t_dtype_name(x->dtype), t_dtype_name(out->dtype));
    if (outer * n * inner == 0) return;
    bool f32 = x->dtype == T_F32;
    char *o = t_ptr(out);
    const char *p = t_ptr(x);
    size_t es = t_dtype_size(x->dtype);
    if (inner == 1) {
#pragma omp parallel for schedule(static) if (outer * n >= PARALLEL_MIN_ELEMS)
        for (int64_t r = 0; r < outer; r++) {
            if (f32) softmax_row_f32((float *)o + r * n, (const float *)p + r * n, n, want_log);
            else softmax_row_f64((double *)o + r * n, (const double *)p + r * n, n, want_log);
        }
        return;
    }
    int64_t nblk = (inner + SOFTMAX_COL_BLOCK - 1) / SOFTMAX_COL_BLOCK;
#pragma omp parallel for schedule(static) if (outer * n * inner >= PARALLEL_MIN_ELEMS)
    for (int64_t t = 0; t < outer * nblk; t++) {
        int64_t r = t / nblk, j0 = (t % nblk) * SOFTMAX_COL_BLOCK;
        int64_t w = inner - j0 < SOFTMAX_COL_BLOCK ? inner - j0 : SOFTMAX_COL_BLOCK;
        size_t at = (size_t)(r * n * inner + j0) * es;
        if (f32)
            softmax_cols_f32((float *)(o + at), (const float *)(p + at), n, inner, w, want_log);
        else
            softmax_cols_f64((double *)(o + at), (const double *)(p + at), n, inner, w, want_log);
    }
}
