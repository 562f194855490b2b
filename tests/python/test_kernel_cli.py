"""The ctorch executable's command line: modes, and a connection file it cannot use."""
import json
import subprocess

from conftest import CTORCH_BIN

TIMEOUT = 30


def ctorch(*args):
    return subprocess.run([str(CTORCH_BIN), *args], capture_output=True, text=True,
                          timeout=TIMEOUT, stdin=subprocess.DEVNULL)


def test_version():
    p = ctorch("--version")
    assert p.returncode == 0
    assert p.stdout.startswith("ctorch ")


def test_missing_connection_file_is_reported():
    p = ctorch("/nonexistent/kernel-1.json")
    assert p.returncode == 1
    assert "connection file /nonexistent/kernel-1.json" in p.stderr


def test_connection_file_without_ports_is_reported(tmp_path):
    path = tmp_path / "kernel.json"
    path.write_text(json.dumps({"transport": "tcp", "ip": "127.0.0.1", "key": "k",
                                "signature_scheme": "hmac-sha256", "shell_port": 5000}))
    p = ctorch("-f", str(path))
    assert p.returncode == 1
    assert '"control_port" must be a port' in p.stderr


def test_unknown_signature_scheme_is_reported(tmp_path):
    path = tmp_path / "kernel.json"
    ports = {f"{c}_port": 5000 + i for i, c in enumerate(["shell", "control", "stdin", "iopub", "hb"])}
    path.write_text(json.dumps({"transport": "tcp", "ip": "127.0.0.1", "key": "k",
                                "signature_scheme": "hmac-md5", **ports}))
    p = ctorch(str(path))
    assert p.returncode == 1
    assert 'signature_scheme "hmac-md5" is not supported' in p.stderr


def test_bad_usage():
    p = ctorch("--no-such-option", "x", "y")
    assert p.returncode == 2
    assert "usage:" in p.stderr


def test_empty_stdin_runs_nothing():
    p = ctorch()
    assert p.returncode == 0
    assert p.stdout == ""
