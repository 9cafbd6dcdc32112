"""Checks a restored window state against the windows of a plan: each key, time and value as its layout says."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from rulekit.records.base import RecordBase
from rulekit.values import MISSING

_SUMMABLE = (int, Decimal, timedelta)
_SCALAR = (str, int, bool, Decimal, timedelta, type(None))


def _fits(value: Any, t: Any) -> bool:
    """Whether a held value has the static type `t` (a field of the windowed record type)."""
    if value is None or value is MISSING:
        return bool(t.optional)
    kind = t.kind
    if kind == "string":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind in ("decimal", "money", "weight"):
        return isinstance(value, Decimal | int) and not isinstance(value, bool)
    if kind == "duration":
        return isinstance(value, timedelta)
    if kind == "datetime":
        return isinstance(value, datetime) and value.tzinfo is not None
    if kind == "date":
        return isinstance(value, date) and not isinstance(value, datetime)
    if kind == "list":
        return isinstance(value, list) and all(_fits(v, t.elem) for v in value) if t.elem is not None else True
    if kind == "record":
        return isinstance(value, RecordBase) and value._kind == t.record
    return True


def check_restored(store: Any, windows: tuple[Any, ...], path: Path, registry: Any) -> None:
    """ValueError naming `path` when a window of the plan holds something its layout cannot: a key of another
    arity, times that are not ints in order, values of another shape (a projection of another length, a record
    of another type, a sum over something that is not a number). Then probes every key's aggregate once."""
    by_id = getattr(store, "_windows", None)
    if by_id is None:
        return  # a store without local state (a shared server) checks its own
    for w in windows:
        window = by_id.get(w.id)
        if window is None:
            continue
        for key, times, vals in window.entries():
            fields = registry.types[w.kind].fields
            problem = _key_problem(key, w) or _times_problem(times) or _values_problem(vals, times, w, fields)
            if problem is None:
                problem = _probe(window, w, key, times[-1])
            if problem is not None:
                raise ValueError(f"{path}: a damaged window-state snapshot: window `{w.id}`: {problem}")


def _key_problem(key: Any, w: Any) -> str | None:
    if not isinstance(key, tuple) or len(key) != len(w.keys) or not all(isinstance(k, _SCALAR) for k in key):
        return "a key that is not a tuple of one value per `by` field"
    return None


def _times_problem(times: Any) -> str | None:
    if not isinstance(times, list) or not times or not all(type(t) is int for t in times):
        return "event times that are not whole microseconds"
    if any(a > b for a, b in zip(times, times[1:], strict=False)):
        return "event times out of order"
    return None


def _values_problem(vals: Any, times: list[int], w: Any, fields: Any) -> str | None:
    if not w.spec.keeps_values and w.func == "count":
        return None if vals is None else "values in a window that keeps none"
    if not isinstance(vals, list) or len(vals) != len(times):
        return "not one value per event time"
    for v in vals:
        if w.projection is not None:
            if not isinstance(v, tuple) or len(v) != len(w.projection):
                return f"a value that is not the {len(w.projection)} fields the window keeps"
            for name, x in zip(w.projection, v, strict=True):
                if name in fields and not _fits(x, fields[name].type):
                    return f"a value of `{w.kind}.{name}` that is not a `{fields[name].type}`"
        elif w.members:
            if not isinstance(v, RecordBase) or v._kind != w.kind:
                return f"a member that is not a `{w.kind}` record"
        elif w.func == "sum" and (not isinstance(v, _SUMMABLE) or isinstance(v, bool)):
            return "a summed value that is not a number, money, weight or duration"
    return None


def _probe(window: Any, w: Any, key: Any, t: int) -> str | None:
    try:
        if w.spec.keeps_values:
            window.values(key, t)
        elif w.func == "sum":
            window.sum(key, t, 0)
        elif w.func == "distinct":
            window.distinct(key, t)
        else:
            window.count(key, t)
    except (TypeError, ValueError, ArithmeticError, AttributeError) as e:
        return f"its entries cannot be aggregated ({type(e).__name__})"
    return None
