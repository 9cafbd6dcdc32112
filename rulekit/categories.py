"""Category paths (`医药保健>中西药品>感冒用药`) and the category scopes of wordlists and their entries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

#: Separators of a category path: `>` as the 抖店 adapter joins category levels, and the full-width `＞` and `›`.
_SEPARATOR = re.compile(r"\s*[>＞›]\s*")


@lru_cache(maxsize=4096)
def segments(path: str) -> tuple[str, ...]:
    """The levels of a category path, trimmed, empty levels dropped: `"医药保健 > 中西药品"` → `("医药保健", "中西药品")`."""
    return tuple(s for s in _SEPARATOR.split(path.strip()) if s)


def in_category(path: str, category: str) -> bool:
    """Whether the category path `path` lies in `category`: the levels of `category` occur in `path` as whole,
    consecutive levels. `药品` is in `医药保健>药品>感冒用药`; it is not in `非药品` or `化妆品` (no substring luck);
    `医药保健>药品` is in `医药保健>药品>感冒用药` and not in `药品>医药保健`."""
    want = segments(category)
    have = segments(path)
    if not want or len(want) > len(have):
        return False
    n = len(want)
    return any(have[i : i + n] == want for i in range(len(have) - n + 1))


def in_any_category(path: str, categories: tuple[str, ...] | list[str]) -> bool:
    """`in_category` for any of several categories: a one-level category is a set test on the path's levels."""
    one_level, deeper = _wanted(tuple(categories))
    have = segments(path)
    if not one_level.isdisjoint(have):
        return True
    return any(in_category(path, c) for c in deeper)


@lru_cache(maxsize=1024)
def _wanted(categories: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    """The one-level categories (as a set of their level) and the others (a category with no level matches none)."""
    one = frozenset(levels[0] for c in categories if len(levels := segments(c)) == 1)
    return one, tuple(c for c in categories if len(segments(c)) > 1)


@dataclass(frozen=True, slots=True)
class CategoryScope:
    """Where a wordlist or an entry applies: only in listings of the `only` categories (when any are given), and
    never in those of the `never` categories."""

    only: tuple[str, ...] = ()
    never: tuple[str, ...] = ()

    def applies(self, path: str) -> bool:
        """Whether an entry with this scope is looked for in a listing of category `path`."""
        if self.only and not in_any_category(path, self.only):
            return False
        return not (self.never and in_any_category(path, self.never))

    def __str__(self) -> str:
        parts = []
        if self.only:
            parts.append("only category " + ", ".join(self.only))
        if self.never:
            parts.append("except category " + ", ".join(self.never))
        return "; ".join(parts)


def parse_scope(column: str) -> CategoryScope:
    """A wordlist file's scope column: `only 药品, 医疗器械` or `except 图书` (both may be given, `;` between them).
    ValueError names what is wrong."""
    only: list[str] = []
    never: list[str] = []
    for part in column.split(";"):
        part = part.strip()
        if not part:
            continue
        word, _, rest = part.partition(" ")
        cats = [c.strip() for c in re.split(r"[,，、]", rest) if c.strip()]
        if word not in ("only", "except") or not cats:
            raise ValueError(f"scope column {column!r}: expected `only CATEGORY, …` or `except CATEGORY, …`")
        (only if word == "only" else never).extend(cats)
    return CategoryScope(tuple(only), tuple(never))
