"""`rulekit explain`: for one record, each rule's outcome and the value of every sub-expression of its conditions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TextIO

from rulekit import values
from rulekit.compiler import Compiler, _Ctx
from rulekit.engine import Engine, _t_us
from rulekit.runtime import support
from rulekit.syntax import nodes as n


def _children(e: Any) -> list[Any]:
    if isinstance(e, n.Binary):
        return [e.left, e.right]
    if isinstance(e, n.Unary):
        return [e.operand]
    if isinstance(e, n.IsNull):
        return [e.operand]
    if isinstance(e, n.If):
        return [e.cond, e.then, e.else_]
    if isinstance(e, n.Call):
        return list(e.args)
    if isinstance(e, n.Attr):
        return [e.obj] if not isinstance(e.obj, (n.Name, n.This)) else []
    if isinstance(e, n.Index):
        return [e.obj, e.index]
    if isinstance(e, n.Quantifier):
        return [e.collection]
    return []


def _show(value: Any, kind: str) -> str:
    if value is None:
        return "null"
    if value is values.MISSING:
        return "missing"
    try:
        if isinstance(value, list):
            return "[" + ", ".join(_show(v, kind) for v in value[:10]) + (", …" if len(value) > 10 else "") + "]"
        if kind == "string":
            return f'"{value}"'
        if kind in ("record",) or hasattr(value, "__slots__") and not isinstance(value, (str, int)):
            return repr(value)
        return support.render(value, kind)
    except Exception:  # noqa: BLE001 - explaining must never crash on an odd value
        return repr(value)


class Explainer:
    """Evaluates sub-expressions of rule conditions with the engine's compiled environment."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.program = engine.program
        self.comp = Compiler(self.program)
        self.comp.g = engine.compiled.globals
        self.comp.windows = {w.id: w for w in engine.compiled.windows}

    def value(self, e: Any, rule: Any, rec: Any, now: datetime, W: Any, tu: int) -> tuple[str, Any]:
        ctx = _Ctx(self.comp, rule.subject)
        ctx.policy = next(p for p in self.program.policies if p.name == rule.policy)
        ctx.rule = rule
        ctx.cache_lets = False
        try:
            src = self.comp.expr(e, ctx)
            fn = eval(f"lambda r, now, W, tu: {src}", self.comp.g)  # noqa: S307 - generated
            return "ok", fn(rec, now, W, tu)
        except support.Undetermined as err:
            return "undetermined", err.message
        except ArithmeticError as err:
            return "undetermined", f"arithmetic error: {err or type(err).__name__}"

    def text(self, e: Any) -> str:
        s = e.span
        src = self.program.sources.get(s.file)
        if src is None or s.line == 0:
            return type(e).__name__
        lines = src.split("\n")
        if s.line == s.end_line:
            return lines[s.line - 1][s.col - 1 : s.end_col - 1]
        first = lines[s.line - 1][s.col - 1 :]
        return first.strip() + " …"


def explain_file(engine: Engine, path: str, kind: str | None, now: datetime, out: TextIO, index: int = 1) -> int:
    """Explain the `index`-th record of a file. Returns the exit code."""
    from rulekit.io.readers import read_records

    rec_in = None
    for i, r in enumerate(read_records(path), 1):
        if i == index:
            rec_in = r
            break
    if rec_in is None:
        out.write(f"{path}: no record number {index}\n")
        return 2
    if rec_in.data is None:
        out.write(f"{path}:{rec_in.line}: {rec_in.error}\n")
        return 0
    stream = engine.stream(now=now)
    report = stream.push(rec_in.data, kind=kind, from_csv=rec_in.from_csv)
    out.write(f"{report.kind} {report.id}: decision {report.decision}  ({path}:{rec_in.line})\n")
    invalid = [e.message for e in report.errors if e.rule is None]
    if invalid:
        out.write("invalid input: " + "; ".join(invalid) + "\n")
        return 0
    k = report.kind
    assert k is not None
    rec, _ = engine.program.registry.validate(k, rec_in.data, rec_in.from_csv)
    plan = engine.plan(k)
    ev = getattr(rec, plan.time_field)
    tu = _t_us(ev)
    fired = {v.rule: v for v in report.violations}
    errors = {e.rule: e.message for e in report.errors}
    ex = Explainer(engine)
    if not plan.rules:
        out.write(f"no rules apply to {k}\n")
    for rule in plan.rules:
        pol = next(p for p in engine.program.policies if p.name == rule.policy)
        start, end = pol.effective
        title = f" ({rule.title})" if rule.title else ""
        if (start is not None and ev < start) or (end is not None and ev >= end):
            out.write(f"\n{rule.id}{title}: not in effect (event time {ev.isoformat()} outside "
                      f"{start.isoformat() if start else '…'} .. {end.isoformat() if end else '…'})\n")
            continue
        if rule.id in fired:
            v = fired[rule.id]
            status = f"FIRED [{v.severity}] {v.message}"
        elif rule.id in errors:
            status = f"UNDETERMINED: {errors[rule.id]}"
        else:
            status = "not fired"
        out.write(f"\n{rule.id}{title}: {status}\n")
        clauses = [("when", rule.when.expr)] if rule.when else []
        clauses += [("unless", u.expr) for u in rule.unless]
        for label, expr in clauses:
            _tree(ex, rule, expr, label, rec, now, stream.windows, tu, out, 1)
        for name, let in rule.lets.items():
            st, val = ex.value(let.expr, rule, rec, now, stream.windows, tu)
            kind_ = engine.program.type_of(let.expr).kind
            shown = _show(val, kind_) if st == "ok" else f"undetermined: {val}"
            out.write(f"    let {name} = {shown}\n")
        if rule.id in fired:
            v = fired[rule.id]
            for a in v.actions:
                out.write(f"    action {a.name} {a.args}\n")
            for e in v.evidence:
                out.write(f"    evidence {e.field}[{e.start}:{e.end}] \"{e.text}\" ({e.word})\n")
    return 0


def _tree(ex: Explainer, rule: Any, e: Any, label: str, rec: Any, now: datetime, W: Any, tu: int, out: TextIO,
          depth: int) -> None:
    st, val = ex.value(e, rule, rec, now, W, tu)
    kind = ex.program.type_of(e).kind
    shown = _show(val, kind) if st == "ok" else f"undetermined ({val})"
    prefix = "    " * depth + (f"{label} " if label else "")
    out.write(f"{prefix}{ex.text(e)}  →  {shown}\n")
    for c in _children(e):
        if isinstance(c, n.Literal):
            continue
        _tree(ex, rule, c, "", rec, now, W, tu, out, depth + 1)
