"""The base class of validated record values (kept apart so that the registry can name its attributes)."""

from __future__ import annotations

from typing import Any

from rulekit import values


class RecordBase:
    """Base of the generated slotted record classes: attribute access to the declared fields."""

    __slots__ = ()

    _fields: tuple[str, ...] = ()
    _kind: str = ""

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._fields)
        return f"{self._kind}({inner})"

    def model_dump(self, mode: str = "python") -> dict[str, Any]:
        """The record as a dict of its present fields (as pydantic's `model_dump`)."""
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
