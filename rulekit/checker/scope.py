"""The scope an expression is typed in: its policy and rule, quantifier variables, known non-null paths."""

from __future__ import annotations

from dataclasses import dataclass

from rulekit import types as T

from .declarations import PolicyDraft, RuleDraft


@dataclass(frozen=True)
class Env:
    """Scope while typing an expression."""

    policy: PolicyDraft
    subject: str | None  # the rule's subject kind, None at policy level
    rule: RuleDraft | None = None
    vars: tuple[tuple[str, T.Type], ...] = ()
    guards: frozenset[str] = frozenset()
    window_kind: str | None = None  # inside a window aggregate: the record name means each windowed subject

    def with_var(self, name: str, t: T.Type) -> Env:
        """The scope with a quantifier variable."""
        return Env(self.policy, self.subject, self.rule, self.vars + ((name, t),), self.guards, self.window_kind)

    def guarded(self, paths: set[str] | frozenset[str]) -> Env:
        """The scope where `paths` are known non-null."""
        if not paths:
            return self
        return Env(self.policy, self.subject, self.rule, self.vars, self.guards | paths, self.window_kind)

    def var(self, name: str) -> T.Type | None:
        """The type of a quantifier variable in scope."""
        for k, t in reversed(self.vars):
            if k == name:
                return t
        return None
