/* cpu_random.c — Philox 4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2,
   3", SC'11), the counter-based generator PyTorch uses on GPUs. Element i of a draw uses the
   counter offset + i, so any thread can produce any element. */
#include <math.h>

#include "cpu_elementwise.h"

/* Philox constants from the paper. */
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u
enum { PHILOX_ROUNDS = 10 };

/* Fewer elements than this are drawn on one thread. */
enum { RANDOM_PARALLEL_MIN = 1 << 15 };

/* The four 32-bit words for counter ctr under key. */
static void philox(uint64_t ctr, uint64_t key, uint32_t out[4]) {
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
static inline double unit53(uint32_t hi, uint32_t lo) {
    return (double)(((uint64_t)hi << 21) ^ (lo >> 11)) * 0x1p-53;
}

/* One integer draw: low + (64 random bits mod range), wrapping as int64 does. */
static int64_t draw_int(uint64_t ctr, uint64_t key, uint64_t low, uint64_t range) {
    uint32_t w[4];
    philox(ctr, key, w);
    uint64_t r = ((uint64_t)w[0] << 32) | w[1];
    return (int64_t)(low + r % range);
}

/* One draw of the given kind from counter ctr (uniform or normal). */
static double draw(RandomKind kind, uint64_t ctr, uint64_t key, double p0, double p1) {
    uint32_t w[4];
    philox(ctr, key, w);
    if (kind == RAND_UNIFORM) return p0 + (p1 - p0) * unit53(w[0], w[1]);
    /* Box-Muller; 1 - u keeps the log finite. */
    double u1 = 1.0 - unit53(w[0], w[1]), u2 = unit53(w[2], w[3]);
    return p0 + p1 * sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

void cpu_random(Tensor *out, RandomKind kind, uint64_t seed, uint64_t offset, double p0,
                double p1) {
    int64_t n = t_numel(out);
    char *base = t_ptr(out);
    DType dt = out->dtype;
    if (kind == RAND_INT) {
        uint64_t low = t_double_to_bits(p0), range = t_double_to_bits(p1);
        #pragma omp parallel for if (n >= RANDOM_PARALLEL_MIN)
        for (int64_t i = 0; i < n; i++) {
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
        return;
    }
    #pragma omp parallel for if (n >= RANDOM_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) {
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
