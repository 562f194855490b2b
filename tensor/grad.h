/* grad.h — how each family of ops records its backward node (internal; see autograd.h). */
#ifndef CTORCH_GRAD_H
#define CTORCH_GRAD_H

#include "backend.h"

/* Elementwise (grad_elementwise.c). The inputs are the op's operands as the user passed them
   (before promotion and broadcast); out is the result. */
void t_grad_record_binary(BinaryOp op, Tensor *out, Tensor *a, Tensor *b);
void t_grad_record_unary(UnaryOp op, Tensor *out, Tensor *x, double p0, double p1);
void t_grad_record_where(Tensor *out, Tensor *cond, Tensor *a, Tensor *b);
/* An op whose gradient is the output's, cast and summed back to x (clone, dtype casts). */
void t_grad_record_identity(const char *name, Tensor *out, Tensor *x);
void t_grad_record_copy(Tensor *dst, Tensor *src);
void t_grad_record_fill(Tensor *x);

/* Views (grad_view.c): out is a view of x made by the named op; its backward maps the
   gradient back to x's shape. */
typedef enum ViewKind {
    V_RESHAPE, V_PERMUTE, V_SELECT, V_SLICE, V_EXPAND, V_UNSQUEEZE, V_SQUEEZE, V_DETACHED
} ViewKind;
void t_grad_record_view(ViewKind kind, const char *name, Tensor *out, Tensor *x, Shape param,
                        int64_t i0, int64_t i1, int64_t i2);

/* Reductions and softmax (grad_reduce.c). dim < 0: a full reduction. mean: op is R_SUM
   divided by the count. indices: max/min along dim's positions. */
void t_grad_record_reduce(ReduceOp op, bool mean, Tensor *out, Tensor *x, int dim, bool keepdim,
                          Tensor *indices);
void t_grad_record_softmax(Tensor *out, Tensor *x, int dim, bool log);

/* Matrix product (grad_linalg.c). */
void t_grad_record_matmul(Tensor *out, Tensor *a, Tensor *b);

/* Indexing and joining (grad_index.c). parts of t_cat: at most AG_MAX_INPUTS. */
void t_grad_record_index_select(Tensor *out, Tensor *x, int dim, Tensor *index);
void t_grad_record_gather(Tensor *out, Tensor *x, int dim, Tensor *index);
void t_grad_record_scatter(Tensor *out, Tensor *x, int dim, Tensor *index, Tensor *src, bool add);
void t_grad_record_masked_fill(Tensor *out, Tensor *x, Tensor *mask);
void t_grad_record_cat(Tensor *out, TensorList parts, int dim);

#endif
