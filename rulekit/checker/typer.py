"""Types expressions: resolves every name, field, call and window, infers types and units (E002–E009, W101)."""

from __future__ import annotations

import re
from typing import Any

import regex

from rulekit import types as T
from rulekit.builtins import BUILTINS
from rulekit.diagnostics import Diagnostic, Span
from rulekit.limits import active as active_limits
from rulekit.records.registry import RecordRegistry
from rulekit.suggest import did_you_mean
from rulekit.syntax import nodes as n

from .calls import CallTyper
from .declarations import PolicyDraft, RuleDraft, add_diagnostic
from .folding import LITERAL_TYPES, arith, unit_hint
from .nullability import facts, path_of, require_value
from .regexcost import backtracking
from .scope import Env

_CMP = ("==", "!=", "<", "<=", ">", ">=")


#: Counted repetitions (`a{1000}`), multiplied through nested groups, above this are refused: the regex module
#: expands them when it compiles, so `(?:a{10000}){10000}` alone exhausts memory.
_MAX_REPEAT = 100_000
_REPEAT = re.compile(r"\{\s*(\d+)\s*(?:,\s*(\d*)\s*)?\}")


def _repeat_weight(pattern: str) -> int:
    """The largest product of counted repetitions along one nesting path of `pattern` (an upper bound of how
    often the compiled program repeats one piece)."""
    frames = [1]
    last = 1
    i = 0
    while i < len(pattern):
        c = pattern[i]
        m = _REPEAT.match(pattern, i) if c == "{" else None
        if m is not None:
            counts = [int(x[:12]) if len(x) < 12 else 10**12 for x in m.groups() if x]
            last *= max(counts)
            frames[-1] = max(frames[-1], last)
            i = m.end()
            continue
        if c == "\\":
            i += 2
            last = 1
        elif c == "[":
            j = i + 1
            while j < len(pattern) and pattern[j] != "]" or j == i + 1:
                j += 2 if pattern[j:j + 1] == "\\" else 1
                if j >= len(pattern):
                    break
            i = j + 1
            last = 1
        elif c == "(":
            frames.append(1)
            i += 1
            continue
        elif c == ")" and len(frames) > 1:
            last = frames.pop()
            i += 1
        else:
            last = 1
            i += 1
        frames[-1] = max(frames[-1], last)
    return max(frames)


def regex_problem(pattern: str) -> str | None:
    """Why a `re"…"` literal cannot be used (E007): too long, a repetition too large, or not a valid regex."""
    limit = active_limits().regex_chars
    if len(pattern) > limit:
        return f"the regex has {len(pattern):,} characters; at most {limit:,} (limit `regex-chars`)"
    weight = _repeat_weight(pattern)
    if weight > _MAX_REPEAT:
        return (f"the regex repeats one piece {weight:,} times through its counted repetitions `{{n}}`; at most "
                f"{_MAX_REPEAT:,}")
    try:
        regex.compile(pattern)
    except regex.error as err:
        return f"invalid regex: {err}"
    except (OverflowError, MemoryError, RecursionError):
        return "the regex is too large to compile"
    return None


class Typer(CallTyper):
    """Types expressions in scopes; results go to `types` and `refs` (by node identity, for this run only)."""

    def __init__(self, registry: RecordRegistry, diags: list[Diagnostic]):
        self.registry = registry
        self.diags = diags
        self.types: dict[int, T.Type] = {}
        self.refs: dict[int, n.Ref] = {}
        self._let_types: dict[tuple[str, str, str], T.Type] = {}
        self._let_stack: list[tuple[str, str, str]] = []
        self.rule_guards: dict[str, frozenset[str]] = {}  # rule id -> guards of its `when`/`unless`
        self.w101_seen: set[tuple[str, int, int]] = set()

    # ---- reporting ----------------------------------------------------------------
    def error(self, code: str, message: str, span: Span, help: str | None = None) -> None:
        add_diagnostic(self.diags, code, message, span, help)

    def expect_bool(self, t: T.Type, e: n.Expr, where: str) -> None:
        if t.kind not in ("bool", "any"):
            self.error("E004", f"{where} needs a bool condition, but this is `{t}`", e.span,
                       "compare it, e.g. `x > 0`, or test it with `is not null`")

    def require(self, t: T.Type, e: n.Expr, env: Env) -> T.Type:
        """A value is needed here: warn (W101) when it may be null and is not guarded."""
        return require_value(self, t, e)

    def needed(self, e: n.Expr, env: Env) -> T.Type:
        """The type of an operand whose value is needed (W101 when it may be null)."""
        return self.require(self.expr(e, env), e, env)

    # ---- expressions ----------------------------------------------------------------
    def expr(self, e: n.Expr, env: Env) -> T.Type:
        t = self.visit(e, env)
        if isinstance(e, (n.Name, n.Attr, n.Index, n.This)) and t.optional:
            p = path_of(e)
            if p is not None and p in env.guards:
                t = t.required()
        self.types[id(e)] = t
        return t  # type: ignore[no-any-return]

    def generic_visit(self, e: Any, env: Env) -> T.Type:
        raise AssertionError(f"not an expression: {type(e).__name__}")

    def visit_Literal(self, e: n.Literal, env: Env) -> T.Type:
        if e.kind == "regex":
            problem = regex_problem(e.value)
            if problem is not None:
                self.error("E007", problem, e.span)
            elif (slow := backtracking(e.value)) is not None:
                self.error("W106", slow, e.span, "make the inner repetition exact or possessive (`(a+)++`), or "
                           "remove one level: `(a+)+` matches what `a+` matches")
        return LITERAL_TYPES[e.kind]

    def visit_Template(self, e: n.Template, env: Env) -> T.Type:
        self.template(e, env)
        return T.STRING

    def template(self, tpl: n.Template, env: Env) -> None:
        for part in tpl.parts:
            if isinstance(part, str):
                continue
            t = self.needed(part, env)
            if t.kind == "list" and t.elem is not None and t.elem.optional:
                self.error("W101", f"the items of `{path_of(part) or 'this list'}` may be null; "
                           "a null item makes the rule undetermined", part.span,
                           "show a list of non-null values, e.g. map over matches that have one")
            if t.kind in ("regex", "wordlist"):
                self.error("E004", f"a `{t.kind}` cannot be shown in a message", part.span)
            record = t if t.kind == "record" else t.elem if t.kind == "list" else None
            if record is not None and record.kind == "record" and record.record != "match":
                fields = self.registry.types.get(record.record or "")
                first = next(iter(fields.fields), "id") if fields is not None else "id"
                self.error("E004", f"a `{record.record}` record cannot be shown in a message", part.span,
                           f"show one of its fields, e.g. `{{{path_of(part) or 'x'}.{first}}}`")

    def visit_This(self, e: n.This, env: Env) -> T.Type:
        if env.subject is None:
            self.error("E002", "`this` is only meaningful inside a rule", e.span)
            return T.ANY
        self.refs[id(e)] = n.Ref("subject", env.subject)
        return T.record(env.subject)

    def visit_Index(self, e: n.Index, env: Env) -> T.Type:
        ot = self.needed(e.obj, env)
        it = self.needed(e.index, env)
        if it.kind not in ("int", "any"):
            self.error("E004", f"a list index must be an int, not `{it}`", e.index.span)
        if ot.kind == "any":
            return T.ANY
        if ot.kind != "list" or ot.elem is None:
            self.error("E004", f"only lists can be indexed, not `{ot}`", e.obj.span)
            return T.ANY
        return ot.elem.opt()

    def visit_ListExpr(self, e: n.ListExpr, env: Env) -> T.Type:
        et: T.Type | None = None
        for item in e.items:
            it = self.expr(item, env)
            if et is None:
                et = it
            else:
                u = T.unify(et, it)
                if u is None:
                    self.error("E004", f"list items must have one type: `{et}` and `{it}`", item.span)
                else:
                    et = u
        return T.list_of(et or T.ANY)

    def visit_Unary(self, e: n.Unary, env: Env) -> T.Type:
        t = self.needed(e.operand, env)
        if e.op == "not":
            self.expect_bool(t, e.operand, "`not`")
            return T.BOOL
        if t.kind not in ("int", "decimal", "money", "duration", "weight", "any"):
            self.error("E004", f"cannot negate a `{t}`", e.span)
            return T.ANY
        return t

    def visit_IsNull(self, e: n.IsNull, env: Env) -> T.Type:
        self.expr(e.operand, env)
        return T.BOOL

    def visit_If(self, e: n.If, env: Env) -> T.Type:
        self.expect_bool(self.needed(e.cond, env), e.cond, "`if`")
        a = self.expr(e.then, env.guarded(facts(e.cond, True)))
        b = self.expr(e.else_, env.guarded(facts(e.cond, False)))
        u = T.unify(a, b)
        if u is None:
            self.error("E004", f"the branches of `if` have different types: `{a}` and `{b}`", e.span)
            return T.ANY
        return u

    def visit_Quantifier(self, e: n.Quantifier, env: Env) -> T.Type:
        ct = self.needed(e.collection, env)
        elem = T.ANY
        if ct.kind == "list" and ct.elem is not None:
            elem = ct.elem
        elif ct.kind != "any":
            self.error("E004", f"`{e.kind}` needs a list after `in`, not `{ct}`", e.collection.span)
        if e.var in self.names_in_scope(env):
            self.error("E005", f"`{e.var}` already names something here; choose another variable name", e.span)
        bt = self.require(self.expr(e.body, env.with_var(e.var, elem)), e.body, env)
        if e.kind == "each":
            self.expect_bool(bt, e.body, "`each … where`")
            return ct.required() if ct.kind == "list" else T.list_of(T.ANY)
        self.expect_bool(bt, e.body, f"`{e.kind} … satisfies`")
        return T.BOOL

    def names_in_scope(self, env: Env) -> set[str]:
        p = env.policy
        names = {k for k, _ in env.vars} | set(p.lets) | set(p.tables) | set(p.wordlists)
        if env.rule is not None:
            names |= set(env.rule.lets)
        return names | set(self.registry.subject_kinds()) | {"now"}

    # ---- names and fields -----------------------------------------------------------
    def visit_Name(self, e: n.Name, env: Env) -> T.Type:
        name, p = e.name, env.policy
        vt = env.var(name)
        if vt is not None:
            self.refs[id(e)] = n.Ref("var", name)
            return vt
        if env.rule is not None and name in env.rule.lets:
            self.refs[id(e)] = n.Ref("rlet", name, env.rule.node.name)
            return self.rule_let_type(p, env.rule, name)
        if name in p.lets:
            self.refs[id(e)] = n.Ref("let", name, p.name)
            t = self.policy_let_type(p, name)
            subj = p.let_subjects.get(name, set())
            if subj and env.subject and subj != {env.subject}:
                self.error("E004", f"`{name}` reads fields of `{', '.join(sorted(subj))}`, but this rule is on "
                           f"`{env.subject}`", e.span)
            return t
        if name in p.tables:
            self.error("E009", f"`{name}` is a table: look it up with `{name}(key)`", e.span)
            return T.ANY
        if name in p.wordlists:
            self.refs[id(e)] = n.Ref("wordlist", name, p.name)
            return T.WORDLIST
        if name == "now":
            self.refs[id(e)] = n.Ref("now", "now")
            return T.DATETIME
        rt = self.registry.types.get(name)
        if rt is not None and rt.is_subject:
            if env.window_kind == name:
                self.refs[id(e)] = n.Ref("item", name)
                return T.record(name)
            if env.subject is None:
                # a policy-level let reading a subject: evaluated per subject of that kind
                self.refs[id(e)] = n.Ref("subject", name)
                self._let_reads(p, name)
                return T.record(name)
            if name != env.subject:
                self.error("E002", f"`{name}` is not the subject of this rule; it is on `{env.subject}`", e.span,
                           f"write `{env.subject}` or `this`")
                return T.ANY
            self.refs[id(e)] = n.Ref("subject", name)
            return T.record(name)
        candidates = self.names_in_scope(env) | set(BUILTINS) | set(p.tables)
        self.error("E002", f"unknown name `{name}`", e.span, did_you_mean(name, candidates))
        return T.ANY

    def _let_reads(self, p: PolicyDraft, kind: str) -> None:
        for key in self._let_stack:
            if key[1] == "":
                p.let_subjects.setdefault(key[2], set()).add(kind)

    def visit_Attr(self, e: n.Attr, env: Env) -> T.Type:
        ot = self.expr(e.obj, env)
        if ot.kind == "any":
            return T.ANY
        base = self.require(ot, e.obj, env) if ot.optional else ot
        if base.kind == "list" and base.elem is not None and base.elem.kind == "record":
            ft = self.field(base.elem, e)
            return T.ANY if ft.kind == "any" else T.list_of(ft)
        if base.kind != "record":
            self.error("E004", f"`{path_of(e.obj) or 'this value'}` is a `{base}`, which has no fields", e.span)
            return T.ANY
        return self.field(base, e)

    def field(self, rec: T.Type, e: n.Attr) -> T.Type:
        rt = self.registry.types.get(rec.record or "")
        if rt is None:
            return T.ANY
        f = rt.fields.get(e.name)
        if f is None:
            label = rt.name if "." not in rt.name else f"table row of `{rt.name}`"
            self.error("E003", f"`{label}` has no field `{e.name}`", e.span,
                       did_you_mean(e.name, rt.fields) or f"fields: {', '.join(rt.fields)}")
            return T.ANY
        return f.type

    # ---- lets -------------------------------------------------------------------------
    def policy_let_type(self, p: PolicyDraft, name: str) -> T.Type:
        return self._let((p.name, "", name), p.lets[name], Env(p, None))

    def rule_let_type(self, p: PolicyDraft, r: RuleDraft, name: str) -> T.Type:
        guards = self.rule_guards.get(r.id, frozenset())
        return self._let((p.name, r.node.name, name), r.lets[name], Env(p, r.subject, r, (), guards))

    def _let(self, key: tuple[str, str, str], let: n.Let, env: Env) -> T.Type:
        if key in self._let_types:
            return self._let_types[key]
        if key in self._let_stack:
            cycle = self._let_stack[self._let_stack.index(key):] + [key]
            self.error("E008", f"`let {key[2]}` depends on itself: {' → '.join(k[2] for k in cycle)}", let.span,
                       "break the cycle: one of these lets must not refer back to the others")
            self._let_types[key] = T.ANY
            return T.ANY
        self._let_stack.append(key)
        try:
            t = self.expr(let.expr, env)
        finally:
            self._let_stack.pop()
        return self._let_types.setdefault(key, t)

    # ---- operators ----------------------------------------------------------------------
    def visit_Binary(self, e: n.Binary, env: Env) -> T.Type:
        op = e.op
        if op in ("and", "or"):
            self.expect_bool(self.needed(e.left, env), e.left, f"`{op}`")
            rt = self.require(self.expr(e.right, env.guarded(facts(e.left, op == "and"))), e.right, env)
            self.expect_bool(rt, e.right, f"`{op}`")
            return T.BOOL
        if op == "??":
            lt, rt = self.expr(e.left, env), self.expr(e.right, env)
            u = T.unify(lt.required(), rt)
            if u is None:
                self.error("E004", f"`??` needs both sides of one type: `{lt.required()}` and `{rt}`", e.span)
                return T.ANY
            return u.opt(rt.optional)
        lt, rt = self.needed(e.left, env), self.needed(e.right, env)
        if lt.kind == "any" or rt.kind == "any":
            return T.BOOL if op in _CMP + ("in", "not in") else T.ANY
        if op in ("in", "not in"):
            if rt.kind == "list" and rt.elem is not None:
                if not T.same_family(lt, rt.elem):
                    self.error("E004", f"`{op}` compares a `{lt}` with the items of a `{rt}`", e.span)
            elif rt.kind == "string":
                if lt.kind != "string":
                    self.error("E004", f"`{op}` on a string needs a string on the left, not `{lt}`", e.span)
            else:
                self.error("E004", f"`{op}` needs a list (or a string) on the right, not `{rt}`", e.right.span)
            return T.BOOL
        if op in _CMP:
            if not T.same_family(lt, rt):
                self.error("E004", f"cannot compare `{lt}` with `{rt}`", e.span,
                           unit_hint(lt, rt) if op not in ("==", "!=") else None)
            elif op not in ("==", "!=") and lt.kind not in (
                    "int", "decimal", "money", "duration", "weight", "date", "datetime", "string"):
                self.error("E004", f"`{lt}` values have no order; `{op}` cannot compare them", e.span)
            return T.BOOL
        result = arith(op, lt, rt)
        if result is None:
            self.error("E004", f"`{lt} {op} {rt}` is not defined", e.span, unit_hint(lt, rt))
            return T.ANY
        return result
