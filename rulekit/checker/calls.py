"""Types calls: built-in functions (through their table), table lookups and window aggregates (E002, E004, E009)."""

from __future__ import annotations

from typing import Any

from rulekit import types as T
from rulekit.builtins import BUILTINS, SUMMABLE, WINDOW_FUNCS
from rulekit.records.registry import RecordRegistry
from rulekit.suggest import did_you_mean
from rulekit.syntax import nodes as n
from rulekit.syntax.visitor import NodeVisitor, walk

from .declarations import PolicyDraft, row_type_name
from .folding import is_literal_only
from .scope import Env


class _Signature:
    """A built-in call as its table entry's check sees it."""

    def __init__(self, typer: CallTyper, call: n.Call, args: list[T.Type], policy: PolicyDraft):
        self.typer, self.call, self.args, self.policy = typer, call, args, policy

    def scoped_wordlist(self, i: int) -> str | None:
        """The name of argument i when it names a wordlist that keeps entries to categories, else None."""
        arg = self.call.args[i] if i < len(self.call.args) else None
        if not isinstance(arg, n.Name):
            return None
        wl = self.policy.wordlists.get(arg.name)
        return arg.name if wl is not None and wl.scoped else None

    def arity(self, *counts: int) -> bool:
        if len(self.call.args) in counts:
            return True
        want = " or ".join(map(str, counts))
        self.error(f"`{self.call.func}` takes {want} argument{'s' if counts != (1,) else ''}, "
                   f"got {len(self.call.args)}")
        return False

    def want(self, i: int, kinds: tuple[str, ...], what: str) -> bool:
        t = self.args[i]
        if t.kind == "any" or t.kind in kinds:
            return True
        self.error(f"`{self.call.func}` needs {what} as argument {i + 1}, not `{t}`", self.call.args[i].span)
        return False

    def error(self, message: str, span: Any = None) -> None:
        self.typer.error("E009", message, span or self.call.span)


class CallTyper(NodeVisitor):
    """The call-typing half of the Typer (which provides `expr`, `needed`, `require`, `error` and the rest)."""

    registry: RecordRegistry
    refs: dict[int, n.Ref]

    def error(self, code: str, message: str, span: Any, help: str | None = None) -> None:
        raise NotImplementedError

    def expr(self, e: n.Expr, env: Env) -> T.Type:
        raise NotImplementedError

    def needed(self, e: n.Expr, env: Env) -> T.Type:
        raise NotImplementedError

    def require(self, t: T.Type, e: n.Expr, env: Env) -> T.Type:
        raise NotImplementedError

    def expect_bool(self, t: T.Type, e: n.Expr, where: str) -> None:
        raise NotImplementedError

    def _let_reads(self, p: PolicyDraft, kind: str) -> None:
        raise NotImplementedError

    def visit_Call(self, e: n.Call, env: Env) -> T.Type:
        f = e.func
        if f in env.policy.tables:
            return self.table_call(e, env.policy.tables[f], env)
        builtin = BUILTINS.get(f)
        if builtin is None:
            if f in WINDOW_FUNCS:
                self.error("E009", f"`{f}` is a window aggregate: write `{f}(order.buyer_id by ip within 1h)`",
                           e.span)
            else:
                self.error("E002", f"unknown function or table `{f}`", e.span,
                           did_you_mean(f, list(BUILTINS) + list(env.policy.tables))
                           or "functions: " + ", ".join(BUILTINS))
            for a in e.args:
                self.expr(a, env)
            return T.ANY
        args = [self.needed(a, env) for a in e.args]
        return builtin.check(_Signature(self, e, args, env.policy))

    def table_call(self, e: n.Call, t: n.Table, env: Env) -> T.Type:
        self.refs[id(e)] = n.Ref("table", t.name, env.policy.name)
        if len(e.args) != len(t.params):
            self.error("E009", f"table `{t.name}` takes {len(t.params)} key(s), got {len(e.args)}", e.span)
        for a, prm in zip(e.args, t.params, strict=False):
            at = self.expr(a, env)
            pt, _ = self.registry.resolve_type(prm.type)
            if not T.same_family(at.required(), pt.required()):
                self.error("E004", f"table `{t.name}` takes a `{pt}` for `{prm.name}`, not `{at}`", a.span)
            self.require(at, a, env)
        for a in e.args[len(t.params):]:
            self.expr(a, env)
        has_else = any(r.keys is None for r in t.rows)
        if t.single:
            ty, _ = self.registry.resolve_type(t.results[0].type)
        else:
            ty = T.record(row_type_name(env.policy.name, t.name))
        return ty if has_else else ty.opt()

    def visit_Window(self, e: n.Window, env: Env) -> T.Type:
        if e.func not in WINDOW_FUNCS:
            self.error("E009", f"`{e.func}(… by … within …)` is not a window aggregate", e.span,
                       "windows are `count`, `sum`, `distinct` and `members`")
            return T.ANY
        roots = {x.name for x in walk(e.value) if isinstance(x, n.Name)}
        subj_roots = sorted(r for r in roots if r in self.registry.types and self.registry.types[r].is_subject)
        kind = env.subject or (subj_roots[0] if subj_roots else None)
        if kind is None:
            self.error("E009", "cannot tell which subject type this window aggregates", e.span,
                       "name the record: `count(order by ip within 10m)`")
            return T.ANY
        for r in subj_roots:
            if r != kind:
                self.error("E009", f"a window in a rule on `{kind}` aggregates `{kind}` subjects, not `{r}`", e.span)
                return T.ANY
        if env.subject is None:
            self._let_reads(env.policy, kind)
        inner = Env(env.policy, env.subject or kind, env.rule, env.vars, frozenset(), kind)
        self.refs[id(e)] = n.Ref("window", kind)
        out = self._window_value(e, kind, inner)
        rt = self.registry.types[kind]
        for k in e.keys:
            f = rt.fields.get(k)
            if f is None:
                self.error("E003", f"`{kind}` has no field `{k}` to group the window by", e.span,
                           did_you_mean(k, rt.fields) or None)
            elif f.type.kind in ("list", "record"):
                self.error("E009", f"cannot group a window by `{k}`, a `{f.type}`", e.span)
        wt = self.expr(e.within, Env(env.policy, None))
        if wt.kind != "any" and (wt.kind != "duration" or not is_literal_only(e.within)):
            self.error("E009", "`within` needs a constant duration, e.g. `within 10m`", e.within.span)
        elif isinstance(e.within, n.Literal) and e.within.value.total_seconds() <= 0:
            self.error("E009", "`within` must be longer than 0s", e.within.span)
        if e.where is not None:
            self.expect_bool(self.needed(e.where, inner), e.where, "`where`")
        return out

    def _window_value(self, e: n.Window, kind: str, inner: Env) -> T.Type:
        if e.func in ("count", "members"):
            what = "counts" if e.func == "count" else "lists"
            if not (isinstance(e.value, n.Name) and e.value.name == kind):
                self.error("E009", f"`{e.func}` {what} subjects: write `{e.func}({kind} by …)`", e.value.span)
            else:
                self.expr(e.value, inner)
            return T.INT if e.func == "count" else T.list_of(T.record(kind))
        vt = self.needed(e.value, inner)
        if e.func == "sum":
            if vt.kind not in SUMMABLE + ("any",):
                self.error("E009", f"`sum` needs money, a number, a weight or a duration, not `{vt}`", e.value.span)
                return T.ANY
            return vt
        if vt.kind in ("list", "record"):
            self.error("E009", f"`distinct` counts scalar values, not `{vt}`", e.value.span)
        return T.INT
