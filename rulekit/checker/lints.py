"""Warnings about code that works but is likely wrong: unused lets (W104; W106 is `regexcost.backtracking`)."""

from __future__ import annotations

from collections.abc import Iterable

from rulekit.syntax import nodes as n

from .declarations import PolicyDraft, Report


def unused_lets(policies: Iterable[PolicyDraft], refs: Iterable[n.Ref], error: Report) -> None:
    """W104 for every `let` (policy-level or in a rule) that no expression of its policy or rule reads."""
    used = {(r.kind, r.target, r.owner) for r in refs if r.kind in ("let", "rlet")}
    for p in policies:
        for name, let in p.lets.items():
            if ("let", name, p.name) not in used:
                error("W104", f"`let {name}` is never used in policy `{p.name}`", let.span,
                      "remove it, or use it in a rule")
        for r in p.rules:
            for name, let in r.lets.items():
                if ("rlet", name, r.node.name) not in used:
                    error("W104", f"`let {name}` is never used in rule `{r.node.name}`", let.span,
                          "remove it, or use it in a condition, the message, an action or the evidence")
