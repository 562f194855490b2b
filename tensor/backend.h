/*
 * backend.h — the primitive set every device implements (DESIGN.md, "Tensors"). Ops in
 * tensor/ check arguments, promote dtypes, allocate outputs and record autograd; then they
 * call one of these on already-broadcast, same-device operands. Everything else is composed.
 *
 * Conventions for every primitive: operands are strided views (any strides, including 0 for
 * broadcast dims) with exactly out's shape unless said otherwise; out may alias an input only
 * elementwise (same geometry), as in-place ops do.
 */
#ifndef CTORCH_BACKEND_H
#define CTORCH_BACKEND_H

#include "internal.h"

typedef enum UnaryOp {
    /* floating dtypes only */
    U_EXP, U_LOG, U_SQRT, U_SIN, U_COS, U_TANH, U_SIGMOID,
    /* every numeric dtype */
    U_NEG, U_ABS, U_RELU,
    U_CLAMP,   /* p0 = lo, p1 = hi */
    U_ADD_S,   /* x + p0 */
    U_MUL_S,   /* x * p0 */
    U_DIV_S,   /* x / p0 */
    U_RSUB_S,  /* p0 - x */
    U_POW_S,   /* x ^ p0 */
    U_NUNARY
} UnaryOp;

typedef enum BinaryOp {
    B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MAX, B_MIN,
    /* comparisons: out is T_BOOL, a and b share a dtype */
    B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE,
    B_NBINARY
} BinaryOp;

typedef enum ReduceOp {
    R_SUM, R_PROD, R_MAX, R_MIN, R_ARGMAX, R_ARGMIN, R_NREDUCE
} ReduceOp;

typedef enum RandomKind { RAND_UNIFORM, RAND_NORMAL, RAND_INT } RandomKind;

typedef struct Backend {
    const char *name;
    /* out = op(x) with parameters p0, p1; x and out have the same dtype. */
    void (*unary)(UnaryOp op, Tensor *out, const Tensor *x, double p0, double p1);
    /* out = op(a, b); a and b share a dtype, which is out's unless op is a comparison. */
    void (*binary)(BinaryOp op, Tensor *out, const Tensor *a, const Tensor *b);
    /* out = cond ? a : b; cond is T_BOOL, a, b and out share a dtype. */
    void (*where)(Tensor *out, const Tensor *cond, const Tensor *a, const Tensor *b);
    /* dst = src, converting dtype; src has dst's shape (broadcast by strides). */
    void (*copy)(Tensor *dst, const Tensor *src);
    /* Every element of out set to value. */
    void (*fill)(Tensor *out, double value);
    /* Reduces x (contiguous, viewed as [outer, n, inner]) over the middle dim into out
       (contiguous [outer, inner]); for ARGMAX/ARGMIN out is int64, and for MAX/MIN idx, when
       not NULL, receives the int64 positions. SUM and PROD accumulate in out's dtype, which
       may be wider than x's. */
    void (*reduce)(ReduceOp op, Tensor *out, Tensor *idx, const Tensor *x, int64_t outer,
                   int64_t n, int64_t inner);
    /* Softmax (or log-softmax) of x (contiguous, [outer, n, inner]) over the middle dim. */
    void (*softmax)(Tensor *out, const Tensor *x, int64_t outer, int64_t n, int64_t inner,
                    bool log);
    /* out[b] = a[b] @ b[b] for contiguous [batch, m, k] @ [batch, k, n] (a batch stride of 0
       broadcasts); out is contiguous [batch, m, n]. */
    void (*matmul)(Tensor *out, const Tensor *a, const Tensor *b, int64_t batch,
                   int64_t a_batch_stride, int64_t b_batch_stride);
    /* Random numbers from the Philox stream at (seed, offset): uniform in [p0, p1), normal
       with mean p0 and std p1, or integers in [p0, p1). out is contiguous. */
    void (*random)(Tensor *out, RandomKind kind, uint64_t seed, uint64_t offset, double p0,
                   double p1);
    /* out = x gathered along dim by index (int64, same ndim as x; out has index's shape). */
    void (*gather)(Tensor *out, const Tensor *x, int dim, const Tensor *index);
    /* out[... index[i] ...] (=, or += when add) src[i] along dim; out is written in place. */
    void (*scatter)(Tensor *out, int dim, const Tensor *index, const Tensor *src, bool add);
    /* out = x's slices along dim at the positions in index (1-D int64). */
    void (*index_select)(Tensor *out, const Tensor *x, int dim, const Tensor *index);
} Backend;

/* The backend of a device: the CPU's, or the CUDA one (DeviceError when there is none). */
const Backend *t_backend(Device device);
extern const Backend t_cpu_backend;

#endif /* CTORCH_BACKEND_H */
