#!/usr/bin/env python3
"""The cell compiler: compile-and-run time of a typical 30-line cell, and memory after many cells.

Runs notebooks of cells with `ctorch --run-cells` (which reports how long each cell's
jit_execute took) and prints medians for:
  new cells   30-line cells, each defining its own names (a notebook being written)
  re-runs     the same 30-line cell run again and again (a notebook being re-run)
and the growth of the process's resident memory over 1,000 such cells.
Targets: median <= 5 ms; growth < 50 MB. Run on an idle machine:
.venv/bin/python bench/cell_bench.py
"""
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(os.environ.get('CTORCH_BIN', ROOT / 'build' / 'bin' / 'ctorch'))
NEW_CELLS = 40
RERUNS = 40
TARGET_MS = 5.0
MEMORY_CELLS = 1000
MEMORY_TARGET_MB = 50.0
# A cell that prints the process's resident memory in bytes.
RSS_CELL = """{ long pages, rss; FILE *f = fopen("/proc/self/statm", "r");
  if (f && fscanf(f, "%ld %ld", &pages, &rss) == 2) printf("%ld\\n", rss * sysconf(_SC_PAGESIZE));
  if (f) fclose(f); }
"""

# 30 lines: a type, a function, globals with initialisers, loops, tensor ops, a result.
CELL = """typedef struct {{ int n; double sum; }} Acc{i};
double sq{i}(double v) {{ return v * v; }}
Acc{i} acc{i} = {{0, 0.0}};
Tensor *w{i} = t_ones(3, 3);
for (int i = 0; i < 10; i++) {{
    acc{i}.n++;
    acc{i}.sum += sq{i}(i);
}}
Tensor *y{i} = t_add(w{i}, w{i});
double m{i} = t_item(t_sum(y{i}));
if (m{i} > 0) {{
    acc{i}.sum += m{i};
}}
int k{i} = 0;
while (k{i} < 5) {{
    k{i} += 1;
}}
const char *name{i} = "cell";
int len{i} = (int)strlen(name{i});
double arr{i}[4] = {{1, 2, 3, 4}};
double tot{i} = 0;
for (int j = 0; j < 4; j++) tot{i} += arr{i}[j];
Tensor *z{i} = t_mul_s(y{i}, 2.0);
z{i} = t_relu(z{i});
int flags{i} = len{i} + k{i};
flags{i} *= 2;
acc{i}.n += flags{i};
tot{i} += acc{i}.sum;
m{i} = tot{i} / 2;
acc{i}.n
"""


def run_cells(cells):
    """Runs the cells in one program; one result dict per cell."""
    with tempfile.NamedTemporaryFile("w", suffix=".cells", delete=False) as f:
        for c in cells:
            f.write("--- cell\n" + c)
        path = f.name
    try:
        out = subprocess.run([str(BIN), "--run-cells", path], capture_output=True, check=True,
                             cwd=ROOT).stdout.decode()
    finally:
        os.unlink(path)
    got = [json.loads(line) for line in out.splitlines() if line.strip()]
    bad = [g for g in got if not g["ok"]]
    if bad:
        sys.exit(f"a cell failed: {bad[0]['evalue']}")
    return got


def memory_growth_mb():
    """Resident memory growth in MB from the 10th to the last of MEMORY_CELLS new cells."""
    head = '#include "ctorch.h"\n#include <string.h>\n#include <stdio.h>\n#include <unistd.h>\n'
    cells = [head] + [CELL.format(i=i) for i in range(MEMORY_CELLS)]
    cells.insert(11, RSS_CELL)
    cells.append(RSS_CELL)
    got = run_cells(cells)
    before, after = int(got[11]["stdout"]), int(got[-1]["stdout"])
    return (after - before) / 1e6


def main():
    cells = ['#include "ctorch.h"\n#include <string.h>\n']
    cells += [CELL.format(i=i) for i in range(NEW_CELLS)]
    cells += [CELL.format(i="_again")] * RERUNS
    got = run_cells(cells)
    new = [g["ms"] for g in got[1:1 + NEW_CELLS]]
    again = [g["ms"] for g in got[1 + NEW_CELLS:]]
    print(f"load average {os.getloadavg()[0]:.2f}")
    for name, ms in (("new cells", new), ("re-runs", again)):
        print(f"{name:10s} median {statistics.median(ms):6.2f} ms  min {min(ms):6.2f} ms  "
              f"max {max(ms):6.2f} ms  (target <= {TARGET_MS} ms)")
    print(f"memory     {memory_growth_mb():6.1f} MB more after {MEMORY_CELLS} cells "
          f"(target < {MEMORY_TARGET_MB:.0f} MB)")


if __name__ == "__main__":
    main()
