"""Cold start: `rulekit lint` of one listing with the bundled policies, a new process each time, wall time.

    python benchmarks/bench_coldstart.py                 # 5 runs per variant, against f47ac68
    python benchmarks/bench_coldstart.py --runs 9 --write

Variants, interleaved run by run: this tree with its user cache warm (one run first fills it), this tree with
`RULEKIT_NO_CACHE=1` (what the very first run on a machine costs), and the baseline ref from a git worktree.
The listing is the first line of examples/listings.jsonl; the medians are compared. Both trees are byte-compiled
first, as an installed package is (pip compiles what it installs).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchtools import REPO, emit, figures_option, remove_worktree, save_figures, worktree  # noqa: E402

OUT = Path(__file__).resolve().parent / "results_coldstart.md"


def wall(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, env=env, cwd=cwd)
    if r.returncode not in (0, 1):
        raise SystemExit(f"{cmd} failed: {r.stderr.decode()[-1500:]}")
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--baseline", default="f47ac68")
    ap.add_argument("--write", action="store_true")
    figures_option(ap)
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rulekit-cold-"))
    one = work / "one.jsonl"
    one.write_text((REPO / "examples" / "listings.jsonl").read_text(encoding="utf-8").split("\n")[0] + "\n",
                   encoding="utf-8")
    base = worktree(a.baseline)
    cache = work / "cache"
    lint = ["lint", "--format", "jsonl", "--now", "2025-06-10T12:00:00+08:00", str(one)]
    variants = {
        "this tree, cache warm": ([sys.executable, "-m", "rulekit", *lint], {"RULEKIT_CACHE_DIR": str(cache)}, REPO),
        "this tree, no cache": ([sys.executable, "-m", "rulekit", *lint], {"RULEKIT_NO_CACHE": "1"}, REPO),
        f"baseline {a.baseline}": ([sys.executable, "-m", "rulekit", *lint], {}, base),
    }
    try:
        # bytecode as an installed package has it (pip compiles what it installs), for both trees alike
        for tree in (REPO, base):
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "rulekit")], check=True,
                           env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})
        cmd, extra, cwd = variants["this tree, cache warm"]
        wall(cmd, {**os.environ, **extra}, cwd)  # fills the cache
        times: dict[str, list[float]] = {k: [] for k in variants}
        for r in range(a.runs):
            items = list(variants.items())
            for name, (cmd, extra, cwd) in (items if r % 2 == 0 else items[::-1]):
                env = {k: v for k, v in os.environ.items()
                       if not k.startswith("RULEKIT_") and k != "PYTHONDONTWRITEBYTECODE"}
                env.update(extra)
                if cwd == base:
                    env["PYTHONPATH"] = str(base)
                times[name].append(wall(cmd, env, cwd))
    finally:
        remove_worktree(base)
    lines = [f"Command: `python benchmarks/bench_coldstart.py --runs {a.runs} --baseline {a.baseline}`", "",
             f"`rulekit lint --format jsonl` of one listing, bundled policies, a new process per run, wall time, "
             f"median of {a.runs} interleaved runs; load average {os.getloadavg()[0]:.2f} at the end.", "",
             "| variant | median ms | min ms | max ms |", "|---|---:|---:|---:|"]
    for name, ts in times.items():
        lines.append(f"| {name} | {statistics.median(ts) * 1000:.0f} | {min(ts) * 1000:.0f} | {max(ts) * 1000:.0f} |")
    emit(lines, "Cold start", OUT, a.write)
    save_figures(a.figures, {"baseline": a.baseline, "median_ms": {
        ("baseline" if k.startswith("baseline") else k): statistics.median(ts) * 1000 for k, ts in times.items()}})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
