"""The bounds on what is read and evaluated, with their defaults (docs/security.md): no input stops a run."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import timedelta
from typing import Any


@dataclass(frozen=True, slots=True)
class Limits:
    """Every limit, by its configuration name (`record-bytes` is `record_bytes`). A record beyond a limit is an
    invalid record naming the limit; a policy beyond one is a diagnostic."""

    #: bytes of one input record: a JSON line, a CSV row, an element of a JSON array
    record_bytes: int = 8 * 1024 * 1024
    #: bytes of one `.json` document read whole (JSON lines and CSV are streamed)
    document_bytes: int = 512 * 1024 * 1024
    #: digits of a decimal's coefficient in a JSON number, and of any number in `given` test data (integers in
    #: records are bounded by Python at 4,300 digits)
    number_digits: int = 100
    #: the largest power of ten of a JSON number (`1E+400` is beyond the default)
    number_exponent: int = 100
    #: an event this far after `now` is invalid input (it would move the watermark and make every later
    #: subject late)
    max_clock_skew: timedelta = timedelta(days=7)
    #: seconds of regex matching per record (all `matches()` calls of one record together)
    regex_seconds: float = 1.0
    #: bytes of a policy file, of a wordlist file, characters of one wordlist entry, of one regex
    policy_file_bytes: int = 4 * 1024 * 1024
    wordlist_file_bytes: int = 64 * 1024 * 1024
    wordlist_entry_chars: int = 200
    regex_chars: int = 2000
    #: nesting of expressions in a policy (operators, parentheses, lists)
    expression_depth: int = 100

    def with_settings(self, settings: dict[str, Any], where: str) -> Limits:
        """These limits with `name = value` settings (a configuration table); ValueError names a bad one."""
        names = {f.name.replace("_", "-"): f for f in fields(self)}
        changes: dict[str, Any] = {}
        for key, value in settings.items():
            f = names.get(key)
            if f is None:
                raise ValueError(f"{where}: unknown limit `{key}` (limits: {', '.join(names)})")
            if f.name == "max_clock_skew":
                from rulekit.values import is_duration_literal, parse_duration

                ok = isinstance(value, str) and is_duration_literal(value)
                try:
                    changes[f.name] = parse_duration(value) if ok else None
                except ValueError as e:
                    raise ValueError(f"{where}: limit `{key}`: {e}") from None
            elif f.name == "regex_seconds":
                changes[f.name] = float(value) if isinstance(value, int | float) and value > 0 else None
            else:
                changes[f.name] = value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
            if f.name == "number_digits" and changes[f.name] is not None and changes[f.name] > 4300:
                raise ValueError(f"{where}: limit `{key}` is at most 4300 (Python's own bound on reading integers)")
            if changes[f.name] is None:
                raise ValueError(f"{where}: limit `{key}` must be a positive "
                                 + ("duration such as 7d" if f.name == "max_clock_skew" else "number"))
        return replace(self, **changes)


DEFAULT = Limits()

_active = [DEFAULT]


def active() -> Limits:
    """The limits in force for reading inputs and policies (the defaults unless `activate` changed them)."""
    return _active[0]


def activate(limits: Limits) -> None:
    """Make `limits` the ones in force (the CLI does, from the configuration and `--limit`)."""
    _active[0] = limits
