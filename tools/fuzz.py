"""Long fuzzing campaigns with the generators of tests/fuzzgen.py: counts tracebacks, crashes and hangs.

    python tools/fuzz.py --policies 100000 --records 100000 [--jobs 2] [--start SEED]

Policies are a third generated from the grammar's pieces, a third well-typed (they must load, format to a fixed
point and evaluate), a third mutations of the bundled and conformance policies;
records go 40 to a file through `rulekit lint`. Each case has 5 s (SIGALRM) before it counts as a hang; a case
that kills its worker counts as a crash. Every failure is printed with its seed (rerun one with --start SEED
--policies 1). Exit status 1 when anything failed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests import fuzzgen  # noqa: E402

HANG_SECONDS = 5
PER_FILE = 40


class _Hang(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Hang


def _warm_up() -> None:
    import rulekit
    from rulekit.cli import build_parser
    from rulekit.syntax.parser import _lark

    _lark()
    build_parser()
    rulekit.load()


def _work(job: tuple[str, int, int]) -> list[tuple[str, int, str]]:
    mode, start, count = job
    signal.signal(signal.SIGALRM, _alarm)
    seeds = fuzzgen.seeds()
    temps = fuzzgen.templates()
    _warm_up()  # a new worker builds the parser and imports everything before any case is timed
    failures = []
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        for seed in range(start, start + count):
            rnd = random.Random(seed)
            signal.alarm(HANG_SECONDS if mode == "policy" else HANG_SECONDS * 4)
            try:
                if mode == "policy" and seed % 3 == 2:
                    problem = fuzzgen.check_policy(fuzzgen.typed_policy(rnd), work, must_load=True)
                elif mode == "policy":
                    text = fuzzgen.policy(rnd) if seed % 3 else fuzzgen.mutate(rnd, rnd.choice(seeds))
                    problem = fuzzgen.check_policy(text, work)
                else:
                    fmt = ("jsonl", "json", "csv")[seed % 3]
                    problem = fuzzgen.check_records(fuzzgen.record_lines(rnd, temps, PER_FILE), work, fmt)
            except _Hang:
                problem = "hang"
            except RecursionError:
                problem = "RecursionError outside the checked path"
            finally:
                signal.alarm(0)
            if problem is not None:
                failures.append((mode, seed, problem))
    return failures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policies", type=int, default=1000)
    ap.add_argument("--records", type=int, default=1000, help="records (in files of 40)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--start", type=int, default=0)
    a = ap.parse_args()
    chunk = 200
    jobs = [("policy", s, min(chunk, a.start + a.policies - s)) for s in range(a.start, a.start + a.policies, chunk)]
    files = -(-a.records // PER_FILE)
    jobs += [("records", s, min(chunk // 4, a.start + files - s)) for s in range(a.start, a.start + files, chunk // 4)]
    t0 = time.monotonic()
    failures: list[tuple[str, int, str]] = []
    crashed = 0
    with multiprocessing.get_context("spawn").Pool(a.jobs, maxtasksperchild=5) as pool:
        results = [pool.apply_async(_work, (j,)) for j in jobs]
        for done, (j, r) in enumerate(zip(jobs, results, strict=True), start=1):
            try:
                failures += r.get(timeout=3600)
                if done % 50 == 0:
                    print(f"  {done}/{len(jobs)} chunks, {len(failures)} failures so far", file=sys.stderr, flush=True)
            except Exception as e:  # noqa: BLE001 - a worker that died: a crash in that chunk
                crashed += 1
                failures.append((j[0], j[1], f"worker died on seeds {j[1]}..{j[1] + j[2] - 1}: {e!r}"))
    kinds: dict[str, int] = {}
    for _mode, _seed, problem in failures:
        key = "hang" if problem == "hang" else problem.split("\n")[0][:80]
        kinds[key] = kinds.get(key, 0) + 1
    print(f"{a.policies:,} policies and {files * PER_FILE:,} records ({files:,} files) from seed {a.start} in "
          f"{time.monotonic() - t0:,.0f} s on {a.jobs} workers: {len(failures)} failures "
          f"({sum(1 for f in failures if f[2] == 'hang')} hangs, {crashed} crashed chunks)")
    for key, n in sorted(kinds.items(), key=lambda kv: -kv[1]):
        print(f"  {n:6,}  {key}")
    for mode, seed, problem in failures[:15]:
        print(f"--- {mode} seed {seed}\n{problem}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
