"""Evaluation semantics (LANGUAGE §4, §6, §9) through `rulekit.load` and `Engine.evaluate(_many)`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

import rulekit
from rulekit.io.formats import report_json
from tests.helpers import CST, NOW, order, write


def engine(tmp_path, text: str, **kw):
    return rulekit.load(write(tmp_path, "p.rule", text), **kw)


def one_rule(when: str, *, message: str = "x", extra: str = "", lets: str = "", severity: str = "warning",
             on: str = "order") -> str:
    return f"""
policy p {{
{lets}
  rule r on {on} {{
    severity {severity}
    {extra}
    when {when}
    message "{message}"
  }}
}}
"""


def ev(tmp_path, when: str, rec: dict | None = None, **kw):
    eng = engine(tmp_path, one_rule(when, **kw))
    return eng.evaluate(rec if rec is not None else order(), kind="order", now=NOW)


def fired(rep) -> list[str]:
    return [v.rule for v in rep.violations]


def msg(tmp_path, template: str, rec: dict | None = None, lets: str = "") -> str:
    rep = ev(tmp_path, "true", rec, message=template, lets=lets)
    assert rep.errors == [], rep.errors
    return rep.violations[0].message


def as_json(rep) -> dict:
    return json.loads(report_json(rep))


# ---- decisions and ordering ---------------------------------------------------------------------------

@pytest.mark.parametrize("severity, decision", [("error", "block"), ("warning", "review"), ("info", "allow")])
def test_decision_follows_worst_severity(tmp_path, severity, decision):
    rep = ev(tmp_path, "true", severity=severity)
    assert rep.decision == decision
    assert fired(rep) == ["p.r"]
    assert rep.violations[0].severity == severity


def test_no_violation_allows(tmp_path):
    rep = ev(tmp_path, "false")
    assert rep.decision == "allow" and rep.violations == [] and rep.errors == []
    assert rep.kind == "order" and rep.id == "o1"


def test_default_severity_is_warning(tmp_path):
    eng = engine(tmp_path, 'policy p {\n rule r on order {\n when true\n message "m"\n }\n}\n')
    rep = eng.evaluate(order(), kind="order", now=NOW)
    assert rep.violations[0].severity == "warning" and rep.decision == "review"


def test_violations_ordered_by_policy_then_rule(tmp_path):
    write(tmp_path, "a.rule", """
        policy zeta {
          rule b on order {
            when true
            message "x"
          }
          rule a on order {
            when true
            message "x"
          }
        }
        """)
    write(tmp_path, "b.rule", """
        policy alpha {
          rule z on order {
            severity info
            when true
            message "x"
          }
          rule m on order {
            severity error
            when true
            message "x"
          }
        }
        """)
    rep = rulekit.load(tmp_path).evaluate(order(), kind="order", now=NOW)
    assert fired(rep) == ["alpha.m", "alpha.z", "zeta.a", "zeta.b"]
    assert rep.decision == "block"
    assert rep.violations[0].policy == "alpha"


# ---- null, missing, undetermined ----------------------------------------------------------------------

def test_undetermined_null_field(tmp_path):
    rep = ev(tmp_path, "order.paid_at - order.created_at > 1h", order(paid_at=None))
    assert rep.violations == []
    assert [(e.rule, e.message) for e in rep.errors] == [("p.r", "order.paid_at is null")]
    assert rep.decision == "review"


def test_undetermined_missing_field(tmp_path):
    rep = ev(tmp_path, "order.paid_at - order.created_at > 1h", order())
    assert [(e.rule, e.message) for e in rep.errors] == [("p.r", "order.paid_at is missing")]
    assert rep.decision == "review"


def test_undetermined_does_not_hide_error_decision(tmp_path):
    write(tmp_path, "p.rule", """
        policy p {
          rule a on order {
            severity error
            when true
            message "x"
          }
          rule b on order {
            when order.paid_at > order.created_at
            message "x"
          }
        }
        """)
    rep = rulekit.load(tmp_path).evaluate(order(), kind="order", now=NOW)
    assert rep.decision == "block" and fired(rep) == ["p.a"] and [e.rule for e in rep.errors] == ["p.b"]


@pytest.mark.parametrize("when, fires", [
    ("order.paid_at is not null and order.paid_at - order.created_at > 1h", False),
    ("order.paid_at is null or order.paid_at - order.created_at > 1h", True),
    ("(order.paid_at ?? order.created_at + 2h) - order.created_at > 1h", True),
    ("order.paid_at is null", True),
    ("order.paid_at is missing", True),
    ("false and order.paid_at > order.created_at", False),
    ("true or order.paid_at > order.created_at", True),
])
def test_guards_avoid_undetermined(tmp_path, when, fires):
    rep = ev(tmp_path, when, order())
    assert rep.errors == []
    assert fired(rep) == (["p.r"] if fires else [])


def test_is_null_true_for_null_is_missing_false_for_null(tmp_path):
    assert fired(ev(tmp_path, "order.paid_at is null", order(paid_at=None))) == ["p.r"]
    assert fired(ev(tmp_path, "order.paid_at is missing", order(paid_at=None))) == []


def test_coalesce_with_present_value(tmp_path):
    rep = ev(tmp_path, "(order.paid_at ?? order.created_at) - order.created_at == 3h",
             order(paid_at="2025-06-01T13:00:00+08:00"))
    assert fired(rep) == ["p.r"] and rep.errors == []


def test_unused_let_never_undetermines(tmp_path):
    rep = ev(tmp_path, "order.total > ¥10", order(), extra="let wait = order.paid_at - order.created_at")
    assert fired(rep) == ["p.r"] and rep.errors == []


def test_let_used_only_after_guard(tmp_path):
    rep = ev(tmp_path, "order.paid_at is not null and wait > 1h", order(),
             extra="let wait = order.paid_at - order.created_at")
    assert rep.errors == [] and fired(rep) == []
    rep = ev(tmp_path, "order.paid_at is not null and wait > 1h", order(paid_at="2025-06-01T12:00:00+08:00"),
             extra="let wait = order.paid_at - order.created_at")
    assert fired(rep) == ["p.r"]


def test_when_guard_protects_message_and_action(tmp_path):
    eng = engine(tmp_path, """
        policy p {
          rule r on order {
            when order.paid_at is not null
            message "paid {order.paid_at - order.created_at}"
            action notify(wait: order.paid_at - order.created_at)
          }
        }
        """)
    rep = eng.evaluate(order(), kind="order", now=NOW)
    assert rep.errors == [] and rep.violations == []
    rep = eng.evaluate(order(paid_at="2025-06-01T12:30:00+08:00"), kind="order", now=NOW)
    assert rep.violations[0].message == "paid 2h30m"
    assert rep.violations[0].actions[0].args == {"wait": 9000}


def test_let_shared_by_two_rules_with_window(tmp_path):
    eng = engine(tmp_path, """
        policy p {
          let burst = count(order by ip within 1h)
          rule a on order {
            when burst >= 2
            message "a {burst}"
          }
          rule b on order {
            when burst >= 3
            message "b {burst}"
          }
        }
        """)
    recs = [order(id=f"o{i}", created_at=f"2025-06-01T10:0{i}:00+08:00") for i in range(3)]
    reps = list(eng.evaluate_many(recs, kind="order", now=NOW))
    assert [fired(r) for r in reps] == [[], ["p.a"], ["p.a", "p.b"]]
    assert [v.message for v in reps[2].violations] == ["a 3", "b 3"]


# ---- effective ranges ----------------------------------------------------------------------------------

EFFECTIVE = """
policy p {
  effective 2025-06-01 .. 2025-07-01
  rule r on order {
    when true
    message "x"
  }
}
"""


@pytest.mark.parametrize("created, inside", [
    ("2025-06-01T00:00:00+08:00", True),
    ("2025-05-31T23:59:59+08:00", False),
    ("2025-05-31T16:00:00+00:00", True),       # == 06-01 00:00 +08:00
    ("2025-05-31T15:59:59+00:00", False),
    ("2025-06-30T23:59:59+08:00", True),
    ("2025-07-01T00:00:00+08:00", False),      # end is exclusive
    ("2025-06-01T00:00:00", True),             # no offset: +08:00
])
def test_effective_range(tmp_path, created, inside):
    rep = engine(tmp_path, EFFECTIVE).evaluate(order(created_at=created), kind="order", now=NOW)
    assert fired(rep) == (["p.r"] if inside else [])
    assert rep.errors == []


def test_effective_open_end(tmp_path):
    eng = engine(tmp_path, EFFECTIVE.replace("2025-06-01 .. 2025-07-01", "2025-06-01 .."))
    assert fired(eng.evaluate(order(created_at="2030-01-01T00:00:00+08:00"), kind="order", now=NOW)) == ["p.r"]
    assert fired(eng.evaluate(order(created_at="2025-05-01T00:00:00+08:00"), kind="order", now=NOW)) == []


# ---- unless, quantifiers --------------------------------------------------------------------------------

def test_unless_exempts(tmp_path):
    text = one_rule("order.total > ¥10", extra="")
    text = text.replace('message "x"', 'unless order.region == "浙江"\n    message "x"')
    eng = engine(tmp_path, text)
    assert fired(eng.evaluate(order(), kind="order", now=NOW)) == []
    assert fired(eng.evaluate(order(region="新疆"), kind="order", now=NOW)) == ["p.r"]


def test_multiple_unless(tmp_path):
    text = one_rule("true").replace('message "x"', 'unless order.total > ¥100\n    unless order.region == "西藏"\n    message "x"')
    eng = engine(tmp_path, text)
    assert fired(eng.evaluate(order(), kind="order", now=NOW)) == ["p.r"]
    assert fired(eng.evaluate(order(total=200), kind="order", now=NOW)) == []
    assert fired(eng.evaluate(order(region="西藏"), kind="order", now=NOW)) == []


@pytest.mark.parametrize("when, items, fires", [
    ("all it in order.items satisfies it.price > ¥100", [], True),
    ("any it in order.items satisfies it.price > ¥0", [], False),
    ("any it in order.items satisfies it.price <= ¥0", [{"sku": "a", "quantity": 1, "price": 5},
                                                         {"sku": "b", "quantity": 1, "price": 0}], True),
    ("all it in order.items satisfies it.quantity > 1", [{"sku": "a", "quantity": 2, "price": 5},
                                                         {"sku": "b", "quantity": 1, "price": 0}], False),
])
def test_quantifiers(tmp_path, when, items, fires):
    rep = ev(tmp_path, when, order(items=items))
    assert rep.errors == [] and fired(rep) == (["p.r"] if fires else [])


def test_list_field_mapping_and_in(tmp_path):
    rep = ev(tmp_path, '"K2" in order.items.sku', order(items=[{"sku": "K1", "quantity": 1, "price": 1},
                                                                 {"sku": "K2", "quantity": 1, "price": 1}]))
    assert fired(rep) == ["p.r"]


# ---- exact decimals and rendering --------------------------------------------------------------------------

def test_money_is_exact(tmp_path):
    assert fired(ev(tmp_path, "¥0.1 + ¥0.2 == ¥0.3")) == ["p.r"]
    assert fired(ev(tmp_path, "0.1 + 0.2 == 0.3")) == ["p.r"]
    assert fired(ev(tmp_path, "order.total == ¥0.3", order(total="0.3"))) == ["p.r"]


@pytest.mark.parametrize("template, expected", [
    ("{order.total}", "¥50.00"),
    ("{¥20}", "¥20.00"),
    ("{¥0 - ¥5}", "-¥5.00"),
    ("{order.total * 0.333}", "¥16.65"),   # 16.65 exactly
    ("{¥0.005 + ¥0}", "¥0.01"),            # half-up when shown
    ("{0.95}", "0.95"),
    ("{order.total / ¥50 * 3}", "3"),
    ("{3.10}", "3.1"),
    ("{42}", "42"),
    ("{2d + 1h}", "2d1h"),
    ("{30m}", "30m"),
    ("{0s}", "0s"),
    ("{2w}", "14d"),
    ("{1h30m}", "1h30m"),
    ("{0s - 90s}", "-1m30s"),
    ("{order.weight}", "1.5kg"),
    ("{order.created_at}", "2025-06-01T10:00:00+08:00"),
    ("{date(order.created_at)}", "2025-06-01"),
    ("{order.claims_free_shipping}", "false"),
    ("{order.region}", "浙江"),
    ("{order.items.sku}", "K1、K2"),
    ("{{literal}}", "{literal}"),
    ("a{order.id}b", "ao1b"),
])
def test_message_rendering(tmp_path, template, expected):
    rec = order(weight=1.5, items=[{"sku": "K1", "quantity": 1, "price": 1}, {"sku": "K2", "quantity": 1, "price": 1}])
    assert msg(tmp_path, template, rec) == expected


def test_empty_list_renders_empty(tmp_path):
    assert msg(tmp_path, "[{order.items.sku}]", order(items=[])) == "[]"


def test_action_args_json(tmp_path):
    eng = engine(tmp_path, """
        policy p {
          rule r on order {
            severity error
            when true
            message "x"
            action set_fee(amount: order.total, n: 3, d: 0.95, wait: 2d1h, skus: order.items.sku,
                           at: order.created_at, s: "r {order.region}")
            action flag
          }
        }
        """)
    rep = as_json(eng.evaluate(order(), kind="order", now=NOW))
    acts = rep["violations"][0]["actions"]
    assert acts[0] == {"name": "set_fee", "args": {"amount": "50.00", "n": 3, "d": 0.95, "wait": 176400,
                                                   "skus": ["K1"], "at": "2025-06-01T10:00:00+08:00",
                                                   "s": "r 浙江"}}
    assert acts[1] == {"name": "flag", "args": {}}
    assert rep["violations"][0]["evidence"] == []


def test_a_record_passed_whole_is_written_by_its_field_types(tmp_path):
    """A record (or a list of them) as an action argument: an object of its present fields, each written as an
    argument of its type is: money a string with two decimals, durations seconds, times ISO 8601, nested records
    and lists the same way, null kept. A duration field once made `lint` fail with a traceback."""
    (tmp_path / "job.rule").write_text("""
        record job time created_at {
          id: string
          created_at: datetime
          wait: duration
          cost: money
          fee: money?
          note: string?
        }
        """, encoding="utf-8")
    write(tmp_path, "p.rule", """
        policy p {
          rule r on order {
            severity error
            when true
            message "x"
            action hold(order: order, items: order.items)
          }
          rule m on order {
            severity info
            let burst = members(order by region within 10m)
            when len(burst) >= 1
            message "y"
            action note(paid: burst.paid_at, ips: burst.ip, items: burst.items)
          }
          rule j on job {
            severity info
            when job.wait > 1h
            message "slow"
            action escalate(job: job)
          }
        }
        """)
    eng = rulekit.load(tmp_path)
    rep = as_json(eng.evaluate(order(), kind="order", now=NOW))
    args = next(v for v in rep["violations"] if v["rule"] == "p.r")["actions"][0]["args"]
    assert args["order"]["total"] == "50.00" and args["order"]["created_at"] == "2025-06-01T10:00:00+08:00"
    assert args["items"] == args["order"]["items"] == [{"sku": "K1", "quantity": 1, "price": "50.00"}]
    assert "paid_at" not in args["order"]  # a missing field is left out, as in model_dump
    # lists of optional fields over members (a missing one is null), lists of lists of records
    note = next(v for v in rep["violations"] if v["rule"] == "p.m")["actions"][0]["args"]
    assert note == {"paid": [None], "ips": ["1.1.1.1"],
                    "items": [[{"sku": "K1", "quantity": 1, "price": "50.00"}]]}
    job = {"id": "j1", "created_at": "2025-06-01T10:00:00+08:00", "wait": 7200, "cost": 12.5, "fee": None}
    rep = as_json(eng.evaluate(job, kind="job", now=NOW))
    assert rep["violations"][0]["actions"][0]["args"] == {
        "job": {"id": "j1", "created_at": "2025-06-01T10:00:00+08:00", "wait": 7200, "cost": "12.50", "fee": None}}


def test_report_json_shape(tmp_path):
    rep = as_json(ev(tmp_path, "order.paid_at > order.created_at"))
    assert rep == {"kind": "order", "id": "o1", "decision": "review", "violations": [],
                   "errors": [{"rule": "p.r", "message": "order.paid_at is missing"}]}


# ---- functions and operators -------------------------------------------------------------------------------

@pytest.mark.parametrize("when, rec", [
    ('len(order.region) == 2', order()),
    ('len("𠀀a😀") == 3', order()),
    ('matches(order.id, re"b\\d")', order(id="xxab12yy")),
    ('not matches(order.id, re"^b")', order(id="ab")),
    ('matches(order.id, re"(?i)FREE\\s+ship")', order(id="get free  shipping")),
    ('lower("ABC") == "abc" and upper("a") == "A" and trim("  a ") == "a"', order()),
    ('starts_with(order.id, "o") and ends_with(order.id, "1") and contains(order.id, "o")', order()),
    ('"a" + "b" == "ab"', order()),
    ('ceil(2.1) == 3 and floor(2.9) == 2 and round(2.345, 2) == 2.35', order()),
    ('min(3, 1, 2) == 1 and max(¥1, ¥3) == ¥3 and abs(0 - 2) == 2', order()),
    ('hours(90m) == 1.5 and minutes(1h) == 60 and days(36h) == 1.5', order()),
    ('order.weight + 500g == 2kg', order(weight=1.5)),
    ('7 % 3 == 1 and 3% == 0.03', order()),
    ('join(order.items.sku, "|") == "K1"', order()),
    ('count(order.items) == 1', order()),
    ('sum(order.items.price) == ¥50', order()),
    ('if order.total > ¥10 then true else false', order()),
    ('this.id == order.id', order()),
    ('order.created_at + 1d > order.created_at', order()),
    ('now - order.created_at > 1d', order()),
])
def test_expressions_true(tmp_path, when, rec):
    rep = ev(tmp_path, when, rec)
    assert rep.errors == [], rep.errors
    assert fired(rep) == ["p.r"]


def test_index_out_of_range_is_missing(tmp_path):
    rep = ev(tmp_path, "order.items[5].price > ¥1")
    assert fired(rep) == [] and [e.rule for e in rep.errors] == ["p.r"]
    assert "missing" in rep.errors[0].message
    assert fired(ev(tmp_path, "order.items[0].price == ¥50")) == ["p.r"]


def test_index_out_of_range_with_coalesce(tmp_path):
    rep = ev(tmp_path, "(order.items[5].price ?? ¥0) == ¥0")
    assert rep.errors == [] and fired(rep) == ["p.r"]


TABLE = """
  table fee(region: string) -> (first: money, free_over: money?) {
    "新疆", "西藏" => (¥20, null)
    "浙江" => (¥8, ¥99)
  }"""


def test_table_lookup(tmp_path):
    rep = ev(tmp_path, "fee(order.region).first == ¥8 and fee(order.region).free_over == ¥99", lets=TABLE)
    assert fired(rep) == ["p.r"] and rep.errors == []
    rep = ev(tmp_path, "fee(order.region).free_over is null", order(region="西藏"), lets=TABLE)
    assert fired(rep) == ["p.r"] and rep.errors == []


def test_table_no_match_without_else_is_missing(tmp_path):
    rep = ev(tmp_path, "fee(order.region).first == ¥8", order(region="上海"), lets=TABLE)
    assert fired(rep) == [] and [e.rule for e in rep.errors] == ["p.r"]
    rep = ev(tmp_path, "fee(order.region) is missing", order(region="上海"), lets=TABLE)
    assert fired(rep) == ["p.r"] and rep.errors == []


def test_table_keys_exact(tmp_path):
    rep = ev(tmp_path, "fee(order.region).first == ¥8", order(region="浙江 "), lets=TABLE)
    assert [e.rule for e in rep.errors] == ["p.r"]


def test_table_null_key_undetermined(tmp_path):
    lets = """
  table by_ip(ip: string) -> money {
    "1.1.1.1" => ¥1
    else => ¥2
  }"""
    rep = ev(tmp_path, "by_ip(order.ip) == ¥2", order(ip=None), lets=lets)
    assert fired(rep) == [] and [e.rule for e in rep.errors] == ["p.r"]
    assert fired(ev(tmp_path, "by_ip(order.ip) == ¥2", order(ip="9.9.9.9"), lets=lets)) == ["p.r"]


def test_table_else_and_single_result(tmp_path):
    lets = """
  table fee(region: string, cat: string) -> money {
    ("新疆", "食品") => ¥30
    else => ¥5
  }"""
    assert fired(ev(tmp_path, "fee(order.region, order.category) == ¥30", order(region="新疆", category="食品"),
                    lets=lets)) == ["p.r"]
    assert fired(ev(tmp_path, "fee(order.region, order.category) == ¥5", order(region="新疆"), lets=lets)) == ["p.r"]


# ---- windows ------------------------------------------------------------------------------------------------

WINDOWS = """
policy w {
  rule burst on order {
    when count(order by ip within 10m) >= 2
    message "{count(order by ip within 10m)}"
  }
  rule buyers on order {
    when distinct(order.buyer_id by ip within 1h) >= 2
    message "{distinct(order.buyer_id by ip within 1h)}"
  }
  rule spend on order {
    when sum(order.total by buyer_id within 1d) > ¥100
    message "{sum(order.total by buyer_id within 1d)}"
  }
}
"""


def at(hms: str, **kw):
    return order(created_at=f"2025-06-01T{hms}+08:00", **kw)


def test_count_window_boundary_excluded(tmp_path):
    eng = engine(tmp_path, WINDOWS)
    reps = list(eng.evaluate_many([at("10:00:00", id="a"), at("10:10:00", id="b"), at("10:19:59", id="c")],
                                  kind="order", now=NOW))
    assert "w.burst" not in fired(reps[1])       # exactly 10m earlier is outside
    burst = [v for v in reps[2].violations if v.rule == "w.burst"]
    assert burst and burst[0].message == "2"


def test_count_window_keys_separate(tmp_path):
    eng = engine(tmp_path, WINDOWS)
    reps = list(eng.evaluate_many([at("10:00:00", ip="A"), at("10:01:00", ip="B"), at("10:02:00", ip="A")],
                                  kind="order", now=NOW))
    assert ["w.burst" in fired(r) for r in reps] == [False, False, True]


def test_distinct_window(tmp_path):
    eng = engine(tmp_path, WINDOWS)
    recs = [at("10:00:00", buyer_id="X"), at("10:01:00", buyer_id="X"), at("10:02:00", buyer_id="Y")]
    reps = list(eng.evaluate_many(recs, kind="order", now=NOW))
    assert ["w.buyers" in fired(r) for r in reps] == [False, False, True]
    assert [v.message for v in reps[2].violations if v.rule == "w.buyers"] == ["2"]


def test_sum_window(tmp_path):
    eng = engine(tmp_path, WINDOWS)
    recs = [at("10:00:00", ip="A", total=60), at("11:00:00", ip="B", total="40.01"), at("12:00:00", ip="C", total=1)]
    reps = list(eng.evaluate_many(recs, kind="order", now=NOW))
    assert ["w.spend" in fired(r) for r in reps] == [False, True, True]
    assert [v.message for v in reps[1].violations if v.rule == "w.spend"] == ["¥100.01"]


def test_window_where_and_this(tmp_path):
    eng = engine(tmp_path, """
        policy w {
          rule cheaper on order {
            when count(order by ip within 1h where order.total < this.total) >= 1
            message "x"
          }
        }
        """)
    recs = [at("10:00:00", total=5), at("10:01:00", total=50), at("10:02:00", total=1)]
    assert [fired(r) for r in eng.evaluate_many(recs, kind="order", now=NOW)] == [[], ["w.cheaper"], []]


def test_window_null_key_undetermined(tmp_path):
    eng = engine(tmp_path, WINDOWS)
    rep = eng.evaluate(at("10:00:00", ip=None), kind="order", now=NOW)
    assert sorted(e.rule for e in rep.errors) == ["w.burst", "w.buyers"]
    assert rep.decision == "review"


def test_window_null_key_names_field(tmp_path):
    eng = engine(tmp_path, WINDOWS)
    rep = eng.evaluate(at("10:00:00", ip=None), kind="order", now=NOW)
    assert all("order.ip is null" in e.message for e in rep.errors), rep.errors


def test_window_null_key_not_counted(tmp_path):
    eng = engine(tmp_path, WINDOWS)
    reps = list(eng.evaluate_many([at("10:00:00", ip=None), at("10:01:00", ip="A"), at("10:02:00", ip="A")],
                                  kind="order", now=NOW))
    assert [v.message for v in reps[2].violations if v.rule == "w.burst"] == ["2"]


def test_late_subject_undetermined(tmp_path):
    eng = engine(tmp_path, WINDOWS)
    reps = list(eng.evaluate_many([at("10:00:00", id="a"), at("09:59:00", id="late")], kind="order", now=NOW))
    errs = reps[1].errors
    assert sorted(e.rule for e in errs) == ["w.burst", "w.buyers", "w.spend"]
    assert all(e.message.startswith("late") for e in errs)
    assert reps[1].decision == "review"


def test_lateness_allows_stragglers_and_they_enter_window(tmp_path):
    eng = engine(tmp_path, WINDOWS, lateness=timedelta(minutes=5))
    recs = [at("10:05:00", id="a"), at("10:01:00", id="b"), at("10:06:00", id="c")]
    reps = list(eng.evaluate_many(recs, kind="order", now=NOW))
    assert reps[1].errors == []
    assert "w.burst" not in fired(reps[1])     # a (10:05) is after b's event time: t <= now_t
    burst = [v.message for v in reps[2].violations if v.rule == "w.burst"]
    assert burst == ["3"]


def test_late_subject_still_enters_window(tmp_path):
    eng = engine(tmp_path, WINDOWS)
    recs = [at("10:05:00", id="a", ip="X"), at("10:01:00", id="b"), at("10:06:00", id="c")]
    reps = list(eng.evaluate_many(recs, kind="order", now=NOW))
    assert [v.message for v in reps[2].violations if v.rule == "w.burst"] == ["2"]


def test_evaluate_has_fresh_window_state(tmp_path):
    eng = engine(tmp_path, WINDOWS)
    for _ in range(3):
        rep = eng.evaluate(at("10:00:00"), kind="order", now=NOW)
        assert "w.burst" not in fired(rep) and rep.errors == []


def test_stream_push(tmp_path):
    eng = engine(tmp_path, WINDOWS)
    s = eng.stream(now=NOW)
    assert "w.burst" not in fired(s.push(at("10:00:00"), kind="order"))
    assert "w.burst" in fired(s.push(at("10:01:00"), kind="order"))


# ---- inputs ----------------------------------------------------------------------------------------------

def test_invalid_record_reports_and_stream_goes_on(tmp_path):
    eng = engine(tmp_path, WINDOWS)
    recs = [at("10:00:00", id="a"), at("10:01:00", id="bad", total="abc"), at("10:02:00", id="c")]
    reps = list(eng.evaluate_many(recs, kind="order", now=NOW))
    assert len(reps) == 3
    bad = reps[1]
    assert bad.violations == [] and len(bad.errors) == 1
    assert bad.errors[0].rule is None and "total" in bad.errors[0].message
    assert bad.decision == "review" and bad.id == "bad"
    # the invalid record never entered the window
    assert [v.message for v in reps[2].violations if v.rule == "w.burst"] == ["2"]


@pytest.mark.parametrize("change, field", [
    ({"created_at": ...}, "created_at"),
    ({"total": "abc"}, "total"),
    ({"items": "nope"}, "items"),
    ({"claims_free_shipping": "maybe"}, "claims_free_shipping"),
    ({"created_at": "yesterday"}, "created_at"),
])
def test_invalid_record_names_field(tmp_path, change, field):
    rep = ev(tmp_path, "true", order(**change))
    assert rep.violations == [] and [e.rule for e in rep.errors] == [None]
    assert field in rep.errors[0].message


def test_pydantic_model_same_as_dict(tmp_path):
    eng = engine(tmp_path, WINDOWS.replace("policy w {", 'policy w {\n  rule paid on order {\n    when order.paid_at > order.created_at\n    message "{order.total}"\n  }'))
    d = order(paid_at="2025-06-01T11:00:00")
    model = eng.record_model("order").model_validate(d)
    a = report_json(eng.evaluate(d, kind="order", now=NOW))
    b = report_json(eng.evaluate(model, kind="order", now=NOW))
    assert a == b
    assert "w.paid" in a


def test_pydantic_model_kind_inferred_like_dict(tmp_path):
    eng = engine(tmp_path, one_rule("true"))
    d = order()
    model = eng.record_model("order").model_validate(d)
    assert report_json(eng.evaluate(d, now=NOW)) == report_json(eng.evaluate(model, now=NOW))


def test_kind_field_in_record(tmp_path):
    eng = engine(tmp_path, one_rule("true"))
    rep = eng.evaluate({**order(), "kind": "order"}, now=NOW)
    assert rep.kind == "order" and fired(rep) == ["p.r"]


def test_datetime_without_offset_is_plus8(tmp_path):
    rep = ev(tmp_path, "order.created_at == 2025-06-01T10:00:00+08:00", order(created_at="2025-06-01T10:00:00"))
    assert fired(rep) == ["p.r"]
    rep = ev(tmp_path, "order.created_at == 2025-06-01T02:00:00+00:00", order(created_at="2025-06-01T10:00:00"))
    assert fired(rep) == ["p.r"]


def test_now_is_callers_time(tmp_path):
    eng = engine(tmp_path, one_rule("now - order.created_at > 1d"))
    assert fired(eng.evaluate(order(), kind="order", now=datetime(2025, 6, 1, 12, tzinfo=CST))) == []
    assert fired(eng.evaluate(order(), kind="order", now=datetime(2025, 6, 3, tzinfo=UTC))) == ["p.r"]


def test_determinism(tmp_path):
    text = WINDOWS + EFFECTIVE.replace("policy p", "policy q")
    recs = [at("10:00:00", id="a"), at("10:01:00", id="b", ip=None), at("09:00:00", id="c"),
            at("10:02:00", id="d", total="abc"), at("10:03:00", id="e", total=200)]
    out = []
    for _ in range(2):
        eng = engine(tmp_path, text)
        out.append([report_json(r) for r in eng.evaluate_many(recs, kind="order", now=NOW)])
    assert out[0] == out[1]
    assert len(out[0]) == 5


def test_user_record_type(tmp_path):
    eng = engine(tmp_path, """
        record refund time requested_at {
          id: string
          order_id: string
          requested_at: datetime
          amount: money
          note: string?
        }
        policy r {
          rule big on refund {
            severity error
            when refund.amount > ¥100 and (refund.note ?? "") == ""
            message "{refund.order_id} {refund.amount}"
          }
        }
        """)
    rep = eng.evaluate({"id": "R1", "order_id": "o1", "requested_at": "2025-06-01T10:00:00", "amount": 150},
                       kind="refund", now=NOW)
    assert rep.decision == "block" and rep.violations[0].message == "o1 ¥150.00"


def test_decimal_values_exact_in_message(tmp_path):
    assert Decimal("0.3") == Decimal("0.1") + Decimal("0.2")
    assert msg(tmp_path, "{order.total / ¥3}", order(total=1)) == "0.3333333333333333333333333333"


# ---- more edge cases ---------------------------------------------------------------------------------------

SHOP = {"id": "s", "name": "n", "main_category": "c", "enterprise_verified": True, "showcase_enabled": True,
        "return_days": 7, "as_of": "2025-06-01T00:00:00"}


def test_nested_null_path_in_error(tmp_path):
    eng = engine(tmp_path, one_rule("shop.metrics.gmv > ¥1", on="shop"))
    rep = eng.evaluate({**SHOP, "metrics": None}, kind="shop", now=NOW)
    assert [(e.rule, e.message) for e in rep.errors] == [("p.r", "shop.metrics is null")]
    rep = eng.evaluate({**SHOP, "metrics": {}}, kind="shop", now=NOW)
    assert [(e.rule, e.message) for e in rep.errors] == [("p.r", "shop.metrics.gmv is missing")]
    rep = eng.evaluate({**SHOP, "metrics": {"gmv": 5}}, kind="shop", now=NOW)
    assert fired(rep) == ["p.r"] and rep.errors == []


def test_subjects_outside_effective_still_enter_windows(tmp_path):
    eng = engine(tmp_path, """
        policy x {
          effective 2025-06-02 ..
          rule a on order {
            when count(order by buyer_id within 1h) >= 2
            message "{count(order by buyer_id within 1h)}"
          }
        }
        """)
    recs = [order(id="a", created_at="2025-06-01T23:58:00"), order(id="b", created_at="2025-06-02T00:01:00")]
    reps = list(eng.evaluate_many(recs, kind="order", now=NOW))
    assert reps[0].violations == [] and reps[0].errors == []
    assert [v.message for v in reps[1].violations] == ["2"]


def test_sum_over_empty_window_is_zero_and_money_rounds_half_up(tmp_path):
    eng = engine(tmp_path, """
        policy x {
          rule a on order {
            when true
            message "{sum(order.total by ip within 1h where order.total > ¥1000)} {¥0 - ¥0.005}"
            action f(m: ¥0.005, neg: ¥0 - ¥0.005, z: sum(order.total by ip within 1h where order.total > ¥1000),
                     c: count(order by ip within 1h where order.total > ¥1000))
          }
        }
        """)
    rep = as_json(eng.evaluate(order(), kind="order", now=NOW))
    v = rep["violations"][0]
    assert v["message"] == "¥0.00 -¥0.01"
    assert v["actions"][0]["args"] == {"m": "0.01", "neg": "-0.01", "z": "0.00", "c": 0}


def test_straggler_within_lateness_sees_older_subjects(tmp_path):
    eng = engine(tmp_path, """
        policy l {
          let n = count(order by buyer_id within 10m)
          rule b on order {
            when n >= 2
            message "{n}"
          }
        }
        """, lateness=timedelta(minutes=5))
    recs = [order(id="x", created_at="2025-06-01T10:07:00"), order(id="y", created_at="2025-06-01T10:20:00"),
            order(id="z", created_at="2025-06-01T10:16:00")]
    reps = list(eng.evaluate_many(recs, kind="order", now=NOW))
    assert [v.message for v in reps[2].violations] == ["2"] and reps[2].errors == []


def test_policy_let_on_subject_field(tmp_path):
    eng = engine(tmp_path, """
        policy l {
          let big = order.total > ¥100
          rule a on order {
            when big
            message "big"
          }
          rule b on order {
            when not big
            message "small"
          }
        }
        """)
    assert fired(eng.evaluate(order(total=500), kind="order", now=NOW)) == ["l.a"]
    assert fired(eng.evaluate(order(total=5), kind="order", now=NOW)) == ["l.b"]


def test_contextual_keywords_escapes_and_percent(tmp_path):
    eng = engine(tmp_path, r"""
        policy k {
          let words = ["a", "b"]
          let version = 7 % 3
          rule r on order {
            when order.id in words or version == 1
            message "中\u{4E2D} {{x}} {len(words)}"
            action f(words: words, match: 5%)
          }
          rule s on order {
            when matches(order.id, re"\d+\.\"")
            message "q"
          }
        }
        """)
    rep = as_json(eng.evaluate(order(id='12."'), kind="order", now=NOW))
    assert [v["rule"] for v in rep["violations"]] == ["k.r", "k.s"]
    assert rep["violations"][0]["message"] == "中中 {x} 2"
    assert rep["violations"][0]["actions"][0]["args"] == {"words": ["a", "b"], "match": 0.05}


def test_unknown_kind_report(tmp_path):
    eng = engine(tmp_path, one_rule("true"))
    rep = eng.evaluate({"id": "s"}, kind="nope", now=NOW)
    assert rep.violations == [] and [e.rule for e in rep.errors] == [None] and "nope" in rep.errors[0].message
