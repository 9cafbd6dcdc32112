"""Generates a typed JSON decoder per record type: msgspec checks fields in C, a generated step builds the record.

The validators (`records.validate`) take a decoded dict. For a JSON line of a known kind, msgspec can decode
straight into a Struct of the record type's fields, checking strings, bools, ints, numbers and lists of records
while it reads; a generated `t_KIND(struct)` then builds the same slotted record the validator builds. The decoder
is a fast path, never a second set of rules: it accepts only what the validator accepts *unchanged*, and answers
None for anything else (an unknown field, a value of another JSON type, a number beyond the limits, a time
`datetime.fromisoformat` does not read, any problem at all), which the caller reads the usual way. So every
record, and every error message, is the validator's (a property test holds the two to the same records).

What the Struct types (docs/decisions/0004-hot-path.md, "Fifth pass"):

- `string`, `bool`, `int`: the same JSON types the validator keeps as they are (msgspec is strict: `"1"`, `1.0`
  and `true` are not ints).
- `decimal`, `money`, `weight`: `int | Decimal`. An integer stays an int (as the validator keeps it), any other
  number is `Decimal` of its text (what the reader's hook makes); a numeric *string* is `Decimal(s)` as well, which
  is what the validator makes of it (`Decimal(s.strip())`). The limits `number-digits` and `number-exponent`
  and finiteness are checked on the value; a value beyond them goes the usual way, which says why.
- `datetime`: the string, read by `datetime.fromisoformat` here exactly as the validator reads it.
- a list of (non-optional) records: a list of the item type's Struct. Items of a type with only the fields
  above but times are checked now and built on first read (`Pending`), as items read from dicts are; others
  are built now.
- anything else: `Any`, decoded as the dict path decodes it (the same float hook), and checked by the
  validator's own generated lines.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Mapping
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, Rounded
from typing import Any

from rulekit import cache
from rulekit import types as T
from rulekit.records.registry import RecordRegistry, RecordType
from rulekit.records.validate import _NUMERIC, Pending, Validator, _Generator, _record_list, record_class

#: the field types msgspec checks in C (others are `Any` and checked by the validator's lines)
_C_TYPED = ("string", "bool", "int", "datetime", *_NUMERIC)


class _Fallback(Exception):
    """A line the typed decoder leaves to the usual path."""


def _usable(rt: RecordType) -> bool:
    """Whether every field name can be a Struct field and an attribute in generated code."""
    return all(n.isidentifier() and not keyword.iskeyword(n) and not n.startswith("_") for n in rt.fields)


class _TypedGenerator:
    """Writes the Structs and the `t_KIND` builders of one record type and the record types its lists hold."""

    def __init__(self, registry: RecordRegistry, g: dict[str, Any]):
        import msgspec  # only when a typed decoder is asked for

        self.msgspec = msgspec
        self.registry = registry
        self.g = g
        self.validator_lines = _Generator(registry, g, prefix="_lt")
        self.structs: dict[str, Any] = {}
        #: per record type whose fields msgspec checks whole but for the limits of numbers: those (name, optional)
        self.plain: dict[str, list[tuple[str, bool]]] = {}
        self.sources: list[str] = []

    def struct(self, name: str, busy: frozenset[str] = frozenset(), keep: frozenset[str] | None = None) -> Any:
        """The Struct of record type `name` (None when it cannot have one), its builder written; with `keep`, the
        builder checks every field but sets only those (a lean record, as `validate="read"` builds)."""
        if name in self.structs:
            return self.structs[name]
        rt = self.registry.types[name]
        if not _usable(rt):
            return None
        ms = self.msgspec
        fields: list[tuple[str, Any, Any]] = []
        body = [f"def t_{name}(s):", "    E = None", f"    o = C_{name}.__new__(C_{name})", "    p = ''"]
        for f in rt.fields.values():
            kind = f.type.kind
            typ: Any = Any
            elem = None
            if _record_list(f.type) and f.type.elem is not None and f.type.elem.record not in busy:
                elem = self.struct(f.type.elem.record, busy | {name})
                if elem is not None:
                    typ = list[elem]  # type: ignore[valid-type]
            elif kind in _C_TYPED:
                typ = {"string": str, "bool": bool, "int": int, "datetime": str}.get(kind, int | Decimal)
            if f.type.optional and typ is not Any:
                typ = typ | None | ms.UnsetType
            fields.append((f.name, typ, ms.UNSET) if f.type.optional else (f.name, typ))
            body += self.build(f.name, f.type, typ is Any, elem is not None, keep is None or f.name in keep)
        if all(f.type.kind in ("string", "bool", "int", *_NUMERIC) for f in rt.fields.values()):
            self.plain[name] = [(f.name, f.type.optional) for f in rt.fields.values() if f.type.kind in _NUMERIC]
        body += ["    if E is not None: raise _FB", "    return o"]
        self.structs[name] = st = ms.defstruct(f"T_{name}", fields, forbid_unknown_fields=True, gc=False,
                                                         kw_only=True)
        self.g[f"T_{name}"] = st
        self.sources.append("\n".join(body) + "\n")
        return st

    def build(self, name: str, t: T.Type, untyped: bool, records: bool, kept: bool = True) -> list[str]:
        """The lines setting field `name` of the record `o` from the Struct `s` (with `kept` false, the lines that
        check it and none that set it)."""
        lazy = t.kind in _NUMERIC or _record_list(t)
        slot = f"_raw_{name}" if lazy else name
        fetch = [f"    x = s.{name}"]
        if untyped:  # the validator's own lines, on what msgspec decoded as the dict path does
            lines = self.validator_lines.field(name, t, fetch + ["    if x is _U: x = _M"])
            return lines + [f"    o.{slot} = x"] if kept else lines
        convert: list[str] = []
        if records:
            assert t.elem is not None and t.elem.record is not None
            item = t.elem.record
            numbers = self.plain.get(item)
            if numbers is None:  # items with times or untyped fields: built (and so checked) now
                convert = [f"    x = [t_{item}(y) for y in x]"]
            else:  # checked now (the limits of their numbers), built when the list is first read, as from dicts
                convert = []
                if numbers:
                    convert.append("    for y in x:")
                    for n, optional in numbers:
                        convert.append(f"        v = y.{n}")
                        skip = " and v is not _U and v is not None" if optional else ""
                        convert += [f"        if v.__class__ is not int{skip}:", "            _PLUS(v)",
                                    "            if not v.is_finite() or not _LO <= v.adjusted() <= _HI: raise _FB"]
                convert.append(f"    x = _Pending(x, t_{item})")
        elif t.kind in _NUMERIC:
            convert = ["    if x.__class__ is not int:", "        _PLUS(x)",
                       "        if not x.is_finite() or not _LO <= x.adjusted() <= _HI: raise _FB"]
        elif t.kind == "datetime":
            convert = ["    x = _iso(x)", "    if x.tzinfo is None: x = x.replace(tzinfo=_TZ)"]
        store = f"    o.{slot} = x"
        if not kept:  # msgspec has checked its JSON type; what is left to check is the conversion
            if not convert:
                return []
            if not t.optional:
                return [*fetch, *convert]
            return [*fetch, "    if x is not _U and x is not None:", *("    " + ln for ln in convert)]
        if not t.optional:
            return [*fetch, *convert, store]
        if not convert:  # absent is MISSING, null is None, as the validator keeps them
            return [*fetch, "    if x is _U: x = _M", store]
        return [*fetch, "    if x is _U: x = _M", "    elif x is not None:", *("    " + ln for ln in convert), store]


def typed_decoder(validators: Mapping[str, Validator], registry: RecordRegistry, kind: str,
                  float_hook: Callable[[str], Any], number_digits: int, number_exponent: int,
                  keep: frozenset[str] | None = None) -> Callable[[bytes], Any] | None:
    """`decode(line) -> record | None` for JSON lines of `kind`: the record the validator would build from the
    line, or None where the line is to be read the usual way. None when the type cannot be decoded typed.

    `float_hook` reads the numbers of untyped fields (the reader's, with its limits); numbers of typed fields
    are checked against `number_digits` and `number_exponent` here. With `keep` (the fields the policies read,
    `Plan.lean_fields`) every field is still checked, but the record holds only those: what the engine reads of
    it is the same, and the rest is not copied."""
    if kind not in validators or record_class(validators, kind) is None:  # validators of another making
        return None
    g = dict(validators[kind].__globals__)  # the record classes and validators; limits of its own
    gen = _TypedGenerator(registry, g)
    struct = gen.struct(kind, keep=keep)
    if struct is None:
        return None
    limits = Context(prec=number_digits, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[Rounded])
    g.update({"_U": gen.msgspec.UNSET, "_FB": _Fallback, "_Pending": Pending, "_PLUS": limits.plus,
              "_LO": -number_exponent, "_HI": number_exponent})
    src = "\n".join(gen.sources) + "\n" + "\n".join(gen.validator_lines.extra)
    exec(cache.compiled(src, "<rulekit:typed>"), g)  # noqa: S102 - generated from declarations
    read = gen.msgspec.json.Decoder(struct, float_hook=float_hook).decode
    build = g[f"t_{kind}"]

    def decode(line: bytes) -> Any:
        try:
            return build(read(line))
        except Exception:  # noqa: BLE001 - any problem: the usual path reads the line and says what it is
            return None

    return decode
