/*
 * cpu_iter.h — the CPU's strided iteration engine: walks up to CPU_ITER_MAX_OPS operands of the
 * same shape in memory order, coalescing dims that are contiguous in every operand, and hands
 * rows to a loop function, in parallel for large tensors.
 */
#ifndef CTORCH_CPU_ITER_H
#define CTORCH_CPU_ITER_H

#include "internal.h"

/* Output plus up to three inputs (where: out, cond, a, b). */
#define CPU_ITER_MAX_OPS 4

/* A loop over n elements of one row: ptr[k] is operand k's first element, stride[k] its
   stride in bytes (0 for a broadcast operand). ctx is the op's parameters. */
typedef void (*CpuLoop)(char **ptr, const int64_t *stride, int64_t n, const void *ctx);

/* Runs loop over every element of the operands (ops[0] is the output; all have ops[0]'s
   shape). Splits the work across threads when there are enough elements to pay for it. */
void cpu_iter_run(const Tensor *const *ops, int nops, CpuLoop loop, const void *ctx);

#endif /* CTORCH_CPU_ITER_H */
