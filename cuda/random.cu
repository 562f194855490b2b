/*
 * random.cu — random numbers on the GPU: Philox 4x32-10 with exactly tensor/cpu_random.c's
 * counter scheme (element i of a draw uses counter offset + i under key seed) and the same
 * conversions, so a seed gives the same numbers on the CPU and on every GPU.
 */
#include <math.h>

#include "cuda_internal.h"

/* Philox constants from Salmon et al., "Parallel random numbers: as easy as 1, 2, 3". */
constexpr uint32_t PHILOX_M0 = 0xD2511F53u;
constexpr uint32_t PHILOX_M1 = 0xCD9E8D57u;
constexpr uint32_t PHILOX_W0 = 0x9E3779B9u;
constexpr uint32_t PHILOX_W1 = 0xBB67AE85u;
constexpr int PHILOX_ROUNDS = 10;
constexpr double PI = 3.14159265358979323846;

/* The four 32-bit words for counter ctr under key. */
__device__ static void philox(uint64_t ctr, uint64_t key, uint32_t out[4]) {
    uint32_t c0 = (uint32_t)ctr, c1 = (uint32_t)(ctr >> 32), c2 = 0, c3 = 0;
    uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
    for (int r = 0; r < PHILOX_ROUNDS; r++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0, p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0;
        c2 = n2;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

/* A uniform double in [0, 1) from 53 random bits. */
__device__ static inline double unit53(uint32_t hi, uint32_t lo) {
    return (double)(((uint64_t)hi << 21) ^ (lo >> 11)) * 0x1p-53;
}

/* One draw of the given kind from counter ctr. */
__device__ static double draw(RandomKind kind, uint64_t ctr, uint64_t key, double p0, double p1) {
    uint32_t w[4];
    philox(ctr, key, w);
    /* __dmul_rn and __dadd_rn keep the compiler from fusing into an FMA, which would round
       differently from the CPU */
    if (kind == RAND_UNIFORM) return __dadd_rn(p0, __dmul_rn(p1 - p0, unit53(w[0], w[1])));
    /* Box-Muller; 1 - u keeps the log finite. */
    double u1 = 1.0 - unit53(w[0], w[1]), u2 = unit53(w[2], w[3]);
    double radius = sqrt(-2.0 * log(u1)), angle = cos(__dmul_rn(2.0 * PI, u2));
    return __dadd_rn(p0, __dmul_rn(__dmul_rn(p1, radius), angle));
}

/* One integer draw: low + (64 random bits mod range), wrapping as int64 does (as the CPU). */
__device__ static int64_t draw_int(uint64_t ctr, uint64_t key, uint64_t low, uint64_t range) {
    uint32_t w[4];
    philox(ctr, key, w);
    uint64_t r = ((uint64_t)w[0] << 32) | w[1];
    return (int64_t)(low + r % range);
}

/* Element i of out (contiguous, of dtype dt) from counter offset + i: integers, whose bounds
   come packed in p0 and p1 (backend.h). */
__global__ void k_random_int(char *base, DType dt, int64_t n, uint64_t seed, uint64_t offset,
                             uint64_t low, uint64_t range) {
    CU_FOR(i, n) {
        int64_t v = draw_int(offset + (uint64_t)i, seed, low, range);
        switch (dt) {
        case T_F32: ((float *)base)[i] = (float)v; break;
        case T_F64: ((double *)base)[i] = (double)v; break;
        case T_I64: ((int64_t *)base)[i] = v; break;
        case T_I32: ((int32_t *)base)[i] = (int32_t)v; break;
        case T_U8: ((uint8_t *)base)[i] = (uint8_t)v; break;
        default: ((bool *)base)[i] = v != 0; break;
        }
    }
}

/* Element i of out (contiguous, of dtype dt) from counter offset + i. */
__global__ void k_random(char *base, DType dt, int64_t n, RandomKind kind, uint64_t seed,
                         uint64_t offset, double p0, double p1) {
    CU_FOR(i, n) {
        double v = draw(kind, offset + (uint64_t)i, seed, p0, p1);
        switch (dt) {
        case T_F32: {
            float f = (float)v;
            /* rounding to float may reach the open upper bound of a uniform draw */
            if (kind == RAND_UNIFORM && f >= (float)p1) f = nextafterf((float)p1, -INFINITY);
            ((float *)base)[i] = f;
            break;
        }
        case T_F64: ((double *)base)[i] = v; break;
        case T_I64: ((int64_t *)base)[i] = (int64_t)v; break;
        case T_I32: ((int32_t *)base)[i] = (int32_t)v; break;
        case T_U8: ((uint8_t *)base)[i] = (uint8_t)v; break;
        default: ((bool *)base)[i] = v != 0; break;
        }
    }
}

void cu_random(Tensor *out, RandomKind kind, uint64_t seed, uint64_t offset, double p0,
               double p1) {
    cu_set_device(out->device);
    int64_t n = 1;
    for (int i = 0; i < out->ndim; i++) n *= out->size[i];
    if (n == 0) return;
    if (kind == RAND_INT)
        k_random_int<<<cu_blocks(n), CU_THREADS>>>(cu_ptr(out), out->dtype, n, seed, offset,
                                                   t_double_to_bits(p0), t_double_to_bits(p1));
    else
        k_random<<<cu_blocks(n), CU_THREADS>>>(cu_ptr(out), out->dtype, n, kind, seed, offset,
                                               p0, p1);
    cu_launched("random numbers");
}
