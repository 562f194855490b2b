"""The blitz notebooks, run top to bottom by nbclient in a fresh ctorch kernel.

Each notebook in notebooks/ must run without an error output, except in cells tagged
"raises-exception" (nbclient's and JupyterLab's convention), which must raise. The kernel gets
CTORCH_QUICK=1, which the notebooks read to shorten training. Notebooks are committed executed:
every code cell's saved outputs must be of the same kinds as the fresh run's (stream names and
MIME types, not values, since random numbers and timings differ).
"""
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOK_FILES = sorted(NOTEBOOKS.glob("*.ipynb"))
RAISES_TAG = "raises-exception"
CELL_TIMEOUT_S = 180     # the longest quick-mode training cell, with room for a slow machine
STARTUP_TIMEOUT_S = 60   # kernel start, as in conftest's ctorch_kernel
SOURCE_PREVIEW = 60      # characters of a cell's first line quoted in a failure


def output_kind(output):
    """What an output is, without its values: the stream name, the MIME types, or the error."""
    kind = output["output_type"]
    if kind == "stream":
        return f"stream:{output['name']}"
    if kind == "error":
        return "error"
    return f"{kind}:{'+'.join(sorted(output.get('data', {})))}"


def cell_kinds(cell):
    """The set of output kinds of a code cell (repeats and order vary with timing)."""
    return sorted({output_kind(o) for o in cell.get("outputs", [])})


def describe(index, cell):
    """Names a cell in a failure message by its position and the start of its source."""
    first = cell.source.strip().splitlines()[0] if cell.source.strip() else "(empty)"
    return f"cell {index} `{first[:SOURCE_PREVIEW]}`"


def error_text(cell):
    """The error outputs of a cell as 'Name: value' lines."""
    return "; ".join(f"{o['ename']}: {o['evalue']}" for o in cell.get("outputs", [])
                     if o["output_type"] == "error")


def execute_fresh(path, workdir):
    """Runs a copy of the notebook at path in a fresh ctorch kernel, in workdir (a copy of
    notebooks/, so files a notebook reads or writes stay out of the checkout), and returns it."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="ctorch", timeout=CELL_TIMEOUT_S,
                            startup_timeout=STARTUP_TIMEOUT_S, allow_errors=True,
                            resources={"metadata": {"path": str(workdir)}})
    client.execute(env={**os.environ, "CTORCH_QUICK": "1"})
    return nb


def error_problems(fresh):
    """Failure lines for untagged cells that raised and tagged cells that did not."""
    problems = []
    for i, cell in enumerate(fresh.cells):
        if cell.cell_type != "code":
            continue
        raised = any(o["output_type"] == "error" for o in cell.outputs)
        tagged = RAISES_TAG in cell.metadata.get("tags", [])
        if raised and not tagged:
            problems.append(f"{describe(i, cell)} raised {error_text(cell)}")
        elif tagged and not raised:
            problems.append(f"{describe(i, cell)} is tagged {RAISES_TAG} but raised nothing")
    return problems


def committed_problems(committed, fresh):
    """Failure lines for code cells whose saved outputs differ in kind from the fresh run's."""
    if len(committed.cells) != len(fresh.cells):
        return [f"the fresh run has {len(fresh.cells)} cells, the file {len(committed.cells)}"]
    problems = []
    for i, (saved, ran) in enumerate(zip(committed.cells, fresh.cells)):
        if ran.cell_type != "code":
            continue
        want, have = cell_kinds(ran), cell_kinds(saved)
        if want != have:
            problems.append(f"{describe(i, ran)}: the fresh run shows {want or 'nothing'}, "
                            f"the committed notebook {have or 'nothing'}")
    return problems


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=[p.name for p in NOTEBOOK_FILES])
def test_notebook_runs_clean(path, tmp_path, ctorch_kernelspec):
    workdir = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, workdir, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    fresh = execute_fresh(workdir / path.name, workdir)

    problems = error_problems(fresh)
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)

    ran = [c for c in fresh.cells if c.cell_type == "code"]
    assert ran and all(c.execution_count for c in ran), \
        f"{path.name}: not every code cell was executed"

    committed = nbformat.read(path, as_version=4)
    problems = committed_problems(committed, fresh)
    assert not problems, (f"{path.name} is not committed executed (run it and save it):\n  "
                          + "\n  ".join(problems))
