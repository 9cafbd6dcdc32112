"""Code generation of a checked program: each kind's evaluator source, its constants and windows, what it reads.

`compiler.plan` imports it only when a plan has no image in the user cache, or an explanation compiles an
expression: a run from the cache never loads the syntax trees' classes nor the expression compiler.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from rulekit.checker import CheckedRule, Program
from rulekit.checker.reads import counted, fields_read, reads_whole_subject
from rulekit.runtime import support
from rulekit.syntax import nodes as n
from rulekit.syntax.exprformat import format_expr
from rulekit.syntax.visitor import walk

from . import image
from .codegen import build_tables, kind_source, observe_source
from .constants import Constants
from .expression import ExpressionCompiler, Scope
from .members import member_fields
from .windowplan import WindowPlan


class WindowTable:
    """The windows of a plan, registered while compiling (frozen once the plan is built)."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.by_id: dict[str, WindowPlan] = {}
        self.frozen = False
        self.compiler: ExpressionCompiler | None = None
        self._members: dict[str, tuple[str, ...] | None] = {}  # per kind: what its members windows keep

    def get(self, e: n.Window, s: Scope) -> WindowPlan:
        kind = e.ref.target if e.ref is not None else s.kind
        ident = f"{kind}:{format_expr(e)}"
        projection = None
        if e.func == "members":
            projection = self._member_fields(kind)
            if projection is not None and e.where is not None and any(isinstance(x, n.This) for x in walk(e.where)):
                projection += tuple(f for f in _item_fields(e) if f not in projection)
            # what it keeps is part of its identity: a snapshot of other policies may keep other fields
            ident += " keeping " + ("records" if projection is None else ", ".join(projection))
        elif e.where is not None and any(isinstance(x, n.This) for x in walk(e.where)):
            projection = _item_fields(e)
        w = self.by_id.get(ident)
        if w is not None:
            return w
        if self.frozen or self.compiler is None:
            raise KeyError(f"window {ident!r} is not part of this plan")
        within = support.us(self.compiler.const_value(e.within, Scope("")))
        w = WindowPlan(ident, e.func, within, e.keys, kind, len(self.by_id), projection, e, s.policy)
        self.by_id[ident] = w
        return w


    def _member_fields(self, kind: str) -> tuple[str, ...] | None:
        if kind not in self._members:
            self._members[kind] = member_fields(self.program, kind)
        return self._members[kind]


def _calls_matches(r: CheckedRule, program: Program) -> bool:
    """Whether a rule (its lets and clauses, or a let of its policy) calls `matches()`."""
    parts = [*(x.expr for x in r.lets.values()), *(u.expr for u in r.unless)]
    parts += [x.expr for x in program.policy(r.policy).lets.values()]
    parts += [c.expr for c in (r.when, r.evidence) if c is not None]
    parts += [r.message.template] if r.message is not None else []
    parts += [arg.expr for a in r.actions for arg in a.args]
    return any(isinstance(x, n.Call) and x.func == "matches" for part in parts for x in walk(part))


def _item_fields(e: n.Window) -> tuple[str, ...]:
    """The fields of the windowed subject that a window's value and `where` read, in first-read order."""
    out: list[str] = []
    for part in (e.value, e.where):
        for x in walk(part):
            if isinstance(x, n.Attr) and isinstance(x.obj, n.Name) and x.obj.ref is not None \
                    and x.obj.ref.kind == "item" and x.name not in out:
                out.append(x.name)
    return tuple(out)


def generate(program: Program, consts: Constants) -> image.PlanImage:
    """Generate each kind's evaluator source, binding its constants in `consts`."""
    bound = set(consts.namespace)
    table = WindowTable(program)
    ec = ExpressionCompiler(program, consts, table)
    table.compiler = ec
    build_tables(ec, program, consts)
    by_kind: dict[str, list[CheckedRule]] = {}
    for r in program.rules():
        by_kind.setdefault(r.subject, []).append(r)
    sources: dict[str, str] = {}
    for kind in program.registry.subject_kinds():
        rt = program.registry.types[kind]
        assert rt.time_field is not None
        sources[kind], _ = kind_source(ec, program, kind, rt.time_field, by_kind.get(kind, []))
    table.frozen = True
    windows = tuple(table.by_id.values())
    for kind in sources:
        sources[kind] += "\n" + observe_source(ec, kind, [w for w in windows if w.kind == kind])
    uses_regex = {kind: any(_calls_matches(r, program) for r in by_kind.get(kind, [])) for kind in sources}
    times = {kind: program.registry.types[kind].time_field or "" for kind in sources}
    lean = {kind: lean_fields(program, kind, times[kind], by_kind.get(kind, []), windows) for kind in sources}
    # (not `__builtins__`, which evaluating constants puts in the namespace: every exec puts it back)
    made = {k: v for k, v in consts.namespace.items() if k not in bound and k != "__builtins__"}
    return image.PlanImage(MappingProxyType(sources), MappingProxyType(uses_regex), windows, made,
                           consts.count(), MappingProxyType(lean))


def compile_expression(program: Program, constants: Constants, windows: tuple[WindowPlan, ...], expr: Any,
                       rule: CheckedRule) -> Callable[..., Any]:
    """`Plan.compile_expression`: one typed expression of `rule` compiled into a copy of the plan's namespace
    (`constants`), reading the plan's `windows`."""
    consts = constants.derive("x")
    table = WindowTable(program)
    table.by_id.update({w.id: w for w in windows})
    table.frozen = True
    ec = ExpressionCompiler(program, consts, table)
    s = Scope(rule.subject, program.policy(rule.policy), rule, cache_lets=False)
    src = ec.expr(expr, s)
    return eval(f"lambda r, now, W, tu: {src}", consts.namespace)  # type: ignore[no-any-return]  # noqa: S307


def lean_fields(program: Program, kind: str, time_field: str, rules: list[CheckedRule],
                windows: tuple[WindowPlan, ...]) -> tuple[str, ...] | None:
    """The fields of a kind that its rules and the windows over it read (with `id` and the time field), for
    `validate="read"`; None when the kind is validated whole anyway: a members window keeps its records, or a rule
    or window uses a subject as a whole."""
    read = {"id", time_field}
    for r in rules:
        pol = program.policy(r.policy)
        if reads_whole_subject(pol, r):
            return None
        read |= fields_read(pol, r)
    for w in windows:
        if w.kind != kind:
            continue
        if w.members:
            return None
        read |= set(w.keys)
        nodes = list(walk(w.node))
        attrs = {id(x.obj) for x in nodes if isinstance(x, n.Attr)} | counted(nodes)
        for x in nodes:
            if isinstance(x, n.Attr) and isinstance(x.obj, n.Name | n.This) and x.obj.ref is not None \
                    and x.obj.ref.target == kind:
                read.add(x.name)
            elif isinstance(x, n.Name | n.This) and id(x) not in attrs and x.ref is not None \
                    and x.ref.target == kind and x.ref.kind in ("subject", "item"):
                return None
    fields = program.registry.types[kind].fields
    return tuple(f for f in fields if f in read)
