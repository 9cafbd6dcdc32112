"""The one visitor over the AST (as Jinja2's `visitor.py`): child iteration, walking, dispatch by class name."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from typing import Any

from rulekit.diagnostics import Span
from rulekit.syntax.nodes import Ref
from rulekit.types import Type

_SKIP = frozenset({"span", "type", "ref", "item_spans", "text", "name_text"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(cls: type) -> tuple[str, ...]:
    names = _CHILD_FIELDS.get(cls)
    if names is None:
        names = _CHILD_FIELDS[cls] = tuple(f.name for f in fields(cls) if f.name not in _SKIP)
    return names


def _nodes_in(value: Any) -> Iterator[Any]:
    if isinstance(value, tuple):
        for v in value:
            yield from _nodes_in(v)
    elif hasattr(value, "__dataclass_fields__") and not isinstance(value, (Span, Type, Ref)):
        yield value


def iter_child_nodes(node: Any) -> Iterator[Any]:
    """The direct child nodes of a node, in field order (tuples and tuples of tuples flattened)."""
    for name in _child_fields(type(node)):
        yield from _nodes_in(getattr(node, name))


def walk(node: Any) -> Iterator[Any]:
    """The node and every node below it, depth first, in source order."""
    todo = [node]
    while todo:
        x = todo.pop()
        yield x
        todo.extend(reversed(list(iter_child_nodes(x))))


class NodeVisitor:
    """Walks the AST as Jinja2's visitor does: `visit(node)` calls `visit_<ClassName>(node, ...)`,
    else `generic_visit`, which visits the children."""

    def visit(self, node: Any, *args: Any, **kwargs: Any) -> Any:
        """Dispatch on the node's class name."""
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            return self.generic_visit(node, *args, **kwargs)
        return method(node, *args, **kwargs)

    def generic_visit(self, node: Any, *args: Any, **kwargs: Any) -> Any:
        """Visit every child node; returns None."""
        for child in iter_child_nodes(node):
            self.visit(child, *args, **kwargs)
        return None
