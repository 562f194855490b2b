"""ctorch's elementwise ops against PyTorch: unary, scalar, binary (broadcast, mixed dtypes),
comparisons, where, fill_, zero_ and copy_, in place and not. ctorch's result must have torch's
dtype, shape and values: rtol 1e-5 for float32, 1e-12 for float64, exact for integers and
bools. Inputs are seeded; each op and dtype is one test case (see oracle_support.py).
"""
import math

import numpy as np
import pytest
import torch

from oracle_support import (ALL, BOOL, F32, F64, FLOATS, I32, I64, INTS, L, NAMES, NUMBERS, U8,
                            Cases, check_base, check_result, ffi, float_atol, layouts, pair,
                            run_case, torch_scalar, values)

CASES = Cases()

# Past the CPU kernels' thresholds for threads, with lengths that leave a vector remainder.
LARGE = (3, 33337)
UNARY_SHAPES = [(), (7,), (3, 4), (2, 3, 5), (0, 3), LARGE]


def unary_check(name, th_fn, dtype, domain, params=(), inplace=False, rtol=None):
    """Checks the ctorch op name(x, *params) against th_fn(x) over shapes and layouts."""
    def check(rng, fails):
        for shape in UNARY_SHAPES:
            for layout in layouts(shape):
                x = values(rng, dtype, shape, domain)
                p = pair(x, layout)
                label = f"{name}({NAMES[dtype]}{list(shape)} {layout}) params={params}"
                if inplace:
                    def run():
                        out = L.call(name, p.ct, *params)
                        assert out.ptr == p.ct.ptr, f"{label}: did not return its operand"
                        th_fn(p.th)
                        check_result(p.ct, p.th, label, rtol)
                        check_base(p, label)
                else:
                    def run():
                        check_result(L.call(name, p.ct, *params), th_fn(p.th), label, rtol,
                                     float_atol([dtype], x))
                fails.run(label, run)
    return check


FLOAT_UNARY = {  # name -> (torch function, value domain)
    "exp": (torch.exp, "exp"), "log": (torch.log, "pos"), "sqrt": (torch.sqrt, "pos"),
    "sin": (torch.sin, "any"), "cos": (torch.cos, "any"), "tanh": (torch.tanh, "any"),
    "sigmoid": (torch.sigmoid, "exp"),
}
SIGNED_UNARY = {"neg": torch.neg, "abs": torch.abs, "relu": torch.relu}

for _name, (_fn, _dom) in FLOAT_UNARY.items():
    for _dt in NUMBERS:
        _d = _dom if _dt in FLOATS else ("pos" if _dom == "pos" else "small")
        CASES.add(f"t_{_name}-{NAMES[_dt]}", [f"t_{_name}"],
                  unary_check(f"t_{_name}", _fn, _dt, _d))
    for _dt in FLOATS:
        CASES.add(f"t_{_name}_-{NAMES[_dt]}", [f"t_{_name}_"],
                  unary_check(f"t_{_name}_", getattr(torch.Tensor, _name + "_"), _dt, _dom,
                              inplace=True))
for _name, _fn in SIGNED_UNARY.items():
    for _dt in NUMBERS:
        CASES.add(f"t_{_name}-{NAMES[_dt]}", [f"t_{_name}"],
                  unary_check(f"t_{_name}", _fn, _dt, "any"))
        CASES.add(f"t_{_name}_-{NAMES[_dt]}", [f"t_{_name}_"],
                  unary_check(f"t_{_name}_", getattr(torch.Tensor, _name + "_"), _dt, "any",
                              inplace=True))

CLAMP_BOUNDS = {F32: [(-0.5, 0.5), (-math.inf, 0.3), (0.1, math.inf), (2.0, 1.0)],
                F64: [(-0.5, 0.5), (-math.inf, 0.3), (0.1, math.inf)],
                I64: [(-3, 5), (-100, 0)], I32: [(-3, 5), (0, 1000)], U8: [(3, 200), (0, 10)]}
for _dt, _bounds in CLAMP_BOUNDS.items():
    for _lo, _hi in _bounds:
        def _th_clamp(x, lo=_lo, hi=_hi, dt=_dt):
            if dt in INTS:
                return torch.clamp(x, int(lo), int(hi))
            return torch.clamp(x, None if lo == -math.inf else lo, None if hi == math.inf else hi)

        def _th_clamp_(x, lo=_lo, hi=_hi, dt=_dt):
            x.copy_(_th_clamp(x, lo, hi, dt))
        CASES.add(f"t_clamp-{NAMES[_dt]}-[{_lo},{_hi}]", ["t_clamp"],
                  unary_check("t_clamp", _th_clamp, _dt, "any", (_lo, _hi)))
        CASES.add(f"t_clamp_-{NAMES[_dt]}-[{_lo},{_hi}]", ["t_clamp_"],
                  unary_check("t_clamp_", _th_clamp_, _dt, "any", (_lo, _hi), inplace=True))

# ---- scalar ops ----

SCALARS = {F32: [2.5, -1.0, 0.0, 1e10], F64: [2.5, -1.0, 0.0, 1e10],
           I64: [3, -2, 0, 2.5], I32: [3, -2, 2.5], U8: [3, 2.5], BOOL: [1, 2, 0.5]}
POW_SCALARS = {F32: [2, 0.5, -1, 3, 0], F64: [2, 0.5, -1.5, 3], I64: [0, 1, 2, 3, 0.5, -1],
               I32: [2, 3, -2], U8: [2, 3]}
SCALAR_OPS = {  # name -> (torch function, dtypes)
    "add_s": (torch.add, ALL), "sub_s": (torch.sub, NUMBERS),
    "rsub_s": (lambda x, s: s - x, NUMBERS), "mul_s": (torch.mul, ALL),
    "div_s": (torch.div, ALL), "pow_s": (torch.pow, NUMBERS),
    "eq_s": (torch.eq, ALL), "ne_s": (torch.ne, ALL), "lt_s": (torch.lt, ALL),
    "le_s": (torch.le, ALL), "gt_s": (torch.gt, ALL), "ge_s": (torch.ge, ALL),
}


def scalar_check(name, th_fn, dtype, scalars, inplace=False):
    """Checks name(x, s) against th_fn(x, s) for each scalar s."""
    def check(rng, fails):
        for s in scalars:
            domain = "small" if "pow" in name else "any"
            # torch refuses integer tensors to negative integer powers; ctorch computes those
            # in float, as torch does for a float exponent.
            keep = not ("pow" in name and s < 0)
            ts = torch_scalar(s, keep)
            for shape in [(), (7,), (3, 4), (2, 3, 5), LARGE]:
                for layout in layouts(shape):
                    x = values(rng, dtype, shape, domain)
                    p = pair(x, layout)
                    label = f"{name}({NAMES[dtype]}{list(shape)} {layout}, {s})"
                    if inplace:
                        def run():
                            out = L.call(name, p.ct, float(s))
                            assert out.ptr == p.ct.ptr, f"{label}: did not return its operand"
                            p.th.copy_(th_fn(p.th, ts))
                            check_result(p.ct, p.th, label)
                            check_base(p, label)
                    else:
                        def run():
                            check_result(L.call(name, p.ct, float(s)), th_fn(p.th, ts), label,
                                         atol=float_atol([dtype], x))
                    fails.run(label, run)
    return check


for _name, (_fn, _dts) in SCALAR_OPS.items():
    for _dt in _dts:
        _sc = POW_SCALARS[_dt] if _name == "pow_s" else SCALARS[_dt]
        CASES.add(f"t_{_name}-{NAMES[_dt]}", [f"t_{_name}"],
                  scalar_check(f"t_{_name}", _fn, _dt, _sc))
for _name in ["add_s", "sub_s", "mul_s", "div_s", "pow_s"]:
    _fn = SCALAR_OPS[_name][0]
    for _dt in FLOATS + [I64]:
        _sc = POW_SCALARS[_dt] if _name == "pow_s" else SCALARS[_dt]
        if _dt == I64:  # in place keeps the dtype: only whole, non-negative scalars
            if _name == "div_s":
                continue
            _sc = [s for s in _sc if float(s).is_integer() and s >= 0]
        CASES.add(f"t_{_name}_-{NAMES[_dt]}", [f"t_{_name}_"],
                  scalar_check(f"t_{_name}_", _fn, _dt, _sc, inplace=True))

# ---- binary ops ----

BINARY_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (3, 2)),
                 ((5,), ()), ((0, 3), (3,)), ((4, 1), (1, 5)), (LARGE, LARGE),
                 (LARGE, LARGE[-1:]), ((LARGE[0], 1), LARGE)]
BINARY_OPS = {  # name -> (torch function, dtypes, value domain)
    "add": (torch.add, ALL, "any"), "sub": (torch.sub, NUMBERS, "any"),
    "mul": (torch.mul, ALL, "any"), "div": (torch.div, ALL, "any"),
    "pow": (torch.pow, NUMBERS, "small"), "maximum": (torch.maximum, ALL, "any"),
    "minimum": (torch.minimum, ALL, "any"),
    "eq": (torch.eq, ALL, "any"), "ne": (torch.ne, ALL, "any"), "lt": (torch.lt, ALL, "any"),
    "le": (torch.le, ALL, "any"), "gt": (torch.gt, ALL, "any"), "ge": (torch.ge, ALL, "any"),
}


def binary_values(rng, name, dtype, shape, domain, is_exponent):
    """Operands for a binary op; comparisons get many equal pairs, pow small exponents."""
    if name == "pow" and is_exponent:
        if dtype in FLOATS:
            return rng.uniform(-2, 2, shape).astype(ffi.NUMPY_DTYPES[dtype])
        return rng.integers(0, 4, shape).astype(ffi.NUMPY_DTYPES[dtype])
    if name in ("eq", "ne", "lt", "le", "gt", "ge", "maximum", "minimum") and dtype != BOOL:
        return rng.integers(-2, 3, shape).astype(ffi.NUMPY_DTYPES[dtype]) if dtype != U8 else \
            rng.integers(0, 3, shape).astype(np.uint8)
    return values(rng, dtype, shape, domain)


def binary_check(name, th_fn, dta, dtb, domain, inplace=False, shapes=BINARY_SHAPES):
    """Checks name(a, b) against th_fn(a, b) over broadcast shape pairs and layouts of each
    operand."""
    def check(rng, fails):
        for sa, sb in shapes:
            if inplace and np.broadcast_shapes(sa, sb) != tuple(sa):
                continue
            combos = [(la, "contig") for la in layouts(sa)] + \
                     [("contig", lb) for lb in layouts(sb)[1:]]
            for la, lb in combos:
                a = binary_values(rng, name, dta, sa, domain, False)
                b = binary_values(rng, name, dtb, sb, domain, True)
                pa, pb = pair(a, la), pair(b, lb)
                label = (f"{name}({NAMES[dta]}{list(sa)} {la}, {NAMES[dtb]}{list(sb)} {lb})")
                if inplace:
                    def run():
                        out = L.call(name, pa.ct, pb.ct)
                        assert out.ptr == pa.ct.ptr, f"{label}: did not return its operand"
                        th_fn(pa.th, pb.th)
                        check_result(pa.ct, pa.th, label)
                        check_base(pa, label)
                else:
                    def run():
                        check_result(L.call(name, pa.ct, pb.ct), th_fn(pa.th, pb.th), label,
                                     atol=float_atol([dta, dtb], a, b))
                fails.run(label, run)
    return check


for _name, (_fn, _dts, _dom) in BINARY_OPS.items():
    for _dt in _dts:
        CASES.add(f"t_{_name}-{NAMES[_dt]}", [f"t_{_name}"],
                  binary_check(f"t_{_name}", _fn, _dt, _dt, _dom))
for _name in ["add", "sub", "mul", "div", "pow"]:
    for _dt in FLOATS + [I64]:
        if _dt == I64 and _name == "div":
            continue
        CASES.add(f"t_{_name}_-{NAMES[_dt]}", [f"t_{_name}_"],
                  binary_check(f"t_{_name}_", getattr(torch.Tensor, _name + "_"), _dt, _dt,
                               BINARY_OPS[_name][2], inplace=True))

# Mixed dtypes promote as torch does (bool < u8 < i32 < i64 < f32 < f64), 0-d operands only
# when of a higher category.
MIXED = [(I64, F32), (U8, I32), (BOOL, U8), (I32, F64), (F32, F64), (BOOL, F32), (U8, I64)]
MIXED_SHAPES = [((3, 4), (3, 4)), ((2, 3), ()), ((), (4,))]
for _name in ["add", "mul", "div", "maximum", "eq", "lt"]:
    for _da, _db in MIXED:
        CASES.add(f"t_{_name}-{NAMES[_da]}+{NAMES[_db]}", [f"t_{_name}"],
                  binary_check(f"t_{_name}", BINARY_OPS[_name][0], _da, _db, "any",
                               shapes=MIXED_SHAPES))
        CASES.add(f"t_{_name}-{NAMES[_db]}+{NAMES[_da]}", [f"t_{_name}"],
                  binary_check(f"t_{_name}", BINARY_OPS[_name][0], _db, _da, "any",
                               shapes=MIXED_SHAPES))
for _da, _db in [(F32, I64), (F64, F32), (I64, BOOL), (I32, U8)]:
    CASES.add(f"t_add_-{NAMES[_da]}+{NAMES[_db]}", ["t_add_"],
              binary_check("t_add_", torch.Tensor.add_, _da, _db, "any", inplace=True,
                           shapes=MIXED_SHAPES[:2]))

# ---- where, fill_, zero_, copy_ ----


def where_check(dta, dtb):
    """t_where(cond, a, b) over broadcast triples and layouts of a."""
    def check(rng, fails):
        for sc, sa, sb in [((3, 4), (3, 4), (3, 4)), ((3, 1), (1, 4), (4,)), ((2, 3), (), (2, 3)),
                           ((), (3,), (2, 1))]:
            for la in layouts(sa):
                c = pair(rng.random(sc) < 0.5)
                pa = pair(values(rng, dta, sa), la)
                pb = pair(values(rng, dtb, sb))
                label = f"t_where({list(sc)}, {NAMES[dta]}{list(sa)} {la}, {NAMES[dtb]}{list(sb)})"
                fails.run(label, lambda: check_result(L.call("t_where", c.ct, pa.ct, pb.ct),
                                                      torch.where(c.th, pa.th, pb.th), label))
    return check


for _dt in ALL:
    CASES.add(f"t_where-{NAMES[_dt]}", ["t_where"], where_check(_dt, _dt))
for _da, _db in [(F32, F64), (I64, F32), (U8, BOOL)]:
    CASES.add(f"t_where-{NAMES[_da]}+{NAMES[_db]}", ["t_where"], where_check(_da, _db))

FILL_VALUES = {F32: [1.5, -0.0, 1e30], F64: [1.5, -2.25, 1e300], I64: [7, -3, 2**40],
               I32: [7, -3], U8: [7, 255], BOOL: [0, 1]}


def fill_check(dtype, name):
    """t_fill_ / t_zero_ on every layout: the view's elements change and nothing else."""
    def check(rng, fails):
        for v in FILL_VALUES[dtype] if name == "t_fill_" else [0]:
            for shape in [(), (7,), (3, 4), (2, 3, 5)]:
                for layout in layouts(shape):
                    p = pair(values(rng, dtype, shape), layout)
                    label = f"{name}({NAMES[dtype]}{list(shape)} {layout}, {v})"

                    def run():
                        out = L.call(name, p.ct, float(v)) if name == "t_fill_" else \
                            L.call(name, p.ct)
                        assert out.ptr == p.ct.ptr, f"{label}: did not return its operand"
                        p.th.fill_(v)
                        check_result(p.ct, p.th, label)
                        check_base(p, label)
                    fails.run(label, run)
    return check


for _dt in ALL:
    CASES.add(f"t_fill_-{NAMES[_dt]}", ["t_fill_"], fill_check(_dt, "t_fill_"))
    CASES.add(f"t_zero_-{NAMES[_dt]}", ["t_zero_"], fill_check(_dt, "t_zero_"))


def copy_check(dst_dt, src_dt):
    """t_copy_(dst, src): src broadcast and cast into dst, through views of dst."""
    def check(rng, fails):
        for sd, ss in [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 3, 5), (3, 1)), ((3, 4), ())]:
            for layout in layouts(sd):
                p = pair(values(rng, dst_dt, sd), layout)
                src = values(rng, src_dt, ss)
                if src_dt in FLOATS and dst_dt in INTS + [BOOL]:
                    src = np.abs(src) % 100  # in range of every integer dtype
                    src.flat[0:1] = 0
                s = pair(src)
                label = f"t_copy_({NAMES[dst_dt]}{list(sd)} {layout}, {NAMES[src_dt]}{list(ss)})"

                def run():
                    out = L.call("t_copy_", p.ct, s.ct)
                    assert out.ptr == p.ct.ptr, f"{label}: did not return its operand"
                    p.th.copy_(s.th)
                    check_result(p.ct, p.th, label)
                    check_base(p, label)
                fails.run(label, run)
    return check


for _dd, _ds in [(F32, F32), (F64, F32), (F32, F64), (I64, F32), (I32, F64), (U8, F32),
                 (BOOL, F32), (F32, BOOL), (I64, I32), (F32, U8), (U8, I64), (BOOL, I64)]:
    CASES.add(f"t_copy_-{NAMES[_dd]}<-{NAMES[_ds]}", ["t_copy_"], copy_check(_dd, _ds))


def test_ffi_keeps_tensors_alive():
    """The binding's root cells keep tensors alive across collections; read back values are
    the ones written (a collected tensor's memory would be reused by the new allocations)."""
    x = np.arange(4096, dtype=np.float64).reshape(64, 64)
    held = L.call("t_transpose", L.tensor(x), 0, 1)
    for _ in range(3):
        L.collect()
        [L.tensor(np.full((64, 64), -1.0)) for _ in range(50)]
    np.testing.assert_array_equal(L.numpy(held), x.T)



@pytest.mark.parametrize("check", CASES.params)
def test_op(check):
    """One op over one dtype (or dtype pair), every variant against torch."""
    run_case(check)
