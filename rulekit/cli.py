"""The `rulekit` command line: parses arguments and dispatches to the command modules (LANGUAGE §8)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rulekit import __version__
from rulekit.commands import check, explain, fmt, lint, schema, test
from rulekit.commands.common import EXIT_OK, EXIT_USAGE, UsageError


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    ap = argparse.ArgumentParser(prog="rulekit", description="Declarative shop-policy and compliance rules.")
    ap.add_argument("--version", action="version", version=f"rulekit {__version__}")
    sub = ap.add_subparsers(dest="cmd", required=True, metavar="COMMAND")

    p = sub.add_parser("check", help="parse and type-check policies")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.set_defaults(func=check.run)

    p = sub.add_parser("fmt", help="rewrite policies in canonical form")
    p.add_argument("--check", action="store_true", help="list files that would change; exit 1 if any")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.set_defaults(func=fmt.run)

    p = sub.add_parser("test", help="run the test blocks of policies")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.add_argument("--coverage", action="store_true", help="report rules without a firing and a non-firing test")
    p.add_argument("-v", "--verbose", action="store_true", help="also list passing tests")
    p.set_defaults(func=test.run)

    p = sub.add_parser("lint", help="evaluate records from JSON, JSONL or CSV files")
    p.add_argument("-p", "--policies", action="append", metavar="PATH", help="policy file or directory (repeatable)")
    p.add_argument("--subject", metavar="KIND", help="the kind of every record (else each record's \"kind\")")
    p.add_argument("--now", metavar="T", help="evaluation time (default: the wall clock, read once)")
    p.add_argument("--lateness", metavar="D", help="how late a subject may arrive for windows (default 0s)")
    p.add_argument("--format", choices=["text", "json", "jsonl", "sarif", "github", "html"], default="text",
                   help="how to write the reports (html: one self-contained page; give it -o report.html)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the reports to FILE instead of standard output")
    p.add_argument("--fail-on", choices=["error", "warning", "info", "never"], default="error")
    p.add_argument("--fix", metavar="OUT", help="write every record to OUT (JSONL) with wordlist replacements applied")
    p.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("-v", "--verbose", action="store_true", help="text format: also list records that pass")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=lint.run)

    p = sub.add_parser("explain", help="show why each rule fired or not for one record")
    p.add_argument("-p", "--policies", action="append", metavar="PATH")
    p.add_argument("--subject", metavar="KIND")
    p.add_argument("--now", metavar="T")
    p.add_argument("--index", type=int, default=1, help="which record of the file (1-based, default 1)")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=explain.run)

    p = sub.add_parser("schema", help="print the JSON Schema of a record type")
    p.add_argument("-p", "--policies", action="append", metavar="PATH")
    p.add_argument("kind", metavar="KIND")
    p.set_defaults(func=schema.run)
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
