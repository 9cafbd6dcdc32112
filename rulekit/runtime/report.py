"""Report models (LANGUAGE §6) and rule descriptors: what evaluation returns, as pydantic models whose JSON is the spec's."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Decision = Literal["block", "review", "allow"]
SeverityLevel = Literal["error", "warning", "info"]


@dataclass(frozen=True, slots=True)
class RuleDescriptor:
    """What everything after the checker knows of a rule: id, title, severity, where it is written."""

    id: str  # `policy.rule`
    policy: str
    name: str
    title: str | None
    subject: str
    severity: str
    file: str
    line: int
    message: str  # the message template as written
    uses_now: bool = False  # reads `now` (directly or through a let)


class Evidence(BaseModel):
    """One text match attached to a violation (LANGUAGE §5)."""

    model_config = ConfigDict(frozen=True)

    field: str | None
    word: str
    text: str
    start: int
    end: int
    category: str | None = None
    replacement: str | None = None
    deletes: bool = False  # a present but empty replacement column: `--fix` deletes the word (not in §6 JSON)

    @property
    def fix(self) -> str | None:
        """The text `--fix` puts in place of the match: the replacement, `""` for a deleting entry, else None."""
        return "" if self.deletes else self.replacement


class Action(BaseModel):
    """A recommended action with JSON-ready arguments (money as `"20.00"`, durations in seconds)."""

    model_config = ConfigDict(frozen=True)

    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class Violation(BaseModel):
    """A rule that fired for a subject."""

    model_config = ConfigDict(frozen=True)

    rule: str
    policy: str
    severity: SeverityLevel
    message: str
    actions: list[Action] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)


class EvalError(BaseModel):
    """A rule that could not be evaluated (`rule` set), or an input that failed validation (`rule` null)."""

    model_config = ConfigDict(frozen=True)

    rule: str | None
    message: str


class Report(BaseModel):
    """The outcome for one subject: decision, violations (by policy, then rule id) and errors."""

    model_config = ConfigDict(frozen=True)

    kind: str | None
    id: str | None
    decision: Decision
    violations: list[Violation] = Field(default_factory=list)
    errors: list[EvalError] = Field(default_factory=list)

    def to_json(self, *, indent: int | None = None) -> str:
        """The report as LANGUAGE §6 JSON (keys in spec order; money as strings, decimals as numbers)."""
        return report_json(self, indent=indent)

    def fired(self) -> list[str]:
        """Ids of the rules that fired."""
        return [v.rule for v in self.violations]

    def worst(self) -> str | None:
        """The worst level for `--fail-on`: `error`, `warning`, `info` or None.

        An input that failed validation counts as an error, an undetermined rule as a warning.
        """
        levels = {v.severity for v in self.violations}
        if any(e.rule is None for e in self.errors):
            levels.add("error")
        elif self.errors:
            levels.add("warning")
        for level in ("error", "warning", "info"):
            if level in levels:
                return level
        return None


def decision(severities: Iterable[str], has_errors: bool) -> Decision:
    """The one decision rule (LANGUAGE §6): block if any violation is `error`, else review if any is
    `warning` or a rule is undetermined or the input invalid, else allow."""
    worst = 0
    for s in severities:
        if s == "error":
            return "block"
        if s == "warning":
            worst = 1
    return "review" if worst or has_errors else "allow"


def decide(violations: list[Violation], errors: list[EvalError]) -> Decision:
    """The decision of a list of violations and errors."""
    return decision((v.severity for v in violations), bool(errors))


# ---- the exact JSON of LANGUAGE §6 ------------------------------------------------------------


def _evidence_dict(e: Evidence) -> dict[str, Any]:
    return {"field": e.field, "word": e.word, "text": e.text, "start": e.start, "end": e.end,
            "category": e.category, "replacement": e.replacement}


def _action_dict(a: Action) -> dict[str, Any]:
    return {"name": a.name, "args": a.args}


def _violation_dict(v: Violation) -> dict[str, Any]:
    return {"rule": v.rule, "policy": v.policy, "severity": v.severity, "message": v.message,
            "actions": [_action_dict(a) for a in v.actions],
            "evidence": [_evidence_dict(e) for e in v.evidence]}


def _error_dict(e: EvalError) -> dict[str, Any]:
    return {"rule": e.rule, "message": e.message}


def report_dict(report: Report) -> dict[str, Any]:
    """The report as the plain dict of LANGUAGE §6, keys in spec order."""
    return {"kind": report.kind, "id": report.id, "decision": report.decision,
            "violations": [_violation_dict(v) for v in report.violations],
            "errors": [_error_dict(e) for e in report.errors]}


_NUM_MARK = "\u0000num:"
_NUM_RE = re.compile(r'"\\u0000num:([-0-9.]+)"')


def _json_default(o: Any) -> Any:
    """Decimals (action arguments) become exact JSON numbers: marked here, unquoted after dumping."""
    if isinstance(o, Decimal):
        if o == o.to_integral_value() and abs(o) < 10**18:
            return int(o)
        return _NUM_MARK + format(o.normalize(), "f")
    if isinstance(o, (datetime, date)):
        return o.isoformat()
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


def dumps_exact(value: Any, *, indent: int | None = None, separators: tuple[str, str] | None = None) -> str:
    """`json.dumps` (UTF-8 text kept) where Decimals are exact JSON numbers and datetimes ISO 8601."""
    text = json.dumps(value, ensure_ascii=False, indent=indent, separators=separators, default=_json_default)
    return _NUM_RE.sub(r"\1", text) if "\\u0000num:" in text else text


def report_json(report: Report, *, indent: int | None = None) -> str:
    """The report as LANGUAGE §6 JSON: one line (compact, like `model_dump_json`) unless `indent` is given."""
    separators = (",", ":") if indent is None else (",", ": ")
    return dumps_exact(report_dict(report), indent=indent, separators=separators)


_set = object.__setattr__


def _builder(cls: type[BaseModel]) -> Any:
    """A constructor that does what `model_construct` does for trusted, complete values, without its
    per-field bookkeeping: reports are built on the hot path of every evaluation."""
    # every field is always given, so one set serves all instances (model_copy only adds field names to it)
    fields = set(cls.model_fields)
    new = cls.__new__

    def build(**values: Any) -> Any:
        obj = new(cls)
        _set(obj, "__dict__", values)
        _set(obj, "__pydantic_fields_set__", fields)
        _set(obj, "__pydantic_extra__", None)
        _set(obj, "__pydantic_private__", None)
        return obj

    return build


make_report = _builder(Report)
make_violation = _builder(Violation)
make_action = _builder(Action)
make_evidence = _builder(Evidence)
make_error = _builder(EvalError)


def invalid_report(kind: str | None, rid: str | None, message: str) -> Report:
    """A report for an input that could not be read or validated (no violations, one error)."""
    return make_report(kind=kind, id=rid, decision="review", violations=[],
                       errors=[make_error(rule=None, message=message)])
