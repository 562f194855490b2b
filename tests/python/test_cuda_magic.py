"""%%cuda cells: CUDA C compiled by NVRTC (no GPU needed), compile errors mapped to the cell's
lines, and kernels launched on tensors when a GPU is there."""
import json
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
CTORCH = ROOT / "build" / "bin" / "ctorch"

pytestmark = pytest.mark.skipif(not (ROOT / "build" / "lib" / "libctorch-cuda.so").exists(),
                                reason="the CUDA backend is not built (no nvcc on this machine)")


def run_cells(tmp_path, *cells):
    """Runs the cells through `ctorch --run-cells`; one result dict per cell."""
    path = tmp_path / "cells.txt"
    path.write_text("".join(f"--- cell\n{c}\n" for c in cells))
    out = subprocess.run([str(CTORCH), "--run-cells", str(path)], capture_output=True, text=True,
                         timeout=120)
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


SCALE = """%%cuda
extern "C" __global__ void scale(float *x, float s, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] *= s;
}"""


def test_a_kernel_compiles_and_is_listed(tmp_path):
    res = run_cells(tmp_path, '#include "ctorch.h"', SCALE)
    assert res[1]["ok"], res[1]
    assert res[1]["stdout"] == "compiled: scale\n"


def test_compile_errors_name_the_cell_and_line(tmp_path):
    res = run_cells(tmp_path, '#include "ctorch.h"',
                    "%%cuda\n__global__ void ok(float *x) { x[0] = 1; }\n"
                    "__global__ void bad(float *x) { x[0] = y; }")
    assert not res[1]["ok"]
    assert res[1]["ename"] == "CompileError"
    assert "In[2] line 2" in res[1]["evalue"]
    assert '"y" is undefined' in res[1]["evalue"]


def test_the_kernel_lives_on_and_runs_where_a_gpu_is(tmp_path):
    res = run_cells(tmp_path, '#include "ctorch.h"', SCALE, r"""
if (cuda_is_available()) {
    Tensor *x = t_to(t_arange(0, 8, 1), T_CUDA);
    cuda_launch("scale", cuda_dim(1), cuda_dim(32), x, 2.0f, 8);
    t_print(t_to(x, T_CPU));
} else {
    printf("no GPU\n");
}""")
    assert res[2]["ok"], res[2]
    assert res[2]["stdout"] in ("no GPU\n", "tensor([ 0.,  2.,  4.,  6.,  8., 10., 12., 14.])\n")
