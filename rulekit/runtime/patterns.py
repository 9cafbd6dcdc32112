"""Pattern entries of wordlists (`re:最[^新低高]`): compiled once, run on the mode's image only when their literal occurs."""

from __future__ import annotations

import re
import re._constants as sre_c  # noqa: PLC2701 - the stdlib parser is the only full reader of regex structure
import re._parser as sre_parse  # noqa: PLC2701
from collections.abc import Iterable
from typing import Any

#: The prefix that makes a wordlist entry a pattern.
PATTERN_PREFIX = "re:"

_REPEATS = (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", sre_c.MAX_REPEAT))


def is_pattern(word: str) -> bool:
    """Whether a wordlist entry is a pattern (`re:…`)."""
    return word.startswith(PATTERN_PREFIX)


def parse_structure(pattern: str) -> list[tuple[Any, Any]] | None:
    """The stdlib parser's tree of a regex (a `regex` property class `\\p{Han}` read as the class it is), or None for
    syntax only the `regex` module reads."""
    try:
        return list(sre_parse.parse(re.sub(r"\\[pP]\{[^}]*\}|\\[pP][A-Za-z]", r"\\w", pattern)))
    except Exception:  # noqa: BLE001 - syntax only `regex` reads: no structure known
        return None


def pattern_problem(word: str) -> str | None:
    """Why a pattern entry cannot be used (E007), or None. The pattern must compile (Python `regex` syntax), must not
    match the empty text, may repeat only a bounded number of times (`{0,8}`, not `*` or `+`) and only single
    characters or classes more than once (not `(a|aa){1,40}`): a pattern runs on every text that holds its literal,
    with no time limit, and only such a pattern runs in time linear in the text."""
    body = word[len(PATTERN_PREFIX):]
    if not body:
        return f"pattern entry {word!r} is empty"
    import regex  # only where pattern entries are (imported in 11 ms)

    try:
        rx = regex.compile(body)
    except regex.error as e:
        return f"pattern entry {word!r} is not a valid regex: {e}"
    if rx.fullmatch("") is not None:
        return f"pattern entry {word!r} matches the empty text"
    parsed = parse_structure(body)
    if parsed is None:  # it runs with no time limit: a structure nothing can bound is not run
        return (f"pattern entry {word!r} uses syntax only the `regex` module reads, whose running time rulekit cannot "
                "bound; pattern entries take the standard syntax and `\\p{…}` classes")
    todo = list(parsed)
    while todo:
        op, av = todo.pop()
        if op in _REPEATS:
            if av[1] is sre_c.MAXREPEAT:
                return f"pattern entry {word!r} repeats without a bound; write a bounded count such as {{1,8}}"
            if av[1] > 1 and has_branches(list(av[2])):
                return (f"pattern entry {word!r} repeats an alternation or a repetition (as in `(a|aa){{1,40}}`), "
                        "which can take exponential time; repeat single characters or classes only")
            todo.extend(av[2])
        elif op is sre_c.SUBPATTERN:
            todo.extend(av[-1])
        elif op is sre_c.BRANCH:
            for alt in av[1]:
                todo.extend(alt)
        elif op in (sre_c.ASSERT, sre_c.ASSERT_NOT):
            todo.extend(av[1])
        elif op in (sre_c.GROUPREF, sre_c.GROUPREF_EXISTS):
            return f"pattern entry {word!r} uses a backreference; pattern entries may not"
    return None


def has_branches(items: list[tuple[Any, Any]]) -> bool:
    """Whether a repeated body can match one text in more than one way: it holds an alternation or a repetition."""
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


def trigger(word: str) -> str:
    """The longest literal run the pattern always contains at its top level (`最` of `最[^新低高]`, `之王` of
    `\\p{Han}{1,3}之王`): the pattern runs only on texts whose image holds it. `""` when there is none (the pattern
    then runs on every text)."""
    parsed = parse_structure(word[len(PATTERN_PREFIX):])
    if parsed is None:
        return ""
    best = run = ""
    for op, av in parsed:
        if op is sre_c.LITERAL:
            run += chr(av)
            best = max(best, run, key=len)
        else:
            run = ""
    return best


class LazyRegex:
    """`rx` of a class holding a pattern in the attribute `source_attr` and a slot `_rx`: the pattern compiled with
    the `regex` module when first read (and `regex` imported then: only policies with regexes need it)."""

    def __init__(self, source_attr: str) -> None:
        self.source_attr = source_attr

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        rx = obj._rx
        if rx is None:
            import regex

            rx = obj._rx = regex.compile(getattr(obj, self.source_attr))
        return rx


class Pattern:
    """A pattern entry: its regex (run on a mode's image, overlapping; compiled on first use, since it runs only
    on texts holding its trigger literal), its key index and its trigger's."""

    __slots__ = ("source", "key", "trigger", "_rx")

    def __init__(self, source: str, key: int, trigger: int) -> None:
        self.source = source  # the regex, without the `re:` prefix
        self.key = key  # the matcher's key index the hits are numbered with
        self.trigger = trigger  # the key index of the trigger literal in the automaton, or -1 (always run)
        self._rx: Any = None

    #: the compiled regex, compiled when the pattern first runs
    rx = LazyRegex("source")

    def __repr__(self) -> str:
        return f"Pattern({self.source!r}, key={self.key}, trigger={self.trigger})"

    def hits(self, image: str) -> list[tuple[int, int, int]]:
        """Every (overlapping) occurrence in the image, as automaton hits `(key, start, end)`."""
        return [(self.key, m.start(), m.end()) for m in self.rx.finditer(image, overlapped=True) if m.end() > m.start()]


def char_class(points: Iterable[int]) -> str:
    """A regex character class (for `re`) matching exactly the code points, consecutive ones written as ranges: a
    shorter pattern, compiled faster, for sets of thousands."""
    ranges: list[list[int]] = []
    for cp in sorted(set(points)):
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return "[" + "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
                         for a, b in ranges) + "]"
