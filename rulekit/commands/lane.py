"""The usual `lint --format jsonl` run in one loop: each typed JSON line straight to its report line, nothing between.

A run qualifies when nothing stands between the reports and the output (no baseline, suppressions, `--fix`,
`--write-baseline` or progress bar), the output is a UTF-8 byte stream and an adapter reads nothing. Then a JSON
lines file's usual line (`readers.usual_json_line`) is decoded typed, pushed and its line built with no
`InputRecord` and no generator between: about 2 µs a record less than the layered path (decision 0004, tenth
pass). Every other line, and every file of another format, goes through the layered steps (`read_records`,
`push_input`, `located`), so each report, its line and the summary are the layered path's, byte for byte
(tests/test_lane.py compares the two). The workers of `--jobs` run the same loop over their chunks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TextIO

from rulekit import limits as _limits
from rulekit.commands.inputs import Inputs, explained, push_input
from rulekit.io.formats import located, utf8_bytes_of
from rulekit.io.readers import InputRecord, input_format_of, read_json_lines, usual_json_line
from rulekit.io.summary import Summary
from rulekit.runtime.report import Report, report_json, report_line

#: Report lines written at a time (at most about 0.5 MiB).
BATCH = 512


def applies(inputs: Inputs, progress: Any) -> bool:
    """Whether the run's inputs may go through the lane (no adapter, no JSON line text kept, no progress bar)."""
    return inputs.adapter is None and not inputs.keep_raw and progress is None


def output_of(out: TextIO, inputs: Inputs, progress: Any) -> Any:
    """The byte stream the lane writes JSON lines to, or None when the run must take the layered path."""
    return utf8_bytes_of(out) if applies(inputs, progress) else None


def text_line(report: Report, errors: str = "strict") -> str:
    """A report's JSON line as text, for an output that encodes it itself (`report_line`'s twin)."""
    return report_json(report) + "\n"


class Lane:
    """The loop of one stream: each record pushed, its report counted in `summary` and its line (built by `line`:
    `report_line`, or `text_line`) appended to `out`, which `flush` (when given) empties every `BATCH` lines; or,
    with `text` (a `TextWriter`), its block written there. Records of a kind in `defer` (window kinds, in a
    `--jobs` worker) are appended to `out` as records, unpushed."""

    def __init__(self, engine: Any, stream: Any, subject: str | None, typed: Any, errors: str = "strict",
                 line: Callable[[Report, str], Any] = report_line, defer: frozenset[str] = frozenset(),
                 text: Any = None):
        self.engine, self.stream, self.subject, self.typed = engine, stream, subject, typed
        self.errors, self.line, self.defer, self.text = errors, line, defer, text
        self.push = stream.pusher(subject, context_kept=True)  # no host code runs between records
        self.summary = Summary()
        self.out: list[Any] = []
        self.flush: Callable[[], None] | None = None

    def records(self, records: Iterable[InputRecord]) -> None:
        """Records read the layered way."""
        engine, stream, subject, defer, out, flush = \
            self.engine, self.stream, self.subject, self.defer, self.out, self.flush
        add, line, errors, text = self.summary.add, self.line, self.errors, self.text
        for rec in records:
            if defer and rec.data is not None and engine.kind_of(rec.data, subject)[0] in defer:
                out.append(rec)
                continue
            rep = push_input(engine, stream, rec, subject)
            add(rep)
            if text is not None:  # text names the place of every record itself
                text.record(rep, rec.source, rec.line)
                continue
            out.append(line(located(rec, rep), errors))
            if flush is not None and len(out) >= BATCH:
                flush()

    def lines(self, source: str, lines: Iterable[bytes], first: int = 1) -> None:
        """The lines of a JSON lines file, the first of them line `first` of `source`."""
        typed, push, engine, subject, defer, out, flush = \
            self.typed, self.push, self.engine, self.subject, self.defer, self.out, self.flush
        add, line, errors, text = self.summary.add, self.line, self.errors, self.text
        most = _limits.active().record_bytes
        for number, raw in enumerate(lines, start=first):
            if typed is not None and usual_json_line(raw, number, most):
                data = typed(raw)
                if data is not None:
                    if defer and data.__class__ is dict and engine.kind_of(data, subject)[0] in defer:
                        out.append(InputRecord(source, number, data, None, "json"))
                        continue
                    rep = push(data)
                    if text is not None:
                        if rep.kind is None:
                            rep = explained(InputRecord(source, number, data, None, "json"), rep)
                        add(rep)
                        text.record(rep, source, number)
                        continue
                    if rep.errors or rep.kind is None:  # an input error: it names its file and line
                        rec = InputRecord(source, number, data, None, "json")
                        rep = located(rec, explained(rec, rep))
                    add(rep)
                    out.append(line(rep, errors))
                    if flush is not None and len(out) >= BATCH:
                        flush()
                    continue
            # Any other line as the layered reader reads it (the typed decoder has had its say: a line it refused
            # is read as a dict, as the reader does after a refusal).
            self.records(read_json_lines(source, (raw,), number, keep_raw=False))


def write_jsonl(engine: Any, stream: Any, files: list[str], subject: str | None, inputs: Inputs, out: TextIO,
                raw_out: Any) -> Summary:
    """Push every record of `files` into `stream` and write its report line to `raw_out` (from `output_of(out,
    ...)`), in input order; the summary of the reports."""
    lane = Lane(engine, stream, subject, inputs.typed, out.errors or "strict")
    pending = lane.out

    def flush() -> None:
        raw_out.write(b"".join(pending))
        pending.clear()

    lane.flush = flush
    try:
        _run(lane, files, inputs)
    finally:  # what was read is written, even when a later file cannot be read
        flush()
        raw_out.flush()
    return lane.summary


def write_text(engine: Any, stream: Any, files: list[str], subject: str | None, inputs: Inputs, out: TextIO,
               options: dict[str, Any]) -> Summary:
    """`--format text` in the same loop: every record of `files` pushed into `stream`, its block written by a
    `TextWriter` over `out` with `options` (`formats.text_options`), then the totals; the summary."""
    from rulekit.io.text import TextWriter  # rich: only for text output

    writer = TextWriter(out, **options)
    lane = Lane(engine, stream, subject, inputs.typed, text=writer)
    _run(lane, files, inputs)
    writer.finish(lane.summary)
    return lane.summary


def _run(lane: Lane, files: list[str], inputs: Inputs) -> None:
    registry = lane.engine.program.registry
    for f in files:
        if inputs.typed is None or f == "-" or input_format_of(f, inputs.input_format) != "jsonl":
            lane.records(inputs.records(f, registry))
        else:
            with open(f, "rb") as handle:
                lane.lines(f, handle)
