"""Record types: the built-ins plus `record` declarations, as pydantic models that validate input."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, create_model

from rulekit import types as T
from rulekit import values
from rulekit.diagnostics import Diagnostic, Span
from rulekit.syntax import nodes as n

_BUILTIN_FILE = Path(__file__).with_name("builtin_records.rule")


@dataclass(slots=True)
class FieldInfo:
    """A field of a record type, with where it was declared."""

    name: str
    type: T.Type
    span: Span


@dataclass
class RecordType:
    """A record type: its fields, its event-time field (subject types only)."""

    name: str
    fields: dict[str, FieldInfo] = field(default_factory=dict)
    time_field: str | None = None
    builtin: bool = True
    span: Span | None = None

    @property
    def is_subject(self) -> bool:
        """Whether subjects of this type are evaluated (it has an event-time field)."""
        return self.time_field is not None


def _to_datetime(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return values.parse_datetime(v)
        except ValueError:
            raise ValueError(f"not a datetime: {v!r} (write ISO 8601, e.g. 2025-06-01T10:00:00+08:00)") from None
    if isinstance(v, datetime):
        return v if v.tzinfo is not None else v.replace(tzinfo=values.PLATFORM_TZ)
    if isinstance(v, date):
        return values.date_start(v)
    raise ValueError(f"not a datetime: {v!r}")


def _to_date(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return values.parse_date(v[:10] if "T" in v else v)
        except ValueError:
            raise ValueError(f"not a date: {v!r} (write 2025-06-01)") from None
    if isinstance(v, datetime):
        return v.astimezone(values.PLATFORM_TZ).date() if v.tzinfo else v.date()
    if isinstance(v, date):
        return v
    raise ValueError(f"not a date: {v!r}")


def _to_decimal(what: str) -> Any:
    def conv(v: Any) -> Any:
        if isinstance(v, Decimal):
            if not v.is_finite():
                raise ValueError(f"not a finite {what}: {v}")
            return v
        if isinstance(v, bool) or v is None:
            raise ValueError(f"not a {what}: {v!r}")
        if isinstance(v, (int, float, str)):
            try:
                d = values.to_decimal(v)
            except (ValueError, TypeError):
                raise ValueError(f"not a {what}: {v!r}") from None
            if not d.is_finite():
                raise ValueError(f"not a finite {what}: {v!r}")
            return d
        raise ValueError(f"not a {what}: {v!r}")

    return conv


def _to_duration(v: Any) -> Any:
    if isinstance(v, timedelta):
        return v
    if isinstance(v, str):
        s = v.strip()
        if values.is_duration_literal(s):
            return values.parse_duration(s)
    try:
        d = _to_decimal("duration in seconds")(v)
    except ValueError:
        raise ValueError(f"not a duration: {v!r} (seconds, or a literal such as 1h30m)") from None
    return timedelta(seconds=int(d), microseconds=int((d - int(d)) * 1000000))


def _to_int(v: Any) -> Any:
    if isinstance(v, bool):
        raise ValueError(f"not an integer: {v!r}")
    if isinstance(v, int):
        return v
    if isinstance(v, (Decimal, float)) and v == int(v):
        return int(v)
    if isinstance(v, str) and v.strip().lstrip("-").isdigit():
        return int(v.strip())
    raise ValueError(f"not an integer: {v!r}")


def _to_bool(v: Any) -> Any:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    raise ValueError(f"not true or false: {v!r}")


def _to_str(v: Any) -> Any:
    if isinstance(v, str):
        return v
    raise ValueError(f"not a string: {v!r}")


_SCALAR_PY: dict[str, Any] = {
    "string": Annotated[str, BeforeValidator(_to_str)],
    "bool": Annotated[bool, BeforeValidator(_to_bool)],
    "int": Annotated[int, BeforeValidator(_to_int)],
    "decimal": Annotated[Decimal, BeforeValidator(_to_decimal("number"))],
    "money": Annotated[Decimal, BeforeValidator(_to_decimal("money amount"))],
    "weight": Annotated[Decimal, BeforeValidator(_to_decimal("weight in kg"))],
    "duration": Annotated[timedelta, BeforeValidator(_to_duration)],
    "date": Annotated[date, BeforeValidator(_to_date)],
    "datetime": Annotated[datetime, BeforeValidator(_to_datetime)],
}


class _Base(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=False, arbitrary_types_allowed=True,
                              revalidate_instances="never")


class RecordRegistry:
    """All record types of a policy set; builds and caches their pydantic models."""

    def __init__(self) -> None:
        self.types: dict[str, RecordType] = {}
        self._models: dict[str, type[BaseModel]] = {}
        self._fast: Any = None

    # ---- declaration --------------------------------------------------------------
    @classmethod
    def with_builtins(cls) -> RecordRegistry:
        """A registry holding the built-in types of RECORDS.md."""
        from rulekit.syntax.parser import parse

        reg = cls()
        sf, diags = parse(_BUILTIN_FILE.read_text(encoding="utf-8"), str(_BUILTIN_FILE))
        assert sf is not None and not diags, diags
        decls = [i for i in sf.items if isinstance(i, n.RecordDecl)]
        out = reg.declare(decls, builtin=True)
        assert not out, out
        return reg

    def declare(self, decls: list[n.RecordDecl], builtin: bool = False) -> list[Diagnostic]:
        """Add record declarations (new types or fields added to existing ones)."""
        diags: list[Diagnostic] = []
        for d in decls:
            rt = self.types.get(d.name)
            if rt is None:
                rt = RecordType(d.name, time_field=d.time_field, builtin=builtin, span=d.span)
                self.types[d.name] = rt
            elif d.time_field is not None and rt.time_field is not None and d.time_field != rt.time_field:
                diags.append(Diagnostic("E005", f"record `{d.name}` already has the event-time field "
                                        f"`{rt.time_field}`", d.span))
            elif d.time_field is not None:
                rt.time_field = d.time_field
            for f in d.fields:
                if f.name in rt.fields:
                    prev = rt.fields[f.name]
                    where = "built in" if rt.builtin and prev.span.file.endswith("builtin_records.rule") else \
                        f"first declared at {prev.span.file}:{prev.span.line}"
                    diags.append(Diagnostic("E005", f"field `{f.name}` of `{d.name}` is defined twice ({where})",
                                            f.span))
                    continue
                rt.fields[f.name] = FieldInfo(f.name, T.ANY, f.span)
        # resolve field types once every record name is known
        for d in decls:
            rt = self.types[d.name]
            for f in d.fields:
                info = rt.fields.get(f.name)
                if info is None or info.span is not f.span:
                    continue
                ty, problems = self.resolve_type(f.type)
                diags += problems
                info.type = ty
        for d in decls:
            rt = self.types[d.name]
            if d.time_field is not None:
                tf = rt.fields.get(d.time_field)
                if tf is None:
                    diags.append(Diagnostic("E003", f"record `{d.name}` names `{d.time_field}` as its event time, "
                                            "but has no such field", d.span,
                                            f"add `{d.time_field}: datetime` to the record"))
                elif tf.type.kind != "datetime" or tf.type.optional:
                    diags.append(Diagnostic("E004", f"the event-time field `{d.time_field}` must be `datetime`, "
                                            f"not `{tf.type}`", tf.span))
                if "id" not in rt.fields:
                    diags.append(Diagnostic("E003", f"subject type `{d.name}` needs an `id: string` field", d.span))
        self._models.clear()
        self._fast = None
        return diags

    def resolve_type(self, ref: n.TypeRef) -> tuple[T.Type, list[Diagnostic]]:
        """The Type of a written type reference."""
        if ref.name == "list":
            if ref.arg is None:
                return T.ANY, [Diagnostic("E004", "`list` needs an element type: `list<string>`", ref.span)]
            elem, diags = self.resolve_type(ref.arg)
            return T.list_of(elem).opt(ref.optional), diags
        if ref.arg is not None:
            return T.ANY, [Diagnostic("E004", f"`{ref.name}` takes no type argument", ref.span)]
        if ref.name in T.SCALARS:
            return T.Type(ref.name).opt(ref.optional), []
        if ref.name in self.types:
            return T.record(ref.name).opt(ref.optional), []
        from rulekit.suggest import did_you_mean

        names = list(T.SCALARS) + ["list"] + list(self.types)
        return T.ANY, [Diagnostic("E002", f"unknown type `{ref.name}`", ref.span, did_you_mean(ref.name, names))]

    # ---- lookup -------------------------------------------------------------------------
    def subject_kinds(self) -> list[str]:
        """Names of the subject types."""
        return sorted(k for k, v in self.types.items() if v.is_subject)

    def model(self, name: str) -> type[BaseModel]:
        """The pydantic model of a record type (built on first use)."""
        m = self._models.get(name)
        if m is None:
            m = self._build(name, set())
        return m

    def _py_type(self, t: T.Type, seen: set[str]) -> Any:
        if t.kind == "list":
            assert t.elem is not None
            base: Any = list[self._py_type(t.elem, seen)]  # type: ignore[misc]
        elif t.kind == "record":
            assert t.record is not None
            base = self._models.get(t.record) or self._build(t.record, seen)
        elif t.kind in _SCALAR_PY:
            base = _SCALAR_PY[t.kind]
        else:
            base = Any
        return base | None if t.optional else base

    def _build(self, name: str, seen: set[str]) -> type[BaseModel]:
        if name in seen:
            return Any  # type: ignore[return-value]
        seen = seen | {name}
        rt = self.types[name]
        fields: dict[str, Any] = {}
        for f in rt.fields.values():
            py = self._py_type(f.type, seen)
            fields[f.name] = (py, values.MISSING) if f.type.optional else (py, ...)
        model = create_model(f"Record_{name}", __base__=_Base, **fields)
        self._models[name] = model
        return model

    @cached_property
    def _csv_required_strings(self) -> dict[str, set[str]]:
        return {k: {f.name for f in v.fields.values() if f.type.kind == "string" and not f.type.optional}
                for k, v in self.types.items()}

    def fast_validators(self) -> Any:
        """The generated fast-path validators of these types (rulekit.fastvalidate), compiled once."""
        if self._fast is None:
            from rulekit.fastvalidate import FastValidators

            self._fast = FastValidators(self)
        return self._fast

    def validate(self, kind: str, data: Any, from_csv: bool = False) -> tuple[BaseModel | None, str | None]:
        """Validate one input record. Returns the model, or None and a message naming field and problem."""
        if isinstance(data, BaseModel):
            data = data.model_dump()
        if not isinstance(data, dict):
            return None, f"{kind}: a record must be a JSON object, not {type(data).__name__}"
        if not from_csv:
            rec = self.fast_validators().validate(kind, data)
            if rec is not None:
                return rec, None
        else:
            rt = self.types.get(kind)
            nested = [f.name for f in rt.fields.values() if f.type.kind in ("list", "record")
                      and not f.type.optional and data.get(f.name) in (None, "")] if rt else []
            if nested:
                return None, (f"{kind} records cannot come from CSV: `{nested[0]}` is a "
                              f"{'list' if rt.fields[nested[0]].type.kind == 'list' else 'nested record'}; "
                              "give them as JSON or JSON lines")
            data = dict(data)
            for k in self._csv_required_strings.get(kind, ()):
                if data.get(k, "") is None:
                    data[k] = ""
        try:
            return self.model(kind).model_validate(data), None
        except ValidationError as e:
            return None, "; ".join(_explain(kind, err) for err in e.errors(include_url=False))


def _explain(kind: str, err: Any) -> str:
    path = ".".join([kind] + [f"[{p}]" if isinstance(p, int) else str(p) for p in err["loc"]]).replace(".[", "[")
    t = err["type"]
    if t == "missing":
        return f"{path}: required field is missing"
    msg = str(err.get("msg", t))
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if t in ("model_type", "model_attributes_type", "dict_type"):
        msg = f"expected an object, got {err.get('input')!r}"
    elif t == "list_type":
        msg = f"expected a list, got {err.get('input')!r}"
    elif t == "none_required" or (t.endswith("_type") and err.get("input") is None):
        msg = "is null but the field is required"
    return f"{path}: {msg}"
