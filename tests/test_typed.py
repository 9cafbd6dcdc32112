"""The typed JSON lines decoder gives the validator's records, or leaves the line to the usual path."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rulekit
from rulekit import limits as _limits
from rulekit import types as T
from rulekit.io import readers
from rulekit.io.typedlines import KindSniffer, typed_json_lines
from rulekit.records.base import RecordBase
from rulekit.records.validate import validate
from rulekit.resources import standard_policies
from tests.helpers import order, run_cli, write

NOW = datetime(2025, 6, 10, 12, 0, tzinfo=timezone(timedelta(hours=8)))

#: a record type of every field type the language has, for the decoder's untyped (`Any`) fields as well
ALL_TYPES = """
record all_types time seen_at {
  id: string
  n: int
  d: decimal
  m: money?
  w: weight?
  ok: bool?
  seen_at: datetime
  day: date?
  wait: duration?
  tags: list<string>?
  counts: list<int>?
  parts: list<part>?
  maybe_parts: list<part?>?
  nested: list<list<int>>?
  one: part?
}
record part {
  sku: string
  qty: int
  price: money?
  made_at: datetime?
}
policy p {
  rule r on all_types {
    when all_types.n > 5
    message "n"
  }
}
"""

_ENGINES: dict[str, Any] = {}


def _engine() -> dict[str, Any]:
    if "all" not in _ENGINES:
        import tempfile

        d = Path(tempfile.mkdtemp(prefix="rulekit-typed-"))
        _ENGINES["all"] = rulekit.load(write(d, "all.rule", ALL_TYPES))
        _ENGINES["std"] = rulekit.load(standard_policies())
    return _ENGINES


def _same(a: Any, b: Any) -> bool:
    """Records equal field by field, in value, class and spelling (Decimal('1.0') is not Decimal('1'))."""
    if isinstance(a, RecordBase) or isinstance(b, RecordBase):
        return type(a) is type(b) and all(_same(getattr(a, f), getattr(b, f)) for f in a._fields)
    if isinstance(a, list) or isinstance(b, list):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a == b and a.utcoffset() == b.utcoffset() and type(a) is type(b)
    return type(a) is type(b) and repr(a) == repr(b)


def _mostly(common: st.SearchStrategy[Any], rare: st.SearchStrategy[Any], odds: int) -> st.SearchStrategy[Any]:
    """`rare` once in `odds + 1` draws, else `common` (hypothesis would weigh `one_of` branches alike)."""
    return st.integers(0, odds).flatmap(lambda i: rare if i == odds // 2 else common)  # not a bound: drawn less


_plain_numbers = st.one_of(
    st.integers(-10**25, 10**25).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10**7, max_value=10**7).map(str))
_odd_numbers = st.sampled_from(["1e5", "1E-7", "-0.0", "0e0", "1.0", "-0", "1e400", "1e-400", "2.5e+3", "0.000",
                                "1." + "0" * 120, "9" * 120, "0.1000000000000000055511151231257827", "1e100",
                                "1e101", "0E-150"])
_number_texts = _mostly(_plain_numbers, _odd_numbers, 3)
_aware = st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=8)),
                                                 timezone(timedelta(hours=-5, minutes=-30))])).map(
    lambda d: d.isoformat())
_time_texts = _mostly(_aware, st.one_of(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)).map(lambda d: d.isoformat()),
    st.sampled_from(["2025-06-01T10:00:00Z", "2025-06-01t10:00:00z", "2025-06-01 10:00:00", "2025-06-01",
                     "2025-06-01T10:00:00.1234567+08:00", "2025-06-01T10:00:00.9999996Z", "2025-06-01T23:59:60Z",
                     "2025-06-01T10:00:00-00:00", "2025-06-01T10:00", "20250601T100000", "2025-06-01T24:00:00",
                     "2025-W22-1", "not a time", "", "2025-06-01T10:00:00+08:00:30"])), 3)


def _raw(text: str) -> msgspec.Raw:
    return msgspec.Raw(text.encode())


_WRONG = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.just("true"), st.just(" 12 "), st.just([]),
                   st.just({}), st.floats(allow_nan=False, allow_infinity=False, width=32))


def _value(t: T.Type, registry: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """JSON values a field of type `t` may be given: its own kind, in the spellings a reader meets."""
    k = t.kind
    if k == "string":
        return st.text(max_size=5)
    if k == "bool":
        return st.booleans()
    if k == "int":
        return _mostly(st.integers(-10**6, 10**6), st.one_of(st.integers(-10**30, 10**30), st.just(_raw("3.0")),
                                                             st.just("7")), 8)
    if k in ("decimal", "money", "weight"):
        return _mostly(_number_texts.map(_raw),
                       st.sampled_from(["8.5", " 8.5", "1_000", "NaN", "inf", "1e400", "０８", "+8.5"]), 4)
    if k == "datetime":
        return _time_texts
    if k == "date":
        return st.one_of(st.dates().map(str), st.sampled_from(["2025-06-01T10:00:00", "06/01/2025"]))
    if k == "duration":
        return st.one_of(st.sampled_from(["1h30m", "45s", "2d", "1x", "99999999999999d"]), st.integers(0, 10**20))
    if k == "record" and t.record is not None:
        return _record(registry, t.record, depth + 1) if depth < 2 else st.just({})
    if k == "list" and t.elem is not None:
        elem = _value(t.elem, registry, depth + 1) if depth < 2 else st.none()
        return st.lists(st.one_of(elem, st.none()) if t.elem.optional else elem, max_size=3)
    return st.none()


_STRATEGIES: dict[tuple[int, str, int], Any] = {}


def _record(registry: Any, name: str, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    key = (id(registry), name, depth)
    if key not in _STRATEGIES:
        _STRATEGIES[key] = _record_strategy(registry, name, depth)
    return _STRATEGIES[key]  # type: ignore[no-any-return]


def _record_strategy(registry: Any, name: str, depth: int) -> st.SearchStrategy[dict[str, Any]]:
    """Records of a type: mostly well-typed, optional fields absent or null at times, now and then one field of
    another JSON kind or missing, or a field the type does not have."""
    fields = list(registry.types[name].fields.values())
    values = st.fixed_dictionaries({f.name: _value(f.type, registry, depth) for f in fields})
    gone = st.lists(st.sampled_from([0, 0, 0, 1, 2]), min_size=len(fields), max_size=len(fields))
    spoil = _mostly(st.none(), st.one_of(st.tuples(st.sampled_from([f.name for f in fields]), _WRONG),
                                         st.tuples(st.sampled_from(["extra", "$kind", "kind"]), st.integers(0, 3))),
                    12 if depth else 6)

    def build(d: dict[str, Any], how: list[int], bad: tuple[str, Any] | None) -> dict[str, Any]:
        out = {}
        for (k, v), h, f in zip(d.items(), how, fields, strict=True):
            if h == 0 or not f.type.optional:
                out[k] = v
            elif h == 2:
                out[k] = None
        if bad is not None:
            out[bad[0]] = bad[1]
        return out

    return st.builds(build, values, gone, spoil)


_encode = msgspec.json.Encoder().encode


_DECODERS: dict[tuple[Any, ...], Any] = {}


def _check(engine: Any, kind: str, data: dict[str, Any]) -> None:
    plan = engine.compiled
    typed = _DECODERS.get((id(engine), kind))
    if typed is None:
        typed = _DECODERS[id(engine), kind] = typed_json_lines(plan.validators, plan.program.registry, kind)
    assert typed is not None
    line = _encode(data)
    got = typed(line)
    try:
        value = readers._FAST_DECODER.decode(line)
    except Exception:  # noqa: BLE001 - the reader's dict path refuses the line: so must the typed one
        assert got is None
        return
    want, problem = validate(plan.validators, kind, value)
    if problem is not None:
        assert got is None, (line, problem)
    elif got is not None:  # None is always allowed: the usual path reads the line
        assert _same(got, want), (line, got, want)
    # A lean decoder (every other field kept) checks every field all the same: it refuses what the whole one
    # refuses, and the fields it keeps are the whole record's.
    fields = list(plan.program.registry.types[kind].fields)
    keep = ("id", *fields[::2])
    lean = _DECODERS.get((id(engine), kind, "lean"))
    if lean is None:
        lean = _DECODERS[id(engine), kind, "lean"] = typed_json_lines(
            plan.validators, plan.program.registry, kind, keep)
    slim = lean(line)
    assert (slim is None) == (got is None), (line, got, slim)
    if got is not None:
        assert all(_same(getattr(slim, f), getattr(got, f)) for f in keep if hasattr(got, f))
        assert not any(hasattr(slim, f) for f in fields if f not in keep)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_every_field_type_decodes_to_the_validators_record_or_to_the_usual_path(data: st.DataObject) -> None:
    engine = _engine()["all"]
    _check(engine, "all_types", data.draw(_record(engine.program.registry, "all_types")))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from(["order", "listing", "product", "shop", "ticket", "review", "promotion",
                                   "after_sale"]))
def test_the_bundled_record_types_decode_to_the_validators_records(data: st.DataObject, kind: str) -> None:
    engine = _engine()["std"]
    _check(engine, kind, data.draw(_record(engine.program.registry, kind)))


def test_a_well_typed_record_of_every_field_type_is_decoded_typed() -> None:
    engine = _engine()["all"]
    plan = engine.compiled
    typed = typed_json_lines(plan.validators, plan.program.registry, "all_types")
    assert typed is not None
    part = {"sku": "K", "qty": 2, "price": _raw("1.50"), "made_at": "2025-06-01T10:00:00"}
    line = _encode({"id": "a", "n": 7, "d": _raw("2.50"), "m": 3, "w": None, "ok": True,
                    "seen_at": "2025-06-01T10:00:00+00:00", "day": "2025-06-01", "wait": "1h30m", "tags": ["x"],
                    "counts": [1, 2], "parts": [part, part], "maybe_parts": [None, part], "nested": [[1], []],
                    "one": part})
    got = typed(line)
    want, problem = validate(plan.validators, "all_types", readers._FAST_DECODER.decode(line))
    assert problem is None and got is not None and _same(got, want)
    assert str(got.d) == "2.50" and got.w is None and got.parts[1].price == Decimal("1.5")
    assert got.parts[0].made_at.utcoffset() == timedelta(hours=8)  # naive: platform time, as the validator reads it
    assert engine.evaluate(got, now=NOW) == engine.evaluate(json.loads(line), kind="all_types", now=NOW)


def test_the_usual_order_is_decoded_typed_and_odd_ones_are_left_to_the_usual_path() -> None:
    engine = _engine()["std"]
    plan = engine.compiled
    typed = typed_json_lines(plan.validators, plan.program.registry, "order")
    assert typed is not None
    rec = typed(json.dumps(order(total=12.50), ensure_ascii=False).encode())
    assert rec is not None and rec.total == Decimal("12.5") and str(rec.total) == "12.5"
    assert rec.items[0].price == 50 and rec.created_at.utcoffset() == timedelta(hours=8)
    for odd in (order(extra_field=1), order(total="12.5"), order(total=1e300), order(created_at="2025-06-01"),
                order(quantity=True), order(items=[{"sku": "K1", "quantity": 1.0, "price": 5}])):
        line = json.dumps(odd, ensure_ascii=False).encode()
        assert typed(line) is None or _same(typed(line), plan.validators["order"](json.loads(line), "order"))
    assert typed(b'{"id": 1}') is None and typed(b"[1]") is None and typed(b"{") is None


def test_number_limits_send_typed_numbers_the_usual_way() -> None:
    engine = _engine()["std"]
    plan = engine.compiled
    _limits.activate(replace(_limits.DEFAULT, number_digits=5))
    try:
        typed = typed_json_lines(plan.validators, plan.program.registry, "order")
        assert typed is not None
        assert typed(json.dumps(order(total=1234.5)).encode()) is not None
        assert typed(json.dumps(order(total=12345.6)).encode()) is None  # six digits: the reader says why
        records = list(readers._read_json_lines("o.jsonl", [b"\n", json.dumps(order(total=12345.6)).encode()], 1,
                                                typed=typed))
        assert records[0].data is None and "number-digits" in (records[0].error or "")
    finally:
        _limits.activate(_limits.DEFAULT)


def test_lint_writes_the_same_reports_with_and_without_the_typed_reader(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process `lint --format jsonl --subject order` on odd and usual lines, typed reader on and off."""
    import io
    import sys

    from rulekit import cli
    from rulekit.commands import lint

    lines = [order(id=f"o{i}", total=Decimal(i) / 4, weight=i % 7) for i in range(50)]
    lines += [order(total="5"), order(extra=1), order(created_at="2025-06-01"), order(total=1e300),
              order(id=7), order(items=[{"sku": "K", "quantity": "2", "price": 1}])]
    src = tmp_path / "o.jsonl"
    src.write_text("\n".join(json.dumps(x, ensure_ascii=False, default=str) for x in lines) + "\n", encoding="utf-8")

    def run() -> str:
        out = io.StringIO()
        monkeypatch.setattr(sys, "stdout", out)
        cli.main(["lint", "-p", str(standard_policies()), "--subject", "order", "--now", NOW.isoformat(),
                  "--format", "jsonl", str(src)])
        monkeypatch.undo()
        return out.getvalue()

    typed = run()
    monkeypatch.setattr(lint, "typed_reader", lambda *a, **k: None)
    plain = run()
    assert typed == plain and typed.count("\n") == len(lines)


def test_a_validated_record_is_evaluated_as_it_is() -> None:
    engine = _engine()["std"]
    rec, problem = engine.validate(order(), "order")
    assert problem is None
    assert engine.evaluate(rec, now=NOW) == engine.evaluate(order(), now=NOW)
    assert engine.evaluate(rec, kind="order", now=NOW) == engine.evaluate(order(), kind="order", now=NOW)


def test_lint_jobs_with_the_typed_reader_writes_what_one_process_writes(tmp_path: Path) -> None:
    src = tmp_path / "o.jsonl"
    src.write_text("".join(json.dumps(order(id=f"o{i}", total=i), ensure_ascii=False) + "\n" for i in range(4500)),
                   encoding="utf-8")
    args = ["lint", "-p", Path(__file__).resolve().parents[1] / "benchmarks" / "policies", "--subject", "order", "--now", NOW.isoformat(), "--format", "jsonl",
            src]
    one, two = run_cli(*args), run_cli(*args, "--jobs", "2")
    assert one.returncode == two.returncode and one.stdout == two.stdout and one.stdout.count("\n") == 4500


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _mixed_lines() -> list[str]:
    """The bundled examples, whole files after one another and then interleaved, and records whose kind is told
    by a field: a promotion whose `kind` names another kind, `$kind`, a record of no kind."""
    files = [[ln for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip()]
             for f in sorted(EXAMPLES.glob("*.jsonl"))]
    lines = [ln for f in files for ln in f]
    lines += [f[i % len(f)] for i in range(60) for f in files[i % 3::3][:1]]
    promo = next(json.loads(ln) for f in files for ln in f if '"full_reduction"' in ln)
    lines += [json.dumps({**promo, "kind": k}, ensure_ascii=False) for k in ("order", "listing", "discount", "x")]
    lines += [json.dumps({**json.loads(lines[0]), "$kind": "order"}, ensure_ascii=False), '{"id": "nobody"}']
    return lines


def test_lines_of_several_kinds_are_decoded_typed_as_the_kind_of_the_lines_before() -> None:
    engine = _engine()["std"]
    sniff = KindSniffer(engine)
    lines = _mixed_lines()
    got = list(readers._read_json_lines("m.jsonl", [(ln + "\n").encode() for ln in lines], 1, keep_raw=False,
                                        typed=sniff))
    plain = list(readers._read_json_lines("m.jsonl", [(ln + "\n").encode() for ln in lines], 1, keep_raw=False))
    typed = [r for r in got if isinstance(r.data, RecordBase)]
    assert len(got) == len(plain) == len(lines) and len(typed) > len(lines) // 2
    stream_a, stream_b = engine.stream(now=NOW), engine.stream(now=NOW)
    leans = 0
    for a, b in zip(got, plain, strict=True):
        if isinstance(a.data, RecordBase):  # the kind the usual way tells, and the validator's record
            kind, problem = engine.kind_of(b.data)
            assert problem is None and a.data._kind == kind
            want, problem = validate(engine.compiled.validators, kind, b.data)
            # the run's records are lean: every field checked, only those the policies read kept
            keep = engine.compiled.lean_fields(kind)
            assert problem is None
            if keep is None:  # a kind whose records are needed whole (a members window keeps them)
                assert _same(a.data, want)
            else:
                assert all(_same(getattr(a.data, f), getattr(want, f)) for f in keep)
                assert not any(hasattr(a.data, f) for f in a.data._fields if f not in keep and f != "kind")
                leans += 1
        else:
            assert a.data == b.data and a.error == b.error
        assert stream_a.push(a.data) == stream_b.push(b.data)
    assert leans > 0


def test_lint_without_subject_writes_the_same_reports_with_and_without_the_typed_reader(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    from rulekit import cli
    from rulekit.commands import lint

    src = tmp_path / "mixed.jsonl"
    src.write_text("\n".join(_mixed_lines()) + "\n", encoding="utf-8")

    def run(*more: str) -> str:
        out = io.StringIO()
        monkeypatch.setattr(sys, "stdout", out)
        cli.main(["lint", "--now", NOW.isoformat(), "--format", "jsonl", "--fail-on", "never", *more, str(src)])
        monkeypatch.setattr(sys, "stdout", sys.__stdout__)
        return out.getvalue()

    typed, typed_jobs = run(), run("--jobs", "2")
    monkeypatch.setattr(lint, "typed_reader", lambda *a, **k: None)
    plain = run()
    assert typed == plain == typed_jobs and typed.count("\n") == len(_mixed_lines())
