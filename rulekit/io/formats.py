"""Writes the reports of `rulekit lint` as text, JSON, JSON lines, SARIF 2.1.0 or GitHub workflow commands.

Every writer takes an iterable of `(InputRecord, Report)` pairs and a text stream, writes as it
goes (text and SARIF keep what they need for the end), and returns a `Summary` of what it saw, so
the caller can pick the exit code for `--fail-on` without a second pass.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, TextIO

from rulekit.io.pairs import INVALID_INPUT_RULE, Pair, where
from rulekit.io.readers import STDIN_NAME, InputRecord
from rulekit.io.summary import RunInfo, Summary
from rulekit.runtime.report import (  # noqa: F401 - report_dict and report_json are re-exported
    Action,
    EvalError,
    Evidence,
    Report,
    RuleDescriptor,
    Violation,
    _action_dict,
    _evidence_dict,
    dumps_exact,
    report_dict,
    report_json,
    report_line,
)

if TYPE_CHECKING:  # SARIF, baselines, suppressions and rule help are imported by the runs that use them
    from rulekit.io.baseline import Baseline
    from rulekit.io.suppressions import Suppressions
    from rulekit.ruledoc import RuleHelp


def write_sarif(pairs: Iterable[Pair], out: TextIO, **options: Any) -> Summary:
    """SARIF 2.1.0 (rulekit.io.sarif)."""
    from rulekit.io.sarif import write_sarif as write

    return write(pairs, out, **options)  # type: ignore[no-any-return]


_GITHUB_COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


# --- summary ---------------------------------------------------------------------------------


def located(record: InputRecord, report: Report) -> Report:
    """The report with the input's location (`file:line: `) before each input error, for formats that have
    no location of their own (JSON, JSON lines): LANGUAGE §6 asks the line number of an unreadable record."""
    if not report.errors or not any(e.rule is None for e in report.errors):
        return report
    at = where(record)
    errors = [e if e.rule is not None else e.model_copy(update={"message": f"{at}: {e.message}"})
              for e in report.errors]
    return report.model_copy(update={"errors": errors})


# --- JSON and JSON lines ---------------------------------------------------------------------




def write_jsonl(pairs: Iterable[Pair], out: TextIO) -> Summary:
    """One report per line, in input order, and nothing else."""
    summary = Summary()
    raw = utf8_bytes_of(out)
    if raw is None:
        for record, report in pairs:
            summary.add(report)
            out.write(report_json(located(record, report)) + "\n")  # one write a line
        return summary
    errors = out.errors or "strict"
    write = raw.write
    for record, report in pairs:  # the lines go to the buffer below the text layer as the UTF-8 they are built in
        summary.add(report)
        write(report_line(located(record, report), errors))
    raw.flush()
    return summary


def utf8_bytes_of(out: TextIO) -> Any:
    """The byte buffer under a UTF-8 text file (flushed, so what was written before stays before), or None: for a
    stream of another encoding, a line-buffered one (a terminal sees each line as it comes), and where text files
    end lines with something else than `\\n`."""
    raw = getattr(out, "buffer", None)
    encoding = getattr(out, "encoding", None)
    if (raw is None or not isinstance(encoding, str) or codecs.lookup(encoding).name != "utf-8"
            or getattr(out, "line_buffering", True) or os.linesep != "\n"):
        return None
    out.flush()
    return raw


def write_json(pairs: Iterable[Pair], out: TextIO) -> Summary:
    """A JSON array of the reports, indented by 2, written one report at a time."""
    summary = Summary()
    out.write("[")
    for n, (record, report) in enumerate(pairs):
        summary.add(report)
        out.write(",\n  " if n else "\n  ")
        out.write(report_json(located(record, report), indent=2).replace("\n", "\n  "))
    out.write("\n]\n" if summary.records else "]\n")
    return summary


# --- text (rich is imported only for text output) ------------------------------------------------


def write_text(pairs: Iterable[Pair], out: TextIO, **options: Any) -> Summary:
    """Human-readable text (rulekit/io/text.py), colored when `color`."""
    from rulekit.io.text import write_text as write
    return write(pairs, out, **options)


def text_options(rules: Sequence[RuleDescriptor], color: bool, verbose: bool, suppressions: Suppressions | None,
                 statistics: bool, quiet: bool) -> dict[str, Any]:
    """The options of the text writer (`io.text.TextWriter`) for a run over `rules`."""
    return {"color": color, "rule_titles": {r.id: r.title for r in rules if r.title}, "verbose": verbose,
            "rule_severities": {r.id: r.severity for r in rules},
            "suppressed": (lambda: suppressions.count) if suppressions is not None else None,
            "statistics": statistics, "quiet": quiet}


def write_html(pairs: Iterable[Pair], out: TextIO, **options: Any) -> Summary:
    """One self-contained HTML page (rulekit/io/html.py)."""
    from rulekit.io.html import write_html as write
    return write(pairs, out, **options)


# --- GitHub workflow commands ------------------------------------------------------------------


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def _gh_command(command: str, record: InputRecord, title: str, message: str, report: Report) -> str:
    props: list[str] = []
    if record.source != STDIN_NAME:
        path = PurePath(record.source).as_posix()
        props.append(f"file={_gh_property(path.removeprefix('./'))}")
        props.append(f"line={record.line}")
    if report.id is not None:  # the record goes into the title: messages usually name it already
        title = f"{title} ({report.kind} {report.id})" if report.kind else f"{title} ({report.id})"
    props.append(f"title={_gh_property(title)}")
    return f"::{command} {','.join(props)}::{_gh_data(message)}\n"


def write_github(pairs: Iterable[Pair], out: TextIO) -> Summary:
    """One GitHub workflow command (`::error`, `::warning`, `::notice`) per violation and per error."""
    summary = Summary()
    for record, report in pairs:
        summary.add(report)
        for v in report.violations:
            out.write(_gh_command(_GITHUB_COMMAND[v.severity], record, v.rule, v.message, report))
        for e in report.errors:
            if e.rule is None:
                # standard input has no file for GitHub to point at: the line goes into the message
                message = f"{where(record)}: {e.message}" if record.source == STDIN_NAME else e.message
                out.write(_gh_command("error", record, INVALID_INPUT_RULE, message, report))
            else:
                out.write(_gh_command("warning", record, e.rule, f"undetermined: {e.message}", report))
    return summary


# --- dispatch --------------------------------------------------------------------------------

FORMATS: dict[str, Callable[..., Summary]] = {
    "text": write_text,
    "json": write_json,
    "jsonl": write_jsonl,
    "sarif": write_sarif,
    "github": write_github,
    "html": write_html,
}


def write_reports(fmt: str, pairs: Iterable[Pair], out: TextIO, *, rules: Sequence[RuleDescriptor] = (),
                  tool_version: str = "0", color: bool = False, verbose: bool = False,
                  run: RunInfo | None = None, baseline: Baseline | None = None,
                  suppressions: Suppressions | None = None, statistics: bool = False,
                  quiet: bool = False, helps: Mapping[str, RuleHelp] | None = None) -> Summary:
    """Write the pairs in format `fmt` (a key of FORMATS), passing each writer the options it takes."""
    if fmt == "html":
        return write_html(pairs, out, rules=rules, run=run)
    if fmt == "text":
        return write_text(pairs, out, **text_options(rules, color, verbose, suppressions, statistics, quiet))
    if fmt == "sarif":
        return write_sarif(pairs, out, tool_version=tool_version, rules=rules, baseline=baseline,
                           suppressions=suppressions, helps=helps)
    if fmt in FORMATS:
        return FORMATS[fmt](pairs, out)
    raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
