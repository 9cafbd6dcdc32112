"""A columnar path measured: the freight and SLA rules as Polars expressions over a whole file, against `rulekit lint`.

    python benchmarks/bench_columnar.py                 # 100,000 orders, 5 rounds
    python benchmarks/bench_columnar.py --orders 20000 --rounds 3 --write

The speed issue asks to measure a columnar path for rules that compile to column expressions, and to keep it if
it wins. The Polars child reads the JSON lines file with `pl.read_ndjson`, computes both policies' violations as
column expressions (the region table as `when/then`, the 48-hour SLA on parsed datetimes) and writes one JSON line
per order (id, decision, the rules that fired). rulekit runs `lint --format jsonl` on the same file, every field of
every record validated. Each variant is a child process; CPU time, start-up included, medians of interleaved
rounds. The orders each flags are compared. `pip install polars` first (not a rulekit dependency).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_engine import NOW_ISO, make_orders  # noqa: E402
from bench_lint import child_cpu  # noqa: E402
from benchtools import emit  # noqa: E402

OUT = HERE / "results_columnar.md"

POLARS = r"""
import sys
from datetime import datetime
import polars as pl
now = datetime.fromisoformat(sys.argv[3])
ts = pl.Datetime("us", "UTC")
df = pl.read_ndjson(sys.argv[1], schema_overrides={"paid_at": pl.String, "shipped_at": pl.String,
                                                   "total": pl.Float64, "weight": pl.Float64})
region = pl.col("region")
remote = region.is_in(["新疆", "西藏"])
mid = region.is_in(["青海", "宁夏", "甘肃"])
free_over = pl.when(remote).then(None).when(mid).then(199.0).otherwise(99.0)
paid = pl.col("paid_at").str.to_datetime(time_zone="UTC")
shipped = pl.col("shipped_at").str.to_datetime(time_zone="UTC")
late = paid.is_not_null() & ((shipped.fill_null(pl.lit(now).cast(ts)) - paid) > pl.duration(hours=48))
claims = pl.col("claims_free_shipping")
out = df.select(
    pl.col("id"),
    (claims & remote).alias("remote"),
    (claims & free_over.is_not_null() & (pl.col("total") < free_over)).alias("below"),
    late.alias("late"),
).select(
    pl.col("id"),
    pl.when(pl.col("remote")).then(pl.lit("block"))
      .when(pl.col("below") | pl.col("late")).then(pl.lit("review")).otherwise(pl.lit("allow")).alias("decision"),
    pl.concat_list(
        pl.when(pl.col("below")).then(pl.lit("freight.below_free_threshold")),
        pl.when(pl.col("remote")).then(pl.lit("freight.remote_free_shipping")),
        pl.when(pl.col("late")).then(pl.lit("sla.ship_48h")),
    ).list.drop_nulls().alias("rules"),
)
out.write_ndjson(sys.argv[2])
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--write", action="store_true", help=f"write the table to {OUT.name}")
    a = ap.parse_args()
    try:
        import polars
    except ImportError:
        print("polars is not installed (pip install polars); nothing to compare", file=sys.stderr)
        return 0
    work = Path(tempfile.mkdtemp(prefix="rulekit-bench-columnar-"))
    src = work / "orders.jsonl"
    with src.open("w", encoding="utf-8") as f:
        for o in make_orders(a.orders):
            f.write(json.dumps(o, default=str, ensure_ascii=False) + "\n")
    variants = {
        "rulekit lint --format jsonl": [sys.executable, "-m", "rulekit", "lint", "-p", str(HERE / "policies"),
                                        "--subject", "order", "--now", NOW_ISO, "--format", "jsonl",
                                        "-o", str(work / "rk.jsonl"), str(src)],
        f"Polars {polars.__version__}, column expressions": [sys.executable, "-c", POLARS, str(src),
                                                              str(work / "pl.jsonl"), NOW_ISO],
    }
    cpu: dict[str, list[float]] = {k: [] for k in variants}
    for r in range(a.rounds):
        order = list(variants.items())
        for name, cmd in (order if r % 2 == 0 else order[::-1]):
            cpu[name].append(child_cpu(cmd)[0])
            print(f"round {r + 1} {name}: {cpu[name][-1]:.2f} s", file=sys.stderr)

    def flagged(path: Path) -> set[str]:
        return {d["id"] for d in map(json.loads, path.open(encoding="utf-8")) if d["decision"] != "allow"}

    same = flagged(work / "rk.jsonl") == flagged(work / "pl.jsonl")
    rk = statistics.median(cpu["rulekit lint --format jsonl"])
    lines = [f"Command: `python benchmarks/bench_columnar.py --orders {a.orders} --rounds {a.rounds}`", "",
             f"{a.orders:,} orders in one JSON lines file, freight + 48h SLA; CPU time of each child process "
             f"(start-up included), median of {a.rounds} interleaved rounds; load average "
             f"{os.getloadavg()[0]:.2f} at the end. Same orders flagged: {'yes' if same else 'NO'}.", "",
             "| variant | CPU s (median) | µs / order | ÷ rulekit (cost) |", "|---|---:|---:|---:|"]
    for name in variants:
        m = statistics.median(cpu[name])
        lines.append(f"| {name} | {m:.2f} | {m / a.orders * 1e6:.1f} | {m / rk:.2f}× |")
    emit(lines, "A columnar path (Polars) against `rulekit lint`", OUT, a.write)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
