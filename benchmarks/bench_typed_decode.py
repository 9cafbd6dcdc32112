"""The typed JSON lines decoder (`records.typed`) against a decode to a dict and the generated validator.

    python benchmarks/bench_typed_decode.py                  # 30,000 orders, 5 rounds
    python benchmarks/bench_typed_decode.py --orders 100000 --write

What `rulekit lint` does per JSON line without the typed decoder: msgspec decodes its bytes to a dict (exact
decimals through the limit-checking hook), then the generated validator checks every field of the `order` record
type and builds the record. With it (a run of one kind), msgspec decodes the line into Structs, checking strings,
bools, ints, numbers (`int | Decimal`) and the list of items in C, and a generated step builds the same record
(times through the same `fromisoformat`, numbers checked against the limits).

Also measured, as a bound: times decoded by msgspec too (`datetime` fields), which is not what rulekit does, since
msgspec reads RFC 3339 where the validator reads `fromisoformat` (it rounds a seventh fraction digit where Python
truncates, takes `t` and `z` in lower case), and a decode to a dict alone, with no validation.

Every variant is checked to give the validator's values on every line. CPU time, medians of interleaved rounds.
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
from rulekit.io.readers import _FAST_DECODER  # noqa: E402
from rulekit.io.typedlines import typed_json_lines  # noqa: E402

OUT = HERE / "results_typed_decode.md"
Opt = str | None | UnsetType
OptTime = datetime | None | UnsetType


class ItemC(Struct, forbid_unknown_fields=True, gc=False):
    sku: str
    quantity: int
    price: int | Decimal


class OrderC(Struct, forbid_unknown_fields=True, gc=False):
    id: str
    shop_id: str
    buyer_id: str
    region: str
    category: str
    items: list[ItemC]
    total: int | Decimal
    shipping_fee: int | Decimal
    claims_free_shipping: bool
    weight: int | Decimal
    created_at: datetime
    status: str
    ip: Opt = UNSET
    device_id: Opt = UNSET
    paid_at: OptTime = UNSET
    shipped_at: OptTime = UNSET


FIELDS = ("id", "shop_id", "buyer_id", "ip", "device_id", "region", "category", "total", "shipping_fee",
          "claims_free_shipping", "weight", "created_at", "paid_at", "shipped_at", "status")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--orders", type=int, default=30_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--write", action="store_true", help=f"write the table to {OUT.name}")
    a = ap.parse_args()
    # the bytes of each line, as the reader hands them to msgspec
    lines = [json.dumps(o, ensure_ascii=False).encode("utf-8") for o in make_orders(a.orders)]
    plan = rulekit.load(HERE / "policies").compiled
    validator = plan.validators["order"]
    typed = typed_json_lines(plan.validators, plan.program.registry, "order")
    assert typed is not None
    in_c = msgspec.json.Decoder(OrderC)

    def value(rec: Any, name: str) -> Any:
        v = getattr(rec, name)
        return None if v is UNSET else v

    for text in lines:  # every variant gives the validator's values
        want = validator(_FAST_DECODER.decode(text), "order")
        for got in (typed(text), in_c.decode(text)):
            assert all(value(got, f) == getattr(want, f) for f in FIELDS), text
            assert [(i.sku, i.quantity, i.price) for i in got.items] == \
                [(i.sku, i.quantity, i.price) for i in want.items], text

    variants = {
        "msgspec to a dict (decimal hook), then the generated validator":
            lambda: [validator(_FAST_DECODER.decode(t), "order") for t in lines],
        "the typed decoder (`lint` of one kind): Structs, then the generated step": lambda: [typed(t) for t in lines],
        "bound: times by msgspec as well (not rulekit's acceptance), no step":
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
            f"{a.rounds} interleaved rounds, outputs kept. Every variant gave the validator's values on every line; "
            "the speed column is against the first row.",
            "", "| variant | µs / line | ÷ today (speed) |", "|---|---:|---:|"]
    for name, times in cpu.items():
        m = statistics.median(times)
        rows.append(f"| {name} | {m / a.orders * 1e6:.2f} | {today / m:.2f}× |")
    emit(rows, "Typed JSON lines decode", OUT, a.write)


if __name__ == "__main__":
    main()
