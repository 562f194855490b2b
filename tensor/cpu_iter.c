/* cpu_iter.c — strided iteration over same-shaped operands (see cpu_iter.h). */
#include <omp.h>

#include "cpu_iter.h"

/* Fewer elements than this run on one thread: below it, waking threads costs more than the
   loop (measured: about 30 µs of overhead against ~1 ns per element). */
enum { PARALLEL_MIN_ELEMENTS = 1 << 16 };

typedef struct Iter {
    int ndim; /* outermost first; dims of size 1 dropped, contiguous runs merged */
    int nops;
    int64_t size[T_MAX_DIMS];
    int64_t stride[CPU_ITER_MAX_OPS][T_MAX_DIMS]; /* bytes */
    char *base[CPU_ITER_MAX_OPS];
} Iter;

/* Orders dims so that the output's smallest stride is innermost (then the first input's),
   which keeps writes sequential for transposed and permuted outputs. */
static void iter_sort(Iter *it, int perm[T_MAX_DIMS]) {
    for (int i = 1; i < it->ndim; i++) {
        int p = perm[i], j = i;
        while (j > 0) {
            int q = perm[j - 1];
            int64_t so_p = it->stride[0][p], so_q = it->stride[0][q];
            int64_t s1_p = it->nops > 1 ? it->stride[1][p] : 0;
            int64_t s1_q = it->nops > 1 ? it->stride[1][q] : 0;
            bool p_outer = so_p > so_q || (so_p == so_q && s1_p > s1_q);
            if (!p_outer) break;
            perm[j] = q;
            j--;
        }
        perm[j] = p;
    }
}

static void iter_build(Iter *it, const Tensor *const *ops, int nops) {
    const Tensor *out = ops[0];
    int perm[T_MAX_DIMS], nd = 0;
    it->nops = nops;
    for (int k = 0; k < nops; k++) it->base[k] = t_ptr(ops[k]);
    for (int d = 0; d < out->ndim; d++) {
        if (out->size[d] == 1) continue;
        it->size[nd] = out->size[d];
        for (int k = 0; k < nops; k++)
            it->stride[k][nd] = ops[k]->stride[d] * (int64_t)t_esize(ops[k]->dtype);
        perm[nd] = nd;
        nd++;
    }
    it->ndim = nd;
    iter_sort(it, perm);
    Iter sorted = *it;
    for (int i = 0; i < nd; i++) {
        sorted.size[i] = it->size[perm[i]];
        for (int k = 0; k < nops; k++) sorted.stride[k][i] = it->stride[k][perm[i]];
    }
    /* Merge dim i into the dim inside it when every operand steps through both evenly. */
    int m = 0;
    for (int i = 0; i < nd; i++) {
        bool merge = m > 0;
        for (int k = 0; k < nops && merge; k++)
            merge = sorted.stride[k][m - 1] == sorted.stride[k][i] * sorted.size[i];
        if (merge) {
            sorted.size[m - 1] *= sorted.size[i];
            for (int k = 0; k < nops; k++) sorted.stride[k][m - 1] = sorted.stride[k][i];
        } else {
            sorted.size[m] = sorted.size[i];
            for (int k = 0; k < nops; k++) sorted.stride[k][m] = sorted.stride[k][i];
            m++;
        }
    }
    sorted.ndim = m;
    *it = sorted;
}

/* Runs the loop over the elements [begin, end) of the iteration's linear order. */
static void iter_range(const Iter *it, CpuLoop loop, const void *ctx, int64_t begin,
                       int64_t end) {
    if (it->ndim == 0) { /* a single element */
        char *ptr[CPU_ITER_MAX_OPS];
        int64_t zero[CPU_ITER_MAX_OPS] = {0};
        for (int k = 0; k < it->nops; k++) ptr[k] = it->base[k];
        if (begin < end) loop(ptr, zero, 1, ctx);
        return;
    }
    int inner = it->ndim - 1;
    int64_t n = it->size[inner];
    int64_t idx[T_MAX_DIMS];
    int64_t rest = begin;
    for (int d = inner; d >= 0; d--) {
        idx[d] = rest % it->size[d];
        rest /= it->size[d];
    }
    int64_t inner_stride[CPU_ITER_MAX_OPS];
    for (int k = 0; k < it->nops; k++) inner_stride[k] = it->stride[k][inner];
    int64_t pos = begin;
    while (pos < end) {
        char *ptr[CPU_ITER_MAX_OPS];
        for (int k = 0; k < it->nops; k++) {
            int64_t off = 0;
            for (int d = 0; d <= inner; d++) off += idx[d] * it->stride[k][d];
            ptr[k] = it->base[k] + off;
        }
        int64_t len = n - idx[inner];
        if (len > end - pos) len = end - pos;
        loop(ptr, inner_stride, len, ctx);
        pos += len;
        idx[inner] += len;
        for (int d = inner; d > 0 && idx[d] == it->size[d]; d--) {
            idx[d] = 0;
            idx[d - 1]++;
        }
    }
}

/* Whether every operand is row-major contiguous (so the whole op is one flat row). */
static bool all_contiguous(const Tensor *const *ops, int nops) {
    for (int k = 0; k < nops; k++)
        if (!t_contiguous_fast(ops[k])) return false;
    return true;
}

void cpu_iter_run(const Tensor *const *ops, int nops, CpuLoop loop, const void *ctx) {
    int64_t numel = 1;
    for (int d = 0; d < ops[0]->ndim; d++) numel *= ops[0]->size[d];
    if (numel == 0) return;
    if (numel < PARALLEL_MIN_ELEMENTS && all_contiguous(ops, nops)) { /* small and flat */
        char *ptr[CPU_ITER_MAX_OPS];
        int64_t stride[CPU_ITER_MAX_OPS];
        for (int k = 0; k < nops; k++) {
            ptr[k] = t_ptr(ops[k]);
            stride[k] = (int64_t)t_esize(ops[k]->dtype);
        }
        loop(ptr, stride, numel, ctx);
        return;
    }
    Iter it;
    iter_build(&it, ops, nops);
    if (numel < PARALLEL_MIN_ELEMENTS || omp_in_parallel()) {
        iter_range(&it, loop, ctx, 0, numel);
        return;
    }
    #pragma omp parallel
    {
        int nt = omp_get_num_threads(), t = omp_get_thread_num();
        int64_t chunk = (numel + nt - 1) / nt;
        int64_t b = chunk * t, e = b + chunk < numel ? b + chunk : numel;
        if (b < e) iter_range(&it, loop, ctx, b, e);
    }
}
