"""Arrow batches in, typed Arrow reports out: one compiled engine per callable, the piece every engine integration calls.

`ArrowLinter(policies, now=…)` holds one compiled engine (policies compiled, wordlists built, once) and maps a
`pyarrow.RecordBatch` or `Table` of records to a `Table` of reports (`report_schema()`): `id`, `kind`,
`decision`, `worst` (the level `--fail-on` compares), `violations` as a list of structs (rule, policy, severity,
message, actions (name, args as §6 JSON text), evidence), `errors` as a list of structs, and `json`, the report as
`rulekit lint --format jsonl` writes it. Columns are typed, so downstream tools filter on `decision` or
`violations.rule` without parsing JSON.

Records come from a `text` column holding JSON lines (exact: money and big ids never pass through float) or from
the batch's own columns (Arrow decimals become Decimal; a float becomes a decimal from its shortest repr). The
optional columns `_file` (an index into `sources`, the input paths) and `_line` say where a record came from; they
are passed through, so a distributed run can put the reports back in input order. One callable keeps one stream:
the window state of the subjects it has seen, in the order it saw them. With `defer_windows`, records of kinds
that have window rules are not evaluated but passed on (`deferred` true, their `text` kept) for one ordered task.
`rulekit.batch.ray` runs it on Ray Data (`pip install 'rulekit[ray]'`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rulekit.io.formats import located
from rulekit.io.readers import InputRecord, json_line_record
from rulekit.runtime.report import Report, dumps_exact, invalid_report, report_dict, report_json

__all__ = ["ArrowLinter", "report_schema", "window_kinds"]


def report_schema() -> Any:
    """The Arrow schema of a reports table."""
    import pyarrow as pa

    s = pa.string()
    action = pa.struct([("name", s), ("args", s)])
    evidence = pa.struct([("field", s), ("word", s), ("text", s), ("start", pa.int64()), ("end", pa.int64()),
                          ("category", s), ("replacement", s)])
    violation = pa.struct([("rule", s), ("policy", s), ("severity", s), ("message", s),
                           ("actions", pa.list_(action)), ("evidence", pa.list_(evidence))])
    error = pa.struct([("rule", s), ("message", s)])
    return pa.schema([("_file", pa.int64()), ("_line", pa.int64()), ("id", s), ("kind", s), ("decision", s),
                      ("worst", s), ("violations", pa.list_(violation)), ("errors", pa.list_(error)), ("json", s),
                      ("deferred", pa.bool_()), ("text", s), ("_error", s)])


def window_kinds(engine: Any) -> frozenset[str]:
    """The subject kinds whose rules read windows: their records must be evaluated in order, in one stream."""
    return engine.window_kinds()  # type: ignore[no-any-return]


def _row_of(file: int | None, line: int | None, report: Report, shown: Report) -> dict[str, Any]:
    d = report_dict(report)
    return {
        "_file": file, "_line": line, "id": d["id"], "kind": d["kind"], "decision": d["decision"],
        "worst": report.worst(),
        "violations": [{"rule": v["rule"], "policy": v["policy"], "severity": v["severity"], "message": v["message"],
                        "actions": [{"name": a["name"], "args": dumps_exact(a["args"], separators=(",", ":"))}
                                    for a in v["actions"]],
                        "evidence": v["evidence"]} for v in d["violations"]],
        "errors": d["errors"], "json": report_json(shown), "deferred": False, "text": None, "_error": None,
    }


class ArrowLinter:
    """A compiled policy set as a callable from record batches to report tables (stateful: one stream)."""

    def __init__(self, policies: Sequence[str | Path] = (), *, now: datetime, kind: str | None = None,
                 lateness: timedelta = timedelta(0), select: Sequence[str] = (), ignore: Sequence[str] = (),
                 sources: Sequence[str] = (), text_column: str = "text", defer_windows: bool = False,
                 store: Any = None) -> None:
        import rulekit

        self.engine = rulekit.load(*policies, lateness=lateness, select=select, ignore=ignore)
        self.kind = kind
        self.sources = list(sources)
        self.text_column = text_column
        self.defer = window_kinds(self.engine) if defer_windows else frozenset()
        self.stream = self.engine.stream(now=now, store=store)

    def _records(self, batch: Any) -> list[tuple[int | None, int | None, InputRecord, str | None]]:
        names = batch.schema.names
        n = batch.num_rows
        files = batch.column(names.index("_file")).to_pylist() if "_file" in names else [None] * n
        lines = batch.column(names.index("_line")).to_pylist() if "_line" in names else [None] * n
        out = []
        if self.text_column in names:
            errors = batch.column(names.index("_error")).to_pylist() if "_error" in names else [None] * n
            texts = batch.column(names.index(self.text_column)).to_pylist()
            for f, line, text, error in zip(files, lines, texts, errors, strict=True):
                source = self.sources[f] if f is not None and f < len(self.sources) else "<batch>"
                rec = InputRecord(source, line or 0, None, error, "json") if error is not None else \
                    json_line_record(source, line or 0, text if isinstance(text, str) else "")
                out.append((f, line, rec, text))
            return out
        for f, line, data in zip(files, lines, batch.to_pylist(), strict=True):
            for extra in ("_file", "_line", "_error"):
                data.pop(extra, None)
            source = self.sources[f] if f is not None and f < len(self.sources) else "<batch>"
            out.append((f, line, InputRecord(source, line or 0, data, None, "json"), None))
        return out

    def __call__(self, batch: Any) -> Any:
        """The reports of one batch (RecordBatch or Table), in the batch's row order."""
        import pyarrow as pa

        rows = []
        for f, line, rec, text in self._records(batch):
            if rec.data is None:
                report = invalid_report(self.kind, None, rec.error or "unreadable record")
            else:
                if self.defer:
                    k, _ = self.engine.kind_of(rec.data, self.kind)
                    if k in self.defer:
                        rows.append({"_file": f, "_line": line, "deferred": True, "text": text, "violations": [],
                                     "errors": [], "_error": None})
                        continue
                report = self.stream.push(rec.data, kind=self.kind)
            rows.append(_row_of(f, line, report, located(rec, report)))
        return pa.Table.from_pylist(rows, schema=report_schema())
