"""Gradients against PyTorch: every differentiable op, on broadcast and non-contiguous inputs, and
random composite graphs. ctorch and torch see the same float64 inputs and the same upstream
gradient; the gradients that reach each input must match."""
import ctypes
import itertools

import numpy as np
import pytest
import torch

import ctorch_ffi
from ctorch_ffi import F64, P, Shape, shape

RTOL, ATOL = 1e-9, 1e-11


@pytest.fixture(scope="module")
def lib():
    lib = ctorch_ffi.load()
    c = lib.cdll
    for name, res, args in [
        ("t_requires_grad_", P, [P, ctypes.c_bool]),
        ("t_backward_grad", None, [P, P]),
        ("t_grad", P, [P]),
        ("t_grad_fn_name", ctypes.c_char_p, [P]),
        ("t_transpose", P, [P, ctypes.c_int, ctypes.c_int]),
    ]:
        getattr(c, name).restype = res
        getattr(c, name).argtypes = args
    return lib


def leaf(lib, array, transposed=False):
    """A float64 leaf requiring grad; transposed: stored transposed, so the op sees strides."""
    if transposed:  # a transposed view of a fresh tensor: still a leaf
        t = lib.wrap(lib.cdll.t_transpose(lib.tensor(np.ascontiguousarray(array.T)), 0, 1))
    else:
        t = lib.tensor(array)
    lib.cdll.t_requires_grad_(t, True)
    return t


def grads(lib, ctorch_fn, torch_fn, arrays, transposed=()):
    """Runs both sides with the same inputs and upstream gradient; returns pairs of gradients."""
    cts = [leaf(lib, a, i in transposed) for i, a in enumerate(arrays)]
    tts = [torch.tensor(a, requires_grad=True) for a in arrays]
    cy = ctorch_fn(lib, *cts)
    ty = torch_fn(*tts)
    y_np = lib.numpy(cy)
    np.testing.assert_allclose(y_np, ty.detach().numpy(), rtol=RTOL, atol=ATOL)
    upstream = np.random.default_rng(1).standard_normal(ty.shape)
    lib.cdll.t_backward_grad(cy, lib.tensor(upstream))
    ty.backward(torch.tensor(upstream))
    out = []
    for ct, tt in zip(cts, tts):
        g = lib.cdll.t_grad(ct)
        if tt.grad is None:  # an input the output does not depend on
            assert not g, "ctorch gave a gradient where PyTorch has none"
            continue
        assert g, "ctorch gave no gradient"
        out.append((lib.numpy(lib.wrap(g)), tt.grad.numpy()))
    return out


def call(name, *extra):
    """A ctorch op of tensors (and extra C arguments after them)."""
    def fn(lib, *ts):
        return lib.wrap(getattr(lib.cdll, name)(*[t.ptr for t in ts], *extra))
    return fn


def setup_fns(lib):
    c = lib.cdll
    for name in ["t_add", "t_sub", "t_mul", "t_div", "t_pow", "t_maximum", "t_minimum", "t_matmul",
                 "t_where"]:
        getattr(c, name).restype = P
    for name in ["t_exp", "t_log", "t_sqrt", "t_abs", "t_sin", "t_cos", "t_tanh", "t_sigmoid",
                 "t_relu", "t_neg", "t_sum", "t_mean", "t_max", "t_min", "t_prod", "t_var", "t_std",
                 "t_T", "t_clone", "t_contiguous"]:
        getattr(c, name).restype = P
        getattr(c, name).argtypes = [P]
    for name in ["t_add", "t_sub", "t_mul", "t_div", "t_pow", "t_maximum", "t_minimum", "t_matmul"]:
        getattr(c, name).argtypes = [P, P]
    c.t_where.argtypes = [P, P, P]
    for name in ["t_softmax", "t_log_softmax"]:
        getattr(c, name).restype = P
        getattr(c, name).argtypes = [P, ctypes.c_int]
    for name in ["t_sum_dim", "t_mean_dim", "t_prod_dim"]:
        getattr(c, name).restype = P
        getattr(c, name).argtypes = [P, ctypes.c_int, ctypes.c_bool]
    for name in ["t_var_dim", "t_std_dim"]:
        getattr(c, name).restype = P
        getattr(c, name).argtypes = [P, ctypes.c_int, ctypes.c_bool, ctypes.c_int]
    for name in ["t_max_dim", "t_min_dim"]:
        getattr(c, name).restype = P
        getattr(c, name).argtypes = [P, ctypes.c_int, ctypes.c_bool, ctypes.c_void_p]
    c.t_clamp.restype = P
    c.t_clamp.argtypes = [P, ctypes.c_double, ctypes.c_double]
    c.t_pow_s.restype = P
    c.t_pow_s.argtypes = [P, ctypes.c_double]
    c.t_mul_s.restype = P
    c.t_mul_s.argtypes = [P, ctypes.c_double]
    c.t_add_s.restype = P
    c.t_add_s.argtypes = [P, ctypes.c_double]
    c.t_gt.restype = P
    c.t_gt.argtypes = [P, P]
    c.t_index_select.restype = P
    c.t_index_select.argtypes = [P, ctypes.c_int, P]
    c.t_gather.restype = P
    c.t_gather.argtypes = [P, ctypes.c_int, P]
    c.t_cat.restype = P
    c.t_cat.argtypes = [ctorch_ffi.TensorList, ctypes.c_int]
    c.t_permute_shape.restype = P
    c.t_permute_shape.argtypes = [P, Shape]
    c.t_reshape_shape.restype = P
    c.t_reshape_shape.argtypes = [P, Shape]
    c.t_expand_shape.restype = P
    c.t_expand_shape.argtypes = [P, Shape]
    c.t_slice.restype = P
    c.t_slice.argtypes = [P, ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64]
    c.t_select.restype = P
    c.t_select.argtypes = [P, ctypes.c_int, ctypes.c_int64]


rng = np.random.default_rng(0)


def pos(*s):
    return rng.uniform(0.5, 2.0, s)


def rnd(*s):
    return rng.standard_normal(s)


# name, ctorch function, torch function, inputs, indices of inputs to pass transposed
UNARY = ["exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "neg"]
CASES = []
for u in UNARY:
    CASES.append((u, call("t_" + u), getattr(torch, u), [pos(3, 4) if u in ("log", "sqrt") else rnd(3, 4)], (0,)))
for b, tf in [("add", torch.add), ("sub", torch.sub), ("mul", torch.mul), ("div", torch.div),
              ("maximum", torch.maximum), ("minimum", torch.minimum)]:
    CASES.append((b + "_broadcast", call("t_" + b), tf, [rnd(3, 1), pos(4) if b == "div" else rnd(4)], ()))
    CASES.append((b + "_transposed", call("t_" + b), tf, [rnd(4, 3), pos(4, 3) if b == "div" else rnd(4, 3)], (0, 1)))
CASES += [
    ("pow", call("t_pow"), torch.pow, [pos(3, 4), rnd(4)], ()),
    ("pow_s", call("t_pow_s", 2.5), lambda x: x ** 2.5, [pos(3, 4)], (0,)),
    ("clamp", call("t_clamp", -0.5, 0.7), lambda x: x.clamp(-0.5, 0.7), [rnd(5, 4)], ()),
    ("sum", call("t_sum"), torch.sum, [rnd(3, 4)], (0,)),
    ("sum_dim", call("t_sum_dim", 1, True), lambda x: x.sum(1, keepdim=True), [rnd(3, 4)], (0,)),
    ("mean_dim", call("t_mean_dim", 0, False), lambda x: x.mean(0), [rnd(3, 4)], ()),
    ("prod_dim", call("t_prod_dim", 1, False), lambda x: x.prod(1), [rnd(3, 4)], ()),
    ("max", call("t_max"), torch.max, [rnd(3, 4)], ()),
    ("max_dim", call("t_max_dim", 1, False, None), lambda x: x.max(1).values, [rnd(3, 4)], (0,)),
    ("min_dim", call("t_min_dim", 0, True, None), lambda x: x.min(0, keepdim=True).values, [rnd(3, 4)], ()),
    ("var", call("t_var"), torch.var, [rnd(3, 4)], ()),
    ("std_dim", call("t_std_dim", 1, False, 1), lambda x: x.std(1), [rnd(3, 4)], (0,)),
    ("softmax", call("t_softmax", 1), lambda x: torch.softmax(x, 1), [rnd(3, 4)], (0,)),
    ("log_softmax", call("t_log_softmax", 0), lambda x: torch.log_softmax(x, 0), [rnd(3, 4)], ()),
    ("mm", call("t_matmul"), torch.matmul, [rnd(3, 4), rnd(4, 5)], (0,)),
    ("mv", call("t_matmul"), torch.matmul, [rnd(3, 4), rnd(4)], ()),
    ("dot", call("t_matmul"), torch.matmul, [rnd(4), rnd(4)], ()),
    ("batched_broadcast", call("t_matmul"), torch.matmul, [rnd(2, 1, 3, 4), rnd(5, 4, 2)], ()),
    ("T", call("t_T"), lambda x: x.T, [rnd(3, 4)], ()),
    ("clone", call("t_clone"), torch.clone, [rnd(3, 4)], (0,)),
]


@pytest.mark.parametrize("name,cfn,tfn,arrays,transposed", CASES, ids=[c[0] for c in CASES])
def test_op_gradient(lib, name, cfn, tfn, arrays, transposed):
    setup_fns(lib)
    for ours, theirs in grads(lib, cfn, tfn, arrays, transposed):
        np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL)


def test_views_and_joining(lib):
    setup_fns(lib)
    c = lib.cdll

    def ours(lib, x, y):
        p = lib.wrap(c.t_permute_shape(x, shape((2, 0, 1))))            # [4, 2, 3]
        s = lib.wrap(c.t_slice(p, 0, 1, 4, 2))                           # [2, 2, 3]
        e = lib.wrap(c.t_expand_shape(lib.wrap(c.t_select(y, 0, 1)), shape((2, 2, 3))))
        lst, keep = lib.tensor_list([s, e])
        cat = lib.wrap(c.t_cat(lst, 1))                                  # [2, 4, 3]
        return lib.wrap(c.t_reshape_shape(cat, shape((8, 3))))

    def theirs(x, y):
        s = x.permute(2, 0, 1)[1:4:2]
        e = y[1].expand(2, 2, 3)
        return torch.cat([s, e], 1).reshape(8, 3)

    for a, b in grads(lib, ours, theirs, [rnd(2, 3, 4), rnd(2, 3)]):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


def test_indexing(lib):
    setup_fns(lib)
    c = lib.cdll
    idx = np.array([2, 0, 2, 1])
    gidx = np.array([[0, 2, 1], [1, 1, 0]])

    def ours(lib, x):
        a = lib.wrap(c.t_index_select(x, 1, lib.tensor(idx)))
        b = lib.wrap(c.t_gather(x, 1, lib.tensor(gidx)))
        return lib.wrap(c.t_add(lib.wrap(c.t_sum(a)), lib.wrap(c.t_sum(lib.wrap(c.t_mul(b, b))))))

    def theirs(x):
        return x.index_select(1, torch.tensor(idx)).sum() + (x.gather(1, torch.tensor(gidx)) ** 2).sum()

    for a, b in grads(lib, ours, theirs, [rnd(2, 3)]):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


# ---- random composite graphs ----

UNARY_OPS = [("t_tanh", torch.tanh), ("t_sigmoid", torch.sigmoid), ("t_sin", torch.sin),
             ("t_exp", torch.exp)]
BINARY_OPS = [("t_add", torch.add), ("t_sub", torch.sub), ("t_mul", torch.mul),
              ("t_maximum", torch.maximum)]


def random_graph(seed, n_inputs=3, n_ops=12):
    """A random program over n_inputs [3, 4] tensors: a list of (op, operand indices)."""
    r = np.random.default_rng(seed)
    prog = []
    n_values = n_inputs
    for _ in range(n_ops):
        if r.random() < 0.4:
            prog.append(("u", int(r.integers(len(UNARY_OPS))), (int(r.integers(n_values)),)))
        elif r.random() < 0.8:
            prog.append(("b", int(r.integers(len(BINARY_OPS))),
                         (int(r.integers(n_values)), int(r.integers(n_values)))))
        else:
            prog.append(("r", 0, (int(r.integers(n_values)),)))   # a row-sum, broadcast back
        n_values += 1
    return prog


def run_graph(prog, inputs, unary, binary, rowsum):
    values = list(inputs)
    for kind, k, args in prog:
        if kind == "u":
            values.append(unary(k, values[args[0]]))
        elif kind == "b":
            values.append(binary(k, values[args[0]], values[args[1]]))
        else:
            values.append(rowsum(values[args[0]]))
    return values[-1]


@pytest.mark.parametrize("seed", range(12))
def test_random_composite_graph(lib, seed):
    setup_fns(lib)
    c = lib.cdll
    prog = random_graph(seed)

    def ours(lib, *xs):
        return run_graph(
            prog, xs,
            lambda k, v: lib.wrap(getattr(c, UNARY_OPS[k][0])(v.ptr)),
            lambda k, a, b: lib.wrap(getattr(c, BINARY_OPS[k][0])(a.ptr, b.ptr)),
            lambda v: lib.wrap(c.t_sum_dim(v.ptr, 1, True)))

    def theirs(*xs):
        return run_graph(prog, xs, lambda k, v: UNARY_OPS[k][1](v),
                         lambda k, a, b: BINARY_OPS[k][1](a, b), lambda v: v.sum(1, keepdim=True))

    arrays = [rnd(3, 4) * 0.5 for _ in range(3)]
    for a, b in grads(lib, ours, theirs, arrays, transposed=(1,)):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)
