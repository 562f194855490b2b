"""%%cuda's compiler, through libctorch's C API: NVRTC turns CUDA C into PTX on any machine
(no GPU or driver needed), and compile errors come back with the cell's name and line.
Runs against build/lib/libctorch.so, which loads build/lib/libctorch-cuda.so beside it."""
import ctypes
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
LIB = ROOT / "build" / "lib" / "libctorch.so"
CUDA_LIB = ROOT / "build" / "lib" / "libctorch-cuda.so"

pytestmark = pytest.mark.skipif(
    not CUDA_LIB.exists(), reason="libctorch-cuda.so is not built (make CUDA=0, or no nvcc)"
)

SAXPY = b"""__global__ void saxpy(float *y, const float *x, float a, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] += a * x[i];
}
"""

BAD = b"""__global__ void broken(float *x) {
    x[0] = 1.0f;
    x[1] = undefined_name;
}
"""


@pytest.fixture(scope="module")
def lib():
    """libctorch with the signatures of the cuda_ functions these tests call."""
    cdll = ctypes.CDLL(str(LIB), mode=ctypes.RTLD_GLOBAL)
    cdll.cuda_compile.restype = ctypes.c_void_p
    cdll.cuda_compile.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p)]
    cdll.cuda_module_ptx.restype = ctypes.c_char_p
    cdll.cuda_module_ptx.argtypes = [ctypes.c_void_p]
    cdll.cuda_module_kernel.restype = ctypes.c_char_p
    cdll.cuda_module_kernel.argtypes = [ctypes.c_void_p, ctypes.c_int]
    cdll.cuda_is_available.restype = ctypes.c_bool
    cdll.cuda_device_count.restype = ctypes.c_int
    cdll.cuda_memory_summary.restype = ctypes.c_char_p
    return cdll


def compile_cuda(lib, source, name):
    """(module handle or None, log text) for source compiled as cell name."""
    log = ctypes.c_char_p()
    module = lib.cuda_compile(source, name, ctypes.byref(log))
    return module, (log.value or b"").decode()


def test_a_good_kernel_compiles_to_ptx_with_its_entry(lib):
    module, log = compile_cuda(lib, SAXPY, b"In[1]")
    assert module, log
    ptx = lib.cuda_module_ptx(module).decode()
    assert ".entry" in ptx
    entries = [line for line in ptx.splitlines() if ".entry" in line]
    assert len(entries) == 1 and "saxpy" in entries[0], entries
    assert lib.cuda_module_kernel(module, 0) == b"saxpy"
    assert lib.cuda_module_kernel(module, 1) is None


def test_a_bad_kernel_reports_the_cell_and_line(lib):
    module, log = compile_cuda(lib, BAD, b"In[7]")
    assert not module
    assert "In[7] line 3: error" in log, log
    assert "undefined_name" in log, log
    assert "In[7](3)" not in log, "NVRTC's own location format should have been rewritten"


def test_every_kernel_of_a_cell_is_found(lib):
    source = SAXPY + b'extern "C" __global__ void zero(float *x) { x[threadIdx.x] = 0; }\n'
    module, log = compile_cuda(lib, source, b"In[2]")
    assert module, log
    names = []
    while lib.cuda_module_kernel(module, len(names)) is not None:
        names.append(lib.cuda_module_kernel(module, len(names)).decode())
    assert sorted(names) == ["saxpy", "zero"]


def test_availability_and_summary_agree(lib):
    available = lib.cuda_is_available()
    assert available == (lib.cuda_device_count() > 0)
    summary = lib.cuda_memory_summary().decode()
    if available:
        assert "cuda:0" in summary and "allocated" in summary and "peak" in summary
    else:
        assert summary.startswith("CUDA is not available"), summary


def test_a_cpu_only_program_runs_unchanged_without_the_backend(tmp_path):
    """With CTORCH_CUDA_LIB naming a missing file, CPU work is unaffected and CUDA reports
    itself unavailable, naming the library it could not load."""
    script = (
        "import ctypes, sys\n"
        f"lib = ctypes.CDLL({str(LIB)!r})\n"
        "lib.cuda_is_available.restype = ctypes.c_bool\n"
        "lib.cuda_memory_summary.restype = ctypes.c_char_p\n"
        "print(lib.cuda_is_available(), lib.cuda_memory_summary().decode())\n"
    )
    env = {"CTORCH_CUDA_LIB": str(tmp_path / "missing.so"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out.startswith("False CUDA is not available"), out
    assert "libctorch-cuda.so could not be loaded" in out and "missing.so" in out, out


def test_ptx_targets_the_gpu_present(lib):
    if not lib.cuda_is_available():
        pytest.skip("no GPU: cuda_is_available() is false on this machine")
    module, log = compile_cuda(lib, SAXPY, b"In[9]")
    assert module, log
    assert ".target sm_" in lib.cuda_module_ptx(module).decode()
