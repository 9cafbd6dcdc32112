"""The pipeline's hand-offs through the public API: explain is read-only, snapshots cover every window,
windows of one record type are evicted by that type's event times only, records are validated once."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import rulekit
from rulekit import values
from rulekit.syntax.parser import parse
from tests.helpers import NOW, order, run_cli, write

T0 = datetime(2025, 6, 1, 10, 0, tzinfo=values.PLATFORM_TZ)


def load(tmp_path: Path, text: str) -> rulekit.Engine:
    return rulekit.load(write(tmp_path, "p.rule", text))


def at(minute: int) -> str:
    return (T0 + timedelta(minutes=minute)).isoformat()


# ---- bug 1: explain never changes the engine ----------------------------------------------------------

THRESHOLDS = """
policy p {
  table fee(region: string) -> money {
    else => ¥7
  }
  rule cheap on order {
    when order.total < ¥20
    message "cheap {order.total}"
  }
  rule dear on order {
    when order.total > ¥100
    message "dear {order.total}"
  }
}
"""


def test_explain_leaves_the_engine_as_it_was(tmp_path: Path) -> None:
    # the table's constant is compiled first: an explainer that numbered constants from 0 again used to
    # rebind the name of `¥20` to `¥100`, and `order.total < ¥20` then fired on a ¥50 order
    eng = load(tmp_path, THRESHOLDS)
    fifty = order(total=50)
    before = eng.evaluate(fifty, now=NOW).to_json()
    explanation = eng.explain(fifty, kind="order", now=NOW)
    assert [(r.rule.id, r.status) for r in explanation.rules] == [("p.cheap", "not fired"), ("p.dear", "not fired")]
    # the sub-expression values are those of this order, with the literals the rules were written with
    when = explanation.rules[0].clauses[0]
    assert (when.label, when.text, when.value) == ("when", "order.total < ¥20", "false")
    assert [c.value for c in when.children] == ["¥50.00"]
    after = eng.evaluate(fifty, now=NOW)
    assert after.to_json() == before and after.violations == []
    assert [v.rule for v in eng.evaluate(order(total=500), now=NOW).violations] == ["p.dear"]


def test_explain_as_a_library_call_then_a_normal_evaluation(tmp_path: Path) -> None:
    eng = load(tmp_path, THRESHOLDS)
    x = eng.explain(order(total=5), now=NOW)
    assert x.report.decision == "review" and [r.status for r in x.rules] == ["fired", "not fired"]
    assert "p.cheap: FIRED [warning] cheap ¥5.00" in x.render()
    invalid = eng.explain(order(total="abc"), now=NOW)
    assert invalid.invalid == 'order.total: not a money amount: "abc"' and invalid.rules == ()
    assert [v.rule for v in eng.evaluate(order(total=5), now=NOW).violations] == ["p.cheap"]


# ---- bug 2: snapshots of every window the language allows -------------------------------------------

QUERY_FILTERED = """
policy w {
  rule same_total on order {
    let n = count(order by ip within 10m where order.total == this.total)
    when n >= 2
    message "{n} orders of {order.total} from {order.ip}"
  }
  rule bigger_baskets on order {
    let s = sum(order.total by ip within 1h where len(order.items) > len(this.items))
    when s > ¥0
    message "{s}"
  }
}
"""


def _orders() -> list[dict[str, Any]]:
    items = [{"sku": "K1", "quantity": 1, "price": 10}]
    out = []
    for i in range(8):
        out.append(order(id=f"o{i}", total=[50, 60][i % 2], created_at=at(i * 2),
                         items=items * (1 + (i * 5) % 3)))
    return out


def _run(eng: rulekit.Engine, recs: list[dict[str, Any]], snapshot_at: int | None, path: Path) -> list[str]:
    stream = eng.stream(now=NOW)
    out = []
    for i, rec in enumerate(recs):
        if i == snapshot_at:
            stream.snapshot(path)
            stream = eng.stream(now=NOW)
            stream.restore(path)
        out.append(stream.push(rec).to_json())
    return out


def test_snapshot_of_query_filtered_windows_resumes_exactly(tmp_path: Path) -> None:
    eng = load(tmp_path, QUERY_FILTERED)
    recs = _orders()
    straight = _run(eng, recs, None, tmp_path / "s.json")
    assert any('"w.same_total"' in r for r in straight) and any('"w.bigger_baskets"' in r for r in straight)
    for cut in range(1, len(recs)):
        assert _run(eng, recs, cut, tmp_path / f"s{cut}.json") == straight, cut


def test_snapshot_without_window_rules(tmp_path: Path) -> None:
    eng = load(tmp_path, THRESHOLDS)
    stream = eng.stream(now=NOW)
    stream.push(order())
    stream.snapshot(tmp_path / "empty.json")
    again = eng.stream(now=NOW)
    again.restore(tmp_path / "empty.json")
    assert again.push(order(total=5)).fired() == ["p.cheap"]


# ---- bug 3: eviction and lateness per record type -------------------------------------------------------

TWO_KINDS = """
policy m {
  rule review_burst on review {
    when count(review by order_id within 1h) >= 2
    message "two reviews of {review.order_id}"
  }
  rule ip_burst on order {
    when count(order by ip within 10m) >= 2
    message "two orders from {order.ip}"
  }
}
"""


def review(rid: str, minute: int) -> dict[str, Any]:
    return {"id": rid, "shop_id": "S1", "order_id": "o1", "rating": 5, "text": "好", "created_at": at(minute)}


def test_windows_of_one_kind_ignore_another_kinds_event_times(tmp_path: Path) -> None:
    eng = load(tmp_path, TWO_KINDS)
    stream = eng.stream(now=NOW)
    assert stream.push(review("r1", 0), kind="review").fired() == []
    assert stream.push(order(id="a", created_at=at(120)), kind="order").fired() == []
    late_for_orders = stream.push(review("r2", 30), kind="review")
    assert late_for_orders.fired() == ["m.review_burst"] and late_for_orders.errors == []
    assert stream.push(order(id="b", created_at=at(125)), kind="order").fired() == ["m.ip_burst"]
    # lateness is per type too: an order older than the latest order is late, whatever the reviews did
    late = stream.push(order(id="c", created_at=at(60)), kind="order")
    assert [e.rule for e in late.errors] == ["m.ip_burst"] and late.errors[0].message.startswith("late")


# ---- bug 4: one validation per record ---------------------------------------------------------------------

def test_an_invalid_record_is_validated_once(tmp_path: Path) -> None:
    eng = load(tmp_path, THRESHOLDS)
    calls: list[str] = []
    real = dict(eng.compiled.validators)

    def counting(kind: str) -> Any:
        def check(data: Any, path: str) -> Any:
            calls.append(kind)
            return real[kind](data, path)
        return check

    object.__setattr__(eng.compiled, "validators", {k: counting(k) for k in real})
    rep = eng.evaluate(order(total="abc", created_at="yesterday"), kind="order", now=NOW)
    assert calls == ["order"]
    assert [e.message for e in rep.errors] == [
        'order.total: not a money amount: "abc"; order.created_at: not a datetime: "yesterday" '
        "(write ISO 8601, e.g. 2025-06-01T10:00:00+08:00)"]
    calls.clear()
    assert eng.evaluate(order(), kind="order", now=NOW).decision == "allow" and calls == ["order"]


# ---- the rest of the hand-offs ---------------------------------------------------------------------------

def test_program_is_frozen_and_typed(tmp_path: Path) -> None:
    eng = load(tmp_path, THRESHOLDS)
    rule = eng.program.rules()[0]
    assert rule.when is not None
    cond = rule.when.expr
    assert str(cond.type) == "bool" and str(cond.left.type) == "money" and cond.left.obj.ref.kind == "subject"
    with pytest.raises(AttributeError):
        eng.program.policies = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        eng.program.registry.types["x"] = None  # type: ignore[index]


def test_record_kind_from_dollar_kind_and_own_kind_fields(tmp_path: Path) -> None:
    eng = load(tmp_path, THRESHOLDS)
    assert eng.evaluate({**order(total=5), "$kind": "order"}, now=NOW).kind == "order"
    ticket = {"id": "t1", "shop_id": "S1", "kind": "complaint", "opened_at": at(0)}
    assert eng.evaluate(ticket, now=NOW).kind == "ticket"
    unknown = eng.evaluate({"$kind": "orders", "id": "x"}, now=NOW)
    assert unknown.errors[0].message == "unknown subject kind `orders`; did you mean `order`?"


def test_parsing_is_reentrant(tmp_path: Path) -> None:
    texts = [f"# file {i}\npolicy p{i} {{  # note {i}\n  let x = {i}\n}}\n" for i in range(40)]
    expected = [parse(t, f"f{i}")[0] for i, t in enumerate(texts)]
    got: list[Any] = [None] * len(texts)

    def work(i: int) -> None:
        for _ in range(20):
            got[i] = parse(texts[i], f"f{i}")[0]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == expected
    assert [[c.text for c in sf.comments] for sf in got] == [[f"# file {i}", f"# note {i}"] for i in range(40)]


def test_syntax_errors_name_punctuation_not_lark_internals(tmp_path: Path) -> None:
    r = run_cli("check", write(tmp_path, "t.rule", "policy p {\n  table t(r: string) money {\n  }\n}\n"))
    assert r.returncode == 1 and "`->`" in r.stdout and "ANON" not in r.stdout


def test_cli_test_coverage(tmp_path: Path) -> None:
    pol = write(tmp_path, "c.rule", THRESHOLDS + """
test "cheap fires" {
  given order {"id": "o1", "shop_id": "S1", "buyer_id": "B1", "region": "浙江", "category": "服饰", "items": [],
               "total": 5, "shipping_fee": 0, "claims_free_shipping": false, "weight": 1,
               "created_at": "2025-06-01T10:00:00", "status": "paid"}
  expect violation p.cheap
  expect no violation p.dear
}
""")
    r = run_cli("test", "--coverage", pol)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert "coverage: 0/2 rules have a firing and a non-firing test (0%)" in lines
    assert "  p.cheap: missing a non-firing test" in lines
    assert "  p.dear: missing a firing test" in lines
    assert lines[-1] == "1 passed, 0 failed"


def test_money_stays_exact_through_windows_and_snapshots(tmp_path: Path) -> None:
    eng = load(tmp_path, """
policy s {
  rule spend on order {
    let total = sum(order.total by buyer_id within 1h)
    when total > ¥0.3
    message "{total}"
  }
}
""")
    stream = eng.stream(now=NOW)
    stream.push(order(id="a", total=Decimal("0.1"), created_at=at(0)))
    stream.snapshot(tmp_path / "m.json")
    again = eng.stream(now=NOW)
    again.restore(tmp_path / "m.json")
    again.push(order(id="b", total=0.1, created_at=at(1)))
    rep = again.push(order(id="c", total="0.1", created_at=at(2)))
    assert rep.violations == [] and again.push(order(id="d", total=0.01, created_at=at(3))).violations[0].message == "¥0.31"


# ---- the visitor's child iteration is the plain field-by-field walk ----------------------------------------


def _reference_children(node: Any) -> list[Any]:
    """The children as the visitor's contract reads: each field but the skipped ones, tuples flattened, every
    dataclass but spans, types and refs."""
    import dataclasses

    from rulekit.diagnostics import Span
    from rulekit.syntax.nodes import Ref
    from rulekit.syntax.visitor import _SKIP
    from rulekit.types import Type

    out: list[Any] = []

    def add(v: Any) -> None:
        if isinstance(v, tuple):
            for x in v:
                add(x)
        elif dataclasses.is_dataclass(v) and not isinstance(v, (Span, Type, Ref)):
            out.append(v)

    for f in dataclasses.fields(node):
        if f.name not in _SKIP:
            add(getattr(node, f.name))
    return out


def test_walk_visits_what_a_plain_recursive_walk_visits() -> None:
    """Every node of the bundled policies, parsed and checked, in the same order as a plain recursive walk."""
    from rulekit.syntax.visitor import iter_child_nodes, walk

    def plain(node: Any) -> list[Any]:
        return [node, *(x for c in _reference_children(node) for x in plain(c))]

    program = rulekit.load().program
    roots = [*program.policies, *(r for p in program.policies for r in p.rules)]
    seen = 0
    for root in roots:
        assert [id(x) for x in walk(root)] == [id(x) for x in plain(root)]
        assert list(iter_child_nodes(root)) == _reference_children(root)
        seen += len(plain(root))
    assert seen > 1000
