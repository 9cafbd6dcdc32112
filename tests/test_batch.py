"""The Arrow batch interface: typed report tables equal to `lint`'s JSON lines, exact values, located errors."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from tests.helpers import REPO, order, run_cli

pa = pytest.importorskip("pyarrow")
from rulekit.batch import ArrowLinter, report_schema, window_kinds  # noqa: E402

CST = timezone(timedelta(hours=8))
NOW = datetime(2025, 6, 10, 12, tzinfo=CST)
LISTINGS = REPO / "examples" / "listings.jsonl"


def test_reports_equal_lint_jsonl_and_are_typed() -> None:
    lines = LISTINGS.read_text(encoding="utf-8").splitlines()
    table = pa.table({"_file": [0] * len(lines), "_line": list(range(1, len(lines) + 1)), "text": lines})
    out = ArrowLinter(now=NOW, sources=[str(LISTINGS)])(table)
    assert out.schema.equals(report_schema())
    lint = run_cli("lint", "--now", NOW.isoformat(), "--format", "jsonl", LISTINGS).stdout.splitlines()
    assert out.column("json").to_pylist() == lint
    rules = pa.compute.list_flatten(out.column("violations")).combine_chunks().field("rule").to_pylist()
    assert "ad_law.extreme_words" in rules
    first = next(r for r in out.to_pylist() if r["violations"] and r["violations"][0]["actions"])
    assert isinstance(json.loads(first["violations"][0]["actions"][0]["args"]), dict)


def test_bad_lines_are_reported_where_lint_reports_them() -> None:
    table = pa.table({"_file": [0, 0], "_line": [1, 2], "text": ['{"id": 1', None],
                      "_error": [None, "not valid UTF-8: byte 0xff (column 3)"]})
    rows = ArrowLinter(now=NOW, sources=["in.jsonl"])(table).to_pylist()
    assert rows[0]["errors"][0]["message"].startswith("not valid JSON: ")  # the typed column has no location
    assert json.loads(rows[0]["json"])["errors"][0]["message"].startswith("in.jsonl:1: not valid JSON")
    assert json.loads(rows[1]["json"])["errors"][0]["message"] == "in.jsonl:2: not valid UTF-8: byte 0xff (column 3)"
    assert [r["decision"] for r in rows] == ["review", "review"] and [r["worst"] for r in rows] == ["error", "error"]


def test_typed_columns_keep_money_exact() -> None:
    o = order(id="6921345678901234567", total=Decimal("99.10"), region="新疆", claims_free_shipping=True)
    table = pa.Table.from_pylist([o])
    assert pa.types.is_decimal(table.schema.field("total").type)
    row = ArrowLinter(now=NOW, kind="order")(table).to_pylist()[0]
    assert row["id"] == "6921345678901234567"
    assert "freight.remote_free_shipping" in [v["rule"] for v in row["violations"]]


def test_window_kinds_are_deferred_for_the_ordered_task() -> None:
    import rulekit

    assert window_kinds(rulekit.load()) == frozenset({"order"})
    lines = [json.dumps(order(id="o1")), LISTINGS.read_text(encoding="utf-8").splitlines()[0]]
    out = ArrowLinter(now=NOW, defer_windows=True)(pa.table({"_file": [0, 0], "_line": [1, 2], "text": lines}))
    assert out.column("deferred").to_pylist() == [True, False]
    assert out.column("text").to_pylist()[0] == lines[0] and out.column("json").to_pylist()[0] is None
