"""Every speed target of the hot-path issue measured in one run: each benchmark script in turn, one table of ratios.

    python benchmarks/targets.py                  # the committed sizes (about 10 minutes on 2 cores)
    python benchmarks/targets.py --write          # and save the table to benchmarks/results_targets.md
    python benchmarks/targets.py --quick          # tiny sizes: checks that every script runs, figures meaningless
    python benchmarks/targets.py --only engine lint

The scripts run one after another, never two at once (they would share the CPUs). Each compares rulekit with its
peers *inside its own run*, interleaved, in CPU time, medians of several rounds (cold start: wall time), and writes
its figures as JSON (`--figures`); this script reads them, computes the ratio each target names and says whether
it is met. A script that cannot run here (the real titles of ../shared/data absent, a peer not installed) is
reported as not measured, never as met. The exit status is 1 when a script's own correctness check failed (a peer
flagging other records than rulekit), 0 otherwise: a missed target is a figure, not a failure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "results_targets.md"
Figures = dict[str, Any]


@dataclass(frozen=True)
class Run:
    """One benchmark script, with the arguments of the committed run and of a quick one."""

    name: str
    script: str
    args: tuple[str, ...]
    quick: tuple[str, ...]


RUNS = (
    Run("engine", "bench_engine.py", ("--orders", "100000", "--repeat", "5"), ("--orders", "2000", "--repeat", "1")),
    Run("windows", "bench_windows.py", ("--events", "300000", "--repeat", "5", "--no-durable"),
        ("--events", "3000", "--repeat", "1", "--no-durable")),
    Run("words500", "bench_words500.py", ("--titles", "100000", "--rounds", "5"), ("--titles", "2000", "--rounds", "1")),
    Run("lint", "bench_lint.py", ("--orders", "100000", "--rounds", "5"), ("--orders", "300", "--rounds", "1")),
    Run("listings", "bench_listings.py", ("--listings", "100000", "--rounds", "5", "--baseline", "f47ac68"),
        ("--listings", "500", "--rounds", "1", "--baseline", "f47ac68")),
    Run("coldstart", "bench_coldstart.py", ("--runs", "9", "--baseline", "f47ac68"),
        ("--runs", "1", "--baseline", "f47ac68")),
    Run("memory", "bench_memory.py", ("--sizes", "10000", "100000", "1000000"), ("--sizes", "500", "1000")),
)


@dataclass(frozen=True)
class Target:
    """One row of the issue's table: the figure a run's JSON gives, and the bound it must meet."""

    run: str
    workload: str
    goal: str
    figure: Callable[[Figures], float]
    met: Callable[[float], bool]
    show: Callable[[float], str]


def _times(x: float) -> str:
    return f"{x:.2f}×"


def _ms(x: float) -> str:
    return f"{x:.1f} ms"


def _engine(pol: str, moonshot: bool) -> Callable[[Figures], float]:
    def figure(f: Figures) -> float:
        r = f["records_per_cpu_s"][pol]
        if moonshot:  # the floor's cost over rulekit's: within 1.5× means at most 1.5
            return r["floor (hand-written Python)"] / r["rulekit"]  # type: ignore[no-any-return]
        zen = max(v for k, v in r.items() if k.startswith("zen-engine"))  # its fairest input: the faster row
        return r["rulekit"] / zen  # type: ignore[no-any-return]
    return figure


def _words(peer: str) -> Callable[[Figures], float]:
    def figure(f: Figures) -> float:
        t = f["titles_per_s"]
        return t["rulekit end to end (evaluate_many)"] / t[peer]  # type: ignore[no-any-return]
    return figure


def _windows(f: Figures) -> float:
    e = f["events_per_s"]
    return e["engine"] / e["floor"]  # type: ignore[no-any-return]


def _lint_floor(f: Figures) -> float:
    c = f["cpu_s"]
    return c["floor (json.loads + checks + json.dumps)"] / c["rulekit lint --format jsonl"]  # type: ignore[no-any-return]


def _lint_text(f: Figures) -> float:
    c = f["cpu_s"]
    return c["rulekit lint --format text"] / c["rulekit lint --format jsonl"]  # type: ignore[no-any-return]


def _listings(f: Figures) -> float:
    u = f["us_per_listing"]
    return u["baseline"] / u["this tree"]  # type: ignore[no-any-return]


def _cold(f: Figures) -> float:
    return f["median_ms"]["this tree, cache warm"]  # type: ignore[no-any-return]


def _memory(f: Figures) -> float:
    peaks = list(f["peak_rss_mib"].values())
    return max(peaks) / min(peaks)  # type: ignore[no-any-return]


TARGETS = (
    Target("engine", "freight + SLA in one engine, orders, vs zen-engine (its fastest row)", "≥ 5×",
           _engine("freight+sla", False), lambda x: x >= 5, _times),
    Target("engine", "freight + SLA: the hand-written floor's speed over rulekit's (moonshot)", "≤ 1.5×",
           _engine("freight+sla", True), lambda x: x <= 1.5, _times),
    Target("engine", "freight, orders, vs zen-engine (its faster row)", "≥ 5×", _engine("freight", False),
           lambda x: x >= 5, _times),
    Target("engine", "freight: the hand-written floor's speed over rulekit's (moonshot)", "≤ 1.5×",
           _engine("freight", True), lambda x: x <= 1.5, _times),
    Target("engine", "SLA, orders, vs zen-engine (its faster row)", "≥ 5×", _engine("sla", False),
           lambda x: x >= 5, _times),
    Target("engine", "SLA: the hand-written floor's speed over rulekit's (moonshot)", "≤ 1.5×", _engine("sla", True),
           lambda x: x <= 1.5, _times),
    Target("words500", "500 words over titles, end to end, vs raw pyahocorasick", "≥ 0.7×",
           _words("raw pyahocorasick"), lambda x: x >= 0.7, _times),
    Target("words500", "the same vs raw ahocorasick_rs (moonshot)", "≥ 1.0×", _words("raw ahocorasick_rs"),
           lambda x: x >= 1.0, _times),
    Target("windows", "`count(order by ip within 10m)`, vs the per-key deque floor", "≥ 0.5×",
           _windows, lambda x: x >= 0.5, _times),
    Target("windows", "the same (moonshot)", "≥ 0.9×", _windows, lambda x: x >= 0.9, _times),
    Target("lint", "`lint --format jsonl` of orders vs the file floor", "≥ 1.0×", _lint_floor,
           lambda x: x >= 1.0, _times),
    Target("lint", "the same (moonshot)", "≥ 1.5×", _lint_floor, lambda x: x >= 1.5, _times),
    Target("lint", "`--format text` cost over jsonl", "≤ 1.5×", _lint_text, lambda x: x <= 1.5, _times),
    Target("lint", "`--jobs 2` writes the bytes of one process", "same bytes",
           lambda f: float(f["jobs_same_bytes"]), lambda x: x == 1.0, lambda x: "same" if x == 1.0 else "DIFFERENT"),
    Target("listings", "bundled policies over listings, vs f47ac68", "≥ 3×", _listings, lambda x: x >= 3, _times),
    Target("listings", "the same (moonshot)", "≥ 5×", _listings, lambda x: x >= 5, _times),
    Target("coldstart", "`rulekit lint` of one listing, cold, wall (median)", "< 300 ms", _cold, lambda x: x < 300, _ms),
    Target("coldstart", "the same (moonshot)", "< 150 ms", _cold, lambda x: x < 150, _ms),
    Target("memory", "peak RSS of `lint`, largest ÷ smallest file", "flat (≤ 1.10×)", _memory,
           lambda x: x <= 1.10, _times),
)


def measure(run: Run, quick: bool, work: Path) -> tuple[Figures | None, str]:
    """Run one script (its progress shown as it goes); (its figures and its printed tables, or None and why not)."""
    out = work / f"{run.name}.json"
    cmd = [sys.executable, str(HERE / run.script), *(run.quick if quick else run.args), "--figures", str(out)]
    print(f"== {run.name}: {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=HERE.parent)
    print(f"   {time.perf_counter() - t0:.0f} s, exit status {r.returncode}", file=sys.stderr, flush=True)
    if not out.exists():
        last = (r.stdout.strip() or "no output (its messages are above)").splitlines()[-1]
        return None, f"not measured ({last})"
    figures = json.loads(out.read_text(encoding="utf-8"))
    figures["_exit"] = r.returncode
    return figures, r.stdout.strip()


def render(results: dict[str, tuple[Figures | None, str]], quick: bool, load: tuple[float, float],
           rev: str) -> list[str]:
    cmd = "python benchmarks/targets.py" + (" --quick" if quick else "")
    lines = [f"Command: `{cmd}` at {rev}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; Python "
             f"{platform.python_version()}, {os.cpu_count()} CPUs, load average {load[0]:.2f} at the start and "
             f"{load[1]:.2f} at the end.", ""]
    if quick:
        lines += ["**A quick run**: tiny sizes, to check that every script runs; the figures mean nothing.", ""]
    lines += ["Each script compares rulekit with its peers inside its own run (interleaved, CPU time, medians; cold "
              "start in wall time), so each ratio is of one run; the scripts ran one after another, with these "
              "arguments:", ""]
    lines += [f"- `{r.script} {' '.join(r.quick if quick else r.args)}`" for r in RUNS if r.name in results]
    lines += ["",
              "| workload | target | measured | met? |", "|---|---|---:|---|"]
    for t in TARGETS:
        figures, why = results.get(t.run, (None, "not run"))
        if figures is None:
            lines.append(f"| {t.workload} | {t.goal} | {why} | – |")
            continue
        try:
            x = t.figure(figures)
        except (KeyError, ValueError, ZeroDivisionError) as e:
            lines.append(f"| {t.workload} | {t.goal} | not measured (no figure {e}) | – |")
            continue
        lines.append(f"| {t.workload} | {t.goal} | {t.show(x)} | {'**yes**' if t.met(x) else 'no'} |")
    bad = [name for name, (f, _) in results.items() if f is not None and f.get("_exit")]
    if bad:
        lines += ["", "Scripts whose own checks failed (a variant flagged other records than rulekit): "
                  + ", ".join(bad) + "."]
    for run in RUNS:  # each script's own tables, as it printed them
        figures, printed = results.get(run.name, (None, ""))
        if figures is not None:
            body = printed.replace("\n# ", "\n### ").removeprefix("# ")
            lines += ["", f"## {run.script}", "", body]
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes: check that every script runs")
    ap.add_argument("--only", nargs="+", choices=[r.name for r in RUNS], help="run only these scripts")
    ap.add_argument("--write", action="store_true", help=f"save the table to {OUT.name}")
    a = ap.parse_args()
    rev = subprocess.run(["git", "-C", str(HERE.parent), "describe", "--always", "--dirty"], capture_output=True,
                         text=True).stdout.strip() or "an unknown revision"
    start = os.getloadavg()[0]
    results: dict[str, tuple[Figures | None, str]] = {}
    with tempfile.TemporaryDirectory(prefix="rulekit-targets-") as tmp:
        for run in RUNS:
            if a.only and run.name not in a.only:
                continue
            results[run.name] = measure(run, a.quick, Path(tmp))
    lines = render(results, a.quick, (start, os.getloadavg()[0]), rev)
    text = "\n".join(lines) + "\n"
    print(text)
    if a.write:
        OUT.write_text("# Speed targets, one run\n\n" + text, encoding="utf-8")
    return 1 if any(f is not None and f.get("_exit") for f, _ in results.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
