"""t_str against PyTorch: for many arrays, ctorch's text must equal str(torch.tensor(...)).

libctorch.so is loaded with ctypes; PyTorch 1.13 (Debian's python3-torch) is the oracle.
Every input here is valid: a t_raise with no handler would end the test process.
"""
import ctypes
import math
import random
import xml.etree.ElementTree as ET
import zlib

import numpy as np
import pytest
import torch
import torch._tensor_str as torch_str_module

import ctorch_ffi

# ctorch's dtypes by name, with the NumPy dtype of each.
DTYPES = dict(zip(ctorch_ffi.DTYPE_NAMES, ctorch_ffi.NUMPY_DTYPES))


@pytest.fixture(scope="module")
def lib():
    try:
        ffi = ctorch_ffi.load()
    except FileNotFoundError as e:
        pytest.fail(str(e))
    # The display functions this file checks, besides the ones ctorch_ffi declares.
    for name, restype, argtypes in [
        ("t_bundle_f64", ctypes.c_void_p, [ctypes.c_double]),
        ("t_bundle_tensor", ctypes.c_void_p, [ctypes.c_void_p]),
        ("mime_get", ctypes.c_char_p, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]),
    ]:
        fn = getattr(ffi.cdll, name)
        fn.restype, fn.argtypes = restype, argtypes
    return ffi


def make_tensor(lib, array):
    """A ctorch tensor holding a copy of a NumPy array of one of ctorch's dtypes; 0-d arrays
    stay 0-d (np.ascontiguousarray would make them 1-D)."""
    array = np.require(array, requirements="C")
    buf = array if array.size else np.zeros(1, array.dtype)  # a valid address when empty
    return lib.call("t_tensor_shape", buf.ctypes.data,
                    ctorch_ffi.DTYPE_NAMES.index(array.dtype.name),
                    ctorch_ffi.shape(array.shape))


def t_str(lib, tensor):
    return lib.fn("t_str")(tensor).decode()


def ctorch_str(lib, array):
    return t_str(lib, make_tensor(lib, array))


def torch_str(array):
    return str(torch.from_numpy(np.require(array, requirements="C")))


def mime_text(lib, bundle, mime):
    """One representation of a MimeBundle * (read at once: the bundle is not rooted)."""
    return lib.cdll.mime_get(bundle, mime, None).decode()


def random_array(rng, dtype, shape):
    """Random values of a dtype, over a random magnitude for floats."""
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype == "uint8":
        return rng.integers(0, 256, shape).astype(np.uint8)
    if dtype in ("int64", "int32"):
        hi = 10 ** int(rng.integers(1, 9 if dtype == "int32" else 18))
        return rng.integers(-hi, hi, shape).astype(DTYPES[dtype])
    scale = 10.0 ** rng.uniform(-12, 12)
    values = rng.standard_normal(shape) * scale
    if rng.random() < 0.3:  # whole numbers: the "1." form
        values = np.round(values)
    return values.astype(DTYPES[dtype])


SHAPES = [(), (1,), (5,), (3, 4), (2, 3, 4), (2, 1, 3, 1, 2), (40,), (7, 13), (1001,),
          (2000,), (40, 30), (11, 12, 13), (2, 3, 4, 5, 6), (4, 500), (500, 4), (7, 7, 7, 7)]


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_random_arrays_match_torch(lib, dtype, shape):
    rng = np.random.default_rng(zlib.crc32(repr((dtype, shape)).encode()))
    for _ in range(6):
        array = random_array(rng, dtype, shape)
        assert ctorch_str(lib, array) == torch_str(array)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(9,), (4, 6), (3, 400), (1500,)], ids=str)
def test_random_arrays_with_nan_and_inf_match_torch(lib, dtype, shape):
    rng = np.random.default_rng(zlib.crc32(repr((dtype, shape, "nonfinite")).encode()))
    for _ in range(10):
        array = random_array(rng, dtype, shape)
        flat = array.reshape(-1)
        picks = rng.integers(0, flat.size, 1 + flat.size // 5)
        flat[picks] = rng.choice([np.nan, np.inf, -np.inf, 0.0], picks.size)
        assert ctorch_str(lib, array) == torch_str(array)


EDGE_CASES = [
    [1.0, 2.0, 3.0],
    [0.0, 0.0],
    [-0.0, 1.0],
    [1.5, -2.25, 1e-5],
    [1e-4, 1.0],
    [1.0, 1000.0],
    [1.0, 1001.0],
    [1e8, 1.0],
    [1e8 + 1, 2.0],
    [1e9, 2e9],
    [123456.789],
    [float("nan")],
    [float("inf"), float("-inf"), float("nan")],
    [float("nan"), 1.5, float("-inf")],
    [1e-5, 1.0, float("nan")],
    [float("inf"), 3.0],
    [0.1, 0.2, 0.3],
    [1e-30, 1e30],
    [-1.0, 1.0],
    [[1.0, 2.0], [3.0, 4.0]],
    [[1e-10, 5.0], [float("inf"), -7.5]],
    3.0,
    -0.0,
    float("nan"),
    1e20,
    [0.5] * 30,
    [[123.456] * 25] * 3,
    [0.03125, 0.09375, 1.5],
    [0.00015, 0.5],
    [99999.5, 0.5],
    [5e7, 0.25],
    [-1e-4, 3.0],
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("values", EDGE_CASES, ids=repr)
def test_edge_case_floats_match_torch(lib, dtype, values):
    array = np.array(values, dtype=DTYPES[dtype])
    assert ctorch_str(lib, array) == torch_str(array)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("values", [[0], [1, 0], [[1, 0, 1], [0, 0, 1]], 1, 0,
                                    list(range(100)), [[7] * 200] * 6], ids=repr)
def test_edge_case_integers_match_torch(lib, dtype, values):
    array = np.array(values).astype(DTYPES[dtype])
    assert ctorch_str(lib, array) == torch_str(array)


def test_int_extremes_match_torch(lib):
    array = np.array([np.iinfo(np.int64).min, np.iinfo(np.int64).max, 0], dtype=np.int64)
    assert ctorch_str(lib, array) == torch_str(array)


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0, 3), (3, 0)], ids=str)
def test_empty_tensors_match_torch(lib, dtype, shape):
    array = np.zeros(shape, dtype=DTYPES[dtype])
    assert ctorch_str(lib, array) == torch_str(array)


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_transposed_views_match_torch(lib, dtype):
    rng = np.random.default_rng(7)
    for shape in [(3, 5), (40, 30), (2, 3, 4)]:
        array = random_array(rng, dtype, shape)
        view = lib.call("t_transpose", make_tensor(lib, array), 0, len(shape) - 1)
        expected = str(torch.from_numpy(array).transpose(0, len(shape) - 1))
        assert t_str(lib, view) == expected


def test_strided_slices_match_torch(lib):
    array = np.arange(3000, dtype=np.float32).reshape(30, 100) / 7
    sliced = lib.call("t_slice", make_tensor(lib, array), 1, 3, 97, 4)
    expected = str(torch.from_numpy(array)[:, 3:97:4])
    assert t_str(lib, sliced) == expected


def test_double_text_is_python_repr(lib):
    rnd = random.Random(3)
    values = [0.0, -0.0, 1.0, 0.1, 1 / 3, 100.0, 1e15, 1e16, 1.5e16, 1e-4, 1e-5, 1.5e-5,
              123456789012345.6, 2.0**60, 5e-324, 1.7976931348623157e308, -2.5,
              math.inf, -math.inf, math.nan]
    values += [rnd.uniform(-1, 1) * 10.0 ** rnd.randint(-30, 30) for _ in range(2000)]
    values += [struct_double(rnd.getrandbits(64)) for _ in range(500)]
    for v in values:
        text = mime_text(lib, lib.cdll.t_bundle_f64(v), b"text/plain")
        assert text == repr(v), v


def struct_double(bits):
    """The double with the given bit pattern (NaNs included)."""
    return ctypes.c_double.from_buffer_copy(bits.to_bytes(8, "little")).value


def test_tensor_bundle_text_is_t_str(lib):
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    bundle = lib.cdll.t_bundle_tensor(make_tensor(lib, array))
    assert mime_text(lib, bundle, b"text/plain") == torch_str(array)


def html_of(lib, tensor):
    """The text/html of a tensor's bundle, parsed as XML (so it must be well-formed)."""
    html = mime_text(lib, lib.cdll.t_bundle_tensor(tensor), b"text/html")
    return ET.fromstring(html)


def expected_cells(array):
    """The cell texts of each table (last two dims) as torch's own formatter writes them,
    with "..." where t_str summarises."""
    tensor = torch.from_numpy(np.require(array, requirements="C"))
    summarize = tensor.numel() > torch_str_module.PRINT_OPTS.threshold
    formatter = torch_str_module._Formatter(
        torch_str_module.get_summarized_data(tensor) if summarize else tensor)
    edge = torch_str_module.PRINT_OPTS.edgeitems

    def entries(n):
        if summarize and n > 2 * edge:
            return list(range(edge)) + [None] + list(range(n - edge, n))
        return list(range(n))

    matrix = tensor.reshape((1,) * (2 - tensor.dim()) + tuple(tensor.shape)) \
        if tensor.dim() < 2 else tensor
    tables = []

    def walk(t):
        if t.dim() == 2:
            rows = []
            for r in entries(t.shape[0]):
                rows.append([("..." if r is None or c is None
                              else formatter.format(t[r, c].item()).strip())
                             for c in entries(t.shape[1])])
            tables.append(rows)
            return
        for i in entries(t.shape[0]):
            if i is not None:
                walk(t[i])

    walk(matrix)
    return tables


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "float64"])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4), (40, 30), (3, 20, 20),
                                   (8, 2, 3, 30)], ids=str)
def test_tensor_html_is_well_formed_and_matches_values(lib, dtype, shape):
    rng = np.random.default_rng(zlib.crc32(repr((dtype, shape, "html")).encode()))
    array = random_array(rng, dtype, shape)
    root = html_of(lib, make_tensor(lib, array))
    header = "".join(root[0].itertext())
    assert str(list(shape)) in header and dtype in header and "cpu" in header
    got = [[[td.text for td in tr.findall("td")] for tr in table.findall("tr")]
           for table in root.iter("table")]
    assert got == expected_cells(array)


def test_tensor_html_escapes_nothing_unsafe(lib):
    array = np.array([[np.nan, -np.inf], [1.0, 2.5]], dtype=np.float32)
    root = html_of(lib, make_tensor(lib, array))
    cells = [td.text for td in root.iter("td")]
    assert cells == ["nan", "-inf", "1.0000", "2.5000"]


def requires_grad(lib, tensor):
    """tensor marked as requiring gradients (t_requires_grad_ returns it)."""
    fn = lib.cdll.t_requires_grad_
    fn.restype, fn.argtypes = ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_bool]
    return lib.wrap(fn(tensor, True))


@pytest.mark.parametrize("shape", [(3,), (2, 2), (9,), (12,), (2, 9), (0,), (1500,)], ids=str)
def test_autograd_suffixes_match_torch(lib, shape):
    rng = np.random.default_rng(zlib.crc32(repr((shape, "grad")).encode()))
    a, b = rng.standard_normal(shape), rng.standard_normal(shape)
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a, b))
    ca, cb = (requires_grad(lib, make_tensor(lib, v)) for v in (a, b))
    # float64 leaves: dtype and requires_grad suffixes, wrapped past the line width
    assert t_str(lib, ca) == str(ta)
    assert t_str(lib, lib.call("t_add", ca, cb)) == str(ta + tb)
    assert t_str(lib, lib.call("t_mul", ca, cb)) == str(ta * tb)
