"""Checks a parsed policy set together: declarations, types and references, lints and tests, then freezes it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from functools import partial
from types import MappingProxyType
from typing import Any

from rulekit import types as T
from rulekit.diagnostics import Diagnostic, Span
from rulekit.records.registry import RegistryBuilder
from rulekit.runtime.report import RuleDescriptor
from rulekit.syntax import nodes as n
from rulekit.syntax.visitor import walk
from rulekit.wordlist import Entry

from .bodies import check_policy
from .declarations import Declarations, PolicyDraft, RuleDraft, add_diagnostic
from .lints import unused_lets
from .program import CheckedPolicy, CheckedRule, CheckedWordlist, Program
from .tests import check_tests
from .typer import Typer

__all__ = ["check"]


def check(files: tuple[n.SourceFile, ...], texts: Mapping[str, str],
          wordlists: Mapping[tuple[str, str], tuple[Entry, ...]], builtin: n.SourceFile,
          diagnostics: list[Diagnostic] = (),  # type: ignore[assignment]
          absent: Mapping[str, frozenset[str]] | None = None) -> Program:
    """Check parsed files together as one policy set (their wordlist files already read by the loader).

    `absent` names built-in fields that the input source does not have (an adapter's `[absent]`): they are
    optional in this program, so the rules that read them are undetermined on such records (LANGUAGE §4.3)."""
    diags = list(diagnostics)
    error = partial(add_diagnostic, diags)
    records = RegistryBuilder(absent)
    problems = records.declare([i for i in builtin.items if isinstance(i, n.RecordDecl)], builtin=True)
    if problems:
        raise RuntimeError(f"the built-in record declarations do not check: {problems}")
    diags += records.declare([i for f in files for i in f.items if isinstance(i, n.RecordDecl)])
    decls = Declarations(error, wordlists)
    decls.collect(files, records)
    registry = records.build()
    typer = Typer(registry, diags)
    for p in decls.policies:
        check_policy(typer, p)
    unused_lets(decls.policies, typer.refs.values(), error)
    rule_ids = {r.id for p in decls.policies for r in p.rules}
    check_tests(decls.tests, rule_ids, registry.subject_kinds(), error)
    typed = _Annotator(typer.types, typer.refs)
    policies = tuple(_freeze_policy(p, typed) for p in decls.policies)
    tests = tuple((path, typed(t)) for path, t in decls.tests)
    return Program(registry, policies, tests, MappingProxyType(dict(texts)), tuple(diags))


class _Annotator:
    """Copies nodes, giving every typed expression its `type` and `ref` (the originals stay as parsed)."""

    def __init__(self, types: dict[int, T.Type], refs: dict[int, n.Ref]):
        self.types, self.refs = types, refs
        self.memo: dict[int, Any] = {}

    def __call__(self, node: Any) -> Any:
        key = id(node)
        done = self.memo.get(key)
        if done is not None:
            return done
        changes: dict[str, Any] = {}
        for f in fields(node):
            if f.name in ("span", "type", "ref"):
                continue
            v = getattr(node, f.name)
            nv = self.value(v)
            if nv is not v:
                changes[f.name] = nv
        if key in self.types or key in self.refs:
            changes["type"] = self.types.get(key)
            changes["ref"] = self.refs.get(key)
        new = replace(node, **changes) if changes else node
        self.memo[key] = new
        return new

    def value(self, v: Any) -> Any:
        if isinstance(v, tuple):
            items = tuple(self.value(x) for x in v)
            return v if all(a is b for a, b in zip(items, v, strict=True)) else items
        if hasattr(v, "__dataclass_fields__") and not isinstance(v, (Span, T.Type, n.Ref)):
            return self(v)
        return v


def _freeze_policy(p: PolicyDraft, typed: _Annotator) -> CheckedPolicy:
    lets = MappingProxyType({k: typed(v) for k, v in p.lets.items()})
    tables = MappingProxyType({k: typed(v) for k, v in p.tables.items()})
    wordlists = MappingProxyType({k: CheckedWordlist(w.name, tuple(w.entries), tuple(w.allow), w.mode, typed(w.node),
                                                    w.variants, w.scope)
                                  for k, w in p.wordlists.items()})
    rules = tuple(_freeze_rule(r, typed, lets) for r in p.rules)
    version = next((m.value for m in p.node.of(n.Version)), None)
    return CheckedPolicy(p.name, typed(p.node), p.file, p.effective, lets, tables, wordlists, rules, version)


def _freeze_rule(r: RuleDraft, typed: _Annotator, policy_lets: Mapping[str, n.Let]) -> CheckedRule:
    lets = MappingProxyType({k: typed(v) for k, v in r.lets.items()})
    when = typed(r.when) if r.when is not None else None
    unless = tuple(typed(u) for u in r.unless)
    message = typed(r.message) if r.message is not None else None
    actions = tuple(typed(a) for a in r.actions)
    evidence = typed(r.evidence) if r.evidence is not None else None
    roots = [c for c in (when, *unless, message, *actions, evidence) if c is not None] + list(lets.values())
    d = RuleDescriptor(r.id, r.policy, r.node.name, r.node.title.value if r.node.title else None, r.subject,
                       r.severity, r.file, r.node.span.line, r.message.template.text[1:-1] if r.message else "",
                       _reads_now(roots, lets, policy_lets))
    return CheckedRule(d, typed(r.node), lets, when, unless, message, actions, evidence)


def _reads_now(roots: list[Any], rule_lets: Mapping[str, n.Let], policy_lets: Mapping[str, n.Let]) -> bool:
    """Whether a rule reads `now`, directly or through the lets it uses."""
    todo, seen = list(roots), set()
    while todo:
        for x in walk(todo.pop()):
            ref = getattr(x, "ref", None)
            if ref is None or not isinstance(x, n.Name):
                continue
            if ref.kind == "now":
                return True
            lets = rule_lets if ref.kind == "rlet" else policy_lets if ref.kind == "let" else None
            if lets is not None and (ref.kind, x.name) not in seen and x.name in lets:
                seen.add((ref.kind, x.name))
                todo.append(lets[x.name])
    return False
