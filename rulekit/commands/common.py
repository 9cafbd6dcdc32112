"""What the commands share: exit codes, usage errors, option values, diagnostics output, loading an engine."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, TextIO

from rulekit import values
from rulekit.config import Config, ConfigError, resolve
from rulekit.diagnostics import PolicyError, render, sort_key
from rulekit.engine import load
from rulekit.limits import DEFAULT as DEFAULT_LIMITS
from rulekit.limits import Limits, activate
from rulekit.limits import active as active_limits
from rulekit.paths import expand
from rulekit.resources import standard_policies
from rulekit.selection import unmatched

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A bad command line or option value (exit 2)."""


def configuration(a: argparse.Namespace) -> Config:
    """The configuration of this run (`--config FILE`, the nearest rulekit.toml or pyproject.toml, or none)."""
    try:
        config = resolve(getattr(a, "config", None), getattr(a, "isolated", False))
    except ConfigError as e:
        raise UsageError(str(e)) from None
    flags = list(getattr(a, "limit", None) or ())
    if getattr(a, "regex_timeout", None):
        flags.append(f"regex-seconds={a.regex_timeout}")
    a.limit = flags
    limits_of(config, flags)  # the `limits` table (and `--limit`, `--regex-timeout`) apply to every command
    return config


def policy_paths(paths: Sequence[str] | None, config: Config | None = None) -> list[str]:
    """The policies `lint`, `explain` and `schema` evaluate with (LANGUAGE §8): the `-p` paths, else the
    configured `policies`, else the bundled standard policies; `extend-policies` is added to the last two."""
    if paths:
        return list(paths)
    config = config or Config()
    base = [str(p) for p in config.policies] if config.policies is not None else [str(standard_policies())]
    return base + [str(p) for p in config.extend_policies]


def authored_paths(a: argparse.Namespace, config: Config) -> list[str]:
    """The policies `check`, `fmt` and `test` work on, which never default to the bundled ones: the paths
    given (with `--bundled`, the bundled set as well), else the configured `policies`, else the `.rule`
    files under the current directory. None at all is a usage error, never a silent pass."""
    paths = list(a.paths)
    if getattr(a, "bundled", False):
        paths.append(str(standard_policies()))
    if paths:
        return paths
    if config.policies is not None:
        return [str(p) for p in config.policies] + [str(p) for p in config.extend_policies]
    if expand(["."], (".rule",)).files:
        return ["."]
    raise UsageError("no policies here: give a path, set `policies` in rulekit.toml (or [tool.rulekit] in "
                     "pyproject.toml), or name the bundled policies with --bundled")


def warn_unmatched(engine: Any, select: Sequence[str], ignore: Sequence[str], severity: Any) -> None:
    """A selection pattern or severity override that names no rule is a typo: say so on stderr."""
    ids = [r.id for r in engine.program.rules()] if engine is not None else []
    for opt, pats in (("select", select), ("ignore", ignore), ("severity", list(severity or {}))):
        for p in unmatched(pats, ids):
            print(f"rulekit: warning: {opt} `{p}` names no rule of these policies", file=sys.stderr)


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


def limits_of(config: Any, flags: Sequence[str] | None = None) -> Limits:
    """The limits: the defaults, the configuration's `limits` table, then `--limit NAME=VALUE` flags; the readers
    apply them from here on. UsageError names a bad one."""
    limits = DEFAULT_LIMITS
    try:
        limits = limits.with_settings(config.limits, config.where or "configuration")
        for flag in flags or ():
            name, sep, text = flag.partition("=")
            if not sep:
                raise ValueError(f"--limit {flag}: expected NAME=VALUE, e.g. --limit record-bytes=16777216")
            value: Any = text.strip()
            if value.replace(".", "", 1).isdigit():
                value = float(value) if "." in value else int(value)
            limits = limits.with_settings({name.strip(): value}, "--limit")
    except ValueError as e:
        raise UsageError(str(e)) from None
    activate(limits)
    return limits


def load_engine(paths: Sequence[str], lateness: timedelta = timedelta(0), *, select: Sequence[str] = (),
                ignore: Sequence[str] = (), severity: Any = None, limits: Limits | None = None,
                absent: Any = None) -> Any:
    """The engine of the policies (the selected rules of them), or None after printing why they do not load.

    `absent`: built-in fields the input source does not have (an adapter's), optional in this engine."""
    try:
        engine = load(*paths, lateness=lateness, select=select, ignore=ignore, severity=severity,
                      limits=limits or active_limits(), absent=absent)
        warn_unmatched(engine, select, ignore, severity)
        return engine
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
        raise UsageError(f"{opt}: not a duration: `{text}` (write 5m, 1h30m, 0s)")
    try:
        return values.parse_duration(text.strip())
    except ValueError as e:
        raise UsageError(f"{opt}: {e}") from None


def plural(n: int, word: str) -> str:
    """`1 file`, `2 files`."""
    return f"{n} {word}{'s' * (n != 1)}"


def selection(a: argparse.Namespace, config: Config) -> tuple[list[str], list[str]]:
    """(select, ignore): the command line's `--select`/`--ignore` when given, else the configuration's."""
    select = [p for v in (a.select or []) for p in v.split(",") if p] or list(config.select)
    ignore = [p for v in (a.ignore or []) for p in v.split(",") if p] or list(config.ignore)
    return select, ignore
