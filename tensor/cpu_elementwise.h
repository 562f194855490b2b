/* cpu_elementwise.h — the CPU backend's elementwise primitives (see backend.h for contracts). */
#ifndef CTORCH_CPU_ELEMENTWISE_H
#define CTORCH_CPU_ELEMENTWISE_H

#include "backend.h"

void cpu_unary(UnaryOp op, Tensor *out, const Tensor *x, double p0, double p1);
void cpu_binary(BinaryOp op, Tensor *out, const Tensor *a, const Tensor *b);
void cpu_where(Tensor *out, const Tensor *cond, const Tensor *a, const Tensor *b);
void cpu_axpby(Tensor *out, const Tensor *x, const Tensor *y, double alpha, double beta);
void cpu_copy(Tensor *dst, const Tensor *src);
void cpu_fill(Tensor *out, double value);
void cpu_random(Tensor *out, RandomKind kind, uint64_t seed, uint64_t offset, double p0,
                double p1);

#endif
