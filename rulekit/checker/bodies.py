"""Checks the bodies of rules and tables: conditions, messages, actions, evidence, table keys and rows."""

from __future__ import annotations

from typing import Any

from rulekit import types as T
from rulekit.suggest import did_you_mean
from rulekit.syntax import nodes as n

from .declarations import PolicyDraft, RuleDraft
from .folding import is_const_false, is_const_true
from .nullability import facts, window_key_guards
from .scope import Env
from .typer import Typer


def check_policy(ty: Typer, p: PolicyDraft) -> None:
    """Type every table, policy-level let and rule of a policy."""
    for t in p.tables.values():
        check_table(ty, p, t)
    for name in p.lets:
        ty.policy_let_type(p, name)
    for r in p.rules:
        check_rule(ty, p, r)


def check_rule(ty: Typer, p: PolicyDraft, r: RuleDraft) -> None:
    """A rule's `when`, `unless`, lets, message, actions and evidence, with the null guards its conditions give."""
    rt = ty.registry.types.get(r.subject)
    if rt is None or not rt.is_subject:
        kinds = ty.registry.subject_kinds()
        msg = f"unknown subject type `{r.subject}`" if rt is None else \
            f"`{r.subject}` is a nested record type, not a subject type (it has no `time` field)"
        ty.error("E002", msg, r.node.span, did_you_mean(r.subject, kinds) or f"subjects: {', '.join(kinds)}")
        return
    env = Env(p, r.subject, r)
    guards: set[str] = set()
    if r.when is not None:
        ty.expect_bool(ty.expr(r.when.expr, env), r.when.expr, "`when`")
        guards |= facts(r.when.expr, True)
        if is_const_false(r.when.expr):
            ty.error("W102", f"rule `{r.node.name}` can never fire: its `when` is always false", r.when.span)
    for u in r.unless:
        ty.expect_bool(ty.expr(u.expr, env.guarded(guards)), u.expr, "`unless`")
        if is_const_true(u.expr):
            ty.error("W102", f"rule `{r.node.name}` can never fire: an `unless` is always true", u.span)
        guards |= facts(u.expr, False)
    guards |= window_key_guards(r.subject, r.when.expr if r.when else None, r.lets)
    benv = env.guarded(guards)
    # lets typed from here on (not yet used by `when`/`unless`) see the rule's null guards
    ty.rule_guards[r.id] = benv.guards
    for name in r.lets:
        ty.rule_let_type(p, r, name)
    if r.message is not None:
        ty.template(r.message.template, benv)
    for a in r.actions:
        names: set[str] = set()
        for arg in a.args:
            if arg.name in names:
                ty.error("E005", f"argument `{arg.name}` is given twice to action `{a.name}`", arg.span)
            names.add(arg.name)
            if isinstance(arg.expr, n.Template):
                ty.template(arg.expr, benv)
            else:
                ty.needed(arg.expr, benv)
    if r.evidence is not None:
        t = ty.expr(r.evidence.expr, benv)
        if t.kind != "any" and not (t.kind == "list" and t.elem is not None and t.elem.record == "match"):
            ty.error("E004", f"`evidence` takes the matches of `find` (list<match>), not `{t}`",
                     r.evidence.span, "write `evidence find(listing.title, banned)` or a `let` bound to it")
        else:
            ty.require(t, r.evidence.expr, benv)


def check_table(ty: Typer, p: PolicyDraft, t: n.Table) -> None:
    """Keys are literals of the parameter types, rows give one value per result field (E004, E009, W102)."""
    ptypes = [_resolve(ty, prm.type) for prm in t.params]
    rtypes = [_resolve(ty, res.type) for res in t.results]
    env = Env(p, None)
    seen_keys: dict[Any, int] = {}
    for row in t.rows:
        for parts in row.keys or ():
            if len(parts) != len(t.params):
                ty.error("E009", f"table `{t.name}` has {len(t.params)} parameters but this key has "
                         f"{len(parts)} value(s)", row.span)
                continue
            for part, pt in zip(parts, ptypes, strict=False):
                kt = ty.expr(part, env)
                if not isinstance(part, n.Literal):
                    ty.error("E009", "table keys must be literals", part.span)
                elif not T.assignable(kt, pt):
                    ty.error("E004", f"key of type `{kt}` in a column of type `{pt}`", part.span)
            kv = tuple(part.value for part in parts if isinstance(part, n.Literal))
            if kv in seen_keys:
                ty.error("W102", f"this key of table `{t.name}` already matched on line "
                         f"{seen_keys[kv]}: the row can never be chosen for it", row.span)
            else:
                seen_keys[kv] = row.span.line
        if len(row.values) != len(t.results):
            ty.error("E009", f"table `{t.name}` returns {len(t.results)} value(s) but this row gives "
                     f"{len(row.values)}", row.span)
            continue
        for v, rt in zip(row.values, rtypes, strict=False):
            vt = ty.expr(v, env)
            if not T.assignable(vt, rt):
                ty.error("E004", f"value of type `{vt}` where the table declares `{rt}`", v.span)


def _resolve(ty: Typer, ref: n.TypeRef) -> T.Type:
    t, diags = ty.registry.resolve_type(ref)
    ty.diags.extend(diags)
    return t
