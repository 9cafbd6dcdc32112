"""JSON Schema of record types, for upstream systems to validate before they send."""

from __future__ import annotations

from typing import Any

from rulekit import types as T
from rulekit.records.registry import RecordRegistry

_SCALAR: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "bool": {"type": "boolean"},
    "int": {"type": "integer"},
    "decimal": {"type": ["number", "string"], "description": "exact decimal; a JSON number or a numeric string"},
    "money": {"type": ["number", "string"], "description": "CNY amount (¥), e.g. 99.5"},
    "weight": {"type": ["number", "string"], "description": "kilograms"},
    "duration": {"type": ["number", "string"], "description": "seconds, or a literal such as 1h30m"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time",
                 "description": "ISO 8601; without an offset it is read as UTC+08:00"},
}


def _schema(t: T.Type, defs: dict[str, Any], reg: RecordRegistry) -> dict[str, Any]:
    if t.kind == "list":
        assert t.elem is not None
        s: dict[str, Any] = {"type": "array", "items": _schema(t.elem, defs, reg)}
    elif t.kind == "record":
        assert t.record is not None
        if t.record not in defs:
            defs[t.record] = {}
            defs[t.record] = _object(t.record, defs, reg)
        s = {"$ref": f"#/$defs/{t.record}"}
    else:
        s = dict(_SCALAR.get(t.kind, {}))
    if t.optional:
        return {"anyOf": [s, {"type": "null"}]}
    return s


def _object(name: str, defs: dict[str, Any], reg: RecordRegistry) -> dict[str, Any]:
    rt = reg.types[name]
    props = {f.name: _schema(f.type, defs, reg) for f in rt.fields.values()}
    required = [f.name for f in rt.fields.values() if not f.type.optional]
    out: dict[str, Any] = {"type": "object", "properties": props, "required": required,
                           "additionalProperties": True}
    if rt.time_field:
        out["description"] = f"subject type `{name}`; event time: `{rt.time_field}`"
    return out


def json_schema(reg: RecordRegistry, name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one record type."""
    defs: dict[str, Any] = {}
    root = _object(name, defs, reg)
    doc: dict[str, Any] = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": name, **root}
    if defs:
        doc["$defs"] = defs
    return doc
