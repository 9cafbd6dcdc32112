"""The checker's hand-off: a frozen, resolved program whose expression nodes carry their types and references."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rulekit import types as T
from rulekit.categories import CategoryScope
from rulekit.diagnostics import Diagnostic
from rulekit.records.registry import RecordRegistry
from rulekit.runtime.report import RuleDescriptor
from rulekit.wordlist import Entry

from .deferred import Deferred, evolve

if TYPE_CHECKING:
    from rulekit.syntax import nodes as n


@dataclass(frozen=True, slots=True)
class CheckedWordlist(Deferred):
    """A wordlist's entries (source files and inline words), allow phrases and match mode."""

    _deferred = ("node",)

    name: str
    entries: tuple[Entry, ...]
    allow: tuple[str, ...]
    mode: str
    node: n.Wordlist
    variants: tuple[str, ...] = ()
    scope: CategoryScope | None = None


@dataclass(frozen=True, slots=True)
class CheckedRule(Deferred):
    """A checked rule: its descriptor and its typed clauses."""

    _deferred = ("node", "lets", "when", "unless", "message", "actions", "evidence")

    descriptor: RuleDescriptor
    node: n.Rule
    lets: Mapping[str, n.Let]
    when: n.When | None
    unless: tuple[n.Unless, ...]
    message: n.Message | None
    actions: tuple[n.Action, ...]
    evidence: n.EvidenceClause | None

    @property
    def id(self) -> str:
        """`policy.rule`."""
        return self.descriptor.id

    @property
    def policy(self) -> str:
        """The policy id."""
        return self.descriptor.policy

    @property
    def subject(self) -> str:
        """The subject kind the rule is on."""
        return self.descriptor.subject


@dataclass(frozen=True, slots=True)
class CheckedPolicy(Deferred):
    """A checked policy: its members by name, its rules in source order, its `effective` range, its `version`."""

    _deferred = ("node", "lets", "tables")

    name: str
    node: n.Policy
    file: str
    effective: tuple[datetime | None, datetime | None]
    lets: Mapping[str, n.Let]
    tables: Mapping[str, n.Table]
    wordlists: Mapping[str, CheckedWordlist]
    rules: tuple[CheckedRule, ...]
    version: str | None = None


@dataclass(frozen=True, slots=True)
class Program(Deferred):
    """The checked program: record types, policies, tests, source texts and every diagnostic. Read from the user
    cache, its syntax trees and tests are loaded when first used (`deferred`)."""

    _deferred = ("tests",)

    registry: RecordRegistry
    policies: tuple[CheckedPolicy, ...]
    tests: tuple[tuple[str, n.TestBlock], ...]
    sources: Mapping[str, str]
    diagnostics: tuple[Diagnostic, ...]
    #: what identifies it in the user cache (`loader.load_program`'s key; None: not read through the cache), so
    #: that its compiled plan can be cached too (`compiler.image`)
    key: str | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        """No error-level diagnostics."""
        return not any(d.is_error for d in self.diagnostics)

    def rules(self) -> list[CheckedRule]:
        """Every rule, ordered by policy id then rule id (the report order)."""
        return sorted((r for p in self.policies for r in p.rules), key=lambda r: (r.policy, r.descriptor.name))

    def fingerprint(self) -> str:
        """The policy-set hash: SHA-256 over every policy file's name and text, in path order."""
        h = hashlib.sha256()
        for name in sorted(self.sources):
            h.update(Path(name).name.encode("utf-8", "surrogatepass") + b"\0")
            h.update(self.sources[name].encode("utf-8", "surrogatepass") + b"\0")
        return h.hexdigest()

    def versions(self) -> dict[str, str | None]:
        """Each policy's `version`, by policy id (None where it has none)."""
        return {p.name: p.version for p in self.policies}

    def restricted(self, keep: Callable[[str], bool], severity: Mapping[str, str] | None = None) -> Program:
        """The same program with only the rules `keep(rule_id)` accepts, severities overridden by rule id."""
        sev = severity or {}
        policies = []
        for p in self.policies:
            rules = tuple(r if r.id not in sev else evolve(r, descriptor=replace(r.descriptor, severity=sev[r.id]))
                          for r in p.rules if keep(r.id))
            policies.append(evolve(p, rules=rules))
        key = None
        if self.key is not None:
            from rulekit.cache import key_of

            kept = sorted(r.id for p in policies for r in p.rules)
            key = key_of(self.key, "restricted", *kept, repr(sorted(sev.items())))
        return evolve(self, policies=tuple(policies), key=key)

    def policy(self, name: str) -> CheckedPolicy:
        """The policy with this id."""
        return next(p for p in self.policies if p.name == name)


def type_of(e: object) -> T.Type:
    """The checked type of an expression node (`any` where checking gave up)."""
    t = getattr(e, "type", None)
    return t if t is not None else T.ANY
