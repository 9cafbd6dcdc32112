"""Converts the public e-commerce fraud data set to rulekit orders and scores the fraud policies on it.

    python tools/fraud_orders.py convert [--data CSV] [--out orders.jsonl]
    python tools/fraud_orders.py evaluate [--data CSV] [-p POLICIES] [--markdown]

The data (../shared/data/fraud_orders/fraud_data.csv, see its SOURCE.txt) has these quirks,
each handled here and nowhere else:
- `ip_address` is an IPv4 address stored as a float-encoded integer (`732758368.8`): the
  integer part is the address (`43.173.1.96`).
- times are `M/D/YYYY H:MM` (re-saved by Excel; seconds lost); they are read as UTC+08:00.
- the last row is truncated (only `user_id` and `signup_time`): it is reported and dropped.
- rows are not in time order: orders are emitted sorted by purchase time (then row number),
  since window rules see subjects in event-time order.
Every other row becomes one `order` (one item at `purchase_value`, the buyer is `user_id`),
with the label kept in an extra field `fraud_label` (0 or 1) for scoring.
"""

from __future__ import annotations

import argparse
import csv
import ipaddress
import json
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "fraud_orders" / "fraud_data.csv"
NOW = "2015-12-31T00:00:00+08:00"


def _time(text: str) -> str:
    dt = datetime.strptime(text.strip(), "%m/%d/%Y %H:%M")
    return dt.strftime("%Y-%m-%dT%H:%M:00+08:00")


def _ip(text: str) -> str:
    return str(ipaddress.IPv4Address(int(float(text))))


def convert(path: Path, err: Any = sys.stderr) -> list[dict[str, Any]]:
    """Read the CSV and return orders sorted by purchase time."""
    rows: list[tuple[str, int, dict[str, Any]]] = []
    with open(path, encoding="utf-8-sig", newline="") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            if not row.get("purchase_time") or not row.get("ip_address"):
                err.write(f"{path}:{line}: truncated row (user_id {row.get('user_id')}): dropped\n")
                continue
            created = _time(row["purchase_time"])
            value = row["purchase_value"]
            rows.append((created, line, {
                "id": f"F{line - 1:05d}", "shop_id": "S-fraud-demo", "buyer_id": row["user_id"],
                "ip": _ip(row["ip_address"]), "device_id": row["device_id"], "region": "浙江",
                "category": "数码", "items": [{"sku": "K1", "quantity": 1, "price": int(value)}],
                "total": int(value), "shipping_fee": 0, "claims_free_shipping": False, "weight": 1,
                "created_at": created, "paid_at": created, "status": "paid",
                "fraud_label": int(row["class"]), "source": row["source"], "browser": row["browser"],
            }))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [r[2] for r in rows]


def evaluate(orders: list[dict[str, Any]], policies: list[str]) -> Iterator[tuple[str, int, int, int, int]]:
    """(rule, true positives, flagged, labelled fraud, orders) for each fraud rule."""
    import rulekit
    from rulekit import values

    engine = rulekit.load(*policies)
    rules = [r.id for r in engine.rules() if r.subject == "order" and r.policy == "fraud"]
    now = values.parse_datetime(NOW)
    fired: dict[str, set[int]] = {r: set() for r in rules}
    undetermined = 0
    for i, rep in enumerate(engine.evaluate_many(orders, kind="order", now=now)):
        for v in rep.violations:
            if v.rule in fired:
                fired[v.rule].add(i)
        undetermined += len(rep.errors)
    labels = {i for i, o in enumerate(orders) if o["fraud_label"] == 1}
    any_rule: set[int] = set().union(*fired.values()) if fired else set()
    for r in rules:
        yield r, len(fired[r] & labels), len(fired[r]), len(labels), len(orders)
    yield "any fraud rule", len(any_rule & labels), len(any_rule), len(labels), len(orders)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cmd", choices=["convert", "evaluate"])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path)
    ap.add_argument("-p", "--policies", action="append")
    a = ap.parse_args(argv)
    if not a.data.exists():
        print(f"no data at {a.data} (it lives in ../shared, beside the repository)", file=sys.stderr)
        return 2
    orders = convert(a.data)
    if a.cmd == "convert":
        out = open(a.out, "w", encoding="utf-8") if a.out else sys.stdout
        for o in orders:
            out.write(json.dumps(o, ensure_ascii=False) + "\n")
        return 0
    print(f"{len(orders)} orders, {sum(o['fraud_label'] for o in orders)} labelled fraud\n")
    print("| rule | flagged | of which fraud | precision | recall |")
    print("|---|---:|---:|---:|---:|")
    for rule, tp, flagged, positives, _ in evaluate(orders, a.policies or []):
        prec = f"{tp / flagged:.1%}" if flagged else "–"
        rec = f"{tp / positives:.1%}" if positives else "–"
        print(f"| `{rule}` | {flagged} | {tp} | {prec} | {rec} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
