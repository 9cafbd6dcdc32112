"""What the commands share: exit codes, usage errors, option values, diagnostics output, loading an engine."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, TextIO

from rulekit import values
from rulekit.diagnostics import PolicyError, render, sort_key
from rulekit.engine import load
from rulekit.resources import standard_policies

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A bad command line or option value (exit 2)."""


def policy_paths(paths: Sequence[str] | None) -> list[str]:
    """The policy paths given, else the bundled standard policies."""
    return list(paths) if paths else [str(standard_policies())]


def print_diagnostics(diags: Sequence[Any], sources: Any, out: TextIO) -> tuple[int, int]:
    """Write diagnostics rustc-style, sorted; returns (errors, warnings)."""
    errors = warnings = 0
    for d in sorted(diags, key=sort_key):
        out.write(render(d, sources) + "\n\n")
        if d.is_error:
            errors += 1
        else:
            warnings += 1
    return errors, warnings


def load_engine(paths: Sequence[str] | None, lateness: timedelta = timedelta(0)) -> Any:
    """The engine of the policies, or None after printing why they do not load."""
    try:
        return load(*policy_paths(paths), lateness=lateness)
    except PolicyError as e:
        print_diagnostics(e.diagnostics, e.sources, sys.stderr)
        n = sum(1 for d in e.diagnostics if d.is_error)
        print(f"rulekit: the policies have {n} error{'s' * (n != 1)}; nothing was evaluated", file=sys.stderr)
        return None


def parse_now(text: str | None) -> datetime:
    """`--now`: a datetime or a date (midnight UTC+08:00); without it, the wall clock read once."""
    if text is None:
        return datetime.now(values.PLATFORM_TZ)
    try:
        if len(text) == 10:
            return values.date_start(values.parse_date(text))
        return values.parse_datetime(text)
    except ValueError:
        raise UsageError(f"--now: not a datetime: {text!r} (write 2025-06-01T12:00:00+08:00)") from None


def parse_duration(text: str, opt: str) -> timedelta:
    """A duration option such as `--lateness 5m`."""
    if not values.is_duration_literal(text.strip()):
        raise UsageError(f"{opt}: not a duration: {text!r} (write 5m, 1h30m, 0s)")
    return values.parse_duration(text.strip())


def plural(n: int, word: str) -> str:
    """`1 file`, `2 files`."""
    return f"{n} {word}{'s' * (n != 1)}"
