"""`rulekit lint --fix OUT`: writes each input record with the wordlist replacements applied, never over an input."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from rulekit.runtime.report import Report, dumps_exact


def apply_replacements(text: str, spans: list[tuple[int, int, str]]) -> tuple[str, int]:
    """Apply (start, end, replacement) spans, leftmost-longest, skipping overlaps; returns text and count.

    Offsets index the original text, so later replacements stay right after earlier ones change lengths.
    """
    spans = sorted(spans, key=lambda s: (s[0], -(s[1] - s[0])))
    out: list[str] = []
    pos = 0
    applied = 0
    for start, end, repl in spans:
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(repl)
        pos = end
        applied += 1
    out.append(text[pos:])
    return "".join(out), applied


class FixWriter:
    """Writes fixed records to a JSONL file and counts what changed.

    The records go to a temporary file beside OUT, renamed to OUT by `close(ok=True)` only: an interrupted
    run leaves OUT as it was. Refuses (ValueError) an OUT that is one of the inputs.
    """

    def __init__(self, path: str, inputs: Iterable[str] = ()):
        target = Path(path).resolve()
        if any(f != "-" and Path(f).resolve() == target for f in inputs):
            raise ValueError(f"--fix {path}: that is one of the input files; write the fixed records elsewhere")
        self.path = Path(path)
        fd, self.tmp = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=self.path.parent or ".")
        self.out: TextIO = os.fdopen(fd, "w", encoding="utf-8")
        self.records = self.changed = self.replaced = self.left = 0
        self.left_words: dict[str, int] = {}

    def wrap(self, pairs: Iterable[tuple[Any, Report]]) -> Iterator[tuple[Any, Report]]:
        for rec, rep in pairs:
            self.write(rec.data, rep, f"{rec.source}:{rec.line}", rec.error, getattr(rec, "raw", None))
            yield rec, rep

    def write(self, data: Any, rep: Report, where: str = "", error: str | None = None, raw: str | None = None) -> None:
        """Write one record: fixed, unchanged, or (unreadable input) a placeholder keeping the line count."""
        self.records += 1
        if not isinstance(data, dict):
            self.out.write(json.dumps({"_unreadable": True, "_source": where, "_error": error},
                                      ensure_ascii=False) + "\n")
            return
        per_field: dict[str, list[tuple[int, int, str]]] = {}
        seen: set[tuple[str, int, int]] = set()
        for v in rep.violations:
            for ev in v.evidence:
                if not ev.field:
                    continue
                key = (ev.field, ev.start, ev.end)
                if key in seen:
                    continue
                seen.add(key)
                fix = ev.fix
                if fix is None:
                    self.left += 1
                    self.left_words[ev.word] = self.left_words.get(ev.word, 0) + 1
                    continue
                per_field.setdefault(ev.field, []).append((ev.start, ev.end, fix))
        fixed = dict(data)
        changed = False
        for fld, spans in per_field.items():
            path = fld.split(".")[1:]
            if len(path) != 1 or not isinstance(fixed.get(path[0]), str):
                continue
            new, n = apply_replacements(fixed[path[0]], spans)
            if new != fixed[path[0]]:
                fixed[path[0]] = new
                changed = True
                self.replaced += n
        self.changed += changed
        # a record nothing changed in is written as it came (a JSON line byte for byte)
        self.out.write((dumps_exact(fixed) if changed or raw is None else raw) + "\n")

    def close(self, ok: bool = True) -> None:
        """Finish: the temporary file becomes OUT when `ok`, and is removed otherwise."""
        self.out.close()
        if ok:
            os.replace(self.tmp, self.path)
        elif os.path.exists(self.tmp):
            os.unlink(self.tmp)

    def print_summary(self, err: TextIO) -> None:
        err.write(f"fix: {self.records} records written, {self.changed} changed, {self.replaced} replacements; "
                  f"{self.left} matches have no replacement and were left")
        if self.left_words:
            top = sorted(self.left_words.items(), key=lambda kv: -kv[1])[:10]
            err.write(" (" + ", ".join(f"{w}×{c}" for w, c in top) + ")")
        err.write("\n")
