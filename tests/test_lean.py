"""The hot path's shortcuts give what the plain ways give: report values, msgspec JSON, decoders, caches, --jobs."""

from __future__ import annotations

import gc
import json
import pickle
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rulekit
from rulekit import cache
from rulekit.io import readers
from rulekit.loader import load_program
from rulekit.runtime.report import (
    Action,
    EvalError,
    Evidence,
    Report,
    Violation,
    dumps_exact,
    report_dict,
    report_json,
    report_line,
)
from rulekit.runtime.value import NONE
from tests.helpers import order, run_cli, write

NOW = datetime(2025, 6, 10, 12, 0, tzinfo=timezone(timedelta(hours=8)))

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), text,
                    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10**6, max_value=10**6),
                    st.datetimes(timezones=st.just(timezone(timedelta(hours=8)))))
args = st.dictionaries(text, st.one_of(scalars, st.lists(scalars, max_size=3)), max_size=3)
evidence = st.builds(Evidence, field=st.one_of(st.none(), text), word=text, text=text, start=st.integers(0, 99),
                     end=st.integers(0, 99), category=st.one_of(st.none(), text), replacement=st.one_of(st.none(), text))
violations = st.builds(Violation, rule=text, policy=text, severity=st.sampled_from(["error", "warning", "info"]),
                       message=text, actions=st.lists(st.builds(Action, name=text, args=args), max_size=2),
                       evidence=st.lists(evidence, max_size=2))
reports = st.builds(Report, kind=st.one_of(st.none(), text), id=st.one_of(st.none(), text),
                    decision=st.sampled_from(["allow", "review", "block"]), violations=st.lists(violations, max_size=2),
                    errors=st.lists(st.builds(EvalError, rule=st.one_of(st.none(), text), message=text), max_size=2))


@settings(max_examples=300, deadline=None)
@given(reports)
def test_the_msgspec_line_is_the_json_dumps_line(report: Report) -> None:
    assert report_json(report) == dumps_exact(report_dict(report), separators=(",", ":"))


_with_surrogates = st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF) | st.characters(),
                           max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), text, _with_surrogates), st.one_of(st.none(), text, _with_surrogates))
def test_an_allowed_subject_s_templated_line_is_the_json_dumps_line(kind: str | None, rid: str | None) -> None:
    """Allowed reports are written from a template (with lone surrogates too: those go the json.dumps way)."""
    report = Report(kind=kind, id=rid, decision="allow", violations=[], errors=[])
    assert report_json(report) == dumps_exact(report_dict(report), separators=(",", ":"))


_rules = st.sampled_from(["p.a", "p.b", "q.a"])  # few rules and names: the cached heads are read again
_repeated = st.builds(Violation, rule=_rules, policy=st.sampled_from(["p", "q"]),
                      severity=st.sampled_from(["error", "warning", "info"]), message=text,
                      actions=st.lists(st.builds(Action, name=st.sampled_from(["x", "y"]), args=args), max_size=2),
                      evidence=st.lists(evidence, max_size=2))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.builds(Report, kind=st.sampled_from(["order", "listing", None]), id=st.one_of(st.none(), text),
                          decision=st.sampled_from(["allow", "review", "block"]),
                          violations=st.lists(_repeated, max_size=3)), min_size=1, max_size=4))
def test_lines_pieced_from_cached_heads_are_the_json_dumps_lines(batch: list[Report]) -> None:
    for report in batch:
        line = dumps_exact(report_dict(report), separators=(",", ":"))
        assert report_json(report) == line
        assert report_line(report) == (line + "\n").encode("utf-8")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.builds(Report, kind=st.one_of(st.none(), _with_surrogates), id=st.one_of(st.none(), _with_surrogates),
                          decision=st.sampled_from(["allow", "review", "block"]), violations=st.lists(violations, max_size=1)),
                max_size=4))
def test_jsonl_written_as_bytes_is_the_text_written(batch: list[Report]) -> None:
    """`write_jsonl` writes the bytes of a UTF-8 file itself; a text stream of another kind gets the same text."""
    import io

    from rulekit.io.formats import write_jsonl
    from rulekit.io.readers import InputRecord

    pairs = [(InputRecord("-", n + 1, {}, None, "json"), r) for n, r in enumerate(batch)]
    text_out = io.StringIO()
    write_jsonl(pairs, text_out)
    raw = io.BytesIO()
    file_out = io.TextIOWrapper(raw, encoding="utf-8", errors="backslashreplace")
    file_out.write("before\n")
    write_jsonl(pairs, file_out)
    file_out.flush()
    assert raw.getvalue() == ("before\n" + text_out.getvalue()).encode("utf-8", "backslashreplace")


def test_json_that_msgspec_cannot_write_goes_the_json_dumps_way() -> None:
    odd = Report(kind="order", id="O\ud800", decision="review")  # a lone surrogate (JSON has it, UTF-8 not)
    assert report_json(odd) == dumps_exact(report_dict(odd), separators=(",", ":"))
    nan = Report(kind="order", id="O1", decision="block", violations=[
        Violation(rule="p.r", policy="p", severity="error", message="m", actions=[Action(name="a", args={"x": float("nan")})])])
    assert report_json(nan) == dumps_exact(report_dict(nan), separators=(",", ":"))
    with pytest.raises(TypeError):
        report_json(Report(kind="o", id="1", decision="block", violations=[Violation(
            rule="p.r", policy="p", severity="error", message="m", actions=[Action(name="a", args={"x": object()})])]))


def test_report_values_behave_as_the_models_did() -> None:
    v = Violation(rule="p.r", policy="p", severity="warning", message="m")
    r = Report(kind="order", id="O1", decision="review", violations=[v])
    assert r.violations == [v] and r.errors == [] and v.actions == [] and r == Report(**r.model_dump() | {
        "violations": [v]})
    assert r != Report(kind="order", id="O2", decision="review", violations=[v])
    assert r.model_dump()["violations"][0] == {"rule": "p.r", "policy": "p", "severity": "warning", "message": "m",
                                               "actions": [], "evidence": []}
    assert r.model_copy(update={"id": "O3"}).id == "O3" and r.id == "O1"
    assert pickle.loads(pickle.dumps(r)) == r
    assert repr(v).startswith("Violation(rule='p.r'")
    with pytest.raises(AttributeError):
        r.id = "x"  # type: ignore[misc]
    with pytest.raises(TypeError, match="'colour'"):
        Report(kind="k", id="1", decision="allow", colour="red")
    with pytest.raises(TypeError, match="'decision'"):
        Report(kind="k", id="1")
    with pytest.raises(TypeError, match="no field `colour`"):
        r.model_copy(update={"colour": "red"})
    # positional construction in field order, and no cost to the cyclic garbage collector
    assert Report("order", "O1", "review", [v]) == r and not gc.is_tracked(r) and not gc.is_tracked(v)
    with pytest.raises(TypeError):
        NONE.append(1)
    assert json.loads(r.model_dump_json()) == r.model_dump(mode="json")
    assert Action(name="fee", args={"amount": Decimal("20.00")}).model_dump(mode="json") == {
        "name": "fee", "args": {"amount": "20.00"}}
    # an allowed report shares the one empty list, and nobody can add to it
    rep = rulekit.load(Path(__file__).parent.parent / "benchmarks" / "policies").evaluate(
        order(claims_free_shipping=False, shipped_at="2025-06-01T12:00:00+08:00"), kind="order", now=NOW)
    assert rep.decision == "allow" and rep.violations is NONE and rep.errors is NONE


def test_long_numbers_still_meet_the_digit_limit(tmp_path: Path) -> None:
    rec = readers.json_line_record("f.jsonl", 1, '{"id": "x", "total": 1.' + "1" * 5000 + "}")
    assert rec.data is None and "digits" in (rec.error or "")


def test_decimal_inputs_validate_as_float_inputs() -> None:
    eng = rulekit.load(Path(__file__).parent.parent / "benchmarks" / "policies")
    base = order(total=88.5, weight=1.2, claims_free_shipping=True)
    exact = dict(base, total=Decimal("88.5"), weight=Decimal("1.2"))
    assert eng.evaluate(base, kind="order", now=NOW) == eng.evaluate(exact, kind="order", now=NOW)
    bad = eng.evaluate(dict(base, total=Decimal("NaN")), kind="order", now=NOW)
    assert bad.errors and "total" in bad.errors[0].message


def test_the_checked_program_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path / "cache"))
    cache.cache_dir.cache_clear()
    try:
        pol = tmp_path / "pol"
        write(pol, "words.txt", "最好\n")
        write(pol, "p.rule", 'policy p {\n  wordlist w {\n    source "words.txt"\n  }\n'
              '  rule r on listing {\n    when len(find(listing.title, w)) > 0\n    message "x"\n  }\n}\n')
        first = load_program([pol])
        assert list((tmp_path / "cache" ).rglob("program/*.pickle"))
        again = load_program([pol])
        assert again.fingerprint() == first.fingerprint() and again is not first
        assert [e.word for e in again.policy("p").wordlists["w"].entries] == ["最好"]
        # a changed wordlist file is read again (the rule file is the same)
        write(pol, "words.txt", "最佳\n")
        assert [e.word for e in load_program([pol]).policy("p").wordlists["w"].entries] == ["最佳"]
        # a changed rule file, another key; a corrupt cache file is dropped and rebuilt
        for f in (tmp_path / "cache").rglob("program/*.pickle"):
            f.write_bytes(b"garbage")
        assert [e.word for e in load_program([pol]).policy("p").wordlists["w"].entries] == ["最佳"]
        # a missing wordlist is a diagnostic every time, cached or not
        (pol / "words.txt").unlink()
        assert any(d.code == "E006" for d in load_program([pol]).diagnostics)
        assert any(d.code == "E006" for d in load_program([pol]).diagnostics)
    finally:
        cache.cache_dir.cache_clear()


def test_compiled_code_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path / "cache"))
    cache.cache_dir.cache_clear()
    try:
        src = "def f(x):\n    return x * 2\n"
        ns: dict[str, Any] = {}
        exec(cache.compiled(src, "<t>"), ns)  # noqa: S102
        (stored,) = list((tmp_path / "cache").rglob("code/*.pickle"))
        stored.write_bytes(stored.read_bytes()[:-5])  # truncated: dropped, compiled again
        exec(cache.compiled(src, "<t>"), ns)  # noqa: S102
        assert ns["f"](21) == 42
    finally:
        cache.cache_dir.cache_clear()


# ---- lint --jobs ---------------------------------------------------------------------------------------------

WINDOWED = """
policy burst {
  rule ip on order {
    severity warning
    when count(order by ip within 10m) >= 3
    message "同一 IP 10 分钟内第 {count(order by ip within 10m)} 单"
  }
}
policy len {
  rule short on listing {
    severity info
    when len(listing.title) < 6
    message "标题过短"
  }
}
"""


def _inputs(tmp_path: Path) -> list[Path]:
    lines = []
    for i in range(5000):
        if i % 3:
            lines.append(json.dumps({"$kind": "listing", "id": f"L{i}", "shop_id": "S1", "title": "好" * (i % 9),
                                     "description": "", "price": 10 + i % 7, "category": "服饰",
                                     "published_at": "2025-06-01T10:00:00+08:00"}, ensure_ascii=False))
        else:
            lines.append(json.dumps(dict(order(id=f"O{i}", ip=f"10.0.0.{i % 4}"), **{"$kind": "order"},
                                         created_at=(NOW - timedelta(seconds=5000 - i)).isoformat())))
        if i % 997 == 0:
            lines.append("{not json")
    a = tmp_path / "a.jsonl"
    a.write_text("\n".join(lines[:2600]) + "\n", encoding="utf-8")
    b = tmp_path / "b.jsonl"
    b.write_text("\n".join(lines[2600:]) + "\n", encoding="utf-8")
    c = tmp_path / "c.json"
    c.write_text(json.dumps([{"$kind": "listing", "id": "J1", "shop_id": "S1", "title": "短", "description": "",
                              "price": 1, "category": "服饰", "published_at": "2025-06-01T10:00:00+08:00"}]),
                 encoding="utf-8")
    return [a, c, b]


@pytest.mark.parametrize("fmt", ["jsonl", "text", "sarif"])
def test_jobs_give_the_reports_of_one_process(tmp_path: Path, fmt: str) -> None:
    pol = write(tmp_path, "p.rule", WINDOWED)
    files = _inputs(tmp_path)
    common = ["lint", "-p", pol, "--now", NOW.isoformat(), "--format", fmt, "--fail-on", "warning", *files]
    one = run_cli(*common)
    many = run_cli(*common[:1], "--jobs", "2", *common[1:])
    assert one.returncode == many.returncode == 1
    assert many.stdout == one.stdout and one.stdout
    if fmt == "jsonl":
        ids = [json.loads(x)["id"] for x in one.stdout.splitlines()]
        assert ids[:3] == ["O0", None, "L1"] and "J1" in ids and ids.count(None) == 6


def test_jobs_keep_a_windowed_subject_in_one_process(tmp_path: Path) -> None:
    pol = write(tmp_path, "p.rule", WINDOWED)
    a = _inputs(tmp_path)[0]
    r = run_cli("lint", "-p", pol, "--now", NOW.isoformat(), "--subject", "order", "--jobs", "2", "--format",
                "jsonl", a)
    assert "one process (window rules read every order" in r.stderr
    r = run_cli("lint", "-p", pol, "--now", NOW.isoformat(), "--jobs", "0", a)
    assert r.returncode == 2 and "at least 1 process" in r.stderr


# ---- validate="read" -------------------------------------------------------------------------------------------

REGIONS = ["浙江", "新疆", "青海", "广东"]
moments = st.datetimes(min_value=datetime(2025, 5, 1), max_value=datetime(2025, 6, 10),
                       timezones=st.sampled_from([timezone(timedelta(hours=8)), UTC]))
orders_st = st.builds(
    lambda i, region, free, total, weight, paid, late, status: order(
        id=f"O{i}", region=region, claims_free_shipping=free, total=total, weight=weight,
        paid_at=None if paid is None else paid.isoformat(),
        shipped_at=None if paid is None or late is None else (paid + timedelta(hours=late)).isoformat(),
        status=status),
    st.integers(0, 10**6), st.sampled_from(REGIONS), st.booleans(),
    st.one_of(st.integers(0, 500), st.decimals(places=2, min_value=0, max_value=500, allow_nan=False).map(float)),
    st.floats(0.1, 30, allow_nan=False), st.one_of(st.none(), moments), st.one_of(st.none(), st.integers(1, 120)),
    st.sampled_from(["paid", "shipped", "delivered", "refunded"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(orders_st, min_size=1, max_size=20))
def test_reading_only_the_fields_rules_read_gives_the_same_reports(orders: list[dict[str, Any]]) -> None:
    for eng in _ENGINES:
        full = [r.model_dump() for r in eng.evaluate_many(orders, kind="order", now=NOW)]
        read = [r.model_dump() for r in eng.evaluate_many(orders, kind="order", now=NOW, validate="read")]
        assert read == full
        assert [eng.evaluate(o, kind="order", now=NOW, validate="read") for o in orders] == \
               [eng.evaluate(o, kind="order", now=NOW) for o in orders]


_ENGINES = [rulekit.load(Path(__file__).parent.parent / "benchmarks" / "policies"), rulekit.load()]


def test_what_read_validation_leaves_unchecked() -> None:
    eng = _ENGINES[0]
    bad = order(buyer_id=12345678901234567890, status=None)  # no rule of these policies reads either field
    assert eng.evaluate(bad, kind="order", now=NOW).errors[0].rule is None
    assert eng.evaluate(bad, kind="order", now=NOW, validate="read").errors == []
    wrong = order(region=5)  # a field the freight table reads is still checked
    assert eng.evaluate(wrong, kind="order", now=NOW, validate="read").errors[0].message.startswith("order.region")
    with pytest.raises(ValueError, match="validate must be"):
        eng.stream(now=NOW, validate="some")
    # a kind that a members window keeps is validated whole either way
    bundled = _ENGINES[1]
    assert bundled.compiled.read_validators()["order"] is bundled.compiled.validators["order"]
    assert bundled.compiled.read_validators()["listing"] is not bundled.compiled.validators["listing"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["10.0.0.1", "10.0.0.2", None]), st.integers(0, 900),
                          st.sampled_from([5, "x", None])), min_size=1, max_size=25))
def test_window_kinds_read_only_what_rules_and_windows_read(events: list[tuple[str | None, int, Any]]) -> None:
    eng = _WINDOWED
    orders = [order(id=f"O{i}", ip=ip, buyer_id=buyer, created_at=(NOW - timedelta(seconds=900 - t)).isoformat())
              for i, (ip, t, buyer) in enumerate(events)]
    valid = [o for o in orders if isinstance(o["buyer_id"], str | None) and o["buyer_id"] is not None]
    full = [r.model_dump() for r in eng.evaluate_many(valid, kind="order", now=NOW)]
    assert [r.model_dump() for r in eng.evaluate_many(valid, kind="order", now=NOW, validate="read")] == full
    # buyer_id is read by no rule and no window: with validate="read" a bad one is not looked at, and the window
    # counts that order (it is valid in everything the policies read)
    reads = list(eng.evaluate_many(orders, kind="order", now=NOW, validate="read"))
    assert all(not r.errors or r.errors[0].rule is not None for r in reads)
    assert eng.compiled.read_validators()["order"] is not eng.compiled.validators["order"]


_WINDOWED = rulekit.load(write(Path(__import__("tempfile").mkdtemp()), "w.rule", WINDOWED))


def test_the_cache_keeps_a_bounded_number_of_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "KEEP", 5)
    cache.cache_dir.cache_clear()
    try:
        for i in range(12):
            cache.store("parsed", cache.key_of(str(i)), i)
        kept = list((tmp_path / "cache").rglob("parsed/*.pickle"))
        assert len(kept) == 5 and cache.load("parsed", cache.key_of("11")) == 11
    finally:
        cache.cache_dir.cache_clear()


def test_spawned_workers_load_the_policies_themselves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where fork is not used (macOS, Windows), each worker loads the engine from the job: the same pairs."""
    from rulekit.commands import parallel
    from rulekit.commands.inputs import Inputs
    from rulekit.commands.lint import reports as one_process
    from rulekit.limits import DEFAULT

    pol = write(tmp_path, "p.rule", WINDOWED)
    files = [str(f) for f in _inputs(tmp_path)]
    engine = rulekit.load(pol)
    job = parallel.Job(None, NOW, timedelta(0), keep_data=False, keep_raw=False, limits=DEFAULT,
                       load={"paths": [str(pol)], "lateness": timedelta(0), "select": [], "ignore": [],
                             "severity": {}, "absent": None})
    monkeypatch.setattr(parallel.sys, "platform", "darwin")
    got = [(r.line, rep) for r, rep in parallel.reports(engine, files, job, 2, Inputs())]
    expected = [(r.line, rep) for r, rep in one_process(engine, files, None, NOW, timedelta(0), inputs=Inputs())]
    assert got == expected and len(got) > 5000


@settings(max_examples=200, deadline=None)
@given(st.lists(reports, max_size=8))
def test_the_summary_counts_what_a_naive_count_counts(drawn: list[Report]) -> None:
    """Summary.add's shortcuts (allowed reports, `block` is an error, nothing above an error) against a plain count."""
    from collections import Counter

    from rulekit.io.summary import LEVEL_RANK, Summary
    from rulekit.runtime.report import decide

    rs = [r.model_copy(update={"decision": decide(r.violations, r.errors)}) for r in drawn]
    summary = Summary()
    for r in rs:
        summary.add(r)
    levels = [level for r in rs if (level := r.worst()) is not None]
    assert summary.worst == (max(levels, key=LEVEL_RANK.__getitem__) if levels else None)
    assert summary.records == len(rs)
    assert summary.decisions == Counter(r.decision for r in rs)
    assert summary.fired == Counter(v.rule for r in rs for v in r.violations)
    assert summary.undetermined == Counter(e.rule for r in rs for e in r.errors if e.rule is not None)
    assert summary.invalid == sum(any(e.rule is None for e in r.errors) for r in rs)
    first: dict[str, str] = {}
    for r in rs:
        for v in r.violations:
            first.setdefault(v.rule, v.severity)
    assert summary.severities == first


_controls = st.text(alphabet=st.sampled_from("ab 最高，\x07\x08\x0b\x0c\r\t\x1b!"), max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.builds(Report, kind=st.just("order"), id=_controls, decision=st.sampled_from(["review", "block"]),
                 violations=st.lists(st.builds(Violation, rule=st.just("p.r"), policy=st.just("p"),
                                               severity=st.sampled_from(["error", "warning", "info"]),
                                               message=_controls), min_size=1, max_size=2)))
def test_plain_text_lines_are_what_rich_prints_without_colour(report: Report) -> None:
    """Text output without colour writes each record's lines itself: the same characters rich would print."""
    import io

    from rich.console import Console
    from rich.text import Text

    from rulekit.io.readers import InputRecord
    from rulekit.io.text import _record_lines, write_text

    record = InputRecord("f.jsonl", 3, {}, None, "json")
    lines = _record_lines("f.jsonl:3", report, {"p.r": "标题"})
    out = io.StringIO()
    Console(file=out, force_terminal=False, no_color=True, width=120, highlight=False, emoji=False,
            markup=False).print(Text("\n").join(Text.assemble(*line) for line in lines), soft_wrap=True)
    written = io.StringIO()
    write_text([(record, report)], written, color=False, rule_titles={"p.r": "标题"})
    assert written.getvalue().startswith(out.getvalue() + "\n")  # then the totals


_json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.text(max_size=6),
              st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-10**9, max_value=10**9)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=8)
_lines = st.one_of(
    st.dictionaries(st.text(max_size=5), _json_values, max_size=4).map(
        lambda d: json.dumps(d, ensure_ascii=False, default=str)),
    st.dictionaries(st.text(max_size=5), _json_values, max_size=4).map(lambda d: json.dumps(d, default=str)),
    st.sampled_from(['{"a": 1,}', '{"a": NaN}', '[1, 2]', '"x"', "", "   ", '{"a": 1e999999}', '{"a": "\\ud800"}',
                     '\ufeff{"a": 1}', '{"a": 1} x', '{"n": ' + "9" * 5000 + "}", '{"s": "' + "字" * 1500 + '"}']))


@settings(max_examples=200, deadline=None)
@given(st.lists(_lines, min_size=1, max_size=6), st.sampled_from(["\n", "\r\n"]))
def test_json_lines_read_in_one_step_are_the_records_of_the_steps(lines: list[str], end: str) -> None:
    """Lines of bytes take a one-step path when they are the usual kind; lines given as text take the general
    steps. Both give the same records, errors and texts."""
    as_bytes = [(line + end).encode("utf-8", "surrogatepass") for line in lines]
    as_text = [line + end for line in lines]
    fast = list(readers._read_json_lines("f.jsonl", as_bytes, 1))
    steps = list(readers._read_json_lines("f.jsonl", as_text, 1))
    assert fast == steps
    # without keep_raw a record read in one step holds no text; everything else is the same
    lean = list(readers._read_json_lines("f.jsonl", as_bytes, 1, keep_raw=False))
    assert [(r.line, r.data, r.error) for r in lean] == [(r.line, r.data, r.error) for r in steps]
    assert all(r.raw is None or r.raw == s.raw for r, s in zip(lean, steps, strict=True))


def test_a_bad_utf8_line_is_reported_by_the_steps() -> None:
    got = list(readers._read_json_lines("f.jsonl", [b'{"a": 1}\n', b'{"a": "\xff"}\n'], 1))
    assert got[0].data == {"a": 1} and got[1].data is None and "not valid UTF-8" in (got[1].error or "")
