"""The `rulekit` command line: parses arguments and dispatches to the command modules (LANGUAGE §8)."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from rulekit import __version__
from rulekit.commands.common import EXIT_OK, EXIT_USAGE, UsageError
from rulekit.commands.inputs import add_input_options


def _config_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE",
                   help="read settings from FILE (default: the nearest rulekit.toml, or pyproject.toml with "
                        "[tool.rulekit], from the current directory up)")
    p.add_argument("--isolated", action="store_true", help="ignore every configuration file")


def _selection_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--select", action="append", metavar="RULES",
                   help="only these rules: rule ids, policy ids or globs such as 'ad_law.*' (comma-separated, "
                        "repeatable)")
    p.add_argument("--ignore", action="append", metavar="RULES", help="leave these rules out (same syntax)")


def _authored_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="policy files or directories (default: the configured `policies`, else the .rule files "
                        "under the current directory)")
    p.add_argument("--bundled", action="store_true", help="also (or only) the bundled standard policies")
    _config_options(p)


#: Two examples and the exit codes of each command, shown at the end of its --help.
EPILOGS = {
    "check": ("rulekit check                      # the .rule files under the current directory (or the configured ones)",
              "rulekit check --strict policies/   # warnings fail too",
              "0 no errors (warnings allowed; with --strict none either), 1 errors, 2 usage"),
    "fmt": ("rulekit fmt --check policies/      # list files that would change",
            "rulekit fmt policies/shop.rule     # rewrite one file in place",
            "0 nothing to change (or rewritten), 1 --check found a file to reformat, 2 unreadable file or usage"),
    "test": ("rulekit test --coverage policies/",
             "rulekit test -k 包邮 --junit-xml report.xml policies/",
             "0 every test passed, 1 a test failed, 2 the policies do not load or usage"),
    "lint": ("rulekit lint --now 2025-06-10T12:00:00+08:00 examples/",
             "rulekit lint -p policies/ --format sarif -o findings.sarif --baseline known.json listings.jsonl",
             "0 below --fail-on, 1 at or above it, 2 bad policies, bad configuration or usage"),
    "adapt": ("rulekit adapt --adapter doudian-export examples/doudian/orders.csv",
              "rulekit adapt --adapter my-platform.toml --encoding gb18030 export.csv -o orders.jsonl",
              "0 every record converted, 1 some records could not be converted (named on stderr), 2 usage"),
    "explain": ("rulekit explain --subject order --now 2025-06-10T12:00:00+08:00 order.json",
                "rulekit explain -p policies/ --index 3 orders.jsonl",
                "0 explained (an invalid record is explained too), 2 bad policies or usage"),
    "schema": ("rulekit schema order", "rulekit schema -p policies/ refund",
               "0 printed, 2 unknown record type or bad policies"),
    "backtest": ("rulekit backtest -p policies/ --labels labels.jsonl listings.jsonl",
                 "rulekit backtest -p new/ --against old/ --labels labels.jsonl --format json listings.jsonl",
                 "0 scored, 1 some label lines could not be read (named on stderr), 2 bad policies or usage"),
    "lsp": ("rulekit lsp    (started by the editor: VS Code, Neovim, Helix; see docs/editors.md)",
            "pip install 'rulekit[lsp]' && rulekit lsp",
            "0 the client ended the session, 2 pygls is not installed"),
    "rule": ("rulekit rule ad_law.extreme_words", "rulekit rule -p policies/ freight.remote_free_shipping",
             "0 printed, 2 unknown rule or bad policies"),
}


def _command_run(name: str) -> Any:
    """The `run` of `rulekit.commands.NAME`, imported when the command runs: a command pays only for its own
    imports (start-up time; `lint --format jsonl` never imports rich or the adapters)."""
    def run(a: argparse.Namespace) -> int:
        module = importlib.import_module(f"rulekit.commands.{name}")
        return int(module.run(a))

    return run


def _seconds(text: str) -> str:
    try:
        if float(text) > 0:
            return text
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"expected a positive number of seconds, not {text!r}")


def _jobs(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of processes: {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"at least 1 process, not {n}")
    return n


def _executor(text: str) -> str:
    if text != "ray" and not text.startswith("ray:"):
        raise argparse.ArgumentTypeError(f"expected ray or ray:ADDRESS, not {text!r}")
    return text


def _command(sub: Any, name: str, help: str) -> argparse.ArgumentParser:
    first, second, codes = EPILOGS[name]
    return sub.add_parser(name, help=help, description=help[:1].upper() + help[1:] + ".",
                          formatter_class=argparse.RawDescriptionHelpFormatter,
                          epilog=f"examples:\n  {first}\n  {second}\n\nexit codes:\n  {codes}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    ap = argparse.ArgumentParser(prog="rulekit", description="Declarative shop-policy and compliance rules.",
                                 epilog="`rulekit COMMAND --help` describes each command; docs/cli.md the "
                                        "configuration file.")
    ap.add_argument("--version", action="version", version=f"rulekit {__version__}")
    sub = ap.add_subparsers(dest="cmd", required=True, metavar="COMMAND")

    p = _command(sub, "check", "parse and type-check policies")
    _authored_options(p)
    p.add_argument("--format", choices=["text", "json", "sarif"], default="text",
                   help="text: diagnostics with carets (default); json or sarif for tools")
    p.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")
    p.set_defaults(func=_command_run("check"))

    p = _command(sub, "fmt", "rewrite policies in canonical form")
    p.add_argument("--check", action="store_true", help="list files that would change; exit 1 if any")
    _authored_options(p)
    p.set_defaults(func=_command_run("fmt"))

    p = _command(sub, "test", "run the test blocks of policies")
    _authored_options(p)
    _selection_options(p)
    p.add_argument("--coverage", action="store_true", help="report rules without a firing and a non-firing test")
    p.add_argument("-k", metavar="PATTERN", dest="keyword",
                   help="only the tests whose name contains PATTERN (case-insensitive)")
    p.add_argument("--junit-xml", metavar="FILE", help="also write the results as JUnit XML to FILE")
    p.add_argument("-v", "--verbose", action="store_true", help="also list passing tests")
    p.set_defaults(func=_command_run("test"))

    p = _command(sub, "lint", "evaluate records from JSON, JSONL, CSV or XLSX files")
    p.add_argument("-p", "--policies", action="append", metavar="PATH",
                   help="policy file or directory (repeatable; default: the configured `policies`, else the "
                        "bundled standard policies)")
    _config_options(p)
    _selection_options(p)
    p.add_argument("--subject", metavar="KIND", help="the kind of every record (else each record's \"$kind\")")
    p.add_argument("--now", metavar="T", help="evaluation time (default: the wall clock, read once)")
    p.add_argument("--lateness", metavar="D", help="how late a subject may arrive for windows (default 0s)")
    p.add_argument("--limit", action="append", metavar="NAME=VALUE",
                   help="change one limit, e.g. record-bytes=16777216 or max-clock-skew=30d (docs/security.md)")
    p.add_argument("--regex-timeout", metavar="SECONDS", type=_seconds,
                   help="regex time one record may spend over all its matches() (limit regex-seconds, default 1)")
    p.add_argument("--format", choices=["text", "json", "jsonl", "sarif", "github", "html"], default=None,
                   help="how to write the reports (default text; html: one self-contained page, give it -o)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the reports to FILE instead of standard output")
    p.add_argument("--fail-on", choices=["error", "warning", "info", "never"], default=None,
                   help="the lowest finding that makes the exit code 1 (default error)")
    p.add_argument("--exclude", action="append", metavar="GLOB",
                   help="pass over input files matching GLOB when walking directories (repeatable)")
    p.add_argument("--fix", metavar="OUT", help="write every record to OUT (JSONL) with wordlist replacements applied")
    p.add_argument("--baseline", metavar="FILE",
                   help="report only findings that FILE (written by --write-baseline) does not know")
    p.add_argument("--write-baseline", metavar="FILE", help="record every finding of this run in FILE")
    p.add_argument("--quiet-baseline", action="store_true", help="do not say how many known findings were hidden")
    p.add_argument("--suppressions", metavar="FILE",
                   help="a TOML file of [[suppress]] entries (rule, id, reason, owner, expires) to accept")
    p.add_argument("--report-unused-suppressions", action="store_true",
                   help="warn about suppressions that suppressed nothing in this run")
    p.add_argument("--color", choices=["auto", "always", "never"], default="auto",
                   help="colour in the text format (auto: on a terminal, unless NO_COLOR is set or FORCE_COLOR is)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("-v", "--verbose", action="store_true", help="text format: also list records that pass")
    p.add_argument("--statistics", action="store_true",
                   help="text format: the table of every rule that fired or was undetermined")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="text format: the totals line only; no notes on stderr (warnings still)")
    add_input_options(p)
    p.add_argument("--window-store", metavar="URL",
                   help="where window state lives: memory (default) or redis://HOST:PORT/DB[?prefix=NAME], shared "
                        "by several consumers (pip install 'rulekit[redis]'; docs/scale.md)")
    p.add_argument("--executor", metavar="ray[:ADDRESS]", type=_executor,
                   help="run on Ray Data (pip install 'rulekit[ray]'): a local instance, or the cluster at ADDRESS; "
                        "reads JSON lines or Parquet, writes JSON lines or -o OUT.parquet (docs/scale.md)")
    p.add_argument("--jobs", type=_jobs, metavar="N",
                   help="split JSON lines input over N processes (reports unchanged, in input order; records of kinds "
                        "that window rules read stay in one ordered stream); with --executor: how many workers")
    p.add_argument("files", nargs="+", metavar="FILE", help="input files or directories; - reads standard input")
    p.set_defaults(func=_command_run("lint"))

    p = _command(sub, "adapt", "convert platform data through an adapter into records (JSON lines)")
    p.add_argument("-p", "--policies", action="append", metavar="PATH",
                   help="policies that declare more record fields (default: the bundled policies' records)")
    _config_options(p)
    add_input_options(p)
    p.add_argument("--list", action="store_true", help="list the shipped adapters and exit")
    p.add_argument("-o", "--output", metavar="FILE", help="write the records to FILE instead of standard output")
    p.add_argument("files", nargs="*", metavar="FILE", help="input files; - reads standard input")
    p.set_defaults(func=_command_run("adapt"))

    p = _command(sub, "explain", "show why each rule fired or not for one record")
    p.add_argument("-p", "--policies", action="append", metavar="PATH", help="policy file or directory (repeatable)")
    _config_options(p)
    _selection_options(p)
    p.add_argument("--subject", metavar="KIND", help="the record's kind (else its \"$kind\")")
    p.add_argument("--now", metavar="T", help="evaluation time (default: the wall clock)")
    p.add_argument("--index", type=int, default=1,
                   help="which record of the file (1-based, default 1); records before it are pushed first, so "
                        "window values are the ones `lint` uses")
    p.add_argument("--rule", action="append", metavar="ID",
                   help="explain only this rule, or the rules of this policy (repeatable); all are evaluated")
    p.add_argument("--lateness", metavar="D", help="how late a subject may arrive for windows (as for lint)")
    p.add_argument("--format", choices=["text", "json"], default="text", help="text (default) or json for tools")
    add_input_options(p)
    p.add_argument("file", metavar="FILE", help="the input file holding the record")
    p.set_defaults(func=_command_run("explain"))

    p = _command(sub, "backtest", "score the policies against hand labels: precision, recall and the errors")
    p.add_argument("-p", "--policies", action="append", metavar="PATH", help="policy file or directory (repeatable)")
    _config_options(p)
    _selection_options(p)
    p.add_argument("--labels", required=True, metavar="FILE",
                   help='JSON lines {"id": "L-1001", "label": "yes"|"no"|"unsure"} with an optional "rule" or '
                        '"policy" (label one check) and "kind"')
    p.add_argument("--against", action="append", metavar="PATH",
                   help="other policies (an earlier version) to compare with on the same records (repeatable)")
    p.add_argument("--kind", metavar="KIND", help="score only records of this kind (when ids repeat across kinds)")
    p.add_argument("--subject", metavar="KIND", help="the kind of records without \"$kind\" (as for lint)")
    p.add_argument("--now", metavar="T", help="evaluation time (default: the wall clock)")
    p.add_argument("--format", choices=["text", "json"], default="text", help="text (default) or json for CI")
    add_input_options(p)
    p.add_argument("files", nargs="+", metavar="FILE", help="the labelled records (JSON, JSON lines, CSV, XLSX)")
    p.set_defaults(func=_command_run("backtest"))

    p = _command(sub, "lsp", "run the language server over standard input and output (for editors)")
    p.set_defaults(func=_command_run("lsp"))

    p = _command(sub, "rule", "print what a rule checks: title, severity, policy, where, message, source")
    p.add_argument("-p", "--policies", action="append", metavar="PATH", help="policy file or directory (repeatable)")
    _config_options(p)
    p.add_argument("id", metavar="ID", help="the rule id, e.g. ad_law.extreme_words")
    p.set_defaults(func=_command_run("rule"))

    p = _command(sub, "schema", "print the JSON Schema of a record type")
    p.add_argument("-p", "--policies", action="append", metavar="PATH", help="policies that declare more records")
    _config_options(p)
    p.add_argument("kind", metavar="KIND", help="the record type")
    p.set_defaults(func=_command_run("schema"))
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `rulekit` console script."""
    for stream in (sys.stdout, sys.stderr):
        try:
            # a string no encoder takes (a lone surrogate from a policy or a library) is escaped, never fatal
            stream.reconfigure(encoding="utf-8", errors="backslashreplace")  # type: ignore[attr-defined]
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
