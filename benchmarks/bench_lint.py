"""`rulekit lint --format jsonl` (and text) of a JSON lines file against a file floor, interleaved, in CPU time.

    python benchmarks/bench_lint.py                 # 100,000 orders, 5 rounds
    python benchmarks/bench_lint.py --orders 20000 --rounds 3 --write

The floor is what a hand-written script does for the same file and policies: read each line with `json.loads`
(`parse_float=Decimal`, so money stays exact), apply the freight and 48h SLA checks of benchmarks/policies in
Python (bench_engine.py's floor functions), and write one JSON line per order. Both run as child processes on
the same file; the CPU time of each (user + system, from the child's rusage) is taken, rounds alternate which
goes first, and medians are compared. rulekit's output is checked to flag the same orders as the floor's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_engine import NOW_ISO, make_orders  # noqa: E402
from benchtools import emit, figures_option, save_figures  # noqa: E402

OUT = HERE / "results_lint.md"
NOW = NOW_ISO  # the floor functions evaluate at bench_engine.NOW

FLOOR = r"""
import json, sys
from decimal import Decimal
sys.path.insert(0, sys.argv[1])
from bench_engine import floor_freight, floor_sla
with open(sys.argv[2], encoding="utf-8") as f, open(sys.argv[3], "w", encoding="utf-8") as out:
    for line in f:
        o = json.loads(line, parse_float=Decimal)
        a, b = floor_freight(o), floor_sla(o)
        v = a["violations"] + b["violations"]
        d = "block" if "block" in (a["decision"], b["decision"]) else (
            "review" if "review" in (a["decision"], b["decision"]) else "allow")
        out.write(json.dumps({"id": o["id"], "decision": d, "violations": v}, ensure_ascii=False) + "\n")
"""


def child_cpu(cmd: list[str]) -> tuple[float, float]:
    """(CPU seconds (user + system, its own worker processes included), wall seconds) of one child run to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode not in (0, 1):
        raise SystemExit(f"{cmd[:3]} failed: {r.stderr[-1500:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--write", action="store_true", help=f"write the table to {OUT.name}")
    figures_option(ap)
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rulekit-bench-lint-"))
    src = work / "orders.jsonl"
    with src.open("w", encoding="utf-8") as f:
        for o in make_orders(a.orders):
            f.write(json.dumps(o, default=str, ensure_ascii=False) + "\n")
    rk = [sys.executable, "-m", "rulekit", "lint", "-p", str(HERE / "policies"), "--subject", "order", "--now", NOW]
    variants = {
        "rulekit lint --format jsonl": rk + ["--format", "jsonl", "-o", str(work / "rk.jsonl"), str(src)],
        "rulekit lint --format text": rk + ["--format", "text", "-o", str(work / "rk.txt"), str(src)],
        "rulekit lint --format jsonl --jobs 2": rk + ["--format", "jsonl", "--jobs", "2", "-o", str(work / "rk2.jsonl"),
                                                      str(src)],
        "floor (json.loads + checks + json.dumps)": [sys.executable, "-c", FLOOR, str(HERE), str(src),
                                                     str(work / "floor.jsonl")],
    }
    cpu: dict[str, list[float]] = {k: [] for k in variants}
    wall: dict[str, list[float]] = {k: [] for k in variants}
    for r in range(a.rounds):
        order = list(variants.items())
        for name, cmd in (order if r % 2 == 0 else order[::-1]):
            c, w = child_cpu(cmd)
            cpu[name].append(c)
            wall[name].append(w)
            print(f"round {r + 1} {name}: {c:.2f} s CPU, {w:.2f} s wall", file=sys.stderr)
    flagged_rk = {json.loads(line)["id"] for line in (work / "rk.jsonl").open(encoding="utf-8")
                  if json.loads(line)["decision"] != "allow"}
    flagged_floor = {json.loads(line)["id"] for line in (work / "floor.jsonl").open(encoding="utf-8")
                     if json.loads(line)["decision"] != "allow"}
    floor = statistics.median(cpu["floor (json.loads + checks + json.dumps)"])
    jsonl = statistics.median(cpu["rulekit lint --format jsonl"])
    lines = [f"Command: `python benchmarks/bench_lint.py --orders {a.orders} --rounds {a.rounds}`", "",
             f"{a.orders:,} orders in one JSON lines file, benchmarks/policies (freight + 48h SLA), `--now {NOW}`; "
             f"CPU time of each child process (start-up included), median of {a.rounds} interleaved rounds; "
             f"load average {os.getloadavg()[0]:.2f} at the end. Same orders flagged as the floor: "
             f"{'yes' if flagged_rk == flagged_floor else 'NO'} ({len(flagged_rk):,}).", "",
             "| variant | CPU s (median) | µs / order | floor ÷ variant (speed) | ÷ jsonl (cost) | wall s (median) |",
             "|---|---:|---:|---:|---:|---:|"]
    for name in variants:
        m = statistics.median(cpu[name])
        lines.append(f"| {name} | {m:.2f} | {m / a.orders * 1e6:.1f} | {floor / m:.2f}× | {m / jsonl:.2f}× | "
                     f"{statistics.median(wall[name]):.2f} |")
    same = (work / "rk.jsonl").read_bytes() == (work / "rk2.jsonl").read_bytes()
    lines += ["", f"`--jobs 2` wrote the same bytes as one process: {'yes' if same else 'NO'}. Its CPU time counts its "
              "worker processes; what it saves is wall time."]
    emit(lines, "`rulekit lint` against a file floor", OUT, a.write)
    save_figures(a.figures, {"orders": a.orders, "cpu_s": {k: statistics.median(v) for k, v in cpu.items()},
                             "wall_s": {k: statistics.median(v) for k, v in wall.items()},
                             "same_flags": flagged_rk == flagged_floor, "jobs_same_bytes": same})
    return 0 if flagged_rk == flagged_floor and same else 1


if __name__ == "__main__":
    raise SystemExit(main())
