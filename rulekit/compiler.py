"""Compiles a checked program into Python source, one evaluation function per subject kind."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import regex

from rulekit import types as T
from rulekit import values
from rulekit.checker import PolicyInfo, Program, RuleInfo, _walk, path_of
from rulekit.runtime import support
from rulekit.syntax import nodes as n

_UNSET = object()


@dataclass
class WindowPlan:
    """One distinct window aggregate of a kind: its store spec and how to feed it."""

    id: str
    func: str
    within_us: int
    keys: tuple[str, ...]
    node: n.Window
    query_filter: bool  # `where` compares with `this`: filter at query time
    index: int  # position in CompiledProgram.windows: generated code reads `W[index]`
    kind: str  # the subject type it aggregates
    policy: PolicyInfo | None  # where it was written (its value and `where` may read policy lets)


@dataclass
class KindPlan:
    """The compiled evaluator of one subject kind."""

    kind: str
    time_field: str
    rules: list[RuleInfo]
    source: str
    evaluate: Any = None  # (record, now, W, t_us) -> (violations, errors)
    observe: Any = None  # (record, W, t_us) -> None: feeds the window store
    windows: list[WindowPlan] = field(default_factory=list)


@dataclass
class CompiledProgram:
    """Everything evaluation needs, built once at load."""

    program: Program
    kinds: dict[str, KindPlan]
    globals: dict[str, Any]
    windows: list[WindowPlan]


class _Ctx:
    """Code generation state for one kind function."""

    def __init__(self, comp: Compiler, kind: str):
        self.comp = comp
        self.kind = kind
        self.tmp = itertools.count()
        self.let_locals: dict[tuple[str, str, str], str] = {}  # (policy, rule or "", name) -> local
        self.policy: PolicyInfo | None = None
        self.rule: RuleInfo | None = None
        self.item_var: str | None = None  # inside a window-value/where: the windowed subject
        self.cache_lets = True

    def t(self) -> str:
        return f"_t{next(self.tmp)}"


class Compiler:
    """Turns a checked Program into Python source per subject kind and compiles it."""

    def __init__(self, program: Program):
        self.p = program
        self.g: dict[str, Any] = {
            "_M": values.MISSING, "_U": _UNSET, "_S": support, "_D": Decimal, "_Undet": support.Undetermined,
            "_undet": support.undet, "_td": timedelta,
        }
        self._const_ids = itertools.count()
        self._const_cache: dict[Any, str] = {}
        self.windows: dict[str, WindowPlan] = {}

    # ---- constants in the generated module --------------------------------------------------
    def const(self, value: Any, hint: str = "c") -> str:
        key = None
        try:
            key = (type(value).__name__, value)
            hash(key)
        except TypeError:
            key = None
        if key is not None and key in self._const_cache:
            return self._const_cache[key]
        name = f"_{hint}{next(self._const_ids)}"
        self.g[name] = value
        if key is not None:
            self._const_cache[key] = name
        return name

    # ---- program ------------------------------------------------------------------------------
    def compile(self) -> CompiledProgram:
        for pol in self.p.policies:
            for wl in pol.wordlists.values():
                from rulekit.runtime.matcher import WordlistMatcher

                self.g[_wl_name(pol.name, wl.name)] = WordlistMatcher(wl.entries, wl.allow, wl.mode)
            for t in pol.tables.values():
                self.table(pol, t)
        kinds: dict[str, KindPlan] = {}
        by_kind: dict[str, list[RuleInfo]] = {}
        for r in self.p.rules():
            by_kind.setdefault(r.subject, []).append(r)
        for kind in self.p.registry.subject_kinds():
            rules = by_kind.get(kind, [])
            rt = self.p.registry.types[kind]
            assert rt.time_field is not None
            plan = KindPlan(kind, rt.time_field, rules, "")
            plan.source = self.kind_source(plan)
            code = compile(plan.source, f"<rulekit:{kind}>", "exec")
            ns: dict[str, Any] = {}
            exec(code, self.g, ns)  # noqa: S102 - our own generated code
            plan.evaluate = ns["evaluate"]
            plan.observe = ns["observe"]
            kinds[kind] = plan
        return CompiledProgram(self.p, kinds, self.g, list(self.windows.values()))

    # ---- tables ------------------------------------------------------------------------------------
    def table(self, pol: PolicyInfo, t: n.Table) -> None:
        ctx = _Ctx(self, "")
        ctx.policy = pol
        if t.single:
            def row(vals: tuple[Any, ...]) -> Any:
                return vals[0]
        else:
            names = [r.name for r in t.results]
            cls = type(f"Row_{pol.name}_{t.name}", (), {"__slots__": tuple(names),
                                                      "__repr__": lambda s: f"row({', '.join(repr(getattr(s, k)) for k in names)})"})

            def row(vals: tuple[Any, ...]) -> Any:
                obj = cls()
                for k, v in zip(names, vals, strict=False):
                    setattr(obj, k, v)
                return obj
        lookup: dict[Any, Any] = {}
        default: Any = values.MISSING
        for r in t.rows:
            vals = tuple(self.eval_const(v, ctx) for v in r.values)
            obj = row(vals)
            if r.keys is None:
                default = obj
                continue
            for key in r.keys:
                kv = tuple(self.eval_const(k, ctx) for k in key)
                k = kv[0] if len(t.params) == 1 else kv
                lookup.setdefault(k, obj)
        self.g[_tbl_name(pol.name, t.name)] = lookup
        self.g[_tbl_name(pol.name, t.name) + "_else"] = default

    def eval_const(self, e: n.Expr, ctx: _Ctx) -> Any:
        src = self.expr(e, ctx)
        return eval(src, self.g, {"r": None, "now": None, "W": None, "tu": 0})  # noqa: S307 - generated

    # ---- one kind ------------------------------------------------------------------------------------
    def kind_source(self, plan: KindPlan) -> str:
        ctx = _Ctx(self, plan.kind)
        rule_blocks: list[str] = []
        for idx, r in enumerate(plan.rules):
            rule_blocks.append(self.rule_block(r, idx, ctx, plan))
        lines = ["def evaluate(r, now, W, tu):", "    V = []", "    E = []",
                 f"    ev = r.{plan.time_field}"]
        for local in sorted(set(ctx.let_locals.values())):
            if local.startswith("_pl"):
                lines.append(f"    {local} = _U")
        body = lines + rule_blocks + ["    return V, E", ""]
        obs = self.observe_source(plan, ctx)
        return "\n".join(body) + "\n" + obs

    def rule_block(self, r: RuleInfo, idx: int, ctx: _Ctx, plan: KindPlan) -> str:
        pol = next(p for p in self.p.policies if p.name == r.policy)
        ctx.policy = pol
        ctx.rule = r
        out: list[str] = [f"    # {r.id}"]
        ind = "    "
        start, end = pol.effective
        conds = []
        if start is not None:
            conds.append(f"ev >= {self.const(start, 'dt')}")
        if end is not None:
            conds.append(f"ev < {self.const(end, 'dt')}")
        if conds:
            out.append(f"{ind}if {' and '.join(conds)}:")
            ind += "    "
        for name in r.lets:
            out.append(f"{ind}{_rlet_local(idx, name)} = _U")
            ctx.let_locals[(r.policy, r.node.name, name)] = _rlet_local(idx, name)
        out.append(f"{ind}try:")
        assert r.when is not None and r.message is not None
        cond = self.expr(r.when.expr, ctx)
        for u in r.unless:
            cond = f"({cond}) and not ({self.expr(u.expr, ctx)})"
        out.append(f"{ind}    if {cond}:")
        msg = self.template(r.message.template, ctx)
        acts = []
        for a in r.actions:
            args = ", ".join(f"{_q(arg.name)}: {self.json_arg(arg.expr, ctx)}" for arg in a.args)
            acts.append(f"({_q(a.name)}, {{{args}}})")
        ev = "()"
        if r.evidence is not None:
            ev = self.expr(r.evidence.expr, ctx)
        out.append(f"{ind}        V.append(({idx}, {msg}, [{', '.join(acts)}], {ev}))")
        out.append(f"{ind}except _Undet as _e:")
        out.append(f"{ind}    E.append(({idx}, _e.message))")
        out.append(f"{ind}except ArithmeticError as _e:")
        out.append(f"{ind}    E.append(({idx}, 'arithmetic error: ' + (str(_e) or type(_e).__name__)))")
        ctx.rule = None
        return "\n".join(out)

    def observe_source(self, plan: KindPlan, ctx: _Ctx) -> str:
        """`observe(r, W, tu)`: add the subject to the state of every window of its kind."""
        lines = ["def observe(r, W, tu):"]
        specs = [w for w in self.windows.values() if w.kind == plan.kind]
        plan.windows = specs
        if not specs:
            lines.append("    return")
            return "\n".join(lines) + "\n"
        for w in specs:
            keys = ", ".join(f"r.{k}" for k in w.keys) + ("," if len(w.keys) == 1 else "")
            kt = ctx.t()
            lines.append(f"    {kt} = ({keys})")
            lines.append(f"    if not any(_k is None or _k is _M for _k in {kt}):")
            wctx = _Ctx(self, plan.kind)
            wctx.item_var = "r"
            wctx.cache_lets = False
            wctx.policy = w.policy
            if w.func == "count":
                value = "None"
            else:
                value = self.expr(w.node.value, wctx)
            if w.query_filter:
                value = "r"
            add = f"W[{w.index}].add({kt}, tu, {value})"
            if w.node.where is not None and not w.query_filter:
                cond = self.expr(w.node.where, wctx)
                lines.append("        try:")
                lines.append(f"            if {cond}:")
                lines.append(f"                {add}")
                lines.append("        except (_Undet, ArithmeticError):")
                lines.append("            pass")
            elif w.func != "count" and not w.query_filter:
                lines.append("        try:")
                lines.append(f"            {add}")
                lines.append("        except (_Undet, ArithmeticError):")
                lines.append("            pass")
            else:
                lines.append(f"        {add}")
        return "\n".join(lines) + "\n"

    # ---- expressions ----------------------------------------------------------------------------------
    def ty(self, e: Any) -> T.Type:
        return self.p.type_of(e)

    def nn(self, src: str, e: Any, ctx: _Ctx) -> str:
        """Wrap `src` in a null check when its static type is optional."""
        t = self.ty(e)
        if not t.optional or t.kind in ("any", "null"):
            return src
        v = ctx.t()
        path = self.describe(e)
        return f"({v} if ({v} := {src}) is not None and {v} is not _M else _undet({v}, {_q(path)}))"

    def describe(self, e: Any) -> str:
        """How an undetermined message names a value: its path (`order.paid_at`), else its source text."""
        if isinstance(e, _KeyPath):
            return f"{e.kind}.{e.key}"
        p = path_of(e)
        if p is not None:
            return p
        span = getattr(e, "span", None)
        src = self.p.sources.get(span.file) if span is not None else None
        if src is not None and span.line and span.line == span.end_line:
            text = src.split("\n")[span.line - 1][span.col - 1 : span.end_col - 1]
            if text:
                if isinstance(e, n.Call) and self.p.refs.get(id(e)) is not None:
                    return f"the row of table `{e.func}` for `{text}`"
                return f"`{text}`"
        return "a value"

    def val(self, e: Any, ctx: _Ctx) -> str:
        """An operand whose value is needed (null-checked)."""
        return self.nn(self.expr(e, ctx), e, ctx)

    def expr(self, e: Any, ctx: _Ctx, safe: bool = False) -> str:  # noqa: C901 - one dispatch
        if isinstance(e, n.Literal):
            return self.literal(e)
        if isinstance(e, n.Template):
            return self.template(e, ctx)
        if isinstance(e, n.This):
            return "r"
        if isinstance(e, n.Name):
            return self.name(e, ctx)
        if isinstance(e, n.Attr):
            ot = self.ty(e.obj)
            if ot.kind == "list":
                v, lst = ctx.t(), ctx.t()
                return f"(({lst} := {self.val(e.obj, ctx)}), [{v}.{e.name} for {v} in {lst}])[1]"
            if (safe and (ot.optional or not isinstance(e.obj, (n.Name, n.This)))) or ot.kind == "any":
                v = ctx.t()
                obj = self.expr(e.obj, ctx, safe=True)
                return f"({v}.{e.name} if ({v} := {obj}) is not None and {v} is not _M else {v})"
            return f"{self.val(e.obj, ctx)}.{e.name}"
        if isinstance(e, n.Index):
            return f"_S.index({self.val(e.obj, ctx)}, {self.val(e.index, ctx)})"
        if isinstance(e, n.ListExpr):
            if all(isinstance(i, n.Literal) for i in e.items):
                return self.const(tuple(i.value for i in e.items), "l")
            return "[" + ", ".join(self.val(i, ctx) for i in e.items) + "]"
        if isinstance(e, n.Unary):
            if e.op == "not":
                return f"(not {self.val(e.operand, ctx)})"
            return f"(-{self.val(e.operand, ctx)})"
        if isinstance(e, n.IsNull):
            v = ctx.t()
            inner = self.expr(e.operand, ctx, safe=True)
            if e.missing:
                test = f"(({v} := {inner}) is _M)"
            else:
                test = f"(({v} := {inner}) is None or {v} is _M)"
            return f"(not {test})" if e.negated else test
        if isinstance(e, n.If):
            return f"({self.val(e.then, ctx)} if {self.val(e.cond, ctx)} else {self.val(e.else_, ctx)})"
        if isinstance(e, n.Quantifier):
            var = f"_q_{e.var}"
            body = self.val(e.body, ctx)
            fn = "any" if e.kind == "any" else "all"
            lst = ctx.t()
            return f"(({lst} := {self.val(e.collection, ctx)}), {fn}({body} for {var} in {lst}))[1]"
        if isinstance(e, n.Binary):
            return self.binary(e, ctx)
        if isinstance(e, n.Call):
            return self.call(e, ctx)
        if isinstance(e, n.Window):
            return self.window(e, ctx)
        raise AssertionError(e)

    def literal(self, e: n.Literal) -> str:
        k = e.kind
        if k == "null":
            return "None"
        if k == "bool":
            return "True" if e.value else "False"
        if k == "int":
            return repr(e.value)
        if k == "string":
            return repr(e.value)
        if k == "regex":
            return self.const(regex.compile(e.value), "rx")
        return self.const(e.value, k[:2])

    def name(self, e: n.Name, ctx: _Ctx) -> str:
        ref = self.p.refs.get(id(e))
        if ref is None:
            return "None"
        if ref.kind == "subject":
            return "r"
        if ref.kind == "item":
            return ctx.item_var or "r"
        if ref.kind == "var":
            return f"_q_{e.name}"
        if ref.kind == "now":
            return "now"
        if ref.kind == "wordlist":
            return _wl_name(ref.owner, e.name)
        if ref.kind == "rlet":
            assert ctx.rule is not None and ctx.policy is not None
            let = ctx.rule.lets[e.name]
            key = (ctx.policy.name, ctx.rule.node.name, e.name)
            return self.cached(key, let.expr, ctx)
        if ref.kind == "let":
            pol = next(p for p in self.p.policies if p.name == ref.owner)
            let = pol.lets[e.name]
            if self.is_const(let.expr, pol):
                cname = f"_K_{pol.name}_{e.name}"
                if cname not in self.g:
                    sub = _Ctx(self, "")
                    sub.policy = pol
                    self.g[cname] = self.eval_const(let.expr, sub)
                return cname
            key = (pol.name, "", e.name)
            saved = ctx.policy, ctx.rule
            ctx.policy, ctx.rule = pol, None
            try:
                return self.cached(key, let.expr, ctx)
            finally:
                ctx.policy, ctx.rule = saved
        raise AssertionError(ref)

    def cached(self, key: tuple[str, str, str], expr: n.Expr, ctx: _Ctx) -> str:
        """A let: evaluated when first used, at most once per subject (a walrus-cached local)."""
        local = ctx.let_locals.get(key)
        if local is None:
            local = f"_pl_{key[0]}_{key[2]}" if key[1] == "" else f"_rl_{key[1]}_{key[2]}"
            ctx.let_locals[key] = local
        if not ctx.cache_lets:
            return f"({self.expr(expr, ctx)})"
        return f"({local} if {local} is not _U else ({local} := {self.expr(expr, ctx)}))"

    def is_const(self, e: Any, pol: PolicyInfo, seen: frozenset[str] = frozenset()) -> bool:
        """Whether an expression depends on no subject, no `now` and no window."""
        for x in _walk(e):
            if isinstance(x, (n.This, n.Window)):
                return False
            if isinstance(x, n.Name):
                ref = self.p.refs.get(id(x))
                if ref is None:
                    continue
                if ref.kind in ("subject", "item", "now", "rlet", "var"):
                    return False
                if ref.kind == "let":
                    if x.name in seen:
                        return False
                    if not self.is_const(pol.lets[x.name].expr, pol, seen | {x.name}):
                        return False
        return True

    def binary(self, e: n.Binary, ctx: _Ctx) -> str:
        op = e.op
        if op == "and":
            return f"({self.val(e.left, ctx)} and {self.val(e.right, ctx)})"
        if op == "or":
            return f"({self.val(e.left, ctx)} or {self.val(e.right, ctx)})"
        if op == "??":
            v = ctx.t()
            left = self.expr(e.left, ctx, safe=True)
            return f"({v} if ({v} := {left}) is not None and {v} is not _M else {self.expr(e.right, ctx)})"
        lt, rt = self.ty(e.left), self.ty(e.right)
        a, b = self.val(e.left, ctx), self.val(e.right, ctx)
        if op in ("in", "not in"):
            if isinstance(e.right, n.ListExpr) and all(isinstance(i, n.Literal) for i in e.right.items):
                b = self.const(frozenset(i.value for i in e.right.items), "set")
            return f"({a} {op} {b})"
        if op in ("==", "!=", "<", "<=", ">", ">="):
            return f"({a} {op} {b})"
        ka, kb = lt.kind, rt.kind
        if op == "/":
            if ka in ("int", "decimal", "money", "weight"):
                # numbers and amounts may arrive as exact ints: divide as Decimal, never as float
                return f"(_D({a}) / {b})"
            if ka == "duration" and kb == "duration":
                return f"_S.dur_ratio({a}, {b})"
            if ka == "duration":
                return f"_S.dur_div({a}, {b})"
            return f"({a} / {b})"
        if op == "*":
            if ka == "duration":
                return f"_S.dur_mul({a}, {b})"
            if kb == "duration":
                return f"_S.dur_mul({b}, {a})"
            return f"({a} * {b})"
        if op == "%":
            return f"({a} % {b})"
        return f"({a} {op} {b})"

    def call(self, e: n.Call, ctx: _Ctx) -> str:
        f = e.func
        ref = self.p.refs.get(id(e))
        if ref is not None and ref.kind == "table":
            tname = _tbl_name(ref.owner, ref.target)
            keys = [self.val(a, ctx) for a in e.args]
            key = keys[0] if len(keys) == 1 else "(" + ", ".join(keys) + ")"
            return f"{tname}.get({key}, {tname}_else)"
        args = [self.val(a, ctx) for a in e.args]
        types = [self.ty(a) for a in e.args]
        simple = _SIMPLE_CALLS.get(f)
        if simple is not None:
            return simple.format(*args)
        if f == "find":
            fld = _field_path(e.args[0], self.p)
            return f"{args[1]}.find({args[0]}, {_q(fld) if fld else 'None'})"
        if f == "round":
            return f"_S.round_({', '.join(args)})"
        if f in ("min", "max", "abs"):
            return f"{f}({', '.join(args)})"
        if f in ("hours", "minutes", "days"):
            secs = {"hours": 3600, "minutes": 60, "days": 86400}[f]
            return f"_S.in_unit({args[0]}, {secs})"
        if f == "join":
            et = types[0].elem or T.STRING
            return f"_S.join({args[0]}, {args[1]}, {_q(_render_kind(et))})"
        if f == "sum":
            et = (types[0].elem or T.INT).kind
            zero = {"duration": "_td(0)", "int": "0"}.get(et, "_D(0)")
            return f"sum({args[0]}, {zero})"
        raise AssertionError(f)

    def window(self, e: n.Window, ctx: _Ctx) -> str:
        kind = self.p.refs[id(e)].target
        within = self.eval_const(e.within, _Ctx(self, ""))
        within_us = support.us(within)
        uses_this = e.where is not None and any(isinstance(x, n.This) for x in _walk(e.where))
        from rulekit.syntax.formatter import format_expr

        ident = f"{kind}:{format_expr(e)}"  # identical aggregates share one window
        plan = self.windows.get(ident)
        if plan is None:
            plan = WindowPlan(ident, e.func, within_us, e.keys, e, uses_this, len(self.windows), kind, ctx.policy)
            self.windows[ident] = plan
        keys = [self.nn(f"r.{k}", _KeyPath(kind, k, self.p), ctx) for k in e.keys]
        key = "(" + ", ".join(keys) + ("," if len(keys) == 1 else "") + ")"
        h = f"W[{plan.index}]"
        if plan.query_filter:
            ictx = _Ctx(self, kind)
            ictx.item_var = "_it"
            ictx.policy = ctx.policy
            ictx.rule = ctx.rule
            ictx.cache_lets = False
            assert e.where is not None
            cond = self.expr(e.where, ictx)
            lst = ctx.t()
            bind = f"({lst} := {h}.values({key}, tu))"
            if e.func == "count":
                return f"({bind}, sum(1 for _it in {lst} if {cond}))[1]"
            val = self.expr(e.value, ictx)
            if e.func == "sum":
                zero = self._zero(e)
                return f"({bind}, sum(({val} for _it in {lst} if {cond}), {zero}))[1]"
            return f"({bind}, len({{{val} for _it in {lst} if {cond}}}))[1]"
        if e.func == "count":
            return f"{h}.count({key}, tu)"
        if e.func == "sum":
            return f"{h}.sum({key}, tu, {self._zero(e)})"
        return f"{h}.distinct({key}, tu)"

    def _zero(self, e: n.Window) -> str:
        k = self.ty(e.value).kind
        return {"duration": "_td(0)", "int": "0"}.get(k, "_D(0)")

    # ---- messages and action arguments -------------------------------------------------------------
    def template(self, tpl: n.Template, ctx: _Ctx) -> str:
        parts = []
        for part in tpl.parts:
            if isinstance(part, str):
                parts.append(repr(part))
            else:
                parts.append(self.render(part, ctx))
        if not parts:
            return "''"
        if len(parts) == 1:
            return parts[0] if parts[0].startswith(("'", '"')) else f"str({parts[0]})"
        return "''.join((" + ", ".join(parts) + "))"

    def render(self, e: n.Expr, ctx: _Ctx) -> str:
        t = self.ty(e).required()
        src = self.val(e, ctx)
        if t.kind == "string":
            return src
        if t.kind == "int":
            return f"str({src})"
        if t.kind == "list":
            return f"_S.render_list({src}, {_q(_render_kind(t.elem or T.STRING))})"
        return f"_S.render({src}, {_q(_render_kind(t))})"

    def json_arg(self, e: n.Expr, ctx: _Ctx) -> str:
        if isinstance(e, n.Template):
            return self.template(e, ctx)
        t = self.ty(e).required()
        src = self.val(e, ctx)
        if t.kind in ("string", "int", "bool", "decimal"):
            return src
        if t.kind == "list":
            et = t.elem or T.STRING
            if et.kind in ("string", "int", "bool", "decimal"):
                return f"list({src})"
            return f"[_S.json_value(_a, {_q(_render_kind(et))}) for _a in {src}]"
        return f"_S.json_value({src}, {_q(_render_kind(t))})"


#: built-in functions that compile to one expression of their arguments
_SIMPLE_CALLS = {
    "len": "len({0})", "count": "len({0})", "lower": "{0}.lower()", "upper": "{0}.upper()", "trim": "{0}.strip()",
    "starts_with": "{0}.startswith({1})", "ends_with": "{0}.endswith({1})", "contains": "({1} in {0})",
    "matches": "_S.regex_search({1}, {0})", "ceil": "_S.ceil({0})", "floor": "_S.floor({0})",
    "date": "_S.to_date({0})",
}


class _KeyPath:
    """A stand-in node for a window key field (its type and path, for the null check)."""

    def __init__(self, kind: str, key: str, program: Program):
        self.kind, self.key = kind, key
        f = program.registry.types[kind].fields.get(key)
        self._type = f.type if f else T.ANY
        program.types[id(self)] = self._type
        program.nodes.append(self)

    def __repr__(self) -> str:
        return f"{self.kind}.{self.key}"


def _render_kind(t: T.Type) -> str:
    if t.kind == "record" and t.record == "match":
        return "match"
    return t.kind


def _field_path(e: Any, p: Program) -> str | None:
    """`listing.title` when the argument is a field access on the subject (also through `this`)."""
    parts: list[str] = []
    while isinstance(e, n.Attr):
        parts.append(e.name)
        e = e.obj
    if not parts:
        return None
    if isinstance(e, n.This):
        ref = p.refs.get(id(e))
        root = ref.target if ref is not None else "this"
    elif isinstance(e, n.Name):
        ref = p.refs.get(id(e))
        if ref is None or ref.kind not in ("subject", "item"):
            return None
        root = ref.target
    else:
        return None
    return ".".join([root] + list(reversed(parts)))


def _q(s: str) -> str:
    return repr(s)


def _wl_name(policy: str, name: str) -> str:
    return f"_WL_{policy}_{name}"


def _tbl_name(policy: str, name: str) -> str:
    return f"_TB_{policy}_{name}"


def _rlet_local(idx: int, name: str) -> str:
    return f"_rl{idx}_{name}"
