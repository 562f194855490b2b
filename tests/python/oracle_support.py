"""What the oracle tests (test_oracle_*.py) share: inputs given to ctorch and PyTorch in the
same layouts, result comparison, and the registry of test cases.

Each test file registers cases (an op over one dtype, say) with Cases.add; a case checks every
variant (shapes, layouts, parameters) and reports all that differ from torch. Cases whose ops
the library does not define yet are xfail ("not built yet") at collection time.

PyTorch 1.13 (Debian's python3-torch) is the oracle. Every input is valid: a t_raise with no
handler ends the test process (misuse is tested in C).
"""
import pathlib
import sys

import numpy as np
import pytest
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import ctorch_ffi as ffi  # noqa: E402

try:
    L = ffi.load()
except FileNotFoundError as err:
    pytest.skip(str(err), allow_module_level=True)

SEED = 1234
F32, F64, I64, I32, U8, BOOL = ffi.F32, ffi.F64, ffi.I64, ffi.I32, ffi.U8, ffi.BOOL
FLOATS = [F32, F64]
INTS = [I64, I32, U8]
NUMBERS = FLOATS + INTS
ALL = NUMBERS + [BOOL]
NAMES = ffi.DTYPE_NAMES
TORCH_DTYPES = [torch.float32, torch.float64, torch.int64, torch.int32, torch.uint8, torch.bool]
# Relative tolerance of each floating dtype; integers and bools compare exactly.
RTOL = {F32: 1e-5, F64: 1e-12}
# Absolute slack for results that cross zero, as a multiple of RTOL.
ATOL_OVER_RTOL = 1e-2
# Edge values at least this large do not set absolute tolerances (they compare relatively).
EDGE_MAGNITUDE = 1e15
FILL_VALUE = 7  # what write-through checks write into views: valid in every dtype

torch.set_num_threads(1)  # torch's reductions then sum in a fixed order


# ---------------------------------------------------------------------------------------
# Inputs: the same values as a ctorch tensor and a torch tensor, in one of several layouts.
# ---------------------------------------------------------------------------------------

class Pair:
    """One input in both libraries: ct and th are views of the bases ct_base and th_base."""

    def __init__(self, ct, th, ct_base, th_base, layout):
        self.ct, self.th, self.ct_base, self.th_base, self.layout = ct, th, ct_base, th_base, layout


def layouts(shape):
    """The layouts an input of this shape can be given in."""
    out = ["contig"]
    if len(shape) >= 2:
        out.append("transposed")
    if len(shape) >= 1 and all(shape):
        out.append("sliced")
    return out


def pair(array, layout="contig"):
    """array as ctorch and torch tensors: contiguous, as the transpose of a contiguous tensor,
    or as a strided slice (every other row, columns from 1) of a larger tensor."""
    if layout == "contig":
        base = np.ascontiguousarray(array)
        ct = L.tensor(base)
        th = torch.from_numpy(base.copy())
        return Pair(ct, th, ct, th, layout)
    if layout == "transposed":
        base = np.ascontiguousarray(np.swapaxes(array, -1, -2))
        ct_base, th_base = L.tensor(base), torch.from_numpy(base.copy())
        return Pair(L.call("t_transpose", ct_base, -1, -2), th_base.transpose(-1, -2),
                    ct_base, th_base, layout)
    if layout == "sliced":
        big = list(array.shape)
        big[0] = 2 * big[0] + 1
        if array.ndim > 1:
            big[-1] += 3
        base = np.zeros(big, array.dtype)
        base.flat[:] = np.resize(array.ravel()[::-1], base.size)  # distinct filler
        index = (slice(1, None, 2),) + (slice(None),) * (array.ndim - 2)
        if array.ndim > 1:
            index += (slice(1, 1 + array.shape[-1]),)
        base[index] = array
        ct_base, th_base = L.tensor(base), torch.from_numpy(base.copy())
        ct = L.call("t_slice", ct_base, 0, 1, ffi.T_END, 2)
        th = th_base[1::2]
        if array.ndim > 1:
            ct = L.call("t_slice", ct, -1, 1, 1 + array.shape[-1], 1)
            th = th[..., 1:1 + array.shape[-1]]
        return Pair(ct, th, ct_base, th_base, layout)
    raise ValueError(layout)


def values(rng, dtype, shape, domain="any"):
    """Random values of a ctorch dtype over a domain, with edge values mixed in for floats."""
    np_dtype = ffi.NUMPY_DTYPES[dtype]
    if dtype == BOOL:
        return rng.random(shape) < 0.5
    if dtype in INTS:
        lo, hi = {"any": (-60, 60), "small": (-3, 4), "pos": (1, 4), "prod": (-2, 3)}.get(
            domain, (-60, 60))
        if dtype == U8:
            lo, hi = (0, 256) if domain == "any" else (max(lo, 0), hi)
        return rng.integers(lo, hi, size=shape).astype(np_dtype)
    if domain == "pos":
        x = rng.uniform(1e-3, 10, shape)
        edges = [0.0, 1e-30, 1e30, 1.0]
    elif domain == "exp":
        x = rng.normal(0, 5, shape)
        edges = [0.0, -100.0, 100.0, 80.0, -0.0]
    elif domain == "small":
        x = rng.uniform(0.1, 3, shape)
        edges = [1.0, 0.5]
    elif domain == "sum":  # large values, but none that cancel each other
        x = rng.normal(0, 3, shape)
        edges = [0.0, -0.0, 1e4, 1e-20]
    elif domain == "prod":
        x = rng.uniform(0.98, 1.02, shape) * rng.choice([-1, 1], shape)  # no underflow
        edges = [1.0]
    else:
        x = rng.normal(0, 3, shape)
        edges = [0.0, -0.0, 1e20, -1e20, 1e-20]
    x = np.asarray(x, dtype=np_dtype)
    if x.size >= 2 * len(edges):
        positions = rng.choice(x.size, len(edges), replace=False)
        x.flat[positions] = edges
    return x


def torch_scalar(s, integral_keeps):
    """s as the Python number torch should see: ctorch keeps integer tensors integer for whole
    scalars (C has no int/float distinction), which torch does for Python ints."""
    return int(s) if integral_keeps and float(s).is_integer() else float(s)


# ---------------------------------------------------------------------------------------
# Comparing results
# ---------------------------------------------------------------------------------------

def check_result(ct, th, what, rtol=None, atol=0.0):
    """Asserts that the ctorch tensor ct has torch tensor th's dtype, shape and values."""
    got = L.numpy(ct)
    want = th.detach().contiguous().numpy()
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype}, torch gives {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape}, torch gives {want.shape}"
    if want.dtype.kind == "f":
        tol = rtol if rtol is not None else RTOL[NAMES.index(want.dtype.name)]
        if np.ndim(atol) == 0:
            np.testing.assert_allclose(got, want, rtol=tol, atol=atol, equal_nan=True,
                                       err_msg=what)
            return
        atol = np.broadcast_to(atol, want.shape)
        with np.errstate(invalid="ignore"):  # inf - inf: equal infinities pass below
            close = (np.abs(got.astype(np.float64) - want) <= atol + tol * np.abs(want)) | \
                (got == want) | (np.isnan(got) & np.isnan(want))
        if not close.all():  # a tolerance per element (per reduced slice, say)
            bad = ~close
            raise AssertionError(f"{what}: {bad.sum()} of {bad.size} elements differ "
                                 f"(rtol={tol:g}): got {got[bad][:8]}, torch gives "
                                 f"{want[bad][:8]}, atol {atol[bad][:8]}")
    else:
        np.testing.assert_array_equal(got, want, err_msg=what)


def float_atol(dtypes, *arrays):
    """An absolute tolerance for results that may cancel to near zero: a small fraction of the
    inputs' typical magnitude (edge values aside), at the precision of the coarsest floating
    dtype among dtypes; 0 when none is floating (integers compare exactly)."""
    floats = [d for d in dtypes if d in FLOATS]
    if not floats:
        return 0.0
    mags = np.concatenate([np.abs(a.astype(np.float64)).ravel() for a in arrays])
    typical = mags[np.isfinite(mags) & (mags < EDGE_MAGNITUDE)]
    scale = float(typical.max()) if typical.size else 1.0
    return ATOL_OVER_RTOL * max(RTOL[d] for d in floats) * scale


def sum_atol(dtype, x, dim=None, keepdim=False):
    """The absolute tolerance of a sum (summation order differs between libraries): the
    dtype's rtol of the sum of magnitudes, over everything or, given dim, per reduced slice
    (an array shaped like the result). 0 for integer and bool dtypes."""
    if dtype not in FLOATS:
        return 0.0
    mags = np.abs(x.astype(np.float64))
    if dim is None or mags.ndim == 0:
        return RTOL[dtype] * float(np.sum(mags))
    return RTOL[dtype] * np.sum(mags, axis=dim, keepdims=keepdim)


def check_view(ct, th, what):
    """Asserts shape, values, strides (of dims longer than 1) and offset equal torch's."""
    check_result(ct, th, what)
    strides = L.strides_of(ct)
    want = th.stride()
    for d, n in enumerate(th.shape):
        if n > 1:
            assert strides[d] == want[d], f"{what}: strides {strides}, torch gives {want}"
    assert L.cdll.t_offset(ct) == th.storage_offset(), (
        f"{what}: offset {L.cdll.t_offset(ct)}, torch gives {th.storage_offset()}")


def check_base(p, what):
    """Asserts that p's ctorch base holds what torch's does (after writes through views)."""
    check_result(p.ct_base, p.th_base, what + " (base after write)")


class Failures:
    """Collects each variant's failure, so one test case reports every variant that differs."""

    def __init__(self):
        self.messages = []

    def run(self, label, fn, *args):
        try:
            fn(*args)
        except AssertionError as err:
            self.messages.append(f"--- {label}\n{err}")
        except Exception as err:  # noqa: BLE001 (a variant the harness could not compare)
            self.messages.append(f"--- {label}\n{type(err).__name__}: {err}")

    def done(self):
        if self.messages:
            count = len(self.messages)
            pytest.fail(f"{count} variant(s) differ from torch:\n" + "\n".join(self.messages[:12]))


# ---------------------------------------------------------------------------------------
# Cases: each is an id, the symbols it needs, and check(rng, failures).
# ---------------------------------------------------------------------------------------

class Cases:
    """The test cases of one test file, as pytest params."""

    def __init__(self):
        self.params = []

    def add(self, case_id, needs, check):
        """Registers a case; xfail when the library lacks one of the symbols it needs."""
        missing = [n for n in needs if not L.has(n)]
        marks = [pytest.mark.xfail(reason="not built yet", run=False)] if missing else []
        self.params.append(pytest.param(check, id=case_id, marks=marks))


def run_case(check):
    """Runs one case's check with the fixed seed and fails with every differing variant."""
    rng = np.random.default_rng(SEED)
    fails = Failures()
    check(rng, fails)
    fails.done()
