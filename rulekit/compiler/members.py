"""What a `members` window must keep: the fields of its subjects the policies read, or the whole record."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rulekit import types as T
from rulekit.checker import Program, type_of
from rulekit.syntax import nodes as n
from rulekit.syntax.visitor import iter_child_nodes

#: The parent of a let's value.
_LET = object()

#: Calls that read a list of members only through its length.
_LENGTH_CALLS = frozenset({"len", "count", "exists"})


def _roots(program: Program) -> Iterator[tuple[Any, bool]]:
    """Every expression of the program, and whether it is the value of a `let` (which may be a list of members)."""
    for pol in program.policies:
        for let in pol.lets.values():
            yield let.expr, True
        for r in pol.rules:
            yield from ((let.expr, True) for let in r.lets.values())
            clauses = [r.when.expr] if r.when is not None else []
            clauses += [u.expr for u in r.unless]
            clauses += [r.message.template] if r.message is not None else []
            clauses += [arg.expr for a in r.actions for arg in a.args]
            clauses += [r.evidence.expr] if r.evidence is not None else []
            yield from ((c, False) for c in clauses)


def _is(t: T.Type | None, kind: str, of_list: bool) -> bool:
    if t is None:
        return False
    t = t.required()
    if of_list:
        return t.kind == "list" and t.elem is not None and t.elem.kind == "record" and t.elem.record == kind
    return t.kind == "record" and t.record == kind


def member_fields(program: Program, kind: str) -> tuple[str, ...] | None:
    """The fields of `kind` read from members of its windows anywhere in the program, in first-read order; None
    when some expression uses a member (or a list of them) other than by reading a field, counting or
    quantifying (a message that shows the records, say): then a members window keeps the whole records."""
    fields: list[str] = []
    for root, is_let in _roots(program):
        todo: list[tuple[Any, Any]] = [(root, _LET if is_let else None)]
        while todo:
            node, parent = todo.pop()
            if isinstance(node, n.Window):
                # inside a window, the record name is each windowed subject: its value and `where` are the
                # window's own business (a members window's `where` is added to its fields by the caller)
                if node.func == "members" and _is(node.type, kind, True):
                    if not _allowed(node, parent, True):
                        return None
                    if isinstance(parent, n.Attr) and parent.name not in fields:
                        fields.append(parent.name)  # `members(…).id` read directly
                continue
            if not isinstance(node, (n.This,)) and not _subject(node, kind):
                as_list = _is(type_of(node) if hasattr(node, "type") else None, kind, True)
                as_one = _is(type_of(node) if hasattr(node, "type") else None, kind, False)
                if (as_list or as_one) and not _allowed(node, parent, as_list):
                    return None
                if as_list or as_one:
                    if isinstance(parent, n.Attr) and parent.name not in fields:
                        fields.append(parent.name)
            todo.extend((child, node) for child in iter_child_nodes(node))
    return tuple(fields)


def _subject(node: Any, kind: str) -> bool:
    """The rule's own subject (`order`), whose fields are read from the record itself, not from a window."""
    return isinstance(node, n.Name) and node.ref is not None and node.ref.kind == "subject"


def _allowed(node: Any, parent: Any, as_list: bool) -> bool:
    """Whether the parent reads `node` (members, or one member) only through fields, length or quantifiers."""
    if parent is _LET:
        return as_list  # a let's value: its uses are checked where the let is named
    if parent is None:
        return False  # a whole clause (an action argument, evidence) that is the records themselves
    if isinstance(parent, n.Attr) and parent.obj is node:
        return True
    if as_list and isinstance(parent, n.Call) and parent.func in _LENGTH_CALLS:
        return True
    if as_list and isinstance(parent, n.Quantifier) and parent.collection is node:
        return True
    return as_list and isinstance(parent, n.Index) and parent.obj is node
