"""Run-time helpers for `width` (display width of text) and `business_duration` (time inside daily service hours)."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from functools import lru_cache

from rulekit.runtime.support import Undetermined
from rulekit.values import PLATFORM_TZ

_DAY_US = 86_400_000_000
_HOURS = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")
#: local midnight of 1970-01-01 at UTC+08:00: days of service hours are counted from it
_ORIGIN = datetime(1970, 1, 1, tzinfo=PLATFORM_TZ)

Hours = tuple[tuple[int, int], ...]  # intervals of the day in microseconds since local midnight, sorted, disjoint


@lru_cache(maxsize=256)
def parse_hours(text: str) -> Hours:
    """`08:00-23:00` (or several, comma-separated: `09:00-12:00, 13:30-18:00`; `22:00-06:00` runs past midnight;
    `24:00` ends the day) as intervals of the day; ValueError saying what is wrong."""
    spans: list[tuple[int, int]] = []
    for part in text.replace("，", ",").split(","):
        m = _HOURS.fullmatch(part)
        if m is None:
            raise ValueError(f"`{part.strip()}` is not a span of hours such as 08:00-23:00")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        for h, mi in ((h1, m1), (h2, m2)):
            if mi > 59 or h > 24 or (h == 24 and mi):
                raise ValueError(f"`{h}:{mi:02d}` is no time of day (00:00 to 24:00)")
        start, end = (h1 * 60 + m1) * 60_000_000, (h2 * 60 + m2) * 60_000_000
        if start == end:
            raise ValueError(f"`{part.strip()}` is empty; write 00:00-24:00 for the whole day")
        spans += [(start, end)] if start < end else [(start, _DAY_US), (0, end)]
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return tuple(merged)


def _before(hours: Hours, tod: int) -> int:
    """Service time in [midnight, tod) of one day."""
    return sum(min(e, tod) - s for s, e in hours if s < tod)


def _service_us(t: datetime, hours: Hours, per_day: int) -> int:
    """Service time in microseconds from the origin to `t` (local days at UTC+08:00)."""
    d = t - _ORIGIN
    total = (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds
    days, tod = divmod(total, _DAY_US)
    return days * per_day + _before(hours, tod)


def business_duration(start: datetime, end: datetime, text: str) -> timedelta:
    """The part of `end - start` that falls within the daily service hours (`"08:00-23:00"`, at UTC+08:00);
    negative when `end` is before `start`, like `end - start`. Hours that do not parse make the rule undetermined."""
    try:
        hours = parse_hours(text)
    except ValueError as e:
        raise Undetermined(f"business_duration: {e}") from None
    per_day = _before(hours, _DAY_US)
    return timedelta(microseconds=_service_us(end, hours, per_day) - _service_us(start, hours, per_day))


@lru_cache(maxsize=4096)
def _char_width(ch: str) -> int:
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def width(text: str) -> int:
    """Display width as Chinese platforms count title length: a CJK (wide or full-width) character 2, other
    characters 1, combining marks and format characters (zero-width joiners, variation selectors) 0."""
    if text.isascii():
        return len(text)
    return sum(_char_width(ch) for ch in text)
