/* cpu_backend.c — the CPU's primitive table (see backend.h). */
#include "cpu.h"
#include "cpu_elementwise.h"
#include "cpu_conv.h"

const Backend t_cpu_backend = {
    .name = "cpu",
    .unary = cpu_unary,
    .binary = cpu_binary,
    .where = cpu_where,
    .axpby = cpu_axpby,
    .copy = cpu_copy,
    .fill = cpu_fill,
    .reduce = cpu_reduce,
    .softmax = cpu_softmax,
    .matmul = cpu_matmul,
    .random = cpu_random,
    .gather = cpu_gather,
    .scatter = cpu_scatter,
    .index_select = cpu_index_select,
    .im2col = cpu_im2col,
    .col2im = cpu_col2im,
    .maxpool2d = cpu_maxpool2d,
    .maxpool2d_backward = cpu_maxpool2d_backward,
    .gelu = cpu_gelu,
};
