"""ctorch's views against PyTorch: shape, strides and offset as torch's, and a write through
the view lands in the base exactly where torch's does; also contiguous, clone and t_to_dtype
(see oracle_support.py).
"""
import numpy as np
import pytest

from oracle_support import (ALL, FILL_VALUE, FLOATS, I32, I64, L, NAMES, TORCH_DTYPES, U8, Cases,
                            check_base, check_result, check_view, ffi, layouts, pair, run_case,
                            values)

CASES = Cases()


# ---------------------------------------------------------------------------------------
# Views: shape, strides and offset as torch's, and writes through the view reach the base.
# ---------------------------------------------------------------------------------------

VIEW_SHAPE = (2, 3, 4)
VIEW_OPS = {  # id -> (ctorch symbol, ctorch call, torch call, layouts it is valid for)
    "view-6x4": ("t_view_shape", lambda x: L.call("t_view_shape", x, ffi.shape([6, 4])),
                 lambda x: x.view(6, 4), ["contig"]),
    "view-infer": ("t_view_shape", lambda x: L.call("t_view_shape", x, ffi.shape([2, -1])),
                   lambda x: x.view(2, -1), ["contig"]),
    "view-split-last": ("t_view_shape",
                        lambda x: L.call("t_view_shape", x, ffi.shape([2, 3, 2, 2])),
                        lambda x: x.view(2, 3, 2, 2), ["contig", "sliced"]),
    "reshape-flat": ("t_reshape_shape", lambda x: L.call("t_reshape_shape", x, ffi.shape([-1])),
                     lambda x: x.reshape(-1), ["contig", "transposed", "sliced"]),
    "reshape-4x6": ("t_reshape_shape", lambda x: L.call("t_reshape_shape", x, ffi.shape([4, 6])),
                    lambda x: x.reshape(4, 6), ["contig", "transposed", "sliced"]),
    "reshape-keep-last": ("t_reshape_shape",
                          lambda x: L.call("t_reshape_shape", x, ffi.shape([6, 4])),
                          lambda x: x.reshape(6, 4), ["contig", "transposed", "sliced"]),
    "permute": ("t_permute_shape", lambda x: L.call("t_permute_shape", x, ffi.shape([2, 0, 1])),
                lambda x: x.permute(2, 0, 1), ["contig", "transposed", "sliced"]),
    "permute-neg": ("t_permute_shape",
                    lambda x: L.call("t_permute_shape", x, ffi.shape([-1, 1, 0])),
                    lambda x: x.permute(-1, 1, 0), ["contig", "sliced"]),
    "transpose": ("t_transpose", lambda x: L.call("t_transpose", x, 0, 2),
                  lambda x: x.transpose(0, 2), ["contig", "transposed", "sliced"]),
    "T": ("t_T", lambda x: L.call("t_T", x), lambda x: x.permute(2, 1, 0),
          ["contig", "transposed", "sliced"]),
    "select": ("t_select", lambda x: L.call("t_select", x, 1, 2), lambda x: x.select(1, 2),
               ["contig", "transposed", "sliced"]),
    "select-neg": ("t_select", lambda x: L.call("t_select", x, -1, -1),
                   lambda x: x.select(-1, -1), ["contig", "sliced"]),
    "narrow": ("t_narrow", lambda x: L.call("t_narrow", x, 2, 1, 2), lambda x: x.narrow(2, 1, 2),
               ["contig", "transposed", "sliced"]),
    "narrow-neg-start": ("t_narrow", lambda x: L.call("t_narrow", x, -2, -2, 2),
                         lambda x: x.narrow(-2, -2, 2), ["contig", "sliced"]),
    "slice-step": ("t_slice", lambda x: L.call("t_slice", x, 2, 0, ffi.T_END, 2),
                   lambda x: x[:, :, 0::2], ["contig", "transposed", "sliced"]),
    "slice-neg": ("t_slice", lambda x: L.call("t_slice", x, 1, -2, ffi.T_END, 1),
                  lambda x: x[:, -2:], ["contig", "sliced"]),
    "slice-clamped": ("t_slice", lambda x: L.call("t_slice", x, 2, 1, 100, 3),
                      lambda x: x[:, :, 1:100:3], ["contig", "sliced"]),
    "slice-empty": ("t_slice", lambda x: L.call("t_slice", x, 0, 5, 7, 1),
                    lambda x: x[5:7], ["contig"]),
    "unsqueeze": ("t_unsqueeze", lambda x: L.call("t_unsqueeze", x, 1),
                  lambda x: x.unsqueeze(1), ["contig", "transposed", "sliced"]),
    "unsqueeze-end": ("t_unsqueeze", lambda x: L.call("t_unsqueeze", x, -1),
                      lambda x: x.unsqueeze(-1), ["contig", "sliced"]),
    "flatten-1": ("t_flatten_range", lambda x: L.call("t_flatten_range", x, 1, -1),
                  lambda x: x.flatten(1), ["contig", "transposed", "sliced"]),
    "flatten-all": ("t_flatten_range", lambda x: L.call("t_flatten_range", x, 0, -1),
                    lambda x: x.flatten(), ["contig", "sliced"]),
    "contiguous": ("t_contiguous", lambda x: L.call("t_contiguous", x),
                   lambda x: x.contiguous(), ["contig", "transposed", "sliced"]),
    "clone": ("t_clone", lambda x: L.call("t_clone", x), lambda x: x.clone(),
              ["contig", "transposed", "sliced"]),
}


def view_check(op_id, dtype):
    """One view op: the result against torch's (strides and offset included); then FILL_VALUE
    written through it must reach the base exactly where torch's write does."""
    _, ct_fn, th_fn, lays = VIEW_OPS[op_id]

    def check(rng, fails):
        for layout in lays:
            p = pair(values(rng, dtype, VIEW_SHAPE), layout)
            label = f"{op_id}({NAMES[dtype]}{list(VIEW_SHAPE)} {layout})"

            def run():
                got, want = ct_fn(p.ct), th_fn(p.th)
                if op_id == "clone" or (op_id == "contiguous" and layout != "contig"):
                    check_result(got, want, label)
                    assert L.cdll.t_is_contiguous(got), f"{label}: result is not contiguous"
                else:
                    check_view(got, want, label)
                L.call("t_fill_", got, float(FILL_VALUE))
                want.fill_(FILL_VALUE)
                check_base(p, label)
            fails.run(label, run)
    return check


for _op in VIEW_OPS:
    for _dt in ALL:
        CASES.add(f"{_op}-{NAMES[_dt]}", [VIEW_OPS[_op][0], "t_fill_"], view_check(_op, _dt))


def squeeze_expand_check(dtype):
    """squeeze, squeeze_dim, expand, expand_as on inputs with size-1 dims; expanded views
    have stride 0 and are read, not written (torch refuses writes to them too)."""
    def check(rng, fails):
        x = values(rng, dtype, (3, 1, 4, 1))
        p = pair(x)
        big = pair(values(rng, dtype, (2, 3, 5, 4, 6)))
        items = [
            ("t_squeeze", lambda: L.call("t_squeeze", p.ct), lambda: p.th.squeeze()),
            ("t_squeeze_dim 1", lambda: L.call("t_squeeze_dim", p.ct, 1), lambda: p.th.squeeze(1)),
            ("t_squeeze_dim -1", lambda: L.call("t_squeeze_dim", p.ct, -1),
             lambda: p.th.squeeze(-1)),
            ("t_squeeze_dim 0 (size 3: unchanged)", lambda: L.call("t_squeeze_dim", p.ct, 0),
             lambda: p.th.squeeze(0)),
            ("t_expand", lambda: L.call("t_expand_shape", p.ct, ffi.shape([3, 5, 4, 6])),
             lambda: p.th.expand(3, 5, 4, 6)),
            ("t_expand -1", lambda: L.call("t_expand_shape", p.ct, ffi.shape([2, -1, 5, -1, 6])),
             lambda: p.th.expand(2, -1, 5, -1, 6)),
            ("t_expand_as", lambda: L.call("t_expand_as", p.ct, big.ct),
             lambda: p.th.expand_as(big.th)),
        ]
        for label, ct_fn, th_fn in items:
            label = f"{label}({NAMES[dtype]}[3, 1, 4, 1])"
            fails.run(label, lambda: check_view(ct_fn(), th_fn(), label))
    return check


for _dt in ALL:
    CASES.add(f"t_squeeze_t_expand-{NAMES[_dt]}", ["t_squeeze", "t_squeeze_dim", "t_expand_shape",
                                               "t_expand_as"], squeeze_expand_check(_dt))


def to_dtype_check(src):
    """t_to_dtype into every dtype: truncation toward zero, nonzero -> true, as torch casts;
    values stay in range of the target so that the cast is defined."""
    def check(rng, fails):
        for dst in ALL:
            for layout in layouts((3, 4)):
                x = values(rng, src, (3, 4))
                if src in FLOATS:
                    x = (np.abs(x) % 200).astype(x.dtype) if dst == U8 else np.clip(x, -1e4, 1e4)
                    x.flat[0] = 0
                elif src in (I64, I32) and dst == U8:
                    x = np.abs(x)
                p = pair(x, layout)
                label = f"t_to_dtype({NAMES[src]}[3, 4] {layout} -> {NAMES[dst]})"

                def run():
                    got = L.call("t_to_dtype", p.ct, dst)
                    check_result(got, p.th.to(TORCH_DTYPES[dst]), label)
                    if dst == src:
                        assert got.ptr == p.ct.ptr, f"{label}: same dtype must give x itself"
                fails.run(label, run)
    return check


for _dt in ALL:
    CASES.add(f"t_to_dtype-from-{NAMES[_dt]}", ["t_to_dtype"], to_dtype_check(_dt))


def to_cpu_check(dtype):
    """t_to(x, T_CPU) of a CPU tensor is x itself, as torch's x.to("cpu") is."""
    def check(rng, fails):
        for layout in layouts((3, 4)):
            p = pair(values(rng, dtype, (3, 4)), layout)
            label = f"t_to({NAMES[dtype]}[3, 4] {layout}, T_CPU)"

            def run():
                got = L.call("t_to", p.ct, ffi.T_CPU)
                assert got.ptr == p.ct.ptr, f"{label}: a tensor already there must come back"
                check_view(got, p.th.to("cpu"), label)
            fails.run(label, run)
    return check


for _dt in ALL:
    CASES.add(f"t_to-cpu-{NAMES[_dt]}", ["t_to"], to_cpu_check(_dt))



@pytest.mark.parametrize("check", CASES.params)
def test_op(check):
    """One op over one dtype (or dtype pair), every variant against torch."""
    run_case(check)
