"""What a regex's structure says of its running time: W106's exponential nesting, and the step bound for the clock.

Read with the stdlib parser; the compiler imports this without the rest of the checker."""

from __future__ import annotations

import re._constants as sre_c  # the stdlib regex parser: `regex` syntax is a superset, so what it reads is exact
from typing import Any

from rulekit.runtime.patterns import has_branches, parse_structure

_BACKTRACKING = (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT)
_REPEATS = (*_BACKTRACKING, sre_c.POSSESSIVE_REPEAT)


def backtracking(pattern: str) -> str | None:
    """Why a regex can take exponential time (W106): a repetition whose body is itself an unbounded repetition,
    with nothing required around it (`(a+)+`, `(\\w+\\s?)*`, `(x|y+)*`); None when no such nesting is found or the
    stdlib cannot read the pattern (`\\p{…}` and other `regex`-only syntax)."""
    parsed = parse_structure(pattern)
    if parsed is None or not _nested(parsed):  # what the stdlib parser rejects is left to the `regex` module
        return None
    return ("a repeated group whose body is itself an unbounded repetition (as in `(a+)+`): on a long text that "
            "does not match, it can backtrack for exponential time")


def repetitions(pattern: str) -> int | None:
    """How many unbounded repetitions a regex has, when that bounds its running time: a search over n characters
    then takes at most about F * n ** (k + 1) steps, F the product of its bounded repetitions' counts
    (`search_cost`). None when nothing bounds it: a loop whose body holds an alternation or another repetition,
    bounded or not (`(a|aa)+`, `(a|aa){1,40}`, and W106's nesting), backreferences, or syntax the stdlib parser does
    not read."""
    cost = search_cost(pattern)
    return None if cost is None else cost[0]


def search_cost(pattern: str) -> tuple[int, int] | None:
    """(k, F) of `repetitions`: the unbounded repetitions, and the product of the largest counts of the bounded ones
    (each costs up to its count of steps at a position, and they multiply); None when nothing bounds the time."""
    parsed = parse_structure(pattern)
    if parsed is None or _nested(parsed):  # unknown syntax: no bound
        return None
    count, factor = 0, 1
    todo = list(parsed)
    while todo:
        op, av = todo.pop()
        if op in (sre_c.GROUPREF, sre_c.GROUPREF_EXISTS):
            return None
        if op in (sre_c.ASSERT, sre_c.ASSERT_NOT):
            todo.extend(av[1])  # a lookaround runs at each position: its repetitions count like the others
            continue
        if op in _REPEATS:
            ambiguous = op is not sre_c.POSSESSIVE_REPEAT and has_branches(list(av[2]))
            if av[1] is sre_c.MAXREPEAT:
                if ambiguous:
                    return None  # `(a|aa)+`, `(a{1,2})+`: one text, exponentially many ways through the loop
                count += 1
            elif ambiguous:  # `(?:\.\d+)?` tries its body or not; `(a|aa){1,40}` has exponentially many ways
                factor = min(factor * 2 if av[1] <= 1 else _FACTOR_CAP, _FACTOR_CAP)
            else:
                factor = min(factor * max(av[1], 1), _FACTOR_CAP)  # `{m,n}`: up to n steps a position
            todo.extend(av[2])
        elif op is sre_c.SUBPATTERN:
            todo.extend(av[-1])
        elif op is sre_c.ATOMIC_GROUP:
            todo.extend(av)
        elif op is sre_c.BRANCH:
            for alt in av[1]:
                todo.extend(alt)
    return count, factor


_FACTOR_CAP = 10**12


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
