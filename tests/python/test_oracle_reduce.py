"""ctorch's reductions, softmax and matrix product against PyTorch, over every dim (negative
ones too), keepdim both ways, contiguous and non-contiguous inputs, NaNs where torch defines
what wins, and every dtype each op takes (see oracle_support.py).
"""
import ctypes
import itertools

import numpy as np
import pytest
import torch

from oracle_support import (ALL, ATOL_OVER_RTOL, F32, F64, FLOATS, I32, I64, INTS, L, NAMES,
                            NUMBERS, RTOL, Cases, check_result, float_atol, layouts, pair,
                            run_case, sum_atol, values)

CASES = Cases()


# ---------------------------------------------------------------------------------------
# Reductions and softmax
# ---------------------------------------------------------------------------------------

def element_atol(dtype, x, dim=None, keepdim=False):
    """The absolute tolerance of results at the scale of single elements (max, var, ...)."""
    return float_atol([dtype], x)


# The last two pass the CPU kernels' thresholds for threads, along rows and down columns.
REDUCE_SHAPES = [(), (7,), (3, 4), (2, 3, 5), (1, 6), (40009,), (3, 40009)]



def reduce_all_check(name, th_fn, dtype, domain="any", empty_ok=False, atol_fn=sum_atol,
                     rtol=None):
    """A whole-tensor reduction name(x) against th_fn(x); atol_fn(dtype, x) gives the
    absolute tolerance."""
    def check(rng, fails):
        shapes = REDUCE_SHAPES + ([(0, 3)] if empty_ok else [])
        for shape in shapes:
            for layout in layouts(shape):
                x = values(rng, dtype, shape, domain)
                p = pair(x, layout)
                label = f"{name}({NAMES[dtype]}{list(shape)} {layout})"
                atol = atol_fn(dtype, x)
                fails.run(label, lambda: check_result(L.call(name, p.ct), th_fn(p.th), label,
                                                      rtol, atol))
    return check


def reduce_dim_check(name, th_fn, dtype, domain="any", extra=(), empty_ok=False,
                     atol_fn=sum_atol, rtol=None):
    """A reduction over one dim, name(x, dim, keepdim, *extra), against th_fn(x, dim, keepdim)
    for every dim (negative ones too) and both keepdims."""
    def check(rng, fails):
        shapes = REDUCE_SHAPES + ([(0, 3)] if empty_ok else [])
        for shape in shapes:
            n = max(len(shape), 1)
            for dim, keep, layout in itertools.product(range(-n, n), [False, True],
                                                       layouts(shape)):
                x = values(rng, dtype, shape, domain)
                p = pair(x, layout)
                label = f"{name}({NAMES[dtype]}{list(shape)} {layout}, dim={dim}, keepdim={keep})"
                atol = atol_fn(dtype, x, dim, keep)
                fails.run(label, lambda: check_result(L.call(name, p.ct, dim, keep, *extra),
                                                      th_fn(p.th, dim, keep), label, rtol, atol))
    return check


def mean_atol(dtype, x, dim=None, keepdim=False):
    """The absolute tolerance of a mean: a sum's, over the count."""
    count = x.size if dim is None or x.ndim == 0 else x.shape[dim]
    return sum_atol(dtype, x, dim, keepdim) / max(count, 1)


# A product of n float32 values drifts by about sqrt(n) roundings with the order of the
# multiplications: 40009 of them need more than RTOL's 1e-5.
PROD_RTOL = {F32: 1e-4, F64: RTOL[F64]}


def no_atol(dtype, x, dim=None, keepdim=False):
    """No absolute slack: products round relatively."""
    return 0.0


for _dt in ALL:
    CASES.add(f"t_sum-{NAMES[_dt]}", ["t_sum"],
              reduce_all_check("t_sum", torch.sum, _dt, "sum", empty_ok=True))
    CASES.add(f"t_sum_dim-{NAMES[_dt]}", ["t_sum_dim"],
              reduce_dim_check("t_sum_dim", lambda x, d, k: torch.sum(x, d, keepdim=k), _dt,
                               "sum", empty_ok=True))
    CASES.add(f"t_prod-{NAMES[_dt]}", ["t_prod"],
              reduce_all_check("t_prod", torch.prod, _dt, "prod", empty_ok=True,
                               atol_fn=no_atol, rtol=PROD_RTOL.get(_dt)))
    CASES.add(f"t_prod_dim-{NAMES[_dt]}", ["t_prod_dim"],
              reduce_dim_check("t_prod_dim", lambda x, d, k: torch.prod(x, d, keepdim=k), _dt,
                               "prod", empty_ok=True, atol_fn=no_atol, rtol=PROD_RTOL.get(_dt)))
    CASES.add(f"t_max-{NAMES[_dt]}", ["t_max"],
              reduce_all_check("t_max", torch.max, _dt, atol_fn=element_atol))
    CASES.add(f"t_min-{NAMES[_dt]}", ["t_min"],
              reduce_all_check("t_min", torch.min, _dt, atol_fn=element_atol))
for _dt in FLOATS:
    CASES.add(f"t_mean-{NAMES[_dt]}", ["t_mean"],
              reduce_all_check("t_mean", torch.mean, _dt, "sum", empty_ok=True,
                               atol_fn=mean_atol))
    CASES.add(f"t_mean_dim-{NAMES[_dt]}", ["t_mean_dim"],
              reduce_dim_check("t_mean_dim", lambda x, d, k: torch.mean(x, d, keepdim=k), _dt,
                               "sum", empty_ok=True, atol_fn=mean_atol))
    CASES.add(f"t_var-{NAMES[_dt]}", ["t_var"],
              reduce_all_check("t_var", torch.var, _dt, atol_fn=element_atol))
    CASES.add(f"t_std-{NAMES[_dt]}", ["t_std"],
              reduce_all_check("t_std", torch.std, _dt, atol_fn=element_atol))
    for _corr in [0, 1]:
        CASES.add(f"t_var_dim-{NAMES[_dt]}-correction{_corr}", ["t_var_dim"],
                  reduce_dim_check("t_var_dim",
                                   lambda x, d, k, c=_corr: torch.var(x, d, unbiased=bool(c),
                                                                      keepdim=k),
                                   _dt, extra=(_corr,), atol_fn=element_atol))
        CASES.add(f"t_std_dim-{NAMES[_dt]}-correction{_corr}", ["t_std_dim"],
                  reduce_dim_check("t_std_dim",
                                   lambda x, d, k, c=_corr: torch.std(x, d, unbiased=bool(c),
                                                                      keepdim=k),
                                   _dt, extra=(_corr,), atol_fn=element_atol))
for _dt in NUMBERS:
    CASES.add(f"t_argmax-{NAMES[_dt]}", ["t_argmax"],
              reduce_all_check("t_argmax", torch.argmax, _dt))
    CASES.add(f"t_argmin-{NAMES[_dt]}", ["t_argmin"],
              reduce_all_check("t_argmin", torch.argmin, _dt))
    CASES.add(f"t_argmax_dim-{NAMES[_dt]}", ["t_argmax_dim"],
              reduce_dim_check("t_argmax_dim", lambda x, d, k: torch.argmax(x, d, keepdim=k), _dt))
    CASES.add(f"t_argmin_dim-{NAMES[_dt]}", ["t_argmin_dim"],
              reduce_dim_check("t_argmin_dim", lambda x, d, k: torch.argmin(x, d, keepdim=k), _dt))


def extremum_dim_check(name, th_fn, dtype, with_nan=False):
    """t_max_dim / t_min_dim: values and int64 indices, for every dim and keepdim; with_nan
    puts a NaN in the input, which wins as in torch."""
    def check(rng, fails):
        for shape in REDUCE_SHAPES:
            n = max(len(shape), 1)
            for dim, keep, layout in itertools.product(range(-n, n), [False, True],
                                                       layouts(shape)):
                x = values(rng, dtype, shape)
                if with_nan and x.size > 2:
                    x.flat[x.size // 2] = np.nan
                p = pair(x, layout)
                label = f"{name}({NAMES[dtype]}{list(shape)} {layout}, dim={dim}, keepdim={keep})"

                def run():
                    idx = ctypes.c_void_p()
                    got = L.call(name, p.ct, dim, keep, ctypes.byref(idx))
                    want = th_fn(p.th, dim, keepdim=keep)
                    check_result(got, want.values, label + " values")
                    check_result(L.wrap(idx.value), want.indices, label + " indices")
                    plain = L.call(name, p.ct, dim, keep, None)
                    check_result(plain, want.values, label + " values, indices NULL")
                fails.run(label, run)
    return check


for _dt in ALL:
    CASES.add(f"t_max_dim-{NAMES[_dt]}", ["t_max_dim"],
              extremum_dim_check("t_max_dim", torch.max, _dt))
    CASES.add(f"t_min_dim-{NAMES[_dt]}", ["t_min_dim"],
              extremum_dim_check("t_min_dim", torch.min, _dt))
for _dt in FLOATS:
    CASES.add(f"t_max_dim-{NAMES[_dt]}-nan", ["t_max_dim"],
              extremum_dim_check("t_max_dim", torch.max, _dt, with_nan=True))
    CASES.add(f"t_min_dim-{NAMES[_dt]}-nan", ["t_min_dim"],
              extremum_dim_check("t_min_dim", torch.min, _dt, with_nan=True))


def nan_all_check(name, th_fn, dtype):
    """A whole-tensor max/min/argmax/argmin of an input holding a NaN."""
    def check(rng, fails):
        for shape in [(7,), (3, 4), (2, 3, 5)]:
            for layout in layouts(shape):
                x = values(rng, dtype, shape)
                x.flat[x.size // 3] = np.nan
                p = pair(x, layout)
                label = f"{name}({NAMES[dtype]}{list(shape)} {layout} with NaN)"
                fails.run(label, lambda: check_result(L.call(name, p.ct), th_fn(p.th), label))
    return check


for _dt in FLOATS:
    for _name, _fn in [("t_max", torch.max), ("t_min", torch.min), ("t_argmax", torch.argmax),
                       ("t_argmin", torch.argmin)]:
        CASES.add(f"{_name}-{NAMES[_dt]}-nan", [_name], nan_all_check(_name, _fn, _dt))


def softmax_check(name, th_fn, dtype):
    """softmax / log_softmax along every dim, with large logits that need the max shift."""
    def check(rng, fails):
        for shape in [(), (5,), (3, 4), (2, 3, 5), (4, 1), (3, 40009), (301, 257)]:
            n = max(len(shape), 1)
            for dim, layout in itertools.product(range(-n, n), layouts(shape)):
                x = values(rng, dtype, shape, "exp")
                if x.size > 3:
                    x.flat[1], x.flat[2] = 1000.0, -1000.0
                p = pair(x, layout)
                label = f"{name}({NAMES[dtype]}{list(shape)} {layout}, dim={dim})"
                # log_softmax subtracts terms as large as x: allow rounding at x's scale.
                atol = float_atol([dtype], x) if "log" in name else RTOL[dtype] * ATOL_OVER_RTOL
                fails.run(label, lambda: check_result(L.call(name, p.ct, dim), th_fn(p.th, dim),
                                                      label, atol=atol))
    return check


for _dt in FLOATS:
    CASES.add(f"t_softmax-{NAMES[_dt]}", ["t_softmax"],
              softmax_check("t_softmax", torch.softmax, _dt))
    CASES.add(f"t_log_softmax-{NAMES[_dt]}", ["t_log_softmax"],
              softmax_check("t_log_softmax", torch.log_softmax, _dt))

# ---------------------------------------------------------------------------------------
# Matrix product
# ---------------------------------------------------------------------------------------

MATMUL_SHAPES = [((257, 129), (129, 263)), ((5,), (5,)), ((3, 4), (4, 5)), ((4,), (4, 3)),
                 ((3, 4), (4,)),
                 ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((3, 4), (2, 4, 5)),
                 ((1, 1), (1, 1)), ((64, 300), (300, 50)), ((3, 0), (0, 4)),
                 ((16, 40, 50), (16, 50, 60))]  # a batch big enough to share the threads


def matmul_check(dtype):
    """t_matmul over 1-D, 2-D and broadcast batched operands, each transposed or sliced."""
    def check(rng, fails):
        for sa, sb in MATMUL_SHAPES:
            combos = [(la, "contig") for la in layouts(sa)] + \
                     [("contig", lb) for lb in layouts(sb)[1:]]
            if len(sa) >= 2 and len(sb) >= 2:
                combos.append(("transposed", "transposed"))
            for la, lb in combos:
                a = values(rng, dtype, sa, "small" if dtype in INTS else "any")
                b = values(rng, dtype, sb, "small" if dtype in INTS else "any")
                if dtype in FLOATS:  # keep magnitudes moderate: GEMM sums k products
                    a, b = np.clip(a, -1e3, 1e3), np.clip(b, -1e3, 1e3)
                pa, pb = pair(a, la), pair(b, lb)
                label = f"t_matmul({NAMES[dtype]}{list(sa)} {la}, {list(sb)} {lb})"

                def run():
                    want = torch.matmul(pa.th, pb.th)
                    mag = torch.matmul(pa.th.abs(), pb.th.abs()) if dtype in FLOATS else None
                    atol = RTOL[dtype] * float(mag.max()) if mag is not None and mag.numel() \
                        else 0.0
                    check_result(L.call("t_matmul", pa.ct, pb.ct), want, label, atol=atol)
                fails.run(label, run)
    return check


for _dt in [F32, F64, I64, I32]:
    CASES.add(f"t_matmul-{NAMES[_dt]}", ["t_matmul"], matmul_check(_dt))



@pytest.mark.parametrize("check", CASES.params)
def test_op(check):
    """One op over one dtype (or dtype pair), every variant against torch."""
    run_case(check)
