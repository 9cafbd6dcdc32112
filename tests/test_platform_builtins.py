"""`width`, `business_duration` and the adapter converters, against naive reference implementations."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rulekit
from rulekit.adapters.converters import CONVERTERS, ConvertError
from rulekit.adapters.regions import PROVINCES, short_region
from rulekit.runtime.calendar import business_duration, parse_hours, width
from tests.helpers import codes, diags, write

CST = timezone(timedelta(hours=8))
BASE = datetime(2025, 6, 1, tzinfo=CST)


def conv(name: str, value: object, arg: object = None) -> object:
    return CONVERTERS[name].fn(value, arg)


# ---- business_duration ------------------------------------------------------------------------------------------


def naive_business_minutes(start: int, end: int, spans: list[tuple[int, int]]) -> int:
    """Minutes m in [start, end) (minutes after BASE, a local midnight) whose time of day is inside a span."""
    lo, hi, sign = (start, end, 1) if start <= end else (end, start, -1)
    inside = 0
    for m in range(lo, hi):
        tod = m % 1440
        inside += any(s <= tod < e if s < e else (tod >= s or tod < e) for s, e in spans)
    return sign * inside


@st.composite
def hours(draw: st.DrawFn) -> tuple[str, list[tuple[int, int]]]:
    n = draw(st.integers(1, 3))
    spans = []
    for _ in range(n):
        s = draw(st.integers(0, 1439))
        e = draw(st.integers(0, 1440).filter(lambda e, s=s: e != s))
        spans.append((s, e))
    text = ", ".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in spans)
    return text, spans


@settings(max_examples=300, deadline=None)
@given(hours(), st.integers(0, 4 * 1440), st.integers(0, 4 * 1440))
def test_business_duration_matches_counting_minutes(h: tuple[str, list[tuple[int, int]]], a: int, b: int) -> None:
    text, spans = h
    got = business_duration(BASE + timedelta(minutes=a), BASE + timedelta(minutes=b), text)
    assert got == timedelta(minutes=naive_business_minutes(a, b, spans))


def test_business_duration_examples() -> None:
    at = lambda s: datetime.fromisoformat(s)  # noqa: E731
    assert business_duration(at("2025-06-01T22:59:00+08:00"), at("2025-06-02T08:01:00+08:00"), "08:00-23:00") \
        == timedelta(minutes=2)
    # the zone of the inputs does not matter: service hours are local (UTC+08:00) time
    assert business_duration(at("2025-06-01T14:59:00+00:00"), at("2025-06-02T00:01:00+00:00"), "08:00-23:00") \
        == timedelta(minutes=2)
    assert business_duration(at("2025-06-01T10:00:00+08:00"), at("2025-06-08T10:00:00+08:00"), "00:00-24:00") \
        == timedelta(days=7)
    assert parse_hours("22:00-06:00") == ((0, 6 * 3600 * 10**6), (22 * 3600 * 10**6, 24 * 3600 * 10**6))


@pytest.mark.parametrize("text", ["8-23", "08:00-08:00", "25:00-26:00", "08:60-09:00", "08:00"])
def test_bad_service_hours_are_a_check_error(tmp_path: Path, text: str) -> None:
    ds = diags(tmp_path, f'''
        policy p {{
          rule r on ticket {{
            when business_duration(ticket.opened_at, ticket.first_response_at ?? now, "{text}") > 3m
            message "slow"
          }}
        }}
        ''')
    assert codes(ds) == ["E009"], [d.message for d in ds]
    assert "business_duration" in ds[0].message


def test_service_hours_from_a_let_are_checked_when_evaluated(tmp_path: Path) -> None:
    write(tmp_path, "p.rule", '''
        policy p {
          let service_hours = "8点到23点"
          rule r on ticket {
            when business_duration(ticket.opened_at, ticket.first_response_at ?? now, service_hours) > 3m
            message "slow"
          }
        }
        ''')
    engine = rulekit.load(tmp_path / "p.rule")
    ticket = {"id": "T1", "shop_id": "S1", "kind": "after_sale", "opened_at": "2025-06-01T10:00:00+08:00"}
    report = engine.evaluate(ticket, kind="ticket", now=BASE + timedelta(days=1))
    assert report.errors[0].rule == "p.r"
    assert report.errors[0].message == "business_duration: `8点到23点` is not a span of hours such as 08:00-23:00"


# ---- width ---------------------------------------------------------------------------------------------------


def naive_width(text: str) -> int:
    total = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        total += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return total


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40))
def test_width_matches_the_reference(text: str) -> None:
    assert width(text) == naive_width(text)


def test_width_examples(tmp_path: Path) -> None:
    assert width("纯棉T恤") == 7 and width("ＡＢ") == 4 and width("👍🏻") == 4 and width("é") == 1
    write(tmp_path, "p.rule", '''
        policy p {
          rule short on product {
            when width(product.title) < 16
            message "{width(product.title)}"
          }
        }
        ''')
    engine = rulekit.load(tmp_path / "p.rule")
    product = {"id": "P1", "shop_id": "S1", "title": "真丝连衣裙", "category": "服饰", "price": 1, "stock": 1,
               "no_reason_return": True, "documents": [], "updated_at": "2025-06-01T10:00:00+08:00"}
    assert engine.evaluate(product, kind="product", now=BASE).violations[0].message == "10"


# ---- converters ---------------------------------------------------------------------------------------------


@given(st.integers(-(10**20), 10**20))
def test_fen_is_exact(n: int) -> None:
    assert conv("fen", n) == Decimal(n) / 100
    assert conv("fen", str(n)) == Decimal(n) / 100


@given(st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2, allow_nan=False))
def test_yuan_reads_thousands_separators(d: Decimal) -> None:
    assert conv("yuan", f"{d:,.2f}") == d
    assert conv("yuan", f"¥{d:.2f}") == d


@given(st.integers(0, 4_102_444_800))
def test_epoch_seconds_are_unix_time_at_utc_plus_8(n: int) -> None:
    assert conv("epoch_s", n) == datetime.fromtimestamp(n, tz=CST).isoformat()


def test_converters_refuse_with_a_reason() -> None:
    for name, value in [("yuan", "1,29.00"), ("fen", "12.5"), ("int", "3件"), ("bool", "也许"),
                        ("province", "火星"), ("string", Decimal("1.5")), ("epoch_s", -1), ("local_datetime", "昨天")]:
        with pytest.raises(ConvertError) as e:
            conv(name, value)
        assert "expected" in str(e.value) or "not one of" in str(e.value)
        assert "Decimal(" not in str(e.value) and "None" not in str(e.value)


def test_text_converters() -> None:
    assert conv("strip_tab_quote", "\t6921345678901234567") == "6921345678901234567"
    assert conv("strip_tab_quote", "'6921345678901234567") == "6921345678901234567"
    assert conv("strip_tab_quote", '="6921345678901234567"') == "6921345678901234567"
    assert [conv("dash_is_null", v) for v in ("-", "--", " ", "—", "0")] == [None, None, None, None, "0"]
    assert conv("zero_is_null", 0) is None and conv("zero_is_null", "0.00") is None and conv("zero_is_null", 5) == 5
    assert conv("local_datetime", "2025/6/1 9:05") == "2025-06-01T09:05:00+08:00"
    assert conv("local_datetime", "2025年6月1日 09:05:07") == "2025-06-01T09:05:07+08:00"
    assert conv("local_datetime", "2025-06-01T09:05:07Z") == "2025-06-01T09:05:07+00:00"
    assert conv("string", 3718294056123456789) == "3718294056123456789"
    assert conv("bool", "是") is True and conv("bool", 0) is False


def test_every_province_by_adcode_and_name() -> None:
    for code, (full, short) in PROVINCES.items():
        assert short_region(code) == short_region(full) == short_region(short) == short
        assert short_region(code[:2] + "0100") == short  # a city code inside the province
    assert short_region("新疆维吾尔自治区") == "新疆" and short_region("990000") is None
