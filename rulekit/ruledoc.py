"""What a rule checks, from its checked program: the page of `rulekit rule ID` and the help of SARIF rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rulekit.checker.program import Program
from rulekit.resources import standard_policies
from rulekit.syntax import nodes as n
from rulekit.syntax.exprformat import format_expr
from rulekit.syntax.visitor import walk


@dataclass(frozen=True, slots=True)
class RuleHelp:
    """A rule's facts as (label, value) rows, and the address of its documentation when it has one."""

    id: str
    title: str | None
    rows: tuple[tuple[str, str], ...]
    uri: str | None  # docs/policies.md#rule-ID for a bundled rule, else None

    def text(self) -> str:
        """The rows as `rulekit rule` prints them: a heading, then one aligned row per fact."""
        head = self.id + (f" — {self.title}" if self.title else "")
        body = [f"  {label:<9} " + value.replace("\n", "\n" + " " * 12) for label, value in self.rows]
        return "\n".join([head, *body])

    def markdown(self) -> str:
        """The rows as Markdown, for SARIF `help.markdown`."""
        head = f"**{self.id}**" + (f" — {self.title}" if self.title else "")
        body = [f"- **{label}**: " + value.replace("\n", "; ") for label, value in self.rows]
        link = [f"\n[Documentation]({self.uri})"] if self.uri else []
        return "\n".join([head, "", *body, *link])


def rule_help(program: Program, rule_id: str, where: Callable[[str], str] = str) -> RuleHelp | None:
    """The help of one rule of `program` (`where` shows its file); None when it has no such rule."""
    r = next((x for x in program.rules() if x.descriptor.id == rule_id), None)
    if r is None:
        return None
    d = r.descriptor
    pol = program.policy(d.policy)
    version = next((m.value for m in pol.node.of(n.Version)), None)
    rows: list[tuple[str, str]] = [
        ("severity", d.severity),
        ("policy", d.policy + (f" ({pol.node.title.value})" if pol.node.title else "")
         + (f", version {version}" if version else "")),
        ("on", d.subject),
        ("defined", f"{where(d.file)}:{d.line}"),
        ("message", d.message),
    ]
    if r.when is not None:
        rows.append(("when", format_expr(r.when.expr)))
    rows += [("unless", format_expr(u.expr)) for u in r.unless]
    rows += [("action", x.name) for x in r.actions]
    cites = _comments_above(program.sources.get(d.file, ""), d.line)
    if cites:
        rows.append(("source", "\n".join(cites)))
    knobs = sorted({x.name for x in _names(r) if x.ref is not None and x.ref.kind == "let"
                    and x.ref.owner == d.policy})
    rows += [("knob", f"let {k} = {format_expr(pol.lets[k].expr)}") for k in knobs]
    return RuleHelp(d.id, d.title, tuple(rows), _doc_uri(d.id) if _is_bundled(d.file) else None)


def all_help(program: Program, where: Callable[[str], str] = str) -> dict[str, RuleHelp]:
    """The help of every rule of `program`, by rule id."""
    out = {}
    for r in program.rules():
        h = rule_help(program, r.descriptor.id, where)
        if h is not None:
            out[h.id] = h
    return out


def policies_doc_uri() -> str | None:
    """docs/policies.md of this version, from the `Documentation` project URL; None when not installed."""
    from importlib import metadata  # 20 ms: only for the outputs that link rules to their documentation

    try:
        urls = metadata.metadata("rulekit").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "documentation":
            return url.strip().rstrip("/") + "/policies.md"
    return None


def _doc_uri(rule_id: str) -> str | None:
    base = policies_doc_uri()
    return f"{base}#rule-{rule_id}" if base else None


@cache
def _bundled_root() -> Path:
    return standard_policies().resolve()


def _is_bundled(file: str) -> bool:
    try:
        return Path(file).resolve().is_relative_to(_bundled_root())
    except (OSError, FileNotFoundError):
        return False


def _names(r: object) -> list[n.Name]:
    clauses = [getattr(r, "when", None), *getattr(r, "unless", ()), *getattr(r, "lets", {}).values()]
    return [x for c in clauses if c is not None for x in walk(c) if isinstance(x, n.Name)]


def _comments_above(text: str, line: int) -> list[str]:
    """The `#` comment lines right above a rule: where the policy files cite their statute or source."""
    lines = text.split("\n")
    out: list[str] = []
    i = line - 2
    while i >= 0 and lines[i].strip().startswith("#"):
        out.insert(0, lines[i].strip().lstrip("#").strip())
        i -= 1
    return out
