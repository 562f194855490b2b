/*
 * cpu_conv.h — the CPU's convolution and pooling primitives (cpu_conv.c), which the backend
 * table (cpu_backend.c) points at. Each has exactly the contract of the Backend member of the
 * same name in backend.h.
 */
#ifndef CTORCH_CPU_CONV_H
#define CTORCH_CPU_CONV_H

#include "backend.h"

void cpu_im2col(Tensor *col, const Tensor *x, const ConvGeom *g);
void cpu_col2im(Tensor *x, const Tensor *col, const ConvGeom *g);
void cpu_maxpool2d(Tensor *out, Tensor *idx, const Tensor *x, const ConvGeom *g);
void cpu_maxpool2d_backward(Tensor *gx, const Tensor *gout, const Tensor *idx,
                            const ConvGeom *g);
void cpu_gelu(Tensor *out, const Tensor *x, const Tensor *grad);

#endif /* CTORCH_CPU_CONV_H */
