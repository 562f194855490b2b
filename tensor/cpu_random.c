/* cpu_random.c — the CPU's random primitive over the Philox generator of philox.h. Element i
   of a draw uses the counter offset + i, so any thread can produce any element. */
#include <math.h>

#include "cpu_elementwise.h"
#include "philox.h"

/* Fewer elements than this are drawn on one thread. */
enum { RANDOM_PARALLEL_MIN = 1 << 15 };

/* One draw of the given kind from counter ctr (uniform or normal). */
static double draw(RandomKind kind, uint64_t ctr, uint64_t key, double p0, double p1) {
    uint32_t w[4];
    philox(ctr, key, w);
    if (kind == RAND_UNIFORM) return p0 + (p1 - p0) * philox_unit53(w[0], w[1]);
    /* Box-Muller; 1 - u keeps the log finite. */
    double u1 = 1.0 - philox_unit53(w[0], w[1]), u2 = philox_unit53(w[2], w[3]);
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
        for (int64_t i = 0; i < n; i++)
            philox_store_int(base, dt, i, philox_draw_int(offset + (uint64_t)i, seed, low, range));
        return;
    }
    #pragma omp parallel for if (n >= RANDOM_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++)
        philox_store(base, dt, i, draw(kind, offset + (uint64_t)i, seed, p0, p1), kind, p1);
}
