/* random.c — the global generator: a seed and a counter into the Philox 4x32-10 stream. Every
   op that draws numbers reserves a range of counters, so results do not depend on threads. */
#include "internal.h"

/* PyTorch's default seed, so an unseeded session starts from a fixed, documented state. */
enum { DEFAULT_SEED = 67280421 };

static uint64_t rng_seed = DEFAULT_SEED;
static uint64_t rng_offset;

void t_manual_seed(uint64_t seed) {
    rng_seed = seed;
    rng_offset = 0;
}

void t_rng_reserve(uint64_t n, uint64_t *seed, uint64_t *offset) {
    *seed = rng_seed;
    *offset = rng_offset;
    rng_offset += n;
}
