"""The usual `lint --format jsonl` run in one loop: each typed JSON line straight to its report line, nothing between.

A run qualifies when nothing stands between the reports and the output (no baseline, suppressions, `--fix`,
`--write-baseline` or progress bar), the output is a UTF-8 byte stream and an adapter reads nothing. Then a JSON
lines file's usual line (`readers.usual_json_line`) is decoded typed, pushed and written with no `InputRecord`
and no generator between: about 2 µs a record less than the layered path (decision 0004, tenth pass). Every
other line, and every file of another format, goes through the layered steps (`read_records`, `push_input`,
`located`), so each report, its line and the summary are the layered path's, byte for byte
(tests/test_speed.py compares the two).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TextIO

from rulekit import limits as _limits
from rulekit.commands.inputs import Inputs, explained, push_input
from rulekit.io.formats import located, utf8_bytes_of
from rulekit.io.readers import InputRecord, input_format_of, read_json_lines, usual_json_line
from rulekit.io.summary import Summary
from rulekit.runtime.report import report_line

#: Report lines written at a time (at most about 0.5 MiB).
BATCH = 512


def output_of(out: TextIO, inputs: Inputs, progress: Any) -> Any:
    """The byte stream the lane writes to, or None when the run must take the layered path."""
    if inputs.adapter is not None or inputs.keep_raw or progress is not None:
        return None
    return utf8_bytes_of(out)


def write_jsonl(engine: Any, stream: Any, files: list[str], subject: str | None, inputs: Inputs, out: TextIO,
                raw_out: Any) -> Summary:
    """Push every record of `files` into `stream` and write its report line to `raw_out` (from `output_of(out,
    ...)`), in input order; the summary of the reports."""
    summary = Summary()
    add = summary.add
    errors = out.errors or "strict"
    lines: list[bytes] = []  # written a batch at a time: one `write` a line costs more than building the line
    write = lines.append
    typed = inputs.typed
    push = stream.pusher(subject, context_kept=True)  # no host code runs between records
    registry = engine.program.registry

    def layered(records: Iterable[InputRecord]) -> None:
        for rec in records:
            rep = push_input(engine, stream, rec, subject)
            add(rep)
            write(report_line(located(rec, rep), errors))
            if len(lines) >= BATCH:
                raw_out.write(b"".join(lines))
                lines.clear()

    try:
        for f in files:
            if typed is None or f == "-" or input_format_of(f, inputs.input_format) != "jsonl":
                layered(inputs.records(f, registry))
                continue
            most = _limits.active().record_bytes
            with open(f, "rb") as handle:
                for number, raw in enumerate(handle, start=1):
                    if usual_json_line(raw, number, most):
                        data = typed(raw)
                        if data is not None:
                            rep = push(data)
                            if rep.errors or rep.kind is None:  # an input error: it names its file and line
                                rec = InputRecord(f, number, data, None, "json")
                                rep = located(rec, explained(rec, rep))
                            add(rep)
                            write(report_line(rep, errors))
                            if len(lines) >= BATCH:
                                raw_out.write(b"".join(lines))
                                lines.clear()
                            continue
                    # Any other line as the layered reader reads it (the typed decoder has had its say: a line it
                    # refused is read as a dict, as the reader does after a refusal).
                    layered(read_json_lines(f, (raw,), number, keep_raw=False))
    finally:  # what was read is written, even when a later file cannot be read
        raw_out.write(b"".join(lines))
        raw_out.flush()
    return summary
