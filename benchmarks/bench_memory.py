"""Peak memory of `rulekit lint` as the input grows: the peak RSS of the child process at 10k, 100k and 1M orders.

    python benchmarks/bench_memory.py                  # 10,000 / 100,000 / 1,000,000 orders
    python benchmarks/bench_memory.py --sizes 10000 200000 --write

The orders are bench_engine's synthetic ones (50,000 generated once, written again with new ids to reach the
size); the policies are benchmarks/policies (freight + 48h SLA); output goes to a file in JSON lines. Each size is
linted twice (`--jobs 1`), and the larger peak is kept.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_engine import NOW_ISO, make_orders  # noqa: E402
from benchtools import emit, figures_option, save_figures  # noqa: E402

OUT = HERE / "results_memory.md"


TIME = shutil.which("time") or "/usr/bin/time"


def peak_rss_mib(cmd: list[str]) -> float:
    """The peak RSS of one run of `cmd`, as GNU time reports it (%M, kB). A child forked from this process would
    count this process's pages in its peak; GNU time is small, and it forks the command itself."""
    r = subprocess.run([TIME, "-f", "%M", *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode not in (0, 1):
        raise SystemExit(f"{cmd[:4]} failed: {r.stderr[-1500:]}")
    return int(r.stderr.strip().splitlines()[-1]) / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--write", action="store_true", help=f"write the table to {OUT.name}")
    figures_option(ap)
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rulekit-bench-memory-"))
    base = [json.dumps(o, ensure_ascii=False, default=str) for o in make_orders(50_000)]
    rows = []
    for n in a.sizes:
        src = work / f"orders-{n}.jsonl"
        with src.open("w", encoding="utf-8") as f:
            for i in range(n):
                line = base[i % len(base)]
                f.write(line.replace('"id": "O', f'"id": "R{i // len(base)}-O', 1) + "\n")
        cmd = [sys.executable, "-m", "rulekit", "lint", "-p", str(HERE / "policies"), "--subject", "order", "--now",
               NOW_ISO, "--format", "jsonl", "-o", str(work / "out.jsonl"), str(src)]
        peak = max(peak_rss_mib(cmd) for _ in range(2))
        rows.append((n, src.stat().st_size / 2**20, peak))
        print(f"{n:,} orders: peak RSS {peak:.1f} MiB", file=sys.stderr)
        src.unlink()
    lines = [f"Command: `python benchmarks/bench_memory.py --sizes {' '.join(map(str, a.sizes))}`", "",
             "`rulekit lint --format jsonl` of growing files of orders (benchmarks/policies), peak RSS of the child "
             "process (ru_maxrss), the larger of two runs.", "",
             "| orders | input MiB | peak RSS MiB | ÷ the smallest |", "|---:|---:|---:|---:|"]
    for n, size, peak in rows:
        lines.append(f"| {n:,} | {size:.0f} | {peak:.1f} | {peak / rows[0][2]:.2f}× |")
    emit(lines, "Peak memory of `rulekit lint`", OUT, a.write)
    save_figures(a.figures, {"peak_rss_mib": {str(n): peak for n, _, peak in rows}})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
