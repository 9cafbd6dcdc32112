"""A long-running order consumer on a rulekit stream: decisions out as JSON lines, window state that survives restarts.

    python examples/order_service.py --input orders.jsonl --output decisions.jsonl --state state.json
    producer | python examples/order_service.py --output decisions.jsonl --state state.json

It reads orders (JSON lines) from a file or standard input, pushes each through one stream of the
bundled policies (or `-p POLICIES`), and writes one report per order as a JSON line. Every
`--snapshot-every N` orders, and on SIGTERM or SIGINT, it saves the stream's window state with its
position: how many input records it has consumed and how many bytes of output it has written.

Started again with the same `--state`, it restores the windows and resumes: with `--input FILE` it
skips the records it had consumed, and it cuts `--output` back to the length it had at the snapshot,
so the reports written after the last snapshot (and perhaps cut off by a kill) are written again,
once. The output is then the same as that of a run that was never interrupted. From standard input
there is nothing to skip: the producer sends what comes after the consumer's last commit.

Evaluation time is the wall clock (`--now` fixes it, for replays and tests): a service that runs for
days sees `now - order.paid_at > 48h` become true. A snapshot written by other policies is refused
unless `--other-policies` (then the windows the two sets share are kept).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import rulekit
from rulekit import values
from rulekit.io.formats import located
from rulekit.io.readers import InputRecord, read_records
from rulekit.runtime.report import invalid_report, report_json
from rulekit.stream import SnapshotMismatch, Stream


class _Stop(Exception):
    """Raised by the signal handler while the service waits for input: stop there."""


class Service:
    """One consumer: a stream, its output file and its snapshot file."""

    def __init__(self, stream: Stream, out: BinaryIO, state: Path | None, every: int):
        self.stream = stream
        self.out = out
        self.state = state
        self.every = every
        self.consumed = 0
        self.stopping = False
        self.busy = False  # between taking a record and writing its report: a signal waits for the end of it

    def resume(self, other_policies: bool) -> int:
        """Restore the stream and cut the output back to the snapshot; the number of input records to skip."""
        if self.state is None or not self.state.exists():
            self.out.truncate(0)
            return 0
        extra = self.stream.restore(self.state, other_policies=other_policies)
        self.consumed = int(extra.get("consumed", 0))
        self.out.truncate(int(extra.get("output_bytes", 0)))
        self.out.seek(0, os.SEEK_END)
        return self.consumed

    def save(self) -> None:
        """Flush the output to disk, then write the snapshot that names its length (the snapshot is atomic)."""
        if self.state is None:
            return
        self.out.flush()
        os.fsync(self.out.fileno())
        self.stream.snapshot(self.state, extra={"consumed": self.consumed, "output_bytes": self.out.tell()})

    def stop(self, signum: int, frame: Any) -> None:
        """SIGTERM/SIGINT: finish the current order, snapshot, exit (at once when waiting for input)."""
        self.stopping = True
        if not self.busy:
            raise _Stop

    def run(self, records: Iterator[InputRecord]) -> None:
        """Evaluate every record, writing its report; snapshot every N and at the end (or on a signal)."""
        try:
            for rec in records:
                self.busy = True
                if rec.data is None:
                    report = invalid_report(None, None, rec.error or "unreadable record")
                else:
                    report = self.stream.push(rec.data, kind="order")
                self.out.write((report_json(located(rec, report)) + "\n").encode("utf-8"))
                self.consumed += 1
                if self.every and self.consumed % self.every == 0:
                    self.save()
                self.busy = False
                if self.stopping:
                    break
        except _Stop:
            pass
        self.busy = True
        self.save()


def _clock(fixed: str | None) -> datetime | Callable[[], datetime]:
    return values.parse_datetime(fixed) if fixed else (lambda: datetime.now(UTC))


def _skip(records: Iterator[InputRecord], n: int) -> Iterator[InputRecord]:
    for i, rec in enumerate(records):
        if i >= n:
            yield rec


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", help="orders as JSON lines (default: standard input)")
    ap.add_argument("--output", required=True, help="the reports, one JSON line per order")
    ap.add_argument("--state", help="the snapshot file: resumed from when it exists, written as the service runs")
    ap.add_argument("--snapshot-every", type=int, default=1000, metavar="N", help="snapshot every N orders")
    ap.add_argument("-p", "--policies", action="append", default=[], help="policy files or folders (default: bundled)")
    ap.add_argument("--now", help="evaluate at this time instead of the wall clock (replays, tests)")
    ap.add_argument("--other-policies", action="store_true",
                    help="restore a snapshot other policies wrote, keeping the windows both sets share")
    a = ap.parse_args(argv)
    out_path = Path(a.output)
    if a.input and out_path.resolve() == Path(a.input).resolve():
        print(f"order_service: --output {a.output} is the input file; write the reports elsewhere", file=sys.stderr)
        return 2
    engine = rulekit.load(*a.policies)
    out_path.touch()
    with open(out_path, "r+b") as out:
        service = Service(engine.stream(now=_clock(a.now)), out, Path(a.state) if a.state else None,
                          a.snapshot_every)
        try:
            skip = service.resume(a.other_policies)
        except SnapshotMismatch as e:
            print(f"order_service: {e}", file=sys.stderr)
            return 2
        signal.signal(signal.SIGTERM, service.stop)
        signal.signal(signal.SIGINT, service.stop)
        records = read_records(a.input or "-")
        service.run(_skip(records, skip) if a.input else records)
    return 0


if __name__ == "__main__":
    sys.exit(main())
