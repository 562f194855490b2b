/*
 * reduce.c — reductions (sum, mean, prod, max, min, argmax, argmin, var, std) and softmax.
 * Each op checks its input, picks the output dtype as PyTorch does, and hands a contiguous
 * [outer, n, inner] view to the device's reduce or softmax primitive.
 */
#include "autograd.h"
#include "grad.h"

/* How one reduction sees its input: everything at once, or one dim. */
typedef struct Reduction {
    int64_t outer, n, inner; /* x viewed as [outer, n, inner], reduced over n */
    Shape shape;             /* the result's shape */
} Reduction;

/* The geometry of reducing x over dim (normalised), keeping it as size 1 when keepdim. */
static Reduction over_dim(const char *op, const Tensor *x, int dim, bool keepdim) {
    Reduction r = {1, 1, 1, {0, {0}}};
    dim = t_check_dim(op, dim, x->ndim);
    for (int d = 0; d < x->ndim; d++) {
        if (d < dim) r.outer *= x->size[d];
        else if (d > dim) r.inner *= x->size[d];
        else r.n = x->size[d];
        if (d != dim || keepdim) r.shape.d[r.shape.ndim++] = d == dim ? 1 : x->size[d];
    }
    return r;
}

/* The geometry of reducing every element of x to a 0-d result. */
static Reduction over_all(const Tensor *x) {
    Reduction r = {1, t_numel(x), 1, {0, {0}}};
    return r;
}

/* Runs the primitive: x reduced as r says into a new tensor of out_dtype; for MAX/MIN the
   positions go to *idx when idx is not NULL. */
static Tensor *run_reduce(ReduceOp op, Tensor *x, Reduction r, DType out_dtype, Tensor **idx) {
    bool grad_mode = t_no_grad_enter_(); /* the contiguous copy is internal: not recorded */
    Tensor *xc = t_contiguous(x);
    t_no_grad_exit_(grad_mode);
    Tensor *out = t_new(r.shape, out_dtype, x->device);
    Tensor *pos = idx ? t_new(r.shape, T_I64, x->device) : NULL;
    t_backend(x->device)->reduce(op, out, pos, xc, r.outer, r.n, r.inner);
    if (idx) *idx = pos;
    return out;
}

/* Integer and bool tensors sum and multiply into int64; floating ones keep their dtype. */
static DType accumulating_dtype(DType d) { return t_dtype_is_floating(d) ? d : T_I64; }

/* Raises TypeError unless x is floating: mean, var, std and softmax need fractions. */
static void need_floating(const char *op, const Tensor *x) {
    if (!t_dtype_is_floating(x->dtype))
        t_raise(T_ERR_DTYPE, "%s: expected a floating tensor (float32 or float64), got %s; "
                "convert it with t_to_dtype first", op, t_dtype_name(x->dtype));
}

/* Raises for max, min, argmax and argmin over nothing (PyTorch has no identity to return). */
static void need_elements(const char *op, const Tensor *x, Reduction r, bool all, int dim) {
    if (r.n > 0) return;
    if (all)
        t_raise(T_ERR_VALUE, "%s: cannot reduce over a zero-size dimension: the tensor of "
                "shape %s has no elements (give a dim to reduce over)", op,
                t_shape_str(t_shape_of(x)));
    t_raise(T_ERR_INDEX, "%s: cannot reduce over a zero-size dimension (dim %d of shape %s)",
            op, dim, t_shape_str(t_shape_of(x)));
}

/* Raises for argmax/argmin of bool, which PyTorch does not define. */
static void need_ordered(const char *op, const Tensor *x) {
    if (x->dtype == T_BOOL)
        t_raise(T_ERR_DTYPE, "%s: not defined for bool tensors; convert with t_to_dtype", op);
}

/* A sum or product (dim < 0: of everything), recorded for autograd. */
static Tensor *accumulate(const char *op, ReduceOp rop, Tensor *x, int dim, bool keepdim) {
    t_check_alive(op, x);
    if (x->ndim == 0) dim = -1; /* a 0-d tensor's only "dim" is the whole tensor */
    Reduction r = dim < 0 ? over_all(x) : over_dim(op, x, dim, keepdim);
    Tensor *out = run_reduce(rop, x, r, accumulating_dtype(x->dtype), NULL);
    t_grad_record_reduce(rop, false, out, x, dim, keepdim, NULL);
    return out;
}

Tensor *t_sum(Tensor *x) { return accumulate("t_sum", R_SUM, x, -1, false); }
Tensor *t_prod(Tensor *x) { return accumulate("t_prod", R_PROD, x, -1, false); }

Tensor *t_sum_dim(Tensor *x, int dim, bool keepdim) {
    t_check_alive("t_sum_dim", x);
    return accumulate("t_sum_dim", R_SUM, x, t_check_dim("t_sum_dim", dim, x->ndim), keepdim);
}

Tensor *t_prod_dim(Tensor *x, int dim, bool keepdim) {
    t_check_alive("t_prod_dim", x);
    return accumulate("t_prod_dim", R_PROD, x, t_check_dim("t_prod_dim", dim, x->ndim), keepdim);
}

/* The mean: the sum divided by the count, in place on the fresh sum (0/0 gives NaN for an
   empty reduction, as in PyTorch). */
static Tensor *mean_of(Tensor *x, Reduction r) {
    Tensor *s = run_reduce(R_SUM, x, r, x->dtype, NULL);
    t_backend(x->device)->unary(U_DIV_S, s, s, (double)r.n, 0);
    return s;
}

Tensor *t_mean(Tensor *x) {
    t_check_alive("t_mean", x);
    need_floating("t_mean", x);
    Tensor *out = mean_of(x, over_all(x));
    t_grad_record_reduce(R_SUM, true, out, x, -1, false, NULL);
    return out;
}

Tensor *t_mean_dim(Tensor *x, int dim, bool keepdim) {
    t_check_alive("t_mean_dim", x);
    need_floating("t_mean_dim", x);
    dim = t_check_dim("t_mean_dim", dim, x->ndim);
    Tensor *out = mean_of(x, over_dim("t_mean_dim", x, dim, keepdim));
    t_grad_record_reduce(R_SUM, true, out, x, x->ndim ? dim : -1, keepdim, NULL);
    return out;
}

/* max or min of every element. */
static Tensor *extremum_all(const char *op, ReduceOp rop, Tensor *x) {
    t_check_alive(op, x);
    Reduction r = over_all(x);
    need_elements(op, x, r, true, 0);
    Tensor *out = run_reduce(rop, x, r, x->dtype, NULL);
    t_grad_record_reduce(rop, false, out, x, -1, false, NULL);
    return out;
}

/* max or min along dim, with positions into *indices when it is not NULL. */
static Tensor *extremum_dim(const char *op, ReduceOp rop, Tensor *x, int dim, bool keepdim,
                            Tensor **indices) {
    t_check_alive(op, x);
    Reduction r = over_dim(op, x, dim, keepdim);
    need_elements(op, x, r, false, dim);
    Tensor *pos = NULL; /* autograd needs the positions even when the caller does not */
    Tensor *out = run_reduce(rop, x, r, x->dtype, &pos);
    t_grad_record_reduce(rop, false, out, x, t_check_dim(op, dim, x->ndim), keepdim, pos);
    if (indices) *indices = pos;
    return out;
}

Tensor *t_max(Tensor *x) { return extremum_all("t_max", R_MAX, x); }
Tensor *t_min(Tensor *x) { return extremum_all("t_min", R_MIN, x); }

Tensor *t_max_dim(Tensor *x, int dim, bool keepdim, Tensor **indices) {
    return extremum_dim("t_max_dim", R_MAX, x, dim, keepdim, indices);
}

Tensor *t_min_dim(Tensor *x, int dim, bool keepdim, Tensor **indices) {
    return extremum_dim("t_min_dim", R_MIN, x, dim, keepdim, indices);
}

/* argmax or argmin of the flattened tensor (all) or along dim: int64 positions. */
static Tensor *arg_extremum(const char *op, ReduceOp rop, Tensor *x, bool all, int dim,
                            bool keepdim) {
    t_check_alive(op, x);
    need_ordered(op, x);
    Reduction r = all ? over_all(x) : over_dim(op, x, dim, keepdim);
    need_elements(op, x, r, all, dim);
    return run_reduce(rop, x, r, T_I64, NULL);
}

Tensor *t_argmax(Tensor *x) { return arg_extremum("t_argmax", R_ARGMAX, x, true, 0, false); }
Tensor *t_argmin(Tensor *x) { return arg_extremum("t_argmin", R_ARGMIN, x, true, 0, false); }

Tensor *t_argmax_dim(Tensor *x, int dim, bool keepdim) {
    return arg_extremum("t_argmax_dim", R_ARGMAX, x, false, dim, keepdim);
}

Tensor *t_argmin_dim(Tensor *x, int dim, bool keepdim) {
    return arg_extremum("t_argmin_dim", R_ARGMIN, x, false, dim, keepdim);
}

/* Variance (or, with root, the standard deviation) along dim: the mean of squared deviations,
   divided by max(0, n - correction) as PyTorch does (no degrees of freedom left gives inf or
   NaN, not an error). Computed in float64 whatever x's dtype, as PyTorch accumulates: squares
   of large float32 values, and their sums, would overflow float32. Two passes over x, composed
   of other ops so that autograd and every device come with them. */
static Tensor *variance(const char *op, Tensor *x, int dim, bool keepdim, int correction,
                        bool root) {
    t_check_alive(op, x);
    need_floating(op, x);
    if (correction < 0)
        t_raise(T_ERR_VALUE, "%s: correction must be >= 0, got %d", op, correction);
    Reduction r = over_dim(op, x, dim, keepdim);
    Tensor *x64 = t_to_dtype(x, T_F64);
    Tensor *dev = t_sub(x64, t_mean_dim(x64, dim, true));
    double dof = (double)r.n - correction;
    Tensor *v = t_div_s(t_sum_dim(t_mul(dev, dev), dim, keepdim), dof > 0 ? dof : 0);
    return t_to_dtype(root ? t_sqrt(v) : v, x->dtype);
}

/* x as one dim of all its elements, for the whole-tensor variance. */
static Tensor *flat(Tensor *x) {
    Shape s = {1, {t_numel(x)}};
    return t_reshape_shape(x, s);
}

Tensor *t_var_dim(Tensor *x, int dim, bool keepdim, int correction) {
    return variance("t_var_dim", x, dim, keepdim, correction, false);
}

Tensor *t_std_dim(Tensor *x, int dim, bool keepdim, int correction) {
    return variance("t_std_dim", x, dim, keepdim, correction, true);
}

Tensor *t_var(Tensor *x) {
    t_check_alive("t_var", x);
    need_floating("t_var", x);
    return variance("t_var", flat(x), 0, false, 1, false);
}

Tensor *t_std(Tensor *x) {
    t_check_alive("t_std", x);
    need_floating("t_std", x);
    return variance("t_std", flat(x), 0, false, 1, true);
}

/* softmax or log-softmax along dim, fused in the device's primitive. */
static Tensor *softmax(const char *op, Tensor *x, int dim, bool log) {
    t_check_alive(op, x);
    need_floating(op, x);
    Reduction r = over_dim(op, x, dim, true);
    bool grad_mode = t_no_grad_enter_();
    Tensor *xc = t_contiguous(x);
    t_no_grad_exit_(grad_mode);
    Tensor *out = t_new(t_shape_of(x), x->dtype, x->device);
    t_backend(x->device)->softmax(out, xc, r.outer, r.n, r.inner, log);
    t_grad_record_softmax(out, x, t_check_dim(op, dim, x->ndim), log);
    return out;
}

Tensor *t_softmax(Tensor *x, int dim) { return softmax("t_softmax", x, dim, false); }
Tensor *t_log_softmax(Tensor *x, int dim) { return softmax("t_log_softmax", x, dim, true); }
