"""The bundled policies over real-looking listings: this tree against an earlier rulekit (a git ref), interleaved.

    python benchmarks/bench_listings.py                       # 100,000 listings, 5 rounds, against f47ac68
    python benchmarks/bench_listings.py --listings 20000 --rounds 3 --baseline HEAD~3 --write

Listings: real product titles from ../shared/data/titles_zh/titles.txt (cycled; synthetic CJK text when the data
is absent), a description made of three other titles, one of eight categories, prices as JSON numbers, one image.
Each variant runs in a child process of its own (the baseline from a `git worktree` of the ref), which builds the
same listings from the same seed, loads the bundled policies, runs `list(engine.evaluate_many(listings,
kind="listing", now=NOW))` once to warm up and then once timed in CPU time (time.process_time), and prints the
figure; rounds alternate the variants, and the medians are compared. Each variant must give the same decisions
in every round (the two trees differ where the bundled policies changed between them).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchtools import REPO, emit, figures_option, remove_worktree, save_figures, worktree  # noqa: E402

TITLES = REPO.parent / "shared" / "data" / "titles_zh" / "titles.txt"
OUT = Path(__file__).resolve().parent / "results_listings.md"

WORKER = r"""
import hashlib, json, random, sys, time, gc
from datetime import datetime, timedelta, timezone
sys.path.insert(0, sys.argv[1])
import rulekit
n, titles_path = int(sys.argv[2]), sys.argv[3]
try:
    titles = [t.strip() for t in open(titles_path, encoding="utf-8") if t.strip()]
except OSError:
    rnd0 = random.Random(1)
    titles = ["".join(chr(0x4E00 + rnd0.randrange(3000)) for _ in range(rnd0.randrange(12, 40))) for _ in range(8000)]
rnd = random.Random(7)
cats = ["服饰", "数码", "食品", "美妆", "家居", "母婴", "图书", "医药"]
start = datetime(2025, 6, 1, 10, tzinfo=timezone(timedelta(hours=8)))
listings = []
for i in range(n):
    price = rnd.randrange(5, 2000)
    listings.append({"id": f"L-{i}", "shop_id": f"S-{i % 500}", "product_id": f"P-{i}", "title": titles[i % len(titles)],
                     "description": "，".join(titles[(i * 7 + k) % len(titles)] for k in range(1, 4)),
                     "category": cats[i % len(cats)], "price": price, "original_price": price + rnd.randrange(0, 300),
                     "images": [{"url": f"https://img.example.com/{i}.jpg", "width": 800, "height": 800, "licensed": True}],
                     "published_at": (start + timedelta(seconds=i)).isoformat()})
engine = rulekit.load()
now = datetime(2025, 6, 10, 12, tzinfo=timezone(timedelta(hours=8)))
warm = list(engine.evaluate_many(listings[: min(n, 2000)], kind="listing", now=now))
gc.collect()
t0 = time.process_time()
reports = list(engine.evaluate_many(listings, kind="listing", now=now))
cpu = time.process_time() - t0
digest = hashlib.sha256("".join(r.decision + ",".join(sorted(r.fired())) for r in reports).encode()).hexdigest()
print(json.dumps({"cpu": cpu, "digest": digest, "blocked": sum(r.decision == "block" for r in reports)}))
"""


def run(src: Path, n: int) -> dict[str, float | str]:
    env = {**os.environ, "RULEKIT_NO_CACHE": "1"}
    out = subprocess.run([sys.executable, "-c", WORKER, str(src), str(n), str(TITLES)], capture_output=True,
                         text=True, env=env, cwd=src)
    if out.returncode != 0:
        raise SystemExit(f"worker for {src} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listings", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--baseline", default="f47ac68", help="git ref of the earlier rulekit (default f47ac68)")
    ap.add_argument("--write", action="store_true", help=f"write the table to {OUT.name}")
    figures_option(ap)
    a = ap.parse_args()
    base = worktree(a.baseline)
    try:
        variants = {"this tree": REPO, f"baseline {a.baseline}": base}
        cpu: dict[str, list[float]] = {k: [] for k in variants}
        digests: dict[str, set[str]] = {k: set() for k in variants}
        for r in range(a.rounds):
            for name, src in (variants.items() if r % 2 == 0 else reversed(variants.items())):
                res = run(src, a.listings)
                cpu[name].append(float(res["cpu"]))
                digests[name].add(str(res["digest"]))
                print(f"round {r + 1} {name}: {res['cpu']:.2f} s CPU", file=sys.stderr)
    finally:
        remove_worktree(base)
    stable = all(len(d) == 1 for d in digests.values())  # each tree decides alike in every round
    same = stable and len(set().union(*digests.values())) == 1  # and the trees alike (not when the policies changed)
    this = statistics.median(cpu["this tree"])
    lines = [f"Command: `python benchmarks/bench_listings.py --listings {a.listings} --rounds {a.rounds} "
             f"--baseline {a.baseline}`", "",
             f"{a.listings:,} listings, bundled policies, `evaluate_many` in CPU time, median of {a.rounds} "
             f"interleaved rounds; load average {os.getloadavg()[0]:.2f} at the end. Each tree gave the same decisions "
             f"and fired rules in every round: {'yes' if stable else 'NO'}; the two trees gave the same: "
             f"{'yes' if same else 'no (the bundled policies differ between them)'}.", "",
             "| variant | CPU s (median) | µs / listing | listings/s | this tree ÷ variant (speed) |",
             "|---|---:|---:|---:|---:|"]
    for name in variants:
        m = statistics.median(cpu[name])
        lines.append(f"| {name} | {m:.2f} | {m / a.listings * 1e6:.1f} | {a.listings / m:,.0f} | {m / this:.2f}× |")
    emit(lines, "Bundled policies over listings", OUT, a.write)
    save_figures(a.figures, {"listings": a.listings, "baseline": a.baseline, "stable": stable,
                             "us_per_listing": {"this tree": this / a.listings * 1e6,
                                                "baseline": statistics.median(cpu[f"baseline {a.baseline}"]) / a.listings * 1e6}})
    return 0 if stable else 1


if __name__ == "__main__":
    raise SystemExit(main())
