"""`rulekit lint`: evaluate records from JSON, JSON lines or CSV files and write the reports (LANGUAGE §8)."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from rulekit import __version__
from rulekit.commands import lane
from rulekit.commands.common import (
    EXIT_FAIL,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    configuration,
    limits_of,
    load_engine,
    parse_duration,
    parse_now,
    policy_paths,
    selection,
)
from rulekit.commands.inputs import Inputs, inputs_of, push_input, typed_input  # noqa: F401 - re-exported
from rulekit.io.baseline import Baseline, BaselineError, finding, write_baseline
from rulekit.io.formats import text_options, write_reports
from rulekit.io.readers import InputRecord
from rulekit.io.summary import RunInfo
from rulekit.io.typedlines import typed_reader
from rulekit.paths import expand
from rulekit.runtime.report import Report
from rulekit.suggest import did_you_mean
from rulekit.values import PLATFORM_TZ

if TYPE_CHECKING:  # only with a suppressions file
    from rulekit.io.suppressions import Suppressions

INPUT_SUFFIXES = (".json", ".jsonl", ".ndjson", ".csv", ".xlsx")


def input_files(files: list[str], exclude: list[str] | None = None, base: Path | None = None
                ) -> tuple[list[str], list[Path]]:
    """Input paths in order, and the files of other kinds passed over. A directory stands for its
    .json/.jsonl/.ndjson/.csv files, sorted, less hidden entries, environments, what .gitignore files
    ignore and the `exclude` globs."""
    found = expand(files, INPUT_SUFFIXES, exclude=exclude or (), base=base, report_skipped=True)
    if found.missing:
        raise UsageError(f"no such input file: {found.missing[0]}")
    if found.empty:
        raise UsageError(f"no .json, .jsonl, .csv or .xlsx files under {found.empty[0]}")
    return [str(f) for f, _ in found.files], found.skipped


def reports(engine: Any, files: list[str], subject: str | None, now: datetime, lateness: timedelta,
            progress: Callable[[], None] | None = None, inputs: Inputs | None = None, store: Any = None
            ) -> Iterator[tuple[InputRecord, Report]]:
    """One stream over every input file in order: each input record with its report."""
    stream = engine.stream(now=now, lateness=lateness, store=store)
    inputs = inputs or Inputs()
    if inputs.adapter is not None:
        subject = inputs.adapter.kind
    for f in files:
        for rec in inputs.records(f, engine.program.registry):
            rep = push_input(engine, stream, rec, subject, inputs.adapter is not None)
            if progress is not None:
                progress()
            yield rec, rep


def run(a: argparse.Namespace) -> int:
    """0 below `--fail-on`, 1 at or above it, 2 for bad policies or usage."""
    if a.subject is not None and a.subject.strip() == "":
        raise UsageError("--subject needs a kind")
    config = configuration(a)
    a.format_given = a.format
    a.format = a.format or config.format or "text"
    a.fail_on = a.fail_on or config.fail_on or "error"
    now = parse_now(a.now)
    late = a.lateness or config.lateness
    lateness = parse_duration(late, "--lateness") if late else timedelta(0)
    select, ignore = selection(a, config)
    limits = limits_of(config, a.limit)
    inputs = inputs_of(a)
    inputs.keep_raw = a.format == "sarif" or bool(a.fix)  # what reads a JSON line's text
    if inputs.adapter is not None and a.fix:
        raise UsageError("--fix rewrites JSON lines; it cannot rewrite what an adapter reads")
    engine = load_engine(policy_paths(a.policies, config), lateness, select=select, ignore=ignore,
                         severity=config.severity, limits=limits, absent=inputs.absent)
    if engine is None:
        return EXIT_USAGE
    # The policies are loaded for the whole run: the cyclic GC need not walk them again and again, and with the
    # few containers each record leaves it runs rarely (records are freed by reference counting; memory stays flat)
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    inputs.check(engine.program.registry, a.subject)
    keep_data = a.format in ("html", "sarif") or bool(a.fix)  # the outputs that show an input's fields
    if not keep_data and inputs.adapter is None:  # JSON lines straight into records (io/typedlines.py)
        inputs.typed = typed_reader(engine, a.subject)
    note = inputs.note(engine.program)
    if note and not a.quiet:
        print(f"rulekit lint: {note}", file=sys.stderr)
    if a.subject is not None and a.subject not in engine.kinds:
        hint = did_you_mean(a.subject, engine.kinds)
        raise UsageError(f"--subject: unknown kind `{a.subject}`" + (f"; {hint}" if hint else
                                                                     f" (kinds: {', '.join(engine.kinds)})"))
    files, skipped = input_files(a.files, [*config.exclude, *(a.exclude or [])], config.root)
    if a.executor is not None:
        from rulekit.commands import distributed  # only for --executor

        return distributed.run(a, config, select, ignore, files)
    if skipped and not a.quiet:
        shown = ", ".join(str(p) for p in skipped[:5]) + (f", and {len(skipped) - 5} more" if len(skipped) > 5 else "")
        print(f"rulekit lint: skipped {len(skipped)} file{'s' * (len(skipped) != 1)} that {'are' if len(skipped) != 1 else 'is'} "
              f"not .json, .jsonl, .ndjson, .csv or .xlsx: {shown}", file=sys.stderr)
    out = _open_output(a.output, files)
    bar, progress = _progress_bar(a, out)
    fix_out = None
    finished = False
    written: list[Any] = []
    baseline_path = a.baseline or (str(config.baseline) if config.baseline else None)
    try:
        baseline = Baseline.load(Path(baseline_path)) if baseline_path and not a.write_baseline else None
    except BaselineError as e:
        raise UsageError(str(e)) from None
    today = now.astimezone(PLATFORM_TZ).date()
    suppressions = _suppressions(a.suppressions or (str(config.suppressions) if config.suppressions else None), today)
    run = RunInfo(now.isoformat(), __version__, engine.program.fingerprint(), engine.program.versions())
    try:
        pairs: Any = None
        summary: Any = None
        if (a.jobs or 1) > 1:
            from rulekit.commands import parallel  # only for --jobs

            why = parallel.why_not(engine, a, inputs, files)
            if why is None:
                job = parallel.Job(a.subject, now, lateness, keep_data=keep_data,
                                   keep_raw=inputs.keep_raw, limits=limits,
                                   load={"paths": policy_paths(a.policies, config), "lateness": lateness,
                                         "select": select, "ignore": ignore, "severity": config.severity,
                                         "absent": inputs.absent})
                if a.format == "jsonl" and not (a.write_baseline or a.fix) and baseline is None and suppressions is None:
                    # nothing between reports and output: the workers write the lines as well
                    summary = parallel.write_jsonl(engine, files, job, a.jobs, inputs, out, progress)
                else:
                    pairs = parallel.reports(engine, files, job, a.jobs, inputs, progress)
            elif not a.quiet:
                print(f"rulekit lint: --jobs {a.jobs}: one process ({why})", file=sys.stderr)
        if pairs is None and summary is None:
            store = window_store(a.window_store, lateness)
            direct = not (a.write_baseline or a.fix) and baseline is None and suppressions is None
            lane_out = lane.output_of(out, inputs, progress) if direct and a.format == "jsonl" else None
            # nothing between reports and output: one loop (commands/lane.py)
            if lane_out is not None:
                summary = lane.write_jsonl(engine, engine.stream(now=now, lateness=lateness, store=store), files,
                                           a.subject, inputs, out, lane_out)
            elif direct and a.format == "text" and lane.applies(inputs, progress):
                summary = lane.write_text(engine, engine.stream(now=now, lateness=lateness, store=store), files,
                                          a.subject, inputs, out, text_options(
                                              engine.rules(), use_color(a.color, out), a.verbose, None,
                                              a.statistics, a.quiet))
            else:
                pairs = reports(engine, files, a.subject, now, lateness, progress, inputs, store)
        if a.write_baseline:
            pairs = _recording(pairs, written)
        if baseline is not None:
            pairs = baseline.filter(pairs)
        if suppressions is not None:
            pairs = suppressions.filter(pairs, today)
        if a.fix:
            from rulekit.fix import FixWriter  # only for --fix

            try:
                fix_out = FixWriter(a.fix, files)
            except ValueError as e:
                raise UsageError(str(e)) from None
            pairs = fix_out.wrap(pairs)
        if summary is None:
            summary = write_reports(a.format, pairs, out, rules=engine.rules(), tool_version=__version__,
                                    color=use_color(a.color, out), verbose=a.verbose, run=run, baseline=baseline,
                                    suppressions=suppressions, statistics=a.statistics, quiet=a.quiet,
                                    helps=_sarif_help(engine) if a.format == "sarif" else None)
        if a.write_baseline:
            n = write_baseline(Path(a.write_baseline), written)
            if not a.quiet:
                print(f"rulekit lint: wrote {n} finding{'s' * (n != 1)} to the baseline {a.write_baseline}", file=sys.stderr)
        if suppressions is not None:
            if not a.quiet:
                print(f"rulekit lint: {suppressions.count} finding{'s' * (suppressions.count != 1)} suppressed by "
                      f"{suppressions.path}", file=sys.stderr)
            if a.report_unused_suppressions:
                for e in suppressions.unused(today):
                    print(f"rulekit lint: warning: {e.where}: the suppression of {e.rule} for {e.id} "
                          "suppressed nothing", file=sys.stderr)
        if baseline is not None and not (a.quiet_baseline or a.quiet):
            print(f"rulekit lint: the baseline {baseline.path} hid {baseline.hidden} known "
                  f"finding{'s' * (baseline.hidden != 1)}", file=sys.stderr)
        finished = True
    finally:
        if out is not sys.stdout:
            out.close()
        if bar is not None:
            bar.stop()
        if fix_out is not None:
            fix_out.close(ok=finished)
            if finished:
                fix_out.print_summary(sys.stderr)
    sys.stdout.flush()
    return EXIT_FAIL if summary.fails(a.fail_on) else EXIT_OK


def window_store(url: str | None, lateness: timedelta) -> Any:
    """`--window-store`: None (this process's memory) or a Redis store, `redis://HOST:PORT/DB[?prefix=NAME]`."""
    if url is None or url == "memory":
        return None
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise UsageError(f"--window-store {url}: expected memory or redis://HOST:PORT/DB")
    try:
        import redis
    except ImportError:
        raise UsageError("--window-store redis://… needs the redis client: pip install 'rulekit[redis]'") from None
    from urllib.parse import parse_qs, urlsplit, urlunsplit

    from rulekit.runtime.windows.redis_store import RedisWindowStore

    parts = urlsplit(url)
    prefix = parse_qs(parts.query).get("prefix", ["rulekit"])[0]
    client = redis.Redis.from_url(urlunsplit(parts._replace(query="")), socket_timeout=5, socket_connect_timeout=5)
    return RedisWindowStore(client=client, prefix=prefix, lateness_us=int(lateness.total_seconds() * 1_000_000))


def _open_output(path: str | None, inputs: list[str]) -> TextIO:
    """Standard output, or the `-o` file (never one of the inputs)."""
    if path is None:
        return sys.stdout
    target = Path(path).resolve()
    if any(f != "-" and Path(f).resolve() == target for f in inputs):
        raise UsageError(f"-o {path}: that is one of the input files; write the reports somewhere else")
    return open(path, "w", encoding="utf-8", errors="backslashreplace")  # noqa: SIM115 - closed by `run`


def _progress_bar(a: argparse.Namespace, out: TextIO) -> tuple[Any, Callable[[], None] | None]:
    """A progress bar on stderr when it is a terminal and the reports go elsewhere (a file, a pipe)."""
    if not (sys.stderr.isatty() and not out.isatty() and not a.no_progress):
        return None, None
    from rich.console import Console  # only with a terminal to draw on
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    bar = Progress(SpinnerColumn(), TextColumn("{task.completed:,} records"), TimeElapsedColumn(), transient=True,
                   console=Console(stderr=True), redirect_stdout=False, redirect_stderr=False)
    task = bar.add_task("linting", total=None)
    bar.start()
    return bar, lambda: bar.advance(task)


def use_color(choice: str, out: TextIO) -> bool:
    """`--color`: always, never, or auto — on a terminal, unless NO_COLOR is set; FORCE_COLOR forces it."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return out.isatty()


def _recording(pairs: Iterator[tuple[InputRecord, Report]], into: list[Any]) -> Iterator[tuple[InputRecord, Report]]:
    """Pass the pairs on, noting every violation as a finding for `--write-baseline`."""
    for record, report in pairs:
        into.extend((finding(report, v), v.message) for v in report.violations)
        yield record, report


def _sarif_help(engine: Any) -> Any:
    """The help of every rule, for SARIF (imported only for SARIF output)."""
    from rulekit.io.sarif import display_path
    from rulekit.ruledoc import all_help

    return all_help(engine.program, display_path)


def _suppressions(path: str | None, today: Any) -> Suppressions | None:
    """The suppressions file of the run, its expired entries named on stderr."""
    if path is None:
        return None
    from rulekit.io.suppressions import SuppressionError, Suppressions  # only with a suppressions file

    try:
        s = Suppressions.load(Path(path))
    except SuppressionError as e:
        raise UsageError(str(e)) from None
    for e in s.expired(today):
        print(f"rulekit lint: warning: {e.where}: the suppression of {e.rule} for {e.id} expired on "
              f"{e.expires}; it suppresses nothing", file=sys.stderr)
    return s
