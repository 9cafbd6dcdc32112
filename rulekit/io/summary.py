"""Counts over a lint run, kept as the reports go by, for the exit code and the summaries of every format."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from rulekit.runtime.report import Report

LEVEL_RANK = {"error": 3, "warning": 2, "info": 1}


@dataclass(slots=True)
class Summary:
    """Counts over a run: records per decision, invalid inputs, and per rule how often it fired or was undetermined."""

    records: int = 0
    decisions: Counter[str] = field(default_factory=Counter)
    invalid: int = 0
    fired: Counter[str] = field(default_factory=Counter)
    undetermined: Counter[str] = field(default_factory=Counter)
    severities: dict[str, str] = field(default_factory=dict)
    worst: str | None = None  # `error`, `warning`, `info` or None, as Report.worst() over all reports

    def add(self, report: Report) -> None:
        """Count one report."""
        self.records += 1
        decision = report.decision
        self.decisions[decision] += 1
        violations, errors = report.violations, report.errors
        if not violations and not errors:  # an allowed subject: nothing else to count
            return
        fired, severities = self.fired, self.severities
        for v in violations:
            rule = v.rule
            fired[rule] += 1
            if rule not in severities:
                severities[rule] = v.severity
        if errors:
            invalid = False
            for e in errors:
                if e.rule is None:
                    invalid = True
                else:
                    self.undetermined[e.rule] += 1
            self.invalid += invalid
        if self.worst != "error":  # nothing is worse than an error: once one is counted, the level stays
            level = "error" if decision == "block" else report.worst()  # `block`: an error violation
            if level is not None and (self.worst is None or LEVEL_RANK[level] > LEVEL_RANK[self.worst]):
                self.worst = level

    def merge(self, other: Summary) -> None:
        """Add the counts of another run's reports (a worker's, with `lint --jobs`)."""
        self.records += other.records
        self.decisions.update(other.decisions)
        self.invalid += other.invalid
        self.fired.update(other.fired)
        self.undetermined.update(other.undetermined)
        for rule, severity in other.severities.items():
            self.severities.setdefault(rule, severity)
        if other.worst is not None and (self.worst is None or LEVEL_RANK[other.worst] > LEVEL_RANK[self.worst]):
            self.worst = other.worst

    def fails(self, fail_on: str) -> bool:
        """Whether the run is at or above `--fail-on` (`error`, `warning`, `info` or `never`)."""
        if fail_on == "never":
            return False
        if fail_on not in LEVEL_RANK:
            raise ValueError(f"unknown --fail-on level {fail_on!r}: expected error, warning or never")
        return self.worst is not None and LEVEL_RANK[self.worst] >= LEVEL_RANK[fail_on]


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What the page header says about the run."""

    now: str  # the evaluation time, ISO 8601
    tool_version: str
    policy_hash: str
    policies: Mapping[str, str | None] = field(default_factory=dict)  # policy id -> version
