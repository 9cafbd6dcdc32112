"""The engine: loads a policy set, evaluates subjects one at a time or as streams, returns reports."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, DivisionByZero, InvalidOperation, getcontext, localcontext
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from rulekit import values
from rulekit.checker import Program, RuleInfo
from rulekit.compiler import CompiledProgram, Compiler, KindPlan
from rulekit.diagnostics import PolicyError
from rulekit.loader import load_program
from rulekit.report import Report, make_action, make_error, make_evidence, make_report, make_violation
from rulekit.resources import standard_policies
from rulekit.runtime.support import Undetermined, evidence_dict

_EPOCH = datetime(1970, 1, 1, tzinfo=values.PLATFORM_TZ)
_US = timedelta(microseconds=1)


def _t_us(dt: datetime) -> int:
    """Event time in microseconds since the Unix epoch."""
    return (dt - _EPOCH) // _US


class _RuleMeta:
    """Per-rule constants used when building reports."""

    __slots__ = ("id", "policy", "severity", "title")

    def __init__(self, r: RuleInfo):
        self.id = r.id
        self.policy = r.policy
        self.severity = r.severity
        self.title = r.title


class Engine:
    """A compiled policy set. Build it with `rulekit.load(...)`."""

    def __init__(self, compiled: CompiledProgram, *, lateness: timedelta = timedelta(0)):
        self.compiled = compiled
        self.program: Program = compiled.program
        self.lateness = lateness
        self._meta: dict[str, list[_RuleMeta]] = {k: [_RuleMeta(r) for r in plan.rules]
                                                  for k, plan in compiled.kinds.items()}
        fv = self.program.registry.fast_validators()
        #: kind -> fast validator (raises on anything it does not take; the pydantic path then decides)
        self.fast_validators: dict[str, Any] = {k: fv.fns[k] for k in compiled.kinds}

    # ---- facts ---------------------------------------------------------------------------------
    @property
    def kinds(self) -> list[str]:
        """The subject kinds this engine knows."""
        return sorted(self.compiled.kinds)

    def rules(self) -> list[RuleInfo]:
        """Every rule, in report order."""
        return self.program.rules()

    @property
    def diagnostics(self) -> list[Any]:
        """Warnings found while loading (errors raise PolicyError)."""
        return self.program.diagnostics

    def plan(self, kind: str) -> KindPlan:
        """The compiled plan of a kind (its generated source is `plan(kind).source`)."""
        return self.compiled.kinds[kind]

    # ---- evaluation -----------------------------------------------------------------------------
    def evaluate(self, record: Any, *, kind: str | None = None, now: datetime) -> Report:
        """Evaluate one subject with empty window state (windows see only this subject).

        `record` is a dict (JSON-like values) or a pydantic model; `now` is the evaluation time.
        """
        return self.stream(now=now).push(record, kind=kind)

    def evaluate_many(self, records: Iterable[Any], *, kind: str | None = None, now: datetime) -> Iterator[Report]:
        """Evaluate records as one stream, in order: one report per record, window state shared."""
        s = self.stream(now=now)
        push = s.push
        for rec in records:
            yield push(rec, kind=kind)

    def stream(self, *, now: datetime, store: Any = None, lateness: timedelta | None = None) -> Stream:
        """A stream: push records one at a time and get each report; windows span the stream."""
        return Stream(self, now=now, store=store, lateness=self.lateness if lateness is None else lateness)


class Stream:
    """An engine-owned stream of subjects: window state, lateness and event-time watermarks."""

    def __init__(self, engine: Engine, *, now: datetime, store: Any = None, lateness: timedelta = timedelta(0)):
        if now.tzinfo is None:
            now = now.replace(tzinfo=values.PLATFORM_TZ)
        self.engine = engine
        self.now = now
        self.store = store
        self.lateness_us = int(lateness.total_seconds() * 1000000)
        self._max_seen: dict[str, int] = {}
        self.windows: tuple[Any, ...] = ()
        self._late_windows: tuple[Any, ...] = ()
        self._late_view = _LateView()
        if engine.compiled.windows:
            from rulekit.runtime.windows import MemoryWindowStore

            if self.store is None:
                self.store = MemoryWindowStore()
            self._bind()
        self._registry = engine.program.registry
        self._plans = engine.compiled.kinds
        self._fast = engine.fast_validators

    def _bind(self) -> None:
        """Register the program's windows with the store and bind one handle per window."""
        from rulekit.runtime.windows import WindowSpec

        for w in self.engine.compiled.windows:
            try:
                self.store.register(WindowSpec(w.id, w.func, w.within_us))
            except ValueError:
                pass  # already registered (a restored store)
        #: the window handles the generated code reads as `W[i]`
        self.windows = tuple(self.store.window(w.id) for w in self.engine.compiled.windows)
        self._late_windows = (self._late_view,) * len(self.windows)

    def snapshot(self, path: str | Path) -> None:
        """Save the window state (and watermarks) so a restarted service resumes it."""
        import json

        self.store.snapshot(Path(path))
        Path(str(path) + ".meta").write_text(json.dumps({"max_seen": self._max_seen}), encoding="utf-8")

    def restore(self, path: str | Path) -> None:
        """Load window state saved by `snapshot`."""
        import json

        self.store = type(self.store).restore(Path(path))
        meta = Path(str(path) + ".meta")
        if meta.exists():
            self._max_seen = {k: int(v) for k, v in json.loads(meta.read_text(encoding="utf-8"))["max_seen"].items()}
        self._bind()

    def push(self, record: Any, *, kind: str | None = None, from_csv: bool = False) -> Report:
        """Evaluate the next subject of the stream."""
        c = getcontext()
        if c.prec == 28 and c.rounding == ROUND_HALF_EVEN and c.traps[DivisionByZero] and c.traps[InvalidOperation]:
            return self._push(record, kind, from_csv)
        # the host application changed the decimal context: evaluate in the language's own (LANGUAGE §9)
        with localcontext(values.DECIMAL_CONTEXT):
            return self._push(record, kind, from_csv)

    def _push(self, record: Any, kind: str | None, from_csv: bool) -> Report:
        k = kind
        if k is None:
            k = _raw_kind(record)
            if k is None or k not in self._plans:
                k = self._infer_kind(record) or k
        plan = self._plans.get(k) if k is not None else None
        if plan is None:
            raw_id = _raw_id(record)
            if k is None:
                return _invalid(None, raw_id, "the record has no kind: give --subject KIND or a \"kind\" field")
            from rulekit.suggest import did_you_mean

            hint = did_you_mean(k, self._plans)
            return _invalid(k, raw_id, f"unknown subject kind `{k}`" + (f"; {hint}" if hint else ""))
        rec = None
        if not from_csv and record.__class__ is dict:
            try:
                rec = self._fast[k](record)
            except Exception:  # noqa: BLE001 - anything unusual: the pydantic path decides and explains
                rec = None
        if rec is None:
            if isinstance(record, BaseModel) and type(record) is self._registry.model(k):
                rec = record
            else:
                rec, err = self._registry.validate(k, record, from_csv)
                if rec is None:
                    return _invalid(k, _raw_id(record), err or "invalid record")
        tu = 0
        W: Any = None
        if plan.windows:
            ev: datetime = getattr(rec, plan.time_field)
            tu = _t_us(ev)
            W = self.windows
            seen = self._max_seen.get(k)
            late = seen is not None and tu < seen - self.lateness_us
            plan.observe(rec, W, tu)
            if seen is None or tu > seen:
                self._max_seen[k] = seen = tu
                self.store.advance(seen - self.lateness_us)
            if late:
                self._late_view.message = (
                    f"late: event time {ev.isoformat()} is more than the lateness "
                    f"({_dur(self.lateness_us)}) before the latest {k} seen")
                W = self._late_windows
        V, E = plan.evaluate(rec, self.now, W, tu)
        if not V and not E:
            return make_report(kind=k, id=rec.id, decision="allow", violations=[], errors=[])
        return self._report(k, rec.id, V, E, self.engine._meta[k])

    def _infer_kind(self, record: Any) -> str | None:
        """The one subject type whose required fields a record has (when it names no kind)."""
        if not isinstance(record, dict):
            name = type(record).__name__
            if name.startswith("Record_") and name[7:] in self._plans:
                return name[7:]
            return None
        keys = set(record)
        hits = [k for k in self._plans
                if all(f.type.optional or f.name in keys for f in self._registry.types[k].fields.values())]
        return hits[0] if len(hits) == 1 else None

    def _report(self, kind: str, rid: str, V: list[Any], E: list[Any], meta: list[_RuleMeta]) -> Report:
        violations = []
        worst = 0
        for idx, message, actions, evidence in V:
            m = meta[idx]
            sev = m.severity
            if sev == "error":
                worst = 2
            elif sev == "warning" and worst < 1:
                worst = 1
            violations.append(make_violation(
                rule=m.id, policy=m.policy, severity=sev, message=message,
                actions=[make_action(name=a, args=args) for a, args in actions] if actions else [],
                evidence=[make_evidence(**evidence_dict(x)) for x in evidence] if evidence else []))
        errors = [make_error(rule=meta[idx].id, message=msg) for idx, msg in E]
        if errors and worst < 1:
            worst = 1
        return make_report(kind=kind, id=rid, decision=_DECISIONS[worst], violations=violations, errors=errors)


_DECISIONS = ("allow", "review", "block")


class _LateView:
    """Window access for a late subject: every aggregate is undetermined."""

    message = "late"
    store: Any = None

    def _late(self, *args: Any) -> Any:
        raise Undetermined(self.message)

    count = sum = distinct = values = _late


def _dur(us: int) -> str:
    return values.render_duration(timedelta(microseconds=us))


def _raw_id(record: Any) -> str | None:
    if isinstance(record, BaseModel):
        v = getattr(record, "id", None)
    elif isinstance(record, dict):
        v = record.get("id")
    else:
        v = None
    return v if isinstance(v, str) else None


def _raw_kind(record: Any) -> str | None:
    if isinstance(record, dict):
        v = record.get("kind")
        return v if isinstance(v, str) else None
    return None


def _invalid(kind: str | None, rid: str | None, message: str) -> Report:
    return make_report(kind=kind, id=rid, decision="review", violations=[],
                       errors=[make_error(rule=None, message=message)])


def invalid_report(kind: str | None, rid: str | None, message: str) -> Report:
    """A report for an input that could not be read or validated (no violations, one error)."""
    return _invalid(kind, rid, message)


def compile_program(program: Program) -> CompiledProgram:
    """Compile a checked program (raises PolicyError if it has errors)."""
    if not program.ok:
        raise PolicyError(program.diagnostics, program.sources)
    return Compiler(program).compile()


def load(*paths: str | Path, lateness: timedelta = timedelta(0)) -> Engine:
    """Load, check and compile a policy set (files or directories; none: the standard policies).

    Raises PolicyError carrying every diagnostic when the policies have errors.
    """
    program = load_program(paths or (standard_policies(),))
    return Engine(compile_program(program), lateness=lateness)
