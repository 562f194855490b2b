/*
 * philox.h — Philox 4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
 * SC'11), the counter-based generator PyTorch uses on GPUs, and what the CPU's and the CUDA
 * backend's random primitives share of it: one definition, so that a seed gives the same
 * numbers on every device. Element i of a draw uses the counter offset + i under key seed.
 * Included by tensor/cpu_random.c and cuda/random.cu (where PHILOX_FN makes these device code
 * too); each keeps its own floating-point draw, since CUDA must spell out its roundings.
 */
#ifndef CTORCH_PHILOX_H
#define CTORCH_PHILOX_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "backend.h"

#ifdef __CUDACC__
#define PHILOX_FN __host__ __device__ static inline
#else
#define PHILOX_FN static inline
#endif

/* Philox constants from the paper. */
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u
enum { PHILOX_ROUNDS = 10 };

/* The four 32-bit words for counter ctr under key. */
PHILOX_FN void philox(uint64_t ctr, uint64_t key, uint32_t out[4]) {
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
PHILOX_FN double philox_unit53(uint32_t hi, uint32_t lo) {
    return (double)(((uint64_t)hi << 21) ^ (lo >> 11)) * 0x1p-53;
}

/* One integer draw: low + (64 random bits mod range), wrapping as int64 does. */
PHILOX_FN int64_t philox_draw_int(uint64_t ctr, uint64_t key, uint64_t low, uint64_t range) {
    uint32_t w[4];
    philox(ctr, key, w);
    uint64_t r = ((uint64_t)w[0] << 32) | w[1];
    return (int64_t)(low + r % range);
}

/* Stores integer draw v as element i of base (of dtype dt). */
PHILOX_FN void philox_store_int(char *base, DType dt, int64_t i, int64_t v) {
    switch (dt) {
    case T_F32: ((float *)base)[i] = (float)v; break;
    case T_F64: ((double *)base)[i] = (double)v; break;
    case T_I64: ((int64_t *)base)[i] = v; break;
    case T_I32: ((int32_t *)base)[i] = (int32_t)v; break;
    case T_U8: ((uint8_t *)base)[i] = (uint8_t)v; break;
    default: ((bool *)base)[i] = v != 0; break;
    }
}

/* Stores draw v (uniform in [p0, p1) or normal) as element i of base (of dtype dt). */
PHILOX_FN void philox_store(char *base, DType dt, int64_t i, double v, RandomKind kind,
                            double p1) {
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

#endif /* CTORCH_PHILOX_H */
