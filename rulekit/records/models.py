"""Pydantic models of the record types, for the API boundary; they convert with the validators' own converters."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, create_model

from rulekit import types as T
from rulekit import values
from rulekit.records import convert as C
from rulekit.records.registry import RecordRegistry


class RecordModel(BaseModel):
    """Base of the generated record models: unknown input fields are kept (RECORDS.md)."""

    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True, revalidate_instances="never")


def _nullable(check: Any, optional: bool) -> Any:
    """A before-validator: null is null for an optional field, an error for a required one, else `check`."""

    def before(v: Any) -> Any:
        if v is None:
            if optional:
                return None
            raise ValueError(C.NULL_FIELD)
        return check(v)

    return before


def _convert(conv: Any) -> Any:
    def check(v: Any) -> Any:
        try:
            return conv(v)
        except C.Invalid as e:
            raise ValueError(str(e)) from None

    return check


def _shape(kind: str) -> Any:
    def check(v: Any) -> Any:
        if kind == "record" and not isinstance(v, (dict, BaseModel)):
            raise ValueError(C.expected_object(v))
        if kind == "list" and not isinstance(v, list):
            raise ValueError(C.expected_list(v))
        return v

    return check


class ModelBuilder:
    """Builds (and caches) one pydantic model per input record type."""

    def __init__(self, registry: RecordRegistry):
        self.registry = registry
        self.models: dict[str, type[RecordModel]] = {}

    def model(self, name: str) -> type[RecordModel]:
        """The model of record type `name`."""
        m = self.models.get(name)
        if m is None:
            rt = self.registry.types[name]
            fields: dict[str, Any] = {}
            for f in rt.fields.values():
                py = self.annotation(f.type)
                fields[f.name] = (py, values.MISSING) if f.type.optional else (py, ...)
            m = self.models[name] = create_model(f"Record_{name}", __base__=RecordModel, **fields)
        return m

    def annotation(self, t: T.Type) -> Any:
        if t.kind in C.CONVERTERS:
            return Annotated[Any, BeforeValidator(_nullable(_convert(C.CONVERTERS[t.kind]), t.optional))]
        if t.kind == "record" and t.record is not None:
            inner: Any = self.model(t.record)
        elif t.kind == "list" and t.elem is not None:
            elem = self.annotation(t.elem)
            inner = list[elem]  # type: ignore[valid-type]
        else:
            return Any
        return Annotated[inner | None if t.optional else inner, BeforeValidator(_nullable(_shape(t.kind), t.optional))]

    def validate(self, name: str, data: Any) -> tuple[RecordModel | None, str | None]:
        """The model instance, or None and the same message the generated validator gives."""
        if not isinstance(data, dict):
            return None, f"{name}: a record must be a JSON object, not {C.show(data)}"
        try:
            return self.model(name).model_validate(data), None
        except ValidationError as e:
            return None, "; ".join(_explain(name, err) for err in e.errors(include_url=False))


def _explain(kind: str, err: Any) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"])
    t = err["type"]
    if t == "missing":
        return f"{kind}{path}: {C.MISSING_FIELD}"
    if t in ("model_type", "model_attributes_type", "dict_type"):
        return f"{kind}{path}: {C.expected_object(err.get('input'))}"
    if t == "list_type":
        return f"{kind}{path}: {C.expected_list(err.get('input'))}"
    msg = str(err.get("msg", t))
    return f"{kind}{path}: {msg.removeprefix('Value error, ')}"
