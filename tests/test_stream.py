"""The stream API: window state across pushes, snapshots that a restarted service resumes from."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import rulekit
from rulekit import values

NOW = values.parse_datetime("2025-06-10T12:00:00+08:00")

POLICY = """
policy fraud {
  rule burst on order {
    severity error
    let n = count(order by ip within 10m)
    when n >= 3
    message "IP {order.ip} {n}"
  }
  rule spend on order {
    severity warning
    let total = sum(order.total by buyer_id within 1h)
    when total > ¥300
    message "{order.buyer_id} 一小时消费 {total}"
  }
}
"""


def order(i: int, minute: int, ip: str = "10.0.0.1", total: int = 120) -> dict:
    t = datetime(2025, 6, 1, 10, 0, tzinfo=values.PLATFORM_TZ) + timedelta(minutes=minute)
    return {"id": f"o{i}", "shop_id": "S1", "buyer_id": "B1", "ip": ip, "region": "浙江", "category": "服饰",
            "items": [], "total": total, "shipping_fee": 0, "claims_free_shipping": False, "weight": 1,
            "created_at": t.isoformat(), "status": "paid"}


def engine(tmp_path: Path) -> rulekit.Engine:
    (tmp_path / "p.rule").write_text(POLICY, encoding="utf-8")
    return rulekit.load(tmp_path / "p.rule")


def test_stream_equals_evaluate_many(tmp_path: Path) -> None:
    eng = engine(tmp_path)
    orders = [order(i, i * 2) for i in range(6)]
    stream = eng.stream(now=NOW)
    pushed = [stream.push(o, kind="order").model_dump() for o in orders]
    many = [r.model_dump() for r in eng.evaluate_many(orders, kind="order", now=NOW)]
    assert pushed == many
    assert [sorted(r["violations"][i]["rule"] for i in range(len(r["violations"]))) for r in pushed][2] == \
        ["fraud.burst", "fraud.spend"]


def test_evaluate_is_stateless(tmp_path: Path) -> None:
    eng = engine(tmp_path)
    for i in range(5):
        rep = eng.evaluate(order(i, i), kind="order", now=NOW)
        assert rep.fired() == []


def test_snapshot_restore_resumes_the_windows(tmp_path: Path) -> None:
    eng = engine(tmp_path)
    orders = [order(i, i) for i in range(6)]
    first = eng.stream(now=NOW)
    for o in orders[:2]:
        first.push(o, kind="order")
    first.snapshot(tmp_path / "state.json")
    restarted = eng.stream(now=NOW)
    restarted.restore(tmp_path / "state.json")
    rest_a = [first.push(o, kind="order").model_dump() for o in orders[2:]]
    rest_b = [restarted.push(o, kind="order").model_dump() for o in orders[2:]]
    assert rest_a == rest_b
    assert "fraud.burst" in [v["rule"] for v in rest_b[0]["violations"]]
    json.loads((tmp_path / "state.json").read_text(encoding="utf-8"))  # a plain JSON file
    # the largest event time per type travels with the snapshot: a straggler is late for both streams
    assert restarted.max_seen() == first.max_seen() == {"order": 1_748_743_500_000_000}  # 10:05+08:00
    assert eng.stream(now=NOW).max_seen() == {}
    late = order(9, 0)
    assert restarted.push(late, kind="order").errors == first.push(late, kind="order").errors != []


def test_late_subject_is_undetermined_not_dropped(tmp_path: Path) -> None:
    eng = engine(tmp_path)
    stream = eng.stream(now=NOW, lateness=timedelta(minutes=5))
    stream.push(order(1, 30), kind="order")
    within = stream.push(order(2, 26), kind="order")  # 4 minutes late: placed correctly
    assert within.errors == []
    late = stream.push(order(3, 10), kind="order")  # 20 minutes late
    assert {e.rule for e in late.errors} == {"fraud.burst", "fraud.spend"}
    assert all(e.message.startswith("late") for e in late.errors)
    # the straggler still counts for the subjects after it
    after = stream.push(order(4, 31), kind="order")
    assert "fraud.burst" in after.fired()


def test_sum_window_is_exact_money(tmp_path: Path) -> None:
    eng = engine(tmp_path)
    stream = eng.stream(now=NOW)
    reps = [stream.push(order(i, i, ip=f"10.0.0.{i}", total=100.1), kind="order") for i in range(3)]
    assert reps[-1].fired() == ["fraud.spend"]
    assert reps[-1].violations[0].message == "B1 一小时消费 ¥300.30"


def test_host_decimal_context_does_not_change_results(tmp_path: Path) -> None:
    import decimal

    eng = engine(tmp_path)
    orders = [order(i, i, ip=f"10.0.0.{i}", total=100.1) for i in range(3)]
    expected = [r.to_json() for r in eng.evaluate_many(orders, kind="order", now=NOW)]
    with decimal.localcontext(decimal.Context(prec=3, rounding=decimal.ROUND_DOWN)):
        got = [r.to_json() for r in eng.evaluate_many(orders, kind="order", now=NOW)]
    assert got == expected
