"""Finds wordlist entries in text with one Aho-Corasick automaton per wordlist (exact, normalized, evasive)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rulekit.wordlist import (
    _EVASIVE,
    _EXACT,
    _WORDS,
    EVASIVE_TABLE,
    FOLD_TABLE,
    MODES,
    Entry,
    as_entry,
    check_mode,
    duplicate_entries,
    evasive_of_folded,
    fold,
    invalid_entries,
    match_key,
    on_word_boundaries,
)

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

AUTOMATA: tuple[str, ...] = ("ahocorasick_rs", "pyahocorasick")
"""Automaton libraries the matcher can run on; `"auto"` picks the first one installed."""



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
    deletes: bool = False  # the entry's replacement column is present and empty: a fix deletes the word

    def with_field(self, field: str | None) -> Match:
        """The same match, attributed to `field` (`kind.path`, or None)."""
        return Match(self.word, self.text, self.start, self.end, self.category, self.replacement, field, self.deletes)

    @property
    def fix(self) -> str | None:
        """The text a fix puts in place of the match: the replacement, `""` for a deleting entry, else None."""
        return "" if self.deletes else self.replacement


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


class LastTwo:
    """A function of a string, with its last two answers kept (by the argument's identity, not equality: a string
    is immutable, and a hit compares one pointer). The images of a mode: a record's rules run every wordlist of a
    mode over the same title and description, and each is normalized once. Each slot is one tuple, so a thread
    that reads it sees a text with its own answer."""

    __slots__ = ("make", "first", "second")

    def __init__(self, make: Callable[[str], Any]):
        self.make = make
        self.first: tuple[str | None, Any] = (None, None)
        self.second: tuple[str | None, Any] = (None, None)

    def __call__(self, text: str) -> Any:
        hit = self.first
        if hit[0] is text:
            return hit[1]
        hit = self.second
        if hit[0] is text:
            return hit[1]
        image = self.make(text)
        self.second, self.first = self.first, (text, image)
        return image


#: One cache of images per mode, shared by every matcher of that mode.
NORMALIZED_IMAGES = LastTwo(fold)
EVASIVE_IMAGES = LastTwo(lambda text: evasive_of_folded(NORMALIZED_IMAGES(text)))  # folded once for both modes


def _make_find(mode: int, search: _Search, collect: Callable[[str, str, _Hits, str | None], list[Match]]) -> _Find:
    """`find` for one mode, as a closure: the no-match path is a handful of C calls."""

    def hits_of(image: str) -> _Hits:  # only after a UnicodeEncodeError (lone surrogates)
        return search(_without_surrogates(image), True)

    if mode == _EXACT:

        def find(text: str, field: str | None = None) -> list[Match]:
            try:
                hits = search(text, True)
            except UnicodeEncodeError:
                hits = hits_of(text)
            if not hits:
                return []
            return collect(text, text, hits, field)

        return find

    images = EVASIVE_IMAGES if mode == _EVASIVE else NORMALIZED_IMAGES

    def find_image(text: str, field: str | None = None) -> list[Match]:
        image = images(text)
        try:
            hits = search(image, True)
        except UnicodeEncodeError:
            hits = hits_of(image)
        if not hits:
            return []
        return collect(text, image, hits, field)

    return find_image


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

    __slots__ = ("entries", "allow", "mode", "automaton", "find", "keys", "_mode", "_key_entry", "_key_allow",
                 "_has_allow")

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
        self._mode = check_mode(mode)
        self.mode = mode
        self.entries = tuple(map(as_entry, entries))
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
        #: the automaton's keys (entries, then allow phrases not among them), as `search` numbers its hits
        self.keys: tuple[str, ...] = tuple(keys)
        self._key_entry = key_entry
        self._key_allow = key_allow
        self._has_allow = any(key_allow)
        if automaton == "auto" and any(map(_needs_pyahocorasick, keys)):
            automaton = "pyahocorasick"
        self.automaton, search = _build_search(keys, automaton)
        self.find = _make_find(self._mode, search, self._collect)

    def use_search(self, search: Callable[[str, bool], _Hits]) -> None:
        """Find with another search that gives the same hits (numbered by `keys`): a fused automaton's."""
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

        Returns the new text and the matches applied (in order). Deleting entries remove the word;
        matches of entries without a replacement do not block others.
        """
        applied: list[Match] = []
        position = 0
        for match in self.find(text):
            if match.fix is not None and match.start >= position:
                applied.append(match)
                position = match.end
        if not applied:
            return text, applied
        parts: list[str] = []
        last = 0
        for match in applied:
            parts.append(text[last : match.start])
            parts.append(match.fix)  # type: ignore[arg-type]  # filtered above
            last = match.end
        parts.append(text[last:])
        return "".join(parts), applied

    def _collect(self, text: str, image: str, hits: _Hits, field: str | None) -> list[Match]:
        """Turn automaton hits in `image` into sorted, allow-filtered matches in `text`."""
        mode = self._mode
        owner: list[int] | None = None
        if mode == _EVASIVE or (mode != _EXACT and len(image) != len(text)):
            owner = _owners(text, EVASIVE_TABLE if mode == _EVASIVE else FOLD_TABLE)
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
        if mode == _WORDS:  # only hits that are whole words of the original text (allow phrases apply anywhere)
            found = [f for f in found if on_word_boundaries(text, f[0], -f[1])]
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
                Match(entry.word, text[start:-neg_end], start, -neg_end, entry.category, entry.replacement, field,
                      entry.deletes)
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
