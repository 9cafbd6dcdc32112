"""Rule selection: which rules `--select`/`--ignore` patterns keep (rule ids, policy ids, or globs)."""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase


def matches(pattern: str, rule_id: str) -> bool:
    """Whether a pattern names a rule: its id, its policy's id, or a glob over ids (`ad_law.*`)."""
    return pattern == rule_id or pattern == rule_id.split(".", 1)[0] or fnmatchcase(rule_id, pattern)


def selected(rule_id: str, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> bool:
    """A rule is kept when some `select` pattern names it (or there are none) and no `ignore` pattern does."""
    sel = list(select)
    return (not sel or any(matches(p, rule_id) for p in sel)) and not any(matches(p, rule_id) for p in ignore)


def unmatched(patterns: Iterable[str], rule_ids: Iterable[str]) -> list[str]:
    """The patterns that name no rule at all (almost always a typo)."""
    ids = list(rule_ids)
    return [p for p in patterns if not any(matches(p, r) for r in ids)]
