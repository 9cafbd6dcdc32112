"""Classes generated code builds its values with: a table's rows and the records a members window keeps."""

from __future__ import annotations

from typing import Any

# Each class carries `__rulekit_recipe__`: the call that makes it again, which is how a cached plan image
# (compiler/image.py) holds it.


def row_class(name: str, fields: list[str]) -> type:
    """A slotted class for the rows of a multi-result table (`tier.first_kg`)."""

    def init(self: Any, *vals: Any) -> None:
        for k, v in zip(fields, vals, strict=True):
            setattr(self, k, v)

    def rep(self: Any) -> str:
        return f"row({', '.join(repr(getattr(self, k)) for k in fields)})"

    # `__rulekit_recipe__`: how a cached plan image makes the class again (compiler/image.py)
    return type(f"Row_{name}", (), {"__slots__": tuple(fields), "__init__": init, "__repr__": rep,
                                    "__rulekit_recipe__": (row_class, (name, fields))})


_MEMBER_CLASSES: dict[tuple[str, tuple[str, ...]], type] = {}


def member_class(kind: str, fields: tuple[str, ...]) -> type:
    """A slotted class holding the fields of `kind` a members window keeps (one class per kind and fields)."""
    cls = _MEMBER_CLASSES.get((kind, fields))
    if cls is None:
        def init(self: Any, *vals: Any) -> None:
            for f, v in zip(fields, vals, strict=True):
                setattr(self, f, v)

        def eq(self: Any, other: Any) -> bool:
            return type(other) is type(self) and all(getattr(self, f) == getattr(other, f) for f in fields)

        def rep(self: Any) -> str:
            return f"{kind}({', '.join(f'{f}={getattr(self, f)!r}' for f in fields)})"

        cls = type(f"Member_{kind}", (), {"__slots__": fields, "__init__": init, "__eq__": eq, "__hash__": None,
                                          "__repr__": rep, "_kind": kind,
                                          "__rulekit_recipe__": (member_class, (kind, fields))})
        _MEMBER_CLASSES[(kind, fields)] = cls
    return cls
