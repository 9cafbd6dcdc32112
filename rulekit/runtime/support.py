"""Run-time helpers called by the generated evaluation code: null checks, units, rendering, JSON args."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rulekit import values
from rulekit.values import MISSING

_ONE_US = Decimal("0.000001")

#: A rule-local or policy let not computed yet for this subject (generated code: `_U`).
UNSET: Any = object()


class Undetermined(Exception):
    """A rule cannot be decided for this subject (a null or missing value, a late subject, …)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def undet(value: Any, path: str) -> Any:
    """Raise Undetermined naming the path: `order.paid_at is null`."""
    raise Undetermined(f"{path} is {'missing' if value is MISSING else 'null'}")


def index(seq: list[Any], i: int) -> Any:
    """`seq[i]`, or missing when out of range (negative indexes are out of range)."""
    if 0 <= i < len(seq):
        return seq[i]
    return MISSING


def us(d: timedelta) -> int:
    """A duration in microseconds."""
    return (d.days * 86400 + d.seconds) * 1000000 + d.microseconds


def from_us(n: int | Decimal) -> timedelta:
    """Microseconds (rounded half-up to whole) to a duration."""
    if isinstance(n, Decimal):
        n = int(n.to_integral_value(rounding=ROUND_HALF_UP))
    return timedelta(microseconds=n)


def dur_mul(d: timedelta, k: int | Decimal) -> timedelta:
    """duration * number, exact to the microsecond."""
    return from_us(Decimal(us(d)) * k)


def dur_div(d: timedelta, k: int | Decimal) -> timedelta:
    """duration / number."""
    return from_us(Decimal(us(d)) / k)


def dur_ratio(a: timedelta, b: timedelta) -> Decimal:
    """duration / duration → decimal."""
    return Decimal(us(a)) / Decimal(us(b))


def in_unit(d: timedelta, seconds: int) -> Decimal:
    """A duration in hours/minutes/days as an exact decimal."""
    return Decimal(us(d)) / Decimal(seconds * 1000000)


def ceil(x: int | Decimal) -> int:
    """Smallest int ≥ x."""
    return math.ceil(x)


def floor(x: int | Decimal) -> int:
    """Largest int ≤ x."""
    return math.floor(x)


def round_(x: int | Decimal, places: int = 0) -> Decimal:
    """Round half-up (四舍五入) to `places` decimals."""
    return Decimal(x).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def total(items: list[Any], kind: str) -> Any:
    """`sum(list)`: the exact sum; zero of the item type for an empty list."""
    zero: Any = {"duration": timedelta(0), "int": 0}.get(kind, Decimal(0))
    return sum(items, zero)


def to_date(dt: datetime) -> date:
    """The calendar date of a datetime in the platform's zone (UTC+08:00)."""
    return dt.astimezone(values.PLATFORM_TZ).date()


class RegexBudget(threading.local):
    """The regex time one record may spend, over all its timed `matches()` calls (limit `regex-seconds`); per
    thread, since one engine serves several. The clock starts at the record's first timed search: most records
    have none (searches their bound lets run without a clock, and texts that fail a literal gate), and they never
    read it."""

    seconds = 1.0
    deadline = math.inf
    #: the seconds of a record whose budget has not started yet, else None
    pending: float | None = None

    def start(self, seconds: float) -> None:
        """A new record: its budget starts at its first timed search."""
        self.pending = seconds

    def left(self) -> float:
        """The seconds left to the record (its budget starts now if it had not)."""
        pending = self.pending
        if pending is not None:
            self.pending = None
            self.seconds = pending
            self.deadline = time.monotonic() + pending
            return pending
        if self.deadline == math.inf:  # outside a stream: the whole budget for each search
            return self.seconds
        return self.deadline - time.monotonic()


REGEX_BUDGET = RegexBudget()


# ---- rendering by static type (LANGUAGE §6, §9) ---------------------------------------------


def render(value: Any, kind: str) -> str:
    """Render a value of a static type kind in a message."""
    if kind == "string":
        return value
    if kind == "money":
        return values.render_money(value)
    if kind in ("decimal", "int"):
        return values.render_decimal(value)
    if kind == "duration":
        return values.render_duration(value)
    if kind == "weight":
        return values.render_weight(value)
    if kind == "datetime":
        return values.render_datetime(value)
    if kind == "date":
        return values.render_date(value)
    if kind == "bool":
        return values.render_bool(value)
    if kind == "match":
        return value.text
    return str(value)


def _no_null_items(items: list[Any], what: str) -> None:
    for x in items:
        if x is None or x is MISSING:
            raise Undetermined(f"{what} a {'missing' if x is MISSING else 'null'} item")


def render_list(items: list[Any], kind: str) -> str:
    """Items joined by `、` (the empty list renders as the empty string); a null item is undetermined."""
    _no_null_items(items, "a list shown in the message has")
    return "、".join(render(x, kind) for x in items)


def join(items: list[Any], sep: str, kind: str) -> str:
    """`join(list, sep)`: items rendered as in messages, joined by `sep`; a null item is undetermined."""
    _no_null_items(items, "`join` got")
    return sep.join(render(x, kind) for x in items)


def json_value(value: Any, kind: str) -> Any:
    """A value of a static type kind, JSON-ready for action args: money `"20.00"`, durations in
    seconds, datetimes ISO 8601, decimals as exact Decimal (written as JSON numbers)."""
    if kind == "money":
        return values.money_str(value)
    if kind == "duration":
        return values.duration_seconds(value)
    if kind in ("datetime", "date"):
        return value.isoformat()
    if kind == "weight":
        return value
    if kind == "match":
        return evidence_dict(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value


#: A JSON-ready form of a value of one declared type: `(value) -> JSON value` (the value is neither None nor missing)
JsonOf = Callable[[Any], Any]


def json_of(kind: str, elem: JsonOf | None = None, record: list[tuple[str, JsonOf]] | None = None) -> JsonOf:
    """The JSON form of values of a type, as `json_value` writes arguments of that type: a list element by element
    (null for a null or missing entry), a record as an object of its present fields (`record`: each field's name and form), each field as an argument
    of its own type would be (money a string with two decimals, durations seconds, times ISO 8601)."""
    if kind == "list":
        assert elem is not None
        each = elem
        return lambda v: [None if x is None or x is MISSING else each(x) for x in v]  # a missing field's entry: null
    if kind == "record":
        assert record is not None
        fields = record

        def obj(v: Any) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for name, form in fields:
                x = getattr(v, name)
                if x is not MISSING:
                    out[name] = None if x is None else form(x)
            return out

        return obj
    return lambda v: json_value(v, kind)


def evidence_dict(m: Any) -> dict[str, Any]:
    """A match as the evidence JSON object."""
    return {"field": m.field, "word": m.word, "text": m.text, "start": m.start, "end": m.end,
            "category": m.category, "replacement": m.replacement}
