"""Explains one subject: each rule's outcome and the value of every sub-expression of its conditions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from rulekit import values
from rulekit.checker import CheckedRule, type_of
from rulekit.compiler import Plan
from rulekit.intake import Intake
from rulekit.records.convert import show as show_input
from rulekit.runtime import regexes, support
from rulekit.runtime.report import Report, RuleDescriptor, report_json
from rulekit.stream import Stream, event_us
from rulekit.syntax import nodes as n
from rulekit.syntax.visitor import iter_child_nodes


@dataclass(frozen=True, slots=True)
class ValueNode:
    """One sub-expression: its source text, its value as shown (or why it has none), and its parts."""

    label: str  # `when`, `unless`, or "" below the top
    text: str
    value: str
    determined: bool
    children: tuple[ValueNode, ...]


@dataclass(frozen=True, slots=True)
class RuleExplanation:
    """Why one rule fired or not."""

    rule: RuleDescriptor
    status: str  # `fired`, `not fired`, `undetermined`, `not in effect`
    detail: str  # the message, the undetermined reason, or the effective range
    clauses: tuple[ValueNode, ...]
    lets: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Explanation:
    """The report of one subject and, for a valid subject, every rule of its kind explained."""

    report: Report
    rules: tuple[RuleExplanation, ...]
    invalid: str | None = None  # why the subject failed validation

    def render(self, where: str = "") -> str:
        """The explanation as the text `rulekit explain` prints."""
        r = self.report
        out = [f"{r.kind or '?'} {r.id if r.id is not None else '(no id)'}: decision {r.decision}"
               + (f"  ({where})" if where else "")]
        if self.invalid is not None:
            out.append(f"invalid input: {self.invalid}")
            return "\n".join(out) + "\n"
        if not self.rules:
            out.append(f"no rules apply to {r.kind}")
        fired = {v.rule: v for v in r.violations}
        for x in self.rules:
            title = f" ({x.rule.title})" if x.rule.title else ""
            status = {"fired": f"FIRED [{x.rule.severity}] {x.detail}", "undetermined": f"UNDETERMINED: {x.detail}",
                      "not in effect": f"not in effect ({x.detail})"}.get(x.status, x.status)
            out.append(f"\n{x.rule.id}{title}: {status}")
            for c in x.clauses:
                _render_node(c, 1, out)
            for name, shown in x.lets:
                out.append(f"    let {name} = {shown}")
            v = fired.get(x.rule.id)
            if v is not None:
                for a in v.actions:
                    args = ", ".join(f"{k}={show_input(val)}" for k, val in a.args.items())
                    out.append(f"    action {a.name}({args})")
                for e in v.evidence:
                    out.append(f"    evidence {e.field}[{e.start}:{e.end}] \"{e.text}\" ({e.word})")
        return "\n".join(out) + "\n"


    def to_dict(self) -> dict[str, Any]:
        """The explanation as JSON-ready data (`rulekit explain --format json`): the report as `lint` writes it,
        and per rule its status and every sub-expression's value as the language renders it."""
        return {"report": json.loads(report_json(self.report)), "invalid": self.invalid,
                "rules": [{"rule": x.rule.id, "title": x.rule.title, "severity": x.rule.severity, "status": x.status,
                           "detail": x.detail, "clauses": [_node_dict(c) for c in x.clauses],
                           "lets": [{"name": k, "value": v} for k, v in x.lets]} for x in self.rules]}


def _node_dict(node: ValueNode) -> dict[str, Any]:
    d: dict[str, Any] = {"text": node.text, "value": node.value, "determined": node.determined}
    if node.label:
        d = {"clause": node.label, **d}
    if node.children:
        d["parts"] = [_node_dict(c) for c in node.children]
    return d


def _render_node(node: ValueNode, depth: int, out: list[str]) -> None:
    shown = node.value if node.determined else f"undetermined ({node.value})"
    out.append("    " * depth + (f"{node.label} " if node.label else "") + f"{node.text}  →  {shown}")
    for c in node.children:
        _render_node(c, depth + 1, out)


def explain(plan: Plan, intake: Intake, record: Any, *, kind: str | None, now: datetime,
            stream: Stream | None = None, rules: Sequence[str] | None = None) -> Explanation:
    """See `Engine.explain`: evaluates in `stream` (default a fresh one), then each sub-expression in a copy of
    the plan against the stream's windows; `rules` (ids or policy ids) limits which rules are explained."""
    if stream is None:
        stream = Stream(plan, intake, now=now)
    report = stream.push(record, kind=kind, now=now)
    invalid = [e.message for e in report.errors if e.rule is None]
    if invalid or report.kind is None:
        return Explanation(report, (), "; ".join(invalid) or "invalid input")
    k = report.kind
    rec, _ = intake.validate(record, k)
    ev = getattr(rec, plan.kinds[k].time_field)
    ctx = _Context(plan, rec, stream.now, stream.windows, event_us(ev))
    fired = {v.rule: v for v in report.violations}
    errors = {e.rule: e.message for e in report.errors}
    out = []
    wanted = None if rules is None else tuple(rules)
    for rule in (r for r in plan.program.rules() if r.subject == k and _wanted(r.id, wanted)):
        start, end = plan.program.policy(rule.policy).effective
        if (start is not None and ev < start) or (end is not None and ev >= end):
            span = f"{start.isoformat() if start else '…'} .. {end.isoformat() if end else '…'}"
            out.append(RuleExplanation(rule.descriptor, "not in effect",
                                       f"event time {ev.isoformat()} outside {span}", (), ()))
            continue
        if rule.id in fired:
            status, detail = "fired", fired[rule.id].message
        elif rule.id in errors:
            status, detail = "undetermined", errors[rule.id]
        else:
            status, detail = "not fired", ""
        clauses = [("when", rule.when.expr)] if rule.when else []
        clauses += [("unless", u.expr) for u in rule.unless]
        nodes = tuple(ctx.tree(rule, e, label) for label, e in clauses)
        lets = []
        for name, let in rule.lets.items():
            ok, val = ctx.value(rule, let.expr)
            lets.append((name, _show(val, type_of(let.expr).kind) if ok else f"undetermined: {val}"))
        out.append(RuleExplanation(rule.descriptor, status, detail, nodes, tuple(lets)))
    return Explanation(report, tuple(out))


def _wanted(rule_id: str, wanted: tuple[str, ...] | None) -> bool:
    return wanted is None or any(rule_id == w or rule_id.startswith(w + ".") for w in wanted)


class _Context:
    """Evaluates sub-expressions of one subject's rules through `Plan.compile_expression` (never the live plan)."""

    def __init__(self, plan: Plan, rec: Any, now: datetime, windows: Any, tu: int):
        self.plan, self.rec, self.now, self.windows, self.tu = plan, rec, now, windows, tu

    def value(self, rule: CheckedRule, e: Any) -> tuple[bool, Any]:
        try:
            fn = self.plan.compile_expression(e, rule)
            return True, fn(self.rec, self.now, self.windows, self.tu)
        except support.Undetermined as err:
            return False, err.message
        except ArithmeticError as err:
            return False, f"arithmetic error: {err or type(err).__name__}"
        except TypeError:
            # a part evaluated on its own, outside the null guard that protects it in the rule (`x is not null and
            # total < x`): the rule itself never evaluates it with a null operand
            return False, "not evaluated: an operand is null"

    def tree(self, rule: CheckedRule, e: Any, label: str = "") -> ValueNode:
        ok, val = self.value(rule, e)
        shown = _show(val, type_of(e).kind) if ok else str(val)
        kids = tuple(self.tree(rule, c) for c in _shown_children(e))
        return ValueNode(label, self.text(e), shown, ok, kids)

    def text(self, e: Any) -> str:
        s = e.span
        src = self.plan.program.sources.get(s.file)
        if src is None or s.line == 0:
            return type(e).__name__
        lines = src.split("\n")
        if s.line == s.end_line:
            return lines[s.line - 1][s.col - 1 : s.end_col - 1]
        return lines[s.line - 1][s.col - 1 :].strip() + " …"


def _shown_children(e: Any) -> list[Any]:
    """The parts of an expression worth their own line: not literals, not a bare `order` before `.field`."""
    if isinstance(e, (n.Window, n.ListExpr, n.Template, n.Literal, n.Name, n.This)):
        return []
    if isinstance(e, n.Quantifier):
        kids = [e.collection]
    elif isinstance(e, n.Attr):
        kids = [] if isinstance(e.obj, (n.Name, n.This)) else [e.obj]
    else:
        kids = list(iter_child_nodes(e))
    return [k for k in kids if not isinstance(k, n.Literal)]


def _show(value: Any, kind: str) -> str:
    if value is None:
        return "null"
    if value is values.MISSING:
        return "missing"
    try:
        if isinstance(value, (list, tuple)):
            shown = ", ".join(_show(v, _item_kind(v)) for v in value[:10])
            return "[" + shown + (", …" if len(value) > 10 else "") + "]"
        if kind == "string":
            return f'"{value}"'
        if kind == "regex" or isinstance(value, regexes.TimedRegex):
            return f're"{value.pattern}"'
        kind_name = getattr(value, "_kind", None)
        if kind_name is not None:  # a record, or a member of a window: named by its id when it has one
            rid = getattr(value, "id", None)
            if isinstance(rid, str):
                return f"{kind_name} {rid}"
            return f"{'an' if kind_name[:1] in 'aeiou' else 'a'} {kind_name} record"
        if kind in ("record", "any"):
            return show_input(value)
        return support.render(value, kind)
    except Exception:  # noqa: BLE001 - explaining must never crash on an odd value
        return show_input(value)


def _item_kind(v: Any) -> str:
    if isinstance(v, str):
        return "string"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, Decimal)):
        return "decimal"
    if hasattr(v, "start") and hasattr(v, "word"):
        return "match"
    return "any"
