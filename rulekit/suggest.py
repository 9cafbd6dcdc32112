"""Did-you-mean suggestions for unknown names and fields."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to `name`, if any is close enough."""
    pool = sorted(set(candidates))
    hits = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if hits:
        return hits[0]
    lowered = {c.lower(): c for c in pool}
    return lowered.get(name.lower())


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A help line `did you mean `x`?`, or None."""
    hit = closest(name, candidates)
    return f"did you mean `{hit}`?" if hit else None
