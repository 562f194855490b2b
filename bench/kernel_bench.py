#!/usr/bin/env python3
"""Kernel latency: ctorch against ipykernel on the same machine.

Measures, as medians of N runs:
  round trip  trivial cells (empty, and one statement): execute_request sent -> status idle
              received on iopub
  start       kernel process started -> kernel_info_reply received
and prints ipykernel time / ctorch time (above 1 means ctorch is faster).
Targets: round trip <= 1 ms and >= 2x faster than ipykernel; start <= 300 ms.

Run: .venv/bin/python bench/kernel_bench.py [--rounds N] [--starts M]
(after `make all kernelspec`; the kernelspec is found in build/share/jupyter).
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import zmq
from jupyter_client.manager import KernelManager

ROOT = Path(__file__).resolve().parents[1]
os.environ["JUPYTER_PATH"] = str(ROOT / "build" / "share" / "jupyter")
os.environ["JUPYTER_RUNTIME_DIR"] = str(ROOT / "build" / "tmp" / "jupyter-runtime")

# Trivial cells of each language: an empty cell (the protocol's cost alone) and a one-statement
# cell (which ctorch compiles and links), and the target numbers from ctorch's issue.
KERNELS = ("ctorch", "python3")
CELLS = {"empty cell": {"ctorch": "", "python3": ""},
         "one statement": {"ctorch": "int t = 1;", "python3": "t = 1"}}
TARGET_ROUND_TRIP_MS = 1.0
TARGET_SPEEDUP = 2.0
TARGET_START_MS = 300.0
READY_TIMEOUT_S = 60


def wait_reply(session, sock, msg_id, timeout_s=READY_TIMEOUT_S):
    """Receives from sock until the message whose parent is msg_id arrives."""
    deadline = time.perf_counter() + timeout_s
    while True:
        left_ms = int(max(0.0, deadline - time.perf_counter()) * 1000)
        if not sock.poll(left_ms):
            raise TimeoutError(f"no reply to {msg_id} within {timeout_s} s")
        _, msg = session.recv(sock, mode=0)
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


def start_time(name):
    """Seconds from starting the kernel process to its first kernel_info_reply."""
    km = KernelManager(kernel_name=name)
    t0 = time.perf_counter()
    km.start_kernel()
    shell = km.connect_shell()
    try:
        while True:  # a request sent before the kernel binds may be lost: resend until answered
            msg = km.session.send(shell, "kernel_info_request", {})
            try:
                wait_reply(km.session, shell, msg["header"]["msg_id"], timeout_s=0.05)
                return time.perf_counter() - t0
            except TimeoutError:
                if time.perf_counter() - t0 > READY_TIMEOUT_S:
                    raise
    finally:
        shell.close(linger=0)
        km.shutdown_kernel(now=True)


def idle_of(session, iopub, msg_id):
    """Receives iopub messages until the idle status of msg_id."""
    while True:
        _, msg = session.recv(iopub, mode=0)
        if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                and msg["content"]["execution_state"] == "idle"):
            return


def round_trips(name, code, rounds):
    """Seconds per trivial cell, execute_request to idle, for `rounds` cells."""
    km = KernelManager(kernel_name=name)
    km.start_kernel()
    shell, iopub = km.connect_shell(), km.connect_iopub()
    iopub.setsockopt(zmq.SUBSCRIBE, b"")
    s = km.session
    try:
        start_time_s = time.perf_counter()
        while True:  # wait until iopub is connected: a kernel_info's idle arrives
            msg = s.send(shell, "kernel_info_request", {})
            if iopub.poll(100):
                idle_of(s, iopub, msg["header"]["msg_id"])
                break
            if time.perf_counter() - start_time_s > READY_TIMEOUT_S:
                raise TimeoutError(f"{name}: iopub never answered")
        while shell.poll(0):
            s.recv(shell, mode=0)
        times = []
        for _ in range(rounds):
            content = {"code": code, "silent": False, "store_history": True,
                       "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}
            t0 = time.perf_counter()
            msg = s.send(shell, "execute_request", content)
            idle_of(s, iopub, msg["header"]["msg_id"])
            times.append(time.perf_counter() - t0)
            s.recv(shell, mode=0)  # the execute_reply
        return times
    finally:
        shell.close(linger=0)
        iopub.close(linger=0)
        km.shutdown_kernel(now=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rounds", type=int, default=200, help="cells per kernel (default 200)")
    ap.add_argument("--starts", type=int, default=5, help="kernel starts per kernel (default 5)")
    args = ap.parse_args()
    print(f"{'benchmark':<34}{'ctorch ms':>11}{'ipykernel ms':>14}{'ratio':>8}  target")
    for cell, codes in CELLS.items():
        rt = {k: statistics.median(round_trips(k, codes[k], args.rounds)) * 1000 for k in KERNELS}
        ratio = rt["python3"] / rt["ctorch"]
        met = rt["ctorch"] <= TARGET_ROUND_TRIP_MS and ratio >= TARGET_SPEEDUP
        print(f"{'round trip, ' + cell + ' (median)':<34}{rt['ctorch']:>11.3f}{rt['python3']:>14.3f}"
              f"{ratio:>8.2f}  <= {TARGET_ROUND_TRIP_MS} ms and >= {TARGET_SPEEDUP}x: "
              f"{'met' if met else 'MISSED'}")
    st = {k: statistics.median(start_time(k) for _ in range(args.starts)) * 1000 for k in KERNELS}
    print(f"{'start to ready (median)':<34}{st['ctorch']:>11.1f}{st['python3']:>14.1f}"
          f"{st['python3'] / st['ctorch']:>8.2f}  <= {TARGET_START_MS} ms: "
          f"{'met' if st['ctorch'] <= TARGET_START_MS else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
