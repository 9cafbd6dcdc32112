"""Record types: the built-ins plus `record` declarations, resolved into one read-only registry."""

from __future__ import annotations

import keyword
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING

from rulekit import types as T
from rulekit.diagnostics import Diagnostic, Span
from rulekit.suggest import did_you_mean

if TYPE_CHECKING:
    from rulekit.syntax import nodes as n

#: Built-in types whose values the runtime makes (`find` returns matches): a policy cannot add fields to them.
RUNTIME_TYPES = frozenset({"match"})


def reserved_field_problem(name: str) -> str | None:
    """Why `name` cannot be a field (E010), or None. Field names become attributes of the record values of both
    validation paths, so Python keywords, names starting with `_` and the attributes of record classes are out."""
    if name.startswith("_"):
        return f"field names cannot start with `_` (`{name}`): rulekit keeps such names for itself"
    if keyword.iskeyword(name):
        return f"`{name}` is a reserved word and cannot be a field name"
    if name in _record_attributes() or name.startswith("model_"):
        return f"`{name}` is the name of a built-in attribute of records and cannot be a field name"
    return None


#: The public attributes of pydantic models (`Engine.record_model`) outside the `model_` namespace pydantic keeps
#: for itself: pydantic v1's methods, still defined in v2 (a test checks this against the installed pydantic).
PYDANTIC_LEGACY = frozenset({"construct", "copy", "dict", "from_orm", "json", "parse_file", "parse_obj", "parse_raw",
                             "schema", "schema_json", "update_forward_refs", "validate"})


@cache
def _record_attributes() -> frozenset[str]:
    from rulekit.records.base import RecordBase

    return frozenset(a for a in dir(RecordBase) if not a.startswith("_")) | PYDANTIC_LEGACY


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """A field of a record type, with where it was declared."""

    name: str
    type: T.Type
    span: Span


@dataclass(frozen=True, slots=True)
class RecordType:
    """A record type: its fields in declaration order and, for subject types, its event-time field."""

    name: str
    fields: Mapping[str, FieldInfo]
    time_field: str | None = None
    builtin: bool = True
    span: Span | None = None

    @property
    def is_subject(self) -> bool:
        """Whether subjects of this type are evaluated (it has an event-time field)."""
        return self.time_field is not None

    @property
    def is_input(self) -> bool:
        """Whether records of this type come from input (table rows, named `policy.table`, do not)."""
        return "." not in self.name


@dataclass(frozen=True, slots=True)
class RecordRegistry:
    """All record types of a policy set (read-only)."""

    types: Mapping[str, RecordType] = field(default_factory=lambda: MappingProxyType({}))

    def subject_kinds(self) -> list[str]:
        """Names of the subject types, sorted."""
        return sorted(k for k, v in self.types.items() if v.is_subject)

    def input_types(self) -> list[RecordType]:
        """The record types that input records can have (subjects and the records nested in them)."""
        return [t for t in self.types.values() if t.is_input]

    def resolve_type(self, ref: n.TypeRef) -> tuple[T.Type, list[Diagnostic]]:
        """The Type of a written type reference."""
        return resolve_type(ref, self.types)


def resolve_type(ref: n.TypeRef, records: Iterable[str]) -> tuple[T.Type, list[Diagnostic]]:
    """The Type of a written type reference, given the names of the record types."""
    if ref.name == "list":
        if ref.arg is None:
            return T.ANY, [Diagnostic("E004", "`list` needs an element type: `list<string>`", ref.span)]
        elem, diags = resolve_type(ref.arg, records)
        return T.list_of(elem).opt(ref.optional), diags
    if ref.arg is not None:
        return T.ANY, [Diagnostic("E004", f"`{ref.name}` takes no type argument", ref.span)]
    if ref.name in T.SCALARS:
        return T.Type(ref.name).opt(ref.optional), []
    names = list(records)
    if ref.name in names:
        return T.record(ref.name).opt(ref.optional), []
    hint = did_you_mean(ref.name, list(T.SCALARS) + ["list"] + names)
    return T.ANY, [Diagnostic("E002", f"unknown type `{ref.name}`", ref.span, hint)]


@dataclass
class _Draft:
    name: str
    fields: dict[str, FieldInfo]
    time_field: str | None
    builtin: bool
    span: Span | None


class RegistryBuilder:
    """Collects record declarations (new types, added fields, table row types) into a RecordRegistry."""

    def __init__(self, absent: Mapping[str, frozenset[str]] | None = None) -> None:
        self._drafts: dict[str, _Draft] = {}
        #: built-in fields the input source does not have (an adapter's `[absent]`): they become optional
        self._absent = absent or {}

    def declare(self, decls: list[n.RecordDecl], builtin: bool = False) -> list[Diagnostic]:
        """Add record declarations; returns the E002–E005 diagnostics they raise."""
        diags: list[Diagnostic] = []
        pending: list[tuple[_Draft, n.FieldDecl]] = []
        for d in decls:
            if not builtin and d.name in RUNTIME_TYPES:
                diags.append(Diagnostic("E010", f"`{d.name}` is built in and made by the runtime (`find` returns it); "
                                        "a policy cannot add fields to it", d.span,
                                        "declare a record of your own for the data you need"))
                continue
            rt = self._drafts.get(d.name)
            if rt is None:
                rt = self._drafts[d.name] = _Draft(d.name, {}, d.time_field, builtin, d.span)
            elif d.time_field is not None and rt.time_field is not None and d.time_field != rt.time_field:
                diags.append(Diagnostic("E005", f"record `{d.name}` already has the event-time field "
                                        f"`{rt.time_field}`", d.span))
            elif d.time_field is not None:
                rt.time_field = d.time_field
            for f in d.fields:
                problem = None if builtin else reserved_field_problem(f.name)
                if problem is not None:
                    diags.append(Diagnostic("E010", problem, f.span, f"rename the field, e.g. `{f.name.strip('_')}_value`"
                                            if f.name.strip("_") else None))
                    continue
                if f.name in rt.fields:
                    prev = rt.fields[f.name]
                    where = "built in" if rt.builtin and prev.span.file.endswith("builtin.rule") else \
                        f"first declared at {prev.span.file}:{prev.span.line}"
                    diags.append(Diagnostic("E005", f"field `{f.name}` of `{d.name}` is defined twice ({where})",
                                            f.span))
                    continue
                rt.fields[f.name] = FieldInfo(f.name, T.ANY, f.span)
                pending.append((rt, f))
        # field types are resolved once every record name is known
        for rt, f in pending:
            ty, problems = resolve_type(f.type, self._drafts)
            diags += problems
            if builtin and f.name in self._absent.get(rt.name, ()):
                ty = ty.opt()
            rt.fields[f.name] = FieldInfo(f.name, ty, f.span)
        for d in decls:
            diags += self._check_subject(d)
        return diags

    def _check_subject(self, d: n.RecordDecl) -> list[Diagnostic]:
        rt = self._drafts[d.name]
        if d.time_field is None:
            return []
        diags = []
        tf = rt.fields.get(d.time_field)
        if tf is None:
            diags.append(Diagnostic("E003", f"record `{d.name}` names `{d.time_field}` as its event time, "
                                    "but has no such field", d.span, f"add `{d.time_field}: datetime` to the record"))
        elif tf.type.kind != "datetime" or tf.type.optional:
            diags.append(Diagnostic("E004", f"the event-time field `{d.time_field}` must be `datetime`, "
                                    f"not `{tf.type}`", tf.span))
        if "id" not in rt.fields:
            diags.append(Diagnostic("E003", f"subject type `{d.name}` needs an `id: string` field", d.span))
        return diags

    def add_row_type(self, name: str, fields: list[FieldInfo], span: Span) -> None:
        """The record type of a table's rows (`policy.table`), so `row.field` checks like a record."""
        self._drafts[name] = _Draft(name, {f.name: f for f in fields}, None, False, span)

    def names(self) -> list[str]:
        """The record type names declared so far."""
        return list(self._drafts)

    def build(self) -> RecordRegistry:
        """The read-only registry of everything declared."""
        return RecordRegistry(MappingProxyType({
            k: RecordType(d.name, MappingProxyType(dict(d.fields)), d.time_field, d.builtin, d.span)
            for k, d in self._drafts.items()}))
