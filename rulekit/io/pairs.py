"""What every report writer shares: the (record, report) pair, the invalid-input rule, stubs for unlisted rules."""

from __future__ import annotations

from rulekit.io.readers import InputRecord
from rulekit.runtime.report import Report, RuleDescriptor

Pair = tuple[InputRecord, Report]

INVALID_INPUT_RULE = "rulekit/invalid-input"


def rule_stub(rule_id: str, title: str | None, severity: str, message: str = "") -> RuleDescriptor:
    """A descriptor for a rule id the caller did not list (and for `rulekit/invalid-input`)."""
    policy, _, name = rule_id.rpartition(".")
    return RuleDescriptor(rule_id, policy, name, title, "", severity, "", 0, message)


def where(record: InputRecord) -> str:
    """`file:line` of a record (`<stdin>:line` for standard input)."""
    return place(record.source, record.line)


def place(source: str, line: int) -> str:
    """`file:line` of line `line` of `source`."""
    return f"{source}:{line}"
