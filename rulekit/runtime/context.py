"""Context filters on matches: `near`, `followed_by`, `preceded_by`, `anywhere` (another wordlist's hits around a hit)."""

from __future__ import annotations

from typing import Any

from rulekit.runtime.support import Undetermined

#: The last text each context wordlist searched and its hits (by the text's identity): the hits of one title are
#: tested against one context list once, however many hits the filter looks at.
_LAST: dict[int, tuple[str, list[Any]]] = {}


def _context_hits(m: Any, wl: Any) -> list[Any]:
    source = m.source
    key = id(wl)
    cached = _LAST.get(key)
    if cached is not None and cached[0] is source:
        return cached[1]
    found = wl.find(source)
    _LAST[key] = (source, found)
    return found


def _distance(n: int) -> int:
    if n is None or n < 0:
        raise Undetermined(f"a context distance must be 0 or more characters, got {n}")
    return n


def near(m: Any, wl: Any, n: int) -> bool:
    """`near(hit, WORDLIST, n)`: an entry of the wordlist occurs within `n` characters of the hit, on either side, or
    overlaps it (`强力胶` is near the hit `强力` at 0)."""
    n = _distance(n)
    lo, hi = m.start - n, m.end + n
    return any(c.start < hi and c.end > lo for c in _context_hits(m, wl))


def followed_by(m: Any, wl: Any, n: int) -> bool:
    """`followed_by(hit, WORDLIST, n)`: an entry of the wordlist begins at most `n` characters after the hit ends
    (0: right after it) and ends after it; it may begin inside the hit but not before it."""
    n = _distance(n)
    return any(m.start <= c.start <= m.end + n and c.end > m.end for c in _context_hits(m, wl))


def preceded_by(m: Any, wl: Any, n: int) -> bool:
    """`preceded_by(hit, WORDLIST, n)`: an entry of the wordlist ends at most `n` characters before the hit begins
    (0: right before it) and begins before it; it may end inside the hit but not after it."""
    n = _distance(n)
    return any(m.start - n <= c.end <= m.end and c.start < m.start for c in _context_hits(m, wl))


def anywhere(m: Any, wl: Any) -> bool:
    """`anywhere(hit, WORDLIST)`: an entry of the wordlist occurs anywhere in the text the hit was found in (the
    same field): `瘦身` in a title that names a garment."""
    return bool(_context_hits(m, wl))
