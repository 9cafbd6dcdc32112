"""Takes a record in: tells its subject kind (LANGUAGE §8) and validates it on the plan's one validation path."""

from __future__ import annotations

import sys
from typing import Any

from rulekit.compiler import Plan
from rulekit.records.base import RecordBase
from rulekit.records.validate import validate
from rulekit.suggest import did_you_mean


class Intake:
    """Kind resolution and validation of input records for one plan."""

    def __init__(self, plan: Plan):
        self.plan = plan
        types = plan.program.registry.types
        #: each subject kind with its required fields, for telling a record's kind by its fields
        self._required = [(k, frozenset(f.name for f in types[k].fields.values() if not f.type.optional))
                          for k in plan.kinds]

    def kind_of(self, record: Any, kind: str | None = None) -> tuple[str | None, str | None]:
        """The subject kind of a record (LANGUAGE §8), or None and why it cannot be told.

        `kind` when given, else the record's `"$kind"`, else its `"kind"` when that names a subject type
        with no `kind` field of its own, else the one subject type whose required fields it has."""
        plans = self.plan.kinds
        if kind is None and isinstance(record, dict):
            raw = record.get("$kind")
            if isinstance(raw, str):
                kind = raw
            else:
                raw = record.get("kind")
                types = self.plan.program.registry.types
                if isinstance(raw, str) and raw in plans and "kind" not in types[raw].fields:
                    kind = raw
            if kind is None:
                kind = self._infer_kind(record)
        elif kind is None and isinstance(record, RecordBase):  # a validated record knows its kind
            kind = record._kind
        elif kind is None and _is_model(record, "rulekit.records.models", "RecordModel"):
            kind = type(record).__name__.removeprefix("Record_")
        if kind is None:
            return None, "the record has no kind: give --subject KIND or a \"$kind\" field"
        if kind not in plans:
            hint = did_you_mean(kind, plans)
            return None, f"unknown subject kind `{kind}`" + (f"; {hint}" if hint else "")
        return kind, None

    def _infer_kind(self, record: dict[str, Any]) -> str | None:
        """The one subject type whose required fields a record has."""
        keys = record.keys()
        hits = [k for k, required in self._required if required <= keys]  # set operations, in C
        return hits[0] if len(hits) == 1 else None

    def validate(self, record: Any, kind: str) -> tuple[Any, str | None]:
        """The validated record of a kind, or None and the §6 message naming field and problem."""
        if _is_model(record, "pydantic", "BaseModel"):
            record = record.model_dump()
        return validate(self.plan.validators, kind, record)



def _is_model(record: Any, module: str, cls: str) -> bool:
    """Whether a record is an instance of a pydantic class (an `Engine.record_model` model, any pydantic model);
    pydantic is not imported for this: a program that never imported it has no such records."""
    mod = sys.modules.get(module)
    return mod is not None and isinstance(record, getattr(mod, cls))
