"""Fuses the automata of the wordlists of one mode: a text is searched once for all of them, each keeps its hits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

try:
    import ahocorasick_rs as _ahocorasick_rs
except ImportError:  # pragma: no cover - a required dependency; the plain automata still work
    _ahocorasick_rs = None

from rulekit.runtime.matcher import LastTwo, WordlistMatcher

_Hits = list[tuple[int, int, int]]


class FusedSearch:
    """One automaton over the keys of several matchers (of one mode). `search_for(i)` is matcher i's search: the
    hits of its own keys, numbered as its own automaton numbers them. The fused automaton runs once per text: the
    last two texts' hits are kept (by identity — the texts are the mode's cached images, one object per text)."""

    __slots__ = ("hits", "_owners")

    def __init__(self, keysets: Sequence[Sequence[str]]):
        index_of: dict[str, int] = {}
        owners: list[list[tuple[int, int]]] = []
        for slot, keys in enumerate(keysets):
            for local, key in enumerate(keys):
                g = index_of.get(key)
                if g is None:
                    g = index_of[key] = len(owners)
                    owners.append([])
                owners[g].append((slot, local))
        assert _ahocorasick_rs is not None
        search = _ahocorasick_rs.AhoCorasick(list(index_of)).find_matches_as_indexes
        #: every overlapping occurrence of every fused key in an image (UnicodeEncodeError for lone surrogates, as
        #: the matchers' own automata raise it), the last two images' kept
        self.hits = LastTwo(lambda image: search(image, True))
        self._owners = [tuple(o) for o in owners]

    def search_for(self, slot: int) -> Callable[[str, bool], _Hits]:
        """Matcher `slot`'s search: the fused hits of its own keys."""
        owners = self._owners
        hits = self.hits

        def search(image: str, overlapping: bool = True) -> _Hits:
            found = hits(image)
            if not found:
                return []
            return [(local, start, end) for g, start, end in found for s, local in owners[g] if s == slot]

        return search

    def find_for(self, slot: int, m: WordlistMatcher) -> Callable[..., list[Any]]:
        """Matcher `slot`'s `find`, with the image and hit caches read inline: a text without hits of the mode costs
        two identity checks after its first search."""
        owners = self._owners
        hits = self.hits
        collect = m._collect
        images = m.images
        slow = m.find  # the matcher's own find over the fused search: texts with lone surrogates

        def find(text: str, field: str | None = None, category: str | None = None) -> list[Any]:
            if images is None:
                image = text
            else:
                cached = images.first
                image = cached[1] if cached[0] is text else images(text)
            cached_hits = hits.first
            try:
                found = cached_hits[1] if cached_hits[0] is image else hits(image)
            except UnicodeEncodeError:
                return slow(text, field, category)
            if not found:
                return []
            mine = [(local, start, end) for g, start, end in found for s, local in owners[g] if s == slot]
            if not mine:
                return []
            return collect(text, image, mine, field, category)

        return find


def fuse(matchers: Sequence[WordlistMatcher]) -> int:
    """Give matchers of one image (mode and variants) that use ahocorasick_rs one fused automaton per image; returns
    how many automata were fused away. An image with a single such matcher is left as it is. A matcher with pattern
    entries reads the fused hits through its own `find`, which runs the patterns."""
    by_mode: dict[tuple[str, bool], list[WordlistMatcher]] = {}
    for m in matchers:
        if m.automaton == "ahocorasick_rs" and m.keys:
            by_mode.setdefault(m.image_key, []).append(m)
    saved = 0
    for group in by_mode.values():
        if len(group) < 2 or _ahocorasick_rs is None:
            continue
        fused = FusedSearch([m.keys for m in group])
        for slot, m in enumerate(group):
            m.use_search(fused.search_for(slot))
            if not m.patterns:
                m.find = fused.find_for(slot, m)
        saved += len(group) - 1
    return saved


def matchers_of(namespace: dict[str, Any]) -> list[WordlistMatcher]:
    """The wordlist matchers bound in a compiled namespace."""
    return [v for v in namespace.values() if isinstance(v, WordlistMatcher)]
