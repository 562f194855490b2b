"""The cell compiler, scenario by scenario: every tests/cells/*.cells file is run by
`ctorch --run-cells FILE` and each cell's output, result and error are checked against the
expectations written in the file (the format is described in tests/cells/README.md)."""
import json
import os
import pathlib
import re
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
CELLS = ROOT / "tests" / "cells"
BIN = pathlib.Path(os.environ.get("CTORCH_BIN", ROOT / "build" / "bin" / "ctorch"))
# A scenario runs 50 crashes or 10 MB of output: generous, but a hang still fails.
TIMEOUT_S = 120


def parse_scenario(path):
    """The cells of a scenario file, each with its expectations: {kind: (arg, text)}."""
    cells = []
    section = None
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.startswith("--- "):
            kind, _, arg = line[4:].partition(" ")
            if kind == "cell":
                cells.append({"code": [], "expect": {}})
                section = ("code", None)
            elif cells:
                cells[-1]["expect"][kind] = (arg.strip(), [])
                section = ("expect", kind)
            continue
        if section is None:
            continue
        if section[0] == "code":
            cells[-1]["code"].append(line)
        else:
            cells[-1]["expect"][section[1]][1].append(line)
    for cell in cells:
        for kind, (arg, lines) in cell["expect"].items():
            while lines and lines[-1] == "":
                lines.pop()
            cell["expect"][kind] = (arg, lines)
    return cells


def run_scenario(path):
    """Runs a scenario file; one dict per cell, as the runner prints them."""
    proc = subprocess.run([str(BIN), "--run-cells", str(path)], capture_output=True,
                          timeout=TIMEOUT_S, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return [json.loads(line) for line in proc.stdout.decode().splitlines() if line.strip()]


def check_cell(no, cell, got):
    """Asserts that one cell did what its expectations say."""
    expect = cell["expect"]
    where = f"cell {no}:\n" + "\n".join(cell["code"]) + f"\n-> {json.dumps(got)[:2000]}"
    if "error" in expect:
        assert not got["ok"], where
        assert got["ename"] == expect["error"][0], where
    else:
        assert got["ok"], where
    text = lambda kind: "\n".join(expect[kind][1])
    if "result" in expect:
        assert got["result"] == text("result"), where
    if "result-match" in expect:
        assert got["result"] is not None and re.fullmatch(text("result-match"), got["result"]), where
    if "no-result" in expect:
        assert got["result"] is None, where
    if "stdout" in expect:
        assert got["stdout"].rstrip("\n") == text("stdout"), where
    if "stdout-length" in expect:
        assert len(got["stdout"].encode()) == int(expect["stdout-length"][0]), where[:500]
    if "stdout-match" in expect:
        assert re.fullmatch(text("stdout-match") + r"\n?", got["stdout"]), where
    for kind, field in [("stdout-contains", "stdout"), ("stderr-contains", "stderr"),
                        ("evalue-contains", "evalue"), ("traceback-contains", "traceback")]:
        if kind not in expect:
            continue
        value = got[field] or ""
        if isinstance(value, list):
            value = "\n".join(value)
        for line in expect[kind][1]:
            assert line in value, f"{line!r} not in {field}\n{where}"
    if "displays" in expect:
        assert got["displays"] == expect["displays"][1], where


SCENARIOS = sorted(CELLS.glob("*.cells"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path):
    if not BIN.exists():
        pytest.fail(f"{BIN} is not built (make)")
    cells = parse_scenario(path)
    got = run_scenario(path)
    assert len(got) == len(cells), f"{len(got)} results for {len(cells)} cells"
    for no, (cell, result) in enumerate(zip(cells, got), start=1):
        check_cell(no, cell, result)


def test_scenarios_cover_every_error_kind():
    """The corpus exercises every way a cell can fail that the issue lists."""
    names = set()
    for path in SCENARIOS:
        for cell in parse_scenario(path):
            if "error" in cell["expect"]:
                names.add(cell["expect"]["error"][0])
    assert {"SegmentationFault", "BusError", "FloatingPointError", "IllegalInstruction", "Abort",
            "Exit", "StackOverflow", "KeyboardInterrupt", "CompileError", "ShapeError",
            "IOError"} <= names


# ---- the same scenarios through the Jupyter kernel ----

def run_scenario_in_kernel(path):
    """Runs a scenario's cells in a fresh ctorch kernel through jupyter_client; one dict per
    cell in the form `ctorch --run-cells` prints, so the same expectations apply."""
    import threading

    from jupyter_client.manager import start_new_kernel

    cells = raw_cells(path)
    km, kc = start_new_kernel(kernel_name="ctorch", startup_timeout=60)
    results = []
    try:
        for code, stdin_lines, interrupt_after in cells:
            got = {"ok": True, "stdout": "", "stderr": "", "result": None, "displays": [],
                   "ename": None, "evalue": None, "traceback": []}

            def on_output(msg, got=got):
                kind, content = msg["msg_type"], msg["content"]
                if kind == "stream":
                    got["stdout" if content["name"] == "stdout" else "stderr"] += content["text"]
                elif kind == "execute_result":
                    got["result"] = content["data"].get("text/plain")
                elif kind == "display_data":
                    got["displays"].append(content["data"].get("text/plain"))
                elif kind == "error":
                    got.update(ok=False, ename=content["ename"], evalue=content["evalue"],
                               traceback=content["traceback"])

            answers = list(stdin_lines or [])

            def on_stdin(msg):
                kc.input(answers.pop(0) if answers else "")

            timer = None
            if interrupt_after:
                timer = threading.Timer(interrupt_after, km.interrupt_kernel)
                timer.start()
            reply = kc.execute_interactive(code, output_hook=on_output, timeout=TIMEOUT_S,
                                           allow_stdin=stdin_lines is not None,
                                           stdin_hook=on_stdin)
            if timer:
                timer.cancel()
            for payload in reply["content"].get("payload", []):
                if payload.get("source") == "page":  # help (?name): Jupyter's pager
                    got["stdout"] += payload["data"].get("text/plain", "")
            if reply["content"]["status"] == "error" and got["ok"]:
                c = reply["content"]
                got.update(ok=False, ename=c["ename"], evalue=c["evalue"], traceback=c["traceback"])
            results.append(got)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return results


def raw_cells(path):
    """(code, stdin lines or None, interrupt delay or None) for each cell of a scenario."""
    out = []
    section = None
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.startswith("--- "):
            kind, _, arg = line[4:].partition(" ")
            if kind == "cell":
                out.append([[], None, None])
                section = "code"
            elif kind == "stdin" and out:
                out[-1][1] = []
                section = "stdin"
            elif kind == "interrupt-after" and out:
                out[-1][2] = float(arg)
                section = None
            else:
                section = None
            continue
        if section == "code":
            out[-1][0].append(line)
        elif section == "stdin":
            out[-1][1].append(line)
    cells = []
    for code, stdin_lines, delay in out:
        while code and code[-1] == "":
            code.pop()
        while stdin_lines and stdin_lines[-1] == "":
            stdin_lines.pop()
        cells.append(("\n".join(code), stdin_lines, delay))
    return cells


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_through_the_kernel(path, ctorch_kernelspec):
    if not BIN.exists():
        pytest.fail(f"{BIN} is not built (make)")
    cells = parse_scenario(path)
    got = run_scenario_in_kernel(path)
    assert len(got) == len(cells)
    for no, (cell, result) in enumerate(zip(cells, got), start=1):
        check_cell(no, cell, result)
