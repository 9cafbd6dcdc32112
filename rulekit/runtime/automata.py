"""The Aho-Corasick automata wordlists are searched with: ahocorasick_rs when installed, else pyahocorasick."""

from __future__ import annotations

import re
from collections.abc import Callable

try:  # the faster automaton when installed (docs/matching.md has the measurements)
    import ahocorasick_rs as _ahocorasick_rs
except ImportError:  # pragma: no cover - depends on the environment
    _ahocorasick_rs = None

try:
    import ahocorasick as _pyahocorasick
except ImportError:  # pragma: no cover - depends on the environment
    _pyahocorasick = None

AUTOMATA: tuple[str, ...] = ("ahocorasick_rs", "pyahocorasick")
"""Automaton libraries the matcher can run on; `"auto"` picks the first one installed."""


Hits = list[tuple[int, int, int]]  # (key index, start, end) in the image of the text
Search = Callable[[str, bool], Hits]  # (image, overlapping=True) -> every occurrence of every key


def no_hits(image: str, overlapping: bool = True) -> Hits:
    return []


#: Keys of at most this many UTF-8 bytes in all are searched with a DFA: 1.3-1.6 times faster than the contiguous
#: NFA the library picks for more than 100 keys, at up to about 4 MiB and 6 ms of building (docs/matching.md).
DFA_KEY_BYTES = 8192


def rust_search(keys: list[str]) -> Search:
    """ahocorasick_rs's `find_matches_as_indexes` over `keys`: code-point offsets, every occurrence when called with
    overlapping=True; a DFA when the keys are small."""
    assert _ahocorasick_rs is not None
    small = sum(len(k.encode("utf-8", "surrogatepass")) for k in keys) <= DFA_KEY_BYTES
    implementation = _ahocorasick_rs.Implementation.DFA if small else None
    return _ahocorasick_rs.AhoCorasick(keys, implementation=implementation).find_matches_as_indexes


def pick_automaton(keys: list[str], automaton: str) -> str:
    """The automaton library that will hold `keys` ("auto": the first installed), or ValueError why none can."""
    if automaton == "auto":
        automaton = "ahocorasick_rs" if _ahocorasick_rs is not None else "pyahocorasick"
    if automaton not in AUTOMATA:
        raise ValueError(f"unknown automaton {automaton!r}; expected 'auto' or one of {', '.join(AUTOMATA)}")
    if not keys:
        return automaton
    if automaton == "ahocorasick_rs":
        if _ahocorasick_rs is None:
            raise ValueError("automaton 'ahocorasick_rs' is not installed (pip install ahocorasick_rs)")
        if any(map(needs_pyahocorasick, keys)):
            raise ValueError("automaton 'ahocorasick_rs' cannot hold lone surrogates or U+FFFF; use 'pyahocorasick'")
    elif _pyahocorasick is None:
        raise ValueError("automaton 'pyahocorasick' is not installed (pip install pyahocorasick)")
    return automaton


def build_search(keys: list[str], automaton: str) -> Search:
    """A function returning every (overlapping) occurrence of every key, in the library `pick_automaton` chose."""
    if not keys:
        return no_hits
    if automaton == "ahocorasick_rs":
        return rust_search(keys)
    assert _pyahocorasick is not None
    trie = _pyahocorasick.Automaton()
    for index, key in enumerate(keys):
        trie.add_word(key, (index, len(key) - 1))
    trie.make_automaton()
    iterate = trie.iter

    def search_py(image: str, overlapping: bool = True) -> Hits:
        return [(index, last - back, last + 1) for last, (index, back) in iterate(image)]

    return search_py


_SURROGATE = re.compile("[\ud800-\udfff]")


def needs_pyahocorasick(key: str) -> bool:
    """Keys a UTF-8 automaton cannot hold: lone surrogates, and U+FFFF (their stand-in in texts)."""
    return "\uffff" in key or _SURROGATE.search(key) is not None


def without_surrogates(image: str) -> str:
    """`image` with lone surrogates (which no UTF-8 automaton accepts) replaced one for one by U+FFFF.

    Only used with automata whose keys hold no surrogate and no U+FFFF (a noncharacter): a key can
    never match across a surrogate, with or without the replacement, so hits and offsets are unchanged.
    """
    return _SURROGATE.sub("\uffff", image)
