"""Input conversion of one field value by type, and how an input value is shown in a validation error (LANGUAGE §6)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from rulekit import values


class Invalid(ValueError):
    """A field value that its type does not accept; the message follows the field path."""


def show(v: Any) -> str:
    """An input value as a user wrote it (JSON spelling, never a Python repr)."""
    if v is None:
        return "null"
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, Decimal):
        return format(v, "f") if v.is_finite() else str(v)
    if isinstance(v, (int, float)):
        return repr(v) if isinstance(v, float) else str(v)
    if isinstance(v, (list, tuple)):
        return "a list"
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, timedelta):
        return values.render_duration(v)
    return "a value of another kind"


def to_string(v: Any) -> str:
    """A string field."""
    if isinstance(v, str):
        return v
    raise Invalid(f"not a string: {show(v)}")


def to_bool(v: Any) -> bool:
    """A bool field: true/false, or the strings `true`/`false` (CSV)."""
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    raise Invalid(f"not true or false: {show(v)}")


def to_int(v: Any) -> int:
    """An int field: an integer, or a whole decimal, float or numeric string."""
    if isinstance(v, bool):
        raise Invalid(f"not an integer: {show(v)}")
    if isinstance(v, int):
        return v
    if isinstance(v, (Decimal, float)) and (not isinstance(v, Decimal) or v.is_finite()) and v == v and \
            v not in (float("inf"), float("-inf")) and v == int(v):
        return int(v)
    if isinstance(v, str) and v.strip().lstrip("-").isdigit():
        return int(v.strip())
    raise Invalid(f"not an integer: {show(v)}")


_NUMBER_WORDS = {"decimal": "number", "money": "money amount", "weight": "weight in kg"}


def to_number(v: Any, kind: str = "decimal") -> Decimal:
    """A decimal, money or weight field: a finite number or numeric string, kept exact."""
    what = _NUMBER_WORDS[kind]
    if isinstance(v, Decimal):
        d = v
    elif isinstance(v, bool) or v is None:
        raise Invalid(f"not a {what}: {show(v)}")
    elif isinstance(v, (int, float, str)):
        try:
            d = values.to_decimal(v)
        except (ValueError, TypeError):
            raise Invalid(f"not a {what}: {show(v)}") from None
    else:
        raise Invalid(f"not a {what}: {show(v)}")
    if not d.is_finite():
        raise Invalid(f"not a finite {what}: {show(v)}")
    return d


def to_duration(v: Any) -> timedelta:
    """A duration field: seconds (a number), or a literal such as `1h30m`."""
    if isinstance(v, timedelta):
        return v
    try:
        if isinstance(v, str) and values.is_duration_literal(v.strip()):
            try:
                return values.parse_duration(v.strip())
            except ValueError as e:  # a literal of more days than a duration holds
                raise Invalid(f"not a duration: {e}") from None
        try:
            d = to_number(v)
        except Invalid:
            raise Invalid(f"not a duration: {show(v)} (seconds, or a literal such as 1h30m)") from None
        return timedelta(seconds=int(d), microseconds=int((d - int(d)) * 1000000))
    except OverflowError:  # timedelta holds less than a billion days
        raise Invalid(f"not a duration: {show(v)} is longer than 999,999,999 days") from None


def to_date(v: Any) -> date:
    """A date field: `2025-06-01` (the date part of a datetime is accepted)."""
    if isinstance(v, str):
        try:
            return values.parse_date(v[:10] if "T" in v else v)
        except ValueError:
            raise Invalid(f"not a date: {show(v)} (write 2025-06-01)") from None
    if isinstance(v, datetime):
        return v.astimezone(values.PLATFORM_TZ).date() if v.tzinfo else v.date()
    if isinstance(v, date):
        return v
    raise Invalid(f"not a date: {show(v)} (write 2025-06-01)")


def to_datetime(v: Any) -> datetime:
    """A datetime field: ISO 8601; without an offset it is read as UTC+08:00."""
    if isinstance(v, str):
        try:
            return values.parse_datetime(v)
        except ValueError:
            raise Invalid(f"not a datetime: {show(v)} (write ISO 8601, e.g. 2025-06-01T10:00:00+08:00)") from None
    if isinstance(v, datetime):
        return v if v.tzinfo is not None else v.replace(tzinfo=values.PLATFORM_TZ)
    if isinstance(v, date):
        return values.date_start(v)
    raise Invalid(f"not a datetime: {show(v)} (write ISO 8601, e.g. 2025-06-01T10:00:00+08:00)")


#: The converter of each scalar type.
CONVERTERS: dict[str, Any] = {
    "string": to_string, "bool": to_bool, "int": to_int,
    "decimal": lambda v: to_number(v, "decimal"), "money": lambda v: to_number(v, "money"),
    "weight": lambda v: to_number(v, "weight"), "duration": to_duration, "date": to_date, "datetime": to_datetime,
}

MISSING_FIELD = "required field is missing"
NULL_FIELD = "is null but the field is required"


def expected_object(v: Any) -> str:
    """The error for a nested record given something other than an object."""
    return f"expected an object, got {show(v)}"


def expected_list(v: Any) -> str:
    """The error for a list field given something other than a list."""
    return f"expected a list, got {show(v)}"
