"""Fuses the automata of the wordlists of one mode: a text is searched once for all of them, each keeps its hits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

try:
    import ahocorasick_rs as _ahocorasick_rs
except ImportError:  # pragma: no cover - a required dependency; the plain automata still work
    _ahocorasick_rs = None

from rulekit.runtime.automata import rust_search
from rulekit.runtime.matcher import LastTwo, WordlistMatcher

_Hits = list[tuple[int, int, int]]


class _Every:
    """Holds every matcher slot: what a probe answers when only each matcher's own `find` can tell."""

    __slots__ = ()

    def __contains__(self, slot: object) -> bool:
        return True


EVERY = _Every()


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
        search = rust_search(list(index_of))
        self._owners = owners_of = [tuple(o) for o in owners]

        def parts(image: str) -> dict[int, _Hits] | None:
            found = search(image, True)
            if not found:
                return None
            by_slot: dict[int, _Hits] = {}
            for g, start, end in found:
                for slot, local in owners_of[g]:
                    mine = by_slot.get(slot)
                    if mine is None:
                        by_slot[slot] = [(local, start, end)]
                    else:
                        mine.append((local, start, end))
            return by_slot

        #: an image's hits split by matcher (None: no hit), searched once per image; the last two images' kept.
        #: Raises UnicodeEncodeError for lone surrogates, as the matchers' own automata do.
        self.hits = LastTwo(parts)

    def search_for(self, slot: int) -> Callable[[str, bool], _Hits]:
        """Matcher `slot`'s search: the fused hits of its own keys."""
        hits = self.hits

        def search(image: str, overlapping: bool = True) -> _Hits:
            by_slot = hits(image)
            return [] if by_slot is None else list(by_slot.get(slot, ()))

        return search

    def probe(self, caches: Sequence[LastTwo | None], family: Sequence[int]
              ) -> Callable[[str], dict[int, _Hits] | None | _Every]:
        """A text's hits split by matcher, or None when there is none: matcher `slot` reads its hits in the image
        of `caches[family[slot]]` (None: the text itself). When every cache gives the text the same image (a text
        without traditional characters) the automaton runs once. `EVERY` (which holds every slot) for a text the
        automaton cannot search (lone surrogates), which each matcher's `find` handles."""
        hits = self.hits
        makers = [(lambda text: text) if c is None else c for c in caches]

        def probe(text: str) -> dict[int, _Hits] | None | _Every:
            try:
                images = [make(text) for make in makers]
                first = images[0]
                if all(image is first for image in images):
                    return hits(first)
                parts = [hits(image) for image in images]
            except UnicodeEncodeError:
                return EVERY
            merged = {slot: h for k, part in enumerate(parts) if part for slot, h in part.items() if family[slot] == k}
            return merged or None

        if len(makers) == 2:  # the usual group: lists with and without `variants traditional`
            one, two = makers

            def probe2(text: str) -> dict[int, _Hits] | None | _Every:
                try:
                    image = one(text)
                    if two(text) is image:
                        return hits(image)
                except UnicodeEncodeError:
                    return EVERY
                return probe(text)

            return probe2
        return probe

    def find_for(self, slot: int, m: WordlistMatcher) -> Callable[..., list[Any]]:
        """Matcher `slot`'s `find`, with both slots of the image and hit caches read inline (a record's title and
        description alternate): a text without hits of the matcher costs a few identity checks after its first
        search."""
        hits = self.hits
        collect = m.collect
        images = m.images
        slow = m.find  # the matcher's own find over the fused search: texts with lone surrogates
        patterns = m.patterns  # each with a trigger literal (`fuse`): run only when the matcher has a hit

        def find(text: str, field: str | None = None, category: str | None = None) -> list[Any]:
            if images is None:
                image = text
            else:
                cached = images.first
                if cached[0] is text:
                    image = cached[1]
                else:
                    cached = images.second
                    image = cached[1] if cached[0] is text else images(text)
            cached = hits.first
            if cached[0] is image:
                by_slot = cached[1]
            else:
                cached = hits.second
                if cached[0] is image:
                    by_slot = cached[1]
                else:
                    try:
                        by_slot = hits(image)
                    except UnicodeEncodeError:
                        return slow(text, field, category)
            if by_slot is None:
                return []
            mine = by_slot.get(slot)
            if mine is None:
                return []
            if patterns:
                keys = {h[0] for h in mine}
                mine = mine + [h for p in patterns if p.trigger in keys for h in p.hits(image)]
            return collect(text, image, mine, field, category)

        return find


def fuse(matchers: Sequence[WordlistMatcher]) -> int:
    """Give matchers of one mode that use ahocorasick_rs one fused automaton; returns how many automata were fused
    away. A mode with a single such matcher is left as it is. A matcher with a pattern entry that has no trigger
    literal reads the fused hits through its own `find`, which runs that pattern on every text.

    Matchers with and without `variants traditional` share the automaton though their images differ: the hits are
    split by matcher per image, so each reads only its own keys' hits in its own image, and a text without
    traditional characters (whose simplified image is the image itself, the same object) is searched once for all.
    """
    by_mode: dict[str, list[WordlistMatcher]] = {}
    for m in matchers:
        if m.automaton == "ahocorasick_rs" and m.keys:
            by_mode.setdefault(m.image_key[0], []).append(m)
    saved = 0
    for group in by_mode.values():
        if len(group) < 2 or _ahocorasick_rs is None:
            continue
        fused = FusedSearch([m.keys for m in group])
        caches: list[LastTwo | None] = []
        for m in group:
            if not any(m.images is c for c in caches):
                caches.append(m.images)
        probe = fused.probe(caches, [next(i for i, c in enumerate(caches) if c is m.images) for m in group])
        for slot, m in enumerate(group):
            m.use_search(fused.search_for(slot))
            if all(p.trigger >= 0 for p in m.patterns):  # a pattern without a trigger runs on every text
                m.find = fused.find_for(slot, m)
                m.probe = (probe, slot)
        saved += len(group) - 1
    return saved


def matchers_of(namespace: dict[str, Any]) -> list[WordlistMatcher]:
    """The wordlist matchers bound in a compiled namespace."""
    return [v for v in namespace.values() if isinstance(v, WordlistMatcher)]
