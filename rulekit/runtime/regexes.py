"""`matches()`: compiled regex literals, with a time limit only where their structure needs one."""

from __future__ import annotations

import math
from typing import Any

from rulekit.runtime.patterns import LazyRegex
from rulekit.runtime.support import REGEX_BUDGET, Undetermined

#: A search is left without a time limit when its bound on steps, F * n ** (k + 1) for n characters, k unbounded
#: repetitions and F the product of its bounded repetitions' counts, stays below this (about a millisecond); reading
#: the clock costs 2 µs a call (`regex`'s timeout).
SAFE_STEPS = 1_000_000
#: A pattern without unbounded repetitions whose bounded ones multiply to at most this is linear with a small
#: constant: searched without a clock whatever the length (`[^，]{1,15}更`, `1[3-9]\d{9}`).
LINEAR_FACTOR = 64


def _safe_len(repetitions: int | None, factor: int = 1) -> float:
    if repetitions is None:
        return -1.0
    if repetitions == 0 and factor <= LINEAR_FACTOR:
        return math.inf
    return float((SAFE_STEPS / factor) ** (1 / (repetitions + 1)))


class TimedRegex:
    """A `re"…"` literal and the longest text it may search without a time limit (`safe_len`): unlimited for a
    pattern without unbounded repetitions and with small bounded ones, none for one whose running time nothing
    bounds (W106's nesting, an alternation or repetition inside a repetition, backreferences). The literals of its
    `gate` let `matches()` answer false without a search for a text that holds none of them. The pattern is
    compiled when it first searches (`rx`): most records never reach the search of most patterns, and a process
    that lints one file need not compile them all."""

    __slots__ = ("_rx", "pattern", "safe_len", "repetitions", "gate", "exact")

    def __init__(self, pattern: str, repetitions: int | None, factor: int = 1,
                 gate: tuple[tuple[str, ...], bool] | None = None, rx: Any = None):
        self.pattern = pattern
        self._rx = rx
        self.repetitions = repetitions
        self.safe_len = _safe_len(repetitions, factor)
        #: strings one of which every match holds (`compiler/literals.py`), tested before the search; `exact`:
        #: they are all it matches, so the test is the answer and the regex never runs
        self.gate, self.exact = gate if gate is not None else ((), False)

    #: the compiled pattern (`regex` module), compiled when it first searches
    rx = LazyRegex("pattern")

    def __repr__(self) -> str:
        return f're"{self.pattern}"'


class LazySearch:
    """`t.rx.search` for generated code that binds it as a constant: the first call compiles the pattern and puts
    the bound method in its own place in the namespace, so later calls are the method itself."""

    __slots__ = ("t", "namespace", "name")

    def __init__(self, t: TimedRegex) -> None:
        self.t = t
        self.namespace: dict[str, Any] | None = None
        self.name = ""

    def __call__(self, s: str) -> Any:
        search = self.t.rx.search
        if self.namespace is not None and self.namespace.get(self.name) is self:
            self.namespace[self.name] = search
        return search(s)


def regex_search(t: TimedRegex, s: str) -> bool:
    """`matches(s, re"…")`: a text short enough for the pattern's bound is searched without a clock; any other within
    what is left of the record's regex budget, and when that is spent the rule is undetermined."""
    if len(s) <= t.safe_len:
        return t.rx.search(s) is not None
    rx = t.rx
    left = REGEX_BUDGET.left()
    try:
        if left <= 0:
            raise TimeoutError
        return rx.search(s, timeout=left) is not None
    except TimeoutError:
        raise Undetermined(f're"{rx.pattern}" ran past the regex time of the record '
                           f"({REGEX_BUDGET.seconds:g} s, limit `regex-seconds`)") from None
