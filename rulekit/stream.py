"""A stream of subjects through an engine: window state, event-time watermarks and lateness per record type."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, DivisionByZero, InvalidOperation, getcontext, localcontext
from functools import partial
from operator import attrgetter
from pathlib import Path
from typing import Any

from rulekit import values
from rulekit.compiler import Plan
from rulekit.intake import Intake
from rulekit.limits import DEFAULT as DEFAULT_LIMITS
from rulekit.limits import Limits
from rulekit.records.validate import InvalidRecord, record_class, validate
from rulekit.runtime.report import (
    Report,
    decision,
    invalid_report,
    make_action,
    make_error,
    make_evidence,
    make_report,
    make_violation,
)
from rulekit.runtime.support import REGEX_BUDGET, Undetermined
from rulekit.runtime.value import NONE
from rulekit.runtime.windows.check import check_restored
from rulekit.runtime.windows.memory import MemoryWindowStore
from rulekit.runtime.windows.store import WindowStore

_EPOCH = datetime(1970, 1, 1, tzinfo=values.UTC)
_US = timedelta(microseconds=1)


def event_us(dt: datetime) -> int:
    """An aware datetime as microseconds since the Unix epoch (1970-01-01T00:00Z)."""
    return (dt - _EPOCH) // _US


class _LateView:
    """Window access for a late subject: every aggregate is undetermined."""

    message = "late"

    def _late(self, *args: Any) -> Any:
        raise Undetermined(self.message)

    count = sum = distinct = values = add = _late


Clock = Callable[[], datetime]


def _aware(now: datetime) -> datetime:
    if not isinstance(now, datetime):
        raise TypeError(f"`now` must be a datetime, not {type(now).__name__}")
    return now if now.tzinfo is not None else now.replace(tzinfo=values.PLATFORM_TZ)


class SnapshotMismatch(ValueError):
    """A snapshot written by another policy set, or whose windows do not match these policies' specs: its windows
    would not mean what these policies read. (Other damage is a plain ValueError naming the file.)"""


class Stream:
    """A plan's stream of subjects, in arrival order; window rules see the subjects pushed before.

    The evaluation time: `now` given to `push`, else the stream's clock. The clock is the `now` the stream was
    made with: a datetime (a batch: every subject sees the same time) or a function returning one (a service:
    `datetime.now`, read once per subject). A naive datetime is platform time (+08:00).
    """

    def __init__(self, plan: Plan, intake: Intake, *, now: datetime | Clock, store: WindowStore | None = None,
                 lateness: timedelta = timedelta(0), limits: Limits = DEFAULT_LIMITS, validate: str = "full"):
        self._clock: Clock | None = None
        if callable(now) and not isinstance(now, datetime):
            self._clock = now
            now = _aware(now())
        self.intake = intake
        self.now = _aware(now)
        self._now_us = event_us(self.now)
        self.store: WindowStore = store if store is not None else MemoryWindowStore()
        self.lateness_us = int(lateness.total_seconds() * 1000000)
        self.limits = limits
        self._skew_us = limits.max_clock_skew // _US
        #: per record type with windows, the largest event time seen so far (LANGUAGE §9): one box each, read and
        #: set by its step; `_restored` seeds them (a snapshot's)
        self._seen: dict[str, list[int | None]] = {}
        self._restored: dict[str, int] = {}
        self._plan = plan
        if validate not in ("full", "read"):
            raise ValueError(f"validate must be \"full\" or \"read\", not {validate!r}")
        #: dicts are validated whole (LANGUAGE §6), or only in the fields the rules read (`validate="read"`)
        self._validators = plan.validators if validate == "full" else plan.read_validators()
        self._late_view = _LateView()
        self._window_rule_index: dict[str, tuple[int, ...]] = {}
        self.windows: tuple[Any, ...] = ()
        self._late_windows: tuple[Any, ...] = ()
        self._bind()

    def _bind(self) -> None:
        """Register the plan's windows with the store and bind one handle per window."""
        for w in self._plan.windows:
            self.store.register(w.spec)
        #: a store shared by several consumers (Redis) is told where each subject begins and ends
        self._shared = bool(getattr(self.store, "shared", False))
        if self._shared:
            self.store.attach(self._record_decoder("the window store"))  # type: ignore[attr-defined]
        #: the window handles the generated code reads as `W[i]`
        self.windows = tuple(self.store.window(w.id) for w in self._plan.windows)
        self._late_windows = (self._late_view,) * len(self.windows)
        #: per record type with windows, its `advance` bound once
        store = self.store
        bound = getattr(store, "advancer", None)
        self._advance: dict[str, Callable[[int], None]] = {
            k: bound(k) if bound is not None else (lambda w, k=k: store.advance(w, k))  # type: ignore[misc]
            for k, p in self._plan.kinds.items() if p.windows}
        self._seen = {k: [self._restored.get(k)] for k in self._advance}
        #: per kind, its evaluation with everything above bound (rebuilt when a restore replaces the state)
        self._steps: dict[str, Callable[[Any, datetime], Report]] = {k: self._step(k) for k in self._plan.kinds}

    # ---- snapshots ---------------------------------------------------------------------------
    def snapshot(self, path: str | Path, *, extra: dict[str, Any] | None = None) -> None:
        """Save the window state and the watermarks, so that a restarted service resumes the stream; `extra`
        (JSON-ready: the caller's own position in its input, say) is saved with them and returned by `restore`."""
        self.store.snapshot(Path(path), {"max_seen": self.max_seen(), "lateness_us": self.lateness_us,
                                         "policies": self._plan.program.fingerprint(),
                                         "windows": [w.id for w in self._plan.windows], "extra": extra or {}})

    def restore(self, path: str | Path, *, other_policies: bool = False) -> dict[str, Any]:
        """Load the state saved by `snapshot`: later reports are those of a stream that never stopped. Returns the
        `extra` saved with it.

        A snapshot written by a different policy set raises `SnapshotMismatch` (nothing is loaded), unless
        `other_policies`: then the windows these policies share with the snapshot's keep their state, and the
        others start empty."""
        store = type(self.store).restore(Path(path), self._record_decoder(f"{path}: the snapshot"))
        meta = getattr(store, "meta", {}) or {}
        if not isinstance(meta, dict) or not isinstance(meta.get("windows", []), list) \
                or not isinstance(meta.get("extra", {}), dict) or not isinstance(meta.get("policies", ""), str | None):
            raise ValueError(f"{path}: a damaged window-state snapshot (its description)")
        written_by = meta.get("policies")
        mine = self._plan.program.fingerprint()
        if written_by is not None and written_by != mine and not other_policies:
            ours = {w.id for w in self._plan.windows}
            theirs = {str(x) for x in meta.get("windows") or ()}
            raise SnapshotMismatch(
                f"{path}: the snapshot was written by another policy set (policies {written_by[:12]}, these are "
                f"{mine[:12]}); {len(ours & theirs)} of these policies' {len(ours)} windows are in it. Restore with "
                "the policies that wrote it, start without the snapshot, or pass other_policies=True "
                "(`--other-policies`) to keep the windows both share")
        for w in self._plan.windows:  # checked before anything of this stream changes
            try:
                theirs = store.spec(w.id)
            except KeyError:
                continue
            if theirs != w.spec:
                raise SnapshotMismatch(f"{path}: window `{w.id}` is in the snapshot with another length or layout "
                                       "than these policies give it; the snapshot was changed or written by others")
        try:
            max_seen = {str(k): int(v) for k, v in (meta.get("max_seen") or {}).items()}
        except (AttributeError, TypeError, ValueError):
            raise ValueError(f"{path}: a damaged window-state snapshot (its event times)") from None
        check_restored(store, self._plan.windows, Path(path), self._plan.program.registry)
        self.store = store
        self._restored = max_seen
        self._bind()
        return dict(meta.get("extra") or {})

    def _record_decoder(self, where: str) -> Callable[[str, dict[str, Any]], Any]:
        """Rebuilds the records a store kept (members windows), validated as input is."""
        validators = self._plan.validators

        def record(kind: str, fields: dict[str, Any]) -> Any:
            rec, err = validate(validators, kind, fields)
            if rec is None:
                raise ValueError(f"{where}: a {kind} record in it does not validate: {err}")
            return rec

        return record

    # ---- evaluation --------------------------------------------------------------------------------
    def push(self, record: Any, *, kind: str | None = None, now: datetime | None = None) -> Report:
        """Evaluate the next subject of the stream, at `now` (default: the stream's clock).

        `record` is a dict (validated here, LANGUAGE §6), a pydantic model, or a record this plan's validators
        built (`Engine.validate`, the typed JSON lines reader), which is evaluated as it is."""
        if now is not None:
            now = _aware(now)
        elif self._clock is not None:
            now = _aware(self._clock())
        else:
            now = self.now
        step = self._steps.get(kind)  # type: ignore[arg-type]
        if step is None:
            k, problem = self.intake.kind_of(record, kind)
            if k is None:
                return invalid_report(kind, _raw_id(record), problem or "unknown kind")
            step = self._steps[k]
        return _run(step, now, record)

    def pusher(self, kind: str | None = None, *, context_kept: bool = False) -> Callable[[Any], Report]:
        """`push` for many records of one kind at the stream's time (`Engine.evaluate_many`): `pusher(kind)(record)`
        is `push(record, kind=kind)`, its kind's step and time looked up once instead of per record (valid until a
        `restore`, which binds new steps: for a stream no caller can restore). With `context_kept` the caller
        vouches that nothing changes the decimal context between its calls (`lint`, which runs no host code): when
        it is the language's now, it is not looked at again for every record."""
        step = self._steps.get(kind)  # type: ignore[arg-type]
        if step is None or self._clock is not None:
            return lambda record: self.push(record, kind=kind)
        if context_kept and _language_context(getcontext()):
            return partial(step, now=self.now)
        return partial(_run, step, self.now)

    def max_seen(self) -> dict[str, int]:
        """Per record type, the largest event time seen so far (microseconds since the Unix epoch)."""
        return {k: box[0] for k, box in self._seen.items() if box[0] is not None}

    def _step(self, k: str) -> Callable[[Any, datetime], Report]:
        """The evaluation of one subject of kind `k`, its plan, validator and windows bound once (per `_bind`)."""
        plan = self._plan.kinds[k]
        validator = self._validators[k]
        built = record_class(self._plan.validators, k)
        intake_validate = self.intake.validate
        evaluate, observe, rules = plan.evaluate, plan.observe, plan.rules
        uses_regex, regex_seconds = plan.uses_regex, self.limits.regex_seconds
        windowed = bool(plan.windows)
        time_of = attrgetter(plan.time_field)
        advance = self._advance.get(k)
        seen_box = self._seen.get(k, [None])
        lateness, skew, shared = self.lateness_us, self._skew_us, self._shared
        store, windows, late_windows = self.store, self.windows, self._late_windows
        report = self._report

        def step(record: Any, now: datetime) -> Report:
            if record.__class__ is dict:
                try:
                    rec = validator(record, k)
                except InvalidRecord as e:
                    return invalid_report(k, _raw_id(record), str(e))
                except RecursionError:
                    return invalid_report(k, _raw_id(record), f"{k}: nested too deeply")
            elif record.__class__ is built:  # validated already (the typed reader's records): taken as it is
                rec = record
            else:
                rec, err = intake_validate(record, k)
                if rec is None:
                    return invalid_report(k, _raw_id(record), err or "invalid record")
            if uses_regex:
                REGEX_BUDGET.start(regex_seconds)
            if not windowed:
                V, E = evaluate(rec, now, None, 0)
            else:
                ev = time_of(rec)
                tu = (ev - _EPOCH) // _US
                if tu - skew > (self._now_us if now is self.now else event_us(now)):
                    return self._future(k, rec, ev, now)
                seen = seen_box[0]
                late = seen is not None and tu < seen - lateness
                if shared:
                    store.begin_subject(k, rec.id)  # type: ignore[attr-defined]
                observe(rec, windows, tu)
                if seen is None or tu > seen:
                    seen_box[0] = tu
                    advance(tu - lateness)  # type: ignore[misc]
                if late:
                    self._late_view.message = (
                        f"late: event time {ev.isoformat()} is more than the lateness "
                        f"({values.render_duration(timedelta(microseconds=lateness))}) before the latest {k} seen")
                    V, E = evaluate(rec, now, late_windows, tu)
                else:
                    V, E = evaluate(rec, now, windows, tu)
                if shared:
                    problem = store.end_subject()  # type: ignore[attr-defined]
                    if problem is not None:  # later subjects' windows miss this one: every window rule says so
                        E = [*E, *((i, problem) for i in self._window_rules(k) if all(i != j for j, _ in E))]
            if not V and not E:
                return make_report(k, rec.id, "allow", NONE, NONE)
            return report(k, rec.id, V, E, rules)

        return step

    def _future(self, k: str, rec: Any, ev: datetime, now: datetime) -> Report:
        return invalid_report(k, rec.id, (
            f"{k}.{self._plan.kinds[k].time_field}: {ev.isoformat()} is more than "
            f"{values.render_duration(self.limits.max_clock_skew)} after now ({now.isoformat()}); an event "
            "from the future would make every later one late (limit `max-clock-skew`)"))

    def _window_rules(self, kind: str) -> tuple[int, ...]:
        """The indexes (in the kind's plan) of its rules that read windows."""
        found = self._window_rule_index.get(kind)
        if found is None:
            from rulekit.checker.reads import reads_windows  # reads the syntax trees: only for a late subject

            ids = {r.id for p in self._plan.program.policies for r in p.rules
                   if r.subject == kind and reads_windows(p, r)}
            found = self._window_rule_index[kind] = tuple(i for i, m in enumerate(self._plan.kinds[kind].rules)
                                                          if m.id in ids)
        return found

    def _report(self, kind: str, rid: str, V: Sequence[Any], E: Sequence[Any], rules: tuple[Any, ...]) -> Report:
        violations = []
        severities = []
        for idx, message, actions, evidence in V:
            m = rules[idx]
            severities.append(m.severity)
            violations.append(make_violation(
                m.id, m.policy, m.severity, message,
                [make_action(a, args) for a, args in actions] if actions else NONE,
                [make_evidence(x.field, x.word, x.text, x.start, x.end, x.category, x.replacement, x.deletes)
                 for x in evidence] if evidence else NONE))
        errors = [make_error(rules[idx].id, msg) for idx, msg in E] if E else NONE
        return make_report(kind, rid, decision(severities, bool(errors)), violations or NONE, errors)


def _run(step: Callable[[Any, datetime], Report], now: datetime, record: Any) -> Report:
    """`step(record, now)` in the language's decimal context (LANGUAGE §9): the host's when it is the default, a
    local copy of the language's when the host application changed it."""
    if _language_context(getcontext()):
        return step(record, now)
    with localcontext(values.DECIMAL_CONTEXT):
        return step(record, now)


def _language_context(c: Context) -> bool:
    """Whether `c` is the language's decimal context as `_run` tells it (the host's default)."""
    return c.prec == 28 and c.rounding == ROUND_HALF_EVEN and bool(c.traps[DivisionByZero]) and \
        bool(c.traps[InvalidOperation])


def _raw_id(record: Any) -> str | None:
    v = record.get("id") if isinstance(record, dict) else getattr(record, "id", None)
    return v if isinstance(v, str) else None
