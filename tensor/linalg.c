/*
 * linalg.c — the matrix product with torch.matmul's rules: vectors become one-row or
 * one-column matrices (that dim is dropped from the result), dims before the last two are
 * batch dims that broadcast. Operands reach the device's matmul primitive as [batch, m, k] and
 * [batch, k, n] without copies whenever their strides allow (a transposed matrix included).
 */
#include "autograd.h"
#include "grad.h"

/* Whether a rows x cols matrix with strides rs, cs is row-major contiguous or the transpose
   of a contiguous matrix: the two layouts every backend's GEMM reads in place. */
static bool plain_matrix(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
    bool row_major = (cols == 1 || cs == 1) && (rows == 1 || rs == cols);
    bool transposed = (rows == 1 || rs == 1) && (cols == 1 || cs == rows);
    return row_major || transposed;
}

/* The single stride that steps through every batch of x's broadcast batch dims in row-major
   order, if there is one (sizes and strides given per batch dim, stride 0 where broadcast). */
static bool batch_stride(const Shape *batch, const int64_t *stride, int64_t *out) {
    int64_t step = 0, span = 1;
    bool seen = false;
    for (int i = batch->ndim - 1; i >= 0; i--) {
        if (batch->d[i] == 1) continue;
        if (!seen) step = stride[i], seen = true;
        else if (stride[i] != step * span) return false;
        span *= batch->d[i];
    }
    *out = step;
    return true;
}

/* One operand as the primitive takes it: a [nbatch, rows, cols] view of x broadcast to the
   batch shape, with *bstride the step between batches. The matrix is given by its sizes and
   strides (a vector as one row or one column). Copies x only when no such view exists. */
static Tensor *as_batched(Tensor *x, Shape batch, int64_t nbatch, int64_t rows, int64_t cols,
                          int64_t rs, int64_t cs, int64_t *bstride) {
    int xb = x->ndim >= 2 ? x->ndim - 2 : 0; /* x's own batch dims */
    int64_t size[T_MAX_DIMS], stride[T_MAX_DIMS];
    for (int i = 0; i < batch.ndim; i++) {
        int j = i - (batch.ndim - xb);
        size[i] = batch.d[i];
        stride[i] = j >= 0 && x->size[j] != 1 ? x->stride[j] : 0;
    }
    int64_t step;
    if (batch_stride(&batch, stride, &step) && plain_matrix(rows, cols, rs, cs)) {
        *bstride = step;
        return t_make_view(x, 3, (int64_t[]){nbatch, rows, cols}, (int64_t[]){step, rs, cs},
                           x->offset);
    }
    size[batch.ndim] = rows, size[batch.ndim + 1] = cols;
    stride[batch.ndim] = rs, stride[batch.ndim + 1] = cs;
    Tensor *c = t_contiguous(t_make_view(x, batch.ndim + 2, size, stride, x->offset));
    *bstride = rows * cols;
    return t_make_view(c, 3, (int64_t[]){nbatch, rows, cols}, (int64_t[]){rows * cols, cols, 1},
                       c->offset);
}

/* Raises unless a and b can be multiplied as matrices: dims, device and dtype. */
static void check_operands(const Tensor *a, const Tensor *b) {
    t_check_alive("t_matmul", a);
    t_check_alive("t_matmul", b);
    t_check_same_device("t_matmul", a, b);
    if (a->ndim == 0 || b->ndim == 0)
        t_raise(T_ERR_SHAPE, "t_matmul: both arguments need at least 1 dim, got shapes %s and %s",
                t_shape_str(t_shape_of(a)), t_shape_str(t_shape_of(b)));
    if (a->dtype != b->dtype)
        t_raise(T_ERR_DTYPE, "t_matmul: expected both operands of one dtype, got %s and %s "
                "(convert one with t_to_dtype)", t_dtype_name(a->dtype), t_dtype_name(b->dtype));
    if (a->dtype == T_BOOL)
        t_raise(T_ERR_DTYPE, "t_matmul: not defined for bool tensors");
}

Tensor *t_matmul(Tensor *a, Tensor *b) {
    check_operands(a, b);
    bool a_vec = a->ndim == 1, b_vec = b->ndim == 1;
    int64_t m = a_vec ? 1 : a->size[a->ndim - 2], k = a->size[a->ndim - 1];
    int64_t kb = b_vec ? b->size[0] : b->size[b->ndim - 2], n = b_vec ? 1 : b->size[b->ndim - 1];
    if (k != kb)
        t_raise(T_ERR_SHAPE, "t_matmul: shapes %s and %s cannot be multiplied (%lld != %lld)",
                t_shape_str(t_shape_of(a)), t_shape_str(t_shape_of(b)), (long long)k,
                (long long)kb);
    Shape ab = {a_vec ? 0 : a->ndim - 2, {0}}, bb = {b_vec ? 0 : b->ndim - 2, {0}};
    for (int i = 0; i < ab.ndim; i++) ab.d[i] = a->size[i];
    for (int i = 0; i < bb.ndim; i++) bb.d[i] = b->size[i];
    Shape batch = t_broadcast_shapes("t_matmul", ab, bb);
    int64_t nbatch = t_shape_numel("t_matmul", batch);

    /* The result: the batch dims, then m unless a is a vector, then n unless b is one. */
    Shape shape = batch;
    if (!a_vec) shape.d[shape.ndim++] = m;
    if (!b_vec) shape.d[shape.ndim++] = n;
    Tensor *out = t_new(shape, a->dtype, a->device);

    int64_t a_rs = a_vec ? k * a->stride[0] : a->stride[a->ndim - 2];
    int64_t a_cs = a->stride[a->ndim - 1];
    int64_t b_rs = b_vec ? b->stride[0] : b->stride[b->ndim - 2];
    int64_t b_cs = b_vec ? 1 : b->stride[b->ndim - 1];
    int64_t sa, sb;
    bool grad_mode = t_no_grad_enter_(); /* operand copies are internal: not recorded */
    Tensor *a3 = as_batched(a, batch, nbatch, m, k, a_rs, a_cs, &sa);
    Tensor *b3 = as_batched(b, batch, nbatch, k, n, b_rs, b_cs, &sb);
    t_no_grad_exit_(grad_mode);
    Tensor *o3 = t_make_view(out, 3, (int64_t[]){nbatch, m, n}, (int64_t[]){m * n, n, 1}, 0);
    t_backend(a->device)->matmul(o3, a3, b3, nbatch, sa, sb);
    t_grad_record_matmul(out, a, b);
    return out;
}
