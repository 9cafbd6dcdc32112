"""Read-only value objects (the report objects): msgspec Structs the garbage collector never tracks."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NoReturn

import msgspec


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


class Value(msgspec.Struct, frozen=True, gc=False, order=True):
    """A read-only record of named fields: construction by keyword (or position, in field order) with defaults,
    equality and order by type and fields, and `model_dump` / `model_copy` / `model_dump_json` as pydantic models
    have them.

    A msgspec Struct (docs/decisions/0004-hot-path.md, "Eighth pass"): built in C in about 70 ns, its fields read
    in about 25 ns, and never tracked by the cyclic garbage collector (`gc=False`), so a million kept reports cost
    the collector nothing. Subclasses declare their fields as annotations, defaults after the required ones."""

    def model_dump(self, *, mode: str = "python") -> dict[str, Any]:
        """The fields as a dict (nested objects as dicts); `mode="json"` makes every value JSON-ready."""
        return {f: dump(getattr(self, f), mode) for f in self.__struct_fields__}

    def model_dump_json(self, *, indent: int | None = None) -> str:
        """The fields as JSON text (UTF-8 kept)."""
        separators = (",", ":") if indent is None else (",", ": ")
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=indent, separators=separators)

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Any:
        """A copy with some fields replaced."""
        if not update:
            return msgspec.structs.replace(self)
        unknown = set(update) - set(self.__struct_fields__)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field " + ", ".join(f"`{k}`" for k in sorted(unknown)))
        return msgspec.structs.replace(self, **update)


def builder(cls: type[Value]) -> Any:
    """A positional constructor of trusted, complete values in field order, for the hot path: the class itself."""
    return cls
