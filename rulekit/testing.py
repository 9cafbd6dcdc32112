"""Runs the `test` blocks of policy files (LANGUAGE §7) and reports rule coverage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rulekit import values
from rulekit.engine import Engine
from rulekit.runtime.report import Report
from rulekit.syntax import nodes as n

_NO_NOW = datetime(2000, 1, 1, tzinfo=values.PLATFORM_TZ)


@dataclass
class TestResult:
    """The outcome of one test block."""

    file: str
    name: str
    line: int
    passed: bool
    problems: list[str] = field(default_factory=list)
    report: Report | None = None


def _now_rules(engine: Engine, kind: str) -> list[str]:
    return [r.id for r in engine.rules() if r.subject == kind and r.uses_now]


def run_test(engine: Engine, path: str, t: n.TestBlock) -> TestResult:
    """Evaluate a test block's subjects with fresh window state and check each `expect`."""
    res = TestResult(path, t.name, t.span.line, True)
    at = next((c for c in t.clauses if isinstance(c, n.At)), None)
    now = at.moment.value if at is not None else None
    if now is not None and not isinstance(now, datetime):
        now = values.date_start(now)
    givens = [c for c in t.clauses if isinstance(c, n.Given)]
    if not givens:
        return TestResult(path, t.name, t.span.line, False, ["the test has no `given`"])
    if now is None:
        readers = sorted(set(_relevant(engine, t, givens)) & {r for g in givens for r in _now_rules(engine, g.kind)})
        if readers:
            return TestResult(path, t.name, t.span.line, False,
                              [f"rules read `now` but the test has no `at`: {', '.join(readers)}",
                               "add `at 2025-06-01T12:00:00+08:00` to the test"])
    stream = engine.stream(now=now or _NO_NOW)
    report: Report | None = None
    for g in givens:
        for rec in (g.value if g.stream else [g.value]):
            report = stream.push(rec, kind=g.kind)
    assert report is not None
    res.report = report
    fired = report.fired()
    erred = [e.rule for e in report.errors]
    invalid = [e.message for e in report.errors if e.rule is None]
    if invalid:
        res.problems.append(f"the given {givens[-1].kind} is invalid: {'; '.join(invalid)}")
    known = {r.id for r in engine.rules()}
    for c in t.clauses:
        if not isinstance(c, n.Expect):
            continue
        if c.what in ("violation", "error") and c.target is not None and c.target not in known:
            res.problems.append(f"`expect {'no ' if c.negated else ''}{c.what} {c.target}`: there is no rule "
                                f"`{c.target}` (W105), so the expectation cannot hold")
        elif c.what == "violation":
            if c.negated and c.target is None and fired:
                res.problems.append(f"expected no violation, got {', '.join(fired)}")
            elif c.negated and c.target in fired:
                res.problems.append(f"expected no violation {c.target}, but it fired: "
                                    f"{_msg(report, c.target)}")
            elif not c.negated and c.target not in fired:
                why = next((e.message for e in report.errors if e.rule == c.target), None)
                res.problems.append(f"expected violation {c.target}, but it did not fire"
                                    + (f" (undetermined: {why})" if why else "")
                                    + f"; fired: {', '.join(fired) or 'nothing'}")
        elif c.what == "decision":
            if report.decision != c.target:
                res.problems.append(f"expected decision {c.target}, got {report.decision}"
                                    + (f" (fired: {', '.join(fired)})" if fired else "")
                                    + (f" (errors: {'; '.join(_err(e) for e in report.errors)})"
                                       if report.errors else ""))
        elif c.what == "action":
            names = [a.name for v in report.violations for a in v.actions]
            if c.negated and c.target is None and names:
                res.problems.append(f"expected no action, got {', '.join(names)}")
            elif c.negated and c.target in names:
                res.problems.append(f"expected no action {c.target}, but it was recommended")
            elif not c.negated and c.target not in names:
                res.problems.append(f"expected action {c.target}; actions: {', '.join(names) or 'none'}")
        elif c.what == "error":
            if c.negated and c.target is None and erred:
                res.problems.append(f"expected no error, got {'; '.join(_err(e) for e in report.errors)}")
            elif c.negated and c.target is not None and c.target in erred:
                res.problems.append(f"expected no error for {c.target}, got one")
            elif not c.negated and c.target not in erred:
                res.problems.append(f"expected {c.target} to be undetermined; errors: "
                                    f"{'; '.join(_err(e) for e in report.errors) or 'none'}")
    res.passed = not res.problems
    return res


def _relevant(engine: Engine, t: n.TestBlock, givens: list[n.Given]) -> list[str]:
    """The rules a test's expectations depend on: the rules it names, or every rule of the given
    kinds when it expects a decision, an action or no violation at all."""
    kinds = {g.kind for g in givens}
    out: list[str] = []
    for c in t.clauses:
        if not isinstance(c, n.Expect):
            continue
        if c.what in ("violation", "error") and c.target is not None:
            out.append(c.target)
        else:
            out += [r.id for r in engine.rules() if r.subject in kinds]
    return out


def named_rules(t: n.TestBlock) -> list[str]:
    """The rules a test block names in its expectations (`expect [no] violation|error RULE`)."""
    return [c.target for c in t.clauses if isinstance(c, n.Expect) and c.what in ("violation", "error")
            and c.target is not None]


def _msg(report: Report, rule: str) -> str:
    return next((v.message for v in report.violations if v.rule == rule), "")


def _err(e: Any) -> str:
    return f"{e.rule or 'input'}: {e.message}"


def run_all(engine: Engine) -> list[TestResult]:
    """Run every test block of the engine's policy set, in file order."""
    return [run_test(engine, path, t) for path, t in engine.program.tests]


@dataclass
class Coverage:
    """Which rules have a firing and a non-firing test."""

    fires: dict[str, int]
    quiet: dict[str, int]

    def missing(self, rule_ids: list[str]) -> list[tuple[str, str]]:
        """(rule, what is missing) for rules without both kinds of test."""
        out = []
        for r in rule_ids:
            lacks = [w for w, d in (("a firing test", self.fires), ("a non-firing test", self.quiet)) if not d.get(r)]
            if lacks:
                out.append((r, " and ".join(lacks)))
        return out


def coverage(engine: Engine, results: list[TestResult]) -> Coverage:
    """A rule is covered when a passing test expects it to fire (`expect violation R`) and a passing
    test expects it not to (`expect no violation R`, or a bare `expect no violation`)."""
    fires: dict[str, int] = {}
    quiet: dict[str, int] = {}
    tests = {(p, t.name): t for p, t in engine.program.tests}
    for res in results:
        if not res.passed or res.report is None:
            continue
        t = tests[(res.file, res.name)]
        kinds = {c.kind for c in t.clauses if isinstance(c, n.Given)}
        for c in t.clauses:
            if not isinstance(c, n.Expect) or c.what != "violation":
                continue
            if c.target is not None:
                d = quiet if c.negated else fires
                d[c.target] = d.get(c.target, 0) + 1
            elif c.negated:
                for r in engine.rules():
                    if r.subject in kinds:
                        quiet[r.id] = quiet.get(r.id, 0) + 1
    return Coverage(fires, quiet)
