"""Checks parsed policies: names, fields, types, units, nullability; collects diagnostics E002–E009, W101–W103."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import regex

from rulekit import types as T
from rulekit import values
from rulekit.diagnostics import Diagnostic, Span
from rulekit.records import RecordRegistry
from rulekit.suggest import did_you_mean
from rulekit.syntax import nodes as n

FUNCTIONS = (
    "len lower upper trim starts_with ends_with contains matches find ceil floor round min max abs hours "
    "minutes days date join sum count"
).split()
WINDOW_FUNCS = ("count", "sum", "distinct")
SUMMABLE = ("int", "decimal", "money", "weight", "duration")


# ---- what the compiler receives ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ref:
    """What a Name refers to: kind is subject, item (a windowed subject), var, let, rlet,
    table, wordlist or now; `target` names it."""

    kind: str
    target: str
    owner: str = ""


@dataclass
class WordlistInfo:
    """A wordlist's entries, allow phrases and mode, read at check time."""

    name: str
    entries: list[Any]
    allow: list[str]
    mode: str
    node: n.Wordlist


@dataclass
class RuleInfo:
    """A checked rule and the facts the compiler needs."""

    policy: str
    node: n.Rule
    file: str
    subject: str
    severity: str
    lets: dict[str, n.Let]
    when: n.When | None
    unless: list[n.Unless]
    message: n.Message | None
    actions: list[n.Action]
    evidence: n.EvidenceClause | None
    uses_now: bool = False

    @property
    def id(self) -> str:
        """`policy.rule`."""
        return f"{self.policy}.{self.node.name}"

    @property
    def title(self) -> str | None:
        """The rule's human name, if written."""
        return self.node.title.value if self.node.title else None


@dataclass
class PolicyInfo:
    """A checked policy."""

    name: str
    node: n.Policy
    file: str
    effective: tuple[datetime | None, datetime | None]
    lets: dict[str, n.Let] = field(default_factory=dict)
    tables: dict[str, n.Table] = field(default_factory=dict)
    wordlists: dict[str, WordlistInfo] = field(default_factory=dict)
    rules: list[RuleInfo] = field(default_factory=list)
    let_subjects: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class Program:
    """The checked, resolved program: everything the compiler and test runner need."""

    registry: RecordRegistry
    policies: list[PolicyInfo]
    tests: list[tuple[str, n.TestBlock]]
    types: dict[int, T.Type]
    refs: dict[int, Ref]
    sources: dict[str, str]
    diagnostics: list[Diagnostic]
    nodes: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No error-level diagnostics."""
        return not any(d.is_error for d in self.diagnostics)

    def type_of(self, e: Any) -> T.Type:
        """The checked type of an expression node."""
        return self.types.get(id(e), T.ANY)

    def rules(self) -> list[RuleInfo]:
        """Every rule, ordered by policy id then rule id (the report order)."""
        return sorted((r for p in self.policies for r in p.rules), key=lambda r: (r.policy, r.node.name))


# ---- environment while checking an expression --------------------------------------------


@dataclass(frozen=True)
class Env:
    """Scope while typing an expression."""

    policy: PolicyInfo
    subject: str | None  # the rule's subject kind, None at policy level
    rule: RuleInfo | None = None
    vars: tuple[tuple[str, T.Type], ...] = ()
    guards: frozenset[str] = frozenset()
    window_kind: str | None = None  # inside a window aggregate: the record name means each windowed subject
    owner: str = ""  # let being typed (for W101 grouping)

    def with_var(self, name: str, t: T.Type) -> Env:
        return Env(self.policy, self.subject, self.rule, self.vars + ((name, t),), self.guards, self.window_kind,
                   self.owner)

    def guarded(self, paths: set[str]) -> Env:
        if not paths:
            return self
        return Env(self.policy, self.subject, self.rule, self.vars, self.guards | paths, self.window_kind,
                   self.owner)

    def var(self, name: str) -> T.Type | None:
        for k, t in reversed(self.vars):
            if k == name:
                return t
        return None


class Checker:
    """Runs every check over a set of parsed files and builds a Program."""

    def __init__(self, files: list[n.SourceFile], sources: dict[str, str], roots: dict[str, Path]):
        self.files = files
        self.sources = sources
        self.roots = roots
        self.diags: list[Diagnostic] = []
        self.registry = RecordRegistry.with_builtins()
        self.types: dict[int, T.Type] = {}
        self.refs: dict[int, Ref] = {}
        self.policies: list[PolicyInfo] = []
        self.tests: list[tuple[str, n.TestBlock]] = []
        self._let_types: dict[tuple[str, str, str], T.Type] = {}
        self._let_stack: list[tuple[str, str, str]] = []
        self._rule_guards: dict[int, frozenset[str]] = {}  # id(rule) -> guards of its `when`/`unless`
        self._w101_seen: set[tuple[str, int, int]] = set()

    # ---- reporting ----------------------------------------------------------------
    def error(self, code: str, message: str, span: Span, help: str | None = None) -> None:
        if help and help.startswith("did you mean"):
            message, help = f"{message}; {help}", None
        self.diags.append(Diagnostic(code, message, span, help))

    def set(self, e: Any, t: T.Type) -> T.Type:
        self.types[id(e)] = t
        return t

    # ---- program ----------------------------------------------------------------------
    def run(self) -> Program:
        decls = [i for f in self.files for i in f.items if isinstance(i, n.RecordDecl)]
        self.diags += self.registry.declare(decls)
        seen_policies: dict[str, n.Policy] = {}
        for f in self.files:
            for item in f.items:
                if isinstance(item, n.Policy):
                    if item.name in seen_policies:
                        first = seen_policies[item.name].span
                        self.error("E005", f"policy `{item.name}` is defined twice (first at {first.file}:{first.line})",
                                   item.span, "policy ids are unique in a policy set: rename one")
                        continue
                    seen_policies[item.name] = item
                    self.policies.append(self.policy(f, item))
                elif isinstance(item, n.TestBlock):
                    self.tests.append((f.path, item))
        for p in self.policies:
            self.check_policy_bodies(p)
        self.check_tests()
        return Program(self.registry, self.policies, self.tests, self.types, self.refs, self.sources,
                       self.diags, self.files)

    def policy(self, f: n.SourceFile, node: n.Policy) -> PolicyInfo:
        start = end = None
        effs = node.of(n.Effective)
        for extra in effs[1:]:
            self.error("E005", "`effective` is given twice in this policy", extra.span)
        for extra in node.of(n.Version)[1:]:
            self.error("E005", "`version` is given twice in this policy", extra.span)
        if effs:
            start = _moment(effs[0].start)
            end = _moment(effs[0].end)
            if start and end and start >= end:
                self.error("E004", "the `effective` range is empty: its start is not before its end", effs[0].span)
        info = PolicyInfo(node.name, node, f.path, (start, end))
        names: dict[str, Span] = {}
        rule_names: dict[str, Span] = {}
        for m in node.members:
            if isinstance(m, (n.Let, n.Table, n.Wordlist)):
                if m.name in names:
                    self.error("E005", f"`{m.name}` is defined twice in policy `{node.name}` "
                               f"(first at line {names[m.name].line})", m.span)
                    continue
                names[m.name] = m.span
                if isinstance(m, n.Let):
                    info.lets[m.name] = m
                elif isinstance(m, n.Table):
                    info.tables[m.name] = m
                else:
                    wl = self.wordlist(f.path, m)
                    if wl is not None:
                        info.wordlists[m.name] = wl
            elif isinstance(m, n.Rule):
                if m.name in rule_names:
                    self.error("E005", f"rule `{m.name}` is defined twice in policy `{node.name}` "
                               f"(first at line {rule_names[m.name].line})", m.span)
                    continue
                rule_names[m.name] = m.span
                info.rules.append(self.rule_info(info, f.path, m))
        return info

    # ---- wordlists -------------------------------------------------------------------
    def wordlist(self, path: str, node: n.Wordlist) -> WordlistInfo | None:
        from rulekit.runtime.matcher import Entry, duplicate_entries, invalid_entries
        from rulekit.runtime.wordlist_file import read_wordlist_file

        mode = "normalized"
        matches = node.values("match")
        for extra in matches[1:]:
            self.error("E005", "`match` is given twice in this wordlist", extra.span)
        if matches:
            mode = matches[0].value
            if mode not in ("exact", "normalized", "evasive"):
                self.error("E009", f"unknown match mode `{mode}`", matches[0].span,
                           did_you_mean(mode, ["exact", "normalized", "evasive"]) or
                           "the modes are `exact`, `normalized` and `evasive`")
                mode = "normalized"
        entries: list[Any] = []
        for src in node.values("source"):
            target = self.resolve_source(path, src)
            if target is None:
                continue
            try:
                got, problems = read_wordlist_file(target)
            except (OSError, UnicodeDecodeError) as e:
                self.error("E006", f"cannot read wordlist file `{src.value}`: {e}", src.span)
                continue
            for line, problem in problems:
                self.error("E007", f"{src.value}:{line}: {problem}", src.span)
            entries += got
        for lit in node.values("words"):
            if not lit.value.strip():
                self.error("E007", "empty wordlist entry", lit.span)
                continue
            entries.append(Entry(lit.value))
        allow = [a.value for a in node.values("allow")]
        for a in node.values("allow"):
            if not a.value.strip():
                self.error("E007", "empty `allow` phrase", a.span)
        for _word, reason in invalid_entries(entries, allow, mode):
            self.error("E007", f"wordlist `{node.name}`: {reason}", node.span)
        try:
            dups = duplicate_entries(entries, allow, mode)
        except ValueError as e:
            self.error("E007", str(e), node.span)
            dups = []
        inline = node.values("words")
        sources = node.values("source")
        for word, reason in dups:
            # point at the written entry when it is inline (the later one), else at the source file
            spots = [lit.span for lit in inline if lit.value == word]
            span = spots[-1] if spots else (sources[0].span if sources else node.span)
            self.error("W103", f"wordlist `{node.name}`: {reason}", span)
        return WordlistInfo(node.name, entries, allow, mode, node)

    def resolve_source(self, path: str, lit: n.Literal) -> Path | None:
        """A wordlist `source` path: relative to the .rule file, inside the policy root (symlinks resolved)."""
        raw = lit.value
        base = Path(path).parent
        root = self.roots.get(path, base)
        target = (base / raw) if not os.path.isabs(raw) else Path(raw)
        try:
            real = target.resolve(strict=False)
            real_root = root.resolve()
        except (OSError, RuntimeError) as e:
            self.error("E006", f"cannot resolve `{raw}`: {e}", lit.span)
            return None
        if real != real_root and real_root not in real.parents:
            self.error("E006", f"wordlist source `{raw}` lies outside the policy root `{root}`", lit.span,
                       "keep wordlist files inside the directory of the policies (symlinks are followed)")
            return None
        if not real.is_file():
            self.error("E006", f"wordlist source `{raw}` does not exist" if not real.exists()
                       else f"wordlist source `{raw}` is not a file", lit.span)
            return None
        return real

    # ---- rules -------------------------------------------------------------------------
    def rule_info(self, p: PolicyInfo, path: str, node: n.Rule) -> RuleInfo:
        sev = node.of(n.Severity)
        whens = node.of(n.When)
        msgs = node.of(n.Message)
        evs = node.of(n.EvidenceClause)
        for extra in sev[1:]:
            self.error("E005", "`severity` is given twice in this rule", extra.span)
        for extra in whens[1:]:
            self.error("E005", "a rule has exactly one `when`", extra.span, "combine the conditions with `and`")
        for extra in msgs[1:]:
            self.error("E005", "`message` is given twice in this rule", extra.span)
        for extra in evs[1:]:
            self.error("E005", "`evidence` is given twice in this rule", extra.span)
        if not whens:
            self.error("E001", f"rule `{node.name}` has no `when` clause", node.span,
                       "add `when CONDITION`: the rule fires when it is true")
        if not msgs:
            self.error("E001", f"rule `{node.name}` has no `message` clause", node.span,
                       'add `message "..."`: what the report says when the rule fires')
        lets: dict[str, n.Let] = {}
        for let in node.of(n.Let):
            if let.name in lets:
                self.error("E005", f"`let {let.name}` is defined twice in rule `{node.name}`", let.span)
                continue
            lets[let.name] = let
        return RuleInfo(p.name, node, path, node.subject, sev[0].level if sev else "warning", lets,
                        whens[0] if whens else None, node.of(n.Unless), msgs[0] if msgs else None,
                        node.of(n.Action), evs[0] if evs else None)

    def check_policy_bodies(self, p: PolicyInfo) -> None:
        for t in p.tables.values():
            self.table(p, t)
        for name in p.lets:
            self.policy_let_type(p, name, p.lets[name].span)
        for r in p.rules:
            self.rule(p, r)

    def rule(self, p: PolicyInfo, r: RuleInfo) -> None:
        rt = self.registry.types.get(r.subject)
        if rt is None or not rt.is_subject:
            kinds = self.registry.subject_kinds()
            msg = f"unknown subject type `{r.subject}`" if rt is None else \
                f"`{r.subject}` is a nested record type, not a subject type (it has no `time` field)"
            self.error("E002", msg, r.node.span, did_you_mean(r.subject, kinds) or f"subjects: {', '.join(kinds)}")
            return
        env = Env(p, r.subject, r)
        cond_guards: set[str] = set()
        if r.when is not None:
            t = self.expr(r.when.expr, env)
            self.expect_bool(t, r.when.expr, "`when`")
            cond_guards |= facts(r.when.expr, True)
            if is_const_false(r.when.expr):
                self.error("W102", f"rule `{r.node.name}` can never fire: its `when` is always false", r.when.span)
        for u in r.unless:
            t = self.expr(u.expr, env.guarded(cond_guards))
            self.expect_bool(t, u.expr, "`unless`")
            if is_const_true(u.expr):
                self.error("W102", f"rule `{r.node.name}` can never fire: an `unless` is always true", u.span)
            cond_guards |= facts(u.expr, False)
        cond_guards |= self.window_key_guards(r)
        benv = env.guarded(cond_guards)
        # lets typed from here on (not yet used by `when`/`unless`) see the rule's null guards
        self._rule_guards[id(r)] = benv.guards
        for name in r.lets:
            self.rule_let_type(p, r, name, r.lets[name].span)
        if r.message is not None:
            self.template(r.message.template, benv)
        seen_actions: set[str] = set()
        for a in r.actions:
            names: set[str] = set()
            for arg in a.args:
                if arg.name in names:
                    self.error("E005", f"argument `{arg.name}` is given twice to action `{a.name}`", arg.span)
                names.add(arg.name)
                if isinstance(arg.expr, n.Template):
                    self.template(arg.expr, benv)
                else:
                    t = self.expr(arg.expr, benv)
                    self.require(t, arg.expr, benv)
            seen_actions.add(a.name)
        if r.evidence is not None:
            t = self.expr(r.evidence.expr, benv)
            if t.kind not in ("any",) and not (t.kind == "list" and t.elem is not None and t.elem.record == "match"):
                self.error("E004", f"`evidence` takes the matches of `find` (list<match>), not `{t}`",
                           r.evidence.span, "write `evidence find(listing.title, banned)` or a `let` bound to it")
            else:
                self.require(t, r.evidence.expr, benv)

    def window_key_guards(self, r: RuleInfo) -> set[str]:
        """Keys of the windows that `when` evaluates: past them, the keys are known non-null."""
        out: set[str] = set()
        if r.when is None:
            return out
        seen: set[str] = set()
        todo = [r.when.expr]
        while todo:
            for x in _walk(todo.pop()):
                if isinstance(x, n.Window):
                    for k in x.keys:
                        out |= {f"{r.subject}.{k}", f"this.{k}"}
                elif isinstance(x, n.Name) and x.name in r.lets and x.name not in seen:
                    seen.add(x.name)
                    todo.append(r.lets[x.name].expr)
        return out

    def template(self, tpl: n.Template, env: Env) -> None:
        for part in tpl.parts:
            if not isinstance(part, str):
                t = self.expr(part, env)
                self.require(t, part, env)
                if t.kind == "list" and t.elem is not None and t.elem.optional:
                    self.error("W101", f"the items of `{path_of(part) or 'this list'}` may be null; "
                               "a null item makes the rule undetermined", part.span,
                               "show a list of non-null values, e.g. map over matches that have one")
                if t.kind in ("regex", "wordlist"):
                    self.error("E004", f"a `{t.kind}` cannot be shown in a message", part.span)

    # ---- lets ----------------------------------------------------------------------------
    def policy_let_type(self, p: PolicyInfo, name: str, use: Span) -> T.Type:
        key = (p.name, "", name)
        return self._let(key, p.lets[name], Env(p, None, owner=name), use)

    def rule_let_type(self, p: PolicyInfo, r: RuleInfo, name: str, use: Span) -> T.Type:
        key = (p.name, r.node.name, name)
        guards = self._rule_guards.get(id(r), frozenset())
        return self._let(key, r.lets[name], Env(p, r.subject, r, (), guards, None, name), use)

    def _let(self, key: tuple[str, str, str], let: n.Let, env: Env, use: Span) -> T.Type:
        if key in self._let_types:
            return self._let_types[key]
        if key in self._let_stack:
            cycle = self._let_stack[self._let_stack.index(key):] + [key]
            path = " → ".join(k[2] for k in cycle)
            self.error("E008", f"`let {key[2]}` depends on itself: {path}", let.span,
                       "break the cycle: one of these lets must not refer back to the others")
            self._let_types[key] = T.ANY
            return T.ANY
        self._let_stack.append(key)
        try:
            t = self.expr(let.expr, env)
        finally:
            self._let_stack.pop()
        self._let_types.setdefault(key, t)
        return self._let_types[key]

    # ---- tables ----------------------------------------------------------------------------
    def table(self, p: PolicyInfo, t: n.Table) -> None:
        ptypes = []
        for prm in t.params:
            ty, ds = self.registry.resolve_type(prm.type)
            self.diags.extend(ds)
            ptypes.append(ty)
        rtypes = []
        for res in t.results:
            ty, ds = self.registry.resolve_type(res.type)
            self.diags.extend(ds)
            rtypes.append(ty)
        env = Env(p, None)
        seen_keys: dict[Any, int] = {}
        for row in t.rows:
            if row.keys is not None:
                for parts in row.keys:
                    if len(parts) != len(t.params):
                        self.error("E009", f"table `{t.name}` has {len(t.params)} parameters but this key has "
                                   f"{len(parts)} value(s)", row.span)
                        continue
                    for part, pt in zip(parts, ptypes, strict=False):
                        kt = self.expr(part, env)
                        if not isinstance(part, n.Literal):
                            self.error("E009", "table keys must be literals", part.span)
                        elif not T.assignable(kt, pt):
                            self.error("E004", f"key of type `{kt}` in a column of type `{pt}`", part.span)
                    kv = tuple(part.value for part in parts if isinstance(part, n.Literal))
                    if kv in seen_keys:
                        self.error("W102", f"this key of table `{t.name}` already matched on line "
                                   f"{seen_keys[kv]}: the row can never be chosen for it", row.span)
                    else:
                        seen_keys[kv] = row.span.line
            if len(row.values) != len(t.results):
                self.error("E009", f"table `{t.name}` returns {len(t.results)} value(s) but this row gives "
                           f"{len(row.values)}", row.span)
                continue
            for v, rt in zip(row.values, rtypes, strict=False):
                vt = self.expr(v, env)
                if not T.assignable(vt, rt):
                    self.error("E004", f"value of type `{vt}` where the table declares `{rt}`", v.span)

    def table_row_type(self, p: PolicyInfo, t: n.Table) -> T.Type:
        """A lookup's type: the single result, or the row record; optional without `else`."""
        has_else = any(r.keys is None for r in t.rows)
        if t.single:
            ty, _ = self.registry.resolve_type(t.results[0].type)
        else:
            name = f"{p.name}.{t.name}"
            if name not in self.registry.types:
                from rulekit.records import FieldInfo, RecordType

                rt = RecordType(name, builtin=False, span=t.span)
                for res in t.results:
                    ty, _ = self.registry.resolve_type(res.type)
                    rt.fields[res.name] = FieldInfo(res.name, ty, res.span)
                self.registry.types[name] = rt
            ty = T.record(name)
        return ty if has_else else ty.opt()

    # ---- expressions -----------------------------------------------------------------------
    def expect_bool(self, t: T.Type, e: n.Expr, where: str) -> None:
        if t.kind not in ("bool", "any"):
            self.error("E004", f"{where} needs a bool condition, but this is `{t}`", e.span,
                       "compare it, e.g. `x > 0`, or test it with `is not null`")

    def require(self, t: T.Type, e: n.Expr, env: Env) -> T.Type:
        """A value is needed here: warn (W101) when it may be null and is not guarded."""
        if t.optional and t.kind not in ("null", "any"):
            p = path_of(e)
            key = (e.span.file, e.span.line, e.span.col)
            if key not in self._w101_seen:
                self._w101_seen.add(key)
                if isinstance(e, n.Call) and self.refs.get(id(e)) is not None:
                    self.error("W101", f"table `{e.func}` has no `else` row, so this lookup may find nothing; "
                               "the rule is then undetermined", e.span,
                               f"add `else => …` to `{e.func}`, or bind the lookup to a `let` and guard it "
                               "with `is not null`")
                    return t.required()
                what = f"`{p}`" if p else "this value"
                guard = f"`{p} is not null and …`" if p else "`x is not null and …` on a `let`"
                self.error("W101", f"{what} may be null or missing here; the rule is then undetermined",
                           e.span, f"guard it with {guard}, or give a default with `{p or 'x'} ?? …`")
            return t.required()
        return t

    def expr(self, e: n.Expr, env: Env) -> T.Type:
        t = self._expr(e, env)
        if isinstance(e, (n.Name, n.Attr, n.Index, n.This)) and t.optional:
            p = path_of(e)
            if p is not None and p in env.guards:
                t = t.required()
        return self.set(e, t)

    def _expr(self, e: n.Expr, env: Env) -> T.Type:  # noqa: C901 - one dispatch over the node kinds
        if isinstance(e, n.Literal):
            return _literal_type(self, e)
        if isinstance(e, n.Template):
            self.template(e, env)
            return T.STRING
        if isinstance(e, n.This):
            if env.subject is None:
                self.error("E002", "`this` is only meaningful inside a rule", e.span)
                return T.ANY
            self.refs[id(e)] = Ref("subject", env.subject)
            return T.record(env.subject)
        if isinstance(e, n.Name):
            return self.name(e, env)
        if isinstance(e, n.Attr):
            return self.attr(e, env)
        if isinstance(e, n.Index):
            ot = self.require(self.expr(e.obj, env), e.obj, env)
            it = self.require(self.expr(e.index, env), e.index, env)
            if it.kind not in ("int", "any"):
                self.error("E004", f"a list index must be an int, not `{it}`", e.index.span)
            if ot.kind == "any":
                return T.ANY
            if ot.kind != "list":
                self.error("E004", f"only lists can be indexed, not `{ot}`", e.obj.span)
                return T.ANY
            assert ot.elem is not None
            return ot.elem.opt()
        if isinstance(e, n.ListExpr):
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
        if isinstance(e, n.Unary):
            if e.op == "not":
                t = self.require(self.expr(e.operand, env), e.operand, env)
                self.expect_bool(t, e.operand, "`not`")
                return T.BOOL
            t = self.require(self.expr(e.operand, env), e.operand, env)
            if t.kind not in ("int", "decimal", "money", "duration", "weight", "any"):
                self.error("E004", f"cannot negate a `{t}`", e.span)
                return T.ANY
            return t
        if isinstance(e, n.Binary):
            return self.binary(e, env)
        if isinstance(e, n.IsNull):
            self.expr(e.operand, env)
            return T.BOOL
        if isinstance(e, n.If):
            ct = self.require(self.expr(e.cond, env), e.cond, env)
            self.expect_bool(ct, e.cond, "`if`")
            a = self.expr(e.then, env.guarded(facts(e.cond, True)))
            b = self.expr(e.else_, env.guarded(facts(e.cond, False)))
            u = T.unify(a, b)
            if u is None:
                self.error("E004", f"the branches of `if` have different types: `{a}` and `{b}`", e.span)
                return T.ANY
            return u
        if isinstance(e, n.Quantifier):
            ct = self.require(self.expr(e.collection, env), e.collection, env)
            if ct.kind == "any":
                elem = T.ANY
            elif ct.kind != "list":
                self.error("E004", f"`{e.kind}` needs a list after `in`, not `{ct}`", e.collection.span)
                elem = T.ANY
            else:
                assert ct.elem is not None
                elem = ct.elem
            if e.var in self._names_in_scope(env):
                self.error("E005", f"`{e.var}` already names something here; choose another variable name",
                           e.span)
            bt = self.require(self.expr(e.body, env.with_var(e.var, elem)), e.body, env)
            self.expect_bool(bt, e.body, f"`{e.kind} … satisfies`")
            return T.BOOL
        if isinstance(e, n.Call):
            return self.call(e, env)
        if isinstance(e, n.Window):
            return self.window(e, env)
        raise AssertionError(e)

    def _names_in_scope(self, env: Env) -> set[str]:
        names = {k for k, _ in env.vars} | set(env.policy.lets) | set(env.policy.tables) | set(env.policy.wordlists)
        if env.rule is not None:
            names |= set(env.rule.lets)
        return names | set(self.registry.subject_kinds()) | {"now"}

    def name(self, e: n.Name, env: Env) -> T.Type:
        name = e.name
        vt = env.var(name)
        if vt is not None:
            self.refs[id(e)] = Ref("var", name)
            return vt
        if env.rule is not None and name in env.rule.lets:
            self.refs[id(e)] = Ref("rlet", name, env.rule.node.name)
            t = self.rule_let_type(env.policy, env.rule, name, e.span)
            return t
        if name in env.policy.lets:
            self.refs[id(e)] = Ref("let", name, env.policy.name)
            t = self.policy_let_type(env.policy, name, e.span)
            subj = self._let_subject(env.policy, name)
            if subj and env.subject and subj != {env.subject}:
                self.error("E004", f"`{name}` reads fields of `{', '.join(sorted(subj))}`, but this rule is on "
                           f"`{env.subject}`", e.span)
            return t
        if name in env.policy.tables:
            self.error("E009", f"`{name}` is a table: look it up with `{name}(key)`", e.span)
            return T.ANY
        if name in env.policy.wordlists:
            self.refs[id(e)] = Ref("wordlist", name, env.policy.name)
            return T.WORDLIST
        if name == "now":
            self.refs[id(e)] = Ref("now", "now")
            if env.rule is not None:
                env.rule.uses_now = True
            else:
                self._mark_let_now(env)
            return T.DATETIME
        rt = self.registry.types.get(name)
        if rt is not None and rt.is_subject:
            if env.window_kind == name:
                self.refs[id(e)] = Ref("item", name)
                return T.record(name)
            if env.subject is None:
                # a policy-level let reading a subject: evaluated per subject of that kind
                self.refs[id(e)] = Ref("subject", name)
                self._let_subject_add(env, name)
                return T.record(name)
            if name != env.subject:
                self.error("E002", f"`{name}` is not the subject of this rule; it is on `{env.subject}`", e.span,
                           f"write `{env.subject}` or `this`")
                return T.ANY
            self.refs[id(e)] = Ref("subject", name)
            return T.record(name)
        candidates = self._names_in_scope(env) | set(FUNCTIONS) | set(env.policy.tables)
        self.error("E002", f"unknown name `{name}`", e.span, did_you_mean(name, candidates))
        return T.ANY

    def _let_subject(self, p: PolicyInfo, name: str) -> set[str]:
        return p.let_subjects.get(name, set())

    def _let_subject_add(self, env: Env, kind: str) -> None:
        for key in self._let_stack:
            if key[1] == "":
                env.policy.let_subjects.setdefault(key[2], set()).add(kind)

    def _mark_let_now(self, env: Env) -> None:
        for key in self._let_stack:
            if key[1] == "":
                env.policy.let_subjects.setdefault(key[2], set())
                env.policy.let_subjects.setdefault("\0now", set()).add(key[2])

    def attr(self, e: n.Attr, env: Env) -> T.Type:
        ot = self.expr(e.obj, env)
        if ot.kind == "any":
            return T.ANY
        base = ot
        if base.optional:
            base = self.require(ot, e.obj, env)
        if base.kind == "list" and base.elem is not None and base.elem.kind == "record":
            ft = self.field(base.elem, e)
            return T.ANY if ft.kind == "any" else T.list_of(ft)
        if base.kind != "record":
            self.error("E004", f"`{_show(e.obj)}` is a `{base}`, which has no fields", e.span)
            return T.ANY
        return self.field(base, e)

    def field(self, rec: T.Type, e: n.Attr) -> T.Type:
        assert rec.record is not None
        rt = self.registry.types.get(rec.record)
        if rt is None:
            return T.ANY
        f = rt.fields.get(e.name)
        if f is None:
            label = rec.record if not rec.record.count(".") else f"table row of `{rec.record}`"
            self.error("E003", f"`{label}` has no field `{e.name}`", e.span,
                       did_you_mean(e.name, rt.fields) or f"fields: {', '.join(rt.fields)}")
            return T.ANY
        return f.type

    def binary(self, e: n.Binary, env: Env) -> T.Type:
        op = e.op
        if op in ("and", "or"):
            lt = self.require(self.expr(e.left, env), e.left, env)
            self.expect_bool(lt, e.left, f"`{op}`")
            g = facts(e.left, op == "and")
            rt = self.require(self.expr(e.right, env.guarded(g)), e.right, env)
            self.expect_bool(rt, e.right, f"`{op}`")
            return T.BOOL
        if op == "??":
            lt = self.expr(e.left, env)
            rt = self.expr(e.right, env)
            u = T.unify(lt.required(), rt)
            if u is None:
                self.error("E004", f"`??` needs both sides of one type: `{lt.required()}` and `{rt}`", e.span)
                return T.ANY
            return u.opt(rt.optional)
        lt = self.require(self.expr(e.left, env), e.left, env)
        rt = self.require(self.expr(e.right, env), e.right, env)
        if lt.kind == "any" or rt.kind == "any":
            return T.BOOL if op in ("==", "!=", "<", "<=", ">", ">=", "in", "not in") else T.ANY
        if op in ("in", "not in"):
            if rt.kind == "list":
                assert rt.elem is not None
                if not T.same_family(lt, rt.elem):
                    self.error("E004", f"`{op}` compares a `{lt}` with the items of a `{rt}`", e.span)
            elif rt.kind == "string":
                if lt.kind != "string":
                    self.error("E004", f"`{op}` on a string needs a string on the left, not `{lt}`", e.span)
            else:
                self.error("E004", f"`{op}` needs a list (or a string) on the right, not `{rt}`", e.right.span)
            return T.BOOL
        if op in ("==", "!="):
            if not T.same_family(lt, rt):
                self.error("E004", f"cannot compare `{lt}` with `{rt}`", e.span)
            return T.BOOL
        if op in ("<", "<=", ">", ">="):
            if not T.same_family(lt, rt):
                hint = _unit_hint(lt, rt)
                self.error("E004", f"cannot compare `{lt}` with `{rt}`", e.span, hint)
            elif lt.kind not in ("int", "decimal", "money", "duration", "weight", "date", "datetime", "string"):
                self.error("E004", f"`{lt}` values have no order; `{op}` cannot compare them", e.span)
            return T.BOOL
        result = arith(op, lt, rt)
        if result is None:
            self.error("E004", f"`{lt} {op} {rt}` is not defined", e.span, _unit_hint(lt, rt))
            return T.ANY
        return result

    # ---- calls -------------------------------------------------------------------------------
    def call(self, e: n.Call, env: Env) -> T.Type:
        f = e.func
        if f in env.policy.tables:
            return self.table_call(e, env.policy.tables[f], env)
        if f not in FUNCTIONS:
            if f in WINDOW_FUNCS:
                self.error("E009", f"`{f}` is a window aggregate: write `{f}(order.buyer_id by ip within 1h)`",
                           e.span)
            else:
                cands = list(FUNCTIONS) + list(env.policy.tables)
                self.error("E002", f"unknown function or table `{f}`", e.span,
                           did_you_mean(f, cands) or "functions: " + ", ".join(FUNCTIONS))
            for a in e.args:
                self.expr(a, env)
            return T.ANY
        args = [self.require(self.expr(a, env), a, env) for a in e.args]
        return self.builtin(e, f, args, env)

    def _arity(self, e: n.Call, want: int) -> bool:
        if len(e.args) != want:
            self.error("E009", f"`{e.func}` takes {want} argument{'s' if want != 1 else ''}, "
                       f"got {len(e.args)}", e.span)
            return False
        return True

    def _want(self, e: n.Call, i: int, t: T.Type, kinds: tuple[str, ...], what: str) -> bool:
        if t.kind == "any" or t.kind in kinds:
            return True
        self.error("E009", f"`{e.func}` needs {what} as argument {i + 1}, not `{t}`", e.args[i].span)
        return False

    def builtin(self, e: n.Call, f: str, a: list[T.Type], env: Env) -> T.Type:  # noqa: C901
        if f == "len":
            if self._arity(e, 1):
                self._want(e, 0, a[0], ("string", "list"), "a string or a list")
            return T.INT
        if f in ("lower", "upper", "trim"):
            if self._arity(e, 1):
                self._want(e, 0, a[0], ("string",), "a string")
            return T.STRING
        if f in ("starts_with", "ends_with", "contains"):
            if self._arity(e, 2):
                self._want(e, 0, a[0], ("string",), "a string")
                self._want(e, 1, a[1], ("string",), "a string")
            return T.BOOL
        if f == "matches":
            if self._arity(e, 2):
                self._want(e, 0, a[0], ("string",), "a string")
                self._want(e, 1, a[1], ("regex",), 'a regex literal `re"…"`')
            return T.BOOL
        if f == "find":
            if self._arity(e, 2):
                self._want(e, 0, a[0], ("string",), "a string")
                self._want(e, 1, a[1], ("wordlist",), "a wordlist name")
            return T.list_of(T.MATCH)
        if f in ("ceil", "floor"):
            if self._arity(e, 1):
                self._want(e, 0, a[0], ("int", "decimal"), "a number (divide money by ¥1 first)")
            return T.INT
        if f == "round":
            if len(e.args) not in (1, 2):
                self.error("E009", f"`round` takes 1 or 2 arguments, got {len(e.args)}", e.span)
                return T.ANY
            if len(a) == 2:
                self._want(e, 1, a[1], ("int",), "an int number of places")
            self._want(e, 0, a[0], ("int", "decimal", "money"), "a number or money")
            return T.MONEY if a[0].kind == "money" else T.DECIMAL
        if f in ("min", "max"):
            if not e.args:
                self.error("E009", f"`{f}` needs at least one argument", e.span)
                return T.ANY
            if len(a) == 1:
                if a[0].kind == "list" and a[0].elem is not None:
                    return a[0].elem.opt()
                if a[0].kind != "any":
                    self.error("E009", f"`{f}` of one argument needs a list, not `{a[0]}`", e.args[0].span)
                return T.ANY
            out: T.Type | None = a[0]
            for i, t in enumerate(a[1:], 1):
                u = T.unify(out, t) if out else None
                if u is None:
                    self.error("E009", f"`{f}` needs arguments of one type: `{a[0]}` and `{t}`", e.args[i].span)
                    return T.ANY
                out = u
            assert out is not None
            if out.kind not in ("int", "decimal", "money", "duration", "weight", "date", "datetime", "any"):
                self.error("E009", f"`{f}` needs ordered values, not `{out}`", e.span)
            return out
        if f == "abs":
            if self._arity(e, 1):
                self._want(e, 0, a[0], ("int", "decimal", "money", "duration", "weight"), "a number")
                return a[0]
            return T.ANY
        if f in ("hours", "minutes", "days"):
            if self._arity(e, 1):
                self._want(e, 0, a[0], ("duration",), "a duration")
            return T.DECIMAL
        if f == "date":
            if self._arity(e, 1):
                self._want(e, 0, a[0], ("datetime",), "a datetime")
            return T.DATE
        if f == "join":
            if self._arity(e, 2):
                self._want(e, 0, a[0], ("list",), "a list")
                self._want(e, 1, a[1], ("string",), "a string separator")
            return T.STRING
        if f == "sum":
            if self._arity(e, 1) and self._want(e, 0, a[0], ("list",), "a list"):
                el = a[0].elem if a[0].kind == "list" else None
                if el is not None and el.kind not in SUMMABLE + ("any",):
                    self.error("E009", f"`sum` needs a list of numbers, money, weights or durations, not `{a[0]}`",
                               e.args[0].span)
                    return T.ANY
                return el.required() if el is not None else T.ANY
            return T.ANY
        if f == "count":
            if self._arity(e, 1):
                self._want(e, 0, a[0], ("list",), "a list (for a window: `count(order by ip within 10m)`)")
            return T.INT
        raise AssertionError(f)

    def table_call(self, e: n.Call, t: n.Table, env: Env) -> T.Type:
        self.refs[id(e)] = Ref("table", t.name, env.policy.name)
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
        return self.table_row_type(env.policy, t)

    def window(self, e: n.Window, env: Env) -> T.Type:
        if e.func not in WINDOW_FUNCS:
            self.error("E009", f"`{e.func}(… by … within …)` is not a window aggregate", e.span,
                       "windows are `count`, `sum` and `distinct`")
            return T.ANY
        kind = env.subject
        roots = {x.name for x in _walk(e.value) if isinstance(x, n.Name)}
        subj_roots = [r for r in roots if r in self.registry.types and self.registry.types[r].is_subject]
        if kind is None:
            kind = subj_roots[0] if subj_roots else None
        if kind is None:
            self.error("E009", "cannot tell which subject type this window aggregates", e.span,
                       "name the record: `count(order by ip within 10m)`")
            return T.ANY
        for r in subj_roots:
            if r != kind:
                self.error("E009", f"a window in a rule on `{kind}` aggregates `{kind}` subjects, not `{r}`", e.span)
                return T.ANY
        if env.subject is None:
            self._let_subject_add(env, kind)
        inner = Env(env.policy, env.subject or kind, env.rule, env.vars, frozenset(), kind, env.owner)
        self.refs[id(e)] = Ref("window", kind)
        if e.func == "count":
            if not (isinstance(e.value, n.Name) and e.value.name == kind):
                self.error("E009", f"`count` counts subjects: write `count({kind} by …)`", e.value.span)
            else:
                self.expr(e.value, inner)
            out = T.INT
        else:
            vt = self.require(self.expr(e.value, inner), e.value, inner)
            if e.func == "sum":
                if vt.kind not in SUMMABLE + ("any",):
                    self.error("E009", f"`sum` needs money, a number, a weight or a duration, not `{vt}`",
                               e.value.span)
                    out = T.ANY
                else:
                    out = vt
            else:
                if vt.kind in ("list", "record"):
                    self.error("E009", f"`distinct` counts scalar values, not `{vt}`", e.value.span)
                out = T.INT
        rt = self.registry.types[kind]
        for k in e.keys:
            f = rt.fields.get(k)
            if f is None:
                self.error("E003", f"`{kind}` has no field `{k}` to group the window by", e.span,
                           did_you_mean(k, rt.fields) or None)
            elif f.type.kind in ("list", "record"):
                self.error("E009", f"cannot group a window by `{k}`, a `{f.type}`", e.span)
        wt = self.expr(e.within, Env(env.policy, None))
        if wt.kind != "any" and (wt.kind != "duration" or not _is_const(e.within)):
            self.error("E009", "`within` needs a constant duration, e.g. `within 10m`", e.within.span)
        elif isinstance(e.within, n.Literal) and e.within.value.total_seconds() <= 0:
            self.error("E009", "`within` must be longer than 0s", e.within.span)
        if e.where is not None:
            wt2 = self.require(self.expr(e.where, inner), e.where, inner)
            self.expect_bool(wt2, e.where, "`where`")
        return out

    # ---- tests -----------------------------------------------------------------------------
    def check_tests(self) -> None:
        rule_ids = {r.id for p in self.policies for r in p.rules}
        kinds = self.registry.subject_kinds()
        names: dict[tuple[str, str], Span] = {}
        for path, t in self.tests:
            key = (path, t.name)
            if key in names:
                self.error("E005", f"test `{t.name}` is defined twice in this file", t.span)
            names[key] = t.span
            ats = [c for c in t.clauses if isinstance(c, n.At)]
            for extra in ats[1:]:
                self.error("E005", "`at` is given twice in this test", extra.span)
            givens = [c for c in t.clauses if isinstance(c, n.Given)]
            if not givens:
                self.error("E001", f"test `{t.name}` has no `given`", t.span,
                           'add `given KIND {"id": …}` with the subject to evaluate')
            for g in givens:
                if g.kind not in kinds:
                    self.error("E002", f"unknown subject type `{g.kind}`", g.span, did_you_mean(g.kind, kinds))
                elif g.stream and not all(isinstance(x, dict) for x in g.value):
                    self.error("E004", "a `given` stream holds JSON objects only", g.span)
                elif not g.stream and not isinstance(g.value, dict):
                    self.error("E004", "`given` needs a JSON object (or a list of them)", g.span)
            for c in t.clauses:
                if isinstance(c, n.Expect):
                    if c.what in ("violation", "error") and c.target is not None and c.target not in rule_ids:
                        self.error("E002", f"unknown rule `{c.target}`", c.span, did_you_mean(c.target, rule_ids))
                    if c.what == "decision" and c.target not in ("block", "review", "allow"):
                        self.error("E009", f"unknown decision `{c.target}`", c.span,
                                   "decisions are `block`, `review` and `allow`")


# ---- helpers ---------------------------------------------------------------------------


def _moment(lit: n.Literal | None) -> datetime | None:
    if lit is None:
        return None
    if lit.kind == "date":
        return values.date_start(lit.value)
    return lit.value


def _literal_type(ck: Checker, e: n.Literal) -> T.Type:
    k = e.kind
    if k == "regex":
        try:
            regex.compile(e.value)
        except regex.error as err:
            ck.error("E007", f"invalid regex: {err}", e.span)
        return T.REGEX
    return {
        "string": T.STRING, "int": T.INT, "decimal": T.DECIMAL, "percent": T.DECIMAL, "money": T.MONEY,
        "duration": T.DURATION, "weight": T.WEIGHT, "date": T.DATE, "datetime": T.DATETIME, "bool": T.BOOL,
        "null": T.NULL,
    }[k]


def arith(op: str, a: T.Type, b: T.Type) -> T.Type | None:
    """The result type of `a op b` for + - * / % (LANGUAGE §3), or None when undefined."""
    ka, kb = a.kind, b.kind
    num = ("int", "decimal")
    if op in ("+", "-"):
        if ka in num and kb in num:
            return T.INT if ka == kb == "int" else T.DECIMAL
        if ka == kb and ka in ("money", "duration", "weight"):
            return a.required()
        if ka == "datetime" and kb == "duration":
            return T.DATETIME
        if op == "+" and ka == "duration" and kb == "datetime":
            return T.DATETIME
        if op == "-" and ka == kb == "datetime":
            return T.DURATION
        if op == "+" and ka == kb == "string":
            return T.STRING
        if ka == "date" and kb == "duration":
            return T.DATE
        if op == "-" and ka == kb == "date":
            return T.DURATION
        return None
    if op == "*":
        if ka in num and kb in num:
            return T.INT if ka == kb == "int" else T.DECIMAL
        if ka in ("money", "duration", "weight") and kb in num:
            return a.required()
        if kb in ("money", "duration", "weight") and ka in num:
            return b.required()
        return None
    if op == "/":
        if ka in num and kb in num:
            return T.DECIMAL
        if ka in ("money", "weight", "duration") and kb in num:
            return a.required()
        if ka == kb and ka in ("money", "weight", "duration"):
            return T.DECIMAL
        return None
    if op == "%":
        if ka in num and kb in num:
            return T.INT if ka == kb == "int" else T.DECIMAL
        return None
    return None


def _unit_hint(a: T.Type, b: T.Type) -> str | None:
    units = {"money": "¥5", "weight": "5kg", "duration": "5m", "int": "5", "decimal": "0.5"}
    if a.kind in units and b.kind in units and a.kind != b.kind:
        return f"a `{a.kind}` needs a `{a.kind}` on the other side, e.g. `{units[a.kind]}`"
    return None


def path_of(e: Any) -> str | None:
    """`order.paid_at`, `t.free_over`, `x`: the null-guard key of an access path (None otherwise)."""
    if isinstance(e, n.Name):
        return e.name
    if isinstance(e, n.This):
        return "this"
    if isinstance(e, n.Attr):
        base = path_of(e.obj)
        return None if base is None else f"{base}.{e.name}"
    if isinstance(e, n.Index) and isinstance(e.index, n.Literal):
        base = path_of(e.obj)
        return None if base is None else f"{base}[{e.index.text}]"
    return None


def facts(e: Any, truth: bool) -> set[str]:
    """Paths known to be non-null when `e` evaluates to `truth`."""
    if isinstance(e, n.IsNull):
        p = path_of(e.operand)
        if p is None:
            return set()
        alias = {p, p.replace("this.", "", 1)} if p.startswith("this.") else {p}
        # `x is not null` true → x non-null; `x is null` false → x non-null
        if e.negated == truth:
            return alias
        return set()
    if isinstance(e, n.Unary) and e.op == "not":
        return facts(e.operand, not truth)
    if isinstance(e, n.Binary):
        if e.op == "and" and truth:
            return facts(e.left, True) | facts(e.right, True)
        if e.op == "or" and not truth:
            return facts(e.left, False) | facts(e.right, False)
    return set()


def _walk(e: Any) -> list[Any]:
    out = [e]
    for f in getattr(e, "__dataclass_fields__", {}):
        if f == "span":
            continue
        v = getattr(e, f)
        if isinstance(v, tuple):
            for x in v:
                if hasattr(x, "__dataclass_fields__"):
                    out += _walk(x)
        elif hasattr(v, "__dataclass_fields__"):
            out += _walk(v)
    return out


def _is_const(e: Any) -> bool:
    return all(not isinstance(x, (n.Name, n.This, n.Call, n.Window, n.Attr)) for x in _walk(e))


def is_const_false(e: Any) -> bool:
    """Whether a condition is false whatever the input (literal `false`, `not true`, `false and …`)."""
    v = const_bool(e)
    return v is False


def is_const_true(e: Any) -> bool:
    """Whether a condition is true whatever the input."""
    return const_bool(e) is True


def const_bool(e: Any) -> bool | None:
    """Fold a condition over literals: True, False or None (not constant)."""
    if isinstance(e, n.Literal) and e.kind == "bool":
        return bool(e.value)
    if isinstance(e, n.Unary) and e.op == "not":
        v = const_bool(e.operand)
        return None if v is None else not v
    if isinstance(e, n.Binary):
        if e.op in ("and", "or"):
            a, b = const_bool(e.left), const_bool(e.right)
            if e.op == "and":
                if a is False or b is False:
                    return False
                return True if a is True and b is True else None
            if a is True or b is True:
                return True
            return False if a is False and b is False else None
        if e.op in ("==", "!=", "<", "<=", ">", ">=") and isinstance(e.left, n.Literal) and \
                isinstance(e.right, n.Literal) and e.left.kind == e.right.kind and e.left.kind != "null":
            import operator

            ops = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
                   ">=": operator.ge}
            try:
                return bool(ops[e.op](e.left.value, e.right.value))
            except TypeError:
                return None
    return None


def _show(e: Any) -> str:
    return path_of(e) or "this value"


def check(files: list[n.SourceFile], sources: dict[str, str], roots: dict[str, Path]) -> Program:
    """Check parsed files together (one policy set)."""
    return Checker(files, sources, roots).run()
