"""The compiled plan of a policy set: generated evaluators and validators, constants, automata, window specs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from rulekit import cache
from rulekit.checker import CheckedPolicy, CheckedRule, Program
from rulekit.checker.reads import context_only_wordlists, counted, fields_read, reads_whole_subject
from rulekit.diagnostics import PolicyError
from rulekit.records.validate import Validator, compile_subsets, compile_validators
from rulekit.runtime import support
from rulekit.runtime.fused import fuse
from rulekit.runtime.matcher import WordlistMatcher
from rulekit.runtime.report import RuleDescriptor
from rulekit.runtime.windows.store import WindowSpec
from rulekit.syntax import nodes as n
from rulekit.syntax.exprformat import format_expr
from rulekit.syntax.visitor import walk

from . import image
from .codegen import build_tables, kind_source, observe_source
from .constants import Constants
from .expression import BASE_GLOBALS, ExpressionCompiler, Scope, wordlist_name
from .members import member_fields


@dataclass(frozen=True, slots=True)
class WindowPlan:
    """One distinct window aggregate: its store spec, keys, and what it keeps per subject."""

    id: str  # `kind:the aggregate as formatted`: identical aggregates share one window
    func: str
    within_us: int
    keys: tuple[str, ...]
    kind: str  # the subject type it aggregates
    index: int  # generated code reads its handle as `W[index]`
    #: for a `where` that reads `this` (filtered at query time): the item fields each entry keeps, else None;
    #: for a members window, the fields of its subjects the program reads (None: it keeps whole records)
    projection: tuple[str, ...] | None
    node: n.Window = field(repr=False)
    #: where it was written (its value and `where` may read policy lets)
    policy: CheckedPolicy | None = field(default=None, repr=False)

    @property
    def members(self) -> bool:
        """A `members` window: it keeps (a reference to) each subject it holds, and lists them."""
        return self.func == "members"

    @property
    def filters_at_query(self) -> bool:
        """Its `where` reads `this`, so it is applied when the window is read, not when a subject joins."""
        return self.node.where is not None and any(isinstance(x, n.This) for x in walk(self.node.where))

    @property
    def spec(self) -> WindowSpec:
        """The store spec: a query-time window keeps its projections, a members window its subjects; others keep
        only what `func` needs."""
        return WindowSpec(self.id, self.func, self.within_us, self.kind,
                          keeps_values=self.projection is not None or self.members)

    @property
    def queried_projection(self) -> bool:
        """A count, sum or distinct window filtered at query time over the projections it keeps."""
        return self.projection is not None and not self.members


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


@dataclass(frozen=True, slots=True)
class KindPlan:
    """The compiled evaluator of one subject kind."""

    kind: str
    time_field: str
    rules: tuple[RuleDescriptor, ...]  # in report order; generated code names them by index
    source: str = field(repr=False)
    evaluate: Callable[..., Any]  # (record, now, W, t_us) -> (violations, errors)
    observe: Callable[..., Any]  # (record, W, t_us) -> None: feeds the window store
    windows: tuple[WindowPlan, ...]
    uses_regex: bool = False  # a rule calls `matches()`: each record gets a regex time budget


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything evaluation needs, built once at load; read-only afterwards."""

    program: Program
    kinds: Mapping[str, KindPlan]
    windows: tuple[WindowPlan, ...]
    validators: Mapping[str, Validator]
    constants: Constants
    _read: dict[str, Validator] = field(default_factory=dict, repr=False, compare=False)
    _lean: dict[str, tuple[str, ...] | None] = field(default_factory=dict, repr=False, compare=False)

    def lean_fields(self, kind: str) -> tuple[str, ...] | None:
        """The fields of `kind` its rules and the windows over it read, with `id` and the time field; None when
        the kind's records are needed whole (a members window keeps them, or a rule uses a subject as a whole)."""
        if not self._lean:
            by_kind: dict[str, list[CheckedRule]] = {}
            for r in self.program.rules():
                by_kind.setdefault(r.subject, []).append(r)
            self._lean.update({k: _lean_fields(self.program, p, by_kind.get(k, []), self.windows)
                               for k, p in self.kinds.items()})
        return self._lean.get(kind)

    def read_validators(self) -> Mapping[str, Validator]:
        """Per subject kind, the validator of `validate="read"`: only the fields `lean_fields` names (the whole
        record where it names none). Built when first asked for."""
        if not self._read:
            lean = {k: f for k in self.kinds if (f := self.lean_fields(k)) is not None}
            subsets = compile_subsets(self.validators, self.program.registry, lean)
            self._read.update({k: subsets.get(k, self.validators[k]) for k in self.kinds})
        return MappingProxyType(self._read)

    def compile_expression(self, expr: Any, rule: CheckedRule) -> Callable[..., Any]:
        """A function `(record, now, W, t_us) -> value` of one typed expression of `rule`, compiled into a copy
        of this plan's namespace: compiling it never changes what the plan evaluates."""
        consts = self.constants.derive("x")
        table = WindowTable(self.program)
        table.by_id.update({w.id: w for w in self.windows})
        table.frozen = True
        ec = ExpressionCompiler(self.program, consts, table)
        s = Scope(rule.subject, self.program.policy(rule.policy), rule, cache_lets=False)
        src = ec.expr(expr, s)
        return eval(f"lambda r, now, W, tu: {src}", consts.namespace)  # type: ignore[no-any-return]  # noqa: S307


def compile_program(program: Program) -> Plan:
    """Compile a checked program (raises PolicyError if it has errors). The generated sources and their constants
    are kept in the user cache (`image`) for a program read through it: a later process rebuilds only the
    wordlists' automata and the validators."""
    if not program.ok:
        raise PolicyError(list(program.diagnostics), program.sources)
    consts = Constants(dict(BASE_GLOBALS))
    key = image.key_of(program)
    stored = image.read(key) if key is not None else None
    context_only = stored.context_only if stored is not None else context_only_wordlists(program.policies)
    _bind_wordlists(program, consts, context_only)
    made = image.resolve(stored, program, consts, BASE_GLOBALS) if stored is not None else None
    if made is None:
        made = _generate(program, consts)
        if key is not None:
            image.store(key, context_only, made, program, consts, BASE_GLOBALS)
    else:
        consts.adopt(made.constants, made.next_name)
    by_kind: dict[str, list[CheckedRule]] = {}
    for r in program.rules():
        by_kind.setdefault(r.subject, []).append(r)
    kinds: dict[str, KindPlan] = {}
    for kind, src in made.sources.items():
        ns: dict[str, Any] = {}
        exec(cache.compiled(src, f"<rulekit:{kind}>"), consts.namespace, ns)  # noqa: S102 - our own generated code
        rt = program.registry.types[kind]
        assert rt.time_field is not None
        mine = tuple(w for w in made.windows if w.kind == kind)
        kinds[kind] = KindPlan(kind, rt.time_field, tuple(r.descriptor for r in by_kind.get(kind, [])), src,
                               ns["evaluate"], ns["observe"], mine, made.uses_regex[kind])
    return Plan(program, MappingProxyType(kinds), made.windows, compile_validators(program.registry), consts)


def _bind_wordlists(program: Program, consts: Constants, context_only: frozenset[tuple[str, str]]) -> None:
    """A matcher for each wordlist, bound under its name, and their automata fused (those that only context
    filters search, `context_only`, apart)."""
    matchers = []
    context: list[WordlistMatcher] = []
    for pol in program.policies:
        for wl in pol.wordlists.values():
            matchers.append(WordlistMatcher(wl.entries, wl.allow, wl.mode, variants=wl.variants, scope=wl.scope,
                                            checked=True))
            consts.bind(wordlist_name(pol.name, wl.name), matchers[-1])
            if (pol.name, wl.name) in context_only:
                context.append(matchers[-1])
    # One automaton per mode for the wordlists searched in every record, another for those only context filters
    # search (in the texts of hits): a title is searched once for each group, and a record without hits never
    # pays for the context lists' keys.
    fuse([m for m in matchers if not any(m is c for c in context)])
    fuse(context)


def _generate(program: Program, consts: Constants) -> image.PlanImage:
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
    # (not `__builtins__`, which evaluating constants puts in the namespace: every exec puts it back)
    made = {k: v for k, v in consts.namespace.items() if k not in bound and k != "__builtins__"}
    return image.PlanImage(MappingProxyType(sources), MappingProxyType(uses_regex), windows, made,
                           consts.count())


def _lean_fields(program: Program, plan: KindPlan, rules: list[CheckedRule], windows: tuple[WindowPlan, ...]
                 ) -> tuple[str, ...] | None:
    """The fields of a kind that its rules and the windows over it read (with `id` and the time field), for
    `validate="read"`; None when the kind is validated whole anyway: a members window keeps its records, or a rule
    or window uses a subject as a whole."""
    read = {"id", plan.time_field}
    for r in rules:
        pol = program.policy(r.policy)
        if reads_whole_subject(pol, r):
            return None
        read |= fields_read(pol, r)
    for w in windows:
        if w.kind != plan.kind:
            continue
        if w.members:
            return None
        read |= set(w.keys)
        nodes = list(walk(w.node))
        attrs = {id(x.obj) for x in nodes if isinstance(x, n.Attr)} | counted(nodes)
        for x in nodes:
            if isinstance(x, n.Attr) and isinstance(x.obj, n.Name | n.This) and x.obj.ref is not None \
                    and x.obj.ref.target == plan.kind:
                read.add(x.name)
            elif isinstance(x, n.Name | n.This) and id(x) not in attrs and x.ref is not None \
                    and x.ref.target == plan.kind and x.ref.kind in ("subject", "item"):
                return None
    fields = program.registry.types[plan.kind].fields
    return tuple(f for f in fields if f in read)
