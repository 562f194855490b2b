"""A ctypes binding of build/lib/libctorch.so, for the oracle tests and the benchmarks.

    ffi = ctorch_ffi.load()
    x = ffi.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    y = ffi.call("t_add_s", x, 1.0)
    ffi.numpy(y)               # array([[1., 2., 3.], [4., 5., 6.]], dtype=float32)

Tensors are collected by libgc, which does not scan Python's heap: a pointer held only by a
Python object could be collected under it. So every tensor Python holds is wrapped in a
CTensor, which keeps the pointer in an uncollectable root cell for as long as the wrapper
lives.

t_raise with no handler prints the error and exits the process: pass only valid inputs here.
Misuse is tested in C, where T_TRY can catch it.
"""
import ctypes
import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
LIB_PATH = ROOT / "build" / "lib" / "libctorch.so"
MAX_DIMS = 8  # T_MAX_DIMS in ctorch.h
T_END = 2**63 - 1  # T_END in ctorch.h: "to the end of the dim" for t_slice
T_CPU = 0

# ctorch's DType enum (ctorch.h), in order, with the NumPy dtype of each.
DTYPE_NAMES = ["float32", "float64", "int64", "int32", "uint8", "bool"]
F32, F64, I64, I32, U8, BOOL = range(len(DTYPE_NAMES))
NUMPY_DTYPES = [np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_]


class Shape(ctypes.Structure):
    """ctorch.h's Shape: {int ndim; int64_t d[T_MAX_DIMS];}, passed by value."""

    _fields_ = [("ndim", ctypes.c_int), ("d", ctypes.c_int64 * MAX_DIMS)]

    def __iter__(self):
        return iter(self.d[: self.ndim])


class TensorList(ctypes.Structure):
    """ctorch.h's TensorList: {Tensor **items; int n;}, passed and returned by value."""

    _fields_ = [("items", ctypes.POINTER(ctypes.c_void_p)), ("n", ctypes.c_int)]


def shape(dims):
    """A Shape holding the given sizes (or dims)."""
    dims = tuple(int(d) for d in dims)
    if len(dims) > MAX_DIMS:
        raise ValueError(f"ctorch tensors have at most {MAX_DIMS} dims, got {len(dims)}")
    return Shape(len(dims), (ctypes.c_int64 * MAX_DIMS)(*dims))


P = ctypes.c_void_p
I = ctypes.c_int
I64T = ctypes.c_int64
D = ctypes.c_double
B = ctypes.c_bool
TP = ctypes.POINTER(ctypes.c_void_p)  # Tensor **, for t_max_dim's indices

# Signatures of the public API the tests and benchmarks call: name -> (restype, argtypes).
# Only names present in the library are declared; see Lib.has.
_SIGNATURES = {
    # creation
    "t_empty_shape": (P, [Shape, I]),
    "t_zeros_shape": (P, [Shape, I]),
    "t_ones_shape": (P, [Shape, I]),
    "t_full_shape": (P, [Shape, D, I]),
    "t_rand_shape": (P, [Shape, I]),
    "t_randn_shape": (P, [Shape, I]),
    "t_tensor_shape": (P, [P, I, Shape]),
    "t_from_blob_shape": (P, [P, I, Shape]),
    "t_scalar": (P, [D]),
    "t_scalar_dt": (P, [I, D]),
    "t_arange_dt": (P, [I, D, D, D]),
    "t_manual_seed": (None, [ctypes.c_uint64]),
    # accessors
    "t_shape": (Shape, [P]),
    "t_strides": (Shape, [P]),
    "t_ndim": (I, [P]),
    "t_numel": (I64T, [P]),
    "t_dtype": (I, [P]),
    "t_device": (I, [P]),
    "t_offset": (I64T, [P]),
    "t_is_contiguous": (B, [P]),
    "t_item": (D, [P]),
    "t_data": (P, [P]),
    "t_str": (ctypes.c_char_p, [P]),
    # views
    "t_view_shape": (P, [P, Shape]),
    "t_reshape_shape": (P, [P, Shape]),
    "t_permute_shape": (P, [P, Shape]),
    "t_transpose": (P, [P, I, I]),
    "t_T": (P, [P]),
    "t_select": (P, [P, I, I64T]),
    "t_narrow": (P, [P, I, I64T, I64T]),
    "t_slice": (P, [P, I, I64T, I64T, I64T]),
    "t_expand_shape": (P, [P, Shape]),
    "t_expand_as": (P, [P, P]),
    "t_unsqueeze": (P, [P, I]),
    "t_squeeze": (P, [P]),
    "t_squeeze_dim": (P, [P, I]),
    "t_flatten_range": (P, [P, I, I]),
    "t_contiguous": (P, [P]),
    "t_clone": (P, [P]),
    "t_to_dtype": (P, [P, I]),
    "t_to": (P, [P, I]),
    # elementwise
    "t_clamp": (P, [P, D, D]),
    "t_clamp_": (P, [P, D, D]),
    "t_where": (P, [P, P, P]),
    "t_fill_": (P, [P, D]),
    "t_zero_": (P, [P]),
    "t_copy_": (P, [P, P]),
    # reductions
    "t_sum_dim": (P, [P, I, B]),
    "t_mean_dim": (P, [P, I, B]),
    "t_prod_dim": (P, [P, I, B]),
    "t_max_dim": (P, [P, I, B, TP]),
    "t_min_dim": (P, [P, I, B, TP]),
    "t_argmax_dim": (P, [P, I, B]),
    "t_argmin_dim": (P, [P, I, B]),
    "t_var_dim": (P, [P, I, B, I]),
    "t_std_dim": (P, [P, I, B, I]),
    "t_softmax": (P, [P, I]),
    "t_log_softmax": (P, [P, I]),
    # linear algebra, indexing and joining
    "t_matmul": (P, [P, P]),
    "t_index_select": (P, [P, I, P]),
    "t_gather": (P, [P, I, P]),
    "t_scatter": (P, [P, I, P, P]),
    "t_scatter_add": (P, [P, I, P, P]),
    "t_scatter_": (P, [P, I, P, P]),
    "t_scatter_add_": (P, [P, I, P, P]),
    "t_masked_fill": (P, [P, P, D]),
    "t_masked_fill_": (P, [P, P, D]),
    "t_cat": (P, [TensorList, I]),
    "t_stack": (P, [TensorList, I]),
    "t_split": (TensorList, [P, I64T, I]),
    "t_chunk": (TensorList, [P, I, I]),
    # the collector, for the root cells that keep Python's tensors alive
    "GC_malloc_uncollectable": (P, [ctypes.c_size_t]),
    "GC_free": (None, [P]),
    "GC_gcollect": (None, []),
}

# Ops of one tensor (x) -> tensor, and of two tensors (a, b) -> tensor.
for _name in ["neg", "exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu"]:
    _SIGNATURES["t_" + _name] = (P, [P])
    _SIGNATURES["t_" + _name + "_"] = (P, [P])
for _name in ["sum", "mean", "prod", "max", "min", "argmax", "argmin", "var", "std"]:
    _SIGNATURES["t_" + _name] = (P, [P])
for _name in ["add", "sub", "mul", "div", "pow", "maximum", "minimum",
              "eq", "ne", "lt", "le", "gt", "ge"]:
    _SIGNATURES["t_" + _name] = (P, [P, P])
for _name in ["add_", "sub_", "mul_", "div_", "pow_"]:
    _SIGNATURES["t_" + _name] = (P, [P, P])
# Ops of a tensor and a double scalar.
for _name in ["add_s", "sub_s", "rsub_s", "mul_s", "div_s", "pow_s",
              "add_s_", "sub_s_", "mul_s_", "div_s_", "pow_s_",
              "eq_s", "ne_s", "lt_s", "le_s", "gt_s", "ge_s"]:
    _SIGNATURES["t_" + _name] = (P, [P, D])


class CTensor:
    """A ctorch tensor held from Python: the pointer, kept alive by an uncollectable root
    cell until this object is garbage collected by Python."""

    __slots__ = ("lib", "ptr", "_cell")

    def __init__(self, lib, ptr):
        if not ptr:
            raise ValueError("a NULL tensor pointer")
        self.lib = lib
        self.ptr = ptr
        self._cell = lib.GC_malloc_uncollectable(ctypes.sizeof(ctypes.c_void_p))
        ctypes.c_void_p.from_address(self._cell).value = ptr

    def __del__(self):
        cell, self._cell = self._cell, None
        if cell:
            self.lib.GC_free(cell)

    @property
    def _as_parameter_(self):
        return ctypes.c_void_p(self.ptr)


class Lib:
    """libctorch.so with its signatures declared, and NumPy conversions."""

    def __init__(self, path=LIB_PATH):
        self.path = pathlib.Path(path)
        self.cdll = ctypes.CDLL(str(self.path), mode=ctypes.RTLD_GLOBAL)
        for name, (restype, argtypes) in _SIGNATURES.items():
            if hasattr(self.cdll, name):
                fn = getattr(self.cdll, name)
                fn.restype = restype
                fn.argtypes = argtypes
        self.GC_malloc_uncollectable = self.cdll.GC_malloc_uncollectable
        self.GC_free = self.cdll.GC_free

    def has(self, name):
        """True when the library defines the symbol name."""
        return hasattr(self.cdll, name)

    def fn(self, name):
        """The C function name, with its signature declared."""
        if name not in _SIGNATURES:
            raise KeyError(f"{name} has no declared signature in ctorch_ffi")
        return getattr(self.cdll, name)

    def wrap(self, ptr):
        """A CTensor holding a Tensor * returned by the library."""
        return CTensor(self, ptr)

    def call(self, name, *args):
        """Calls the ctorch function name and wraps the Tensor * it returns."""
        return self.wrap(self.fn(name)(*args))

    def call_list(self, name, *args):
        """Calls a function returning a TensorList; the tensors, as a Python list."""
        lst = self.fn(name)(*args)
        return [self.wrap(lst.items[i]) for i in range(lst.n)]

    def tensor_list(self, tensors):
        """A TensorList of CTensors, and the pointer array it refers to (keep it alive for
        the call)."""
        arr = (ctypes.c_void_p * len(tensors))(*[t.ptr for t in tensors])
        return TensorList(ctypes.cast(arr, ctypes.POINTER(ctypes.c_void_p)), len(tensors)), arr

    def tensor(self, array):
        """A ctorch tensor holding a copy of a NumPy array of one of ctorch's dtypes."""
        array = np.require(array, requirements="C")  # keeps 0-d arrays 0-d
        name = array.dtype.name
        if name not in DTYPE_NAMES:
            raise TypeError(f"ctorch has no dtype {name}; it takes {DTYPE_NAMES}")
        # t_tensor_shape reads numel elements; give it a valid address even when empty.
        buf = array if array.size else np.zeros(1, array.dtype)
        return self.call("t_tensor_shape", buf.ctypes.data, DTYPE_NAMES.index(name),
                         shape(array.shape))

    def scalar(self, dtype, value):
        """A 0-d tensor of the given ctorch dtype."""
        return self.call("t_scalar_dt", dtype, float(value))

    def shape_of(self, t):
        """The sizes of t, as a tuple."""
        return tuple(self.cdll.t_shape(t))

    def strides_of(self, t):
        """The strides of t in elements, as a tuple."""
        return tuple(self.cdll.t_strides(t))

    def dtype_of(self, t):
        """The NumPy dtype of t."""
        return np.dtype(NUMPY_DTYPES[self.cdll.t_dtype(t)])

    def numpy(self, t):
        """A NumPy copy of a CPU tensor's elements, walking its shape, strides (t_strides, in
        elements) from its first element (t_data, which already includes t_offset)."""
        sizes, strides = self.shape_of(t), self.strides_of(t)
        dtype = self.dtype_of(t)
        if any(s == 0 for s in sizes):
            return np.zeros(sizes, dtype)
        # The span of elements the view touches, relative to its first element.
        lo = sum(min(0, (n - 1) * s) for n, s in zip(sizes, strides))
        hi = sum(max(0, (n - 1) * s) for n, s in zip(sizes, strides))
        first = self.cdll.t_data(t)
        raw = (ctypes.c_char * ((hi - lo + 1) * dtype.itemsize)).from_address(
            first + lo * dtype.itemsize)
        flat = np.frombuffer(raw, dtype=dtype)
        view = np.lib.stride_tricks.as_strided(
            flat[-lo:], shape=sizes, strides=[s * dtype.itemsize for s in strides])
        return np.array(view, copy=True)

    def item(self, t):
        """The value of a one-element tensor, as a float."""
        return self.cdll.t_item(t)

    def collect(self):
        """Runs a full collection (tests use it to show that held tensors survive)."""
        self.cdll.GC_gcollect()


_LIB = None


def load(path=LIB_PATH):
    """The library, loaded once per process. Raises FileNotFoundError when it is not built."""
    global _LIB
    if _LIB is None:
        if not pathlib.Path(path).exists():
            raise FileNotFoundError(f"{path} is missing: run `make` first")
        _LIB = Lib(path)
    return _LIB
