"""ctorch's indexing and joining ops against PyTorch: index_select, gather, scatter(_add)(_),
masked_fill(_), cat, stack, split and chunk, over every dim and dtype, with non-contiguous
inputs; split and chunk pieces must be views with torch's strides (see oracle_support.py).
"""
import itertools

import numpy as np
import pytest
import torch

from oracle_support import (ALL, BOOL, F32, F64, I32, I64, L, NAMES, NUMBERS, U8, Cases,
                            check_base, check_result, check_view, layouts, pair, run_case,
                            sum_atol, values)

CASES = Cases()


# ---------------------------------------------------------------------------------------
# Indexing and joining
# ---------------------------------------------------------------------------------------


def index_select_check(dtype):
    """t_index_select along every dim, with repeated and out-of-order indices."""
    def check(rng, fails):
        for shape in [(5,), (3, 4), (2, 3, 5)]:
            for dim, layout in itertools.product(range(len(shape)), layouts(shape)):
                x = values(rng, dtype, shape)
                idx = rng.integers(0, shape[dim], size=7).astype(np.int64)
                p, pi = pair(x, layout), pair(idx)
                label = f"t_index_select({NAMES[dtype]}{list(shape)} {layout}, dim={dim})"
                fails.run(label, lambda: check_result(
                    L.call("t_index_select", p.ct, dim, pi.ct),
                    torch.index_select(p.th, dim, pi.th), label))
    return check


def index_shape(rng, shape, dim):
    """An index shape for gather/scatter: no larger than shape in any dim."""
    return tuple(int(rng.integers(1, n + 1)) if d != dim else int(rng.integers(1, 2 * n + 1))
                 for d, n in enumerate(shape))


def gather_check(dtype):
    """t_gather along every dim (negative too), index smaller than x in the other dims."""
    def check(rng, fails):
        for shape in [(6,), (3, 4), (2, 3, 5)]:
            n = len(shape)
            for dim, layout in itertools.product(range(-n, n), layouts(shape)):
                x = values(rng, dtype, shape)
                ishape = index_shape(rng, shape, dim % n)
                idx = rng.integers(0, shape[dim], size=ishape).astype(np.int64)
                for il in layouts(ishape):
                    p, pi = pair(x, layout), pair(idx, il)
                    label = f"t_gather({NAMES[dtype]}{list(shape)} {layout}, dim={dim}, " \
                            f"index{list(ishape)} {il})"
                    fails.run(label, lambda: check_result(L.call("t_gather", p.ct, dim, pi.ct),
                                                          torch.gather(p.th, dim, pi.th), label))
    return check


def scatter_check(name, dtype):
    """t_scatter(_add)(_) along every dim. Plain scatter gets indices unique along dim (a
    repeated one leaves the result up to the order of writes, in torch too)."""
    add = "add" in name
    inplace = name.endswith("_")

    def check(rng, fails):
        for shape in [(6,), (3, 4), (2, 3, 5)]:
            n = len(shape)
            for dim, layout in itertools.product(range(-n, n), layouts(shape)):
                d = dim % n
                x = values(rng, dtype, shape)
                ishape = list(index_shape(rng, shape, d))
                if add:
                    idx = rng.integers(0, shape[d], size=ishape)
                else:
                    ishape[d] = min(ishape[d], shape[d])
                    idx = np.argsort(rng.random(ishape[:d] + [shape[d]] + ishape[d + 1:]),
                                     axis=d)
                    idx = np.take(idx, range(ishape[d]), axis=d)
                idx = idx.astype(np.int64)
                sshape = [i + int(rng.integers(0, 2)) for i in ishape]
                src = values(rng, dtype, sshape)
                p, pi, ps = pair(x, layout), pair(idx), pair(src)
                label = f"{name}({NAMES[dtype]}{list(shape)} {layout}, dim={dim}, " \
                        f"index{list(ishape)}, src{sshape})"
                th_op = getattr(torch.Tensor, ("scatter_add" if add else "scatter") + "_")

                def run():
                    if dtype == BOOL and add:
                        return
                    out = L.call(name, p.ct, dim, pi.ct, ps.ct)
                    want = p.th if inplace else p.th.clone()
                    th_op(want, dim, pi.th, ps.th)
                    check_result(out, want, label, atol=sum_atol(dtype, src))
                    if inplace:
                        assert out.ptr == p.ct.ptr, f"{label}: did not return its operand"
                        check_base(p, label)
                    else:
                        check_result(p.ct, torch.from_numpy(x), label + " (input unchanged)")
                fails.run(label, run)
    return check


def masked_fill_check(name, dtype):
    """t_masked_fill(_) with masks that broadcast to x."""
    def check(rng, fails):
        fill = {F32: -1.5, F64: 1e300, I64: -7, I32: 9, U8: 200, BOOL: 1}[dtype]
        for shape, mshape in [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 3, 5), (3, 1)),
                              ((3, 4), ()), ((), ())]:
            for layout in layouts(shape):
                p = pair(values(rng, dtype, shape), layout)
                pm = pair(rng.random(mshape) < 0.5)
                label = f"{name}({NAMES[dtype]}{list(shape)} {layout}, mask{list(mshape)})"

                def run():
                    out = L.call(name, p.ct, pm.ct, float(fill))
                    if name.endswith("_"):
                        p.th.masked_fill_(pm.th, fill)
                        assert out.ptr == p.ct.ptr, f"{label}: did not return its operand"
                        check_result(out, p.th, label)
                        check_base(p, label)
                    else:
                        check_result(out, p.th.masked_fill(pm.th, fill), label)
                fails.run(label, run)
    return check


def join_check(name, dtype):
    """t_cat / t_stack of 1 to 3 tensors (some non-contiguous) along every valid dim."""
    def check(rng, fails):
        for shape in [(4,), (3, 4), (2, 3, 5)]:
            n = len(shape) + (1 if name == "t_stack" else 0)
            for dim, count in itertools.product(range(-n, n), [1, 2, 3]):
                parts = []
                for i in range(count):
                    s = list(shape)
                    if name == "t_cat":
                        s[dim % len(shape)] = i + 1 if i != 1 else 0 if len(shape) > 1 else 2
                    layout = layouts(tuple(s))[i % len(layouts(tuple(s)))]
                    parts.append(pair(values(rng, dtype, tuple(s)), layout))
                label = f"{name}({count} x {NAMES[dtype]}{list(shape)}, dim={dim}, " \
                        f"layouts {[q.layout for q in parts]})"

                def run():
                    lst, keep = L.tensor_list([q.ct for q in parts])
                    got = L.call(name, lst, dim)
                    th_fn = torch.cat if name == "t_cat" else torch.stack
                    check_result(got, th_fn([q.th for q in parts], dim), label)
                fails.run(label, run)
    return check


def split_check(name, dtype):
    """t_split / t_chunk: pieces that are views of x, equal to torch's (strides too)."""
    def check(rng, fails):
        for shape in [(7,), (5, 4), (2, 6, 3)]:
            n = len(shape)
            for dim, layout in itertools.product(range(-n, n), layouts(shape)):
                p = pair(values(rng, dtype, shape), layout)
                for k in [1, 2, 3, shape[dim] + 1]:
                    label = f"{name}({NAMES[dtype]}{list(shape)} {layout}, {k}, dim={dim})"

                    def run():
                        got = L.call_list(name, p.ct, k, dim)
                        want = (torch.split if name == "t_split" else torch.chunk)(p.th, k, dim)
                        assert len(got) == len(want), f"{label}: {len(got)} pieces, torch " \
                                                      f"gives {len(want)}"
                        for i, (g, w) in enumerate(zip(got, want)):
                            check_view(g, w, f"{label} piece {i}")
                    fails.run(label, run)
    return check


for _dt in ALL:
    CASES.add(f"t_index_select-{NAMES[_dt]}", ["t_index_select"], index_select_check(_dt))
    CASES.add(f"t_gather-{NAMES[_dt]}", ["t_gather"], gather_check(_dt))
    for _name in ["t_scatter", "t_scatter_"]:
        CASES.add(f"{_name}-{NAMES[_dt]}", [_name], scatter_check(_name, _dt))
    for _name in ["t_masked_fill", "t_masked_fill_"]:
        CASES.add(f"{_name}-{NAMES[_dt]}", [_name], masked_fill_check(_name, _dt))
    for _name in ["t_cat", "t_stack"]:
        CASES.add(f"{_name}-{NAMES[_dt]}", [_name], join_check(_name, _dt))
    for _name in ["t_split", "t_chunk"]:
        CASES.add(f"{_name}-{NAMES[_dt]}", [_name], split_check(_name, _dt))
for _dt in NUMBERS:
    for _name in ["t_scatter_add", "t_scatter_add_"]:
        CASES.add(f"{_name}-{NAMES[_dt]}", [_name], scatter_check(_name, _dt))



@pytest.mark.parametrize("check", CASES.params)
def test_op(check):
    """One op over one dtype (or dtype pair), every variant against torch."""
    run_case(check)
