/* gradcheck.c — analytic gradients (by backward) against central finite differences, entry by
   entry of the Jacobian, as torch.autograd.gradcheck does. */
#include <math.h>

#include "internal.h"

/* PyTorch's gradcheck defaults. */
#define GRADCHECK_EPS 1e-6
#define GRADCHECK_ATOL 1e-5
#define GRADCHECK_RTOL 1e-3

/* The multi-index of element k (row-major) of a tensor of shape s. */
static Shape unravel(Shape s, int64_t k) {
    Shape idx = {s.ndim, {0}};
    for (int d = s.ndim - 1; d >= 0; d--) {
        idx.d[d] = s.d[d] ? k % s.d[d] : 0;
        k = s.d[d] ? k / s.d[d] : 0;
    }
    return idx;
}

/* f's output, flattened, computed without recording. */
static Tensor *eval_flat(GradcheckFn f, TensorList in, void *ctx) {
    Tensor *y = NULL;
    T_NO_GRAD { y = t_reshape(t_contiguous(f(in, ctx)), -1); }
    return y;
}

/* Column k of the numeric Jacobian for input x: (f(x + eps) - f(x - eps)) / 2 eps. */
static Tensor *numeric_column(GradcheckFn f, TensorList in, void *ctx, Tensor *x, Shape at) {
    double v = t_get_at(x, at);
    Tensor *plus, *minus;
    T_NO_GRAD { t_set_at(x, v + GRADCHECK_EPS, at); }
    plus = eval_flat(f, in, ctx);
    T_NO_GRAD { t_set_at(x, v - GRADCHECK_EPS, at); }
    minus = eval_flat(f, in, ctx);
    T_NO_GRAD { t_set_at(x, v, at); }
    return t_div_s(t_sub(t_to_dtype(plus, T_F64), t_to_dtype(minus, T_F64)), 2 * GRADCHECK_EPS);
}

bool t_gradcheck(GradcheckFn f, TensorList in, void *ctx) {
    for (int i = 0; i < in.n; i++)
        if (in.items[i]->requires_grad && in.items[i]->dtype != T_F64)
            t_raise(T_ERR_DTYPE, "t_gradcheck: input %d is %s; finite differences need float64 "
                    "inputs (t_to_dtype(x, T_F64))", i, t_dtype_name(in.items[i]->dtype));
    Tensor *y0 = eval_flat(f, in, ctx);
    int64_t m = t_numel(y0);
    for (int i = 0; i < in.n; i++) {
        Tensor *x = in.items[i];
        if (!x->requires_grad) continue;
        int64_t nx = t_numel(x);
        /* analytic Jacobian rows: one backward per output element */
        Tensor *jac = t_zeros_dt(T_F64, m, nx);
        for (int64_t j = 0; j < m; j++) {
            for (int k = 0; k < in.n; k++) t_zero_grad(in.items[k]);
            Tensor *y = f(in, ctx);
            if (!y->requires_grad) break; /* output independent of the inputs: all zeros */
            Tensor *onehot = t_zeros_like(y);
            t_set_at(onehot, 1, unravel(t_shape(y), j));
            t_backward_grad(y, onehot);
            Tensor *g = t_grad(x);
            if (g) t_copy_(t_select(jac, 0, j), t_reshape(g, -1));
        }
        for (int64_t k = 0; k < nx; k++) {
            Shape at = unravel(t_shape(x), k);
            Tensor *col = numeric_column(f, in, ctx, x, at);
            for (int64_t j = 0; j < m; j++) {
                double num = t_get(col, j), ana = t_get(jac, j, k);
                if (fabs(num - ana) > GRADCHECK_ATOL + GRADCHECK_RTOL * fabs(num))
                    t_raise(T_ERR_AUTOGRAD, "t_gradcheck: Jacobian mismatch for output %lld with "
                            "respect to input %d, element %lld: numerical %.10g, analytical %.10g",
                            (long long)j, i, (long long)k, num, ana);
            }
        }
    }
    for (int k = 0; k < in.n; k++) t_zero_grad(in.items[k]);
    return true;
}
