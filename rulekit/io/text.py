"""Writes the reports of `rulekit lint` as text for people: one block per finding, the totals, a table of rules."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from json.encoder import encode_basestring as _json_string  # type: ignore[attr-defined]
from typing import Any, TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from rulekit.io.pairs import Pair, place
from rulekit.io.summary import Summary
from rulekit.runtime.report import Report, dumps_exact

_DECISION_STYLE = {"block": "bold red", "review": "bold yellow", "allow": "bold green"}
_SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}


def _args_text(args: Mapping[str, Any]) -> str:
    # A string argument (the usual one: an id) is what `json.dumps(v, ensure_ascii=False)` makes of it, in C
    return ", ".join([f"{k}={_json_string(v) if v.__class__ is str else dumps_exact(v)}" for k, v in args.items()])


#: What rich strips from text it is given (rich.control.STRIP_CONTROL_CODES): the plain output strips the same
#: (a regex scan: `str.translate` looks every character of a Chinese message up in a dict).
_STRIP = re.compile("[\x07\x08\x0b\x0c\x0d]")

Line = list[tuple[str, str]]  # (text, style) pieces


def _record_lines(at: str, report: Report, rule_titles: Mapping[str, str]) -> list[Line]:
    lines: list[Line] = [[(report.kind or "?", "bold"), (" ", ""),
                          (report.id if report.id is not None else "(no id)", "bold"), ("  ", ""),
                          (report.decision, _DECISION_STYLE[report.decision]), ("  ", ""), (at, "dim")]]
    for v in report.violations:
        title = rule_titles.get(v.rule)
        lines.append([("  ", ""), (f"{v.severity:<7}", _SEVERITY_STYLE[v.severity]), (" ", ""), (v.rule, "bold"),
                      (f" ({title})" if title else "", ""), ("  ", ""), (v.message, "")])
        for a in v.actions:
            lines.append([("          → ", ""), (a.name, "cyan"), (f"({_args_text(a.args)})", "")])
        for e in v.evidence:
            ev = [("          ", ""), (f"{e.field or ''}[{e.start}:{e.end}]", "dim"),
                  (f" {json.dumps(e.text, ensure_ascii=False)}", "")]
            if e.replacement is not None:
                ev.append((f" → {json.dumps(e.replacement, ensure_ascii=False)}", "green"))
            elif e.deletes:
                ev.append((" → delete", "green"))
            if e.category:
                ev.append((f"  ({e.category})", "dim"))
            lines.append(ev)
    for err in report.errors:
        if err.rule is None:
            lines.append([("  ", ""), ("invalid input", "red"), (f"  {err.message}", "")])
        else:
            lines.append([("  ", ""), ("undetermined", "yellow"), (" ", ""), (err.rule, "bold"),
                          (f"  {err.message}", "")])
    return lines


def _plain(lines: list[Line]) -> str:
    """The lines as rich would print them without colour, and never folded."""
    return _STRIP.sub("", "\n".join(["".join([t for t, _ in line]) for line in lines]) + "\n")


class TextWriter:
    """Text for people, record by record: `record(report, source, line)` writes the block of a record with findings
    (an allowed one is only counted, unless `verbose`), `finish(summary)` the rules that fired and the totals."""

    def __init__(self, out: TextIO, *, color: bool, rule_titles: Mapping[str, str], verbose: bool = False,
                 rule_severities: Mapping[str, str] | None = None, suppressed: Callable[[], int] | None = None,
                 statistics: bool = False, quiet: bool = False):
        self.out, self.color, self.titles, self.verbose, self.quiet = out, color, rule_titles, verbose, quiet
        self.severities, self.suppressed, self.statistics = rule_severities or {}, suppressed, statistics
        self.console = Console(file=out, force_terminal=color, no_color=not color, width=None if color else 120,
                               highlight=False, emoji=False, markup=False)
        self.allowed = 0

    def record(self, report: Report, source: str, line: int) -> None:
        """One record's report (`source:line` is where it was read)."""
        if self.quiet:
            return
        if report.decision == "allow" and not report.violations and not report.errors and not self.verbose:
            self.allowed += 1
            return
        lines = _record_lines(place(source, line), report, self.titles)
        plain = None if self.color else _plain(lines)
        if plain is None or "\t" in plain:  # one print per record: rich's cost is per call (it expands tabs)
            self.console.print(Text("\n").join(Text.assemble(*line) for line in lines), soft_wrap=True)
        else:  # without colour a line is its plain text (soft wrap: never folded), written as it is
            self.out.write(plain)

    def finish(self, summary: Summary) -> None:
        """The rules that fired (or the table of `statistics`) and the totals line."""
        console = self.console
        if not self.quiet:
            if self.allowed:
                noun = "record" if self.allowed == 1 else "records"
                console.print(Text(f"{self.allowed} {noun} allowed with no findings (not listed; verbose output "
                                   "lists them)", style="dim"), soft_wrap=True)
            console.print()
            if self.statistics:
                _rule_table(console, summary, self.titles, self.severities)
            else:
                _fired_lines(console, summary, self.titles)
        totals = Text()
        noun = "record" if summary.records == 1 else "records"
        totals.append(f"{summary.records} {noun}: ", style="bold")
        totals.append(f"{summary.decisions['block']} block", style=_DECISION_STYLE["block"])
        totals.append(", ")
        totals.append(f"{summary.decisions['review']} review", style=_DECISION_STYLE["review"])
        totals.append(", ")
        totals.append(f"{summary.decisions['allow']} allow", style=_DECISION_STYLE["allow"])
        totals.append(f"; {summary.invalid} invalid input")
        if self.suppressed is not None:
            totals.append(f"; {self.suppressed()} suppressed")
        console.print(totals, soft_wrap=True)


def write_text(pairs: Iterable[Pair], out: TextIO, **options: Any) -> Summary:
    """Findings grouped by record, the rules that fired, and a totals line (`TextWriter`'s options).

    Records that are allowed with no violations and no errors are only counted, unless `verbose`.
    `statistics` adds the table of every rule that fired or was undetermined (`rule_severities` fills the
    severity of rules that were only undetermined); `quiet` prints the totals line alone.
    """
    writer = TextWriter(out, **options)
    summary = Summary()
    for record, report in pairs:
        summary.add(report)
        writer.record(report, record.source, record.line)
    writer.finish(summary)
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
