"""Checks a parsed policy set and hands on a frozen Program whose nodes carry their types and references.

`check` (rulekit/checker/policyset.py) is imported when first called: a run whose checked program comes from the
user cache needs the program's classes, not the checker."""

from __future__ import annotations

from typing import Any

from .program import CheckedPolicy, CheckedRule, CheckedWordlist, Program, type_of

__all__ = ["CheckedPolicy", "CheckedRule", "CheckedWordlist", "Program", "check", "type_of"]


def __getattr__(name: str) -> Any:
    if name == "check":
        from .policyset import check

        return check
    raise AttributeError(f"module 'rulekit.checker' has no attribute {name!r}")
