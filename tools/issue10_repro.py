"""Reproduces the four bugs of the pipeline redesign (issue 10) through the public API of a rulekit tree.

    python tools/issue10_repro.py PATH_TO_A_RULEKIT_CHECKOUT

Prints, per bug, what that tree does; run it on an older checkout and on this one to compare (it works on
the API before and after the redesign). tests/test_pipeline.py holds the same cases as regression tests.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).resolve().parents[1]))

import rulekit  # noqa: E402 - from the tree named on the command line
from rulekit import values  # noqa: E402

NOW = values.parse_datetime("2025-06-10T12:00:00+08:00")
T0 = datetime(2025, 6, 1, 10, 0, tzinfo=values.PLATFORM_TZ)
TMP = Path(tempfile.mkdtemp())


def at(minute: int) -> str:
    return (T0 + timedelta(minutes=minute)).isoformat()


def order(**over: Any) -> dict[str, Any]:
    d = {"id": "o1", "shop_id": "S1", "buyer_id": "B1", "ip": "1.1.1.1", "region": "浙江", "category": "服饰",
         "items": [{"sku": "K1", "quantity": 1, "price": 50}], "total": 50, "shipping_fee": 0,
         "claims_free_shipping": False, "weight": 1, "created_at": at(0), "status": "paid"}
    d.update(over)
    return d


def review(rid: str, minute: int) -> dict[str, Any]:
    return {"id": rid, "shop_id": "S1", "order_id": "o1", "rating": 5, "text": "好", "created_at": at(minute)}


def load(text: str) -> Any:
    (TMP / "p.rule").write_text(text, encoding="utf-8")
    return rulekit.load(TMP / "p.rule")


def explain_then_evaluate() -> list[str]:
    eng = load("policy p {\n table fee(region: string) -> money {\n  else => ¥7\n }\n"
               " rule cheap on order {\n  when order.total < ¥20\n  message \"c\"\n }\n"
               " rule dear on order {\n  when order.total > ¥100\n  message \"d\"\n }\n}\n")
    if hasattr(eng, "explain"):
        eng.explain(order(), kind="order", now=NOW)
    else:  # before the redesign: the CLI's explainer
        from rulekit.explain import explain_file

        (TMP / "o.json").write_text(json.dumps(order()), encoding="utf-8")
        explain_file(eng, str(TMP / "o.json"), "order", NOW, io.StringIO())
    return eng.evaluate(order(), kind="order", now=NOW).fired()  # type: ignore[no-any-return]


def snapshot(policy: str) -> str:
    stream = load(policy).stream(now=NOW)
    stream.push(order())
    try:
        stream.snapshot(TMP / "state.json")
        return "ok"
    except Exception as e:  # noqa: BLE001 - what the bug looked like
        return f"{type(e).__name__}: {str(e)[:80]}"


def mixed_kinds() -> list[str]:
    eng = load("policy m {\n rule rb on review {\n  when count(review by order_id within 1h) >= 2\n  message \"x\"\n }\n"
               " rule ob on order {\n  when count(order by ip within 10m) >= 2\n  message \"y\"\n }\n}\n")
    stream = eng.stream(now=NOW)
    stream.push(review("r1", 0), kind="review")
    stream.push(order(id="a", created_at=at(120)), kind="order")
    return stream.push(review("r2", 30), kind="review").fired()  # type: ignore[no-any-return]


def validations_of_one_invalid_record() -> int:
    eng = load("policy p {\n rule cheap on order {\n  when order.total < ¥20\n  message \"c\"\n }\n}\n")
    calls: list[int] = []
    if hasattr(eng, "fast_validators"):  # before the redesign: a fast path, then pydantic
        import rulekit.fastvalidate as fv

        fast = eng.fast_validators["order"]
        eng.fast_validators["order"] = lambda d, *a: (calls.append(1), fast(d, *a))[1]
        method = fv.FastValidators.validate
        fv.FastValidators.validate = lambda self, kind, data: (calls.append(1), method(self, kind, data))[1]
    else:
        real = dict(eng.compiled.validators)
        spy = {k: (lambda d, p, f=f: (calls.append(1), f(d, p))[1]) for k, f in real.items()}
        object.__setattr__(eng.compiled, "validators", spy)
    eng.evaluate(order(total="abc"), kind="order", now=NOW)
    return len(calls)


if __name__ == "__main__":
    window = "policy w {\n rule s on order {\n  when count(order by ip within 10m where order.total == this.total)" \
             " >= 2\n  message \"x\"\n }\n}\n"
    print("1 after explaining a ¥50 order, evaluating it fires:", explain_then_evaluate())
    print("2a snapshot of a query-filtered window:", snapshot(window))
    print("2b snapshot without window rules:", snapshot("policy p {\n rule c on order {\n  when false\n"
                                                         "  message \"c\"\n }\n}\n"))
    print("3 a review at 10:30 after an order at 12:00 fires:", mixed_kinds())
    print("4 validator runs for one invalid record:", validations_of_one_invalid_record())
