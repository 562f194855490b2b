/*
 * cpu_conv.c — the CPU's convolution and pooling primitives: im2col and its adjoint col2im
 * (convolution is im2col + one GEMM per image), max pooling with indices, and GELU. Plain
 * loops over contiguous planes, written once per floating dtype; OpenMP over (image, channel)
 * planes when there is enough work to share. The common shapes' plane loops (dense-window
 * unfolding, 2x2 pooling) are built for several instruction sets (CPU_MULTIVERSION, cpu.h).
 */
#include <math.h>
#include <omp.h>
#include <string.h>

#include "cpu.h"
#include "cpu_conv.h"

/* Elements of work below which a primitive stays on one thread: these loops are bound by
   memory, and waking the thread team (and its spinning afterwards, which competes with
   BLAS's own threads for the cores) cost more than they saved in the blitz network's
   training step at batch 64 (about 1.3M elements per call). */
enum { CONV_PARALLEL_MIN_ELEMENTS = 1 << 19 };

/* Keeps GCC from turning short copy loops back into memcpy calls, which cost more than
   the copy for rows of a few dozen elements. */
#if defined(__GNUC__) && !defined(__clang__)
#define NO_MEMCPY_CALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define NO_MEMCPY_CALLS
#endif

/* Whether a loop over planes with this much total work should run in parallel. */
static bool worth_threads(int64_t work) {
    return work >= CONV_PARALLEL_MIN_ELEMENTS && !omp_in_parallel();
}

/* Raises unless t is float32 or float64 (what these primitives are written for). */
static void need_floating(const char *op, const Tensor *t) {
    if (t->dtype != T_F32 && t->dtype != T_F64)
        t_raise(T_ERR_DTYPE, "%s: expected a float32 or float64 tensor, got %s", op,
                t_dtype_name(t->dtype));
}

/* The outputs ox in [*lo, *hi) of one kernel column j read inside the input row: the rest
   read padding. */
static inline void valid_range(const ConvGeom *g, int64_t j, int64_t *lo, int64_t *hi) {
    int64_t x0 = j * g->dw - g->pw; /* input column of output 0 */
    int64_t a = x0 >= 0 ? 0 : (-x0 + g->sw - 1) / g->sw;
    int64_t b = g->w - x0 <= 0 ? 0 : (g->w - x0 + g->sw - 1) / g->sw;
    *lo = a < g->ow ? a : g->ow;
    *hi = b < g->ow ? b : g->ow;
    if (*hi < *lo) *hi = *lo;
}

/* im2col: for every image and channel, each kernel offset (i, j) gives one row of oh*ow
   entries; the in-bounds stretch of each output row is copied, the rest zeroed. */
#define DEFINE_IM2COL(NAME, T)                                                                  \
    NO_MEMCPY_CALLS static void NAME(T *col, const T *x, const ConvGeom *g) {                   \
        int64_t L = g->oh * g->ow, kk = g->kh * g->kw, planes = g->n * g->c;                    \
        _Pragma("omp parallel for schedule(static) if (worth_threads(planes * kk * L))")       \
        for (int64_t p = 0; p < planes; p++) {                                                  \
            const T *src = x + p * g->h * g->w;                                                 \
            T *dst = col + p * kk * L; /* [n][c] planes are consecutive in both */              \
            for (int64_t i = 0; i < g->kh; i++)                                                 \
                for (int64_t j = 0; j < g->kw; j++) {                                           \
                    T *row = dst + (i * g->kw + j) * L;                                         \
                    int64_t lo, hi, x0 = j * g->dw - g->pw;                                     \
                    valid_range(g, j, &lo, &hi);                                                \
                    for (int64_t oy = 0; oy < g->oh; oy++) {                                    \
                        T *out = row + oy * g->ow;                                              \
                        int64_t iy = oy * g->sh - g->ph + i * g->dh;                            \
                        if (iy < 0 || iy >= g->h) {                                             \
                            memset(out, 0, (size_t)g->ow * sizeof(T));                          \
                            continue;                                                           \
                        }                                                                       \
                        const T *line = src + iy * g->w;                                        \
                        for (int64_t ox = 0; ox < lo; ox++) out[ox] = 0;                        \
                        if (g->sw == 1) /* a loop, not memcpy: rows are short */                \
                            for (int64_t ox = lo; ox < hi; ox++) out[ox] = line[x0 + ox];       \
                        else                                                                    \
                            for (int64_t ox = lo; ox < hi; ox++) out[ox] = line[x0 + ox * g->sw]; \
                        for (int64_t ox = hi; ox < g->ow; ox++) out[ox] = 0;                    \
                    }                                                                           \
                }                                                                               \
        }                                                                                       \
    }

/* im2col of the common window (stride 1, no padding, no dilation), where every output row
   is one stretch of an input row: no bounds to work out, a plain copy per row; one plane per
   call of NAME##_plane, the vectorized loop. */
#define DEFINE_IM2COL_DENSE(NAME, T)                                                            \
    CPU_MULTIVERSION NO_MEMCPY_CALLS static void NAME##_plane(T *restrict row,                  \
                                                              const T *restrict src,            \
                                                              const ConvGeom *g) {              \
        int64_t L = g->oh * g->ow, oh = g->oh, ow = g->ow, w = g->w;                            \
        for (int64_t i = 0; i < g->kh; i++)                                                     \
            for (int64_t j = 0; j < g->kw; j++, row += L) {                                     \
                const T *line = src + i * w + j;                                                \
                for (int64_t oy = 0; oy < oh; oy++)                                             \
                    for (int64_t ox = 0; ox < ow; ox++) row[oy * ow + ox] = line[oy * w + ox];  \
            }                                                                                   \
    }                                                                                           \
    static void NAME(T *col, const T *x, const ConvGeom *g) {                                   \
        int64_t L = g->oh * g->ow, kk = g->kh * g->kw, planes = g->n * g->c;                    \
        _Pragma("omp parallel for schedule(static) if (worth_threads(planes * kk * L))")       \
        for (int64_t p = 0; p < planes; p++)                                                    \
            NAME##_plane(col + p * kk * L, x + p * g->h * g->w, g);                             \
    }

/* Whether g's windows are dense: stride 1, no padding, no dilation. */
static bool dense_window(const ConvGeom *g) {
    return g->sh == 1 && g->sw == 1 && g->ph == 0 && g->pw == 0 && g->dh == 1 && g->dw == 1;
}

/* col2im: every col entry added back to the input element it was read from. */
#define DEFINE_COL2IM(NAME, T)                                                                  \
    static void NAME(T *x, const T *col, const ConvGeom *g) {                                   \
        int64_t L = g->oh * g->ow, kk = g->kh * g->kw, planes = g->n * g->c;                    \
        _Pragma("omp parallel for schedule(static) if (worth_threads(planes * kk * L))")       \
        for (int64_t p = 0; p < planes; p++) {                                                  \
            T *dst = x + p * g->h * g->w;                                                       \
            const T *src = col + p * kk * L;                                                    \
            memset(dst, 0, (size_t)(g->h * g->w) * sizeof(T));                                  \
            for (int64_t i = 0; i < g->kh; i++)                                                 \
                for (int64_t j = 0; j < g->kw; j++) {                                           \
                    const T *row = src + (i * g->kw + j) * L;                                   \
                    int64_t lo, hi, x0 = j * g->dw - g->pw;                                     \
                    valid_range(g, j, &lo, &hi);                                                \
                    for (int64_t oy = 0; oy < g->oh; oy++) {                                    \
                        int64_t iy = oy * g->sh - g->ph + i * g->dh;                            \
                        if (iy < 0 || iy >= g->h) continue;                                     \
                        const T *in = row + oy * g->ow;                                         \
                        T *line = dst + iy * g->w;                                              \
                        for (int64_t ox = lo; ox < hi; ox++) line[x0 + ox * g->sw] += in[ox];   \
                    }                                                                           \
                }                                                                               \
        }                                                                                       \
    }

/* col2im of the dense window (see DEFINE_IM2COL_DENSE): each row added back along one
   stretch of an input row. */
#define DEFINE_COL2IM_DENSE(NAME, T)                                                            \
    CPU_MULTIVERSION static void NAME##_plane(T *restrict dst, const T *restrict row,           \
                                              const ConvGeom *g) {                              \
        int64_t L = g->oh * g->ow, oh = g->oh, ow = g->ow, w = g->w;                            \
        memset(dst, 0, (size_t)(g->h * w) * sizeof(T));                                        \
        for (int64_t i = 0; i < g->kh; i++)                                                     \
            for (int64_t j = 0; j < g->kw; j++, row += L) {                                     \
                T *line = dst + i * w + j;                                                      \
                for (int64_t oy = 0; oy < oh; oy++)                                             \
                    for (int64_t ox = 0; ox < ow; ox++) line[oy * w + ox] += row[oy * ow + ox]; \
            }                                                                                   \
    }                                                                                           \
    static void NAME(T *x, const T *col, const ConvGeom *g) {                                   \
        int64_t L = g->oh * g->ow, kk = g->kh * g->kw, planes = g->n * g->c;                    \
        _Pragma("omp parallel for schedule(static) if (worth_threads(planes * kk * L))")       \
        for (int64_t p = 0; p < planes; p++)                                                    \
            NAME##_plane(x + p * g->h * g->w, col + p * kk * L, g);                             \
    }

/* The kernel offsets k in [*lo, *hi) whose input position start + k * step lies in
   [0, size), for a window starting at start. */
static inline void window_range(int64_t start, int64_t k, int64_t step, int64_t size,
                                int64_t *lo, int64_t *hi) {
    int64_t a = start >= 0 ? 0 : (-start + step - 1) / step;
    int64_t b = size - start <= 0 ? 0 : (size - start + step - 1) / step;
    *lo = a < k ? a : k;
    *hi = b < k ? b : k;
    if (*hi < *lo) *hi = *lo;
}

/* Each output row's and column's kernel range, computed once per call (divisions are slow
   next to a 2x2 window): rows[2 oy], rows[2 oy + 1] and cols[2 ox], cols[2 ox + 1]. */
typedef struct PoolRanges {
    int64_t *rows, *cols;
} PoolRanges;

static PoolRanges pool_ranges(const ConvGeom *g) {
    PoolRanges r = {t_gc_alloc_atomic((size_t)(2 * g->oh) * sizeof(int64_t)),
                    t_gc_alloc_atomic((size_t)(2 * g->ow) * sizeof(int64_t))};
    for (int64_t oy = 0; oy < g->oh; oy++)
        window_range(oy * g->sh - g->ph, g->kh, g->dh, g->h, &r.rows[2 * oy], &r.rows[2 * oy + 1]);
    for (int64_t ox = 0; ox < g->ow; ox++)
        window_range(ox * g->sw - g->pw, g->kw, g->dw, g->w, &r.cols[2 * ox], &r.cols[2 * ox + 1]);
    return r;
}

/* The common 2x2, stride 2 max pooling whose windows all lie inside the input: no range
   checks, the four candidates taken in order as PyTorch does (a larger value or a NaN
   replaces the best so far, so ties keep the first position and a NaN wins, the last NaN's
   index), by selects that vectorize; one plane per call of NAME##_plane. */
#define DEFINE_MAXPOOL_2X2(NAME, T)                                                             \
    CPU_MULTIVERSION static void NAME##_plane(T *restrict out, int64_t *restrict idx,          \
                                              const T *restrict src, const ConvGeom *g) {       \
        int64_t ow = g->ow, w = g->w;                                                           \
        for (int64_t oy = 0; oy < g->oh; oy++) {                                                \
            const T *r0 = src + 2 * oy * w, *r1 = r0 + w;                                       \
            T *o = out + oy * ow;                                                               \
            int64_t *id = idx + oy * ow, row0 = 2 * oy * w;                                     \
            for (int64_t ox = 0; ox < ow; ox++) {                                               \
                T a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];       \
                T best = a;                                                                     \
                int64_t at = 0;                                                                 \
                bool take = (b > best) | (b != b);                                              \
                best = take ? b : best;                                                         \
                at = take ? 1 : at;                                                             \
                take = (c > best) | (c != c);                                                   \
                best = take ? c : best;                                                         \
                at = take ? w : at;                                                             \
                take = (d > best) | (d != d);                                                   \
                best = take ? d : best;                                                         \
                at = take ? w + 1 : at;                                                         \
                o[ox] = best;                                                                   \
                id[ox] = row0 + 2 * ox + at;                                                    \
            }                                                                                   \
        }                                                                                       \
    }                                                                                           \
    static void NAME(T *out, int64_t *idx, const T *x, const ConvGeom *g) {                     \
        int64_t planes = g->n * g->c, L = g->oh * g->ow;                                        \
        _Pragma("omp parallel for schedule(static) if (worth_threads(planes * L * 4))")        \
        for (int64_t p = 0; p < planes; p++)                                                    \
            NAME##_plane(out + p * L, idx + p * L, x + p * g->h * g->w, g);                     \
    }

/* Max pooling backward: each output's gradient added at its winner's position. */
#define DEFINE_MAXPOOL_BACKWARD(NAME, T)                                                        \
    static void NAME(T *gx, const T *gout, const int64_t *idx, const ConvGeom *g) {             \
        int64_t planes = g->n * g->c, L = g->oh * g->ow, hw = g->h * g->w;                      \
        _Pragma("omp parallel for schedule(static) if (worth_threads(planes * (L + hw)))")     \
        for (int64_t p = 0; p < planes; p++) {                                                  \
            T *dst = gx + p * hw;                                                               \
            memset(dst, 0, (size_t)hw * sizeof(T));                                             \
            for (int64_t o = 0; o < L; o++) dst[idx[p * L + o]] += gout[p * L + o];             \
        }                                                                                       \
    }

/* Max pooling of every plane; windows are clipped to the input, so padding never wins. A
   NaN wins, and the last NaN's position is the index (PyTorch's rule). */
#define DEFINE_MAXPOOL(NAME, T)                                                                 \
    static void NAME(T *out, int64_t *idx, const T *x, const ConvGeom *g) {                     \
        int64_t planes = g->n * g->c, L = g->oh * g->ow;                                        \
        if (g->kh == 2 && g->kw == 2 && g->sh == 2 && g->sw == 2 && g->ph == 0 && g->pw == 0 && \
            g->dh == 1 && g->dw == 1 && 2 * g->oh <= g->h && 2 * g->ow <= g->w) {               \
            NAME##_2x2(out, idx, x, g);                                                         \
            return;                                                                             \
        }                                                                                       \
        PoolRanges r = pool_ranges(g);                                                          \
        _Pragma("omp parallel for schedule(static) if (worth_threads(planes * L * g->kh * g->kw))") \
        for (int64_t p = 0; p < planes; p++) {                                                  \
            const T *src = x + p * g->h * g->w;                                                 \
            T *o = out + p * L;                                                                 \
            int64_t *id = idx + p * L;                                                          \
            for (int64_t oy = 0; oy < g->oh; oy++) {                                            \
                int64_t y0 = oy * g->sh - g->ph, ilo = r.rows[2 * oy], ihi = r.rows[2 * oy + 1]; \
                for (int64_t ox = 0; ox < g->ow; ox++) {                                        \
                    int64_t x0 = ox * g->sw - g->pw, jlo = r.cols[2 * ox], jhi = r.cols[2 * ox + 1]; \
                    int64_t where = (y0 + ilo * g->dh) * g->w + x0 + jlo * g->dw;               \
                    T best = src[where];                                                        \
                    for (int64_t i = ilo; i < ihi; i++) {                                       \
                        int64_t base = (y0 + i * g->dh) * g->w + x0;                            \
                        for (int64_t j = jlo; j < jhi; j++) {                                   \
                            T v = src[base + j * g->dw];                                        \
                            bool take = (v > best) | (v != v); /* branch-free */                \
                            best = take ? v : best;                                             \
                            where = take ? base + j * g->dw : where;                            \
                        }                                                                       \
                    }                                                                           \
                    o[oy * g->ow + ox] = best;                                                  \
                    id[oy * g->ow + ox] = where;                                                \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
    }

DEFINE_IM2COL(im2col_f32, float)
DEFINE_IM2COL(im2col_f64, double)
DEFINE_IM2COL_DENSE(im2col_dense_f32, float)
DEFINE_IM2COL_DENSE(im2col_dense_f64, double)
DEFINE_COL2IM(col2im_f32, float)
DEFINE_COL2IM(col2im_f64, double)
DEFINE_COL2IM_DENSE(col2im_dense_f32, float)
DEFINE_COL2IM_DENSE(col2im_dense_f64, double)
DEFINE_MAXPOOL_2X2(maxpool_f32_2x2, float)
DEFINE_MAXPOOL_2X2(maxpool_f64_2x2, double)
DEFINE_MAXPOOL(maxpool_f32, float)
DEFINE_MAXPOOL(maxpool_f64, double)
DEFINE_MAXPOOL_BACKWARD(maxpool_backward_f32, float)
DEFINE_MAXPOOL_BACKWARD(maxpool_backward_f64, double)

void cpu_im2col(Tensor *col, const Tensor *x, const ConvGeom *g) {
    need_floating("im2col", x);
    bool dense = dense_window(g);
    if (x->dtype == T_F32)
        (dense ? im2col_dense_f32 : im2col_f32)((float *)t_ptr(col), (const float *)t_ptr(x), g);
    else
        (dense ? im2col_dense_f64 : im2col_f64)((double *)t_ptr(col), (const double *)t_ptr(x), g);
}

void cpu_col2im(Tensor *x, const Tensor *col, const ConvGeom *g) {
    need_floating("col2im", x);
    bool dense = dense_window(g);
    if (x->dtype == T_F32)
        (dense ? col2im_dense_f32 : col2im_f32)((float *)t_ptr(x), (const float *)t_ptr(col), g);
    else
        (dense ? col2im_dense_f64 : col2im_f64)((double *)t_ptr(x), (const double *)t_ptr(col), g);
}

void cpu_maxpool2d(Tensor *out, Tensor *idx, const Tensor *x, const ConvGeom *g) {
    need_floating("max_pool2d", x);
    int64_t *ip = (int64_t *)t_ptr(idx);
    if (x->dtype == T_F32) maxpool_f32((float *)t_ptr(out), ip, (const float *)t_ptr(x), g);
    else maxpool_f64((double *)t_ptr(out), ip, (const double *)t_ptr(x), g);
}

void cpu_maxpool2d_backward(Tensor *gx, const Tensor *gout, const Tensor *idx,
                            const ConvGeom *g) {
    need_floating("max_pool2d_backward", gx);
    const int64_t *ip = (const int64_t *)t_ptr(idx);
    if (gx->dtype == T_F32)
        maxpool_backward_f32((float *)t_ptr(gx), (const float *)t_ptr(gout), ip, g);
    else
        maxpool_backward_f64((double *)t_ptr(gx), (const double *)t_ptr(gout), ip, g);
}

/* 1/sqrt(2) and 1/sqrt(2 pi), the constants of the normal distribution in GELU. */
#define GELU_RSQRT2 0.70710678118654752440
#define GELU_RSQRT2PI 0.39894228040143267794

/* GELU forward (grad NULL) or its derivative times grad, elementwise over n values. */
#define DEFINE_GELU(NAME, T)                                                                    \
    static void NAME(T *out, const T *x, const T *grad, int64_t n) {                            \
        _Pragma("omp parallel for schedule(static) if (worth_threads(n))")                     \
        for (int64_t i = 0; i < n; i++) {                                                       \
            double v = x[i], cdf = 0.5 * (1.0 + erf(v * GELU_RSQRT2));                          \
            if (!grad) out[i] = (T)(v * cdf);                                                   \
            else out[i] = (T)(grad[i] * (cdf + v * GELU_RSQRT2PI * exp(-0.5 * v * v)));         \
        }                                                                                       \
    }

DEFINE_GELU(gelu_f32, float)
DEFINE_GELU(gelu_f64, double)

void cpu_gelu(Tensor *out, const Tensor *x, const Tensor *grad) {
    need_floating("gelu", x);
    int64_t n = t_numel(x);
    if (x->dtype == T_F32)
        gelu_f32((float *)t_ptr(out), (const float *)t_ptr(x),
                 grad ? (const float *)t_ptr(grad) : NULL, n);
    else
        gelu_f64((double *)t_ptr(out), (const double *)t_ptr(x),
                 grad ? (const double *)t_ptr(grad) : NULL, n);
}
