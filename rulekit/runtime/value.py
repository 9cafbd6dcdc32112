"""Read-only value objects (the report objects): tuples with named fields, built in about 0.2 µs each."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import Any, ClassVar, NoReturn

_new = tuple.__new__
_MISSING = object()


def dump(value: Any, mode: str) -> Any:
    """A value as `model_dump` gives it: value objects and records as dicts; in json mode, JSON-ready values."""
    if isinstance(value, Value):
        return value.model_dump(mode=mode)
    if isinstance(value, list | tuple):
        return [dump(v, mode) for v in value]
    if isinstance(value, dict):
        return {k: dump(v, mode) for k, v in value.items()}
    md = getattr(value, "model_dump", None)
    if md is not None and not isinstance(value, type):
        return md(mode=mode)
    if mode == "json":
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, timedelta):
            return value.total_seconds()
    return value


class FrozenList(list):  # type: ignore[type-arg]
    """A list that cannot change: the one empty list every allowed report shares (no allocation per report)."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("this list belongs to a report and cannot change; copy it with list(...)")

    append = extend = insert = remove = pop = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> Any:
        return (list, (list(self),))


#: the shared empty violations and errors of reports
NONE: list[Any] = FrozenList()


class Value(tuple):  # type: ignore[type-arg]
    """A read-only record of named fields: keyword construction with defaults, equality by type and fields, and
    `model_dump` / `model_copy` / `model_dump_json` as pydantic models have them.

    Subclasses name their fields in `_fields` (and the defaults of optional ones in `_defaults`, a callable for
    a fresh list); each field becomes a property reading its slot of the tuple."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for i, name in enumerate(cls._fields):
            setattr(cls, name, property(itemgetter(i), doc=f"field {i}: {name}"))

    def __new__(cls, **values: Any) -> Any:
        out = []
        for name in cls._fields:
            v = values.pop(name, _MISSING)
            if v is _MISSING:
                d = cls._defaults.get(name, _MISSING)
                if d is _MISSING:
                    raise TypeError(f"{cls.__name__}: the field `{name}` is required")
                v = d() if callable(d) else d
            out.append(v)
        if values:
            raise TypeError(f"{cls.__name__} has no field " + ", ".join(f"`{k}`" for k in sorted(values)))
        return _new(cls, out)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return tuple.__eq__(self, other)  # type: ignore[operator]

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = tuple.__hash__

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + ", ".join(f"{f}={v!r}" for f, v in zip(self._fields, self, strict=True)) + ")"

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), tuple(self)))

    def model_dump(self, *, mode: str = "python") -> dict[str, Any]:
        """The fields as a dict (nested objects as dicts); `mode="json"` makes every value JSON-ready."""
        return {f: dump(v, mode) for f, v in zip(self._fields, self, strict=True)}

    def model_dump_json(self, *, indent: int | None = None) -> str:
        """The fields as JSON text (UTF-8 kept)."""
        separators = (",", ":") if indent is None else (",", ": ")
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=indent, separators=separators)

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Any:
        """A copy with some fields replaced."""
        values = dict(zip(self._fields, self, strict=True))
        if update:
            unknown = set(update) - set(self._fields)
            if unknown:
                raise TypeError(f"{type(self).__name__} has no field " + ", ".join(f"`{k}`" for k in sorted(unknown)))
            values.update(update)
        return _new(type(self), [values[f] for f in self._fields])


def _rebuild(cls: type[Value], values: tuple[Any, ...]) -> Any:
    return _new(cls, values)


def builder(cls: type[Value]) -> Any:
    """A positional constructor of trusted, complete values in field order, for the hot path (no checks)."""
    args = ", ".join(cls._fields)
    ns: dict[str, Any] = {"_new": _new, "cls": cls}
    exec(f"def make({args}):\n    return _new(cls, ({args},))\n", ns)  # noqa: S102 - the class's own field names
    return ns["make"]
