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


_IS_NODE: dict[type, bool] = {}


def _is_node(cls: type) -> bool:
    found = _IS_NODE.get(cls)
    if found is None:
        found = _IS_NODE[cls] = hasattr(cls, "__dataclass_fields__") and not issubclass(cls, (Span, Type, Ref))
    return found


def _flatten(values: tuple[Any, ...], out: list[Any]) -> None:
    for v in values:
        if isinstance(v, tuple):
            _flatten(v, out)
        elif _IS_NODE.get(v.__class__) or _is_node(v.__class__):
            out.append(v)


def child_nodes(node: Any) -> list[Any]:
    """The direct child nodes of a node, in field order (tuples and tuples of tuples flattened)."""
    out: list[Any] = []
    for name in _CHILD_FIELDS.get(node.__class__) or _child_fields(node.__class__):
        v = getattr(node, name)
        if isinstance(v, tuple):
            _flatten(v, out)
        elif _IS_NODE.get(v.__class__) or _is_node(v.__class__):
            out.append(v)
    return out


def iter_child_nodes(node: Any) -> Iterator[Any]:
    """The direct child nodes of a node, in field order (tuples and tuples of tuples flattened)."""
    return iter(child_nodes(node))


def walk(node: Any) -> Iterator[Any]:
    """The node and every node below it, depth first, in source order."""
    todo = [node]
    while todo:
        x = todo.pop()
        yield x
        children = child_nodes(x)
        if children:
            children.reverse()
            todo += children


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
