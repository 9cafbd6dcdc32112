"""What a regex's literals say of its matches: the strings one of which every match holds, or all it can match."""

from __future__ import annotations

import re
import re._constants as sre_c  # noqa: PLC2701 - the stdlib parser is the only full reader of regex structure
import re._parser as sre_parse  # noqa: PLC2701
import sys
import unicodedata
import warnings
from collections.abc import Callable, Iterable
from itertools import product
from typing import Any

#: The most strings a literal set may hold: a gate is one `in` test per string (about 50 ns over a listing's text).
MAX_STRINGS = 12
_REPEATS = (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT)
#: Characters other than the two ASCII cases that `regex`'s case-insensitive matching (simple case folding) takes
#: for an ASCII letter; tests/test_literals.py checks this against `regex` over every code point.
_FOLDS = {"i": "\u0130", "k": "\u212a", "s": "\u017f"}
_ESCAPE = re.compile(r"\\(?:[pP]\{[^}]*\}|[pP][A-Za-z]|.)", re.DOTALL)

_Lang = frozenset[str]


def _parse(pattern: str) -> tuple[list[tuple[Any, Any]], int] | None:
    """The stdlib parser's tree and global flags (a `regex` property class read as a class it is not the literal
    of), or None for syntax the stdlib does not read as `regex` does."""
    source = _ESCAPE.sub(lambda m: r"\w" if m.group(0)[1] in "pP" else m.group(0), pattern)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "possible nested set": `regex` reads `[[` otherwise
            parsed = sre_parse.parse(source)
    except Exception:  # noqa: BLE001 - syntax only `regex` reads
        return None
    if parsed.state.flags & sre_c.SRE_FLAG_VERBOSE:  # whitespace and comments: left to `regex` alone
        return None
    todo = list(parsed)
    while todo:  # a `{` read as text may be a fuzzy constraint of `regex` (`(?:ab){e<=1}`): nothing is known
        op, av = todo.pop()
        if op is sre_c.LITERAL and av == ord("{"):
            return None
        if op is sre_c.SUBPATTERN and av[1] & sre_c.SRE_FLAG_VERBOSE:
            return None
        todo += [x for x in _children(op, av)]
    return list(parsed), parsed.state.flags


def _children(op: Any, av: Any) -> list[tuple[Any, Any]]:
    if op is sre_c.SUBPATTERN:
        return list(av[3])
    if op is sre_c.BRANCH:
        return [x for alt in av[1] for x in alt]
    if op in (*_REPEATS, sre_c.POSSESSIVE_REPEAT):
        return list(av[2])
    if op in (sre_c.ASSERT, sre_c.ASSERT_NOT):
        return list(av[1])
    if op is sre_c.ATOMIC_GROUP:
        return list(av)
    if op is sre_c.GROUPREF_EXISTS:
        return [*av[1], *(av[2] or ())]
    return []


def _cased(points: Iterable[str], icase: bool) -> _Lang | None:
    """The characters a set of pattern characters matches, case-insensitively or not (None: a cased letter other
    than ASCII, whose case-insensitive matches are not listed here, or a code point this Python's Unicode data does
    not know, which `regex`'s newer data may give a case: U+1DF95 matches `ß`)."""
    out: set[str] = set()
    for c in points:
        if icase and not c.isascii() and (c.lower() != c.upper() or unicodedata.category(c) == "Cn"):
            return None
        if icase and c.lower() != c.upper():
            low = c.lower()
            out |= {low, low.upper(), *_FOLDS.get(low, "")}
        else:
            out.add(c)
    return frozenset(out)


def _join(a: _Lang, b: _Lang) -> _Lang | None:
    joined = frozenset(x + y for x, y in product(a, b))
    return joined if len(joined) <= MAX_STRINGS else None


def _language(items: list[tuple[Any, Any]], icase: bool) -> _Lang | None:
    """Every string a sequence can match, when they are few and nothing else constrains a match (no anchor,
    lookaround or class of categories); None otherwise."""
    out: _Lang = frozenset({""})
    for item in items:
        lang = _item_language(item, icase)
        if lang is None:
            return None
        joined = _join(out, lang)
        if joined is None:
            return None
        out = joined
    return out


def _item_language(item: tuple[Any, Any], icase: bool) -> _Lang | None:
    op, av = item
    if op is sre_c.LITERAL:
        return _cased(chr(av), icase)
    if op is sre_c.IN:
        chars: list[str] = []
        for cop, cav in av:
            if cop is sre_c.LITERAL:
                chars.append(chr(cav))
            elif cop is sre_c.RANGE and cav[1] - cav[0] < MAX_STRINGS:
                chars += [chr(c) for c in range(cav[0], cav[1] + 1)]
            else:  # NEGATE, CATEGORY, a wide range
                return None
        lang = _cased(chars, icase)
        return lang if lang is not None and len(lang) <= MAX_STRINGS else None
    if op is sre_c.SUBPATTERN:
        return _language(list(av[3]), _flags(icase, av[1], av[2]))
    if op is sre_c.BRANCH:
        out = _union(av[1], _language, icase)
        return out if out is not None and len(out) <= MAX_STRINGS else None
    if op in _REPEATS and av[1] is not sre_c.MAXREPEAT and av[1] <= MAX_STRINGS:
        body = _language(list(av[2]), icase)
        if body is None:
            return None
        found, step = set(), frozenset({""})
        for k in range(av[1] + 1):
            if k >= av[0]:
                found |= step
            if k < av[1] and (nxt := _join(step, body)) is not None:
                step = nxt
            elif k < av[1]:
                return None
        return frozenset(found) if len(found) <= MAX_STRINGS else None
    return None  # anchors, lookarounds, categories, any character, backreferences, atomic and possessive forms


def _union(alternatives: Any, of: Any, icase: bool) -> _Lang | None:
    """The union of `of` over a branch's alternatives (each must have one)."""
    out: set[str] = set()
    for alt in alternatives:
        part = of(list(alt), icase)
        if part is None:
            return None
        out |= part
    return frozenset(out)


def _flags(icase: bool, add: int, remove: int) -> bool:
    if add & sre_c.SRE_FLAG_IGNORECASE:
        return True
    return False if remove & sre_c.SRE_FLAG_IGNORECASE else icase


def _required(items: list[tuple[Any, Any]], icase: bool) -> _Lang | None:
    """Strings one of which every match of a sequence holds (the fewest, then the longest found), or None."""
    best: _Lang | None = None
    run: _Lang | None = None  # the language of the current run of items with one
    for item in items:
        lang = _item_language(item, icase)
        if lang is None:
            run = None
            best = _better(best, _item_required(item, icase))
            continue
        run = lang if run is None else (_join(run, lang) or lang)
        if "" not in run:
            best = _better(best, run)
        if "" not in lang:
            best = _better(best, lang)
            if item[0] is sre_c.SUBPATTERN or item[0] is sre_c.BRANCH:  # fewer, shorter strings inside it
                best = _better(best, _item_required(item, icase))
    return best


def _item_required(item: tuple[Any, Any], icase: bool) -> _Lang | None:
    op, av = item
    if op is sre_c.SUBPATTERN:
        return _required(list(av[3]), _flags(icase, av[1], av[2]))
    if op is sre_c.BRANCH:
        out = _union(av[1], _required, icase)
        return None if out is None else _minimal(out)
    if op in (*_REPEATS, sre_c.POSSESSIVE_REPEAT) and av[0] >= 1:
        return _required(list(av[2]), icase)
    if op is sre_c.ATOMIC_GROUP:
        return _required(list(av), icase)
    return None


def _minimal(strings: Iterable[str]) -> _Lang | None:
    """The strings without those that hold another of them (`不包邮` goes where `包邮` is), or None for too many."""
    ordered = sorted(set(strings), key=len)
    kept: list[str] = []
    for s in ordered:
        if not any(k in s for k in kept):
            kept.append(s)
    return frozenset(kept) if kept and len(kept) <= MAX_STRINGS and "" not in kept else None


def _better(a: _Lang | None, b: _Lang | None) -> _Lang | None:
    """The better of two candidate sets: the fewer strings, then the longer shortest one (minimized at the end)."""
    if b is None or not b or "" in b or len(b) > MAX_STRINGS:
        return a
    if a is None:
        return b
    return b if (len(b), -min(map(len, b))) < (len(a), -min(map(len, a))) else a


def literal_gate(pattern: str, search: Callable[[str], Any] | None = None) -> tuple[tuple[str, ...], bool] | None:
    """For a `regex` pattern: strings one of which every match holds, and whether they are also exactly what it
    matches (so `matches()` is true just when the text holds one of them); None when no such few strings are known.
    Read from the stdlib parser's tree, with case-insensitivity on ASCII letters only. With the compiled pattern's
    `search`, exact strings it does not match (which would mean the tree was read wrong) give no gate at all."""
    parsed = _parse(pattern)
    if parsed is None:
        return None
    items, flags = parsed
    icase = bool(flags & sre_c.SRE_FLAG_IGNORECASE)
    exact = _language(items, icase)
    if exact is not None and "" not in exact:
        found = _minimal(exact)
        if found is not None and search is not None and not all(search(w) is not None for w in found):
            return None
        if found is not None:
            return tuple(sorted(found)), True
    need = _required(items, icase)
    need = None if need is None else _minimal(need)
    return None if need is None else (tuple(sorted(need)), False)


def regex_facts(pattern: str) -> tuple[int | None, int, tuple[tuple[str, ...], bool] | None]:
    """(unbounded repetitions, bounded factor, literal gate) of a `re"…"` literal: `search_cost` and `literal_gate`
    (checked against the compiled pattern), kept in the user cache by this build of rulekit, the `regex` module's
    version and Python's, so a warm start neither analyses nor compiles the pattern (rulekit/cache.py)."""
    from rulekit import cache

    key = cache.key_of("regex-facts", cache.package_fingerprint(), sys.version, cache.module_fingerprint("regex"),
                      pattern)
    hit = cache.load("regex", key)
    if isinstance(hit, tuple) and len(hit) == 3 and (hit[0] is None or type(hit[0]) is int) \
            and type(hit[1]) is int and (hit[2] is None or _is_gate(hit[2])):
        return hit
    import regex

    from rulekit.checker.regexcost import search_cost

    cost = search_cost(pattern) or (None, 1)
    facts = (cost[0], cost[1], literal_gate(pattern, regex.compile(pattern).search))
    cache.store("regex", key, facts)
    return facts


def _is_gate(g: Any) -> bool:
    return isinstance(g, tuple) and len(g) == 2 and isinstance(g[0], tuple) and all(type(w) is str for w in g[0]) \
        and type(g[1]) is bool
