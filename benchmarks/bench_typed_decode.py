"""Measures a typed msgspec decode of JSON lines against today's decode + generated validator (not built yet).

    python benchmarks/bench_typed_decode.py                  # 30,000 orders, 5 rounds
    python benchmarks/bench_typed_decode.py --orders 100000 --write

What `rulekit lint` does per JSON line today: msgspec decodes its bytes to a dict (exact decimals through the
limit-checking hook), then the generated validator checks every field of the `order` record type and builds the
record. A typed
decode lets msgspec check the fields in C while it decodes, into Structs:

- "same acceptance": strings, bools, ints and lists of records typed (msgspec refuses what the validator would
  convert or refuse; such lines would go the present way, so their reports stay as they are); numbers and times
  left untyped (the same hook, the same `fromisoformat`), unknown fields refused (the digit limits of numbers in
  them are the hook's); then a conversion to a slotted record object with the numeric and time checks in Python.
- "typed in C": numbers as Decimal and times as datetime decoded by msgspec itself. Faster, but it accepts what
  the validator does not (numbers past the digit limits, RFC 3339 where the validator reads `fromisoformat`), so
  it is measured as a bound, not a candidate.

Both are checked to give the validator's values on every line. CPU time, medians of interleaved rounds.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
from msgspec import UNSET, Struct, UnsetType

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_engine import make_orders  # noqa: E402
from benchtools import emit  # noqa: E402

import rulekit  # noqa: E402
from rulekit.io.readers import _FAST_DECODER, _parse_decimal  # noqa: E402

OUT = HERE / "results_typed_decode.md"
Opt = str | None | UnsetType


class ItemSame(Struct, forbid_unknown_fields=True, gc=False):
    sku: str
    quantity: int
    price: Any
    product_id: Opt = UNSET
    name: Opt = UNSET
    sku_order_id: Opt = UNSET


class OrderSame(Struct, forbid_unknown_fields=True):
    id: str
    shop_id: str
    buyer_id: str
    region: str
    category: str
    items: list[ItemSame]
    total: Any
    shipping_fee: Any
    claims_free_shipping: bool
    weight: Any
    created_at: Any
    status: str
    ip: Opt = UNSET
    device_id: Opt = UNSET
    paid_at: Any = UNSET
    shipped_at: Any = UNSET
    tracking_uploaded_at: Any = UNSET
    delivered_at: Any = UNSET
    closed_at: Any = UNSET
    promised_ship_by: Any = UNSET
    tracking_no: Opt = UNSET
    after_sale_status: Opt = UNSET
    return_exemption: Opt = UNSET
    return_exemption_confirmed: bool | None | UnsetType = UNSET


class ItemC(Struct, forbid_unknown_fields=True, gc=False):
    sku: str
    quantity: int
    price: Decimal


OptTime = datetime | None | UnsetType


class OrderC(Struct, forbid_unknown_fields=True):
    id: str
    shop_id: str
    buyer_id: str
    region: str
    category: str
    items: list[ItemC]
    total: Decimal
    shipping_fee: Decimal
    claims_free_shipping: bool
    weight: Decimal
    created_at: datetime
    status: str
    ip: Opt = UNSET
    device_id: Opt = UNSET
    paid_at: OptTime = UNSET
    shipped_at: OptTime = UNSET


FIELDS = ("id", "shop_id", "buyer_id", "ip", "device_id", "region", "category", "total", "shipping_fee",
          "claims_free_shipping", "weight", "created_at", "paid_at", "shipped_at", "status")


class Rec:
    """The record the conversion builds: the fields the comparison reads, slotted like the generated classes."""

    __slots__ = (*FIELDS, "items")


class Item:
    __slots__ = ("sku", "quantity", "price")


_iso = datetime.fromisoformat


def _number(x: Any) -> Any:
    if x.__class__ is not int and x.__class__ is not Decimal:
        raise ValueError("a line the present path would take")  # floats cannot come through the decimal hook
    return x


def _time(x: Any) -> Any:
    if x is UNSET or x is None:
        return None
    return _iso(x)  # naive times would get +08:00 here, as the validator gives them; the benchmark has none


def convert(s: OrderSame) -> Rec:
    """A typed line to its record: what msgspec has not checked is checked here, as the validator checks it."""
    o = Rec.__new__(Rec)
    o.id, o.shop_id, o.buyer_id, o.region, o.category = s.id, s.shop_id, s.buyer_id, s.region, s.category
    o.ip = None if s.ip is UNSET else s.ip
    o.device_id = None if s.device_id is UNSET else s.device_id
    items = []
    for i in s.items:
        it = Item.__new__(Item)
        it.sku, it.quantity, it.price = i.sku, i.quantity, _number(i.price)
        items.append(it)
    o.items = items
    o.total, o.shipping_fee, o.weight = _number(s.total), _number(s.shipping_fee), _number(s.weight)
    o.claims_free_shipping, o.status = s.claims_free_shipping, s.status
    o.created_at, o.paid_at, o.shipped_at = _iso(s.created_at), _time(s.paid_at), _time(s.shipped_at)
    return o


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--orders", type=int, default=30_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--write", action="store_true", help=f"write the table to {OUT.name}")
    a = ap.parse_args()
    # the bytes of each line, as the reader hands them to msgspec
    lines = [json.dumps(o, ensure_ascii=False).encode("utf-8") for o in make_orders(a.orders)]
    validator = rulekit.load(HERE / "policies").compiled.validators["order"]
    same = msgspec.json.Decoder(OrderSame, float_hook=_parse_decimal)
    in_c = msgspec.json.Decoder(OrderC)

    def value(rec: Any, name: str) -> Any:
        v = getattr(rec, name)
        return None if v is UNSET else v

    for text in lines:  # every variant gives the validator's values
        want = validator(_FAST_DECODER.decode(text), "order")
        for got in (convert(same.decode(text)), in_c.decode(text)):
            assert all(value(got, f) == getattr(want, f) for f in FIELDS), text
            assert [(i.sku, i.quantity, i.price) for i in got.items] == \
                [(i.sku, i.quantity, i.price) for i in want.items], text

    variants = {
        "today: msgspec to a dict (decimal hook), then the generated validator":
            lambda: [validator(_FAST_DECODER.decode(t), "order") for t in lines],
        "typed, same acceptance: msgspec Structs, then the conversion": lambda: [convert(same.decode(t)) for t in lines],
        "typed in C (Decimal, datetime by msgspec; other acceptance), no conversion":
            lambda: [in_c.decode(t) for t in lines],
        "msgspec to a dict alone (no validation)": lambda: [_FAST_DECODER.decode(t) for t in lines],
    }
    cpu: dict[str, list[float]] = {k: [] for k in variants}
    for r in range(a.rounds):
        for name in list(variants) if r % 2 == 0 else list(variants)[::-1]:
            gc.collect()
            c0 = time.process_time()
            out = variants[name]()
            cpu[name].append(time.process_time() - c0)
            del out
    today = statistics.median(next(iter(cpu.values())))
    rows = [f"`python benchmarks/bench_typed_decode.py --orders {a.orders} --rounds {a.rounds}`: {a.orders:,} orders "
            "as JSON lines (bench_engine's), decoded and validated as the `order` record type; CPU time, median of "
            f"{a.rounds} interleaved rounds, outputs kept. Every variant gave the validator's values on every line.",
            "", "| variant | µs / line | ÷ today (speed) |", "|---|---:|---:|"]
    for name, times in cpu.items():
        m = statistics.median(times)
        rows.append(f"| {name} | {m / a.orders * 1e6:.2f} | {today / m:.2f}× |")
    emit(rows, "Typed JSON decode (measured, not built)", OUT, a.write)


if __name__ == "__main__":
    main()
