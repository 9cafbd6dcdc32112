"""Generated fast-path validators: well-typed input becomes a slotted record without pydantic.

The pydantic models of `records.py` are the reference: anything the fast path does not accept
as-is (a numeric string, a CSV cell, a wrong type, a missing field) falls back to them, so the
result and every error message are the same whichever path ran.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rulekit import types as T
from rulekit import values
from rulekit.records import RecordRegistry


class _Reject(Exception):
    """The fast path does not take this input; the pydantic path decides."""


def _dt(x: Any) -> datetime:
    if x.__class__ is str:
        d = datetime.fromisoformat(x[:-1] + "+00:00" if x[-1:] in ("Z", "z") else x)
    elif x.__class__ is datetime:
        d = x
    else:
        raise _Reject
    return d if d.tzinfo is not None else d.replace(tzinfo=values.PLATFORM_TZ)


def _date(x: Any) -> date:
    if x.__class__ is str and len(x) == 10:
        return date.fromisoformat(x)
    if x.__class__ is date:
        return x
    raise _Reject


def _num(x: Any) -> Decimal:
    c = x.__class__
    if c is Decimal:
        if not x.is_finite():
            raise _Reject
        return x
    if c is int:
        return Decimal(x)
    if c is float:
        if x != x or x in (float("inf"), float("-inf")):
            raise _Reject
        return Decimal(repr(x))
    raise _Reject


def _slot(name: str, lazy: list[str]) -> str:
    return f"_raw_{name}" if name in lazy else name


def _lazy_number(slot: str) -> property:
    """A number field read through a property: a float input becomes an exact Decimal on first read."""

    def get(self: Any) -> Any:
        v = getattr(self, slot)
        if v.__class__ is float:
            v = Decimal(repr(v))
            setattr(self, slot, v)
        return v

    return property(get)


def _record_list(t: T.Type) -> bool:
    return t.kind == "list" and t.elem is not None and t.elem.kind == "record" and not t.elem.optional


def _lazy_records(slot: str, g: dict[str, Any], builder: str) -> property:
    """A list-of-records field: validated up front, its item objects built on first read."""

    def get(self: Any) -> Any:
        v = getattr(self, slot)
        if v.__class__ is tuple:
            build = g[builder]
            v = [build(i) for i in v]
            setattr(self, slot, v)
        return v

    return property(get)


class RecordBase:
    """Base of the generated slotted record classes (attribute access like the pydantic models)."""

    __slots__ = ()

    _fields: tuple[str, ...] = ()

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._fields)
        return f"{type(self).__name__}({inner})"

    def model_dump(self, mode: str = "python") -> dict[str, Any]:
        """The record as a dict (as pydantic's model_dump)."""
        out: dict[str, Any] = {}
        for k in self._fields:
            v = getattr(self, k)
            if v is values.MISSING:
                continue
            if isinstance(v, RecordBase):
                v = v.model_dump(mode)
            elif isinstance(v, list):
                v = [x.model_dump(mode) if isinstance(x, RecordBase) else x for x in v]
            out[k] = v
        return out


class FastValidators:
    """Compiles one fast validator per record type of a registry."""

    def __init__(self, registry: RecordRegistry):
        self.registry = registry
        self.g: dict[str, Any] = {"_R": _Reject, "_M": values.MISSING, "_dt": _dt, "_date": _date, "_num": _num,
                                  "_D": Decimal, "_RB": RecordBase,
                                  "_iso": datetime.fromisoformat, "_TZ": values.PLATFORM_TZ,
                                  "_INF": float("inf")}
        self._ids = itertools.count()
        self.fns: dict[str, Any] = {}
        src: list[str] = []
        for name in registry.types:
            if "." in name:  # table rows are not input
                continue
            src.append(self._source(name))
        code = compile("\n".join(src), "<rulekit:validators>", "exec")
        exec(code, self.g)  # noqa: S102 - generated from the record declarations
        for name in registry.types:
            if "." not in name:
                self.fns[name] = self.g[f"v_{name}"]

    def _source(self, name: str) -> str:
        rt = self.registry.types[name]
        fields = list(rt.fields.values())
        cls = f"C_{name}"
        lazy = [f.name for f in fields if f.type.kind in ("decimal", "money", "weight") or _record_list(f.type)]
        ns: dict[str, Any] = {"__slots__": tuple(_slot(f.name, lazy) for f in fields),
                              "_fields": tuple(f.name for f in fields)}
        for f in fields:
            if f.type.kind in ("decimal", "money", "weight"):
                ns[f.name] = _lazy_number(_slot(f.name, lazy))
            elif _record_list(f.type):
                ns[f.name] = _lazy_records(_slot(f.name, lazy), self.g, f"v_{f.type.elem.record}")  # type: ignore[union-attr]
        self.g[cls] = type(f"Record_{name}", (RecordBase,), ns)
        out = []
        # v_NAME validates and builds the record; k_NAME only validates (for items built on first read)
        for fn, build in ((f"v_{name}", True), (f"k_{name}", False)):
            lines = [f"def {fn}(d):"] + ([f"    o = {cls}.__new__({cls})"] if build else [])
            for f in fields:
                t = f.type
                get = f"d[{f.name!r}]" if not t.optional else f"d.get({f.name!r}, _M)"
                lines.append(f"    x = {get}")
                conv = self._conv(t.required())
                if t.optional:
                    lines.append("    if x is not None and x is not _M:")
                    lines += ["    " + ln for ln in conv]
                else:
                    lines += conv
                if build:
                    lines.append(f"    o.{_slot(f.name, lazy)} = x")
            lines.append("    return o" if build else "    return True")
            out.append("\n".join(lines) + "\n")
        return "\n".join(out)

    def _conv(self, t: T.Type) -> list[str]:
        k = t.kind
        if k == "string":
            return ["    if x.__class__ is not str: raise _R"]
        if k == "bool":
            return ["    if x.__class__ is not bool: raise _R"]
        if k == "int":
            return ["    if x.__class__ is not int: raise _R"]
        if k in ("decimal", "money", "weight"):
            # ints stay ints (exact; the generated code divides as Decimal); finite floats are kept
            # and become Decimal (through their shortest repr) when the field is first read
            return ["    c = x.__class__",
                    "    if c is float:",
                    "        if x != x or x == _INF or x == -_INF: raise _R",
                    "    elif c is not int: x = _num(x)"]
        if k == "datetime":
            return ["    if x.__class__ is str:",
                    "        x = _iso(x)",
                    "        if x.tzinfo is None: x = x.replace(tzinfo=_TZ)",
                    "    else: x = _dt(x)"]
        if k == "date":
            return ["    x = _date(x)"]
        if k == "record" and t.record is not None:
            return ["    if x.__class__ is not dict: raise _R", f"    x = v_{t.record}(x)"]
        if k == "list" and t.elem is not None:
            e = t.elem
            if e.kind == "record" and e.record is not None and not e.optional:
                # every item is validated now; its record object is built when the list is first read
                return ["    if x.__class__ is not list: raise _R",
                        "    for i in x:",
                        f"        if i.__class__ is not dict or not k_{e.record}(i): raise _R",
                        "    x = tuple(x)"]
            if e.kind == "string" and not e.optional:
                return ["    if x.__class__ is not list: raise _R",
                        "    for i in x:", "        if i.__class__ is not str: raise _R", "    x = list(x)"]
        return ["    raise _R"]  # durations and other rare shapes: the pydantic path

    def validate(self, kind: str, data: Any) -> Any:
        """The fast record, or None when the pydantic path must decide."""
        fn = self.fns.get(kind)
        if fn is None or data.__class__ is not dict:
            return None
        try:
            return fn(data)
        except (_Reject, KeyError, ValueError, TypeError, AttributeError, IndexError):
            return None


def _throw() -> None:
    raise _Reject


_Reject.throw = staticmethod(_throw)  # type: ignore[attr-defined]
