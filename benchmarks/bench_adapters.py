"""Benchmarks the 抖店 order-export adapter against a hand-written converter doing the same conversions.

Usage: python benchmarks/bench_adapters.py [--rows N] [--rounds R] [--xlsx-rows N]

The input: N sub-order rows in the shape of 抖店's order export (examples/doudian/orders.csv: tab-prefixed ids,
thousands separators, `-` for empty, local times, Chinese status words), about 1.6 rows per main order, rows of one
order adjacent. In one process, taking turns for R rounds, CPU time (time.process_time) of:

  (a) the floor: csv.DictReader, group by 主订单编号, and per cell the same conversions in plain Python (strip the
      tab, Decimal with separators removed, int, strptime + isoformat, a province and a status dict);
  (b) rulekit: `read_records` + `adapt` with the shipped `doudian-export` mapping, every record built;
  (c) (b) on the same rows saved as GB18030 with `--encoding auto` (detection + decoding);
  (d) rulekit end to end: (b) and every record evaluated by the bundled policies (one stream, as `rulekit lint`).

Medians of the rounds and ratios to the floor (a ratio above 1 is faster than the floor). With --xlsx-rows (needs
openpyxl to write the file) it also times reading an XLSX sheet of that many rows against the same rows as CSV.
Written to benchmarks/results_adapters.md.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import rulekit  # noqa: E402
from rulekit.adapters import adapt, load_adapter  # noqa: E402
from rulekit.adapters.regions import PROVINCES  # noqa: E402
from rulekit.io.readers import read_records  # noqa: E402

RESULTS = HERE / "results_adapters.md"
CST = timezone(timedelta(hours=8))
HEADER = ["主订单编号", "子订单编号", "选购商品", "商品规格", "商品数量", "商品ID", "商家编码", "商品单价", "订单应付金额", "运费",
          "省", "市", "区", "订单提交时间", "支付完成时间", "发货时间", "订单完成时间", "订单状态", "承诺发货时间", "快递单号", "售后状态"]
STATUS = {"待支付": "pending_payment", "已支付": "paid", "待发货": "paid", "备货中": "paid", "部分发货": "shipped",
          "已发货": "shipped", "已完成": "delivered", "已取消": "closed"}
SHORT = {full: short for full, short in PROVINCES.values()}


def make_rows(n: int, seed: int = 7) -> list[list[str]]:
    """N export rows (sub-orders), 1–3 per main order."""
    rnd = random.Random(seed)
    provinces = [full for full, _ in PROVINCES.values()]
    rows: list[list[str]] = []
    order = 6921345678901000000
    t = datetime(2025, 6, 1, 8, tzinfo=CST)
    while len(rows) < n:
        order += 1
        t += timedelta(seconds=rnd.randint(1, 40))
        paid = t + timedelta(seconds=rnd.randint(5, 300))
        status = rnd.choice(["已发货", "已完成", "待发货", "已支付"])
        shipped = (paid + timedelta(hours=rnd.randint(2, 60))).strftime("%Y-%m-%d %H:%M:%S") \
            if status in ("已发货", "已完成") else "-"
        province = rnd.choice(provinces)
        fee = rnd.choice(["0.00", "0.00", "8.00", "12.00"])
        for k in range(rnd.choice([1, 1, 2, 3])):
            price = Decimal(rnd.randint(990, 259900)) / 100
            qty = rnd.randint(1, 3)
            rows.append([f"\t{order}", f"\t{order * 10 + k}", "纯棉圆领短袖T恤男夏季宽松", "白色;L", str(qty),
                         f"\t{3718294056123000000 + rnd.randint(0, 999)}", f"SKU-{rnd.randint(1, 500)}", f"{price:,.2f}",
                         f"{price * qty:,.2f}", fee, province, "某市", "某区", t.strftime("%Y-%m-%d %H:%M:%S"),
                         paid.strftime("%Y-%m-%d %H:%M:%S"), shipped, "-", status,
                         (paid + timedelta(hours=48)).strftime("%Y-%m-%d %H:%M:%S"),
                         f"\tSF{order % 10**12}" if shipped != "-" else "-", "-"])
    return rows[:n]


def write_csv(rows: list[list[str]], path: Path, encoding: str) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([HEADER, *rows])
    path.write_bytes(buf.getvalue().encode(encoding))


# ---- (a) the floor --------------------------------------------------------------------------------------------


def _money(s: str) -> Decimal:
    return Decimal(s.replace(",", ""))


def _time(s: str) -> str | None:
    if s in ("-", "--", ""):
        return None
    return datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST).isoformat()


def floor(path: Path) -> int:
    """Hand-written: the same records as the adapter makes (fields, types and grouping), no error reporting."""
    groups: dict[str, list[dict[str, str]]] = {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            groups.setdefault(row["主订单编号"].strip().lstrip("\t'"), []).append(row)
    built = 0
    for oid, rows in groups.items():
        first = rows[0]
        fee = _money(first["运费"])
        rec: dict[str, Any] = {
            "id": oid, "region": SHORT[first["省"]],
            "items": [{"sku": r["商家编码"], "quantity": int(r["商品数量"]), "price": _money(r["商品单价"]),
                       "product_id": r["商品ID"].lstrip("\t"), "name": r["选购商品"],
                       "sku_order_id": r["子订单编号"].lstrip("\t")} for r in rows],
            "total": sum((_money(r["订单应付金额"]) for r in rows), Decimal(0)), "shipping_fee": fee,
            "claims_free_shipping": fee == 0, "created_at": _time(first["订单提交时间"]),
            "paid_at": _time(first["支付完成时间"]), "shipped_at": _time(first["发货时间"]),
            "tracking_uploaded_at": _time(first["发货时间"]), "delivered_at": _time(first["订单完成时间"]),
            "status": STATUS[first["订单状态"].strip()], "promised_ship_by": _time(first["承诺发货时间"]),
            "tracking_no": None if first["快递单号"] == "-" else first["快递单号"].lstrip("\t"),
            "after_sale_status": "none",
        }
        built += rec is not None
    return built


# ---- (b)–(d) rulekit ------------------------------------------------------------------------------------------


def through_adapter(path: Path, encoding: str, registry: Any, adapter: Any) -> int:
    n = 0
    for rec in adapt(adapter, read_records(str(path), encoding=encoding), registry, {"shop_id": "S1"}):
        n += rec.data is not None
    return n


def end_to_end(path: Path, engine: Any, adapter: Any, now: datetime) -> int:
    stream = engine.stream(now=now)
    n = 0
    for rec in adapt(adapter, read_records(str(path), encoding="utf-8"), engine.program.registry, {"shop_id": "S1"}):
        if rec.data is not None:
            n += stream.push(rec.data, kind="order").decision == "block"
    return n


def cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    t = time.process_time()
    out = fn()
    return time.process_time() - t, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--xlsx-rows", type=int, default=0)
    a = ap.parse_args()
    rows = make_rows(a.rows)
    adapter = load_adapter("doudian-export")
    engine = rulekit.load(absent={"order": list(adapter.absent)})
    registry = engine.program.registry
    now = datetime(2025, 6, 20, tzinfo=CST)
    with tempfile.TemporaryDirectory() as tmp:
        utf8, gb = Path(tmp) / "orders.csv", Path(tmp) / "orders_gb.csv"
        write_csv(rows, utf8, "utf-8-sig")
        write_csv(rows, gb, "gb18030")
        runs: dict[str, list[float]] = {k: [] for k in ("floor", "adapter", "adapter_gb18030_auto", "end_to_end")}
        counts: dict[str, Any] = {}
        for _ in range(a.rounds):
            for name, fn in (("floor", lambda: floor(utf8)),
                             ("adapter", lambda: through_adapter(utf8, "utf-8", registry, adapter)),
                             ("adapter_gb18030_auto", lambda: through_adapter(gb, "auto", registry, adapter)),
                             ("end_to_end", lambda: end_to_end(utf8, engine, adapter, now))):
                seconds, counts[name] = cpu(fn)
                runs[name].append(seconds)
        assert counts["floor"] == counts["adapter"] == counts["adapter_gb18030_auto"], counts
        med = {k: statistics.median(v) for k, v in runs.items()}
        xlsx_line = ""
        if a.xlsx_rows:
            xlsx_line = time_xlsx(rows[: a.xlsx_rows], Path(tmp), a.rounds)
    orders = counts["floor"]
    lines = [
        "# Adapter benchmark (benchmarks/bench_adapters.py)", "",
        f"{a.rows:,} 抖店 export rows ({orders:,} orders), {a.rounds} rounds interleaved, CPU time, medians; "
        f"Python {platform.python_version()} on {platform.machine()}.", "",
        "| variant | seconds | rows/s | vs floor |", "|---|---|---|---|",
    ]
    for k in runs:
        lines.append(f"| {k} | {med[k]:.3f} | {a.rows / med[k]:,.0f} | {med['floor'] / med[k]:.2f}× |")
    lines += ["", f"end_to_end: {counts['end_to_end']:,} orders blocked; the adapter's share of the end-to-end time: "
              f"{med['adapter'] / med['end_to_end']:.0%}."]
    if xlsx_line:
        lines += ["", xlsx_line]
    text = "\n".join(lines) + "\n"
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


def time_xlsx(rows: list[list[str]], tmp: Path, rounds: int) -> str:
    """Reading the same rows from XLSX (python-calamine) and from CSV, records only (no adapter)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    x, c = tmp / "rows.xlsx", tmp / "rows.csv"
    wb.save(x)
    write_csv(rows, c, "utf-8-sig")
    xs, cs = [], []
    for _ in range(rounds):
        xs.append(cpu(lambda: sum(1 for _ in read_records(str(x))))[0])
        cs.append(cpu(lambda: sum(1 for _ in read_records(str(c))))[0])
    xm, cm = statistics.median(xs), statistics.median(cs)
    return (f"XLSX: {len(rows):,} rows read in {xm:.3f} s ({len(rows) / xm:,.0f} rows/s) against {cm:.3f} s as CSV "
            f"({cm / xm:.2f}× CSV's speed).")


if __name__ == "__main__":
    main()
