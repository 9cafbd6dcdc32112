"""What checked rules read: their subject's fields (through lets and windows), and wordlists only as context."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rulekit.checker.program import CheckedPolicy, CheckedRule
from rulekit.syntax import nodes as n
from rulekit.syntax.visitor import walk


def fields_read(policy: CheckedPolicy, rule: CheckedRule) -> frozenset[str]:
    """The top-level fields of the rule's subject that deciding, rendering or acting on the rule may read:
    `order.weight` read anywhere, and the keys and values of its windows."""
    return _reads(policy, rule)[0]


def reads_whole_subject(policy: CheckedPolicy, rule: CheckedRule) -> bool:
    """Whether the rule uses its subject as a whole (`order` itself, not one of its fields), through its lets too."""
    seen: set[str] = set()
    todo: list[Any] = [rule.node]
    while todo:
        nodes = list(walk(todo.pop()))
        fields = {id(x.obj) for x in nodes if isinstance(x, n.Attr)} | counted(nodes)
        for x in nodes:
            if isinstance(x, n.Name) and x.ref is not None and x.ref.kind == "subject" and id(x) not in fields:
                return True
            if isinstance(x, n.Name) and x.ref is not None and x.ref.kind == "let" and x.name not in seen:
                seen.add(x.name)
                if x.name in policy.lets:
                    todo.append(policy.lets[x.name])
    return False


def counted(nodes: list[Any]) -> set[int]:
    """The ids of the subjects a `count(order by …)` among `nodes` counts: a count reads no field of them."""
    return {id(x.value) for x in nodes if isinstance(x, n.Window) and x.func == "count"
            and isinstance(x.value, n.Name | n.This)}


def reads_windows(policy: CheckedPolicy, rule: CheckedRule) -> bool:
    """Whether the rule reads a window aggregate (directly or through the policy's lets)."""
    return _reads(policy, rule)[1]


def _reads(policy: CheckedPolicy, rule: CheckedRule) -> tuple[frozenset[str], bool]:
    windows = False
    found: set[str] = set()
    seen: set[str] = set()
    todo: list[Any] = [rule.node]
    while todo:
        for x in walk(todo.pop()):
            if isinstance(x, n.Attr) and isinstance(x.obj, (n.Name, n.This)) and x.obj.ref is not None \
                    and x.obj.ref.kind in ("subject", "item") and x.obj.ref.target == rule.subject:
                found.add(x.name)
            elif isinstance(x, n.Window):
                windows = True
                found.update(x.keys)
            elif isinstance(x, n.Name) and x.ref is not None and x.ref.kind == "let" and x.name not in seen:
                seen.add(x.name)
                if x.name in policy.lets:
                    todo.append(policy.lets[x.name])
    return frozenset(found), windows


#: The built-ins whose second argument is a context wordlist, searched only in texts another wordlist has hits in.
CONTEXT_FILTERS = frozenset({"near", "followed_by", "preceded_by", "anywhere"})


def context_only_wordlists(policies: Iterable[CheckedPolicy]) -> frozenset[tuple[str, str]]:
    """The (policy, wordlist) pairs used only as the wordlist of a context filter (`followed_by(h, ctx, 1)`): searched
    only for the texts of another list's hits, not for every record."""
    context: set[tuple[str, str]] = set()
    other: set[tuple[str, str]] = set()
    for pol in policies:
        nodes = list(walk(pol.node))
        filters = {id(x.args[1]) for x in nodes if isinstance(x, n.Call) and x.func in CONTEXT_FILTERS
                   and len(x.args) > 1}
        for x in nodes:
            if isinstance(x, n.Name) and x.ref is not None and x.ref.kind == "wordlist":
                (context if id(x) in filters else other).add((x.ref.owner or pol.name, x.name))
    return frozenset(context - other)
