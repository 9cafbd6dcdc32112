"""Converts the public e-commerce fraud data set to rulekit orders and scores the fraud policies on it.

    python tools/fraud_orders.py convert [--data CSV] [--out orders.jsonl]
    python tools/fraud_orders.py evaluate [--data CSV] [-p POLICIES]
    python tools/fraud_orders.py curve [--data CSV] [-p FRAUD_RULE_FILE]

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


def flags(orders: list[dict[str, Any]], policies: list[str], select: tuple[str, ...] = ()) -> dict[str, tuple[set[str], set[str]]]:
    """Per fraud rule: the orders whose own report it fired in, and those plus every order it named in the
    `order_ids` of an action (the members of the burst it saw)."""
    import rulekit
    from rulekit import values

    engine = rulekit.load(*policies, select=select)
    rules = [r.id for r in engine.rules() if r.subject == "order" and r.policy == "fraud"]
    now = values.parse_datetime(NOW)
    own: dict[str, set[str]] = {r: set() for r in rules}
    named: dict[str, set[str]] = {r: set() for r in rules}
    for o, rep in zip(orders, engine.evaluate_many(orders, kind="order", now=now), strict=True):
        for v in rep.violations:
            if v.rule in own:
                own[v.rule].add(o["id"])
                named[v.rule].add(o["id"])
                for act in v.actions:
                    named[v.rule].update(act.args.get("order_ids") or ())
    return {r: (own[r], named[r]) for r in rules}


def evaluate(orders: list[dict[str, Any]], policies: list[str]) -> Iterator[tuple[str, int, int, int, int, int]]:
    """(rule, true positives, flagged, own-report true positives, own-report flagged, labelled fraud) per fraud
    rule and for any of them. An order is flagged when its own report has the violation or when the violation of
    any order names it in `order_ids`."""
    labels = {o["id"] for o in orders if o["fraud_label"] == 1}
    by_rule = flags(orders, policies)
    all_own: set[str] = set()
    all_named: set[str] = set()
    for r, (own, named) in by_rule.items():
        all_own |= own
        all_named |= named
        yield r, len(named & labels), len(named), len(own & labels), len(own), len(labels)
    yield "any fraud rule", len(all_named & labels), len(all_named), len(all_own & labels), len(all_own), len(labels)


#: The knob of each rule swept by `curve`, and the values tried.
CURVES = {
    "fraud.ip_burst": ("ip_burst_min", (2, 3, 4, 5, 6, 8)),
    "fraud.device_many_buyers": ("device_buyers_min", (2, 3, 4, 5)),
    "fraud.ip_many_accounts": ("ip_accounts_min", (2, 3, 4, 5, 6, 8)),
    "fraud.small_order_spree": ("small_order_min", (2, 3, 5)),
}


#: The window length of a rule swept by `curve`: (the text `by KEY within D` it is written with, the lengths tried).
WINDOW_CURVES = {
    "fraud.device_many_buyers": ("by device_id within 1h", ("10m", "1h", "1d", "7d", "30d")),
    "fraud.ip_many_accounts": ("by ip within 1d", ("1h", "1d", "7d", "30d")),
}


def _variants(text: str, policy: Path) -> Iterator[tuple[str, str, str]]:
    """(rule, what changed, policy text) for each knob value and each window length swept."""
    import re

    for rule, (knob, tried) in CURVES.items():
        for value in tried:
            changed, n = re.subn(rf"(let {knob} = )\d+", rf"\g<1>{value}", text)
            if n != 1:
                raise SystemExit(f"{policy}: no `let {knob} = N` to sweep")
            yield rule, f"{knob} = {value}", changed
    for rule, (written, lengths) in WINDOW_CURVES.items():
        if written not in text:
            raise SystemExit(f"{policy}: no `{written}` to sweep")
        for length in lengths:
            yield rule, written.replace(written.rsplit(" ", 1)[1], length), text.replace(written, written.rsplit(" ", 1)[0]
                                                                                          + " " + length)


def curve(orders: list[dict[str, Any]], policy: Path) -> Iterator[tuple[str, str, int, int, int, int, int]]:
    """(rule, what changed, tp, flagged, own tp, own flagged, positives) for each value of each rule's knob and
    each length of its window: the policy file with only that changed, run with only that rule selected."""
    import tempfile

    labels = {o["id"] for o in orders if o["fraud_label"] == 1}
    for rule, what, changed in _variants(policy.read_text(encoding="utf-8"), policy):
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / policy.name).write_text(changed, encoding="utf-8")
            own, named = flags(orders, [d], (rule,))[rule]
        yield rule, what, len(named & labels), len(named), len(own & labels), len(own), len(labels)


def _pct(a: int, b: int) -> str:
    return f"{a / b:.1%}" if b else "–"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cmd", choices=["convert", "evaluate", "curve"])
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
    if a.cmd == "curve":
        policy = Path(a.policies[0]) if a.policies else Path(__file__).resolve().parents[1] / "policies" / "fraud.rule"
        print("| rule | knob | flagged | of which fraud | precision | recall | own report only: flagged | precision | recall |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for rule, knob, tp, flagged, otp, oflagged, positives in curve(orders, policy):
            print(f"| `{rule}` | `{knob}` | {flagged} | {tp} | {_pct(tp, flagged)} | {_pct(tp, positives)} "
                  f"| {oflagged} | {_pct(otp, oflagged)} | {_pct(otp, positives)} |")
        return 0
    print("| rule | flagged | of which fraud | precision | recall | own report only: flagged | precision | recall |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for rule, tp, flagged, otp, oflagged, positives in evaluate(orders, a.policies or []):
        print(f"| `{rule}` | {flagged} | {tp} | {_pct(tp, flagged)} | {_pct(tp, positives)} "
              f"| {oflagged} | {_pct(otp, oflagged)} | {_pct(otp, positives)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
