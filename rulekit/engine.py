"""The engine: a compiled policy set that evaluates subjects one at a time or as streams and returns reports."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rulekit.checker import Program
from rulekit.compiler import KindPlan, Plan, compile_program
from rulekit.intake import Intake
from rulekit.limits import DEFAULT as DEFAULT_LIMITS
from rulekit.limits import Limits
from rulekit.loader import load_program
from rulekit.resources import standard_policies
from rulekit.runtime.report import Report, RuleDescriptor, invalid_report
from rulekit.runtime.windows.store import WindowStore
from rulekit.selection import selected
from rulekit.stream import Stream

if TYPE_CHECKING:
    from rulekit.explain import Explanation
    from rulekit.records.models import ModelBuilder, RecordModel

__all__ = ["Engine", "Stream", "invalid_report", "load"]


class Engine:
    """A compiled policy set. Build it with `rulekit.load(...)`; it is read-only and safe to share."""

    def __init__(self, plan: Plan, *, lateness: timedelta = timedelta(0), limits: Limits = DEFAULT_LIMITS):
        self.compiled = plan
        self.lateness = lateness
        self.limits = limits
        self._models: ModelBuilder | None = None  # pydantic record models: built when first asked for
        self._kinds_with_windows = frozenset(k for k, p in plan.kinds.items() if p.windows)
        #: the stream `evaluate` uses for kinds without window rules: it keeps no state for them (a window kind gets
        #: a fresh stream per call), so one serves every call and every thread
        self._stateless: dict[str, Stream] = {}
        self.intake = Intake(plan)

    # ---- facts ---------------------------------------------------------------------------------
    @property
    def program(self) -> Program:
        """The checked program the plan was compiled from."""
        return self.compiled.program

    @property
    def kinds(self) -> list[str]:
        """The subject kinds this engine knows."""
        return sorted(self.compiled.kinds)

    def rules(self) -> list[RuleDescriptor]:
        """Every rule, in report order."""
        return [r.descriptor for r in self.program.rules()]

    @property
    def diagnostics(self) -> list[Any]:
        """Warnings found while loading (errors raise PolicyError)."""
        return list(self.program.diagnostics)

    def plan(self, kind: str) -> KindPlan:
        """The compiled plan of a kind (its generated source is `plan(kind).source`)."""
        return self.compiled.kinds[kind]

    def record_model(self, kind: str) -> type[RecordModel]:
        """The pydantic model of a record type, for code that builds records before evaluating them."""
        if self._models is None:
            from rulekit.records.models import ModelBuilder  # pydantic is imported only for this

            self._models = ModelBuilder(self.program.registry)
        return self._models.model(kind)

    # ---- records -----------------------------------------------------------------------------------
    def kind_of(self, record: Any, kind: str | None = None) -> tuple[str | None, str | None]:
        """The subject kind of a record (LANGUAGE §8), or None and why it cannot be told."""
        return self.intake.kind_of(record, kind)

    def validate(self, record: Any, kind: str) -> tuple[Any, str | None]:
        """The validated record of a kind, or None and the §6 message naming field and problem."""
        return self.intake.validate(record, kind)

    # ---- evaluation -----------------------------------------------------------------------------
    def evaluate(self, record: Any, *, kind: str | None = None, now: datetime, validate: str = "full") -> Report:
        """Evaluate one subject with empty window state (windows see only this subject).

        `record` is a dict (JSON-like values), a record model, or a record `validate` returned (evaluated as it
        is); `now` is the evaluation time. `validate`: "full"
        (every field of a dict is checked against its type, LANGUAGE §6) or "read" (only the fields the rules
        read; docs/language.md, "Validation of the fields no rule reads")."""
        k = kind if kind is not None and kind in self.compiled.kinds else self.intake.kind_of(record, kind)[0]
        if k is None or k in self._kinds_with_windows:
            return self.stream(now=now, validate=validate).push(record, kind=kind)
        stream = self._stateless.get(validate)
        if stream is None:
            stream = self._stateless[validate] = self.stream(now=now, validate=validate)
        return stream.push(record, kind=k, now=now)

    def evaluate_many(self, records: Iterable[Any], *, kind: str | None = None, now: datetime,
                      validate: str = "full") -> Iterator[Report]:
        """Evaluate records as one stream, in order: one report per record, window state shared (`validate` as for
        `evaluate`)."""
        push = self.stream(now=now, validate=validate).pusher(kind)
        for rec in records:
            yield push(rec)

    def stream(self, *, now: datetime | Callable[[], datetime], store: WindowStore | None = None,
               lateness: timedelta | None = None, limits: Limits | None = None, validate: str = "full") -> Stream:
        """A stream: push records one at a time and get each report; windows span the stream.

        `now` is a datetime (every subject is evaluated at that time, unless `push(now=…)` says otherwise) or a
        clock such as `datetime.now` (read once per subject: a long-running service). `validate` as for
        `evaluate`."""
        return Stream(self.compiled, self.intake, now=now, store=store,
                      lateness=self.lateness if lateness is None else lateness, limits=limits or self.limits,
                      validate=validate)

    def window_kinds(self) -> frozenset[str]:
        """The subject kinds whose rules read windows: their records must be evaluated in order, in one stream."""
        return frozenset(k for k in self.kinds if self.plan(k).windows)

    def explain(self, record: Any, *, kind: str | None = None, now: datetime, stream: Stream | None = None,
                rules: Sequence[str] | None = None) -> Explanation:
        """For one subject: each rule's outcome and the value of every sub-expression of its conditions.

        Without `stream` it is evaluated alone, in a fresh stream: read-only, explaining never changes what the
        engine evaluates afterwards. With a stream of this engine the subject is pushed into it, as `push` would
        (it joins its windows), so window values are the ones that stream's earlier subjects give.
        `rules` (rule or policy ids) limits which rules are explained; every rule is still evaluated."""
        from rulekit.explain import explain  # only for explanations

        return explain(self.compiled, self.intake, record, kind=kind, now=now, stream=stream, rules=rules)


def load(*paths: str | Path, lateness: timedelta = timedelta(0), select: Sequence[str] = (),
         limits: Limits = DEFAULT_LIMITS,
         ignore: Sequence[str] = (), severity: Mapping[str, str] | None = None,
         absent: Mapping[str, Iterable[str]] | None = None) -> Engine:
    """Load, check and compile a policy set (files or directories; none: the standard policies).

    `select`/`ignore` keep only some rules (rule ids, policy ids or globs such as `ad_law.*`); `severity`
    overrides the severity of rules by id. `absent` ({"order": ["weight"]}, an adapter's `absent`) names
    built-in fields that the input does not have: they become optional, and rules that need them are
    undetermined on those records. Raises PolicyError carrying every diagnostic when the policies have errors.
    """
    gaps = {kind: frozenset(fields) for kind, fields in (absent or {}).items()}
    program = load_program(paths or (standard_policies(),), gaps or None)
    if select or ignore or severity:
        program = program.restricted(lambda rid: selected(rid, select, ignore), severity)
    return Engine(compile_program(program), lateness=lateness, limits=limits)


