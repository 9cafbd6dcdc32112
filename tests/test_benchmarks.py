"""The benchmark scripts' own checks at tiny sizes: rulekit's results equal the hand-written floors' (no timings)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.helpers import REPO

BENCH = REPO / "benchmarks"


@pytest.mark.parametrize("script, args", [
    ("bench_windows.py", ["--events", "3000", "--repeat", "1", "--no-durable"]),  # fires as the per-key deque
    ("bench_lint.py", ["--orders", "300", "--rounds", "1"]),  # flags as the file floor; --jobs 2 the same bytes
    ("bench_typed_decode.py", ["--orders", "300", "--rounds", "1"]),  # the typed decodes give the validator's values
])
def test_a_benchmark_s_own_checks_pass(script: str, args: list[str]) -> None:
    before = {p: p.read_bytes() for p in BENCH.glob("results_*.md")}
    r = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True, timeout=600,
                       cwd=REPO)
    assert r.returncode == 0, (r.stdout[-1500:], r.stderr[-1500:])
    assert "MISMATCH" not in r.stdout and not re.search(r"\bNO\b", r.stdout)
    assert {p: p.read_bytes() for p in BENCH.glob("results_*.md")} == before  # without --write nothing is saved


def test_the_targets_run_reads_every_script_s_figures() -> None:
    r = subprocess.run([sys.executable, str(BENCH / "targets.py"), "--quick", "--only", "lint", "windows"],
                       capture_output=True, text=True, timeout=600, cwd=REPO)
    assert r.returncode == 0, (r.stdout[-1500:], r.stderr[-1500:])
    lines = r.stdout.splitlines()
    start = lines.index("| workload | target | measured | met? |") + 2
    rows = lines[start:lines.index("", start)]  # the targets' table; each script's own tables follow it
    measured = [row for row in rows if "not run" not in row]
    # the two scripts asked for give each of their targets a figure and a verdict; the others are "not run"
    assert len(measured) == 6 and all(row.endswith(("| **yes** |", "| no |")) for row in measured), rows
    assert "`bench_lint.py --orders 300 --rounds 1`" in r.stdout
