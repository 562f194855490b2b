/*
 * conv.cu — the GPU's convolution and pooling primitives: im2col and its adjoint col2im
 * (convolution is im2col + GEMM), max pooling with indices and its backward, and GELU, for
 * float32 and float64. One thread per output element; col2im and the pooling backward gather
 * (each input element sums the entries that came from it, in the CPU's order), so no atomics
 * are needed and sums match the CPU's.
 */
#include <math.h>

#include "cuda_internal.h"

/* 1/sqrt(2) and 1/sqrt(2 pi), the constants of the normal distribution in GELU. */
constexpr double GELU_RSQRT2 = 0.70710678118654752440;
constexpr double GELU_RSQRT2PI = 0.39894228040143267794;

/* Raises unless t is float32 or float64 (what these primitives are written for). */
static void need_floating(const char *op, const Tensor *t) {
    if (t->dtype != T_F32 && t->dtype != T_F64)
        cu_raise(T_ERR_DTYPE, "%s (cuda): expected a float32 or float64 tensor, got %s", op,
                 cu_dtype_name(t->dtype));
}

/* col[p][i*kw + j][oy*ow + ox] = x[p][oy*sh - ph + i*dh][ox*sw - pw + j*dw], 0 outside x. */
template <typename T> __global__ void k_im2col(T *col, const T *x, ConvGeom g) {
    int64_t L = g.oh * g.ow, kk = g.kh * g.kw;
    CU_FOR(t, g.n * g.c * kk * L) {
        int64_t l = t % L, k = (t / L) % kk, p = t / (L * kk);
        int64_t iy = (l / g.ow) * g.sh - g.ph + (k / g.kw) * g.dh;
        int64_t ix = (l % g.ow) * g.sw - g.pw + (k % g.kw) * g.dw;
        bool inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
        col[t] = inside ? x[p * g.h * g.w + iy * g.w + ix] : (T)0;
    }
}

/* x[p][iy][ix] = the sum of the col entries im2col read from it, over kernel offsets in
   row-major order (the CPU's order, so float sums agree). */
template <typename T> __global__ void k_col2im(T *x, const T *col, ConvGeom g) {
    int64_t L = g.oh * g.ow, kk = g.kh * g.kw;
    CU_FOR(t, g.n * g.c * g.h * g.w) {
        int64_t ix = t % g.w, iy = (t / g.w) % g.h, p = t / (g.h * g.w);
        const T *src = col + p * kk * L;
        T sum = 0;
        for (int64_t i = 0; i < g.kh; i++) {
            int64_t ny = iy + g.ph - i * g.dh; /* = oy * sh */
            if (ny < 0 || ny % g.sh || ny / g.sh >= g.oh) continue;
            for (int64_t j = 0; j < g.kw; j++) {
                int64_t nx = ix + g.pw - j * g.dw; /* = ox * sw */
                if (nx < 0 || nx % g.sw || nx / g.sw >= g.ow) continue;
                sum += src[(i * g.kw + j) * L + (ny / g.sh) * g.ow + nx / g.sw];
            }
        }
        x[t] = sum;
    }
}

/* The kernel offsets [*lo, *hi) whose input position start + k * step lies in [0, size). */
__device__ static void window_range(int64_t start, int64_t k, int64_t step, int64_t size,
                                    int64_t *lo, int64_t *hi) {
    int64_t a = start >= 0 ? 0 : (-start + step - 1) / step;
    int64_t b = size - start <= 0 ? 0 : (size - start + step - 1) / step;
    *lo = a < k ? a : k;
    *hi = b < k ? b : k;
    if (*hi < *lo) *hi = *lo;
}

/* The max of each window clipped to the input (padding never wins) and its position y*w + x
   in the plane; the first maximum wins ties, the last NaN wins over everything (the CPU's
   and PyTorch's rule). */
template <typename T> __global__ void k_maxpool(T *out, int64_t *idx, const T *x, ConvGeom g) {
    int64_t L = g.oh * g.ow;
    CU_FOR(t, g.n * g.c * L) {
        int64_t ox = t % g.ow, oy = (t / g.ow) % g.oh, p = t / L;
        const T *src = x + p * g.h * g.w;
        int64_t y0 = oy * g.sh - g.ph, x0 = ox * g.sw - g.pw, ilo, ihi, jlo, jhi;
        window_range(y0, g.kh, g.dh, g.h, &ilo, &ihi);
        window_range(x0, g.kw, g.dw, g.w, &jlo, &jhi);
        int64_t where = (y0 + ilo * g.dh) * g.w + x0 + jlo * g.dw;
        T best = src[where];
        for (int64_t i = ilo; i < ihi; i++) {
            int64_t base = (y0 + i * g.dh) * g.w + x0;
            for (int64_t j = jlo; j < jhi; j++) {
                T v = src[base + j * g.dw];
                if (v > best || v != v) best = v, where = base + j * g.dw;
            }
        }
        out[t] = best;
        idx[t] = where;
    }
}

/* gx[p][iy][ix] = the sum of the output gradients whose window max was this element: the
   windows holding it are visited in output order, the order the CPU adds them in. */
template <typename T>
__global__ void k_maxpool_backward(T *gx, const T *gout, const int64_t *idx, ConvGeom g) {
    int64_t L = g.oh * g.ow;
    CU_FOR(t, g.n * g.c * g.h * g.w) {
        int64_t ix = t % g.w, iy = (t / g.w) % g.h, p = t / (g.h * g.w), at = iy * g.w + ix;
        T sum = 0;
        for (int64_t i = g.kh - 1; i >= 0; i--) {
            int64_t ny = iy + g.ph - i * g.dh; /* = oy * sh */
            if (ny < 0 || ny % g.sh || ny / g.sh >= g.oh) continue;
            for (int64_t j = g.kw - 1; j >= 0; j--) {
                int64_t nx = ix + g.pw - j * g.dw; /* = ox * sw */
                if (nx < 0 || nx % g.sw || nx / g.sw >= g.ow) continue;
                int64_t o = p * L + (ny / g.sh) * g.ow + nx / g.sw;
                if (idx[o] == at) sum += gout[o];
            }
        }
        gx[t] = sum;
    }
}

/* GELU (erf form) of x, or, with grad, grad times its derivative; computed in double. */
template <typename T> __global__ void k_gelu(T *out, const T *x, const T *grad, int64_t n) {
    CU_FOR(i, n) {
        double v = x[i], cdf = 0.5 * (1.0 + erf(v * GELU_RSQRT2));
        if (!grad) out[i] = (T)(v * cdf);
        else out[i] = (T)(grad[i] * (cdf + v * GELU_RSQRT2PI * exp(-0.5 * v * v)));
    }
}

void cu_im2col(Tensor *col, const Tensor *x, const ConvGeom *g) {
    need_floating("im2col", x);
    cu_set_device(x->device);
    int64_t total = g->n * g->c * g->kh * g->kw * g->oh * g->ow;
    if (total == 0) return;
    if (x->dtype == T_F32)
        k_im2col<float><<<cu_blocks(total), CU_THREADS>>>((float *)cu_ptr(col), (const float *)cu_ptr(x), *g);
    else
        k_im2col<double><<<cu_blocks(total), CU_THREADS>>>((double *)cu_ptr(col), (const double *)cu_ptr(x), *g);
    cu_launched("im2col");
}

void cu_col2im(Tensor *x, const Tensor *col, const ConvGeom *g) {
    need_floating("col2im", x);
    cu_set_device(x->device);
    int64_t total = g->n * g->c * g->h * g->w;
    if (total == 0) return;
    if (x->dtype == T_F32)
        k_col2im<float><<<cu_blocks(total), CU_THREADS>>>((float *)cu_ptr(x), (const float *)cu_ptr(col), *g);
    else
        k_col2im<double><<<cu_blocks(total), CU_THREADS>>>((double *)cu_ptr(x), (const double *)cu_ptr(col), *g);
    cu_launched("col2im");
}

void cu_maxpool2d(Tensor *out, Tensor *idx, const Tensor *x, const ConvGeom *g) {
    need_floating("max_pool2d", x);
    cu_set_device(x->device);
    int64_t total = g->n * g->c * g->oh * g->ow;
    if (total == 0) return;
    int64_t *ip = (int64_t *)cu_ptr(idx);
    if (x->dtype == T_F32)
        k_maxpool<float><<<cu_blocks(total), CU_THREADS>>>((float *)cu_ptr(out), ip, (const float *)cu_ptr(x), *g);
    else
        k_maxpool<double><<<cu_blocks(total), CU_THREADS>>>((double *)cu_ptr(out), ip, (const double *)cu_ptr(x), *g);
    cu_launched("max_pool2d");
}

void cu_maxpool2d_backward(Tensor *gx, const Tensor *gout, const Tensor *idx, const ConvGeom *g) {
    need_floating("max_pool2d_backward", gx);
    cu_set_device(gx->device);
    int64_t total = g->n * g->c * g->h * g->w;
    if (total == 0) return;
    const int64_t *ip = (const int64_t *)cu_ptr(idx);
    if (gx->dtype == T_F32)
        k_maxpool_backward<float><<<cu_blocks(total), CU_THREADS>>>((float *)cu_ptr(gx), (const float *)cu_ptr(gout), ip, *g);
    else
        k_maxpool_backward<double><<<cu_blocks(total), CU_THREADS>>>((double *)cu_ptr(gx), (const double *)cu_ptr(gout), ip, *g);
    cu_launched("max_pool2d_backward");
}

void cu_gelu(Tensor *out, const Tensor *x, const Tensor *grad) {
    need_floating("gelu", x);
    cu_set_device(x->device);
    int64_t n = 1;
    for (int i = 0; i < x->ndim; i++) n *= x->size[i];
    if (n == 0) return;
    if (x->dtype == T_F32)
        k_gelu<float><<<cu_blocks(n), CU_THREADS>>>((float *)cu_ptr(out), (const float *)cu_ptr(x),
                                                    grad ? (const float *)cu_ptr(grad) : NULL, n);
    else
        k_gelu<double><<<cu_blocks(n), CU_THREADS>>>((double *)cu_ptr(out), (const double *)cu_ptr(x),
                                                     grad ? (const double *)cu_ptr(grad) : NULL, n);
    cu_launched("gelu");
}
