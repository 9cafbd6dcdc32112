"""Generates the Python source of one subject kind: `evaluate` (every rule) and `observe` (feeds its windows)."""

from __future__ import annotations

from typing import Any

from rulekit import values
from rulekit.checker import CheckedRule, Program
from rulekit.runtime.rows import row_class

from .constants import Constants, gen_name, table_else_name, table_name
from .expression import ExpressionCompiler, Scope


def kind_source(ec: ExpressionCompiler, program: Program, kind: str, time_field: str,
                rules: list[CheckedRule]) -> tuple[str, Scope]:
    """`evaluate(r, now, W, tu) -> (violations, errors)` for the rules of one kind."""
    scope = Scope(kind, probes={})
    blocks = [rule_block(ec, program, r, i, scope) for i, r in enumerate(rules)]
    # violations and errors are appended to shared empty tuples: a record that passes allocates neither
    lines = ["def evaluate(r, now, W, tu):", "    V = E = ()", f"    ev = r.{time_field}"]
    lines += [f"    {local} = _U" for local in sorted(set(scope.let_locals.values())) if local.startswith("_pl")]
    lines += [f"    {local} = _U" for local in (scope.probes or {}).values()]
    return "\n".join(lines + blocks + ["    return V, E", ""]), scope


def rule_block(ec: ExpressionCompiler, program: Program, r: CheckedRule, idx: int, kind_scope: Scope) -> str:
    """One rule: its `effective` guard, its lets reset, condition, message, actions and evidence."""
    pol = program.policy(r.policy)
    s = Scope(kind_scope.kind, pol, r, idx, let_locals=kind_scope.let_locals, probes=kind_scope.probes)
    out: list[str] = [f"    # {r.id}"]
    ind = "    "
    start, end = pol.effective
    conds = []
    if start is not None:
        conds.append(f"ev >= {ec.consts.name(start, 'dt')}")
    if end is not None:
        conds.append(f"ev < {ec.consts.name(end, 'dt')}")
    if conds:
        out.append(f"{ind}if {' and '.join(conds)}:")
        ind += "    "
    for name in r.lets:
        local = gen_name(f"rl{idx}_", name)
        out.append(f"{ind}{local} = _U")
        s.let_locals[(r.policy, r.node.name, name)] = local
    assert r.when is not None and r.message is not None
    cond = ec.expr(r.when.expr, s)
    for u in r.unless:
        cond = f"({cond}) and not ({ec.expr(u.expr, s)})"
    msg = ec.visit_Template(r.message.template, s)
    acts = []
    for a in r.actions:
        args = ", ".join(f"{arg.name!r}: {ec.json_arg(arg.expr, s)}" for arg in a.args)
        acts.append(f"({a.name!r}, {{{args}}})")
    ev = ec.expr(r.evidence.expr, s) if r.evidence is not None else "()"
    out += [f"{ind}try:",
            f"{ind}    if {cond}:",
            f"{ind}        V += (({idx}, {msg}, [{', '.join(acts)}], {ev}),)",
            f"{ind}except _Undet as _e:",
            f"{ind}    E += (({idx}, _e.message),)",
            f"{ind}except ArithmeticError as _e:",
            f"{ind}    E += (({idx}, 'arithmetic error: ' + (str(_e) or type(_e).__name__)),)"]
    return "\n".join(out)


def observe_source(ec: ExpressionCompiler, kind: str, windows: list[Any]) -> str:
    """`observe(r, W, tu)`: add the subject to every window of its kind (a null key joins no window)."""
    lines = ["def observe(r, W, tu):"]
    if not windows:
        return "\n".join(lines + ["    return", ""])
    fields = ec.program.registry.types[kind].fields
    for w in windows:
        # each optional key field is read once and checked inline; the key is the tuple of their values
        parts = []
        checks = []
        for k in w.keys:
            f = fields.get(k)
            if f is None or f.type.optional:
                v = ec.tmp()
                parts.append(v)
                checks.append(f"({v} := r.{k}) is not None and {v} is not _M")
            else:
                parts.append(f"r.{k}")
        kt = "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
        ind = "    "
        if checks:
            lines.append(f"    if {' and '.join(checks)}:")
            ind = "        "
        s = Scope(kind, w.policy, item_var="r", cache_lets=False)
        e = w.node
        values_ = ""
        if w.projection is not None:
            values_ = "(" + ", ".join(f"r.{f}" for f in w.projection) + ("," if len(w.projection) == 1 else "") + ")"
        if w.queried_projection:
            lines.append(f"{ind}W[{w.index}].add({kt}, tu, {values_})")
            continue
        value = {"count": "", "members": values_ or "r"}.get(w.func)
        if value is None:
            value = ec.expr(e.value, s)
        add = f"W[{w.index}].add({kt}, tu{', ' + value if value else ''})"
        if (w.members and w.filters_at_query) or (e.where is None and w.func in ("count", "members")):
            lines.append(f"{ind}{add}")
            continue
        # a value or `where` that cannot be computed (null, arithmetic) keeps the subject out of the window
        lines.append(f"{ind}try:")
        if e.where is not None:
            lines.append(f"{ind}    if {ec.expr(e.where, s)}:")
            lines.append(f"{ind}        {add}")
        else:
            lines.append(f"{ind}    {add}")
        lines.append(f"{ind}except (_Undet, ArithmeticError):")
        lines.append(f"{ind}    pass")
    return "\n".join(lines) + "\n"


def build_tables(ec: ExpressionCompiler, program: Program, consts: Constants) -> None:
    """Each table as a dict from key to row (first matching row wins) and its `else` row (or missing)."""
    for pol in program.policies:
        s = Scope("", pol)
        for t in pol.tables.values():
            names = [r.name for r in t.results]
            row_cls = None if t.single else row_class(f"{pol.name}.{t.name}", names)
            lookup: dict[Any, Any] = {}
            default: Any = values.MISSING
            for r in t.rows:
                vals = [ec.const_value(v, s) for v in r.values]
                row = vals[0] if row_cls is None else row_cls(*vals)
                if r.keys is None:
                    default = row
                    continue
                for key in r.keys:
                    kv = tuple(ec.const_value(k, s) for k in key)
                    lookup.setdefault(kv[0] if len(t.params) == 1 else kv, row)
            consts.bind(table_name(pol.name, t.name), lookup)
            consts.bind(table_else_name(pol.name, t.name), default)

