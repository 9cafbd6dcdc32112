"""Tests for rulekit.io.formats: the JSON, JSON lines, text, SARIF and GitHub outputs of `rulekit lint`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from rulekit.io import (
    FORMATS,
    InputRecord,
    Summary,
    located,
    report_json,
    write_github,
    write_json,
    write_jsonl,
    write_reports,
    write_sarif,
    write_text,
)
from rulekit.runtime.report import Action, EvalError, Evidence, Report, RuleDescriptor, Violation

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SARIF_SCHEMA = SHARED / "data" / "sarif" / "sarif-schema-2.1.0.json"

EXTREME = Violation(
    rule="ad_law.extreme_words", policy="ad_law", severity="error",
    message="标题含广告法禁用词：最便宜",
    actions=[Action(name="remove_words", args={"words": ["最便宜"]})],
    evidence=[Evidence(field="listing.title", word="最便宜", text="最便宜", start=4, end=7,
                       category="极限用语", replacement="实惠")],
)
FREIGHT = Violation(
    rule="freight.remote_free_shipping", policy="freight", severity="warning",
    message="偏远地区（新疆）不包邮，应收运费¥20.00",
    actions=[Action(name="set_shipping_fee", args={"fee": "20.00", "region": "新疆"})],
)
REVIEW_HINT = Violation(rule="review.short_text", policy="review", severity="info", message="评价过短：好")

BLOCKED = Report(kind="listing", id="L-1001", decision="block", violations=[EXTREME])
ORDER = Report(kind="order", id="o1", decision="review", violations=[FREIGHT],
               errors=[EvalError(rule="sla.ship_48h", message="order.paid_at is null")])
ALLOWED = Report(kind="listing", id="L-1002", decision="allow")
HINTED = Report(kind="review", id="R-7", decision="allow", violations=[REVIEW_HINT])
INVALID = Report(kind=None, id=None, decision="review",
                 errors=[EvalError(rule=None, message="not valid JSON: expected a value (column 1)")])

def _rule(rule_id: str, title: str | None, severity: str, message: str = "", file: str = "", line: int = 0
          ) -> RuleDescriptor:
    policy, _, name = rule_id.partition(".")
    return RuleDescriptor(rule_id, policy, name, title, "", severity, file, line, message)


RULES = [
    _rule("ad_law.extreme_words", "广告法极限词", "error", "标题含广告法禁用词：{words}", "policies/ad_law.rule", 12),
    _rule("freight.remote_free_shipping", "偏远地区包邮", "warning", "", "policies/freight.rule", 30),
    _rule("sla.ship_48h", "48小时发货", "warning"),
    _rule("review.short_text", None, "info"),
]
TITLES = {r.id: r.title for r in RULES if r.title}


def pairs() -> list[tuple[InputRecord, Report]]:
    return [
        (InputRecord("data/上架 listings.jsonl", 1, {"id": "L-1001"}, None, "json"), BLOCKED),
        (InputRecord("data/上架 listings.jsonl", 2, {"id": "L-1002"}, None, "json"), ALLOWED),
        (InputRecord("orders.json", 3, {"id": "o1"}, None, "json"), ORDER),
        (InputRecord("<stdin>", 4, None, "not valid JSON: expected a value (column 1)", "json"), INVALID),
        (InputRecord("reviews.csv", 2, {"id": "R-7"}, None, "csv"), HINTED),
    ]


# --- JSON and JSON lines ---------------------------------------------------------------------

EXPECTED_ORDER_JSON = (
    '{"kind":"order","id":"o1","decision":"review","violations":[{"rule":"freight.remote_free_shipping",'
    '"policy":"freight","severity":"warning","message":"偏远地区（新疆）不包邮，应收运费¥20.00",'
    '"actions":[{"name":"set_shipping_fee","args":{"fee":"20.00","region":"新疆"}}],"evidence":[]}],'
    '"errors":[{"rule":"sla.ship_48h","message":"order.paid_at is null"}]}'
)


def test_report_json_exact() -> None:
    assert report_json(ORDER) == EXPECTED_ORDER_JSON


def test_report_json_key_order_and_evidence_fields() -> None:
    data = json.loads(report_json(BLOCKED))
    assert list(data) == ["kind", "id", "decision", "violations", "errors"]
    assert list(data["violations"][0]) == ["rule", "policy", "severity", "message", "actions", "evidence"]
    assert data["violations"][0]["evidence"] == [{"field": "listing.title", "word": "最便宜", "text": "最便宜",
                                                  "start": 4, "end": 7, "category": "极限用语", "replacement": "实惠"}]
    invalid = json.loads(report_json(INVALID))
    assert invalid == {"kind": None, "id": None, "decision": "review", "violations": [],
                       "errors": [{"rule": None, "message": "not valid JSON: expected a value (column 1)"}]}


def test_write_jsonl_exact_bytes() -> None:
    out = io.StringIO()
    summary = write_jsonl([(InputRecord("orders.jsonl", 1, {}, None, "json"), ORDER)], out)
    assert out.getvalue().encode("utf-8") == (EXPECTED_ORDER_JSON + "\n").encode("utf-8")
    assert "\\u" not in out.getvalue()
    assert summary.records == 1


def test_write_jsonl_one_line_per_report_in_order() -> None:
    out = io.StringIO()
    write_jsonl(pairs(), out)
    lines = out.getvalue().split("\n")
    assert lines[-1] == ""
    assert [json.loads(line)["id"] for line in lines[:-1]] == ["L-1001", "L-1002", "o1", None, "R-7"]


def test_write_json_pretty_array() -> None:
    out = io.StringIO()
    write_json(pairs(), out)
    text = out.getvalue()
    assert text.startswith("[\n  {\n    \"kind\": \"listing\",")
    assert "广告法禁用词" in text
    assert json.loads(text) == [json.loads(report_json(located(rec, r))) for rec, r in pairs()]
    # the input error carries its location once: JSON has no other place for it
    assert json.loads(text)[3]["errors"][0]["message"] == "<stdin>:4: not valid JSON: expected a value (column 1)"
    empty = io.StringIO()
    write_json([], empty)
    assert json.loads(empty.getvalue()) == []


# --- text ------------------------------------------------------------------------------------


def test_text_groups_by_record_and_summarises_without_ansi() -> None:
    out = io.StringIO()
    summary = write_text(pairs(), out, color=False, rule_titles=TITLES)
    text = out.getvalue()
    assert "\x1b" not in text
    lines = text.splitlines()
    assert "listing L-1001  block  data/上架 listings.jsonl:1" in lines
    assert "  error   ad_law.extreme_words (广告法极限词)  标题含广告法禁用词：最便宜" in lines
    assert '          → remove_words(words=["最便宜"])' in lines
    assert '          listing.title[4:7] "最便宜" → "实惠"  (极限用语)' in lines
    assert "order o1  review  orders.json:3" in lines
    assert '          → set_shipping_fee(fee="20.00", region="新疆")' in lines
    assert "  undetermined sla.ship_48h  order.paid_at is null" in lines
    assert "? (no id)  review  <stdin>:4" in lines
    assert "  invalid input  not valid JSON: expected a value (column 1)" in lines
    assert "review R-7  allow  reviews.csv:2" in lines  # allowed, but with an info finding
    assert "L-1002" not in text  # allowed with no findings: only counted
    assert "1 record allowed with no findings" in text
    # by default: the rules that fired, most often first, ids whole
    assert "     1× ad_law.extreme_words (广告法极限词)" in lines and "     1× review.short_text" in lines
    assert not any(line.strip().startswith("sla.ship_48h") for line in lines)  # only undetermined: not listed
    assert lines[-1] == "5 records: 1 block, 2 review, 2 allow; 1 invalid input"
    assert summary.records == 5 and summary.invalid == 1


def test_text_statistics_table_and_quiet() -> None:
    out = io.StringIO()
    write_text(pairs(), out, color=False, rule_titles=TITLES, statistics=True)
    lines = out.getvalue().splitlines()
    rows = {line.split()[0]: line.split() for line in lines if line.strip().startswith(("ad_law.", "freight.", "sla.", "review."))}
    assert rows["ad_law.extreme_words"] == ["ad_law.extreme_words", "广告法极限词", "error", "1", "0"]
    assert rows["freight.remote_free_shipping"] == ["freight.remote_free_shipping", "偏远地区包邮", "warning", "1", "0"]
    assert rows["sla.ship_48h"] == ["sla.ship_48h", "48小时发货", "0", "1"]
    assert rows["review.short_text"] == ["review.short_text", "info", "1", "0"]
    out = io.StringIO()
    write_text(pairs(), out, color=False, rule_titles=TITLES, quiet=True)
    assert out.getvalue().strip().splitlines() == ["5 records: 1 block, 2 review, 2 allow; 1 invalid input"]


def test_text_verbose_lists_allowed_records() -> None:
    out = io.StringIO()
    write_text(pairs(), out, color=False, rule_titles=TITLES, verbose=True)
    assert "listing L-1002  allow  data/上架 listings.jsonl:2" in out.getvalue().splitlines()
    assert "allowed with no findings" not in out.getvalue()


def test_text_colour_uses_ansi_codes() -> None:
    out = io.StringIO()
    write_text(pairs(), out, color=True, rule_titles=TITLES)
    assert "\x1b[" in out.getvalue()


def test_text_no_ansi_even_with_force_color_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    out = io.StringIO()
    write_text(pairs(), out, color=False, rule_titles=TITLES)
    assert "\x1b" not in out.getvalue()


def test_text_does_not_interpret_markup_in_user_text() -> None:
    report = Report(kind="listing", id="[bold]L-9[/bold]", decision="review",
                    violations=[Violation(rule="p.r", policy="p", severity="warning", message="标题含[red]方括号[/red]")])
    out = io.StringIO()
    write_text([(InputRecord("a.jsonl", 1, {}, None, "json"), report)], out, color=False, rule_titles={})
    assert "[bold]L-9[/bold]" in out.getvalue() and "标题含[red]方括号[/red]" in out.getvalue()


def test_text_with_no_records() -> None:
    out = io.StringIO()
    write_text([], out, color=False, rule_titles={})
    assert out.getvalue().splitlines()[-1] == "0 records: 0 block, 0 review, 0 allow; 0 invalid input"


# --- SARIF -----------------------------------------------------------------------------------


def sarif_of(items: list[tuple[InputRecord, Report]]) -> dict:
    out = io.StringIO()
    write_sarif(items, out, tool_version="0.1.0", rules=RULES)
    return json.loads(out.getvalue())


def test_sarif_validates_against_the_official_schema() -> None:
    if not SARIF_SCHEMA.is_file():
        pytest.skip("shared SARIF schema not present")
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema)
    for items in (pairs(), []):
        errors = sorted(validator.iter_errors(sarif_of(items)), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_sarif_driver_rules_and_invocation() -> None:
    log = sarif_of(pairs())
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "rulekit" and driver["version"] == "0.1.0"
    assert "informationUri" not in driver
    ids = [r["id"] for r in driver["rules"]]
    assert ids == ["ad_law.extreme_words", "freight.remote_free_shipping", "sla.ship_48h", "review.short_text",
                   "rulekit/invalid-input"]
    first = driver["rules"][0]
    assert first["name"] == "广告法极限词" and first["shortDescription"] == {"text": "广告法极限词"}
    assert first["defaultConfiguration"] == {"level": "error"}
    assert driver["rules"][3]["name"] == "review.short_text"
    assert [r["defaultConfiguration"]["level"] for r in driver["rules"]] == ["error", "warning", "warning", "note", "error"]
    assert run["invocations"] == [{"executionSuccessful": True}]


def test_sarif_results_levels_and_locations() -> None:
    log = sarif_of(pairs())
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("ad_law.extreme_words", "error"),
        ("freight.remote_free_shipping", "warning"),
        ("sla.ship_48h", "warning"),
        ("rulekit/invalid-input", "error"),
        ("review.short_text", "note"),
    ]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    blocked = results[0]
    assert blocked["message"]["text"] == "标题含广告法禁用词：最便宜"
    loc = blocked["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == "data/%E4%B8%8A%E6%9E%B6%20listings.jsonl"
    assert loc["physicalLocation"]["region"] == {"startLine": 1}
    assert loc["logicalLocations"][0]["fullyQualifiedName"] == "listing/L-1001"
    assert blocked["properties"]["evidence"][0]["replacement"] == "实惠"
    assert results[1]["properties"]["actions"] == [{"name": "set_shipping_fee", "args": {"fee": "20.00", "region": "新疆"}}]
    assert results[2]["message"]["text"] == "undetermined: order.paid_at is null"
    assert results[2]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "order/o1"
    invalid = results[3]
    assert invalid["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "stdin"
    assert invalid["locations"][0]["physicalLocation"]["region"]["startLine"] == 4
    assert "logicalLocations" not in invalid["locations"][0]


def test_sarif_adds_rules_it_was_not_told_about() -> None:
    extra = Report(kind="shop", id="S1", decision="block",
                   violations=[Violation(rule="qual.expired", policy="qual", severity="error", message="营业执照已过期")])
    out = io.StringIO()
    write_sarif([(InputRecord("shops.jsonl", 1, {}, None, "json"), extra)], out, tool_version="0.1.0", rules=[])
    run = json.loads(out.getvalue())["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["rulekit/invalid-input", "qual.expired"]
    assert run["results"][0]["ruleIndex"] == 1


# --- GitHub ----------------------------------------------------------------------------------


def test_github_commands_per_violation_and_error() -> None:
    out = io.StringIO()
    write_github(pairs(), out)
    assert out.getvalue().splitlines() == [
        "::error file=data/上架 listings.jsonl,line=1,title=ad_law.extreme_words (listing L-1001)::标题含广告法禁用词：最便宜",
        "::warning file=orders.json,line=3,title=freight.remote_free_shipping (order o1)::偏远地区（新疆）不包邮，应收运费¥20.00",
        "::warning file=orders.json,line=3,title=sla.ship_48h (order o1)::undetermined: order.paid_at is null",
        "::error title=rulekit/invalid-input::<stdin>:4: not valid JSON: expected a value (column 1)",
        "::notice file=reviews.csv,line=2,title=review.short_text (review R-7)::评价过短：好",
    ]


def test_github_escaping() -> None:
    report = Report(kind="listing", id="L,1:x", decision="block", violations=[Violation(
        rule="p.r", policy="p", severity="error", message="折扣100%\r\n第二行: 好,的")])
    out = io.StringIO()
    write_github([(InputRecord("dir,1/a:b.jsonl", 7, {}, None, "json"), report)], out)
    # the record goes into the title (escaped as a property), not before every message
    assert out.getvalue() == ("::error file=dir%2C1/a%3Ab.jsonl,line=7,title=p.r (listing L%2C1%3Ax)::"
                              "折扣100%25%0D%0A第二行: 好,的\n")


# --- summary and dispatch --------------------------------------------------------------------


def test_summary_counts_and_fail_on() -> None:
    summary = Summary()
    for _, report in pairs():
        summary.add(report)
    assert summary.records == 5
    assert dict(summary.decisions) == {"block": 1, "allow": 2, "review": 2}
    assert summary.invalid == 1
    assert summary.fired["ad_law.extreme_words"] == 1 and summary.undetermined["sla.ship_48h"] == 1
    assert summary.worst == "error"
    assert summary.fails("error") and summary.fails("warning") and not summary.fails("never")

    only_warning = Summary()
    only_warning.add(Report(kind="order", id="o2", decision="review",
                            errors=[EvalError(rule="sla.ship_48h", message="order.paid_at is null")]))
    assert only_warning.worst == "warning"
    assert not only_warning.fails("error") and only_warning.fails("warning")

    clean = Summary()
    clean.add(ALLOWED)
    assert clean.worst is None and not clean.fails("warning")
    with pytest.raises(ValueError):
        clean.fails("fatal")


def test_write_reports_dispatches_every_format() -> None:
    assert set(FORMATS) == {"text", "json", "jsonl", "sarif", "github", "html"}
    for fmt in FORMATS:
        out = io.StringIO()
        summary = write_reports(fmt, iter(pairs()), out, rules=RULES, tool_version="0.1.0")
        assert summary.records == 5 and summary.worst == "error", fmt
        assert out.getvalue()
    text = io.StringIO()
    write_reports("text", pairs(), text, rules=RULES, statistics=True)
    assert "广告法极限词" in text.getvalue()
    row = next(line for line in text.getvalue().splitlines() if line.strip().startswith("sla.ship_48h"))
    assert row.split() == ["sla.ship_48h", "48小时发货", "warning", "0", "1"]  # severity from RULES
    with pytest.raises(ValueError):
        write_reports("xml", pairs(), io.StringIO())
