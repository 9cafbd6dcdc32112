"""`rulekit lint --jobs N`: JSON lines files split over N local processes; the same reports, in input order.

The places of chunks of whole lines (about 1 MiB each) go to worker processes, which read them from the file,
validate and evaluate them and send back (record, report) pairs, or for JSON lines output the lines themselves
(built by the one loop of `commands.lane`); the main process writes them in input order, so every output format, the summary and the exit code are
those of one process. Records of a kind that window rules read are not evaluated by a worker: they come back
unevaluated and the main process pushes them into its own stream, in input order, so windows see exactly the
subjects they see with `--jobs 1`. Other inputs (CSV, XLSX, JSON documents, standard input) are read in the main
process, in their place in the order.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from rulekit.commands.inputs import push_input
from rulekit.commands.lane import Lane, text_line
from rulekit.io.formats import located, utf8_bytes_of
from rulekit.io.readers import InputRecord, input_format_of, read_json_lines
from rulekit.io.summary import Summary
from rulekit.io.typedlines import typed_reader
from rulekit.runtime.report import Report, report_line

#: Bytes per chunk (then to the end of its last line): large enough that handing a chunk over costs little next to
#: linting it, small enough to keep every worker busy and memory bounded (at most `2 * jobs + 1` chunks are in
#: flight). A worker reads its chunk from the file itself: only the place of a chunk crosses the pipe.
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class Job:
    """What a worker needs to lint like the main process (a spawned worker loads the engine from it)."""

    subject: str | None
    now: datetime
    lateness: timedelta
    keep_data: bool  # the output format reads the records' fields (html, sarif) or `--fix` rewrites them
    keep_raw: bool
    load: dict[str, Any]  # the arguments of `load_engine`, for a spawned worker
    limits: Any
    render: bool = False  # JSON lines with nothing between reports and output: workers write the lines too
    as_bytes: bool = False  # rendered lines are UTF-8 bytes (the output has a byte buffer), else text
    errors: str = "strict"  # the output's handler for what UTF-8 cannot hold


_engine: Any = None
_stream: Any = None
_job: Job | None = None
_defer: frozenset[str] = frozenset()
_typed: Any = None
_lane: Lane | None = None


def why_not(engine: Any, a: Any, inputs: Any, files: list[str]) -> str | None:
    """Why `--jobs` runs in one process here, or None when it splits the input."""
    windowed = engine.window_kinds()
    if a.subject is not None and a.subject in windowed:
        return f"window rules read every {a.subject}: they are evaluated in one ordered stream"
    if getattr(a, "window_store", None) not in (None, "memory"):
        return "--window-store keeps the window state of one stream"
    if inputs.adapter is not None:
        return "records read through an adapter are built in one process"
    if not any(_splittable(f, inputs) for f in files):
        return "only JSON lines files are split; these inputs are read in one process"
    return None


def _splittable(path: str, inputs: Any) -> bool:
    return path != "-" and input_format_of(path, inputs.input_format) == "jsonl"


def reports(engine: Any, files: list[str], job: Job, jobs: int, inputs: Any, progress: Any = None
            ) -> Iterator[tuple[InputRecord, Report]]:
    """The pairs of `commands.lint.reports`, with the JSON lines files linted by `jobs` worker processes."""
    stream = engine.stream(now=job.now, lateness=job.lateness)
    for item in _results(engine, files, job, jobs, inputs):
        if isinstance(item, tuple):  # a chunk's pairs
            for rec, rep in item:
                if rep is None:  # a record of a window kind: evaluated here, in order
                    rep = push_input(engine, stream, rec, job.subject)
                    rec = _slim(rec, job)
                if progress is not None:
                    progress()
                yield rec, rep
        else:  # a record of a file read here
            if progress is not None:
                progress()
            yield item, push_input(engine, stream, item, job.subject)


def write_jsonl(engine: Any, files: list[str], job: Job, jobs: int, inputs: Any, out: Any, progress: Any = None
                ) -> Summary:
    """`--format jsonl` when nothing stands between the reports and the output (no baseline, suppressions or
    `--fix`): the workers render the lines and count them, and this process writes them in input order."""
    raw = utf8_bytes_of(out)
    job = replace(job, render=True, as_bytes=raw is not None, errors=out.errors or "strict")
    stream = engine.stream(now=job.now, lateness=job.lateness)
    summary = Summary()
    line, write, join, done = (report_line, raw.write, b"".join, bytes) if raw is not None else \
        (text_line, out.write, "".join, str)

    def one(rec: InputRecord) -> Any:
        rep = push_input(engine, stream, rec, job.subject)
        summary.add(rep)
        return line(located(rec, rep), job.errors)

    for item in _results(engine, files, job, jobs, inputs):
        if isinstance(item, tuple):
            lines, counted = item
            summary.merge(counted)
            write(join([x if x.__class__ is done else one(x) for x in lines]))
            if progress is not None:
                for _ in lines:
                    progress()
        else:
            write(one(item))
            if progress is not None:
                progress()
    if raw is not None:
        raw.flush()
    return summary


def _results(engine: Any, files: list[str], job: Job, jobs: int, inputs: Any) -> Iterator[Any]:
    """In input order: each chunk's result (a tuple) from the workers, and each record of a file that is not split
    (an InputRecord), read here."""
    global _engine, _job, _defer
    _engine, _job, _defer = engine, job, engine.window_kinds()
    fork = sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if fork else "spawn")  # forked workers share the loaded engine
    pool = ProcessPoolExecutor(jobs, mp_context=ctx, initializer=None if fork else _spawned, initargs=(job,))
    pending: deque[Future[Any]] = deque()
    try:
        for f in files:
            if not _splittable(f, inputs):
                while pending:
                    yield pending.popleft().result()
                yield from inputs.records(f, engine.program.registry)
                continue
            for first, offset, size in _chunks(f):
                pending.append(pool.submit(_lint_chunk, f, first, offset, size))
                if len(pending) > 2 * jobs:
                    yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _chunks(path: str) -> Iterator[tuple[int, int, int]]:
    """(number of the first line, byte offset, byte size) of each chunk of whole lines of a file, about
    `CHUNK_BYTES` each."""
    with open(path, "rb") as fh:
        first = 1
        offset = 0
        while True:
            block = fh.read(CHUNK_BYTES)
            if not block:
                return
            if not block.endswith(b"\n"):
                block += fh.readline()
            yield first, offset, len(block)
            first += block.count(b"\n")
            offset += len(block)


def _lines_at(path: str, offset: int, size: int) -> list[bytes]:
    """The lines of a chunk, each with its `\\n` as iterating the file gives them (a `\\r` alone ends no line)."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        parts = fh.read(size).split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _spawned(job: Job) -> None:
    """A spawned worker (no fork on this platform) loads the engine the main process loaded."""
    global _engine, _job, _defer
    from rulekit.commands.common import load_engine
    from rulekit.limits import activate

    activate(job.limits)
    _engine, _job = load_engine(**job.load), job
    _defer = _engine.window_kinds()


def _lint_chunk(source: str, first: int, offset: int, size: int) -> tuple[Any, ...]:
    """In a worker: the pairs of a chunk of lines, records of window kinds whole and with no report; or, to render,
    the JSON lines (a window kind's record in place of its line) and their counts."""
    global _stream, _typed, _lane
    assert _job is not None and _engine is not None
    if _stream is None:
        _stream = _engine.stream(now=_job.now, lateness=_job.lateness)
        # records of a deferred kind go back whole: they stay dicts (a record's generated class does not pickle)
        _typed = None if _job.keep_data else typed_reader(_engine, _job.subject, exclude=_defer)
    if _job.render:  # the lines and their counts, in the one loop of a single process (commands/lane.py)
        if _lane is None:
            _lane = Lane(_engine, _stream, _job.subject, _typed, _job.errors,
                         report_line if _job.as_bytes else text_line, _defer)
        _lane.out, _lane.summary = [], Summary()
        _lane.lines(source, _lines_at(source, offset, size), first)
        return _lane.out, _lane.summary
    out: list[Any] = []
    for rec in read_json_lines(source, _lines_at(source, offset, size), first, keep_raw=_job.keep_raw, typed=_typed):
        if _defer and rec.data is not None:
            kind, _ = _engine.kind_of(rec.data, _job.subject)
            if kind in _defer:
                out.append((rec, None))
                continue
        out.append((_slim(rec, _job), push_input(_engine, _stream, rec, _job.subject)))
    return tuple(out)


def _slim(rec: InputRecord, job: Job) -> InputRecord:
    """What the writers need of a record: its place, and its fields or text only for the formats that show them."""
    if (job.keep_data or rec.data is None) and (job.keep_raw or rec.raw is None):
        return rec
    return replace(rec, data=rec.data if job.keep_data else None, raw=rec.raw if job.keep_raw else None)
