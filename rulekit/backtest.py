"""Scores a policy set's reports against hand labels: confusion counts, precision and recall, the errors, the diff."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rulekit.runtime.report import Report

LABELS = ("yes", "no", "unsure")


@dataclass(frozen=True, slots=True)
class Label:
    """One hand label: record `id` (of `kind`, when ids repeat across kinds) is a violation (`yes`) or not (`no`),
    of the whole record, of one `rule`, or of any rule of one `policy`."""

    id: str
    label: str
    rule: str | None = None
    policy: str | None = None
    kind: str | None = None
    line: int = 0

    @property
    def scope(self) -> str:
        """`rule R`, `policy P` or `record`."""
        return f"rule {self.rule}" if self.rule else f"policy {self.policy}" if self.policy else "record"

    def predicted(self, fired: Iterable[str]) -> list[str]:
        """The fired rules this label is about (the prediction is positive when there is one)."""
        if self.rule:
            return [r for r in fired if r == self.rule]
        if self.policy:
            return [r for r in fired if r.startswith(self.policy + ".")]
        return list(fired)


def read_labels(lines: Iterable[str], source: str, rule_ids: set[str]) -> tuple[list[Label], list[str]]:
    """The labels of a JSON lines file, and a problem line (`FILE:LINE: …`) for each line that is not one; a bad
    line is skipped and the others are read."""
    out: list[Label] = []
    problems: list[str] = []
    policies = {r.split(".", 1)[0] for r in rule_ids}
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        where = f"{source}:{number}"
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            problems.append(f"{where}: not valid JSON ({e.msg}, column {e.colno})")
            continue
        if not isinstance(d, dict):
            problems.append(f"{where}: expected an object like {{\"id\": \"L-1\", \"label\": \"yes\"}}")
            continue
        rid, label = d.get("id"), d.get("label")
        if not isinstance(rid, str) or not rid:
            problems.append(f"{where}: `id` must be a non-empty string" + ("" if rid is None else
                                                                          f", not {json.dumps(rid)}"))
            continue
        if label not in LABELS:
            problems.append(f"{where}: `label` must be yes, no or unsure, not {json.dumps(label, ensure_ascii=False)}")
            continue
        rule, policy, kind = d.get("rule"), d.get("policy"), d.get("kind")
        bad = next((k for k, v in (("rule", rule), ("policy", policy), ("kind", kind))
                    if v is not None and not isinstance(v, str)), None)
        if bad is not None:
            problems.append(f"{where}: `{bad}` must be a string")
            continue
        if rule and policy:
            problems.append(f"{where}: give `rule` or `policy`, not both")
            continue
        if rule and rule not in rule_ids:
            from rulekit.suggest import did_you_mean
            hint = did_you_mean(rule, rule_ids)
            problems.append(f"{where}: no rule `{rule}` among the selected rules" + (f"; {hint}" if hint else ""))
            continue
        if policy and policy not in policies:
            problems.append(f"{where}: no policy `{policy}` among the selected rules")
            continue
        out.append(Label(rid, label, rule or None, policy or None, kind or None, number))
    return out, problems


@dataclass
class Confusion:
    """True and false positives and negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, actual: bool, predicted: bool) -> None:
        if actual and predicted:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif actual:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    def as_dict(self) -> dict[str, Any]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn, "precision": _round(self.precision),
                "recall": _round(self.recall)}


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


@dataclass
class Score:
    """A policy set scored on labels: overall, per rule, the errors with their evidence, what could not be scored."""

    overall: Confusion = field(default_factory=Confusion)
    rules: dict[str, Confusion] = field(default_factory=dict)
    fired: dict[str, int] = field(default_factory=dict)  # rule -> labelled records it fired on
    false_positives: list[dict[str, Any]] = field(default_factory=list)
    false_negatives: list[dict[str, Any]] = field(default_factory=list)
    unsure: int = 0
    missing: list[Label] = field(default_factory=list)  # labels whose record is not in the input
    flags: set[tuple[str, str]] = field(default_factory=set)  # (record key, rule) fired on labelled records

    def as_dict(self) -> dict[str, Any]:
        return {"overall": self.overall.as_dict(),
                "rules": [{"rule": r, "fired": self.fired.get(r, 0), **c.as_dict()} for r, c in sorted(self.rules.items())],
                "false_positives": self.false_positives, "false_negatives": self.false_negatives,
                "unsure": self.unsure, "missing": [{"id": m.id, "line": m.line} for m in self.missing]}


def key_of(kind: str | None, rid: str) -> str:
    return f"{kind}:{rid}" if kind else rid


def score(labels: list[Label], reports: Mapping[str, Report], kind: str | None = None) -> Score:
    """Score reports (by `key_of(kind, id)`, and by id alone) against labels. A rule-level label scores that rule;
    a record- or policy-level one scores the record, and each rule that fired on it counts a true or false
    positive for that rule (a miss cannot be laid at one rule's door, so per-rule recall comes from rule labels)."""
    s = Score()
    for lab in labels:
        if lab.label == "unsure":
            s.unsure += 1
            continue
        rep = reports.get(key_of(lab.kind or kind, lab.id)) or reports.get(lab.id)
        if rep is None:
            s.missing.append(lab)
            continue
        actual = lab.label == "yes"
        hits = lab.predicted(rep.fired())
        s.overall.add(actual, bool(hits))
        if lab.rule:
            s.rules.setdefault(lab.rule, Confusion()).add(actual, bool(hits))
        else:
            for r in hits:
                s.rules.setdefault(r, Confusion()).add(actual, True)
        for r in hits:
            s.fired[r] = s.fired.get(r, 0) + 1
            s.flags.add((key_of(rep.kind, lab.id), r))
        if hits and not actual:
            s.false_positives.append(_finding(lab, rep, hits))
        elif actual and not hits:
            s.false_negatives.append({"id": lab.id, "scope": lab.scope, "line": lab.line,
                                      "undetermined": [e.rule for e in rep.errors if e.rule]})
    return s


def _finding(lab: Label, rep: Report, hits: list[str]) -> dict[str, Any]:
    """A false positive with what fired: each rule's message and the evidence (field, span, text, word)."""
    out = []
    for v in rep.violations:
        if v.rule in hits:
            out.append({"rule": v.rule, "message": v.message,
                        "evidence": [{"field": e.field, "start": e.start, "end": e.end, "text": e.text,
                                      "word": e.word} for e in v.evidence]})
    return {"id": lab.id, "scope": lab.scope, "line": lab.line, "fired": out}


def diff(current: Score, against: Score) -> dict[str, Any]:
    """What changes from `against` to `current` on the same labelled records: flags added and dropped, per-rule."""
    rules = sorted(set(current.rules) | set(against.rules))
    per_rule = []
    for r in rules:
        a, c = against.rules.get(r, Confusion()), current.rules.get(r, Confusion())
        per_rule.append({"rule": r, "fired": current.fired.get(r, 0) - against.fired.get(r, 0),
                         "tp": c.tp - a.tp, "fp": c.fp - a.fp, "fn": c.fn - a.fn})
    return {"new_flags": [{"record": k, "rule": r} for k, r in sorted(current.flags - against.flags)],
            "dropped_flags": [{"record": k, "rule": r} for k, r in sorted(against.flags - current.flags)],
            "rules": [x for x in per_rule if any(x[k] for k in ("fired", "tp", "fp", "fn"))],
            "overall": {"current": current.overall.as_dict(), "against": against.overall.as_dict()}}
