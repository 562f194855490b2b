"""ctorch against PyTorch (CPU) on the same inputs, in one run: `make bench`.

Each case is a named entry in CASES: its inputs (seeded NumPy arrays, written once as raw
files that both sides read), the PyTorch expression, and the op of bench/bench_ops.c that
computes the same thing in ctorch. Both sides warm up, then time repeated batches of calls;
the table shows the medians and PyTorch-time / ctorch-time (above 1: ctorch is faster), taken
rep by rep over batches run back to back, so that both sides of a ratio saw the same machine. The
results go to build/bench/results-<time>.json and build/bench/latest.json.

To add a benchmark (an MLP training step, a convolution): add an op to OPS in
bench/bench_ops.c and a Case here with the same op name.
"""
import argparse
import dataclasses
import datetime
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "build" / "bench"
INPUT_DIR = OUT_DIR / "inputs"
BENCH_BIN = pathlib.Path(os.environ.get("CTORCH_BENCH_BIN", ROOT / "build" / "bin" / "bench_ops"))
THREADS = 2  # the same for both sides: torch.set_num_threads, OMP and OpenBLAS threads
SEED = 0
# Pause before each timed batch, so that it starts on idle cores: after a GEMM, OpenBLAS's
# threads spin for about 0.1 s (2^28 cycles, its THREAD_TIMEOUT) before they sleep, and a
# batch of the other side started at once would share the cores with them.
SETTLE_SECONDS = 0.15
# The untimed first call: each timed batch, on both sides, follows one untimed call of the case.
# After the settling pause the second core's virtual CPU is halted, and on this kind of virtual
# machine waking it takes milliseconds: the first OpenMP parallel region after 150 ms idle took
# 0.1 to 7 ms (2 us once awake), so the first call of a batch cost ctorch's MLP step 2 to 24 ms
# instead of 0.5, and PyTorch's 1.4 to 2.2 ms instead of 0.9. That is the machine's wake-up, not
# either library's cost per call, and it weighed most on whichever side's batch was shorter.
# Load average above the core count by more than this (our own run adds about one) marks the
# timings as taken on a busy machine.
BUSY_LOAD_MARGIN = 1.0

# Both libraries' thread pools, set before torch loads (and passed to bench_ops).
# Both sides get the same OpenMP wait policy: OpenMP's default (threads spin a while before
# sleeping), as a PyTorch user has it, unless OMP_WAIT_POLICY is set for the run (the ctorch
# kernel sets PASSIVE, which a busy machine needs).
THREAD_ENV = {"OMP_NUM_THREADS": str(THREADS), "OPENBLAS_NUM_THREADS": str(THREADS)}
if os.environ.get("OMP_WAIT_POLICY"):
    THREAD_ENV["OMP_WAIT_POLICY"] = os.environ["OMP_WAIT_POLICY"]
os.environ.update(THREAD_ENV)
import torch  # noqa: E402  (after the thread environment is set)

import training  # noqa: E402  (bench/training.py: the PyTorch side of the training cases)


@dataclasses.dataclass
class Input:
    """A seeded standard-normal array of shape and dtype."""

    shape: tuple
    dtype: str = "float32"
    seed: int = SEED

    def key(self):
        """A file name for these values."""
        return f"{self.dtype}-{'x'.join(map(str, self.shape))}-s{self.seed}"

    def array(self):
        """The values, the same on every run."""
        rng = np.random.default_rng(self.seed)
        return rng.standard_normal(self.shape, dtype=np.float64).astype(self.dtype)


@dataclasses.dataclass
class Case:
    """One benchmark: name, inputs, the torch expression, the bench_ops op, how often."""

    name: str
    inputs: list
    torch_fn: object
    op: str
    reps: int = 5
    inner: int = 1
    warmup: int = 1
    target: float = 1.0  # the ratio aimed for (reported, not asserted)


M = 1 << 20
# Calls per timed batch of the memory-bound cases (a few ms each): the first call after the
# settling pause pays for waking the thread pools; a batch of several measures the steady state.
BIG_INNER = 5
# Reps: batches of a few milliseconds catch this machine's swings whole, so their per-rep ratios
# scatter widely (quartiles 0.6-1.6 for sgemm 256 in one run); those cases take 21-31 reps so
# that the median of the ratios moves less from run to run. The 4-element add's batches are
# 100,000 calls (about 15 ms for ctorch) for the same reason.
CASES = [
    Case("sgemm 256", [Input((256, 256)), Input((256, 256), seed=1)],
         torch.matmul, "matmul", reps=31, inner=50),
    Case("sgemm 1024", [Input((1024, 1024)), Input((1024, 1024), seed=1)],
         torch.matmul, "matmul", reps=15),
    Case("sgemm 2048", [Input((2048, 2048)), Input((2048, 2048), seed=1)],
         torch.matmul, "matmul", reps=9),
    Case("add 16M", [Input((16 * M,)), Input((16 * M,), seed=1)], torch.add, "add", reps=9,
         inner=BIG_INNER),
    Case("mul 16M", [Input((16 * M,)), Input((16 * M,), seed=1)], torch.mul, "mul", reps=9,
         inner=BIG_INNER),
    Case("add 16M x.T + y.T", [Input((4096, 4096)), Input((4096, 4096), seed=1)],
         lambda x, y: x.T + y.T, "add_T", reps=9, inner=BIG_INNER),
    Case("mul 16M x.T * y.T", [Input((4096, 4096)), Input((4096, 4096), seed=1)],
         lambda x, y: x.T * y.T, "mul_T", reps=9, inner=BIG_INNER),
    Case("sum 16M", [Input((16 * M,))], torch.sum, "sum", reps=21, inner=BIG_INNER),
    Case("softmax 4096x1000 dim -1", [Input((4096, 1000))],
         lambda x: torch.softmax(x, -1), "softmax_last", reps=15, inner=BIG_INNER),
    Case("add 4 elements (per-op overhead)", [Input((4,)), Input((4,), seed=1)],
         torch.add, "add", reps=21, inner=100000, warmup=2000, target=10.0),
    Case("MLP 784-256-128-10 fwd+bwd, batch 64",
         [Input((64, 784)), Input((256, 784), seed=1), Input((128, 256), seed=2),
          Input((10, 128), seed=3)], training.mlp_fwd_bwd, "mlp_fwd_bwd", reps=31, inner=20),
    Case("blitz net train step, batch 4", [Input((4, 1, 32, 32))], training.blitz_step,
         "blitz_step", reps=21, inner=50, warmup=5, target=2.0),
    Case("blitz net train step, batch 64", [Input((64, 1, 32, 32))], training.blitz_step,
         "blitz_step", reps=21, inner=10, warmup=3),
    Case("Fashion-MNIST MLP epoch, batch 64", [Input((1,))], training.fmnist_mlp_epoch,
         "fmnist_mlp_epoch", reps=1, inner=1, warmup=1),
]


def input_file(inp):
    """The raw file holding inp's values, written on first use."""
    path = INPUT_DIR / (inp.key() + ".bin")
    if not path.exists():
        INPUT_DIR.mkdir(parents=True, exist_ok=True)
        inp.array().tofile(path)
    return path


class CtorchSide:
    """bench_ops as a child process, one case at a time (see bench/bench_ops.c)."""

    def __init__(self):
        if not BENCH_BIN.exists():
            sys.exit(f"{BENCH_BIN} is missing: run `make bench` (it builds it first)")
        self.proc = subprocess.Popen([str(BENCH_BIN)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1,
                                     env=dict(os.environ, **THREAD_ENV))

    def _reply(self):
        """bench_ops' next answer, as a dict."""
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"bench_ops stopped (status {self.proc.wait()})")
        return json.loads(line)

    def start(self, case):
        """Loads case's inputs and warms up; an error text, or None when ready."""
        parts = [case.name.replace(" ", "_"), case.op, case.warmup, case.inner,
                 len(case.inputs)]
        for inp in case.inputs:
            parts += [input_file(inp), inp.dtype, len(inp.shape), *inp.shape]
        self.proc.stdin.write(" ".join(map(str, parts)) + "\n")
        reply = self._reply()
        return reply.get("error")

    def batch(self):
        """Seconds per call over one batch."""
        self.proc.stdin.write("run\n")
        return self._reply()["seconds"]

    def finish(self):
        """Ends the current case."""
        self.proc.stdin.write("next\n")

    def close(self):
        """Ends bench_ops."""
        self.proc.stdin.close()
        self.proc.wait()


def torch_batch(case, tensors):
    """Seconds per call of case.torch_fn over one batch of case.inner calls, after one
    untimed call (see "the untimed first call" above)."""
    case.torch_fn(*tensors)
    t0 = time.perf_counter()
    for _ in range(case.inner):
        case.torch_fn(*tensors)
    return (time.perf_counter() - t0) / case.inner


def run_case(case, ctorch):
    """Times case on both sides, alternating batches (and which side goes first), so that
    both see the same load on the machine; each batch starts on settled, idle cores. The
    result row for the JSON report."""
    row = {"name": case.name, "op": case.op, "reps": case.reps, "inner": case.inner,
           "warmup": case.warmup, "target": case.target}
    error = ctorch.start(case)
    if error:
        row["error"] = error
        return row
    tensors = [torch.from_numpy(np.fromfile(input_file(i), dtype=i.dtype).reshape(i.shape))
               for i in case.inputs]
    for _ in range(case.warmup):
        case.torch_fn(*tensors)
    th, ct = [], []
    for r in range(case.reps):
        for side in ("ctorch", "torch") if r % 2 else ("torch", "ctorch"):
            time.sleep(SETTLE_SECONDS)
            if side == "torch":
                th.append(torch_batch(case, tensors))
            else:
                ct.append(ctorch.batch())
    ctorch.finish()
    row.update(torch_seconds=th, torch_median=statistics.median(th), ctorch_seconds=ct,
               ctorch_median=statistics.median(ct))
    # Each rep's two batches ran back to back, under the same conditions: their ratio cancels
    # what changes between reps (this virtual machine's cores run faster or slower for seconds
    # at a time), which the ratio of the two sides' medians would not.
    pairs = sorted(t / c for t, c in zip(th, ct))
    row["pair_ratios"] = pairs
    row["ratio"] = statistics.median(pairs)
    if len(pairs) >= 4:
        q1, _, q3 = statistics.quantiles(pairs, n=4)
        row["ratio_quartiles"] = [q1, q3]
    return row


def cpu_model():
    """The CPU model name from /proc/cpuinfo."""
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def fmt_time(s):
    """Seconds in a readable unit."""
    if s >= 1e-1:
        return f"{s:.3f} s"
    if s >= 1e-4:
        return f"{s * 1e3:.3f} ms"
    return f"{s * 1e6:.3f} us"


def main():
    """Times every case (or those -k selects), prints the table and writes the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="", help="run only cases whose name contains this")
    args = parser.parse_args()
    cases = [c for c in CASES if args.k in c.name]
    if not cases:
        sys.exit(f"no case name contains {args.k!r}; the cases: {[c.name for c in CASES]}")
    torch.set_num_threads(THREADS)

    started = datetime.datetime.now(datetime.timezone.utc)
    machine = {"cpu": cpu_model(), "cores": os.cpu_count(), "threads": THREADS,
               "torch": torch.__version__, "python": platform.python_version(),
               "kernel": platform.release()}
    print(f"ctorch vs PyTorch (CPU) — {started:%Y-%m-%d %H:%M:%S} UTC")
    machine["omp_wait_policy"] = THREAD_ENV.get("OMP_WAIT_POLICY", "default")
    print(f"machine: {machine['cpu']}, {machine['cores']} cores; {THREADS} threads each; "
          f"OpenMP wait policy {machine['omp_wait_policy']}; torch {machine['torch']}")

    for c in cases:  # write every input before timing anything
        for inp in c.inputs:
            input_file(inp)
    load_before = os.getloadavg()
    ctorch = CtorchSide()
    rows = [run_case(c, ctorch) for c in cases]
    ctorch.close()
    machine["loadavg_before"] = load_before
    machine["loadavg_after"] = os.getloadavg()

    width = max(len(r["name"]) for r in rows)
    print(f"\n{'case':<{width}}  {'PyTorch':>12}  {'ctorch':>12}  {'ratio':>7}  "
          f"{'quartiles':>11}  target")
    for r in rows:
        if "ratio" in r:
            mark = "" if r["ratio"] >= r["target"] else "  below target"
            quart = "{:.2f}-{:.2f}".format(*r["ratio_quartiles"]) if "ratio_quartiles" in r else "-"
            print(f"{r['name']:<{width}}  {fmt_time(r['torch_median']):>12}  "
                  f"{fmt_time(r['ctorch_median']):>12}  {r['ratio']:>7.2f}  {quart:>11}  "
                  f">= {r['target']:g}{mark}")
        else:
            print(f"{r['name']:<{width}}  {'-':>12}  {'error':>12}  {'-':>7}  {'-':>11}  "
                  f"{r['error']}")
    print("\ntimes: medians of the timed batches. ratio = PyTorch time / ctorch time (above 1: "
          "ctorch is faster),\nthe median over reps of the two sides' back-to-back batches; "
          "quartiles: of those per-rep ratios")
    load = max(machine["loadavg_before"][0], machine["loadavg_after"][0])
    busy = load > machine["cores"] + BUSY_LOAD_MARGIN
    print(f"load average (1 min): {machine['loadavg_before'][0]:.2f} before, "
          f"{machine['loadavg_after'][0]:.2f} after" +
          (" -- the machine was busy with other work: these timings are unreliable"
           if busy else ""))

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    report = {"date": started.isoformat(), "machine": machine, "results": rows}
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    for path in [OUT_DIR / f"results-{stamp}.json", OUT_DIR / "latest.json"]:
        path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results: {OUT_DIR / f'results-{stamp}.json'}")


if __name__ == "__main__":
    main()
