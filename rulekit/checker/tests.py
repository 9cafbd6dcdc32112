"""Checks the `test` blocks of a policy set (LANGUAGE §7): subjects, expectations, duplicates."""

from __future__ import annotations

from rulekit.diagnostics import Span
from rulekit.suggest import did_you_mean
from rulekit.syntax import nodes as n

from .declarations import Report


def check_tests(tests: list[tuple[str, n.TestBlock]], rule_ids: set[str], kinds: list[str], error: Report) -> None:
    """Each test has a `given` of a known subject type, one `at`, and expects known rules and decisions."""
    names: dict[tuple[str, str], Span] = {}
    for path, t in tests:
        key = (path, t.name)
        if key in names:
            error("E005", f"test `{t.name}` is defined twice in this file", t.span)
        names[key] = t.span
        ats = [c for c in t.clauses if isinstance(c, n.At)]
        for extra in ats[1:]:
            error("E005", "`at` is given twice in this test", extra.span)
        givens = [c for c in t.clauses if isinstance(c, n.Given)]
        if not givens:
            error("E001", f"test `{t.name}` has no `given`", t.span,
                       'add `given KIND {"id": …}` with the subject to evaluate')
        for g in givens:
            if g.kind not in kinds:
                error("E002", f"unknown subject type `{g.kind}`", g.span, did_you_mean(g.kind, kinds))
            elif g.stream and not all(isinstance(x, dict) for x in g.value):
                error("E004", "a `given` stream holds JSON objects only", g.span)
            elif not g.stream and not isinstance(g.value, dict):
                error("E004", "`given` needs a JSON object (or a list of them)", g.span)
        for c in t.clauses:
            if isinstance(c, n.Expect):
                if c.what in ("violation", "error") and c.target is not None and c.target not in rule_ids:
                    # a warning, not an error: a typo in a test must not stop the policies from loading; the
                    # test fails when run (an expectation about a rule that does not exist never holds)
                    error("W105", f"this test expects rule `{c.target}`, which does not exist", c.span,
                          did_you_mean(c.target, rule_ids) or "write the rule id as `policy.rule`")
                if c.what == "decision" and c.target not in ("block", "review", "allow"):
                    error("E009", f"unknown decision `{c.target}`", c.span,
                               "decisions are `block`, `review` and `allow`")
