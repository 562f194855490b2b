"""The first blitz notebook, run by a person's client: JupyterLab in headless Chromium.

A JupyterLab server (from .venv) serves a temporary copy of notebooks/ on 127.0.0.1 with a token;
Debian's Chromium, driven by Playwright, opens 01_tensors.ipynb, runs all cells from the Run
menu, waits for the kernel to finish, and checks the outputs in the page itself: tensors render
as HTML tables, an image renders as an <img>, and only cells tagged "raises-exception" show an
error. A full-page screenshot goes to build/screenshots/browser_01_tensors.png for a person.
"""
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
NOTEBOOK = "01_tensors.ipynb"
SCREENSHOT = ROOT / "build" / "screenshots" / "browser_01_tensors.png"
FAILURE_SHOT = ROOT / "build" / "screenshots" / "browser_01_tensors_failed.png"
CHROMIUM = Path("/usr/bin/chromium")
RAISES_TAG = "raises-exception"
IMAGE_CELL = "t_imshow(t_rand(28, 28));"   # added when the notebook shows no image itself
VIEWPORT = {"width": 1280, "height": 900}
SERVER_START_S = 60      # JupyterLab's first start on a 2-core machine takes about 5 s
SERVER_STOP_S = 15       # it shuts its kernels down on SIGTERM before exiting
POLL_S = 0.2             # between readiness probes of the server's REST API
PAGE_TIMEOUT_MS = 60_000     # loading the lab and starting the kernel
RUN_TIMEOUT_MS = 120_000     # running every cell of the notebook

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"Chromium is not installed at {CHROMIUM} (scripts/deps.sh installs it)")

# Settings for a clean, fully rendered page: every cell in the DOM (no windowing), no blank
# space after the last cell, and no news or update notifications over the notebook.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none",
                                               "scrollPastEnd": False},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
}

# True when every code cell shows an execution count ("[3]:", not "[ ]:" or "[*]:").
ALL_CELLS_RAN_JS = """() => {
    const prompts = [...document.querySelectorAll(
        '.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')];
    return prompts.length > 0 && prompts.every(p => /^\\[\\d+\\]:$/.test(p.textContent.trim()));
}"""

# True when every image in an output area has loaded (at once when there is none).
IMAGES_LOADED_JS = """() => [...document.querySelectorAll('.jp-OutputArea-output img')]
    .every(img => img.complete)"""

# The tables and images in rendered output areas, and the number of error (or stderr) outputs.
OUTPUTS_JS = """() => {
    const areas = [...document.querySelectorAll('.jp-Notebook .jp-OutputArea-output')];
    return {
        tables: areas.flatMap(a => [...a.querySelectorAll('table')]).map(t => ({
            rows: t.querySelectorAll('tr').length,
            cells: [...t.querySelectorAll('td')].map(td => td.textContent.trim()),
        })),
        images: areas.flatMap(a => [...a.querySelectorAll('img')]).map(img => ({
            src: img.getAttribute('src').slice(0, 22),
            complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
        })),
        errors: areas.filter(a =>
            a.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr').length,
    };
}"""


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_lab_settings(settings_dir):
    """Writes LAB_SETTINGS as JupyterLab user settings under settings_dir."""
    for plugin, values in LAB_SETTINGS.items():
        path = settings_dir / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def prepare_notebook(path):
    """Clears the saved outputs of the notebook at path (so the page shows only what this run
    produces), appends an image cell when it has none, and returns the number of cells tagged
    raises-exception."""
    nb = nbformat.read(path, as_version=4)
    shows_image = any(mime.startswith("image/")
                      for cell in nb.cells if cell.cell_type == "code"
                      for out in cell.outputs for mime in out.get("data", {}))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    if not shows_image:
        nb.cells.append(nbformat.v4.new_code_cell(IMAGE_CELL))
    nbformat.write(nb, path)
    return sum(RAISES_TAG in c.metadata.get("tags", []) for c in nb.cells)


def wait_for_server(proc, url, log):
    """Returns once the server at url answers, or fails with its log when it exits first or
    does not answer within SERVER_START_S."""
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=POLL_S * 10):
                return
        except OSError:  # refused, reset or timed out (URLError is an OSError)
            time.sleep(POLL_S)
    pytest.fail(f"jupyter lab did not answer in {SERVER_START_S} s:\n{log.read_text()}")


@pytest.fixture
def lab(tmp_path, ctorch_kernelspec):
    """A JupyterLab server on a free port, rooted in a copy of notebooks/; yields
    (base_url, token, root_dir, kernel display name) and stops the server (and its kernels)
    afterwards."""
    root_dir = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, root_dir, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    write_lab_settings(tmp_path / "lab-settings")
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ,
           "JUPYTER_PATH": str(ctorch_kernelspec.parents[2]),
           "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "lab-settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "lab-workspaces"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_DATA_DIR": str(tmp_path / "data"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "CTORCH_QUICK": "1"}
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root_dir}"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = tmp_path / "jupyterlab.log"
    base = f"http://127.0.0.1:{port}"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_server(proc, f"{base}/api/status?token={token}", log)
        yield base, token, root_dir, json.loads(ctorch_kernelspec.read_text())["display_name"]
    finally:
        proc.terminate()
        try:
            proc.wait(SERVER_STOP_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_all_cells(page):
    """Runs every cell from JupyterLab's Run menu."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def screenshot_whole_notebook(page, path):
    """Grows the viewport until the notebook needs no scrolling, then saves the full page."""
    extra = page.evaluate("""() => {
        const s = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
        return s.scrollHeight - s.clientHeight;
    }""")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": VIEWPORT["height"] + extra})
    page.wait_for_function("""() => {
        const s = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
        return s.scrollHeight <= s.clientHeight + 1;
    }""", timeout=PAGE_TIMEOUT_MS)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)


def test_jupyterlab_runs_tensors_notebook(lab):
    from playwright.sync_api import sync_playwright

    base, token, root_dir, kernel_name = lab
    expected_errors = prepare_notebook(root_dir / NOTEBOOK)
    idle = f"#jp-main-statusbar >> text={kernel_name} | Idle"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        try:
            page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}")
            page.wait_for_selector(idle)
            run_all_cells(page)
            page.wait_for_function(ALL_CELLS_RAN_JS, timeout=RUN_TIMEOUT_MS)
            page.wait_for_selector(idle)
            page.wait_for_function(IMAGES_LOADED_JS)
            outputs = page.evaluate(OUTPUTS_JS)
            screenshot_whole_notebook(page, SCREENSHOT)
        except Exception:
            FAILURE_SHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(FAILURE_SHOT))
            raise
        finally:
            browser.close()

    assert outputs["errors"] == expected_errors, \
        f"{outputs['errors']} error outputs, {expected_errors} cells tagged {RAISES_TAG}"
    assert outputs["tables"], "no tensor rendered as an HTML table"
    assert all(t["rows"] >= 1 and t["cells"] for t in outputs["tables"]), outputs["tables"]
    numbers = [c for t in outputs["tables"] for c in t["cells"] if re.fullmatch(r"-?[\d.e+-]+", c)]
    assert numbers, f"the tensor tables hold no numbers: {outputs['tables'][:2]}"
    assert outputs["images"], "no image rendered in an output area"
    image = outputs["images"][-1]
    assert image["src"].startswith("data:image/png"), image
    assert image["complete"] and image["width"] > 0 and image["height"] > 0, image
    assert SCREENSHOT.stat().st_size > 0
