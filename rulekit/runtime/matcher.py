"""Finds wordlist entries in text with one Aho-Corasick automaton per wordlist (exact, normalized, evasive)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import compress
from typing import Any, Protocol

from rulekit.categories import CategoryScope
from rulekit.runtime.automata import (
    AUTOMATA,
    Hits,
    Search,
    build_search,
    needs_pyahocorasick,
    pick_automaton,
    rust_search,
    without_surrogates,
)
from rulekit.runtime.match import Match, new_match
from rulekit.runtime.patterns import Pattern, trigger
from rulekit.runtime.variants import VARIANTS, pinyin_of, simplified, translated
from rulekit.wordlist import (
    _EVASIVE,
    _EXACT,
    _NORMALIZED,
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

__all__ = [
    "AUTOMATA",
    "MODES",
    "Entry",
    "Match",
    "WordlistMatcher",
    "duplicate_entries",
    "invalid_entries",
    "match_key",
    "rust_search",
]


class _Find(Protocol):
    def __call__(self, text: str, field: str | None = None, category: str | None = None) -> list[Match]: ...



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
#: The images of wordlists with `variants traditional`: the mode's image with traditional characters simplified.
SIMPLIFIED_IMAGES = {
    _EXACT: LastTwo(simplified),
    _NORMALIZED: LastTwo(lambda text: simplified(NORMALIZED_IMAGES(text))),
    _EVASIVE: LastTwo(lambda text: simplified(EVASIVE_IMAGES(text))),
}
SIMPLIFIED_IMAGES[_WORDS] = SIMPLIFIED_IMAGES[_NORMALIZED]


def images_of(mode: int, traditional: bool) -> LastTwo | None:
    """The image cache a matcher of this mode reads (None: the image is the text itself)."""
    if traditional:
        return SIMPLIFIED_IMAGES[mode]
    if mode == _EXACT:
        return None
    return EVASIVE_IMAGES if mode == _EVASIVE else NORMALIZED_IMAGES


_Collect = Callable[[str, str, Hits, "str | None", "str | None"], list[Match]]


def _make_find(images: LastTwo | None, search: Search, collect: _Collect,
               patterns: tuple[Pattern, ...] = ()) -> _Find:
    """`find` for one mode, as a closure: the no-match path is a handful of C calls. Pattern entries run on the
    image only when their trigger literal is among the automaton's hits (or always, without a trigger)."""

    def hits_of(image: str) -> Hits:  # only after a UnicodeEncodeError (lone surrogates)
        return search(without_surrogates(image), True)

    always = tuple(p for p in patterns if p.trigger < 0)

    def find(text: str, field: str | None = None, category: str | None = None) -> list[Match]:
        image = text if images is None else images(text)
        try:
            hits = search(image, True)
        except UnicodeEncodeError:
            hits = hits_of(image)
        if patterns:
            if hits:
                keys = {h[0] for h in hits}
                hits = hits + [h for p in patterns if p.trigger in keys or p.trigger < 0 for h in p.hits(image)]
            elif always:
                hits = [h for p in always for h in p.hits(image)]
        if not hits:
            return []
        return collect(text, image, hits, field, category)

    return find


def _rebuild(entries: tuple[Entry, ...], allow: tuple[str, ...], mode: str, automaton: str,
             variants: tuple[str, ...] = (), scope: CategoryScope | None = None) -> WordlistMatcher:
    return WordlistMatcher(entries, allow, mode, automaton=automaton, variants=variants, scope=scope)


def _with_pinyin(entries: tuple[Entry, ...]) -> list[Entry]:
    """The entries and, after them, the pinyin forms of their Han entries (looked for as whole words)."""
    out = list(entries)
    forms = pinyin_of([e.word for e in entries if not e.pattern])
    for e in entries:
        if not e.pattern:
            out += [Entry(e.word, e.category, e.replacement, e.deletes, e.scope, True, form)
                    for form in forms[e.word]]
    return out


class WordlistMatcher:
    """All entries and allow phrases of one wordlist, compiled into one automaton.

    `find(text, field=None, category=None) -> list[Match]`: every occurrence of every entry in `text`, ordered by
    start, then longest first, then entry order. It normalizes the text once (a fast path when that
    keeps every code point one code point), runs the automaton once, and only on a hit maps offsets
    back to the original text, widens them to whole original characters, applies `allow` and sorts.
    `find` is built per instance (a closure) so that the no-match path stays a few C calls. Pattern entries
    (`re:…`) run on the image when their trigger literal is found; `variants` adds simplified folding of
    traditional characters and pinyin forms; a `scope` (the wordlist's, or an entry's) keeps entries to the
    categories it names, and `category` is the listing's category path. `checked=True` skips checking the
    entries (empty ones, pattern entries that cannot run): for the wordlists of a checked program only.
    """

    __slots__ = ("entries", "allow", "mode", "automaton", "find", "keys", "_mode", "_key_entry", "_key_allow",
                 "_has_allow", "variants", "scope", "patterns", "images", "scoped", "_whole", "collect", "_spec",
                 "probe")

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
        variants: Sequence[str] = (),
        scope: CategoryScope | None = None,
        checked: bool = False,
    ) -> None:
        self._mode = check_mode(mode)
        self.mode = mode
        self.entries = tuple(map(as_entry, entries))
        self.allow = tuple(allow)
        self.variants = tuple(variants)
        self.scope = scope
        unknown = [v for v in self.variants if v not in VARIANTS]
        if unknown:
            raise ValueError(f"unknown variants {', '.join(unknown)}; expected {', '.join(VARIANTS)}")
        # entries of a checked program were checked already (E007: the checker runs the same `invalid_entries`)
        problems = () if checked else invalid_entries(self.entries, self.allow, mode)
        if problems:
            raise ValueError("; ".join(problem for _, problem in problems))
        traditional = "traditional" in self.variants

        def key_of(word: str) -> str:
            key = match_key(word, mode)
            return translated(key) if traditional else key

        searched = _with_pinyin(self.entries) if "pinyin" in self.variants else list(self.entries)
        index_of: dict[str, int] = {}
        keys: list[str] = []
        key_entry: list[Entry | None] = []
        key_allow: list[bool] = []
        pattern_entries: list[Entry] = []
        for entry in searched:
            if entry.pattern:
                pattern_entries.append(entry)
                continue
            key = key_of(entry.spelled or entry.word)
            if key not in index_of:  # same key as an earlier entry: the first one reports (W103)
                index_of[key] = len(keys)
                keys.append(key)
                key_entry.append(entry)
                key_allow.append(False)
        for phrase in self.allow:
            key = key_of(phrase)
            index = index_of.get(key)
            if index is None:
                index_of[key] = len(keys)
                keys.append(key)
                key_entry.append(None)
                key_allow.append(True)
            else:
                key_allow[index] = True
        patterns: list[Pattern] = []
        for entry in pattern_entries:  # a trigger is a key of its own (no entry): it only says "run the pattern"
            literal = key_of(trigger(entry.word))
            if literal and literal not in index_of:
                index_of[literal] = len(keys)
                keys.append(literal)
                key_entry.append(None)
                key_allow.append(False)
            patterns.append((entry, index_of.get(literal, -1) if literal else -1))  # type: ignore[arg-type]
        #: the automaton's keys (entries, then allow phrases not among them, then pattern triggers), as `search`
        #: numbers its hits; pattern entries number theirs after these
        self.keys: tuple[str, ...] = tuple(keys)
        compiled: list[Pattern] = []
        for entry, trig in patterns:  # type: ignore[misc]
            compiled.append(Pattern(entry.word[3:], len(key_entry), trig))
            key_entry.append(entry)
            key_allow.append(False)
        self.patterns = tuple(compiled)
        self._key_entry = key_entry
        self._key_allow = key_allow
        self._has_allow = any(key_allow)
        self._whole = any(e is not None and e.whole_word for e in key_entry)
        #: whether `find` needs the listing's category (the wordlist or an entry is scoped)
        self.scoped = scope is not None or any(e.scope is not None for e in self.entries)
        if automaton == "auto" and any(map(needs_pyahocorasick, keys)):
            automaton = "pyahocorasick"
        self.automaton = pick_automaton(keys, automaton)
        self.images = images_of(self._mode, traditional)
        #: set by `fused.fuse`: (a function of a text giving its fused hits by matcher, or None for none; this
        #: matcher's slot in them), so generated code can skip `find` for a text without a hit of its own keys
        self.probe: tuple[Callable[[str], Any], int] | None = None
        #: per key, what its matches carry (word, category, replacement, deletes); None for allow phrases, triggers
        self._spec = [None if e is None else (e.word, e.category, e.replacement, e.deletes) for e in key_entry]
        plain = not (self._has_allow or self._whole or self.scoped or self.patterns or self._mode in (_WORDS, _EVASIVE))
        #: hits to matches: `_collect_plain` for lists with nothing to filter, else `_collect`
        self.collect: _Collect = self._collect_plain if plain else self._collect
        # the automaton is built by the first search: a fused matcher (`fused.fuse`) never searches with its own
        self.find = self._first_find

    def _first_find(self, text: str, field: str | None = None, category: str | None = None) -> list[Match]:
        self.find = _make_find(self.images, build_search(list(self.keys), self.automaton), self.collect,
                               self.patterns)
        return self.find(text, field, category)

    @property
    def image_key(self) -> tuple[str, bool]:
        """Matchers with equal keys search the same image of a text (their automata can be fused)."""
        return (self.mode if self.mode != "words" else "normalized", "traditional" in self.variants)

    def use_search(self, search: Callable[[str, bool], Hits]) -> None:
        """Find with another search that gives the same hits (numbered by `keys`): a fused automaton's."""
        self.find = _make_find(self.images, search, self.collect, self.patterns)

    def __repr__(self) -> str:
        return (
            f"WordlistMatcher(mode={self.mode!r}, entries={len(self.entries)}, "
            f"allow={len(self.allow)}, automaton={self.automaton!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.entries, self.allow, self.mode, self.automaton, self.variants, self.scope))

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

    def _collect_plain(self, text: str, image: str, hits: Hits, field: str | None,
                       category: str | None = None) -> list[Match]:
        """`_collect` for a list without allow phrases, whole words, scopes or patterns, in exact or normalized mode:
        when folding kept every character one, the hits are the matches (unique: one automaton key per entry),
        sorted by start, longest first, then entry order."""
        if len(image) != len(text):
            return self._collect(text, image, hits, field, category)
        spec = self._spec
        if len(hits) > 1:
            order = sorted([(s, -e, i) for i, s, e in hits])
            return [new_match(w, text[s:-ne], s, -ne, c, r, field, d, text)
                    for s, ne, i in order for w, c, r, d in (spec[i],)]  # type: ignore[misc]
        i, s, e = hits[0]
        w, c, r, d = spec[i]  # type: ignore[misc]
        return [new_match(w, text[s:e], s, e, c, r, field, d, text)]

    def _collect(self, text: str, image: str, hits: Hits, field: str | None,
                 category: str | None = None) -> list[Match]:
        """Turn automaton hits in `image` into sorted, allow-filtered matches in `text`."""
        mode = self._mode
        owner: list[int] | None = None
        if mode == _EVASIVE or (mode != _EXACT and len(image) != len(text)):
            owner = EVASIVE_OWNERS(text) if mode == _EVASIVE else _owners(text, FOLD_TABLE)
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
        elif self._whole:
            found = [f for f in found if not key_entry[f[2]].whole_word  # type: ignore[union-attr]
                     or on_word_boundaries(text, f[0], -f[1])]
        if self.scoped and found:
            found = self._in_scope(found, category)
        if self.patterns and len(found) > 1:
            found = self._words_over_patterns(found)
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
            matches.append(new_match(entry.word, text[start:-neg_end], start, -neg_end, entry.category,
                                     entry.replacement, field, entry.deletes, text))
        return matches

    def _words_over_patterns(self, found: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
        r"""A pattern entry's hit lying wholly inside a word entry's hit is not reported: the word says it exactly
        (`最便宜` rather than the `最便` of `re:最\p{Han}`)."""
        entry = self._key_entry
        words = [(f[0], -f[1]) for f in found if not entry[f[2]].pattern]  # type: ignore[union-attr]
        if not words:
            return found
        return [f for f in found if not entry[f[2]].pattern  # type: ignore[union-attr]
                or not any(a <= f[0] and -f[1] <= b for a, b in words)]

    def _in_scope(self, found: list[tuple[int, int, int]], category: str | None) -> list[tuple[int, int, int]]:
        """The hits of entries whose scope (and the wordlist's) admits the category path; with no category given,
        the hits of unscoped entries only when the wordlist itself is unscoped."""
        if category is None:
            if self.scope is not None:
                return []
            return [f for f in found if self._key_entry[f[2]].scope is None]  # type: ignore[union-attr]
        if self.scope is not None and not self.scope.applies(category):
            return []
        out = []
        for f in found:
            scope = self._key_entry[f[2]].scope  # type: ignore[union-attr]
            if scope is None or scope.applies(category):
                out.append(f)
        return out


def _evasive_owners(text: str) -> list[int]:
    """`_owners(text, EVASIVE_TABLE)`: when folding keeps every character one character (the usual text), the
    evasive image drops the folded text's non-letters and non-digits and keeps the rest, so the map is the indexes
    of the text without the runs `[\\W_]` finds, cut out of a range in C; otherwise character by character."""
    folded = NORMALIZED_IMAGES(text)
    if len(folded) != len(text):
        return _owners(text, EVASIVE_TABLE)
    owner = list(range(len(text)))
    for run in reversed(list(_SEPARATOR_RUNS.finditer(folded))):
        del owner[run.start() : run.end()]
    return owner


_SEPARATOR_RUNS = re.compile(r"[\W_]+")  # exactly the characters outside L* and N* (wordlist._SEPARATORS)
#: the offset maps of evasive images, by the text's identity (the matchers of a mode map the same title)
EVASIVE_OWNERS = LastTwo(_evasive_owners)


def _owners(text: str, table: dict[int, str]) -> list[int]:
    """For each character of the image of `text` under `table`, the index of the character that made it."""
    sizes = list(map(len, map(table.__getitem__, map(ord, text))))  # one C pass (the table fills on a miss)
    if max(sizes, default=0) <= 1:  # each character makes itself or nothing (evasive separators): pick in C
        return list(compress(range(len(sizes)), sizes))
    owner: list[int] = []
    for index, size in enumerate(sizes):
        if size == 1:
            owner.append(index)
        elif size:
            owner.extend([index] * size)
    return owner
