"""The one table of adapter converters: each turns a source value (a cell string or a JSON value) into a record value."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from rulekit.adapters.regions import short_region
from rulekit.values import PLATFORM_TZ


class ConvertError(ValueError):
    """A value a converter cannot take; the message says what was expected (the caller adds where)."""


@dataclass(frozen=True, slots=True)
class Converter:
    """A converter: its name, what its argument is (None: it takes none), the function and one line of help."""

    name: str
    argument: str | None
    fn: Callable[[Any, Any], Any]
    doc: str


def shown(value: Any) -> str:
    """A source value as a user reads it in an error message (no Python reprs)."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"`{value}`" if value.strip() else "blank"
    if isinstance(value, (int, Decimal)):
        return f"`{value}`"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"`{value}`"


_THOUSANDS = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_INTEGER = re.compile(r"[+-]?\d+")
_DASHES = frozenset({"-", "--", "—", "——", "－", "－－"})
_LOCAL = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?")


def _text(value: Any, what: str) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ConvertError(f"expected {what}, got {shown(value)}")
    return str(value)


def _number(value: Any, what: str) -> Decimal:
    if isinstance(value, bool):
        raise ConvertError(f"expected {what}, got {shown(value)}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        return value
    text = _text(value, what).replace("¥", "").replace("￥", "").replace(" ", "")
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    if not _NUMBER.fullmatch(text):
        raise ConvertError(f"expected {what}, got {shown(value)}")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ConvertError(f"expected {what}, got {shown(value)}") from None


def _whole(value: Any, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise ConvertError(f"expected {what}, got {shown(value)}")
        return int(value)
    text = _text(value, what)
    if _THOUSANDS.fullmatch(text) and "." not in text:
        text = text.replace(",", "")
    if not _INTEGER.fullmatch(text):
        raise ConvertError(f"expected {what}, got {shown(value)}")
    return int(text)


#: the Unix epoch, 1970-01-01T00:00Z, in the platform's zone (so converted times carry +08:00)
_EPOCH = datetime(1970, 1, 1, 8, tzinfo=PLATFORM_TZ)


def _iso(dt: datetime) -> str:
    return dt.isoformat()


# ---- the converters --------------------------------------------------------------------------------------------


def _trim(value: Any, _: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _strip_tab_quote(value: Any, _: Any) -> Any:
    """`\\t7394…`, `'7394…` and `="7394…"`: how exports keep long ids as text in spreadsheet software."""
    if not isinstance(value, str):
        return value
    text = value.strip().lstrip("\t'`").strip()
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1]
    return text


def _dash_is_null(value: Any, _: Any) -> Any:
    if isinstance(value, str) and (value.strip() in _DASHES or not value.strip()):
        return None
    return value


def _zero_is_null(value: Any, _: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, Decimal)) and value == 0:
        return None
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()) and Decimal(value.strip()) == 0:
        return None
    return value


def _string(value: Any, _: Any) -> Any:
    if isinstance(value, Decimal):
        if value != value.to_integral_value() or "E" in str(value) or "." in str(value):
            raise ConvertError(f"expected an id or a text, got the number {shown(value)}, which is not exact")
        return str(int(value))
    return _text(value, "an id or a text")


def _int(value: Any, _: Any) -> Any:
    return _whole(value, "a whole number")


def _decimal(value: Any, _: Any) -> Any:
    return _number(value, "a number")


def _yuan(value: Any, _: Any) -> Any:
    return _number(value, "an amount in yuan such as 12.50 or 1,299.00")


def _fen(value: Any, _: Any) -> Any:
    return Decimal(_whole(value, "an amount in fen (a whole number)")).scaleb(-2)


def _thousands(value: Any, _: Any) -> Any:
    if isinstance(value, str) and _THOUSANDS.fullmatch(value.strip()):
        return value.strip().replace(",", "")
    return value


def _epoch(scale: int) -> Callable[[Any, Any], Any]:
    def convert(value: Any, _: Any) -> Any:
        n = _whole(value, "a Unix time in " + ("seconds" if scale == 1 else "milliseconds"))
        if n < 0:
            raise ConvertError(f"expected a Unix time, got the negative number {shown(value)}")
        try:
            dt = _EPOCH + (timedelta(seconds=n) if scale == 1 else timedelta(milliseconds=n))
        except OverflowError:
            raise ConvertError(f"expected a Unix time, got {shown(value)}, which is out of range") from None
        return _iso(dt)

    return convert


def _local_datetime(value: Any, fmt: Any) -> Any:
    """`2025-06-01 10:00:00` (also `/`, `.` or 年月日, seconds optional, an ISO offset kept) as UTC+08:00."""
    if isinstance(value, datetime):
        return _iso(value if value.tzinfo else value.replace(tzinfo=PLATFORM_TZ))
    text = _text(value, "a local date and time such as 2025-06-01 10:00:00")
    if fmt:
        try:
            dt = datetime.strptime(text, str(fmt))
        except ValueError:
            raise ConvertError(f"expected a date and time in the form {fmt}, got {shown(value)}") from None
        return _iso(dt if dt.tzinfo else dt.replace(tzinfo=PLATFORM_TZ))
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return _iso(dt if dt.tzinfo else dt.replace(tzinfo=PLATFORM_TZ))
    except ValueError:
        pass
    m = _LOCAL.fullmatch(text)
    if m is None:
        raise ConvertError(f"expected a local date and time such as 2025-06-01 10:00:00, got {shown(value)}")
    y, mo, d, h, mi, s, frac = m.groups()
    try:
        dt = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0),
                      int((frac or "0").ljust(6, "0")), tzinfo=PLATFORM_TZ)
    except ValueError:
        raise ConvertError(f"expected a date and time, got {shown(value)}, which is no day on the calendar") from None
    return _iso(dt)


_TRUE = frozenset({"1", "true", "yes", "y", "是", "有", "支持", "√"})
_FALSE = frozenset({"0", "false", "no", "n", "否", "无", "不支持", "×"})


def _bool(value: Any, _: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = _text(value, "yes or no (是/否, true/false, 1/0)").lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConvertError(f"expected yes or no (是/否, true/false, 1/0), got {shown(value)}")


def _json(value: Any, _: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value, parse_float=Decimal)
    except ValueError:
        raise ConvertError(f"expected a JSON text, got {shown(value[:40])}") from None


def _province(value: Any, _: Any) -> Any:
    text = _text(value, "a province name or adcode")
    region = short_region(text)
    if region is None:
        raise ConvertError(f"expected a province name (新疆维吾尔自治区, 新疆) or adcode (650000), got {shown(value)}")
    return region


def _is_zero(value: Any, _: Any) -> Any:
    return _number(value, "a number") == 0


def _not(value: Any, _: Any) -> Any:
    if not isinstance(value, bool):
        raise ConvertError(f"expected true or false, got {shown(value)}")
    return not value


def _default(value: Any, fallback: Any) -> Any:
    return fallback if value is None else value


def _null_if(value: Any, marker: Any) -> Any:
    return None if value == marker or (isinstance(value, str) and value.strip() == str(marker)) else value


def _map(value: Any, table: Any) -> Any:
    """Looks the value up in one of the adapter's `[maps]` (numbers and their digit strings are the same key)."""
    name, entries = table
    key = value.strip() if isinstance(value, str) else _text(value, "a code or a label")
    if key in entries:
        return entries[key]
    if "else" in entries:
        return entries["else"]
    known = ", ".join(k for k in entries if k != "else")
    raise ConvertError(f"{shown(value)} is not one of {known} (map `{name}`)")


CONVERTERS: Mapping[str, Converter] = {c.name: c for c in (
    Converter("trim", None, _trim, "strip surrounding spaces"),
    Converter("strip_tab_quote", None, _strip_tab_quote,
              "drop the leading tab, `'` or `=\"…\"` that keeps a long id as text in spreadsheets"),
    Converter("dash_is_null", None, _dash_is_null, "`-`, `--`, `—` or a blank cell is null"),
    Converter("zero_is_null", None, _zero_is_null, "0 is null (抖店 times: 0 means it has not happened)"),
    Converter("string", None, _string, "an exact text; whole numbers (ids above 2^53 too) become their digits"),
    Converter("int", None, _int, "a whole number (thousands separators allowed)"),
    Converter("decimal", None, _decimal, "an exact decimal number"),
    Converter("yuan", None, _yuan, "money in yuan: `12.50`, `1,299.00`, `¥12.5`"),
    Converter("fen", None, _fen, "money in fen, a whole number that may be negative: 1250 → 12.50"),
    Converter("thousands", None, _thousands, "drop thousands separators from a number written as text"),
    Converter("epoch_s", None, _epoch(1), "Unix seconds → a datetime at UTC+08:00"),
    Converter("epoch_ms", None, _epoch(1000), "Unix milliseconds → a datetime at UTC+08:00"),
    Converter("local_datetime", "a strptime format (optional)", _local_datetime,
              "a local time without offset (`2025-06-01 10:00:00`, `2025/6/1 10:00`) read as UTC+08:00"),
    Converter("bool", None, _bool, "是/否, true/false, 1/0 → true or false"),
    Converter("json", None, _json, "a JSON text inside a field (抖店 `promise_info`) → its value"),
    Converter("province", None, _province, "province name or adcode → the short region name (`新疆`)"),
    Converter("is_zero", None, _is_zero, "true when the number is 0 (free shipping from a zero freight)"),
    Converter("not", None, _not, "negate true/false"),
    Converter("default", "the value for null", _default, "the given value when the value is null"),
    Converter("null_if", "the value that means null", _null_if, "null when the value is the given one"),
    Converter("map", "the name of a table under [maps]", _map, "a code or label → the record's value"),
)}
