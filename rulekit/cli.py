"""The `rulekit` command line: check, fmt, test, lint, explain, schema (LANGUAGE §8)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from rulekit import __version__, values
from rulekit.diagnostics import PolicyError, render, sort_key
from rulekit.resources import standard_policies

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A bad command line or option value (exit 2)."""


def _paths(paths: Sequence[str]) -> list[str]:
    return list(paths) if paths else [str(standard_policies())]


def _print_diagnostics(diags: list[Any], sources: dict[str, str], out: TextIO) -> tuple[int, int]:
    errors = warnings = 0
    for d in sorted(diags, key=sort_key):
        out.write(render(d, sources) + "\n\n")
        if d.is_error:
            errors += 1
        else:
            warnings += 1
    return errors, warnings


# ---- check ----------------------------------------------------------------------------------


def cmd_check(a: argparse.Namespace) -> int:
    from rulekit.loader import load_program

    program = load_program(_paths(a.paths))
    errors, warnings = _print_diagnostics(program.diagnostics, program.sources, sys.stdout)
    files = len(program.sources)
    rules = len(program.rules())
    if errors:
        print(f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)} "
              f"in {files} file{'s' * (files != 1)}")
        return EXIT_FAIL
    print(f"ok: {files} file{'s' * (files != 1)}, {rules} rule{'s' * (rules != 1)}"
          + (f", {warnings} warning{'s' * (warnings != 1)}" if warnings else ""))
    return EXIT_OK


# ---- fmt ------------------------------------------------------------------------------------


def cmd_fmt(a: argparse.Namespace) -> int:
    from rulekit.syntax.formatter import fmt_paths

    return fmt_paths(_paths(a.paths), a.check, sys.stdout)


# ---- test -----------------------------------------------------------------------------------


def _load_engine(paths: Sequence[str], lateness: timedelta = timedelta(0)) -> Any:
    from rulekit.engine import load

    try:
        engine = load(*_paths(paths), lateness=lateness)
    except PolicyError as e:
        _print_diagnostics(e.diagnostics, e.sources, sys.stderr)
        n = sum(1 for d in e.diagnostics if d.is_error)
        print(f"rulekit: the policies have {n} error{'s' * (n != 1)}; nothing was evaluated", file=sys.stderr)
        return None
    return engine


def cmd_test(a: argparse.Namespace) -> int:
    from rulekit.testing import coverage, run_all

    engine = _load_engine(a.paths)
    if engine is None:
        return EXIT_USAGE
    results = run_all(engine)
    passed = failed = 0
    for r in results:
        if r.passed:
            passed += 1
            if a.verbose:
                print(f"ok   {r.file}:{r.line}: {r.name}")
        else:
            failed += 1
            print(f"FAIL {r.file}:{r.line}: {r.name}")
            for p in r.problems:
                print(f"     {p}")
    if a.coverage:
        cov = coverage(engine, results)
        ids = [r.id for r in engine.rules()]
        missing = cov.missing(ids)
        full = len(ids) - len(missing)
        pct = 100.0 if not ids else 100.0 * full / len(ids)
        print(f"coverage: {full}/{len(ids)} rules have a firing and a non-firing test ({pct:.0f}%)")
        for rule, what in missing:
            print(f"  {rule}: missing {what}")
    print(f"{passed} passed, {failed} failed")
    return EXIT_OK if failed == 0 else EXIT_FAIL


# ---- lint -----------------------------------------------------------------------------------


def _parse_now(text: str | None) -> datetime:
    if text is None:
        return datetime.now(values.PLATFORM_TZ)
    try:
        if len(text) == 10:
            return values.date_start(values.parse_date(text))
        return values.parse_datetime(text)
    except ValueError:
        raise UsageError(f"--now: not a datetime: {text!r} (write 2025-06-01T12:00:00+08:00)") from None


def _parse_duration(text: str, opt: str) -> timedelta:
    if not values.is_duration_literal(text.strip()):
        raise UsageError(f"{opt}: not a duration: {text!r} (write 5m, 1h30m, 0s)")
    return values.parse_duration(text.strip())


def _pairs(engine: Any, files: list[str], kind: str | None, now: datetime, lateness: timedelta,
           progress: Any) -> Iterator[tuple[Any, Any]]:
    from rulekit.engine import invalid_report
    from rulekit.io.readers import read_records

    stream = engine.stream(now=now, lateness=lateness)
    for f in files:
        for rec in read_records(f, stdin=sys.stdin):
            if rec.data is None:
                problem = re.sub(r"^line \d+: ", "", rec.error or "unreadable record")
                rep = invalid_report(kind, None, f"{rec.source}:{rec.line}: {problem}")
            else:
                rep = stream.push(rec.data, kind=kind, from_csv=rec.from_csv)
                if any(e.rule is None for e in rep.errors):
                    rep = rep.model_copy(update={"errors": [
                        e.model_copy(update={"message": f"{rec.source}:{rec.line}: {e.message}"})
                        if e.rule is None else e for e in rep.errors]})
            if progress is not None:
                progress()
            yield rec, rep


_INPUT_EXT = (".json", ".jsonl", ".ndjson", ".csv")


def _input_files(files: list[str]) -> list[str]:
    """Input paths in order; a directory stands for its .json/.jsonl/.ndjson/.csv files, sorted."""
    out: list[str] = []
    for f in files:
        p = Path(f)
        if f == "-":
            out.append(f)
        elif p.is_dir():
            found = sorted(str(x) for x in p.rglob("*") if x.is_file() and x.suffix.lower() in _INPUT_EXT)
            if not found:
                raise UsageError(f"no .json, .jsonl or .csv files under {f}")
            out += found
        elif p.is_file():
            out.append(f)
        else:
            raise UsageError(f"no such input file: {f}")
    return out


def cmd_lint(a: argparse.Namespace) -> int:
    from rulekit.io.formats import RuleInfo, write_reports

    if a.subject is not None and a.subject.strip() == "":
        raise UsageError("--subject needs a kind")
    now = _parse_now(a.now)
    lateness = _parse_duration(a.lateness, "--lateness") if a.lateness else timedelta(0)
    engine = _load_engine(a.policies or [], lateness)
    if engine is None:
        return EXIT_USAGE
    if a.subject is not None and a.subject not in engine.kinds:
        from rulekit.suggest import did_you_mean

        raise UsageError(f"--subject: unknown kind `{a.subject}`"
                         + (f"; {did_you_mean(a.subject, engine.kinds)}" if did_you_mean(a.subject, engine.kinds)
                            else f" (kinds: {', '.join(engine.kinds)})"))
    a.files = _input_files(a.files)
    rules = [RuleInfo(r.id, r.title, r.severity, None, r.file, r.node.span.line) for r in engine.rules()]
    progress = None
    bar = None
    # a progress bar on stderr when it is a terminal and the reports go elsewhere (a file, a pipe)
    if sys.stderr.isatty() and not sys.stdout.isatty() and not a.no_progress:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        bar = Progress(SpinnerColumn(), TextColumn("{task.completed:,} records"), TimeElapsedColumn(),
                       transient=True, console=Console(stderr=True), redirect_stdout=False,
                       redirect_stderr=False)
        task = bar.add_task("linting", total=None)
        bar.start()

        def progress() -> None:
            bar.advance(task)
    fix_out = None
    try:
        pairs: Any = _pairs(engine, a.files, a.subject, now, lateness, progress)
        if a.fix:
            from rulekit.fix import FixWriter

            fix_out = FixWriter(engine, a.fix)
            pairs = fix_out.wrap(pairs)
        summary = write_reports(a.format, pairs, sys.stdout, rules=rules, tool_version=__version__,
                                color=sys.stdout.isatty() and a.color != "never" or a.color == "always",
                                verbose=a.verbose)
    finally:
        if bar is not None:
            bar.stop()
        if fix_out is not None:
            fix_out.close()
            fix_out.print_summary(sys.stderr)
    sys.stdout.flush()
    return EXIT_FAIL if summary.fails(a.fail_on) else EXIT_OK


# ---- explain --------------------------------------------------------------------------------


def cmd_explain(a: argparse.Namespace) -> int:
    from rulekit.explain import explain_file

    now = _parse_now(a.now)
    engine = _load_engine(a.policies or [])
    if engine is None:
        return EXIT_USAGE
    return explain_file(engine, a.file, a.subject, now, sys.stdout, index=a.index)


# ---- schema ---------------------------------------------------------------------------------


def cmd_schema(a: argparse.Namespace) -> int:
    from rulekit.loader import load_program

    program = load_program(a.policies or [str(standard_policies())])
    if not program.ok:
        _print_diagnostics(program.diagnostics, program.sources, sys.stderr)
        return EXIT_USAGE
    reg = program.registry
    if a.kind not in reg.types:
        from rulekit.suggest import did_you_mean

        raise UsageError(f"unknown record type `{a.kind}`" + (f"; {did_you_mean(a.kind, reg.types)}"
                                                              if did_you_mean(a.kind, reg.types) else ""))
    from rulekit.schema import json_schema

    print(json.dumps(json_schema(reg, a.kind), ensure_ascii=False, indent=2))
    return EXIT_OK


# ---- main -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="rulekit", description="Declarative shop-policy and compliance rules.")
    ap.add_argument("--version", action="version", version=f"rulekit {__version__}")
    sub = ap.add_subparsers(dest="cmd", required=True, metavar="COMMAND")

    p = sub.add_parser("check", help="parse and type-check policies")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("fmt", help="rewrite policies in canonical form")
    p.add_argument("--check", action="store_true", help="list files that would change; exit 1 if any")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.set_defaults(func=cmd_fmt)

    p = sub.add_parser("test", help="run the test blocks of policies")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.add_argument("--coverage", action="store_true", help="report rules without a firing and a non-firing test")
    p.add_argument("-v", "--verbose", action="store_true", help="also list passing tests")
    p.set_defaults(func=cmd_test)

    p = sub.add_parser("lint", help="evaluate records from JSON, JSONL or CSV files")
    p.add_argument("-p", "--policies", action="append", metavar="PATH", help="policy file or directory (repeatable)")
    p.add_argument("--subject", metavar="KIND", help="the kind of every record (else each record's \"kind\")")
    p.add_argument("--now", metavar="T", help="evaluation time (default: the wall clock, read once)")
    p.add_argument("--lateness", metavar="D", help="how late a subject may arrive for windows (default 0s)")
    p.add_argument("--format", choices=["text", "json", "jsonl", "sarif", "github"], default="text")
    p.add_argument("--fail-on", choices=["error", "warning", "info", "never"], default="error")
    p.add_argument("--fix", metavar="OUT", help="write every record to OUT (JSONL) with wordlist replacements applied")
    p.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("-v", "--verbose", action="store_true", help="text format: also list records that pass")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_lint)

    p = sub.add_parser("explain", help="show why each rule fired or not for one record")
    p.add_argument("-p", "--policies", action="append", metavar="PATH")
    p.add_argument("--subject", metavar="KIND")
    p.add_argument("--now", metavar="T")
    p.add_argument("--index", type=int, default=1, help="which record of the file (1-based, default 1)")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("schema", help="print the JSON Schema of a record type")
    p.add_argument("-p", "--policies", action="append", metavar="PATH")
    p.add_argument("kind", metavar="KIND")
    p.set_defaults(func=cmd_schema)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `rulekit` console script."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8")  # type: ignore[attr-defined]
        except (AttributeError, ValueError):
            pass
    ap = build_parser()
    a = ap.parse_args(argv)
    try:
        return int(a.func(a))
    except UsageError as e:
        print(f"rulekit {a.cmd}: {e}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except OSError as e:
        print(f"rulekit {a.cmd}: {e}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
