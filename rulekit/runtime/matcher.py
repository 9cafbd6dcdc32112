"""Finds wordlist entries in text with one Aho-Corasick automaton per wordlist (exact, normalized, evasive)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

try:  # the faster automaton when installed (docs/matching.md has the measurements)
    import ahocorasick_rs as _ahocorasick_rs
except ImportError:  # pragma: no cover - depends on the environment
    _ahocorasick_rs = None

try:
    import ahocorasick as _pyahocorasick
except ImportError:  # pragma: no cover - depends on the environment
    _pyahocorasick = None

__all__ = [
    "AUTOMATA",
    "MODES",
    "Entry",
    "Match",
    "WordlistMatcher",
    "duplicate_entries",
    "invalid_entries",
    "match_key",
]

MODES: tuple[str, ...] = ("exact", "normalized", "evasive")
"""The match modes of LANGUAGE §5, in order of increasing tolerance."""

AUTOMATA: tuple[str, ...] = ("ahocorasick_rs", "pyahocorasick")
"""Automaton libraries the matcher can run on; `"auto"` picks the first one installed."""

_EXACT, _NORMALIZED, _EVASIVE = 0, 1, 2
_MODE_CODES = {"exact": _EXACT, "normalized": _NORMALIZED, "evasive": _EVASIVE}


@dataclass(frozen=True, slots=True)
class Entry:
    """One wordlist entry: the word as written, and its optional category and replacement."""

    word: str
    category: str | None = None
    replacement: str | None = None


@dataclass(frozen=True, slots=True)
class Match:
    """One occurrence of an entry; `start`/`end` are code-point offsets into the searched text, end exclusive."""

    word: str
    text: str
    start: int
    end: int
    category: str | None
    replacement: str | None
    field: str | None = None

    def with_field(self, field: str | None) -> Match:
        """The same match, attributed to `field` (`kind.path`, or None)."""
        return Match(self.word, self.text, self.start, self.end, self.category, self.replacement, field)


# --- per-code-point normalization -------------------------------------------------------------
#
# Normalization is defined per code point: fold(c) = casefold(NFKC(c)), and in evasive mode the
# characters of fold(c) that are not letters or digits (Unicode L*, N*) are dropped. A text maps to
# the concatenation of its code points' images, so every normalized character has exactly one
# original character that produced it; that is what makes offsets map back exactly.


class _FoldTable(dict[int, str]):
    """`str.translate` table: code point -> casefold(NFKC(chr(cp))), filled on first use."""

    __slots__ = ()

    def __missing__(self, cp: int) -> str:
        image = unicodedata.normalize("NFKC", chr(cp)).casefold()
        self[cp] = image
        return image


class _EvasiveTable(dict[int, str]):
    """`str.translate` table: code point -> its folded image without non-letters/non-digits."""

    __slots__ = ()

    def __missing__(self, cp: int) -> str:
        image = "".join(ch for ch in _FOLD[cp] if unicodedata.category(ch)[0] in "LN")
        self[cp] = image
        return image


_FOLD = _FoldTable()
_EVASIVE_TABLE = _EvasiveTable()
# `[\W_]` is exactly "not in Unicode categories L* or N*" for str patterns (tests check every code
# point); a regex sub runs in C, unlike a Python-level filter.
_SEPARATORS = re.compile(r"[\W_]+")
_ASCII_SEPARATORS = bytes(cp for cp in range(128) if not chr(cp).isalnum())
_is_normalized = unicodedata.is_normalized


def _fold(text: str) -> str:
    """The normalized-mode image of `text`: casefold(NFKC(c)) for each code point, concatenated."""
    if text.isascii():
        return text.lower()
    if _is_normalized("NFKC", text):
        # Every code point of an NFKC-normalized string is normalized on its own, so fold(c) is
        # c.casefold() and str.casefold (context free) gives the concatenation directly.
        return text.casefold()
    return text.translate(_FOLD)


def _evasive(text: str) -> str:
    """The evasive-mode image of `text`: the normalized image without non-letters/non-digits."""
    image = _fold(text)
    if image.isalnum():  # str.isalnum is exactly "every character is in L* or N*"
        return image
    # Most separators are ASCII once folded (NFKC maps full-width punctuation to ASCII): deleting their
    # bytes from the UTF-8 form is far cheaper than a regex pass (ASCII bytes never occur inside a
    # multi-byte sequence). The regex only runs when other separators remain.
    image = image.encode("utf-8", "surrogatepass").translate(None, _ASCII_SEPARATORS).decode("utf-8", "surrogatepass")
    if image.isalnum() or not image:
        return image
    return _SEPARATORS.sub("", image)


def match_key(word: str, mode: str) -> str:
    """The string the automaton looks for when `word` is an entry or allow phrase in `mode`."""
    if mode == "exact":
        return word
    if mode == "normalized":
        return _fold(word)
    if mode == "evasive":
        return _evasive(word)
    raise ValueError(f"unknown match mode {mode!r}; expected one of {', '.join(MODES)}")


def _check_mode(mode: str) -> int:
    try:
        return _MODE_CODES[mode]
    except KeyError:
        raise ValueError(f"unknown match mode {mode!r}; expected one of {', '.join(MODES)}") from None


def _as_entry(entry: Entry | str) -> Entry:
    return entry if isinstance(entry, Entry) else Entry(entry)


# --- checks for the checker (E007, W103) ---------------------------------------------------------


def invalid_entries(entries: Iterable[Entry | str], allow: Iterable[str], mode: str) -> list[tuple[str, str]]:
    """E007: `(word, problem)` for entries and allow phrases that are empty or become empty in `mode`."""
    _check_mode(mode)
    problems: list[tuple[str, str]] = []
    for entry in map(_as_entry, entries):
        if not entry.word:
            problems.append((entry.word, "empty wordlist entry"))
        elif not match_key(entry.word, mode):
            problems.append((entry.word, _empty_reason(entry.word, mode, "entry")))
    for phrase in allow:
        if not phrase:
            problems.append((phrase, "empty allow phrase"))
        elif not match_key(phrase, mode):
            problems.append((phrase, _empty_reason(phrase, mode, "allow phrase")))
    return problems


def _empty_reason(word: str, mode: str, what: str) -> str:
    if mode == "evasive":
        return f"{what} {word!r} has no letter or digit; evasive matching ignores everything else"
    return f"{what} {word!r} is empty after {mode} normalization"


def duplicate_entries(entries: Iterable[Entry | str], allow: Iterable[str], mode: str) -> list[tuple[str, str]]:
    """W103: `(word, reason)` for entries equal in `mode` to an allow phrase or to an earlier entry.

    An entry equal to an allow phrase is never reported (every occurrence lies inside an occurrence of
    the phrase); an entry equal to an earlier one is reported as the earlier one. One reason per entry,
    the allow phrase first. Empty entries are left to `invalid_entries`.
    """
    _check_mode(mode)
    allow_by_key: dict[str, str] = {}
    for phrase in allow:
        key = match_key(phrase, mode)
        if key:
            allow_by_key.setdefault(key, phrase)
    first_by_key: dict[str, str] = {}
    found: list[tuple[str, str]] = []
    for entry in map(_as_entry, entries):
        key = match_key(entry.word, mode)
        if not key:
            continue
        phrase = allow_by_key.get(key)
        earlier = first_by_key.get(key)
        if phrase is not None:
            same = "is" if phrase == entry.word else f"equals in {mode} mode"
            found.append((entry.word, f"entry {entry.word!r} {same} the allow phrase {phrase!r}, so it never matches"))
        elif earlier is not None:
            same = (
                "is written twice" if earlier == entry.word else f"equals the earlier entry {earlier!r} in {mode} mode"
            )
            found.append((entry.word, f"entry {entry.word!r} {same}; only the first one is used"))
        if earlier is None:
            first_by_key[key] = entry.word
    return found


# --- automata ----------------------------------------------------------------------------------

_Hits = list[tuple[int, int, int]]  # (key index, start, end) in the image of the text
_Search = Callable[[str, bool], _Hits]  # (image, overlapping=True) -> every occurrence of every key


class _Find(Protocol):
    def __call__(self, text: str, field: str | None = None) -> list[Match]: ...


def _no_hits(image: str, overlapping: bool = True) -> _Hits:
    return []


def _build_search(keys: list[str], automaton: str) -> tuple[str, _Search]:
    """The automaton library used and a function returning every (overlapping) occurrence of every key."""
    if automaton == "auto":
        automaton = "ahocorasick_rs" if _ahocorasick_rs is not None else "pyahocorasick"
    if automaton not in AUTOMATA:
        raise ValueError(f"unknown automaton {automaton!r}; expected 'auto' or one of {', '.join(AUTOMATA)}")
    if not keys:
        return automaton, _no_hits
    if automaton == "ahocorasick_rs":
        if _ahocorasick_rs is None:
            raise ValueError("automaton 'ahocorasick_rs' is not installed (pip install ahocorasick_rs)")
        if any(map(_needs_pyahocorasick, keys)):
            raise ValueError("automaton 'ahocorasick_rs' cannot hold lone surrogates or U+FFFF; use 'pyahocorasick'")
        # Code-point offsets, every occurrence with overlapping=True; called as search(image, True).
        return automaton, _ahocorasick_rs.AhoCorasick(keys).find_matches_as_indexes
    if _pyahocorasick is None:
        raise ValueError("automaton 'pyahocorasick' is not installed (pip install pyahocorasick)")
    trie = _pyahocorasick.Automaton()
    for index, key in enumerate(keys):
        trie.add_word(key, (index, len(key) - 1))
    trie.make_automaton()
    iterate = trie.iter

    def search_py(image: str, overlapping: bool = True) -> _Hits:
        return [(index, last - back, last + 1) for last, (index, back) in iterate(image)]

    return automaton, search_py


_SURROGATE = re.compile("[\ud800-\udfff]")


def _needs_pyahocorasick(key: str) -> bool:
    """Keys a UTF-8 automaton cannot hold: lone surrogates, and U+FFFF (their stand-in in texts)."""
    return "\uffff" in key or _SURROGATE.search(key) is not None


def _without_surrogates(image: str) -> str:
    """`image` with lone surrogates (which no UTF-8 automaton accepts) replaced one for one by U+FFFF.

    Only used with automata whose keys hold no surrogate and no U+FFFF (a noncharacter): a key can
    never match across a surrogate, with or without the replacement, so hits and offsets are unchanged.
    """
    return _SURROGATE.sub("\uffff", image)


def _make_find(mode: int, search: _Search, collect: Callable[[str, str, _Hits, str | None], list[Match]]) -> _Find:
    """`find` for one mode, as a closure: the no-match path is a handful of C calls."""
    is_normalized = unicodedata.is_normalized
    fold_table = _FOLD
    evasive = _evasive

    def hits_of(image: str) -> _Hits:  # only after a UnicodeEncodeError (lone surrogates)
        return search(_without_surrogates(image), True)

    if mode == _NORMALIZED:

        def find(text: str, field: str | None = None) -> list[Match]:
            if text.isascii():
                image = text.lower()
            elif is_normalized("NFKC", text):
                # Every code point of an NFKC-normalized string is normalized on its own, so the
                # per-code-point image is just the (context-free) str.casefold.
                image = text.casefold()
            else:
                image = text.translate(fold_table)
            try:
                hits = search(image, True)
            except UnicodeEncodeError:
                hits = hits_of(image)
            if not hits:
                return []
            return collect(text, image, hits, field)

    elif mode == _EXACT:

        def find(text: str, field: str | None = None) -> list[Match]:
            try:
                hits = search(text, True)
            except UnicodeEncodeError:
                hits = hits_of(text)
            if not hits:
                return []
            return collect(text, text, hits, field)

    else:

        def find(text: str, field: str | None = None) -> list[Match]:
            image = evasive(text)
            try:
                hits = search(image, True)
            except UnicodeEncodeError:
                hits = hits_of(image)
            if not hits:
                return []
            return collect(text, image, hits, field)

    return find


def _rebuild(entries: tuple[Entry, ...], allow: tuple[str, ...], mode: str, automaton: str) -> WordlistMatcher:
    return WordlistMatcher(entries, allow, mode, automaton=automaton)


class WordlistMatcher:
    """All entries and allow phrases of one wordlist, compiled into one automaton.

    `find(text, field=None) -> list[Match]`: every occurrence of every entry in `text`, ordered by
    start, then longest first, then entry order. It normalizes the text once (a fast path when that
    keeps every code point one code point), runs the automaton once, and only on a hit maps offsets
    back to the original text, widens them to whole original characters, applies `allow` and sorts.
    `find` is built per instance (a closure) so that the no-match path stays a few C calls.
    """

    __slots__ = ("entries", "allow", "mode", "automaton", "find", "_mode", "_key_entry", "_key_allow", "_has_allow")

    entries: tuple[Entry, ...]
    allow: tuple[str, ...]
    mode: str
    automaton: str
    find: _Find

    def __init__(
        self,
        entries: Sequence[Entry | str],
        allow: Sequence[str] = (),
        mode: str = "normalized",
        *,
        automaton: str = "auto",
    ) -> None:
        self._mode = _check_mode(mode)
        self.mode = mode
        self.entries = tuple(map(_as_entry, entries))
        self.allow = tuple(allow)
        problems = invalid_entries(self.entries, self.allow, mode)
        if problems:
            raise ValueError("; ".join(problem for _, problem in problems))
        index_of: dict[str, int] = {}
        keys: list[str] = []
        key_entry: list[Entry | None] = []
        key_allow: list[bool] = []
        for entry in self.entries:
            key = match_key(entry.word, mode)
            if key not in index_of:  # same key as an earlier entry: the first one reports (W103)
                index_of[key] = len(keys)
                keys.append(key)
                key_entry.append(entry)
                key_allow.append(False)
        for phrase in self.allow:
            key = match_key(phrase, mode)
            index = index_of.get(key)
            if index is None:
                index_of[key] = len(keys)
                keys.append(key)
                key_entry.append(None)
                key_allow.append(True)
            else:
                key_allow[index] = True
        self._key_entry = key_entry
        self._key_allow = key_allow
        self._has_allow = any(key_allow)
        if automaton == "auto" and any(map(_needs_pyahocorasick, keys)):
            automaton = "pyahocorasick"
        self.automaton, search = _build_search(keys, automaton)
        self.find = _make_find(self._mode, search, self._collect)

    def __repr__(self) -> str:
        return (
            f"WordlistMatcher(mode={self.mode!r}, entries={len(self.entries)}, "
            f"allow={len(self.allow)}, automaton={self.automaton!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.entries, self.allow, self.mode, self.automaton))

    def replace(self, text: str) -> tuple[str, list[Match]]:
        """Apply the replacements of matched entries that have one, leftmost-longest, never overlapping.

        Returns the new text and the matches applied (in order). Matches of entries without a
        replacement do not block others.
        """
        applied: list[Match] = []
        position = 0
        for match in self.find(text):
            if match.replacement is not None and match.start >= position:
                applied.append(match)
                position = match.end
        if not applied:
            return text, applied
        parts: list[str] = []
        last = 0
        for match in applied:
            parts.append(text[last : match.start])
            parts.append(match.replacement)  # type: ignore[arg-type]  # filtered above
            last = match.end
        parts.append(text[last:])
        return "".join(parts), applied

    def _collect(self, text: str, image: str, hits: _Hits, field: str | None) -> list[Match]:
        """Turn automaton hits in `image` into sorted, allow-filtered matches in `text`."""
        mode = self._mode
        owner: list[int] | None = None
        if mode == _EVASIVE or (mode == _NORMALIZED and len(image) != len(text)):
            owner = _owners(text, _EVASIVE_TABLE if mode == _EVASIVE else _FOLD)
        key_entry = self._key_entry
        key_allow = self._key_allow
        found: list[tuple[int, int, int]] = []  # (start, -end, key index): the report order
        allowed: list[tuple[int, int]] = []
        for index, start, end in hits:
            if owner is not None:
                start = owner[start]
                end = owner[end - 1] + 1
            if key_allow[index]:
                allowed.append((start, end))
            if key_entry[index] is not None:
                found.append((start, -end, index))
        if not found:
            return []
        if len(found) > 1:
            # Widening to whole characters can make two occurrences identical (`s` twice in `ß`).
            found = sorted(set(found)) if owner is not None else sorted(found)
        if allowed:
            found = [f for f in found if not any(a <= f[0] and -f[1] <= b for a, b in allowed)]
        matches: list[Match] = []
        for start, neg_end, index in found:
            entry: Entry = key_entry[index]  # type: ignore[assignment]  # found holds entries only
            matches.append(
                Match(entry.word, text[start:-neg_end], start, -neg_end, entry.category, entry.replacement, field)
            )
        return matches


def _owners(text: str, table: dict[int, str]) -> list[int]:
    """For each character of the image of `text` under `table`, the index of the character that made it."""
    owner: list[int] = []
    append = owner.append
    for index, char in enumerate(text):
        size = len(table[ord(char)])
        if size == 1:
            append(index)
        elif size:
            owner.extend([index] * size)
    return owner
