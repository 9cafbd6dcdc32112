"""`rulekit rule ID`: what a rule checks — title, severity, policy, file:line, message, the source it cites, its knobs."""

from __future__ import annotations

import argparse

from rulekit.commands.common import EXIT_OK, EXIT_USAGE, UsageError, configuration, load_engine, policy_paths
from rulekit.suggest import did_you_mean
from rulekit.syntax import nodes as n
from rulekit.syntax.formatter import format_expr
from rulekit.syntax.visitor import walk


def run(a: argparse.Namespace) -> int:
    """Print the rule; 2 when it is unknown or the policies do not load."""
    engine = load_engine(policy_paths(a.policies, configuration(a)))
    if engine is None:
        return EXIT_USAGE
    rules = {r.id: r for r in engine.program.rules()}
    r = rules.get(a.id)
    if r is None:
        hint = did_you_mean(a.id, rules)
        raise UsageError(f"unknown rule `{a.id}`" + (f"; {hint}" if hint else ""))
    d = r.descriptor
    pol = engine.program.policy(d.policy)
    version = next((m.value for m in pol.node.of(n.Version)), None)
    lines = [f"{d.id}" + (f" — {d.title}" if d.title else ""),
             f"  severity  {d.severity}",
             f"  policy    {d.policy}" + (f" ({pol.node.title.value})" if pol.node.title else "")
             + (f", version {version}" if version else ""),
             f"  on        {d.subject}",
             f"  defined   {d.file}:{d.line}",
             f"  message   {d.message}"]
    if r.when is not None:
        lines.append(f"  when      {format_expr(r.when.expr)}")
    lines += [f"  unless    {format_expr(u.expr)}" for u in r.unless]
    lines += [f"  action    {x.name}" for x in r.actions]
    cites = _comments_above(engine.program.sources.get(d.file, ""), d.line)
    if cites:
        lines.append("  source    " + "\n            ".join(cites))
    knobs = sorted({x.name for x in _names(r) if x.ref is not None and x.ref.kind == "let"
                    and x.ref.owner == d.policy})
    for k in knobs:
        lines.append(f"  knob      let {k} = {format_expr(pol.lets[k].expr)}")
    print("\n".join(lines))
    return EXIT_OK


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
