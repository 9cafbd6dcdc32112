"""Writes the reports of `rulekit lint` as text, JSON, JSON lines, SARIF 2.1.0 or GitHub workflow commands.

Every writer takes an iterable of `(InputRecord, Report)` pairs and a text stream, writes as it
goes (text and SARIF keep what they need for the end), and returns a `Summary` of what it saw, so
the caller can pick the exit code for `--fail-on` without a second pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import PurePath
from typing import Any, TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from rulekit.io.baseline import Baseline
from rulekit.io.html import RunInfo, write_html
from rulekit.io.pairs import INVALID_INPUT_RULE, Pair, where
from rulekit.io.readers import STDIN_NAME, InputRecord
from rulekit.io.sarif import write_sarif
from rulekit.io.summary import Summary
from rulekit.io.suppressions import Suppressions
from rulekit.ruledoc import RuleHelp
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
)

_GITHUB_COMMAND = {"error": "error", "warning": "warning", "info": "notice"}
_DECISION_STYLE = {"block": "bold red", "review": "bold yellow", "allow": "bold green"}
_SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}


# --- summary ---------------------------------------------------------------------------------


def located(record: InputRecord, report: Report) -> Report:
    """The report with the input's location (`file:line: `) before each input error, for formats that have
    no location of their own (JSON, JSON lines): LANGUAGE §6 asks the line number of an unreadable record."""
    if not any(e.rule is None for e in report.errors):
        return report
    at = where(record)
    errors = [e if e.rule is not None else e.model_copy(update={"message": f"{at}: {e.message}"})
              for e in report.errors]
    return report.model_copy(update={"errors": errors})


# --- JSON and JSON lines ---------------------------------------------------------------------




def write_jsonl(pairs: Iterable[Pair], out: TextIO) -> Summary:
    """One report per line, in input order, and nothing else."""
    summary = Summary()
    for record, report in pairs:
        summary.add(report)
        out.write(report_json(located(record, report)))
        out.write("\n")
    return summary


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


# --- text ------------------------------------------------------------------------------------


def _args_text(args: Mapping[str, Any]) -> str:
    parts = []
    for k, v in args.items():
        parts.append(f"{k}={dumps_exact(v)}")
    return ", ".join(parts)


def _record_lines(record: InputRecord, report: Report, rule_titles: Mapping[str, str]) -> list[Text]:
    header = Text()
    header.append(report.kind or "?", style="bold")
    header.append(" ")
    header.append(report.id if report.id is not None else "(no id)", style="bold")
    header.append("  ")
    header.append(report.decision, style=_DECISION_STYLE[report.decision])
    header.append("  ")
    header.append(where(record), style="dim")
    lines = [header]
    for v in report.violations:
        line = Text("  ")
        line.append(f"{v.severity:<7}", style=_SEVERITY_STYLE[v.severity])
        line.append(" ")
        line.append(v.rule, style="bold")
        title = rule_titles.get(v.rule)
        if title:
            line.append(f" ({title})")
        line.append("  ")
        line.append(v.message)
        lines.append(line)
        for a in v.actions:
            lines.append(Text.assemble("          → ", (a.name, "cyan"), f"({_args_text(a.args)})"))
        for e in v.evidence:
            ev = Text("          ")
            ev.append(f"{e.field or ''}[{e.start}:{e.end}]", style="dim")
            ev.append(f" {json.dumps(e.text, ensure_ascii=False)}")
            if e.replacement is not None:
                ev.append(f" → {json.dumps(e.replacement, ensure_ascii=False)}", style="green")
            elif e.deletes:
                ev.append(" → delete", style="green")
            if e.category:
                ev.append(f"  ({e.category})", style="dim")
            lines.append(ev)
    for err in report.errors:
        line = Text("  ")
        if err.rule is None:
            line.append("invalid input", style="red")
            line.append(f"  {err.message}")
        else:
            line.append("undetermined", style="yellow")
            line.append(" ")
            line.append(err.rule, style="bold")
            line.append(f"  {err.message}")
        lines.append(line)
    return lines


def write_text(pairs: Iterable[Pair], out: TextIO, *, color: bool, rule_titles: Mapping[str, str],
               verbose: bool = False, rule_severities: Mapping[str, str] | None = None,
               suppressed: Callable[[], int] | None = None, statistics: bool = False,
               quiet: bool = False) -> Summary:
    """Findings grouped by record, the rules that fired, and a totals line.

    Records that are allowed with no violations and no errors are only counted, unless `verbose`.
    `statistics` adds the table of every rule that fired or was undetermined (`rule_severities` fills the
    severity of rules that were only undetermined); `quiet` prints the totals line alone.
    """
    console = Console(file=out, force_terminal=color, no_color=not color, width=None if color else 120,
                      highlight=False, emoji=False, markup=False)
    summary = Summary()
    allowed = 0
    for record, report in pairs:
        summary.add(report)
        if quiet:
            continue
        if report.decision == "allow" and not report.violations and not report.errors and not verbose:
            allowed += 1
            continue
        for line in _record_lines(record, report, rule_titles):
            console.print(line, soft_wrap=True)
    if not quiet:
        if allowed:
            noun = "record" if allowed == 1 else "records"
            console.print(Text(f"{allowed} {noun} allowed with no findings (not listed; verbose output lists them)",
                               style="dim"), soft_wrap=True)
        console.print()
        if statistics:
            _rule_table(console, summary, rule_titles, rule_severities or {})
        else:
            _fired_lines(console, summary, rule_titles)
    totals = Text()
    noun = "record" if summary.records == 1 else "records"
    totals.append(f"{summary.records} {noun}: ", style="bold")
    totals.append(f"{summary.decisions['block']} block", style=_DECISION_STYLE["block"])
    totals.append(", ")
    totals.append(f"{summary.decisions['review']} review", style=_DECISION_STYLE["review"])
    totals.append(", ")
    totals.append(f"{summary.decisions['allow']} allow", style=_DECISION_STYLE["allow"])
    totals.append(f"; {summary.invalid} invalid input")
    if suppressed is not None:
        totals.append(f"; {suppressed()} suppressed")
    console.print(totals, soft_wrap=True)
    return summary


def _fired_lines(console: Console, summary: Summary, titles: Mapping[str, str], most: int = 15) -> None:
    """The rules that fired, most often first, ids never cut (`--statistics` gives the full table)."""
    fired = sorted(summary.fired.items(), key=lambda kv: (-kv[1], kv[0]))
    for rule, n in fired[:most]:
        line = Text(f"{n:>6}× ")
        line.append(rule, style="bold")
        if titles.get(rule):
            line.append(f" ({titles[rule]})")
        console.print(line, soft_wrap=True)
    if len(fired) > most:
        console.print(Text(f"        … and {len(fired) - most} more rules fired (--statistics lists every rule)",
                           style="dim"), soft_wrap=True)


def _rule_table(console: Console, summary: Summary, titles: Mapping[str, str], severities: Mapping[str, str]) -> None:
    rules = sorted(set(summary.fired) | set(summary.undetermined))
    if not rules:
        return
    table = Table(box=box.SIMPLE_HEAD, title=None, show_edge=False)
    table.add_column("rule", no_wrap=True, min_width=max(len(r) for r in rules))  # ids are never cut
    table.add_column("title", overflow="fold")
    table.add_column("severity", no_wrap=True)
    table.add_column("fired", justify="right", no_wrap=True)
    table.add_column("undetermined", justify="right", no_wrap=True)
    for rule in rules:
        severity = summary.severities.get(rule) or severities.get(rule, "")
        table.add_row(rule, titles.get(rule, ""), Text(severity, style=_SEVERITY_STYLE.get(severity, "")),
                      str(summary.fired[rule]), str(summary.undetermined[rule]))
    console.print(table)


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
        titles = {r.id: r.title for r in rules if r.title}
        return write_text(pairs, out, color=color, rule_titles=titles, verbose=verbose,
                          rule_severities={r.id: r.severity for r in rules},
                          suppressed=(lambda: suppressions.count) if suppressions is not None else None,
                          statistics=statistics, quiet=quiet)
    if fmt == "sarif":
        return write_sarif(pairs, out, tool_version=tool_version, rules=rules, baseline=baseline,
                           suppressions=suppressions, helps=helps)
    if fmt in FORMATS:
        return FORMATS[fmt](pairs, out)
    raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
