"""Shared pytest fixtures for ctorch's Python tests.

Jupyter finds the ctorch kernel through the kernelspec `make kernelspec` writes into
build/share/jupyter (JUPYTER_PATH points there), so tests never install anything into the
user's home; connection files go to build/tmp as well.
"""
import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
CTORCH_BIN = BUILD / "bin" / "ctorch"
JUPYTER_DATA = BUILD / "share" / "jupyter"
KERNELSPEC = JUPYTER_DATA / "kernels" / "ctorch" / "kernel.json"
KERNELSPEC_SOURCES = [ROOT / "kernelspec" / "kernel.json.in", CTORCH_BIN]

os.environ["JUPYTER_PATH"] = os.pathsep.join(
    [str(JUPYTER_DATA)] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
)
os.environ["JUPYTER_RUNTIME_DIR"] = str(BUILD / "tmp" / "jupyter-runtime")


def _kernelspec_stale():
    """True when the kernelspec is missing, starts another binary, or is older than its
    template or the binary."""
    if not KERNELSPEC.exists():
        return True
    try:
        if json.loads(KERNELSPEC.read_text())["argv"][0] != str(CTORCH_BIN):
            return True
    except (ValueError, KeyError, IndexError):
        return True
    built = KERNELSPEC.stat().st_mtime
    return any(src.exists() and src.stat().st_mtime > built for src in KERNELSPEC_SOURCES)


@pytest.fixture(scope="session")
def ctorch_kernelspec():
    """Writes build/share/jupyter/kernels/ctorch (with `make kernelspec`) when it is stale."""
    if _kernelspec_stale():
        subprocess.run(["make", "-s", "kernelspec"], cwd=ROOT, check=True)
    return KERNELSPEC


@pytest.fixture
def ctorch_kernel(ctorch_kernelspec):
    """A fresh ctorch kernel and a blocking client with channels started and ready."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="ctorch", startup_timeout=60)
    try:
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
