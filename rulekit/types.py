"""The type lattice of the language: scalar types, lists, records, optionals (LANGUAGE §3)."""

from __future__ import annotations

from dataclasses import dataclass

SCALARS = ("string", "bool", "int", "decimal", "money", "duration", "weight", "date", "datetime")


@dataclass(frozen=True, slots=True)
class Type:
    """A static type. `kind` is a scalar name, `list`, `record`, `null`, `regex`,
    `wordlist`, `any` (after an error: checks on it are skipped) or `subject`;
    `elem` is the element type of a list; `record` the record type name."""

    kind: str
    elem: Type | None = None
    record: str | None = None
    optional: bool = False

    def __str__(self) -> str:
        if self.kind == "list":
            base = f"list<{self.elem}>"
        elif self.kind == "record":
            base = str(self.record)
        else:
            base = self.kind
        return base + ("?" if self.optional and self.kind not in ("null", "any") else "")

    def opt(self, optional: bool = True) -> Type:
        """The same type, optional or not."""
        if self.optional == optional or self.kind in ("null", "any"):
            return self
        return Type(self.kind, self.elem, self.record, optional)

    def required(self) -> Type:
        """The same type without `?`."""
        return self.opt(False)

    @property
    def numeric(self) -> bool:
        """int or decimal."""
        return self.kind in ("int", "decimal")


STRING = Type("string")
BOOL = Type("bool")
INT = Type("int")
DECIMAL = Type("decimal")
MONEY = Type("money")
DURATION = Type("duration")
WEIGHT = Type("weight")
DATE = Type("date")
DATETIME = Type("datetime")
NULL = Type("null")
ANY = Type("any")
REGEX = Type("regex")
WORDLIST = Type("wordlist")


def list_of(t: Type) -> Type:
    """`list<t>`."""
    return Type("list", elem=t)


def record(name: str) -> Type:
    """The record type `name`."""
    return Type("record", record=name)


MATCH = record("match")


def same_family(a: Type, b: Type) -> bool:
    """Whether two types may be compared: equal kinds, int with decimal, anything with null/any."""
    if a.kind in ("any", "null") or b.kind in ("any", "null"):
        return True
    if a.numeric and b.numeric:
        return True
    if a.kind != b.kind:
        return False
    if a.kind == "list":
        assert a.elem is not None and b.elem is not None
        return same_family(a.elem, b.elem)
    if a.kind == "record":
        return a.record == b.record
    return True


def unify(a: Type, b: Type) -> Type | None:
    """The common type of two branches (`if`, `??`, list items, table rows), or None."""
    if a.kind == "any":
        return b
    if b.kind == "any":
        return a
    if a.kind == "null":
        return b.opt()
    if b.kind == "null":
        return a.opt()
    optional = a.optional or b.optional
    if a.numeric and b.numeric:
        return (DECIMAL if "decimal" in (a.kind, b.kind) else INT).opt(optional)
    if not same_family(a, b):
        return None
    if a.kind == "list":
        assert a.elem is not None and b.elem is not None
        e = unify(a.elem, b.elem)
        return None if e is None else list_of(e).opt(optional)
    return a.opt(optional)


def assignable(value: Type, target: Type) -> bool:
    """Whether a value of type `value` fits where `target` is declared (table rows)."""
    if value.kind == "any" or target.kind == "any":
        return True
    if value.kind == "null":
        return target.optional
    if value.optional and not target.optional:
        return False
    if value.kind == "int" and target.kind == "decimal":
        return True
    if value.kind != target.kind:
        return False
    if value.kind == "list":
        assert value.elem is not None and target.elem is not None
        return assignable(value.elem, target.elem)
    if value.kind == "record":
        return value.record == target.record
    return True
