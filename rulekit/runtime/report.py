"""Report objects (LANGUAGE §6) and rule descriptors: what evaluation returns, as read-only values whose JSON is the spec's."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import msgspec

from rulekit.runtime.value import NONE, Value, builder

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


class Evidence(Value):
    """One text match attached to a violation (LANGUAGE §5)."""

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


class Action(Value):
    """A recommended action with JSON-ready arguments (money as `"20.00"`, durations in seconds)."""

    name: str
    args: dict[str, Any] = msgspec.field(default_factory=dict)


class Violation(Value):
    """A rule that fired for a subject."""

    rule: str
    policy: str
    severity: SeverityLevel
    message: str
    actions: list[Action] = msgspec.field(default_factory=list)
    evidence: list[Evidence] = msgspec.field(default_factory=list)


class EvalError(Value):
    """A rule that could not be evaluated (`rule` set), or an input that failed validation (`rule` null)."""

    rule: str | None
    message: str


class Report(Value):
    """The outcome for one subject: decision, violations (by policy, then rule id) and errors."""

    kind: str | None
    id: str | None
    decision: Decision
    violations: list[Violation] = msgspec.field(default_factory=list)
    errors: list[EvalError] = msgspec.field(default_factory=list)

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
    """The report as LANGUAGE §6 JSON: one line (compact, like `model_dump_json`) unless `indent` is given.

    The one-line form is encoded by msgspec (in C, the same bytes as `json.dumps` with compact separators: a test
    compares them), after exact numbers in action arguments are spelled out; anything msgspec cannot encode goes
    the `json.dumps` way, which says what it is."""
    if indent is None:
        try:
            return _compact(report).decode("utf-8")
        except (TypeError, ValueError, UnicodeEncodeError):  # a lone surrogate, an argument of no JSON type
            pass
    separators = (",", ":") if indent is None else (",", ": ")
    return dumps_exact(report_dict(report), indent=indent, separators=separators)


def report_line(report: Report, errors: str = "strict") -> bytes:
    """`report_json(report)` and a newline, as UTF-8 bytes (what a JSON lines file holds): built as bytes, never
    decoded and encoded again; `errors` is the output's handler for what UTF-8 cannot hold (lone surrogates)."""
    try:
        return _compact(report) + b"\n"
    except (TypeError, ValueError, UnicodeEncodeError):
        return (dumps_exact(report_dict(report), separators=(",", ":")) + "\n").encode("utf-8", errors)


_encode: Any = None


def _compact(report: Report) -> bytes:
    """The one-line JSON as UTF-8, pieced together from cached heads: a report's fixed part per kind, a
    violation's per rule, an action's per name; msgspec encodes the rest (ids, messages, arguments)."""
    global _encode
    if _encode is None:
        import msgspec  # only for JSON output

        _encode = msgspec.json.Encoder().encode
        globals()["_Raw"] = msgspec.Raw
    enc = _encode
    kind, rid, decision, violations, errors = report.kind, report.id, report.decision, report.violations, report.errors
    head = _REPORT_HEAD.get(kind) or _head(_REPORT_HEAD, kind, _report_head)
    if not violations and not errors and decision == "allow":
        return head + enc(rid) + _ALLOW_TAIL
    parts = [head, enc(rid), b',"decision":', _DECISIONS.get(decision) or enc(decision), b',"violations":[']
    for n, v in enumerate(violations):
        rule, policy, severity, message, actions, evidence = v.rule, v.policy, v.severity, v.message, v.actions, v.evidence
        key = (rule, policy, severity)
        parts += (b"," if n else b"", _VIOLATION_HEAD.get(key) or _head(_VIOLATION_HEAD, key, _violation_head),
                  enc(message), b',"actions":[')
        for m, a in enumerate(actions):
            name, args = a.name, a.args
            parts += (b"," if m else b"", _ACTION_HEAD.get(name) or _head(_ACTION_HEAD, name, _action_head),
                      enc(_exact(args) if args else args), b"}")
        parts += (b'],"evidence":', enc([_evidence_dict(e) for e in evidence]) if evidence else b"[]", b"}")
    parts += (b'],"errors":', enc([_error_dict(e) for e in errors]) if errors else b"[]", b"}")
    return b"".join(parts)


def _head(cache: dict[Any, bytes], key: Any, make: Callable[[Any], bytes]) -> bytes:
    if len(cache) >= _HEADS:  # reports built by hand can name anything: the caches stay bounded
        cache.clear()
    head = cache[key] = make(key)
    return head


def _report_head(kind: str | None) -> bytes:
    return b'{"kind":' + _encode(kind) + b',"id":'


def _violation_head(key: tuple[str, str, str]) -> bytes:
    rule, policy, severity = key
    return b'{"rule":' + _encode(rule) + b',"policy":' + _encode(policy) + b',"severity":' + _encode(severity) + \
        b',"message":'


def _action_head(name: str) -> bytes:
    return b'{"name":' + _encode(name) + b',"args":'


_Raw: Any = None
_INF = float("inf")
_HEADS = 4096

#: the fixed parts of a line: a report's start up to its id, per kind; a violation's up to its message, per (rule,
#: policy, severity); an action's up to its arguments, per name
_REPORT_HEAD: dict[Any, bytes] = {}
_VIOLATION_HEAD: dict[Any, bytes] = {}
_ACTION_HEAD: dict[Any, bytes] = {}
_ALLOW_TAIL = b',"decision":"allow","violations":[],"errors":[]}'
_DECISIONS = {d: f'"{d}"'.encode() for d in ("allow", "review", "block")}
_PLAIN = frozenset({str, int, bool, type(None)})


def _exact(value: Any) -> Any:
    """A JSON-ready value for msgspec: Decimals as exact number text (`_json_default`), datetimes ISO 8601."""
    cls = value.__class__
    if cls is str or cls is int or cls is bool or value is None:
        return value
    if cls is float:
        if value != value or value in (_INF, -_INF):
            raise ValueError("not a JSON number")  # json.dumps writes NaN, msgspec null: keep json.dumps's
        return value
    if cls is dict:
        for v in value.values():
            if v.__class__ not in _PLAIN:
                return {k: _exact(v) for k, v in value.items()}
        return value  # strings, integers, booleans and nulls only: msgspec writes them as they are
    if cls is list or cls is tuple:
        return [_exact(v) for v in value]
    if isinstance(value, Decimal):
        out = _json_default(value)
        return out if isinstance(out, int) else _Raw(out.removeprefix(_NUM_MARK))
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


make_report = builder(Report)  # (kind, id, decision, violations, errors)
make_violation = builder(Violation)  # (rule, policy, severity, message, actions, evidence)
make_action = builder(Action)  # (name, args)
make_evidence = builder(Evidence)  # (field, word, text, start, end, category, replacement, deletes)
make_error = builder(EvalError)  # (rule, message)


def invalid_report(kind: str | None, rid: str | None, message: str) -> Report:
    """A report for an input that could not be read or validated (no violations, one error)."""
    return make_report(kind, rid, "review", NONE, [make_error(None, message)])
