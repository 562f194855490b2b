/*
 * cpu.h — the CPU backend's reduction, softmax, matmul and indexing primitives, which the
 * backend table (cpu_backend.c) points at. Each has exactly the signature and contract of the
 * Backend member of the same name in backend.h; the notes below are what the CPU versions add.
 */
#ifndef CTORCH_CPU_H
#define CTORCH_CPU_H

#include "backend.h"

/* Hot loops are built for AVX-512, AVX2 and plain x86-64, the best chosen at load. A loop
   inside an OpenMP construct gets only the baseline build (the outlined body is a function
   of its own), so the loop goes in a function of its own with this attribute, called from
   the parallel loop. CPU_MULTIVERSION_AVX2 leaves out AVX-512: the elementwise loops' AVX-512
   builds ran a 16M-element add about 10% slower (it streams memory), while AVX2 keeps its
   speed and takes the blitz batch-4 step from 0.36 to 0.33 ms. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CPU_MULTIVERSION __attribute__((target_clones("avx512f", "avx2", "default")))
#define CPU_MULTIVERSION_AVX2 __attribute__((target_clones("avx2", "default")))
#else
#define CPU_MULTIVERSION
#define CPU_MULTIVERSION_AVX2
#endif

/* Reductions (cpu_reduce.c). SUM and PROD take every dtype into out of the same dtype, or into
   int64 (integers and bool) or float64 (float32); floating sums accumulate in double. */
void cpu_reduce(ReduceOp op, Tensor *out, Tensor *idx, const Tensor *x, int64_t outer,
                int64_t n, int64_t inner);
/* Softmax and log-softmax of a floating tensor (cpu_reduce.c). */
void cpu_softmax(Tensor *out, const Tensor *x, int64_t outer, int64_t n, int64_t inner,
                 bool log);
/* Matrix products (cpu_blas.c). Each matrix of a and b may be row-major contiguous or the
   transpose of one (strides [1, rows]); BLAS reads either in place. */
void cpu_matmul(Tensor *out, const Tensor *a, const Tensor *b, int64_t batch,
                int64_t a_batch_stride, int64_t b_batch_stride);
/* Indexing (cpu_index.c): any strides; the ops in index.c have checked the indices. */
void cpu_gather(Tensor *out, const Tensor *x, int dim, const Tensor *index);
void cpu_scatter(Tensor *out, int dim, const Tensor *index, const Tensor *src, bool add);
void cpu_index_select(Tensor *out, const Tensor *x, int dim, const Tensor *index);

#endif /* CTORCH_CPU_H */
