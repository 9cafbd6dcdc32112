"""`members(order by ip within 10m)`: the subjects a window holds, against a naive reference; per-call `now`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rulekit
from rulekit import values
from rulekit.stream import SnapshotMismatch
from tests.helpers import codes, diags

NOW = values.parse_datetime("2025-06-10T12:00:00+08:00")
T0 = datetime(2025, 6, 1, 10, 0, tzinfo=values.PLATFORM_TZ)

POLICY = """
policy burst {
  rule same_ip "same IP" on order {
    severity error
    let ms = members(order by ip within 10m)
    when len(ms) >= 1
    message "IP {order.ip}: {ms.id}"
    action hold_orders(order_ids: ms.id)
  }
  rule small "small orders" on order {
    severity warning
    let ms = members(order by ip within 10m where order.total < ¥50)
    when len(ms) >= 1
    message "small: {ms.id}"
    action hold_orders(order_ids: ms.id)
  }
  rule bigger "bigger than this one" on order {
    severity info
    let ms = members(order by ip within 10m where order.total > this.total)
    when len(ms) >= 1
    message "bigger: {ms.id}"
    action hold_orders(order_ids: ms.id)
  }
}
"""


def order(i: int, seconds: int, ip: str | None = "10.0.0.1", total: int = 120, buyer: str = "B1") -> dict[str, Any]:
    return {"id": f"o{i}", "shop_id": "S1", "buyer_id": buyer, "ip": ip, "region": "浙江", "category": "服饰",
            "items": [], "total": total, "shipping_fee": 0, "claims_free_shipping": False, "weight": 1,
            "created_at": (T0 + timedelta(seconds=seconds)).isoformat(), "status": "paid"}


#: A rule that hands the member records themselves to an action: then members windows keep whole records.
WHOLE_RECORDS = """
policy whole {
  rule pass_on on order {
    severity info
    let ms = members(order by ip within 10m)
    when order.ip is not null and len(ms) >= 100
    message "many"
    action hold(orders: ms)
  }
}
"""


@pytest.fixture(scope="module", params=["fields", "records"])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> rulekit.Engine:
    """The policy, its members windows keeping the fields it reads, or (with WHOLE_RECORDS) whole records."""
    d = tmp_path_factory.mktemp("members")
    (d / "p.rule").write_text(POLICY, encoding="utf-8")
    if request.param == "records":
        (d / "whole.rule").write_text(WHOLE_RECORDS, encoding="utf-8")
    eng = rulekit.load(d)
    projections = {w.id: w.projection for w in eng.compiled.windows}
    if request.param == "fields":
        assert projections["order:members(order by ip within 10m) keeping id"] == ("id",)
        assert projections["order:members(order by ip within 10m where order.total > this.total) keeping id, total"] \
            == ("id", "total")
    else:
        assert set(projections.values()) == {None}
    return eng


def test_the_bundled_fraud_windows_keep_order_ids_only() -> None:
    members = [w for w in rulekit.load().compiled.windows if w.func == "members"]
    assert members and all(w.projection == ("id",) for w in members)


def _outcome(report: Any, rule: str) -> Any:
    """The member ids a rule named, None when it did not fire, `late`/`undetermined` for an errors entry."""
    for e in report.errors:
        if e.rule == rule:
            return "late" if e.message.startswith("late") else "undetermined"
    for v in report.violations:
        if v.rule == rule:
            return v.actions[0].args["order_ids"]
    return None


# --- the type checker ---------------------------------------------------------------------------------------------


def test_members_is_a_list_of_subjects(tmp_path: Path) -> None:
    ok = """
    policy p {
      rule r on order {
        let ms = members(order by device_id within 1h)
        when order.device_id is not null and len(ms) >= 2 and all m in ms satisfies m.total > ¥0
        unless any m in ms satisfies m.buyer_id == "VIP"
        message "{len(ms)} orders on {order.device_id}: {ms.id}, {ms.buyer_id}"
        action hold_orders(order_ids: ms.id)
      }
    }
    """
    assert [d for d in diags(tmp_path, ok) if d.is_error] == []


def test_members_takes_the_subject_itself(tmp_path: Path) -> None:
    bad = """
    policy p {
      rule r on order {
        when len(members(order.total by ip within 1h)) > 1
        message "x"
      }
    }
    """
    ds = diags(tmp_path, bad)
    assert "E009" in codes(ds)
    assert any("write `members(order by …)`" in d.message for d in ds)


def test_members_is_not_a_number(tmp_path: Path) -> None:
    bad = """
    policy p {
      rule r on order {
        when members(order by ip within 1h) > 1
        message "x"
      }
    }
    """
    assert any(d.is_error for d in diags(tmp_path, bad))


# --- against a naive reference ------------------------------------------------------------------------------------

WITHIN = 600  # seconds


def _naive(pushed: list[dict[str, Any]], lateness: int) -> list[dict[str, Any]]:
    """Per subject, in arrival order: for each rule, the ids of the window's members (event-time order, ties in
    arrival order), or late/undetermined, or None. Written from LANGUAGE §4.4 and docs/language.md alone."""
    out = []
    seen: int | None = None
    for i, o in enumerate(pushed):
        t = o["_t"]
        late = seen is not None and t < seen - lateness
        seen = t if seen is None else max(seen, t)
        row: dict[str, Any] = {}
        for rule, keep in (("burst.same_ip", lambda m, o=o: True),
                           ("burst.small", lambda m, o=o: m["total"] < 50),
                           ("burst.bigger", lambda m, o=o: m["total"] > o["total"])):
            if o["ip"] is None:
                row[rule] = "undetermined"
                continue
            if late:
                row[rule] = "late"
                continue
            held = [(m["_t"], j, m["id"]) for j, m in enumerate(pushed[:i + 1])
                    if m["ip"] == o["ip"] and t - WITHIN < m["_t"] <= t and keep(m)]
            row[rule] = [x[2] for x in sorted(held)] or None
        out.append(row)
    return out


_EVENT = st.tuples(st.integers(-120, 400), st.sampled_from(["10.0.0.1", "10.0.0.2", None]), st.integers(1, 99))


@settings(max_examples=150, deadline=None)
@given(events=st.lists(_EVENT, max_size=25), lateness=st.sampled_from([0, 60, 300]))
def test_members_equal_a_naive_reference(engine: rulekit.Engine, events: list[tuple[int, str | None, int]],
                                        lateness: int) -> None:
    pushed = []
    t = 0
    for i, (step, ip, total) in enumerate(events):
        t += step  # negative steps: subjects out of order, some beyond the lateness
        o = order(i, t, ip, total)
        o["_t"] = t
        pushed.append(o)
    stream = engine.stream(now=NOW, lateness=timedelta(seconds=lateness))
    got = []
    for o in pushed:
        report = stream.push({k: v for k, v in o.items() if k != "_t"}, kind="order")
        got.append({r: _outcome(report, r) for r in ("burst.same_ip", "burst.small", "burst.bigger")})
    assert got == _naive(pushed, lateness)


def test_members_stay_bounded_by_the_window_not_the_stream(engine: rulekit.Engine) -> None:
    stream = engine.stream(now=NOW)
    for i in range(5000):
        stream.push(order(i, i * 60, ip=f"10.0.{i % 7}.1"), kind="order")  # one order a minute over 7 IPs
    # 10 minutes hold about 10 orders; each members window keeps at most those (the small one none, the
    # whole-records variant one more window of the same)
    assert stream.store.entry_count() <= 3 * 11
    assert stream.store.key_count() <= 3 * 7


# --- snapshots ------------------------------------------------------------------------------------------------------


def test_a_restored_stream_lists_the_same_members(engine: rulekit.Engine, tmp_path: Path) -> None:
    # the snapshot holds what the windows keep: ids (and totals), or whole records validated again on restore
    orders = [order(i, i * 30, total=10 + i) for i in range(8)]
    whole = engine.stream(now=NOW)
    expected = [whole.push(o, kind="order").model_dump() for o in orders]
    first = engine.stream(now=NOW)
    for o in orders[:4]:
        first.push(o, kind="order")
    first.snapshot(tmp_path / "state.json")
    again = engine.stream(now=NOW)
    again.restore(tmp_path / "state.json")
    assert [again.push(o, kind="order").model_dump() for o in orders[4:]] == expected[4:]
    assert expected[-1]["violations"][0]["actions"][0]["args"]["order_ids"] == [f"o{i}" for i in range(8)]


def test_restore_says_when_the_policies_changed(tmp_path: Path) -> None:
    (tmp_path / "p.rule").write_text(POLICY, encoding="utf-8")
    s = rulekit.load(tmp_path / "p.rule").stream(now=NOW)
    s.push(order(1, 0), kind="order")
    s.snapshot(tmp_path / "state.json")
    (tmp_path / "q.rule").write_text(POLICY.replace("¥50", "¥60"), encoding="utf-8")
    changed = rulekit.load(tmp_path / "q.rule")
    with pytest.raises(SnapshotMismatch, match="another policy set.*2 of these policies' 3 windows"):
        changed.stream(now=NOW).restore(tmp_path / "state.json")
    kept = changed.stream(now=NOW)
    kept.restore(tmp_path / "state.json", other_policies=True)
    report = kept.push(order(2, 10), kind="order")
    assert _outcome(report, "burst.same_ip") == ["o1", "o2"]
    # a window that keeps other fields of its members is another window: it starts empty
    (tmp_path / "whole.rule").write_text(WHOLE_RECORDS, encoding="utf-8")
    wider = rulekit.load(tmp_path / "q.rule", tmp_path / "whole.rule").stream(now=NOW)
    wider.restore(tmp_path / "state.json", other_policies=True)
    assert _outcome(wider.push(order(2, 10), kind="order"), "burst.same_ip") == ["o2"]
    assert json.loads((tmp_path / "state.json").read_text(encoding="utf-8"))


# --- the evaluation time of a long-running stream ----------------------------------------------------------------

CLOCK_POLICY = """
policy sla {
  rule late_ship on order {
    severity error
    when order.shipped_at is null and now - order.paid_at > 48h
    message "not shipped"
  }
}
"""


def _paid(i: int) -> dict[str, Any]:
    o = order(i, 0)
    o["paid_at"] = o["created_at"]
    return o


def test_push_takes_the_time_of_each_call(tmp_path: Path) -> None:
    (tmp_path / "p.rule").write_text(CLOCK_POLICY, encoding="utf-8")
    eng = rulekit.load(tmp_path / "p.rule")
    stream = eng.stream(now=T0)
    assert stream.push(_paid(1), kind="order").fired() == []
    assert stream.push(_paid(2), kind="order", now=T0 + timedelta(days=3)).fired() == ["sla.late_ship"]
    assert stream.push(_paid(3), kind="order").fired() == []  # back to the stream's own time


def test_a_stream_can_run_on_a_clock(tmp_path: Path) -> None:
    (tmp_path / "p.rule").write_text(CLOCK_POLICY, encoding="utf-8")
    eng = rulekit.load(tmp_path / "p.rule")
    ticks = iter([T0, T0 + timedelta(hours=1), T0 + timedelta(days=3)])
    stream = eng.stream(now=lambda: next(ticks))  # read once when made, then once per subject
    assert stream.push(_paid(1), kind="order").fired() == []
    assert stream.push(_paid(2), kind="order").fired() == ["sla.late_ship"]
    with pytest.raises(TypeError, match="must be a datetime"):
        eng.stream(now=lambda: "2025-06-01").push(_paid(3), kind="order")


def test_explain_names_the_members_by_id(engine: rulekit.Engine) -> None:
    text = engine.explain(order(1, 0), kind="order", now=NOW).render()
    assert "ms  →  [order o1]" in text and "record]" not in text


def test_members_read_directly_in_an_action_keep_that_field(tmp_path: Path) -> None:
    # found by the fuzzing suite: `members(…).id` with no let in between kept no field at all
    (tmp_path / "p.rule").write_text("""policy d {
  rule r on order {
    when order.ip is not null
    message "x"
    action hold(ids: members(order by ip within 1h).id)
  }
}
""", encoding="utf-8")
    eng = rulekit.load(tmp_path / "p.rule")
    stream = eng.stream(now=NOW)
    stream.push(order(1, 0), kind="order")
    report = stream.push(order(2, 30), kind="order")
    assert report.violations[0].actions[0].args["ids"] == ["o1", "o2"]
