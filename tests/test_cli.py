"""The command line (LANGUAGE §8): `python -m rulekit check|test|lint|explain|schema` in a subprocess."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.helpers import REPO, jsonl, order, run_cli, write

NOW = "2025-06-02T00:00:00+08:00"

POLICY = """
policy p {
  rule big on order {
    severity error
    when order.total > ¥100
    message "big {order.total}"
  }
  rule slow on order {
    when order.paid_at - order.created_at > 1h
    message "slow {order.paid_at - order.created_at}"
  }
  rule hint on order {
    severity info
    when order.region == "西藏"
    message "hint"
  }
}
"""

ORDER_JSON = ('{"id": "o1", "shop_id": "S1", "buyer_id": "B1", "region": "新疆", "category": "c", "items": [], '
              '"total": %s, "shipping_fee": 0, "claims_free_shipping": false, "weight": 1, '
              '"created_at": "2025-06-01T10:00:00", "paid_at": null, "status": "paid"}')


@pytest.fixture
def pol(tmp_path):
    return write(tmp_path, "pol/p.rule", POLICY)


def lint(pol, *args, input=None):
    return run_cli("lint", "-p", pol, "--subject", "order", "--now", NOW, *args, input=input)


def lines_json(out: str) -> list[dict]:
    return [json.loads(ln) for ln in out.splitlines() if ln.strip()]


# ---- check ----------------------------------------------------------------------------------------------

def test_check_exit_codes(tmp_path, pol):
    assert run_cli("check", pol).returncode == 0
    bad = write(tmp_path, "bad.rule", POLICY.replace("order.total >", "order.totl >"))
    r = run_cli("check", bad)
    assert r.returncode == 1
    assert "E003" in r.stdout + r.stderr and "bad.rule:4:" in r.stdout + r.stderr


def test_check_syntax_error_exit_1(tmp_path):
    bad = write(tmp_path, "bad.rule", "policy p {\n  rule r on order {\n    when (\n")
    r = run_cli("check", bad)
    assert r.returncode == 1 and "E001" in r.stdout + r.stderr


def test_check_directory(tmp_path, pol):
    assert run_cli("check", pol.parent).returncode == 0


# ---- test -----------------------------------------------------------------------------------------------

TESTS = POLICY + """
test "big fires" {
  given order %s
  expect violation p.big
  expect decision block
}
""" % (ORDER_JSON % 500)


def test_test_command_all_pass(tmp_path):
    p = write(tmp_path, "t.rule", TESTS)
    r = run_cli("test", p)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().splitlines()[-1] == "1 passed, 0 failed"


def test_test_command_failure(tmp_path):
    p = write(tmp_path, "t.rule", TESTS + """
test "wrong expectation" {
  given order %s
  expect violation p.big
  expect decision block
}
""" % (ORDER_JSON % 5))
    r = run_cli("test", p)
    assert r.returncode == 1
    assert r.stdout.strip().splitlines()[-1] == "1 passed, 1 failed"
    out = r.stdout
    assert "wrong expectation" in out
    assert "expected decision block, got review" in out      # expected vs actual decision
    assert "p.big" in out


def test_test_stream_and_at(tmp_path):
    p = write(tmp_path, "t.rule", """
policy w {
  rule burst on order {
    when count(order by buyer_id within 10m) >= 2
    message "x"
  }
  rule old on order {
    when now - order.created_at > 1d
    message "old"
  }
}
test "stream" {
  at 2025-06-01T12:00:00+08:00
  given order [FIRST, SECOND]
  expect violation w.burst
  expect no violation w.old
  expect decision review
}
""".replace("FIRST", ORDER_JSON % 1).replace(
        "SECOND", (ORDER_JSON % 2).replace('"o1"', '"o2"').replace("10:00:00", "10:05:00")))
    r = run_cli("test", p)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().splitlines()[-1] == "1 passed, 0 failed"


def test_test_needs_at_when_reading_now(tmp_path):
    p = write(tmp_path, "t.rule", """
policy w {
  rule old on order {
    when now - order.created_at > 1d
    message "old"
  }
}
test "no at" {
  given order %s
  expect no violation w.old
}
""" % (ORDER_JSON % 1))
    r = run_cli("test", p)
    assert r.returncode == 1
    assert "at" in r.stdout and r.stdout.strip().splitlines()[-1] == "0 passed, 1 failed"


# ---- lint: formats ------------------------------------------------------------------------------------------

RECS = [order(id="a"), order(id="b", total=500), order(id="c", paid_at="2025-06-01T12:00:00")]


def test_lint_jsonl_stdout_is_only_reports(tmp_path, pol):
    f = write(tmp_path, "in.jsonl", jsonl(RECS))
    r = lint(pol, "--format", "jsonl", f)
    reps = lines_json(r.stdout)
    assert [x["id"] for x in reps] == ["a", "b", "c"]
    assert [x["decision"] for x in reps] == ["review", "block", "review"]
    assert reps[0]["errors"] == [{"rule": "p.slow", "message": "order.paid_at is missing"}]
    assert reps[1]["violations"][0] == {"rule": "p.big", "policy": "p", "severity": "error",
                                        "message": "big ¥500.00", "actions": [], "evidence": []}
    assert reps[2]["violations"][0]["message"] == "slow 2h"
    assert r.returncode == 1


def test_lint_unreadable_jsonl_line(tmp_path, pol):
    text = jsonl(RECS[:1]) + "{not json\n" + jsonl(RECS[1:])
    f = write(tmp_path, "in.jsonl", text)
    reps = lines_json(lint(pol, "--format", "jsonl", f).stdout)
    assert [x["id"] for x in reps] == ["a", None, "b", "c"]
    bad = reps[1]
    assert bad["violations"] == [] and len(bad["errors"]) == 1
    assert bad["errors"][0]["rule"] is None and "2" in bad["errors"][0]["message"]
    assert bad["decision"] == "review"


def test_lint_json_array(tmp_path, pol):
    f = write(tmp_path, "in.json", json.dumps(RECS))
    r = lint(pol, "--format", "json", f)
    reps = json.loads(r.stdout)
    assert [x["id"] for x in reps] == ["a", "b", "c"]


def test_lint_json_object(tmp_path, pol):
    f = write(tmp_path, "in.json", json.dumps(RECS[1]))
    reps = lines_json(lint(pol, "--format", "jsonl", f).stdout)
    assert [x["id"] for x in reps] == ["b"] and reps[0]["decision"] == "block"


def test_lint_kind_from_record(tmp_path, pol):
    f = write(tmp_path, "in.jsonl", jsonl([{**RECS[1], "kind": "order"}]))
    r = run_cli("lint", "-p", pol, "--now", NOW, "--format", "jsonl", f)
    assert [x["decision"] for x in lines_json(r.stdout)] == ["block"]


def test_lint_csv(tmp_path, pol):
    fields = ["id", "shop_id", "buyer_id", "ip", "region", "category", "total", "shipping_fee",
              "claims_free_shipping", "weight", "created_at", "paid_at", "status"]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(fields)
    w.writerow(["a", "S1", "B1", "", "新疆", "c", "500", "0", "false", "1", "2025-06-01T10:00:00", "", "paid"])
    w.writerow(["b", "S1", "", "", "西藏", "c", "5", "0", "true", "1.5", "2025-06-01T10:00:00",
                "2025-06-01T13:00:00", "paid"])
    write(tmp_path, "o.rule", """
record c_order time created_at {
  id: string
  shop_id: string
  buyer_id: string
  ip: string?
  region: string
  category: string
  total: money
  shipping_fee: money
  claims_free_shipping: bool
  weight: weight
  created_at: datetime
  paid_at: datetime?
  status: string
}
policy c {
  rule paid on c_order {
    when order_paid(c_order.paid_at)
    message "paid"
  }
  rule nulls on c_order {
    let shown_ip = c_order.ip ?? "none"
    when c_order.paid_at is null and c_order.ip is null
    message "ip {shown_ip}"
  }
  rule empty_buyer on c_order {
    when c_order.buyer_id == ""
    message "empty buyer"
  }
  rule big on c_order {
    severity error
    when c_order.total > ¥100 and c_order.weight == 1kg
    message "big"
  }
}
""".replace("when order_paid(c_order.paid_at)", "when c_order.paid_at is not null"))
    f = tmp_path / "in.csv"
    f.write_text(buf.getvalue(), encoding="utf-8")
    r = run_cli("lint", "-p", tmp_path / "o.rule", "--subject", "c_order", "--now", NOW, "--format", "jsonl", f)
    reps = lines_json(r.stdout)
    assert [x["id"] for x in reps] == ["a", "b"], r.stdout + r.stderr
    assert [v["rule"] for v in reps[0]["violations"]] == ["c.big", "c.nulls"]
    assert reps[0]["errors"] == []
    assert [v["rule"] for v in reps[1]["violations"]] == ["c.empty_buyer", "c.paid"]
    assert reps[1]["errors"] == []


def test_lint_stdin_jsonl_and_array(pol):
    r = lint(pol, "--format", "jsonl", "-", input=jsonl(RECS))
    assert [x["id"] for x in lines_json(r.stdout)] == ["a", "b", "c"]
    r = lint(pol, "--format", "jsonl", "-", input="  \n" + json.dumps(RECS))
    assert [x["id"] for x in lines_json(r.stdout)] == ["a", "b", "c"]


def test_lint_sarif(tmp_path, pol):
    f = write(tmp_path, "in.jsonl", jsonl(RECS))
    r = lint(pol, "--format", "sarif", f)
    doc = json.loads(r.stdout)
    assert doc["version"] == "2.1.0"
    results = doc["runs"][0]["results"]
    assert any(x["ruleId"] == "p.big" and x["level"] == "error" for x in results)


def test_lint_github(tmp_path, pol):
    f = write(tmp_path, "in.jsonl", jsonl(RECS))
    out = lint(pol, "--format", "github", f).stdout
    assert any(ln.startswith("::error ") and "p.big" in ln for ln in out.splitlines())


def test_lint_text(tmp_path, pol):
    f = write(tmp_path, "in.jsonl", jsonl(RECS))
    r = lint(pol, "--format", "text", f)
    assert "p.big" in r.stdout and "big ¥500.00" in r.stdout
    assert r.returncode == 1


def test_lint_two_files_one_stream(tmp_path):
    pol = write(tmp_path, "w.rule", """
policy w {
  rule burst on order {
    when count(order by buyer_id within 10m) >= 2
    message "burst"
  }
}
""")
    f1 = write(tmp_path, "a.jsonl", jsonl([order(id="a")]))
    f2 = write(tmp_path, "b.jsonl", jsonl([order(id="b", created_at="2025-06-01T10:01:00+08:00")]))
    reps = lines_json(lint(pol, "--format", "jsonl", f1, f2).stdout)
    assert [[v["rule"] for v in x["violations"]] for x in reps] == [[], ["w.burst"]]


# ---- lint: exit codes ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("recs, fail_on, code", [
    ([order(id="b", total=500, paid_at=None)], "error", 1),
    ([order(id="b", total=500, paid_at=None)], "never", 0),
    ([order(id="c", paid_at="2025-06-01T12:00:00")], "error", 0),
    ([order(id="c", paid_at="2025-06-01T12:00:00")], "warning", 1),
    ([order(id="a")], "error", 0),                         # undetermined counts as a warning
    ([order(id="a")], "warning", 1),
    ([order(id="d", paid_at="2025-06-01T10:00:00", region="西藏")], "warning", 0),   # info only
    ([order(id="x", total="abc")], "error", 1),             # invalid input counts as an error
])
def test_lint_fail_on(tmp_path, pol, recs, fail_on, code):
    f = write(tmp_path, "in.jsonl", jsonl(recs))
    r = lint(pol, "--fail-on", fail_on, "--format", "jsonl", f)
    assert r.returncode == code, r.stdout + r.stderr


def test_lint_unreadable_line_is_error_for_fail_on(tmp_path, pol):
    f = write(tmp_path, "in.jsonl", "{oops\n")
    assert lint(pol, "--format", "jsonl", f).returncode == 1
    assert lint(pol, "--format", "jsonl", "--fail-on", "never", f).returncode == 0


def test_lint_bad_policy_exit_2(tmp_path):
    bad = write(tmp_path, "bad.rule", POLICY.replace("order.total >", "order.totl >"))
    f = write(tmp_path, "in.jsonl", jsonl(RECS))
    r = lint(bad, "--format", "jsonl", f)
    assert r.returncode == 2
    assert r.stdout.strip() == ""


def test_lint_unknown_subject_exit_2(tmp_path, pol):
    f = write(tmp_path, "in.jsonl", jsonl(RECS))
    r = run_cli("lint", "-p", pol, "--subject", "ordr", "--now", NOW, f)
    assert r.returncode == 2
    assert "ordr" in r.stderr


def test_lint_warnings_in_policy_do_not_change_exit(tmp_path):
    pol = write(tmp_path, "w.rule", """
policy w {
  rule never on order {
    when false
    message "x"
  }
}
""")
    f = write(tmp_path, "in.jsonl", jsonl([order()]))
    r = lint(pol, "--format", "jsonl", f)
    assert r.returncode == 0, r.stdout + r.stderr
    assert lines_json(r.stdout)[0]["decision"] == "allow"


def test_lint_lateness_option(tmp_path):
    pol = write(tmp_path, "w.rule", """
policy w {
  rule burst on order {
    when count(order by buyer_id within 10m) >= 2
    message "burst"
  }
}
""")
    recs = [order(id="a", created_at="2025-06-01T10:05:00+08:00"), order(id="b", created_at="2025-06-01T10:01:00+08:00")]
    f = write(tmp_path, "in.jsonl", jsonl(recs))
    reps = lines_json(lint(pol, "--format", "jsonl", f).stdout)
    assert reps[1]["errors"] and reps[1]["errors"][0]["message"].startswith("late")
    reps = lines_json(lint(pol, "--format", "jsonl", "--lateness", "5m", f).stdout)
    assert reps[1]["errors"] == []


# ---- explain, schema, bundled policies ---------------------------------------------------------------------------

def test_explain(tmp_path, pol):
    f = write(tmp_path, "in.jsonl", jsonl([order(id="a", region="西藏", total=500)]))
    r = run_cli("explain", "-p", pol, "--subject", "order", "--now", NOW, f)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    lines = out.splitlines()

    def line_of(rule_id):
        return next(ln for ln in lines if ln.startswith(rule_id))

    assert line_of("p.big").startswith("p.big: FIRED [")
    assert line_of("p.slow").startswith("p.slow: UNDETERMINED: ")
    assert line_of("p.hint").startswith("p.hint: FIRED [")
    assert "¥500.00" in out                               # a sub-expression's value
    assert "order.paid_at" in out and "missing" in out


def test_explain_not_fired_and_not_in_effect(tmp_path):
    pol = write(tmp_path, "e.rule", """
policy a {
  rule small on order {
    when order.total < ¥1
    message "x"
  }
}
policy b {
  effective 2030-01-01 ..
  rule future on order {
    when true
    message "x"
  }
}
""")
    f = write(tmp_path, "in.json", json.dumps(order()))
    r = run_cli("explain", "-p", pol, "--subject", "order", "--now", NOW, f)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "not fired" in next(ln for ln in lines if ln.startswith("a.small")).lower()
    assert "not in effect" in next(ln for ln in lines if ln.startswith("b.future")).lower()
    assert "¥50.00" in r.stdout


def test_schema_order():
    r = run_cli("schema", "order")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["type"] == "object"
    assert "created_at" in doc["required"] and "id" in doc["required"]
    assert "paid_at" not in doc["required"]
    assert "total" in doc["properties"]


def test_lint_bundled_policies(tmp_path):
    assert list((REPO / "policies").rglob("*.rule")), "the bundled policies are missing"
    f = write(tmp_path, "in.jsonl", jsonl([order()]))
    r = run_cli("lint", "--subject", "order", "--now", NOW, "--format", "jsonl", "--fail-on", "never", f)
    assert r.returncode == 0, r.stderr
    reps = lines_json(r.stdout)
    assert len(reps) == 1 and reps[0]["id"] == "o1"
    assert reps[0]["decision"] in {"allow", "review", "block"}


def test_csv_cannot_carry_list_fields(tmp_path):
    """Record types with required lists or nested records need JSON; CSV rows say so, one report each."""
    (tmp_path / "p.rule").write_text('policy p {\n  rule r on order {\n    when order.total > ¥0\n'
                                     '    message "x"\n  }\n}\n', encoding="utf-8")
    (tmp_path / "o.csv").write_text("id,shop_id,buyer_id,region,category,total,shipping_fee,claims_free_shipping,"
                                    "weight,created_at,status\no1,S1,B1,浙江,服饰,10,0,false,1,2025-06-01T10:00:00,"
                                    "paid\no2,S1,B1,浙江,服饰,10,0,false,1,2025-06-01T10:00:00,paid\n",
                                    encoding="utf-8")
    proc = run_cli("lint", "-p", tmp_path / "p.rule", "--subject", "order", "--format", "jsonl", tmp_path / "o.csv")
    reports = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [r["id"] for r in reports] == ["o1", "o2"]
    assert all("cannot come from CSV: `items` is a list" in r["errors"][0]["message"] for r in reports)
    assert proc.returncode == 1
