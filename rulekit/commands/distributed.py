"""`rulekit lint --executor ray[:ADDRESS]`: the same reports as one `lint` process, computed on Ray Data."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from rulekit.commands.common import (
    EXIT_FAIL,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    parse_duration,
    parse_now,
    policy_paths,
)

_LEVELS = {"error": 3, "warning": 2, "info": 1, "never": 99}
_UNSUPPORTED = ("fix", "baseline", "write_baseline", "suppressions", "adapter")


def run(a: argparse.Namespace, config: Any, select: list[str], ignore: list[str], files: list[str]) -> int:
    """Lint `files` on Ray; write JSONL (in input order) or Parquet; the exit code as `lint`'s."""
    for opt in _UNSUPPORTED:
        if getattr(a, opt, None):
            raise UsageError(f"--{opt.replace('_', '-')} is not available with --executor ray")
    if getattr(a, "format_given", None) not in (None, "jsonl"):
        raise UsageError("--executor ray writes JSON lines or Parquet (-o OUT.parquet); drop --format or use jsonl")
    if "-" in files:
        raise UsageError("--executor ray reads files, not standard input")
    try:
        import ray
    except ImportError:
        raise UsageError("--executor ray needs Ray: pip install 'rulekit[ray]'") from None

    import rulekit
    from rulekit.batch.ray import lint_dataset, read_inputs, routing

    now = parse_now(a.now)
    late = a.lateness or config.lateness
    lateness = parse_duration(late, "--lateness") if late else timedelta(0)
    policies = policy_paths(a.policies, config)
    engine = rulekit.load(*policies, lateness=lateness, select=select, ignore=ignore)
    ordered, windowed = routing(engine, a.subject)
    address = a.executor.partition(":")[2] or None
    jobs = a.jobs or 2
    if not ray.is_initialized():
        try:
            ray.init(address=address, num_cpus=None if address else jobs, include_dashboard=False,
                     log_to_driver=False, logging_level="ERROR")
        except Exception as e:  # Ray raises ConnectionError and its own types for a cluster it cannot reach
            raise UsageError(f"--executor {a.executor}: cannot start or reach Ray: {_reason(e)}") from None
    _quiet_ray()
    if not a.quiet:
        print(f"rulekit lint: ray: {_plan_note(ordered, windowed, a.subject, jobs)}", file=sys.stderr)
    try:
        ds = read_inputs(files)
    except ValueError as e:
        raise UsageError(str(e)) from None
    reports = lint_dataset(ds, policies=policies, now=now, kind=a.subject, lateness=lateness, select=select,
                           ignore=ignore, sources=files, concurrency=jobs).sort(["_file", "_line"])
    out = a.output
    counts: Counter[str] = Counter()
    # written beside the output and renamed when complete: a failed run never leaves reports that look whole
    partial = None if out is None else Path(out).with_name(Path(out).name + ".partial")
    try:
        if out is not None and out.lower().endswith(".parquet"):
            worst = _write_parquet(reports, partial, counts)  # type: ignore[arg-type]
        else:
            worst = _write_jsonl(reports, str(partial) if partial else None, counts)
    except Exception as e:  # a worker that died, a lost node: Ray raises its own error types
        if partial is not None and partial.exists():
            partial.unlink()
        print(f"rulekit lint: ray: the run failed, no reports were written: {_reason(e)}", file=sys.stderr)
        return EXIT_USAGE
    if partial is not None:
        os.replace(partial, out)
    total = sum(counts.values())
    if not a.quiet:
        print(f"{total} record{'s' * (total != 1)}: {counts['block']} block, {counts['review']} review, "
              f"{counts['allow']} allow", file=sys.stderr)
    return EXIT_FAIL if worst >= _LEVELS[a.fail_on] else EXIT_OK


def _reason(e: BaseException) -> str:
    text = (str(e).strip().splitlines() or [type(e).__name__])[0]
    return text[:300]


def _quiet_ray() -> None:
    """Ray Data's progress lines and advice stay off stderr, which carries rulekit's own notes."""
    import logging
    import warnings

    import ray

    ray.data.DataContext.get_current().enable_progress_bars = False
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="ray")


def _plan_note(ordered: bool, windowed: frozenset[str], subject: str | None, jobs: int) -> str:
    if not windowed:
        return f"no window rules: every record on {jobs} workers"
    kinds = ", ".join(sorted(windowed))
    if subject is not None:
        return (f"`{subject}` has window rules: its records run in one ordered task" if ordered else
                f"`{subject}` has no window rules: its records run on {jobs} workers")
    return (f"records of kinds with window rules ({kinds}) run in one ordered task, in input order; the others on "
            f"{jobs} workers")


def _levels(batch: Any, counts: Counter[str]) -> int:
    worst = 0
    for decision, level in zip(batch.column("decision").to_pylist(), batch.column("worst").to_pylist(), strict=True):
        counts[decision] += 1
        worst = max(worst, _LEVELS.get(level or "", 0))
    return worst


def _write_jsonl(reports: Any, out: str | None, counts: Counter[str]) -> int:
    stream = sys.stdout if out is None else open(out, "w", encoding="utf-8", errors="backslashreplace")  # noqa: SIM115
    worst = 0
    try:
        for batch in reports.iter_batches(batch_format="pyarrow", batch_size=4096):
            worst = max(worst, _levels(batch, counts))
            for line in batch.column("json").to_pylist():
                stream.write(line)
                stream.write("\n")
    finally:
        if stream is not sys.stdout:
            stream.close()
    return worst


def _write_parquet(reports: Any, out: Path, counts: Counter[str]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from rulekit.batch import report_schema

    full = report_schema()
    schema = pa.schema([full.field(n) for n in full.names if n not in ("deferred", "text", "_error")])
    worst = 0
    with pq.ParquetWriter(out, schema) as writer:
        for batch in reports.iter_batches(batch_format="pyarrow", batch_size=4096):
            worst = max(worst, _levels(batch, counts))
            writer.write_table(batch.select(schema.names).cast(schema))
    return worst
