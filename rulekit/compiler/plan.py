"""The compiled plan of a policy set: generated evaluators and validators, constants, automata, window specs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from rulekit import cache
from rulekit.checker import CheckedRule, Program
from rulekit.diagnostics import PolicyError
from rulekit.records.validate import Validator, compile_subsets, compile_validators
from rulekit.runtime.fused import fuse
from rulekit.runtime.matcher import WordlistMatcher
from rulekit.runtime.report import RuleDescriptor

from . import image
from .constants import BASE_GLOBALS, Constants, wordlist_name
from .windowplan import WindowPlan

if TYPE_CHECKING:
    pass


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
    #: per kind, the fields its rules and the windows over it read (`lean_fields`)
    lean: Mapping[str, tuple[str, ...] | None] = field(default_factory=dict, repr=False, compare=False)

    def lean_fields(self, kind: str) -> tuple[str, ...] | None:
        """The fields of `kind` its rules and the windows over it read, with `id` and the time field; None when
        the kind's records are needed whole (a members window keeps them, or a rule uses a subject as a whole)."""
        return self.lean.get(kind)

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
        from .generate import compile_expression  # only for explanations

        return compile_expression(self.program, self.constants, self.windows, expr, rule)


def compile_program(program: Program) -> Plan:
    """Compile a checked program (raises PolicyError if it has errors). The generated sources and their constants
    are kept in the user cache (`image`) for a program read through it: a later process rebuilds only the
    wordlists' automata and the validators."""
    if not program.ok:
        raise PolicyError(list(program.diagnostics), program.sources)
    consts = Constants(dict(BASE_GLOBALS))
    key = image.key_of(program)
    stored = image.read(key) if key is not None else None
    if stored is not None:
        context_only = stored.context_only
    else:
        from rulekit.checker.reads import context_only_wordlists  # compiling: the syntax trees are read

        context_only = context_only_wordlists(program.policies)
    _bind_wordlists(program, consts, context_only)
    made = image.resolve(stored, program, consts, BASE_GLOBALS) if stored is not None else None
    if made is None:
        from .generate import generate  # no image: the code is generated from the trees

        made = generate(program, consts)
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
    return Plan(program, MappingProxyType(kinds), made.windows, compile_validators(program.registry), consts,
                lean=made.lean)


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


