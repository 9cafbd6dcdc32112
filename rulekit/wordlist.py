"""Wordlists as data: entries, the source-file format, the match key of an entry in each mode, and the E007/W103 checks."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rulekit.categories import CategoryScope, parse_scope
from rulekit.runtime.patterns import char_class, is_pattern, pattern_problem

__all__ = [
    "MODES",
    "on_word_boundaries",
    "Entry",
    "check_mode",
    "duplicate_entries",
    "evasive_image",
    "fold",
    "invalid_entries",
    "match_key",
    "parse_wordlist",
]

MODES: tuple[str, ...] = ("exact", "normalized", "evasive", "words")
"""The match modes of LANGUAGE §5, in order of increasing tolerance, and `words` (an extension: `normalized` on
word boundaries, docs/language.md)."""

_EXACT, _NORMALIZED, _EVASIVE, _WORDS = 0, 1, 2, 3
_MODE_CODES = {"exact": _EXACT, "normalized": _NORMALIZED, "evasive": _EVASIVE, "words": _WORDS}


@dataclass(frozen=True, slots=True)
class Entry:
    """One wordlist entry: the word as written, and its optional category and replacement.

    `deletes` marks a replacement column that is present but empty (`word<TAB>category<TAB>`): the
    replacement stays null as LANGUAGE §5 says, and `--fix` deletes the word. `scope` (an
    extension: a column `@only …`/`@except …`) keeps the entry to listings of some categories; `whole_word` keeps its hits to whole words (the
    generated pinyin forms of `variants pinyin`); `spelled` is the Latin form a generated entry is looked for as.
    """

    word: str
    category: str | None = None
    replacement: str | None = None
    deletes: bool = False
    scope: CategoryScope | None = None
    whole_word: bool = False
    spelled: str | None = None

    @property
    def pattern(self) -> bool:
        """Whether the entry is a pattern (`re:…`, docs/language.md)."""
        return is_pattern(self.word)


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
        image = "".join(ch for ch in FOLD_TABLE[cp] if unicodedata.category(ch)[0] in "LN")
        self[cp] = image
        return image


FOLD_TABLE = _FoldTable()
EVASIVE_TABLE = _EvasiveTable()
# `[\W_]` is exactly "not in Unicode categories L* or N*" for str patterns (tests check every code
# point); a regex sub runs in C, unlike a Python-level filter.
_SEPARATORS = re.compile(r"[\W_]+")
_ASCII_SEPARATORS = bytes(cp for cp in range(128) if not chr(cp).isalnum())
_is_normalized = unicodedata.is_normalized


#: The code points seen so far whose NFKC form is not themselves (full-width punctuation, compatibility
#: ideographs…), each to that form, and a pattern matching any of them (None until one is seen).
_UNSTABLE: dict[str, str] = {}
_unstable_rx: re.Pattern[str] | None = None


def fold(text: str) -> str:
    """The normalized-mode image of `text`: casefold(NFKC(c)) for each code point, concatenated."""
    if text.isascii():
        return text.lower()
    if _is_normalized("NFKC", text):
        # Every code point of an NFKC-normalized string is normalized on its own, so fold(c) is
        # c.casefold() and str.casefold (context free) gives the concatenation directly.
        return text.casefold()
    # The known unstable code points replaced by their NFKC forms: when what is left is NFKC-normalized, no
    # code point that changes under NFKC remains (those never occur in normalized text; the ones that may
    # compose with a neighbour are their own NFKC form alone), so fold(c) is c.casefold() for each of the
    # others. A fraction of the cost of a per-code-point translate, which stays the answer otherwise.
    if _unstable_rx is not None:
        part = text
        for ch in set(_unstable_rx.findall(text)):  # an NFKC form holds no unstable code point: the order is free
            part = part.replace(ch, _UNSTABLE[ch])
        if _is_normalized("NFKC", part):
            return part.casefold()
    _learn_unstable(text)
    return text.translate(FOLD_TABLE)


_compiled_count = 0


def _learn_unstable(text: str) -> None:
    """Add the text's unstable code points to `_UNSTABLE`; the pattern is rebuilt (as ranges) while they are few and
    then each time they grow by half, so texts with ever new ones cost O(n log n) compiling in all. A code point
    not in the pattern yet only sends its text to `str.translate`."""
    global _unstable_rx, _compiled_count
    new = {ch: form for ch in set(text) if ch not in _UNSTABLE and (form := unicodedata.normalize("NFKC", ch)) != ch}
    if not new:
        return
    _UNSTABLE.update(new)
    if len(_UNSTABLE) > 64 and len(_UNSTABLE) < _compiled_count * 3 // 2:
        return
    _unstable_rx = re.compile(char_class(map(ord, _UNSTABLE)))
    _compiled_count = len(_UNSTABLE)


def evasive_image(text: str) -> str:
    """The evasive-mode image of `text`: the normalized image without non-letters/non-digits."""
    return evasive_of_folded(fold(text))


def evasive_of_folded(image: str) -> str:
    """The evasive-mode image of a text from its normalized image (`fold(text)`)."""
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
    if mode in ("normalized", "words"):
        return fold(word)
    if mode == "evasive":
        return evasive_image(word)
    raise ValueError(f"unknown match mode {mode!r}; expected one of {', '.join(MODES)}")


def word_char(ch: str) -> bool:
    """A character that continues a word of a Latin-script language: a letter or digit of the Latin, Greek or
    Cyrillic blocks (U+0000–U+04FF) or a full-width Latin letter or digit. CJK characters are not: Chinese has no
    word boundaries to keep, so an entry's CJK edge matches anywhere."""
    if ch.isascii():
        return ch.isalnum()
    o = ord(ch)
    return (o <= 0x04FF and ch.isalnum()) or (0xFF10 <= o <= 0xFF19) or (0xFF21 <= o <= 0xFF3A) or \
        (0xFF41 <= o <= 0xFF5A)


def on_word_boundaries(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] neither begins nor ends inside a word: an edge character that is a word character
    (`word_char`) must not have a word character beside it."""
    if start > 0 and word_char(text[start]) and word_char(text[start - 1]):
        return False
    return not (end < len(text) and word_char(text[end - 1]) and word_char(text[end]))


def check_mode(mode: str) -> int:
    """The code of a match mode; ValueError for an unknown one."""
    try:
        return _MODE_CODES[mode]
    except KeyError:
        raise ValueError(f"unknown match mode {mode!r}; expected one of {', '.join(MODES)}") from None


def as_entry(entry: Entry | str) -> Entry:
    """An Entry from an Entry or a plain word."""
    return entry if isinstance(entry, Entry) else Entry(entry)


# --- checks for the checker (E007, W103) ---------------------------------------------------------


def invalid_entries(entries: Iterable[Entry | str], allow: Iterable[str], mode: str) -> list[tuple[str, str]]:
    """E007: `(word, problem)` for entries and allow phrases that are empty or become empty in `mode`."""
    check_mode(mode)
    problems: list[tuple[str, str]] = []
    for entry in map(as_entry, entries):
        if not entry.word:
            problems.append((entry.word, "empty wordlist entry"))
        elif entry.pattern:
            problem = pattern_problem(entry.word)
            if problem is not None:
                problems.append((entry.word, problem))
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
    check_mode(mode)
    allow_by_key: dict[str, str] = {}
    for phrase in allow:
        key = match_key(phrase, mode)
        if key:
            allow_by_key.setdefault(key, phrase)
    first_by_key: dict[str, str] = {}
    found: list[tuple[str, str]] = []
    for entry in map(as_entry, entries):
        key = entry.word if entry.pattern else match_key(entry.word, mode)
        if not key:
            continue
        phrase = None if entry.pattern else allow_by_key.get(key)
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




# --- the source-file format ------------------------------------------------------------------

_BOM = "\ufeff"


def parse_wordlist(data: bytes | str, *, mode: str | None = None) -> tuple[list[Entry], list[tuple[int, str]]]:
    """Parse the contents of a wordlist file; returns the entries and `(line_number, problem)` for bad lines (E007).

    Lines count from 1. With `mode`, an entry that becomes empty in that match mode is a problem too.
    Bytes that are not UTF-8 are a problem of their line.

    Format: UTF-8 (a BOM is skipped); lines end with LF or CRLF; blank lines are skipped, and so are
    lines whose first character is `#` (a `#` anywhere else is part of the entry); columns are
    separated by tabs, and spaces around a column are trimmed; an empty category or replacement
    column is None (a present but empty replacement column sets `deletes`); a column after the word that starts
    with `@` is the entry's category scope (`@only 药品, 医疗器械`, `@except 图书`), wherever it stands, and is not
    counted among the others; more than three other columns, or an empty word, is a problem.
    A word `re:…` is a pattern entry.
    """
    if mode is not None:
        match_key("", mode)  # validates the mode up front
    lines = data.split(b"\n") if isinstance(data, bytes) else data.split("\n")
    entries: list[Entry] = []
    problems: list[tuple[int, str]] = []
    for number, raw in enumerate(lines, start=1):
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                problems.append((number, f"not valid UTF-8 (byte {error.start + 1} of the line)"))
                continue
        else:
            line = raw
        if number == 1 and line.startswith(_BOM):
            line = line[1:]
        if line.endswith("\r"):
            line = line[:-1]
        if not line.strip() or line.startswith("#"):
            continue
        columns = [column.strip() for column in line.split("\t")]
        scope = None
        scoped = [c for c in columns[1:] if c.startswith("@")]
        if scoped:
            columns = [c for c in columns if not c.startswith("@") or c is columns[0]]
            try:
                if len(scoped) > 1:
                    raise ValueError("more than one scope column (`@only …`, `@except …`)")
                scope = parse_scope(scoped[0][1:])
            except ValueError as error:
                problems.append((number, str(error)))
                continue
        if len(columns) > 3:
            problems.append(
                (number, f"{len(columns)} tab-separated columns; at most 3 are allowed (word, category, replacement) "
                         "and a scope column `@only …` or `@except …`")
            )
            continue
        word = columns[0]
        if not word:
            problems.append((number, "empty word (the line starts with a tab)"))
            continue
        if is_pattern(word):
            problem = pattern_problem(word)
            if problem is not None:
                problems.append((number, problem))
                continue
        elif mode is not None and not match_key(word, mode):
            if mode == "evasive":
                problems.append(
                    (number, f"entry {word!r} has no letter or digit; evasive matching ignores everything else")
                )
            else:
                problems.append((number, f"entry {word!r} is empty after {mode} normalization"))
            continue
        category = columns[1] or None if len(columns) > 1 else None
        replacement = columns[2] or None if len(columns) > 2 else None
        entries.append(Entry(word, category, replacement, len(columns) > 2 and not columns[2], scope))
    return entries, problems
