"""Engine benchmark: synthetic orders (JSON-like dicts) through two policies, rulekit vs a hand-written floor vs zen-engine.

Run: python benchmarks/bench_engine.py [--orders N] [--repeat R] [--write]

Policies (benchmarks/policies/): freight.rule (region table, two free-shipping rules) and sla.rule (48h SLA).
Every variant starts from the same plain dicts and produces a small report per order (id, decision,
violations with message and action argument). Throughput is the best of R passes over all orders;
latency p50/p99 is measured in a separate pass timing each record on its own.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

from benchtools import figures_option, save_figures

import rulekit

HERE = Path(__file__).resolve().parent
POLICIES = HERE / "policies"
RESULTS_FILE = HERE / "RESULTS.md"
SEED = 20250601
TZ8 = timezone(timedelta(hours=8))
NOW = datetime(2025, 7, 1, 0, 0, tzinfo=TZ8)
NOW_ISO = NOW.isoformat()

REGIONS = (["浙江"] * 14 + ["广东"] * 14 + ["江苏"] * 12 + ["上海"] * 8 + ["北京"] * 8 + ["四川"] * 6 + ["山东"] * 6
           + ["新疆"] * 6 + ["西藏"] * 3 + ["青海"] * 4 + ["宁夏"] * 3 + ["甘肃"] * 4 + ["内蒙古"] * 3)
CATEGORIES = ["服饰", "美妆", "食品", "数码", "家居", "母婴", "运动"]


# ---------------------------------------------------------------------------------------------- data
def make_orders(n: int) -> list[dict[str, Any]]:
    """`n` deterministic synthetic orders, round-tripped through JSON so values are exactly what json.loads gives."""
    rng = random.Random(SEED)
    start = datetime(2025, 6, 1, tzinfo=TZ8)
    out = []
    for i in range(n):
        items = []
        for _j in range(rng.randint(1, 4)):
            items.append({"sku": f"SKU-{rng.randint(1, 5000):05d}", "quantity": rng.randint(1, 3),
                          "price": round(rng.choice([9.9, 19.9, 29.0, 39.9, 59.0, 89.0, 129.0, 199.0]) * rng.choice([1, 1, 0.8]), 2)})
        total = round(sum(it["quantity"] * it["price"] for it in items), 2)
        created = start + timedelta(seconds=rng.randint(0, 29 * 86400))
        status = rng.choices(["pending_payment", "paid", "shipped", "delivered", "closed", "refunded"],
                             [8, 20, 30, 35, 4, 3])[0]
        paid = None if status == "pending_payment" else created + timedelta(seconds=rng.randint(10, 3600))
        shipped = None
        if status in ("shipped", "delivered", "refunded") and paid is not None:
            shipped = paid + timedelta(seconds=rng.randint(1800, 96 * 3600))
        out.append({
            "id": f"O{i:07d}",
            "shop_id": f"S{rng.randint(1, 200):04d}",
            "buyer_id": f"B{rng.randint(1, 30000):06d}",
            "ip": None if rng.random() < 0.05 else f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            "device_id": None if rng.random() < 0.2 else f"D{rng.randint(1, 40000):06d}",
            "region": rng.choice(REGIONS),
            "category": rng.choice(CATEGORIES),
            "items": items,
            "total": total,
            "shipping_fee": rng.choice([0, 0, 0, 6, 8, 10, 12.5]),
            "claims_free_shipping": rng.random() < 0.45,
            "weight": round(rng.uniform(0.1, 8.0), 2),
            "created_at": created.isoformat(),
            "paid_at": paid.isoformat() if paid else None,
            "shipped_at": shipped.isoformat() if shipped else None,
            "status": status,
        })
    return json.loads(json.dumps(out, ensure_ascii=False))


# ---------------------------------------------------------------------------------------------- floor
D = Decimal
CENT = D("0.01")
FREIGHT = {"新疆": (D(20), D(10), None), "西藏": (D(20), D(10), None),
           "青海": (D(12), D(5), D(199)), "宁夏": (D(12), D(5), D(199)), "甘肃": (D(12), D(5), D(199))}
FREIGHT_ELSE = (D(8), D(2), D(99))
H48 = timedelta(hours=48)


def _money(x: Decimal) -> str:
    return str(x.quantize(CENT, ROUND_HALF_UP))


def _freight_checks(o: dict[str, Any], violations: list[dict[str, Any]]) -> str:
    """The freight policy's checks of one order: its violations appended, the decision they give returned."""
    first, extra, free_over = FREIGHT.get(o["region"], FREIGHT_ELSE)
    if o["claims_free_shipping"]:
        if free_over is None:
            fee = first + extra * max(math.ceil(D(str(o["weight"]))) - 1, 0)
            violations.append({"rule": "freight.remote_free_shipping", "severity": "error",
                               "message": f"{o['region']} 不包邮，订单 {o['id']} 却标注包邮",
                               "actions": [("set_shipping_fee", {"amount": _money(fee)})]})
            return "block"
        total = D(str(o["total"]))
        if total < free_over:
            fee = first + extra * max(math.ceil(D(str(o["weight"]))) - 1, 0)
            violations.append({"rule": "freight.below_free_threshold", "severity": "warning",
                               "message": f"订单 {o['id']} 金额 ¥{_money(total)} 未达包邮门槛 ¥{_money(free_over)}，却标注包邮",
                               "actions": [("set_shipping_fee", {"amount": _money(fee)})]})
            return "review"
    return "allow"


def _sla_check(o: dict[str, Any], violations: list[dict[str, Any]], now: datetime) -> bool:
    """The 48-hour shipping check of one order: whether it is late (its violation appended)."""
    paid = o["paid_at"]
    if paid is None:
        return False
    s = o["shipped_at"]
    end = datetime.fromisoformat(s) if s is not None else now
    if end - datetime.fromisoformat(paid) <= H48:
        return False
    violations.append({"rule": "sla.ship_48h", "severity": "warning",
                       "message": f"订单 {o['id']} 付款后超过 48 小时未发货",
                       "actions": [("remind_shipping", {"order_id": o["id"]})]})
    return True


def floor_freight(o: dict[str, Any]) -> dict[str, Any]:
    violations: list[dict[str, Any]] = []
    decision = _freight_checks(o, violations)
    return {"id": o["id"], "decision": decision, "violations": violations}


def floor_sla(o: dict[str, Any], now: datetime = NOW) -> dict[str, Any]:
    violations: list[dict[str, Any]] = []
    decision = "review" if _sla_check(o, violations, now) else "allow"
    return {"id": o["id"], "decision": decision, "violations": violations}


def floor_both(o: dict[str, Any], now: datetime = NOW) -> dict[str, Any]:
    """Both policies in one pass over the order (freight, then the SLA), one report."""
    violations: list[dict[str, Any]] = []
    decision = _freight_checks(o, violations)
    if _sla_check(o, violations, now) and decision == "allow":
        decision = "review"
    return {"id": o["id"], "decision": decision, "violations": violations}


# ---------------------------------------------------------------------------------------------- zen
ZEN_FREIGHT = '''r = order.region;
tier = r in ["新疆", "西藏"] ? {first_kg: 20, extra_kg: 10, free_over: null} : (r in ["青海", "宁夏", "甘肃"] ? {first_kg: 12, extra_kg: 5, free_over: 199} : {first_kg: 8, extra_kg: 2, free_over: 99});
remote = order.claims_free_shipping and tier.free_over == null;
below = order.claims_free_shipping and tier.free_over != null and order.total < tier.free_over;
fee = tier.first_kg + tier.extra_kg * max([ceil(order.weight) - 1, 0]);
{id: order.id, decision: remote ? "block" : (below ? "review" : "allow"), violations: filter([remote ? {rule: "freight.remote_free_shipping", severity: "error", message: r + " 不包邮，订单 " + order.id + " 却标注包邮", fee: fee} : null, below ? {rule: "freight.below_free_threshold", severity: "warning", message: "订单 " + order.id + " 金额 " + string(order.total) + " 未达包邮门槛 " + string(tier.free_over) + "，却标注包邮", fee: fee} : null], # != null)}'''

ZEN_SLA = '''late = order.paid_at != null and (date(order.shipped_at ?? now) - date(order.paid_at)) > 172800;
{id: order.id, decision: late ? "review" : "allow", violations: late ? [{rule: "sla.ship_48h", severity: "warning", message: "订单 " + order.id + " 付款后超过 48 小时未发货", order_id: order.id}] : []}'''


ZEN_SLA_FLAT = '''late = order.paid_at != null and ((order.shipped_at ?? now) - order.paid_at) > 172800;
{id: order.id, decision: late ? "review" : "allow", violations: late ? [{rule: "sla.ship_48h", severity: "warning", message: "订单 " + order.id + " 付款后超过 48 小时未发货", order_id: order.id}] : []}'''

#: Both policies in one expression (the issue's workload: freight + SLA in one engine), on the union of their fields
ZEN_BOTH_FLAT = '''r = order.region;
tier = r in ["新疆", "西藏"] ? {first_kg: 20, extra_kg: 10, free_over: null} : (r in ["青海", "宁夏", "甘肃"] ? {first_kg: 12, extra_kg: 5, free_over: 199} : {first_kg: 8, extra_kg: 2, free_over: 99});
remote = order.claims_free_shipping and tier.free_over == null;
below = order.claims_free_shipping and tier.free_over != null and order.total < tier.free_over;
fee = tier.first_kg + tier.extra_kg * max([ceil(order.weight) - 1, 0]);
late = order.paid_at != null and ((order.shipped_at ?? now) - order.paid_at) > 172800;
{id: order.id, decision: remote ? "block" : ((below or late) ? "review" : "allow"), violations: filter([remote ? {rule: "freight.remote_free_shipping", severity: "error", message: r + " 不包邮，订单 " + order.id + " 却标注包邮", fee: fee} : null, below ? {rule: "freight.below_free_threshold", severity: "warning", message: "订单 " + order.id + " 金额 " + string(order.total) + " 未达包邮门槛 " + string(tier.free_over) + "，却标注包邮", fee: fee} : null, late ? {rule: "sla.ship_48h", severity: "warning", message: "订单 " + order.id + " 付款后超过 48 小时未发货", order_id: order.id} : null], # != null)}'''

#: The fields each policy reads: zen-engine's fairest input holds only these (its cost grows with the dict it is given)
FLAT_FIELDS = {"freight": ("id", "region", "claims_free_shipping", "total", "weight"),
               "sla": ("id", "paid_at", "shipped_at"),
               "freight+sla": ("id", "region", "claims_free_shipping", "total", "weight", "paid_at", "shipped_at")}


def flat_orders(orders: Sequence[dict[str, Any]], pol: str) -> list[dict[str, Any]]:
    """zen-engine's fairest input, built before timing: only the fields read, times as epoch seconds."""
    def num(t: str | None) -> float | None:
        return None if t is None else datetime.fromisoformat(t).timestamp()
    out = []
    for o in orders:
        d = {k: o[k] for k in FLAT_FIELDS[pol]}
        if "paid_at" in d:
            d["paid_at"], d["shipped_at"] = num(d["paid_at"]), num(d["shipped_at"])
        out.append({"order": d, "now": NOW.timestamp()})
    return out


def zen_flat_variant(source: str) -> Callable[[dict[str, Any]], Any] | None:
    try:
        import zen
    except ImportError:
        return None
    return zen.compile_expression(source).evaluate  # type: ignore[no-any-return]


def zen_variant(source: str) -> Callable[[dict[str, Any]], Any] | None:
    try:
        import zen
    except ImportError:
        return None
    expr = zen.compile_expression(source)
    ev = expr.evaluate

    def run(o: dict[str, Any]) -> Any:
        return ev({"order": o, "now": NOW_ISO})

    return run


# ---------------------------------------------------------------------------------------------- rule-engine (optional)
def rule_engine_variants() -> dict[str, Callable[[dict[str, Any]], Any]]:
    """rule-engine (pure Python, pip `rule-engine`): one Rule per rule; python-side table lookup + report."""
    try:
        import rule_engine
    except ImportError:
        return {}
    ctx = rule_engine.Context(default_value=None)
    remote = rule_engine.Rule('claims_free_shipping and region in ["新疆", "西藏"]', context=ctx)
    below = rule_engine.Rule('claims_free_shipping and region in ["青海", "宁夏", "甘肃"] and total < 199 '
                             'or claims_free_shipping and not region in ["新疆", "西藏", "青海", "宁夏", "甘肃"] and total < 99',
                             context=ctx)
    sla = rule_engine.Rule('paid_at != null and ((shipped_at != null ? shipped_at : now) - paid_at).total_seconds > 172800', context=ctx)
    now_s = NOW  # rule-engine needs datetimes for arithmetic: parse the ISO strings on the python side

    def freight(o: dict[str, Any]) -> Any:
        v = []
        if remote.matches(o):
            v.append("freight.remote_free_shipping")
        if below.matches(o):
            v.append("freight.below_free_threshold")
        return {"id": o["id"], "decision": "block" if "freight.remote_free_shipping" in v else ("review" if v else "allow"),
                "violations": [{"rule": r} for r in v]}

    def sla_run(o: dict[str, Any]) -> Any:
        p = o["paid_at"]
        s = o["shipped_at"]
        t = {"paid_at": datetime.fromisoformat(p) if p else None,
             "shipped_at": datetime.fromisoformat(s) if s else None, "now": now_s}
        late = sla.matches(t)
        return {"id": o["id"], "decision": "review" if late else "allow",
                "violations": [{"rule": "sla.ship_48h"}] if late else []}

    return {"freight": freight, "sla": sla_run}


# ---------------------------------------------------------------------------------------------- measuring
def interleaved(batch: dict[str, Callable[[Sequence[Any]], Any]], inputs: dict[str, Sequence[Any]], rounds: int,
                summarize: Callable[[Any], Any] = len) -> tuple[dict[str, tuple[float, float]], dict[str, Any]]:
    """Per variant (records per CPU-second, records per wall-second), from the medians of `rounds` rounds in which
    every variant runs once, in an order that alternates round by round; and `summarize` of each variant's last
    output (the outputs themselves are dropped at once: kept, they would make the cyclic GC of every later pass
    walk them).

    CPU time (time.process_time) is the primary figure: it does not count time the process spent waiting for a
    CPU while other processes ran, so it is stable on a shared machine."""
    cpu: dict[str, list[float]] = {k: [] for k in batch}
    wall: dict[str, list[float]] = {k: [] for k in batch}
    outs: dict[str, Any] = {}
    names = list(batch)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            gc.collect()
            w0 = time.perf_counter()
            c0 = time.process_time()
            out = batch[name](inputs[name])
            cpu[name].append(time.process_time() - c0)
            wall[name].append(time.perf_counter() - w0)
            outs[name] = summarize(out)
            out = None
    return {k: (len(inputs[k]) / statistics.median(cpu[k]), len(inputs[k]) / statistics.median(wall[k]))
            for k in batch}, outs


def throughput(fn: Callable[[Sequence[Any]], Any], data: Sequence[Any], repeat: int) -> tuple[float, float, Any]:
    """(records per CPU-second, records per wall-second, last result): the median of `repeat` passes."""
    rates, outs = interleaved({"x": fn}, {"x": data}, repeat, summarize=lambda out: None)
    return rates["x"][0], rates["x"][1], outs["x"]


def latencies(one: Callable[[Any], Any], data: Sequence[Any]) -> tuple[float, float]:
    """p50, p99 in microseconds, timing each record separately."""
    pc = time.perf_counter_ns
    ts = []
    gc.collect()
    for d in data:
        t0 = pc()
        one(d)
        ts.append(pc() - t0)
    ts.sort()
    return ts[len(ts) // 2] / 1000, ts[min(len(ts) - 1, int(len(ts) * 0.99))] / 1000


def fired(reports: list[Any]) -> Counter:
    c: Counter = Counter()
    for r in reports:
        if isinstance(r, tuple):  # one report per policy (zen-engine's two expressions)
            c.update(fired(list(r)))
        elif isinstance(r, dict):
            for v in r["violations"]:
                c[v["rule"]] += 1
        else:
            for v in r.violations:
                c[v.rule] += 1
            for e in r.errors:
                c["error:" + str(e.rule)] += 1
    return c


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5, help="interleaved rounds (medians are kept)")
    ap.add_argument("--write", action="store_true", help="write the Engine section of benchmarks/RESULTS.md")
    figures_option(ap)
    args = ap.parse_args()

    args.load_start = os.getloadavg()[0]
    t0 = time.perf_counter()
    orders = make_orders(args.orders)
    print(f"generated {len(orders):,} orders in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    gc.collect()
    gc.freeze()  # the input set is long-lived: keep the cyclic GC from rescanning it in every variant

    engines = {"freight": rulekit.load(POLICIES / "freight.rule"), "sla": rulekit.load(POLICIES / "sla.rule"),
               "freight+sla": rulekit.load(POLICIES / "freight.rule", POLICIES / "sla.rule")}
    floors = {"freight": floor_freight, "sla": floor_sla, "freight+sla": floor_both}
    zens = {"freight": zen_variant(ZEN_FREIGHT), "sla": zen_variant(ZEN_SLA)}
    zflat = {"freight": zen_flat_variant(ZEN_FREIGHT), "sla": zen_flat_variant(ZEN_SLA_FLAT),
             "freight+sla": zen_flat_variant(ZEN_BOTH_FLAT)}
    if zens["freight"] is not None and zens["sla"] is not None:
        zens["freight+sla"] = lambda o, f=zens["freight"], g=zens["sla"]: (f(o), g(o))
    rengine = rule_engine_variants()

    rows = []
    breakdown = []
    mismatches = []
    for pol in ("freight", "sla", "freight+sla"):
        eng = engines[pol]
        plan = eng.plan("order")
        variants: dict[str, Callable[[Any], Any]] = {
            "rulekit": lambda o, eng=eng: eng.evaluate(o, kind="order", now=NOW),
            "floor (hand-written Python)": floors[pol],
        }
        variants["rulekit, validate=read"] = lambda o, eng=eng: eng.evaluate(o, kind="order", now=NOW, validate="read")
        batch: dict[str, Callable[[Sequence[Any]], Any]] = {
            "rulekit": lambda data, eng=eng: list(eng.evaluate_many(data, kind="order", now=NOW)),
            "rulekit, validate=read": lambda data, eng=eng: list(eng.evaluate_many(data, kind="order", now=NOW,
                                                                                   validate="read")),
            "floor (hand-written Python)": lambda data, f=floors[pol]: [f(o) for o in data],
        }
        if zens.get(pol) is not None:
            variants["zen-engine"] = zens[pol]
            batch["zen-engine"] = lambda data, f=zens[pol]: [f(o) for o in data]
        if pol in rengine:
            variants["rule-engine"] = rengine[pol]
            batch["rule-engine"] = lambda data, f=rengine[pol]: [f(o) for o in data]

        inputs = {name: orders for name in batch}
        if zflat[pol] is not None:
            flat = flat_orders(orders, pol)
            variants["zen-engine, flat input"] = zflat[pol]
            batch["zen-engine, flat input"] = lambda data, f=zflat[pol]: [f(o) for o in data]
            inputs["zen-engine, flat input"] = flat
        if pol == "freight+sla" and zflat["freight"] is not None and zflat["sla"] is not None:
            # the other fair way: each policy's own expression on its own fields (two calls, two reports)
            pairs = list(zip(flat_orders(orders, "freight"), flat_orders(orders, "sla"), strict=True))
            variants["zen-engine, flat input, one expression per policy"] = \
                lambda ab, f=zflat["freight"], g=zflat["sla"]: (f(ab[0]), g(ab[1]))
            batch["zen-engine, flat input, one expression per policy"] = \
                lambda data, f=zflat["freight"], g=zflat["sla"]: [(f(a), g(b)) for a, b in data]
            inputs["zen-engine, flat input, one expression per policy"] = pairs
        rates, outs = interleaved(batch, inputs, args.repeat, summarize=fired)
        res = {}
        counts = {}
        for name in batch:
            # correctness: every variant must flag the same rules the same number of times
            counts[name] = outs[name]
            p50, p99 = latencies(variants[name], inputs[name])
            res[name] = (rates[name][0], p50, p99, rates[name][1])
            print(f"[{pol}] {name:30s} {rates[name][0]:12,.0f}/cpu-s {rates[name][1]:12,.0f}/wall-s  "
                  f"p50 {p50:7.2f}µs  p99 {p99:7.2f}µs", file=sys.stderr)
        ref = counts["rulekit"]
        for name, c in counts.items():
            if c != ref:
                mismatches.append(f"{pol}: {name} fired {dict(c)} but rulekit fired {dict(ref)}")
        print(f"[{pol}] violations: {dict(ref)}", file=sys.stderr)
        rows.append((pol, res))
        args.fired = getattr(args, "fired", {})
        args.fired[pol] = dict(sorted(ref.items()))

        # where rulekit's time goes
        check = eng.compiled.validators["order"]  # the generated validator `Stream.push` calls for a dict

        def validate(kind: str, o: Any, check: Any = check) -> Any:
            return check(o, kind), None

        recs = [validate("order", o)[0] for o in orders]
        assert all(r is not None for r in recs), "a synthetic order failed validation"
        ev = plan.evaluate
        gc.freeze()
        v_rate = throughput(lambda data: [validate("order", o) for o in data], orders, args.repeat)[0]
        v50, v99 = latencies(lambda o: validate("order", o), orders)
        p_rate = throughput(lambda data: [ev(r, NOW, None, 0) for r in data], recs, args.repeat)[0]
        e50, e99 = latencies(lambda r: ev(r, NOW, None, 0), recs)
        breakdown.append((pol, res["rulekit"], (v_rate, v50, v99), (p_rate, e50, e99)))

    args.load_end = os.getloadavg()[0]
    md = render(rows, breakdown, mismatches, args)
    save_figures(args.figures, {"orders": args.orders, "mismatches": mismatches, "records_per_cpu_s": {
        pol: {name: r[0] for name, r in res.items()} for pol, res in rows}})
    print(md)
    if args.write:
        write_results(md)
    return 1 if mismatches else 0


def _ver(pkg: str) -> str:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "absent"


def render(rows: list[Any], breakdown: list[Any], mismatches: list[str], args: argparse.Namespace) -> str:
    out = ["## Engine", ""]
    out.append(f"Machine: {os.cpu_count()} CPUs (nproc), Python {platform.python_version()} ({platform.machine()}), "
               f"{platform.system()}; date {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. "
               f"rulekit {rulekit.__version__}, pydantic {_ver('pydantic')}, zen-engine {_ver('zen-engine')}, "
               f"rule-engine {_ver('rule-engine')}. 1-min load average at start / end of the run: "
               f"{args.load_start:.2f} / {args.load_end:.2f} (above {os.cpu_count()} means other processes shared "
               "the CPUs: records/s and p99 are then deflated; p50 is the most contention-robust figure).")
    out.append("")
    out.append(f"Command: `python benchmarks/bench_engine.py --orders {args.orders} --repeat {args.repeat}"
               f"{' --write' if args.write else ''}`")
    out.append("")
    out.append(f"{args.orders:,} seeded synthetic orders (RECORDS.md `order` fields, JSON-like dicts as json.loads gives) "
               "through `benchmarks/policies/freight.rule` (region table → first_kg/extra_kg/free_over, rules "
               "`remote_free_shipping` and `below_free_threshold`) and `benchmarks/policies/sla.rule` "
               "(`order.paid_at is not null and (order.shipped_at ?? now) - order.paid_at > 48h`), each on its own and "
               "both in one engine (`freight+sla`, the speed issue's workload: one report per order for the three rules). "
               "Each variant goes from dict to a per-order report (decision, violations with message and action arg). "
               f"records/s = the median of {args.repeat} interleaved rounds (every variant once per round, the order alternating), all reports kept in a list, input set gc.freeze()d; the CPU-time column (time.process_time) is primary (rulekit: `list(engine.evaluate_many(orders, kind=\"order\", now=NOW))`); "
               "p50/p99 = each record timed alone (rulekit: `engine.evaluate(o, kind=\"order\", now=NOW)`). "
               "All variants were checked to fire the same rules on the same number of orders: "
               + "; ".join(f"{k}: " + ", ".join(f"`{r}` {n:,}" for r, n in v.items()) for k, v in args.fired.items())
               + ". Timings are of the rulekit working tree as it stood at run time (uncommitted changes included).")
    out.append("")
    out.append("| policy | variant | records/s (CPU time) | records/s (wall) | p50 µs | p99 µs | rulekit ÷ this (records/s CPU) | rulekit ÷ this (by p50) |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|")
    for pol, res in rows:
        rk, rk50 = res["rulekit"][0], res["rulekit"][1]
        for name, (rate, p50, p99, wall) in res.items():
            ratio = "—" if name == "rulekit" else f"{rk / rate:.2f}×"
            ratio50 = "—" if name == "rulekit" else f"{p50 / rk50:.2f}×"
            out.append(f"| {pol} | {name} | {rate:,.0f} | {wall:,.0f} | {p50:.2f} | {p99:.2f} | {ratio} | {ratio50} |")
    out.append("")
    out.append("Targets (the speed issue): rulekit ≥ 5× zen-engine on its fairest input (the faster of its two rows); "
               "moonshot: within 1.5× of the hand-written floor.")
    out.append("")
    for pol, res in rows:
        rk = res["rulekit"][0]
        fl = res["floor (hand-written Python)"][0]
        line = f"- **{pol}**: rulekit / floor = {rk / fl:.2f}× (floor is {fl / rk:.2f}× faster; moonshot ≤ 1.5×: " \
               f"{'met' if fl / rk <= 1.5 else 'NOT met'})"
        zen = [v[0] for k, v in res.items() if k.startswith("zen-engine")]
        if zen:
            z = max(zen)
            line += f"; rulekit / zen-engine (its faster row) = {rk / z:.2f}× (target ≥ 5×: " \
                    f"{'met' if rk / z >= 5 else 'NOT met'})"
            if "rulekit, validate=read" in res:
                rr = res["rulekit, validate=read"][0]
                line += f"; with validate=\"read\" {rr / z:.2f}× zen-engine and {rr / fl:.2f}× the floor"
        out.append(line + ".")
    out.append("")
    out.append("Where rulekit's time goes (each part timed on its own with its outputs kept, so each pays its own "
               "cyclic GC and the parts need not add up; per record; validation = the generated validator `Stream.push` calls, "
               "`engine.compiled.validators[\"order\"](d, \"order\")`, "
               "plan = `engine.plan(\"order\").evaluate(rec, NOW, None, 0)` on pre-validated records; "
               "rest = stream dispatch + report objects, i.e. end-to-end minus the two; means are CPU time per record):")
    out.append("")
    out.append("| policy | end-to-end µs/rec (evaluate_many, CPU) | validate µs/rec (p50 / p99) | plan.evaluate µs/rec (p50 / p99) | rest µs/rec | validate share |")
    out.append("|---|---:|---:|---:|---:|---:|")
    for pol, (rate, _p50, _p99, _wall), (vr, v50, v99), (pr, e50, e99) in breakdown:
        tot = 1e6 / rate
        v = 1e6 / vr
        p = 1e6 / pr
        out.append(f"| {pol} | {tot:.2f} | {v:.2f} ({v50:.2f} / {v99:.2f}) | {p:.2f} ({e50:.2f} / {e99:.2f}) | "
                   f"{tot - v - p:.2f} | {v / tot:.0%} |")
    out.append("")
    out.append("Notes: zen-engine runs one compiled ZEN expression per policy (`zen.compile_expression(...).evaluate({\"order\": d, \"now\": NOW})`); "
               "its `flat input` row is given only the fields the policy reads, with times as epoch seconds, built before timing (its fairest input), "
               "and for `freight+sla` it runs either one expression for both on the union of their fields or each policy's own expression on its own fields (two calls, two reports: the faster counts), "
               "with the region table inlined as a conditional (a JDM decision-table graph was not used: it adds graph "
               "overhead per call); it uses floats for money and does no input validation. The floor uses Decimal and "
               "`datetime.fromisoformat`, parses only what a rule needs, and validates nothing. "
               "rule-engine (optional) evaluates its own Rule objects; for SLA the ISO strings are parsed in Python first.")
    if mismatches:
        out.append("")
        out.append("**Result mismatches:**")
        out.extend(f"- {m}" for m in mismatches)
    return "\n".join(out) + "\n"


def write_results(section: str) -> None:
    """Replace (or add) the `## Engine` section of RESULTS.md, leaving other sections alone."""
    if RESULTS_FILE.exists():
        text = RESULTS_FILE.read_text(encoding="utf-8")
    else:
        text = "# Benchmark results\n"
    lines = text.splitlines(keepends=True)
    start = next((i for i, l in enumerate(lines) if l.rstrip() == "## Engine"), None)
    if start is None:
        new = text.rstrip("\n") + "\n\n" + section
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        new = "".join(lines[:start]) + section + ("\n" + "".join(lines[end:]) if end < len(lines) else "")
    RESULTS_FILE.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
