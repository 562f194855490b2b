/*
 * random.cu — random numbers on the GPU: the Philox generator, counter scheme and conversions
 * of tensor/philox.h, which the CPU shares, so a seed gives the same numbers on the CPU and on
 * every GPU.
 */
#include <math.h>

#include "cuda_internal.h"
#include "philox.h"

constexpr double PI = 3.14159265358979323846;

/* One draw of the given kind from counter ctr. */
__device__ static double draw(RandomKind kind, uint64_t ctr, uint64_t key, double p0, double p1) {
    uint32_t w[4];
    philox(ctr, key, w);
    /* __dmul_rn and __dadd_rn keep the compiler from fusing into an FMA, which would round
       differently from the CPU */
    if (kind == RAND_UNIFORM) return __dadd_rn(p0, __dmul_rn(p1 - p0, philox_unit53(w[0], w[1])));
    /* Box-Muller; 1 - u keeps the log finite. */
    double u1 = 1.0 - philox_unit53(w[0], w[1]), u2 = philox_unit53(w[2], w[3]);
    double radius = sqrt(-2.0 * log(u1)), angle = cos(__dmul_rn(2.0 * PI, u2));
    return __dadd_rn(p0, __dmul_rn(__dmul_rn(p1, radius), angle));
}

/* Element i of out (contiguous, of dtype dt) from counter offset + i: integers, whose bounds
   come packed in p0 and p1 (backend.h). */
__global__ void k_random_int(char *base, DType dt, int64_t n, uint64_t seed, uint64_t offset,
                             uint64_t low, uint64_t range) {
    CU_FOR(i, n) {
        philox_store_int(base, dt, i, philox_draw_int(offset + (uint64_t)i, seed, low, range));
    }
}

/* Element i of out (contiguous, of dtype dt) from counter offset + i. */
__global__ void k_random(char *base, DType dt, int64_t n, RandomKind kind, uint64_t seed,
                         uint64_t offset, double p0, double p1) {
    CU_FOR(i, n) {
        philox_store(base, dt, i, draw(kind, offset + (uint64_t)i, seed, p0, p1), kind, p1);
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
