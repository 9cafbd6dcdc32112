"""Baselines: the findings a repository already knows about, so that `lint` reports only new ones."""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rulekit.io.readers import InputRecord
from rulekit.runtime.report import Report, Violation, decide

FORMAT = "rulekit-baseline"
VERSION = 1

Pair = tuple[InputRecord, Report]
Finding = tuple[str, str, str, str]  # (rule id, record kind, record id, evidence hash)


def evidence_hash(v: Violation) -> str:
    """A hash of a violation's evidence text (the matched words, in order; empty without evidence)."""
    return hashlib.sha256("\0".join(e.text for e in v.evidence).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def finding(report: Report, v: Violation) -> Finding:
    """A finding's identity: it survives re-exports and reordering of the input, unlike line numbers."""
    return (v.rule, report.kind or "", report.id or "", evidence_hash(v))


def fingerprint(f: Finding) -> str:
    """The finding as one stable string (SARIF `partialFingerprints`)."""
    return hashlib.sha256("\0".join(f).encode("utf-8", "surrogatepass")).hexdigest()[:32]


class BaselineError(Exception):
    """A baseline file that cannot be read; the message names the file."""


def write_baseline(path: Path, findings: Iterable[tuple[Finding, str]]) -> int:
    """Write findings (with their messages, for people reading the file) atomically; returns how many."""
    rows = sorted({(f, m) for f, m in findings})
    doc = {"format": FORMAT, "version": VERSION, "findings": [
        {"rule": f[0], "kind": f[1], "id": f[2], "evidence": f[3], "message": m} for f, m in rows]}
    import tempfile  # only when writing
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(doc, out, ensure_ascii=False, indent=1)
        out.write("\n")
    os.replace(tmp, path)
    return len(rows)


@dataclass
class Baseline:
    """The known findings of a baseline file, and what a run has matched against them so far."""

    path: Path
    entries: Counter[Finding] = field(default_factory=Counter)
    messages: dict[Finding, str] = field(default_factory=dict)
    hidden: int = 0
    #: per report (by identity, until the writers have seen it): its violations the baseline knew
    known: dict[int, list[Violation]] = field(default_factory=dict)
    seen: Counter[Finding] = field(default_factory=Counter)

    @classmethod
    def load(cls, path: Path) -> Baseline:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if doc.get("format") != FORMAT or doc.get("version") != VERSION:
                raise ValueError("not a rulekit baseline (version 1)")
            b = cls(path)
            for e in doc["findings"]:
                f = (str(e["rule"]), str(e["kind"]), str(e["id"]), str(e["evidence"]))
                b.entries[f] += 1
                b.messages[f] = str(e.get("message", ""))
            return b
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise BaselineError(f"{path}: cannot use it as a baseline: {e}") from None

    def filter(self, pairs: Iterable[Pair]) -> Iterator[Pair]:
        """Each report with only its new violations (decision recomputed); known ones are counted, kept aside."""
        left = Counter(self.entries)
        for record, report in pairs:
            new, old = [], []
            for v in report.violations:
                f = finding(report, v)
                if left[f] > 0:
                    left[f] -= 1
                    self.seen[f] += 1
                    old.append(v)
                else:
                    new.append(v)
            if old:
                self.hidden += len(old)
                report = report.model_copy(update={"violations": new, "decision": decide(new, report.errors)})
                self.known[id(report)] = old
            yield record, report

    def take_known(self, report: Report) -> list[Violation]:
        """The known violations of a report the filter passed on (once)."""
        return self.known.pop(id(report), [])

    def absent(self) -> list[tuple[Finding, str]]:
        """Known findings this run did not see (fixed, or their records are gone), with their messages."""
        gone = self.entries - self.seen
        return [(f, self.messages.get(f, "")) for f in sorted(gone.elements())]


def sarif_fields(state: str, f: Finding) -> dict[str, Any]:
    """The SARIF result fields of a finding: its baseline state and its stable fingerprint."""
    return {"baselineState": state, "partialFingerprints": {"rulekitFinding/v1": fingerprint(f)}}
