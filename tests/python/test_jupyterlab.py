"""JupyterLab in a real browser runs a ctorch notebook: a JupyterLab server on localhost, headless
Chromium (Debian's) driven by Playwright, 01_tensors opened and every cell run. The tensor tables
and an image must render, and a screenshot is saved as build/screenshots/jupyterlab_01_tensors.png
for a person to look at."""
import json
import os
import pathlib
import secrets
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHROMIUM = pathlib.Path("/usr/bin/chromium")
SHOTS = ROOT / "build" / "screenshots"
NOTEBOOK = "01_tensors.ipynb"
START_TIMEOUT_S = 60
RUN_TIMEOUT_MS = 120_000

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="Debian's chromium is not installed (make deps installs it)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path, ctorch_kernelspec):
    """A JupyterLab server on a copy of notebooks/ with an extra cell that shows an image."""
    root = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns("*.safetensors"))
    nb = json.loads((root / NOTEBOOK).read_text())
    nb["cells"].append({"cell_type": "code", "metadata": {}, "execution_count": None,
                        "outputs": [], "source": ["t_manual_seed(1);\n",
                                                  "t_imshow(t_rand(28, 28))"]})
    (root / NOTEBOOK).write_text(json.dumps(nb))
    port, token = free_port(), secrets.token_hex(16)
    # every cell is laid out (no windowing), so that every output can be found and seen
    settings = tmp_path / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    env = dict(os.environ, JUPYTER_PATH=str(ctorch_kernelspec.parents[2]),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"))
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "jupyter"), "lab", "--no-browser", "--allow-root", f"--port={port}",
         "--ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--ServerApp.disable_check_xsrf=False", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("JupyterLab did not start")
            time.sleep(0.2)
    try:
        yield f"{base}/lab/tree/{NOTEBOOK}?token={token}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def menu(page, name, item):
    """Clicks JupyterLab's menu bar entry name, then its item."""
    page.locator(".lm-MenuBar-itemLabel", has_text=name).first.click()
    page.locator(".lm-Menu-itemLabel", has_text=item).first.click()


def test_jupyterlab_runs_a_ctorch_notebook(lab):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(lab)
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=RUN_TIMEOUT_MS)
        # JupyterLab may ask which kernel to start: the notebook's, C (ctorch)
        try:
            page.locator(".jp-Dialog button", has_text="Select").click(timeout=5_000)
        except Exception:
            pass
        page.wait_for_selector(".jp-StatusBar-TextItem:has-text('C (ctorch) | Idle')",
                               timeout=RUN_TIMEOUT_MS)
        # clear the committed outputs, so that what is checked below is this run's, then run all
        menu(page, "Edit", "Clear Outputs of All Cells")
        page.wait_for_function(
            "() => document.querySelectorAll('.jp-OutputArea-output table').length === 0")
        menu(page, "Run", "Run All Cells")
        # every code cell ran: each prompt shows a number (not "[ ]" or "[*]")
        page.wait_for_function(
            """() => {
                const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
                return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
            }""", timeout=RUN_TIMEOUT_MS)
        page.wait_for_selector(".jp-StatusBar-TextItem:has-text('C (ctorch) | Idle')",
                               timeout=RUN_TIMEOUT_MS)
        tables = page.locator(".jp-OutputArea-output table").count()
        images = page.locator(".jp-OutputArea-output img").count()
        shape_errors = page.locator(".jp-OutputArea-output", has_text="ShapeError").count()
        # scroll through the notebook so every output is laid out, then a full-page shot of it
        page.locator(".jp-Notebook").evaluate("n => n.scrollTop = n.scrollHeight")
        page.wait_for_timeout(500)
        page.screenshot(path=str(SHOTS / "jupyterlab_01_tensors.png"), full_page=True)
        browser.close()
    assert tables >= 5, f"only {tables} tensor tables rendered"
    assert images >= 1, "the image did not render"
    assert shape_errors >= 1  # the notebook's deliberate mistake shows its error
