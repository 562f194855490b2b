/* test_random.c — the global Philox generator (tensor/random.c, tensor/cpu_random.c):
   t_manual_seed reproducibility, ranges, and distribution checks on 1e5 draws, each within a
   few standard errors of the true value. */
#include <criterion/criterion.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

/* Draws per distribution check: large enough for tight bounds, and above the size at which
   drawing runs on several threads. */
enum { DRAWS = 100000 };
/* How many standard errors an estimate may stray before a check fails (a false alarm is
   then rarer than one in a million runs). */
#define SE_BOUND 5.0

/* x's elements (contiguous, any dtype) as doubles. */
static double *values(const Tensor *x) {
    int64_t n = t_numel(x);
    Tensor *d = t_contiguous(t_to_dtype((Tensor *)x, T_F64));
    double *out = malloc((size_t)n * sizeof *out);
    const double *p = t_data(d);
    for (int64_t i = 0; i < n; i++) out[i] = p[i];
    return out;
}

/* Mean and (population) standard deviation of n values. */
static void moments(const double *v, int64_t n, double *mean, double *std) {
    double s = 0, ss = 0;
    for (int64_t i = 0; i < n; i++) s += v[i];
    *mean = s / (double)n;
    for (int64_t i = 0; i < n; i++) ss += (v[i] - *mean) * (v[i] - *mean);
    *std = sqrt(ss / (double)n);
}

/* True when every element of a equals the same element of b. */
static bool same_values(const Tensor *a, const Tensor *b) {
    if (t_numel(a) != t_numel(b)) return false;
    for (int64_t i = 0; i < t_numel(a); i++)
        if (t_flat_get(a, i) != t_flat_get(b, i)) return false;
    return true;
}

/* ---- Philox 4x32-10, written from the paper, to check the library's stream against ---- */

/* One Philox 4x32-10 block: ctr and key as in Random123's philox4x32 (words low first). */
static void philox_ref(const uint32_t ctr_in[4], const uint32_t key_in[2], uint32_t out[4]) {
    const uint32_t m0 = 0xD2511F53u, m1 = 0xCD9E8D57u, w0 = 0x9E3779B9u, w1 = 0xBB67AE85u;
    uint32_t c[4] = {ctr_in[0], ctr_in[1], ctr_in[2], ctr_in[3]}, k[2] = {key_in[0], key_in[1]};
    for (int round = 0; round < 10; round++) {
        uint64_t a = (uint64_t)m0 * c[0], b = (uint64_t)m1 * c[2];
        uint32_t n[4] = {(uint32_t)(b >> 32) ^ c[1] ^ k[0], (uint32_t)b,
                         (uint32_t)(a >> 32) ^ c[3] ^ k[1], (uint32_t)a};
        memcpy(c, n, sizeof c);
        k[0] += w0;
        k[1] += w1;
    }
    memcpy(out, c, sizeof c);
}

/* The first two words of the block for counter ctr of the stream seeded with seed: the
   library's element ctr of a draw that starts right after t_manual_seed(seed). */
static void philox_words(uint64_t seed, uint64_t ctr, uint32_t *hi, uint32_t *lo) {
    uint32_t out[4], c[4] = {(uint32_t)ctr, (uint32_t)(ctr >> 32), 0, 0};
    uint32_t k[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    philox_ref(c, k, out);
    *hi = out[0];
    *lo = out[1];
}

Test(random, reference_philox_matches_the_known_answers) {
    /* Random123's known-answer vectors for philox4x32-10 */
    static const struct {
        uint32_t ctr[4], key[2], out[4];
    } kat[] = {
        {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
        {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
         {0xffffffff, 0xffffffff},
         {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
        {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
         {0xa4093822, 0x299f31d0},
         {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
    };
    for (size_t i = 0; i < sizeof kat / sizeof *kat; i++) {
        uint32_t out[4];
        philox_ref(kat[i].ctr, kat[i].key, out);
        for (int w = 0; w < 4; w++) cr_assert_eq(out[w], kat[i].out[w], "vector %zu word %d", i, w);
    }
}

Test(random, stream_is_philox_4x32_10) {
    /* rand in float64 is 53 bits of words 0 and 1; randint over [0, 2^53) is the low 53 bits
       of (word0 << 32 | word1). Seeds with a zero and a nonzero high key word; two draws in a
       row, so the second starts at the counter after the first's last. */
    static const uint64_t seeds[] = {0, 42, (UINT64_C(1) << 40) + 7};
    const int64_t span = INT64_C(1) << 53;
    for (size_t s = 0; s < sizeof seeds / sizeof *seeds; s++) {
        t_manual_seed(seeds[s]);
        Tensor *u = t_rand_dt(T_F64, 5);
        Tensor *r = t_randint(0, span, 3);
        for (uint64_t i = 0; i < 8; i++) {
            uint32_t hi, lo;
            philox_words(seeds[s], i, &hi, &lo);
            if (i < 5) {
                double want = (double)(((uint64_t)hi << 21) ^ (lo >> 11)) * 0x1p-53;
                cr_assert_eq(t_get(u, (int64_t)i), want, "seed %llu element %llu",
                             (unsigned long long)seeds[s], (unsigned long long)i);
            } else {
                int64_t want = (int64_t)((((uint64_t)hi << 32) | lo) % (uint64_t)span);
                cr_assert_eq(((const int64_t *)t_data(r))[i - 5], want);
            }
        }
    }
}

Test(random, manual_seed_reproduces_every_kind) {
    t_manual_seed(42);
    Tensor *a = t_rand(100), *b = t_randn(3, 7), *c = t_randint(-5, 5, 50);
    Tensor *d = t_rand_dt(T_F64, 10);
    t_manual_seed(42);
    Tensor *a2 = t_rand(100), *b2 = t_randn(3, 7), *c2 = t_randint(-5, 5, 50);
    Tensor *d2 = t_rand_dt(T_F64, 10);
    cr_assert(same_values(a, a2));
    cr_assert(same_values(b, b2));
    cr_assert(same_values(c, c2));
    cr_assert(same_values(d, d2));
}

Test(random, later_draws_and_other_seeds_differ) {
    t_manual_seed(1);
    Tensor *a = t_rand(64), *b = t_rand(64);
    cr_assert_not(same_values(a, b), "two draws in a row are different numbers");
    t_manual_seed(2);
    Tensor *c = t_rand(64);
    cr_assert_not(same_values(a, c), "another seed gives other numbers");
    int equal = 0;
    for (int64_t i = 0; i < 64; i++) equal += t_get(a, i) == t_get(c, i);
    cr_assert_lt(equal, 2);
}

Test(random, like_forms_use_the_same_generator) {
    Tensor *shape = t_zeros(4, 5);
    t_manual_seed(7);
    Tensor *r = t_rand(4, 5), *n = t_randn(4, 5);
    t_manual_seed(7);
    Tensor *r2 = t_rand_like(shape), *n2 = t_randn_like(shape);
    cr_assert(same_values(r, r2));
    cr_assert(same_values(n, n2));
}

Test(random, results_do_not_depend_on_thread_count) {
    omp_set_num_threads(1);
    t_manual_seed(99);
    Tensor *one = t_randn(DRAWS), *one_u = t_rand_dt(T_F64, DRAWS);
    omp_set_num_threads(2);
    t_manual_seed(99);
    Tensor *two = t_randn(DRAWS), *two_u = t_rand_dt(T_F64, DRAWS);
    const float *p = t_data(one), *q = t_data(two);
    for (int64_t i = 0; i < DRAWS; i++) cr_assert_eq(p[i], q[i], "element %lld", (long long)i);
    const double *pu = t_data(one_u), *qu = t_data(two_u);
    for (int64_t i = 0; i < DRAWS; i++) cr_assert_eq(pu[i], qu[i]);
}

Test(random, rand_is_uniform_in_unit_interval) {
    t_manual_seed(123);
    for (DType dt = T_F32; dt <= T_F64; dt++) {
        Tensor *r = t_rand_dt(dt, DRAWS);
        T_ASSERT_DTYPE(r, dt);
        double *v = values(r), mean, std;
        int bins[10] = {0};
        for (int64_t i = 0; i < DRAWS; i++) {
            cr_assert(v[i] >= 0 && v[i] < 1, "%s draw %lld is %.17g", t_dtype_name(dt),
                      (long long)i, v[i]);
            bins[(int)(v[i] * 10)]++;
        }
        moments(v, DRAWS, &mean, &std);
        double sd = sqrt(1.0 / 12);
        cr_assert_lt(fabs(mean - 0.5), SE_BOUND * sd / sqrt(DRAWS), "mean %g", mean);
        /* a uniform's sample std has a standard error of sqrt(1 / (60 n)) */
        cr_assert_lt(fabs(std - sd), SE_BOUND * sqrt(1.0 / (60.0 * DRAWS)), "std %g", std);
        for (int b = 0; b < 10; b++) {
            double p = (double)bins[b] / DRAWS;
            cr_assert_lt(fabs(p - 0.1), SE_BOUND * sqrt(0.1 * 0.9 / DRAWS), "bin %d: %g", b, p);
        }
        double lag = 0;
        for (int64_t i = 1; i < DRAWS; i++) lag += (v[i] - 0.5) * (v[i - 1] - 0.5);
        lag /= (DRAWS - 1) * sd * sd;
        cr_assert_lt(fabs(lag), SE_BOUND / sqrt(DRAWS), "lag-1 correlation %g", lag);
        free(v);
    }
}

Test(random, randn_is_standard_normal) {
    t_manual_seed(2024);
    for (DType dt = T_F32; dt <= T_F64; dt++) {
        Tensor *r = t_randn_dt(dt, 200, DRAWS / 200);
        T_ASSERT_DTYPE(r, dt);
        T_ASSERT_SHAPE(r, 200, DRAWS / 200);
        double *v = values(r), mean, std;
        moments(v, DRAWS, &mean, &std);
        cr_assert_lt(fabs(mean), SE_BOUND / sqrt(DRAWS), "mean %g", mean);
        cr_assert_lt(fabs(std - 1), SE_BOUND * sqrt(0.5 / DRAWS), "std %g", std);
        int64_t within1 = 0, positive = 0;
        double skew = 0;
        for (int64_t i = 0; i < DRAWS; i++) {
            cr_assert(isfinite(v[i]));
            within1 += fabs(v[i]) < 1;
            positive += v[i] > 0;
            skew += v[i] * v[i] * v[i];
        }
        const double p1 = 0.682689492137; /* P(|Z| < 1) */
        cr_assert_lt(fabs((double)within1 / DRAWS - p1), SE_BOUND * sqrt(p1 * (1 - p1) / DRAWS));
        cr_assert_lt(fabs((double)positive / DRAWS - 0.5), SE_BOUND * sqrt(0.25 / DRAWS));
        cr_assert_lt(fabs(skew / DRAWS), SE_BOUND * sqrt(15.0 / DRAWS), "third moment");
        free(v);
    }
}

Test(random, randint_covers_low_to_high_exclusive) {
    t_manual_seed(5);
    enum { LOW = -3, HIGH = 4, RANGE = HIGH - LOW };
    Tensor *r = t_randint(LOW, HIGH, DRAWS);
    T_ASSERT_DTYPE(r, T_I64);
    const int64_t *p = t_data(r);
    int64_t counts[RANGE] = {0};
    double sum = 0;
    for (int64_t i = 0; i < DRAWS; i++) {
        cr_assert(p[i] >= LOW && p[i] < HIGH, "draw %lld is %lld", (long long)i, (long long)p[i]);
        counts[p[i] - LOW]++;
        sum += (double)p[i];
    }
    double mean = sum / DRAWS, sd = sqrt((RANGE * RANGE - 1) / 12.0);
    cr_assert_lt(fabs(mean - (LOW + HIGH - 1) / 2.0), SE_BOUND * sd / sqrt(DRAWS), "mean %g",
                 mean);
    const double q = 1.0 / RANGE;
    for (int k = 0; k < RANGE; k++)
        cr_assert_lt(fabs((double)counts[k] / DRAWS - q), SE_BOUND * sqrt(q * (1 - q) / DRAWS),
                     "value %d drawn %lld times", k + LOW, (long long)counts[k]);
}

Test(random, randint_other_dtypes_and_shapes) {
    t_manual_seed(6);
    Tensor *a = t_randint_shape(0, 3, T_SHAPE(2, 500), T_I32);
    Tensor *b = t_randint_shape(250, 256, T_SHAPE(1000), T_U8);
    Tensor *c = t_randint_shape(-10, 10, T_SHAPE(1000), T_F32);
    Tensor *d = t_randint_shape(0, 2, T_SHAPE(1000), T_BOOL);
    T_ASSERT_DTYPE(a, T_I32);
    T_ASSERT_SHAPE(a, 2, 500);
    T_ASSERT_DTYPE(b, T_U8);
    T_ASSERT_DTYPE(c, T_F32);
    T_ASSERT_DTYPE(d, T_BOOL);
    bool seen_top = false, seen_true = false, seen_false = false;
    for (int64_t i = 0; i < 1000; i++) {
        double va = t_flat_get(a, i), vb = t_flat_get(b, i), vc = t_flat_get(c, i);
        cr_assert(va >= 0 && va < 3 && va == floor(va));
        cr_assert(vb >= 250 && vb < 256);
        cr_assert(vc >= -10 && vc < 10 && vc == floor(vc));
        seen_top |= vb == 255;
        seen_true |= t_flat_get(d, i) == 1;
        seen_false |= t_flat_get(d, i) == 0;
    }
    cr_assert(seen_top && seen_true && seen_false);
    Tensor *one = t_randint(7, 8, 20);
    for (int64_t i = 0; i < 20; i++) cr_assert_eq(t_get(one, i), 7);
}

Test(random, randint_keeps_every_bit_of_large_ranges) {
    /* torch.randint(0, 2**60, (n,)) has odd values half the time: the draw must not go
       through a double, which keeps 53 bits */
    t_manual_seed(8);
    enum { N = 4000 };
    Tensor *r = t_randint(0, INT64_C(1) << 60, N);
    const int64_t *p = t_data(r);
    int64_t odd = 0;
    for (int64_t i = 0; i < N; i++) {
        cr_assert(p[i] >= 0 && p[i] < INT64_C(1) << 60);
        odd += p[i] & 1;
    }
    cr_assert_lt(fabs((double)odd / N - 0.5), SE_BOUND * sqrt(0.25 / N), "%lld odd of %d",
                 (long long)odd, N);
}

Test(random, randint_over_the_whole_int64_range) {
    t_manual_seed(9);
    enum { N = 1000 };
    Tensor *r = t_randint(INT64_MIN, INT64_MAX, N); /* torch.randint(-2**63, 2**63 - 1, ...) */
    const int64_t *p = t_data(r);
    int64_t negative = 0, odd = 0;
    for (int64_t i = 0; i < N; i++) negative += p[i] < 0, odd += p[i] & 1;
    cr_assert(negative > N / 4 && negative < 3 * N / 4, "%lld negative", (long long)negative);
    cr_assert(odd > N / 4 && odd < 3 * N / 4, "%lld odd", (long long)odd);
}

Test(random, randint_bounds_outside_the_dtype_raise) {
    /* torch: "to - 1 is out of bounds for unsigned char" */
    T_ASSERT_RAISES(T_ERR_VALUE, t_randint_shape(0, 300, T_SHAPE(4), T_U8), "t_randint", "300",
                    "uint8");
    T_ASSERT_RAISES(T_ERR_VALUE, t_randint_shape(-5, 5, T_SHAPE(4), T_U8), "t_randint", "-5",
                    "uint8");
    T_ASSERT_RAISES(T_ERR_VALUE, t_randint_shape(0, INT64_C(1) << 40, T_SHAPE(4), T_I32),
                    "t_randint", "int32");
    T_ASSERT_NO_RAISE(t_randint_shape(0, 256, T_SHAPE(4), T_U8));
}

Test(random, small_and_empty_shapes) {
    Tensor *s = t_rand();
    cr_assert_eq(t_ndim(s), 0);
    cr_assert(t_item(s) >= 0 && t_item(s) < 1);
    T_ASSERT_SHAPE(t_randn(0, 4), 0, 4);
    T_ASSERT_SHAPE(t_randint(0, 5, 3, 0), 3, 0);
}

Test(random, misuse) {
    T_ASSERT_RAISES(T_ERR_VALUE, t_randint(5, 5, 3), "t_randint", "5");
    T_ASSERT_RAISES(T_ERR_VALUE, t_randint(5, 2, 3), "t_randint", "5", "2");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_rand_dt(T_I64, 3), "t_rand", "int64");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_randn_dt(T_U8, 3), "t_randn", "uint8");
    T_ASSERT_RAISES(T_ERR_DTYPE, t_rand_dt(T_BOOL, 3), "t_rand", "bool");
}
