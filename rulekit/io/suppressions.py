"""Suppressions: findings a team has decided to accept, each with a reason, an owner and an expiry date."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from rulekit.io.readers import InputRecord
from rulekit.runtime.report import Report, Violation, decide
from rulekit.selection import matches

Pair = tuple[InputRecord, Report]
_KEYS = {"rule", "id", "kind", "reason", "owner", "expires"}


class SuppressionError(Exception):
    """A suppressions file that cannot be used; the message names the file and the entry's line."""


@dataclass(frozen=True)
class Entry:
    """One `[[suppress]]` entry: which findings (rule pattern, record id or glob, kind) and why."""

    rule: str
    id: str
    kind: str | None
    reason: str
    owner: str | None
    expires: date | None
    where: str  # `file:line` of the entry

    def covers(self, report: Report, v: Violation) -> bool:
        return (matches(self.rule, v.rule) and fnmatchcase(report.id or "", self.id)
                and (self.kind is None or self.kind == report.kind))


@dataclass
class Suppressions:
    """The entries of a suppressions file, and what a run matched with them."""

    path: Path
    entries: list[Entry] = field(default_factory=list)
    used: set[int] = field(default_factory=set)
    count: int = 0
    #: per report (by identity, until the writers have seen it): its suppressed violations and their entries
    suppressed: dict[int, list[tuple[Violation, Entry]]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Suppressions:
        try:
            text = path.read_text(encoding="utf-8")
            doc = tomllib.loads(text)
        except (OSError, UnicodeDecodeError) as e:
            raise SuppressionError(f"{path}: cannot read: {e}") from None
        except tomllib.TOMLDecodeError as e:
            raise SuppressionError(f"{path}: not valid TOML: {e}") from None
        headers = re.finditer(r"^[ \t]*\[\[[ \t]*suppress[ \t]*\]\]", text, re.M)
        lines = [text.count("\n", 0, m.start()) + 1 for m in headers]
        items = doc.get("suppress", [])
        if set(doc) - {"suppress"} or not isinstance(items, list):
            raise SuppressionError(f"{path}: expected `[[suppress]]` entries only")
        out = cls(path)
        for i, item in enumerate(items):
            out.entries.append(_entry(item, f"{path}:{lines[i] if i < len(lines) else 1}"))
        return out

    def active(self, today: date) -> list[tuple[int, Entry]]:
        return [(i, e) for i, e in enumerate(self.entries) if e.expires is None or e.expires >= today]

    def expired(self, today: date) -> list[Entry]:
        """Entries past their date (compared with the run's `--now`): they suppress nothing now."""
        return [e for e in self.entries if e.expires is not None and e.expires < today]

    def unused(self, today: date) -> list[Entry]:
        """Active entries that suppressed nothing in this run."""
        return [e for i, e in self.active(today) if i not in self.used]

    def filter(self, pairs: Iterable[Pair], today: date) -> Iterator[Pair]:
        """Each report without its suppressed violations (decision recomputed); those are kept aside."""
        active = self.active(today)
        for record, report in pairs:
            kept, gone = [], []
            for v in report.violations:
                hit = next(((i, e) for i, e in active if e.covers(report, v)), None)
                if hit is None:
                    kept.append(v)
                else:
                    self.used.add(hit[0])
                    gone.append((v, hit[1]))
            if gone:
                self.count += len(gone)
                report = report.model_copy(update={"violations": kept, "decision": decide(kept, report.errors)})
                self.suppressed[id(report)] = gone
            yield record, report

    def take(self, report: Report) -> list[tuple[Violation, Entry]]:
        """The suppressed violations of a report the filter passed on (once)."""
        return self.suppressed.pop(id(report), [])


def _entry(item: Any, where: str) -> Entry:
    if not isinstance(item, dict):
        raise SuppressionError(f"{where}: a suppression is a table of rule, id, reason, owner, expires")
    unknown = sorted(set(item) - _KEYS)
    if unknown:
        raise SuppressionError(f"{where}: unknown key `{unknown[0]}` (keys: {', '.join(sorted(_KEYS))})")
    for key in ("rule", "reason"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise SuppressionError(f"{where}: `{key}` is required" + (": say why this finding is accepted"
                                                                      if key == "reason" else ""))
    expires = item.get("expires")
    if expires is not None and not isinstance(expires, date):
        raise SuppressionError(f"{where}: `expires` must be a date, e.g. expires = 2025-09-30")
    for key in ("id", "kind", "owner"):
        if key in item and not isinstance(item[key], str):
            raise SuppressionError(f"{where}: `{key}` must be a string")
    return Entry(item["rule"], item.get("id", "*"), item.get("kind"), item["reason"], item.get("owner"),
                 expires, where)


def sarif_suppression(e: Entry) -> dict[str, Any]:
    """The SARIF `suppressions` entry of a suppressed result."""
    props = {k: v for k, v in (("owner", e.owner), ("expires", e.expires.isoformat() if e.expires else None),
                               ("source", e.where)) if v is not None}
    return {"kind": "external", "justification": e.reason, "properties": props}
