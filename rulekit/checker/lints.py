"""Warnings about code that works but is likely wrong: unused lets (W104) and regexes that backtrack (W106)."""

from __future__ import annotations

import re
import re._constants as sre_c  # the stdlib regex parser: `regex` syntax is a superset, so what it reads is exact
import re._parser as sre_parse
from collections.abc import Iterable
from typing import Any

from rulekit.syntax import nodes as n

from .declarations import PolicyDraft, Report

_BACKTRACKING = (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT)
_REPEATS = (*_BACKTRACKING, sre_c.POSSESSIVE_REPEAT)


def unused_lets(policies: Iterable[PolicyDraft], refs: Iterable[n.Ref], error: Report) -> None:
    """W104 for every `let` (policy-level or in a rule) that no expression of its policy or rule reads."""
    used = {(r.kind, r.target, r.owner) for r in refs if r.kind in ("let", "rlet")}
    for p in policies:
        for name, let in p.lets.items():
            if ("let", name, p.name) not in used:
                error("W104", f"`let {name}` is never used in policy `{p.name}`", let.span,
                      "remove it, or use it in a rule")
        for r in p.rules:
            for name, let in r.lets.items():
                if ("rlet", name, r.node.name) not in used:
                    error("W104", f"`let {name}` is never used in rule `{r.node.name}`", let.span,
                          "remove it, or use it in a condition, the message, an action or the evidence")


def backtracking(pattern: str) -> str | None:
    """Why a regex can take exponential time (W106): a repetition whose body is itself an unbounded repetition,
    with nothing required around it (`(a+)+`, `(\\w+\\s?)*`, `(x|y+)*`); None when no such nesting is found or the
    stdlib cannot read the pattern (`\\p{…}` and other `regex`-only syntax)."""
    # a `regex` property class (`\p{Han}`) has the structure of any other class
    pattern = re.sub(r"\\[pP]\{[^}]*\}|\\[pP][A-Za-z]", r"\\w", pattern)
    try:
        parsed = sre_parse.parse(pattern)
    except Exception:  # noqa: BLE001 - anything the stdlib parser rejects is left to the `regex` module
        return None
    if not _nested(list(parsed)):
        return None
    return ("a repeated group whose body is itself an unbounded repetition (as in `(a+)+`): on a long text that "
            "does not match, it can backtrack for exponential time")


def repetitions(pattern: str) -> int | None:
    """How many unbounded repetitions a regex has, when that bounds its running time: a search over n characters
    then takes at most about n ** (k + 1) steps. None when nothing bounds it: a loop whose body holds an alternation
    or another repetition (`(a|aa)+`, and W106's nesting), backreferences, or syntax the stdlib parser does not
    read."""
    pattern = re.sub(r"\\[pP]\{[^}]*\}|\\[pP][A-Za-z]", r"\\w", pattern)
    try:
        parsed = sre_parse.parse(pattern)
    except Exception:  # noqa: BLE001 - unknown syntax: no bound
        return None
    if _nested(list(parsed)):
        return None
    count = 0
    todo = list(parsed)
    while todo:
        op, av = todo.pop()
        if op in (sre_c.GROUPREF, sre_c.GROUPREF_EXISTS):
            return None
        if op in (sre_c.ASSERT, sre_c.ASSERT_NOT):
            todo.extend(av[1])  # a lookaround runs at each position: its repetitions count like the others
            continue
        if op in _REPEATS:
            if av[1] is sre_c.MAXREPEAT:
                if op is not sre_c.POSSESSIVE_REPEAT and _branches(list(av[2])):
                    return None  # `(a|aa)+`, `(a{1,2})+`: one text, many ways through the loop
                count += 1
            todo.extend(av[2])  # a bounded `{m,n}` costs at most n steps a position: a constant
        elif op is sre_c.SUBPATTERN:
            todo.extend(av[-1])
        elif op is sre_c.ATOMIC_GROUP:
            todo.extend(av)
        elif op is sre_c.BRANCH:
            for alt in av[1]:
                todo.extend(alt)
    return count


def _branches(items: list[tuple[Any, Any]]) -> bool:
    """Whether a loop body can match one text in more than one way: it holds an alternation or a repetition."""
    todo = list(items)
    while todo:
        op, av = todo.pop()
        if op is sre_c.BRANCH or op in _REPEATS:
            return True
        if op is sre_c.SUBPATTERN:
            todo.extend(av[-1])
        elif op in (sre_c.ASSERT, sre_c.ASSERT_NOT):
            todo.extend(av[1])
    return False


def _nested(items: list[tuple[Any, Any]]) -> bool:
    """Whether some unbounded repetition among `items` (at any depth) has an ambiguous body."""
    for op, av in items:
        if op in _REPEATS:
            if _unbounded((op, av)) and _ambiguous(list(av[2])):
                return True
            if _nested(list(av[2])):
                return True
        elif op is sre_c.SUBPATTERN and _nested(list(av[-1])):
            return True
        elif op is sre_c.BRANCH and any(_nested(list(alt)) for alt in av[1]):
            return True
    return False


def _ambiguous(body: list[tuple[Any, Any]]) -> bool:
    """Whether one iteration of a repeated `body` can be split in many ways: it is an unbounded repetition with only
    optional parts around it, or a group or alternative that is."""
    core = [x for x in body if not _nullable(x)]
    if len(core) == 0:
        return any(_unbounded(x) or (x[0] is sre_c.SUBPATTERN and _ambiguous(list(x[1][-1]))) for x in body)
    if len(core) != 1:
        return False
    op, av = core[0]
    if _unbounded(core[0]):
        return True
    if op is sre_c.SUBPATTERN:
        return _ambiguous(list(av[-1]))
    if op is sre_c.BRANCH:
        return any(_ambiguous(list(alt)) for alt in av[1])
    return False


def _unbounded(item: tuple[Any, Any]) -> bool:
    """A repetition that backtracks and has no small upper bound (a possessive one, `a++`, never gives back)."""
    op, av = item
    return op in _BACKTRACKING and (av[1] is sre_c.MAXREPEAT or av[1] > 10)


def _nullable(item: tuple[Any, Any]) -> bool:
    op, av = item
    if op in _REPEATS:
        return av[0] == 0 or all(_nullable(x) for x in av[2])
    if op is sre_c.SUBPATTERN:
        return all(_nullable(x) for x in av[-1])
    if op is sre_c.BRANCH:
        return any(all(_nullable(x) for x in alt) for alt in av[1])
    return op in (sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT)
