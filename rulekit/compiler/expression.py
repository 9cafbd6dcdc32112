"""Compiles typed expression nodes into Python expression source (one visitor method per node class)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from rulekit import types as T
from rulekit.builtins import BUILTINS, render_kind
from rulekit.checker import CheckedPolicy, CheckedRule, Program, type_of
from rulekit.checker.nullability import path_of
from rulekit.runtime import regexes, support
from rulekit.runtime.rows import member_class
from rulekit.syntax import nodes as n
from rulekit.syntax.visitor import NodeVisitor, walk

from .constants import Constants, gen_name, table_else_name, table_name, wordlist_name
from .literals import regex_facts
from .probes import find_source


@dataclass
class Scope:
    """Where an expression is compiled: the subject kind, its policy and rule, and inside a window the item."""

    kind: str
    policy: CheckedPolicy | None = None
    rule: CheckedRule | None = None
    rule_index: int = -1
    item_var: str | None = None  # inside a window's value/`where`: the variable holding each windowed subject
    projection: dict[str, int] | None = None  # query-time windows hold a tuple of the item fields they read
    cache_lets: bool = True  # lets evaluated once per subject through walrus-cached locals
    let_locals: dict[tuple[str, str, str], str] = field(default_factory=dict)
    #: in `evaluate`: the locals of fused automata's answers per subject text (`probes.find_code`); None elsewhere
    probes: dict[tuple[str, str], str] | None = None


class ExpressionCompiler(NodeVisitor):
    """Python source for expressions of one plan; windows are registered with `windows` as they are met."""

    def __init__(self, program: Program, consts: Constants, windows: Any):
        self.program = program
        self.consts = consts
        self.windows = windows  # compiler.generate.WindowTable
        self._tmp = itertools.count()

    def tmp(self) -> str:
        return f"_t{next(self._tmp)}"

    # ---- entry points ---------------------------------------------------------------------------
    def expr(self, e: Any, s: Scope, safe: bool = False) -> str:
        """The source of `e`; with `safe`, field access on a null value gives that value instead of failing."""
        return self.visit(e, s, safe)  # type: ignore[no-any-return]

    def val(self, e: Any, s: Scope) -> str:
        """An operand whose value is needed: null or missing makes the rule undetermined, naming the value."""
        src = self.expr(e, s)
        t = type_of(e)
        if not t.optional or t.kind in ("any", "null"):
            return src
        v = self.tmp()
        return f"({v} if ({v} := {src}) is not None and {v} is not _M else _undet({v}, {self.describe(e)!r}))"

    def key_val(self, kind: str, key: str) -> str:
        """A window key field of the subject, null-checked when optional."""
        f = self.program.registry.types[kind].fields.get(key)
        src = f"r.{key}"
        if f is None or not f.type.optional:
            return src
        v = self.tmp()
        return f"({v} if ({v} := {src}) is not None and {v} is not _M else _undet({v}, {f'{kind}.{key}'!r}))"

    def describe(self, e: Any) -> str:
        """How an undetermined message names a value: its path (`order.paid_at`), else its source text."""
        p = path_of(e)
        if p is not None:
            return p
        span = e.span
        src = self.program.sources.get(span.file)
        if src is not None and span.line and span.line == span.end_line:
            text = src.split("\n")[span.line - 1][span.col - 1 : span.end_col - 1]
            if text:
                if isinstance(e, n.Call) and e.ref is not None:
                    return f"the row of table `{e.func}` for `{text}`"
                return f"`{text}`"
        return "a value"

    def const_value(self, e: Any, s: Scope) -> Any:
        """Evaluate an expression that reads no subject (table rows, constant lets, `within`)."""
        src = self.expr(e, replace(s, kind="", rule=None))
        return eval(src, self.consts.namespace, {"r": None, "now": None, "W": None, "tu": 0})  # noqa: S307

    # ---- nodes ------------------------------------------------------------------------------------
    def generic_visit(self, e: Any, s: Scope, safe: bool = False) -> str:
        raise AssertionError(f"cannot compile {type(e).__name__}")

    def visit_Literal(self, e: n.Literal, s: Scope, safe: bool = False) -> str:
        k = e.kind
        if k == "null":
            return "None"
        if k in ("bool", "int", "string"):
            return repr(e.value)
        if k == "regex":
            repetitions, factor, gate = regex_facts(e.value)
            return self.consts.name(regexes.TimedRegex(e.value, repetitions, factor, gate), "rx")
        return self.consts.name(e.value, k[:2])

    def visit_Template(self, e: n.Template, s: Scope, safe: bool = False) -> str:
        parts = [repr(p) if isinstance(p, str) else self.render(p, s) for p in e.parts]
        if not parts:
            return "''"
        if len(parts) == 1:
            return parts[0] if parts[0].startswith(("'", '"')) else f"str({parts[0]})"
        return "''.join((" + ", ".join(parts) + "))"

    def visit_This(self, e: n.This, s: Scope, safe: bool = False) -> str:
        return "r"

    def visit_Name(self, e: n.Name, s: Scope, safe: bool = False) -> str:
        ref = e.ref
        if ref is None:
            return "None"
        if ref.kind == "subject":
            return "r"
        if ref.kind == "item":
            return s.item_var or "r"
        if ref.kind == "var":
            return f"_q_{e.name}"
        if ref.kind == "now":
            return "now"
        if ref.kind == "wordlist":
            return wordlist_name(ref.owner, e.name)
        if ref.kind == "rlet":
            assert s.rule is not None and s.policy is not None
            return self.cached((s.policy.name, s.rule.node.name, e.name), s.rule.lets[e.name].expr, s)
        if ref.kind == "let":
            pol = self.program.policy(ref.owner)
            let = pol.lets[e.name]
            if is_constant(let.expr, pol):
                cname = gen_name("K", pol.name, e.name)
                if cname not in self.consts.namespace:
                    self.consts.bind(cname, self.const_value(let.expr, Scope("", pol)))
                return cname
            return self.cached((pol.name, "", e.name), let.expr, replace(s, policy=pol, rule=None))
        raise AssertionError(ref)

    def cached(self, key: tuple[str, str, str], expr: Any, s: Scope) -> str:
        """A let: evaluated when first used, at most once per subject (a walrus-cached local)."""
        if not s.cache_lets:
            return f"({self.expr(expr, s)})"
        local = s.let_locals.get(key)
        if local is None:
            local = gen_name("pl", key[0], key[2]) if key[1] == "" else gen_name(f"rl{s.rule_index}_", key[2])
            s.let_locals[key] = local
        return f"({local} if {local} is not _U else ({local} := {self.expr(expr, s)}))"

    def visit_Attr(self, e: n.Attr, s: Scope, safe: bool = False) -> str:
        obj = e.obj
        if s.projection is not None and isinstance(obj, n.Name) and obj.ref is not None and obj.ref.kind == "item":
            return f"{s.item_var}[{s.projection[e.name]}]"
        ot = type_of(obj)
        if ot.kind == "list":
            v, lst = self.tmp(), self.tmp()
            return f"(({lst} := {self.val(obj, s)}), [{v}.{e.name} for {v} in {lst}])[1]"
        if (safe and (ot.optional or not isinstance(obj, (n.Name, n.This)))) or ot.kind == "any":
            v = self.tmp()
            return f"({v}.{e.name} if ({v} := {self.expr(obj, s, True)}) is not None and {v} is not _M else {v})"
        return f"{self.val(obj, s)}.{e.name}"

    def visit_Index(self, e: n.Index, s: Scope, safe: bool = False) -> str:
        return f"_S.index({self.val(e.obj, s)}, {self.val(e.index, s)})"

    def visit_ListExpr(self, e: n.ListExpr, s: Scope, safe: bool = False) -> str:
        if all(isinstance(i, n.Literal) for i in e.items):
            return self.consts.name(tuple(i.value for i in e.items), "l")
        return "[" + ", ".join(self.val(i, s) for i in e.items) + "]"

    def visit_Unary(self, e: n.Unary, s: Scope, safe: bool = False) -> str:
        return f"(not {self.val(e.operand, s)})" if e.op == "not" else f"(-{self.val(e.operand, s)})"

    def visit_IsNull(self, e: n.IsNull, s: Scope, safe: bool = False) -> str:
        v = self.tmp()
        inner = self.expr(e.operand, s, True)
        test = f"(({v} := {inner}) is _M)" if e.missing else f"(({v} := {inner}) is None or {v} is _M)"
        return f"(not {test})" if e.negated else test

    def visit_If(self, e: n.If, s: Scope, safe: bool = False) -> str:
        return f"({self.val(e.then, s)} if {self.val(e.cond, s)} else {self.val(e.else_, s)})"

    def visit_Quantifier(self, e: n.Quantifier, s: Scope, safe: bool = False) -> str:
        body, lst, coll, v = self.val(e.body, s), self.tmp(), self.val(e.collection, s), f"_q_{e.var}"
        loop = f"[{v} for {v} in {lst} if {body}]" if e.kind == "each" else f"{e.kind}({body} for {v} in {lst})"
        if type_of(e.collection).kind == "list":  # an empty list (no hit) builds no comprehension: 0.2 µs a time
            loop = f"({loop} if {lst} else {({'each': '[]', 'any': 'False', 'all': 'True'})[e.kind]})"
        return f"(({lst} := {coll}), {loop})[1]"

    def visit_Binary(self, e: n.Binary, s: Scope, safe: bool = False) -> str:
        op = e.op
        if op in ("and", "or"):
            return f"({self.val(e.left, s)} {op} {self.val(e.right, s)})"
        if op == "??":
            v = self.tmp()
            left = self.expr(e.left, s, True)
            return f"({v} if ({v} := {left}) is not None and {v} is not _M else {self.expr(e.right, s)})"
        a, b = self.val(e.left, s), self.val(e.right, s)
        if op in ("in", "not in"):
            if isinstance(e.right, n.ListExpr) and all(isinstance(i, n.Literal) for i in e.right.items):
                b = self.consts.name(frozenset(i.value for i in e.right.items), "set")
            return f"({a} {op} {b})"
        ka, kb = type_of(e.left).kind, type_of(e.right).kind
        if op == "+" and ka == "list":
            return f"[*{a}, *{b}]"  # list literals compile to tuples: concatenate as a new list
        if op == "/":
            if ka in ("int", "decimal", "money", "weight"):
                return f"(_D({a}) / {b})"  # numbers may arrive as exact ints: divide as Decimal, never as float
            if ka == "duration":
                return f"_S.dur_ratio({a}, {b})" if kb == "duration" else f"_S.dur_div({a}, {b})"
        if op == "*":
            if ka == "duration":
                return f"_S.dur_mul({a}, {b})"
            if kb == "duration":
                return f"_S.dur_mul({b}, {a})"
        return f"({a} {op} {b})"

    def visit_Call(self, e: n.Call, s: Scope, safe: bool = False) -> str:
        ref = e.ref
        if ref is not None and ref.kind == "table":
            tname = table_name(ref.owner, ref.target)
            keys = [self.val(a, s) for a in e.args]
            key = keys[0] if len(keys) == 1 else "(" + ", ".join(keys) + ")"
            return f"{tname}.get({key}, {table_else_name(ref.owner, ref.target)})"
        if e.func in ("len", "count") and len(e.args) == 1:
            held = self._members_counted(e.args[0], s)
            if held is not None:
                return held
        if e.func == "find" and (found := find_source(self, e, s)) is not None:
            return found
        if e.func == "matches" and (direct := direct_search(self.consts, self.val(e.args[1], s))) is not None:
            return direct(self.val(e.args[0], s), self.tmp())
        b = BUILTINS[e.func]
        helper = self.consts.name(b.helper, "fn") if b.helper is not None else ""
        return b.emit([self.val(a, s) for a in e.args], e, helper)

    def _members_counted(self, arg: Any, s: Scope) -> str | None:
        """`len(members(…))`, directly or through a let, as the window's count: the list is built only where it is
        used as a list (a rule's `when` counts on every subject; its action lists only when the rule fires)."""
        node = arg
        if isinstance(arg, n.Name) and arg.ref is not None and arg.ref.kind in ("rlet", "let"):
            lets = s.rule.lets if arg.ref.kind == "rlet" and s.rule is not None else (
                s.policy.lets if arg.ref.kind == "let" and s.policy is not None else {})
            let = lets.get(arg.name)
            node = let.expr if let is not None else None
        if not isinstance(node, n.Window) or node.func != "members":
            return None
        w = self.windows.get(node, s)
        if w.filters_at_query:
            return None
        keys = [self.key_val(w.kind, k) for k in node.keys]
        return f"W[{w.index}].count(({', '.join(keys)},), tu)"

    def visit_Window(self, e: n.Window, s: Scope, safe: bool = False) -> str:
        w = self.windows.get(e, s)
        keys = [self.key_val(w.kind, k) for k in e.keys]
        key = "(" + ", ".join(keys) + ("," if len(keys) == 1 else "") + ")"
        h = f"W[{w.index}]"
        if w.members:
            return self._members(e, w, key, s)
        if w.projection is None:
            if e.func == "count":
                return f"{h}.count({key}, tu)"
            if e.func == "sum":
                return f"{h}.sum({key}, tu, {zero_of(type_of(e.value))})"
            return f"{h}.distinct({key}, tu)"
        # `where` compares with `this`: the window holds projections, filtered here at query time
        inner = Scope(w.kind, s.policy, s.rule, s.rule_index, "_it", {f: i for i, f in enumerate(w.projection)}, False)
        assert e.where is not None
        cond = self.expr(e.where, inner)
        lst = self.tmp()
        bind = f"({lst} := {h}.values({key}, tu))"
        if e.func == "count":
            return f"({bind}, sum(1 for _it in {lst} if {cond}))[1]"
        value = self.expr(e.value, inner)
        if e.func == "sum":
            return f"({bind}, sum(({value} for _it in {lst} if {cond}), {zero_of(type_of(e.value))}))[1]"
        return f"({bind}, len({{{value} for _it in {lst} if {cond}}}))[1]"

    def _members(self, e: n.Window, w: Any, key: str, s: Scope) -> str:
        """A members window: its records, or its projections each wrapped in a slotted member object."""
        lst = self.tmp()
        bind = f"({lst} := W[{w.index}].values({key}, tu))"
        index = {f: i for i, f in enumerate(w.projection)} if w.projection is not None else None
        item = "_it" if index is None else f"{self.consts.name(member_class(w.kind, w.projection), 'member')}(*_it)"
        cond = ""
        if w.filters_at_query:
            # `where` compares with `this`: every subject of the key is held, filtered here
            assert e.where is not None
            inner = Scope(w.kind, s.policy, s.rule, s.rule_index, "_it", index, False)
            cond = f" if {self.expr(e.where, inner)}"
        if not cond and index is None:
            return bind
        return f"({bind}, [{item} for _it in {lst}{cond}])[1]"

    # ---- messages and action arguments ----------------------------------------------------------------
    def render(self, e: Any, s: Scope) -> str:
        """A value shown in a message (LANGUAGE §6)."""
        t = type_of(e).required()
        src = self.val(e, s)
        if t.kind == "string":
            return src
        if t.kind == "int":
            return f"str({src})"
        if t.kind == "list":
            return f"_S.render_list({src}, {render_kind(t.elem)!r})"
        return f"_S.render({src}, {render_kind(t)!r})"

    def json_arg(self, e: Any, s: Scope) -> str:
        """An action argument, JSON-ready (LANGUAGE §9)."""
        if isinstance(e, n.Template):
            return self.visit_Template(e, s)
        t = type_of(e).required()
        src = self.val(e, s)
        if t.kind in ("string", "int", "bool", "decimal"):
            return src
        if t.kind == "list":
            et = t.elem or T.STRING
            if et.kind in ("string", "int", "bool", "decimal") and not et.optional:
                return f"list({src})"
            return f"{self.consts.name(json_form(self.program.registry, t), 'js')}({src})"
        if t.kind == "record" and render_kind(t) != "match":
            return f"{self.consts.name(json_form(self.program.registry, t), 'js')}({src})"
        return f"_S.json_value({src}, {render_kind(t)!r})"


def direct_search(consts: Constants, src: str) -> Callable[[str, str], str] | None:
    """The code of `matches(text, rx)` for a regex constant, given the text's code and a temporary: the test of its
    literal gate first (the whole answer when the literals are all it matches), then its bound `search` called
    directly up to the length its bound allows without the clock (`TimedRegex.safe_len`), `regex_search` (which
    starts the clock) beyond. None for a regex with neither a gate nor a length searched without the clock."""
    t = consts.namespace.get(src)
    if not isinstance(t, regexes.TimedRegex) or (t.safe_len < 0 and not t.gate):
        return None
    lazy = regexes.LazySearch(t)  # compiled on its first call, then the bound method itself
    search, timed = consts.name(lazy, "rs"), consts.name(regexes.regex_search, "fn")
    lazy.namespace, lazy.name = consts.namespace, search

    def code(text: str, tmp: str) -> str:
        if t.safe_len == math.inf and not t.gate:
            return f"({search}({text}) is not None)"
        if t.safe_len == math.inf:
            run = f"({search}({tmp}) is not None)"
        elif t.safe_len < 0:
            run = f"{timed}({src}, {tmp})"
        else:
            run = f"({search}({tmp}) is not None if len({tmp}) <= {int(t.safe_len)} else {timed}({src}, {tmp}))"
        if not t.gate:
            return f"(({tmp} := {text}), {run})[1]"
        test = " or ".join([f"({t.gate[0]!r} in ({tmp} := {text}))", *(f"({w!r} in {tmp})" for w in t.gate[1:])])
        return f"({test})" if t.exact else f"(({test}) and {run})"

    return code


def json_form(registry: Any, t: T.Type) -> support.JsonOf:
    """The JSON form of an action argument of type `t` whose values are records or lists of them: each field
    written by its declared type (LANGUAGE §9's rules for arguments)."""
    t = t.required()
    if t.kind == "list":
        return support.json_of("list", elem=json_form(registry, t.elem or T.STRING))
    if t.kind == "record" and render_kind(t) != "match":
        assert t.record is not None
        fields = registry.types[t.record].fields
        return support.json_of("record", record=[(name, json_form(registry, f.type)) for name, f in fields.items()])
    return support.json_of(render_kind(t))


def zero_of(t: T.Type) -> str:
    """The source of the zero of a summed type."""
    return {"duration": "_td(0)", "int": "0"}.get(t.kind, "_D(0)")


def is_constant(e: Any, pol: CheckedPolicy, seen: frozenset[str] = frozenset()) -> bool:
    """Whether an expression depends on no subject, no `now` and no window."""
    for x in walk(e):
        if isinstance(x, (n.This, n.Window)):
            return False
        if isinstance(x, n.Name) and x.ref is not None:
            if x.ref.kind in ("subject", "item", "now", "rlet", "var"):
                return False
            if x.ref.kind == "let" and (x.name in seen or not is_constant(pol.lets[x.name].expr, pol,
                                                                          seen | {x.name})):
                return False
    return True
