"""Checkpoint files cross between ctorch and PyTorch/NumPy: safetensors written by one loads in
the other with the same names, dtypes, shapes and values, and so do .npy files."""
import ctypes

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

import ctorch_ffi


class NamedTensors(ctypes.Structure):
    """ctorch_nn.h's NamedTensors: {const char **names; Tensor **items; int n;}."""

    _fields_ = [("names", ctypes.POINTER(ctypes.c_char_p)),
                ("items", ctypes.POINTER(ctypes.c_void_p)),
                ("n", ctypes.c_int)]


@pytest.fixture(scope="module")
def ffi():
    lib = ctorch_ffi.load()
    c = lib.cdll
    c.t_save.argtypes = [ctypes.c_char_p, NamedTensors]
    c.t_save.restype = None
    c.t_load.argtypes = [ctypes.c_char_p]
    c.t_load.restype = NamedTensors
    c.t_save_npy.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    c.t_save_npy.restype = None
    c.t_load_npy.argtypes = [ctypes.c_char_p]
    c.t_load_npy.restype = ctypes.c_void_p
    return lib


ARRAYS = {
    "weight": np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32),
    "bias": np.linspace(-1, 1, 5).astype(np.float64),
    "steps": np.array(7, dtype=np.int64),
    "ids": np.arange(6, dtype=np.int32).reshape(2, 3),
    "pixels": np.arange(10, dtype=np.uint8),
    "mask": np.array([True, False, True]),
}


def make(ffi, array):
    """A ctorch copy of array, 0-d arrays included."""
    a = np.require(array, requirements="C")
    return ffi.call("t_tensor_shape", a.ctypes.data, ctorch_ffi.DTYPE_NAMES.index(a.dtype.name),
                    ctorch_ffi.shape(a.shape))


def test_pytorch_reads_what_ctorch_writes(ffi, tmp_path):
    path = tmp_path / "c.safetensors"
    held = [make(ffi, a) for a in ARRAYS.values()]
    names = (ctypes.c_char_p * len(ARRAYS))(*[k.encode() for k in ARRAYS])
    items = (ctypes.c_void_p * len(held))(*[t.ptr for t in held])
    ffi.cdll.t_save(str(path).encode(), NamedTensors(names, items, len(held)))
    loaded = load_file(str(path))
    assert set(loaded) == set(ARRAYS)
    for name, array in ARRAYS.items():
        t = loaded[name]
        assert tuple(t.shape) == array.shape, name
        np.testing.assert_array_equal(t.numpy(), array, err_msg=name)


def test_ctorch_reads_what_pytorch_writes(ffi, tmp_path):
    path = tmp_path / "t.safetensors"
    save_file({k: torch.from_numpy(np.array(v)) for k, v in ARRAYS.items()}, str(path))
    got = ffi.cdll.t_load(str(path).encode())
    seen = {}
    for i in range(got.n):
        t = ffi.wrap(got.items[i])
        seen[got.names[i].decode()] = ffi.numpy(t)
    assert set(seen) == set(ARRAYS)
    for name, array in ARRAYS.items():
        assert seen[name].dtype == array.dtype, name
        np.testing.assert_array_equal(seen[name], array, err_msg=name)


@pytest.mark.parametrize("name", list(ARRAYS))
def test_npy_both_ways(ffi, tmp_path, name):
    array = ARRAYS[name]
    ours = tmp_path / "ours.npy"
    ffi.cdll.t_save_npy(str(ours).encode(), make(ffi, array).ptr)
    np.testing.assert_array_equal(np.load(ours), array)
    theirs = tmp_path / "theirs.npy"
    np.save(theirs, array)
    back = ffi.numpy(ffi.wrap(ffi.cdll.t_load_npy(str(theirs).encode())))
    assert back.dtype == array.dtype
    np.testing.assert_array_equal(back, array)
