"""Which fields of its subject a checked rule reads (through its lets, the policy's lets and its windows)."""

from __future__ import annotations

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
