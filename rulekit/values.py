"""Value types at run time: money, durations, weights, datetimes; parsing and rendering."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Any

UTC = UTC

#: The platform's zone: datetimes without an offset are read as UTC+08:00.
PLATFORM_TZ = timezone(timedelta(hours=8))

#: Decimal arithmetic of the language: 28 significant digits, half-even (LANGUAGE §9).
DECIMAL_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])

CENT = Decimal("0.01")


class _Missing:
    """The value of a field that is absent from the input (LANGUAGE §4.3)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "missing"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

_DURATION_PART = re.compile(r"(\d+)([wdhms])")
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


DURATION_LITERAL = re.compile(r"(?:\d+[wdhms])+")


def is_duration_literal(text: str) -> bool:
    """Whether `text` is a duration literal such as `1h30m` (digits and units `w d h m s`)."""
    return DURATION_LITERAL.fullmatch(text) is not None


def parse_duration(text: str) -> timedelta:
    """`1h30m` → timedelta. The text must be a valid duration literal."""
    total = 0
    for amount, unit in _DURATION_PART.findall(text):
        if len(amount) > 15:
            raise ValueError(f"duration `{text}` is too long (at most 999,999,999 days)")
        total += int(amount) * _UNIT_SECONDS[unit]
    try:
        return timedelta(seconds=total)
    except OverflowError:
        raise ValueError(f"duration `{text}` is too long (at most 999,999,999 days)") from None


def parse_datetime(text: str) -> datetime:
    """ISO 8601 datetime; without an offset it is read as UTC+08:00; `Z` is UTC."""
    s = text.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=PLATFORM_TZ)
    return dt


def parse_date(text: str) -> date:
    """`2025-06-01` → date."""
    return date.fromisoformat(text.strip())


def date_start(d: date) -> datetime:
    """Midnight at UTC+08:00 of a date: how a date bound of `effective` is read."""
    return datetime(d.year, d.month, d.day, tzinfo=PLATFORM_TZ)


def to_decimal(value: Any) -> Decimal:
    """An exact Decimal from an int, str or float (floats through their shortest repr)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a bool is not a number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation as e:
            raise ValueError(f"not a number: {value!r}") from e
    raise TypeError(f"not a number: {value!r}")


# ---- rendering (messages, LANGUAGE §6 and §9) ------------------------------------


def money_str(value: Decimal | int) -> str:
    """Money as a JSON string: two decimals, half-up (`"99.00"`)."""
    return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def render_money(value: Decimal | int) -> str:
    """Money in a message: `¥20.00`, negative `-¥5.00`."""
    q = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    if q < 0:
        return f"-¥{-q}"
    return f"¥{q}"


def render_decimal(value: Decimal | int) -> str:
    """A decimal in plain notation without trailing zeros (`0.95`, `3`)."""
    if isinstance(value, int):
        return str(value)
    if value == 0:
        return "0"
    s = format(value.normalize(), "f")
    return s


def render_weight(value: Decimal | int) -> str:
    """A weight in kilograms: `1.5kg`."""
    return f"{render_decimal(value)}kg"


def duration_seconds(value: timedelta) -> int | Decimal:
    """A duration as seconds for JSON: an int when whole, else an exact Decimal."""
    if value.microseconds == 0:
        return value.days * 86400 + value.seconds
    return Decimal(value.days * 86400 + value.seconds) + Decimal(value.microseconds) / Decimal(1000000)


def render_duration(value: timedelta) -> str:
    """A duration in literal form, largest units first, `d h m s` only: `2d1h`, `30m`, `0s`."""
    neg = value < timedelta(0)
    if neg:
        value = -value
    secs = duration_seconds(value)
    whole = int(secs)
    frac = secs - whole if isinstance(secs, Decimal) else 0
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        n, whole = divmod(whole, size)
        if n:
            parts.append(f"{n}{unit}")
    if whole or frac or not parts:
        parts.append(f"{render_decimal(whole + frac) if frac else whole}s")
    return ("-" if neg else "") + "".join(parts)


def render_datetime(value: datetime) -> str:
    """ISO 8601 with offset."""
    return value.isoformat()


def render_date(value: date) -> str:
    """`2025-06-01`."""
    return value.isoformat()


def render_bool(value: bool) -> str:
    """`true` / `false`."""
    return "true" if value else "false"
