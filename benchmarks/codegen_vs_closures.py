"""Measures the two ways of compiling rule conditions: generated Python source vs nested closures.

    python benchmarks/codegen_vs_closures.py [--orders N]

Both evaluate the `when` conditions of the freight and 48h-SLA rules (benchmarks/policies/) on the
same pre-validated orders, with the same checked program (types, name resolution). The closure
compiler here handles exactly the node kinds these rules use; the generated source is what the
engine runs (rulekit/compiler/), through the public `Plan.compile_expression`.
"""

from __future__ import annotations

import argparse
import operator
import random
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import rulekit
from rulekit import values
from rulekit.checker import type_of
from rulekit.runtime import support
from rulekit.syntax import nodes as n

HERE = Path(__file__).resolve().parent
NOW = values.parse_datetime("2025-06-10T12:00:00+08:00")
Fn = Callable[[Any, datetime], Any]

_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
        "!=": operator.ne, "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


class ClosureCompiler:
    """Builds one closure per AST node (the alternative to generating source)."""

    def __init__(self, engine: rulekit.Engine):
        self.p = engine.program
        self.g = engine.compiled.constants.namespace

    def nn(self, f: Fn, e: Any) -> Fn:
        if not type_of(e).optional:
            return f
        path = repr(e)

        def check(r: Any, now: datetime) -> Any:
            v = f(r, now)
            if v is None or v is values.MISSING:
                support.undet(v, path)
            return v
        return check

    def c(self, e: Any, rule: Any) -> Fn:  # noqa: C901 - one dispatch
        if isinstance(e, n.Literal):
            v = e.value
            return lambda r, now: v
        if isinstance(e, n.Name):
            ref = e.ref
            if ref.kind == "subject":
                return lambda r, now: r
            if ref.kind == "now":
                return lambda r, now: now
            if ref.kind == "rlet":
                return self.c(rule.lets[e.name].expr, rule)
            raise NotImplementedError(ref)
        if isinstance(e, n.Attr):
            obj = self.nn(self.c(e.obj, rule), e.obj)
            name = e.name
            if type_of(e.obj).optional:
                def safe(r: Any, now: datetime) -> Any:
                    o = obj(r, now)
                    return getattr(o, name)
                return safe
            return lambda r, now: getattr(obj(r, now), name)
        if isinstance(e, n.IsNull):
            inner = self.c(e.operand, rule)
            if e.negated:
                return lambda r, now: (v := inner(r, now)) is not None and v is not values.MISSING
            return lambda r, now: (v := inner(r, now)) is None or v is values.MISSING
        if isinstance(e, n.Binary):
            if e.op == "??":
                a, b = self.c(e.left, rule), self.c(e.right, rule)
                return lambda r, now: v if (v := a(r, now)) is not None and v is not values.MISSING else b(r, now)
            a, b = self.nn(self.c(e.left, rule), e.left), self.nn(self.c(e.right, rule), e.right)
            if e.op == "and":
                return lambda r, now: a(r, now) and b(r, now)
            if e.op == "or":
                return lambda r, now: a(r, now) or b(r, now)
            op = _OPS[e.op]
            return lambda r, now: op(a(r, now), b(r, now))
        if isinstance(e, n.Call):
            ref = e.ref
            args = [self.nn(self.c(x, rule), x) for x in e.args]
            if ref is not None and ref.kind == "table":
                table = self.g[f"_TB_{ref.owner}_{ref.target}"]
                default = self.g[f"_TB_{ref.owner}_{ref.target}_else"]
                key = args[0]
                return lambda r, now: table.get(key(r, now), default)
            if e.func == "ceil":
                return lambda r, now: support.ceil(args[0](r, now))
        raise NotImplementedError(type(e).__name__)


def orders(count: int) -> list[dict[str, Any]]:
    rnd = random.Random(7)
    regions = ["新疆", "西藏", "青海", "宁夏", "浙江", "广东", "江苏", "北京"]
    out = []
    base = datetime(2025, 6, 1, 8, tzinfo=values.PLATFORM_TZ)
    for i in range(count):
        created = base + timedelta(minutes=i)
        paid = created + timedelta(minutes=rnd.randint(0, 30))
        shipped = paid + timedelta(hours=rnd.randint(1, 80)) if rnd.random() < 0.7 else None
        total = rnd.randint(5, 600)
        out.append({"id": f"o{i}", "shop_id": "S1", "buyer_id": f"B{rnd.randint(1, 5000)}", "ip": "10.0.0.1",
                    "device_id": "D1", "region": rnd.choice(regions), "category": "服饰",
                    "items": [{"sku": "K1", "quantity": 1, "price": total}], "total": total,
                    "shipping_fee": 0, "claims_free_shipping": rnd.random() < 0.5, "weight": rnd.randint(1, 5),
                    "created_at": created.isoformat(), "paid_at": paid.isoformat(),
                    "shipped_at": shipped.isoformat() if shipped else None, "status": "paid"})
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=50000)
    a = ap.parse_args()
    engine = rulekit.load(HERE / "policies")
    recs = [engine.validate(d, "order")[0] for d in orders(a.orders)]
    rules = [r for r in engine.program.rules() if r.subject == "order" and r.when is not None]
    cc = ClosureCompiler(engine)
    gen, clo = [], []
    for r in rules:
        fn = engine.compiled.compile_expression(r.when.expr, r)  # (record, now, W, t_us)
        gen.append(lambda rec, now, fn=fn: fn(rec, now, None, 0))
        clo.append(cc.c(r.when.expr, r))

    def run(fns: list[Fn]) -> tuple[float, int]:
        hits = 0
        t = time.perf_counter()
        for rec in recs:
            for f in fns:
                try:
                    if f(rec, NOW):
                        hits += 1
                except support.Undetermined:
                    pass
        return time.perf_counter() - t, hits

    for _ in range(2):  # warm up, then measure
        tg, hg = run(gen)
        tc, hc = run(clo)
    assert hg == hc, (hg, hc)
    print(f"{len(recs)} orders, {len(rules)} rule conditions ({', '.join(r.id for r in rules)}), {hg} true")
    print("| variant | conditions/s | µs per order | ratio |")
    print("|---|---:|---:|---:|")
    for name, t in (("generated source (kept)", tg), ("closures", tc)):
        print(f"| {name} | {len(recs) * len(rules) / t:,.0f} | {t / len(recs) * 1e6:.2f} | {tc / t if name.startswith('gen') else 1:.2f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
