"""Writes expressions with the fewest parentheses that re-parse to the same tree, wrapping long ones at `and`/`or`/`+`."""

from __future__ import annotations

from typing import Any

from rulekit.syntax import nodes as n
from rulekit.syntax.visitor import NodeVisitor

INDENT = "  "
#: A statement longer than this (with its indentation) is wrapped where its expression allows.
WIDTH = 120

# ---- expressions --------------------------------------------------------------------

#: Binding strength of each expression form, loosest first (LANGUAGE §4).
_IF, _OR, _AND, _NOT, _CMP, _COALESCE, _ADD, _MUL, _NEG, _POSTFIX = range(10)

_NUMERIC_LITERALS = frozenset({"int", "decimal", "percent", "money", "duration", "weight", "date", "datetime"})
_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">=", "in", "not in"})
_BINARY_LEVEL = {"or": _OR, "and": _AND, "??": _COALESCE, "+": _ADD, "-": _ADD, "*": _MUL, "/": _MUL, "%": _MUL}
#: (minimum level of the left operand, of the right operand) of each binary level
_OPERAND_LEVELS = {
    _OR: (_OR, _AND),
    _AND: (_AND, _NOT),
    _CMP: (_COALESCE, _COALESCE),
    _COALESCE: (_COALESCE, _ADD),
    _ADD: (_ADD, _MUL),
    _MUL: (_MUL, _NEG),
}


def _level(e: n.Expr) -> int:
    """How tightly an expression binds: it needs parentheses where a tighter one is required."""
    if isinstance(e, n.If):
        return _IF
    if isinstance(e, n.Binary):
        return _CMP if e.op in _COMPARISONS else _BINARY_LEVEL[e.op]
    if isinstance(e, n.Unary):
        return _NOT if e.op == "not" else _NEG
    if isinstance(e, n.Quantifier):
        return _NOT
    if isinstance(e, n.IsNull):
        return _CMP
    return _POSTFIX


def format_expr(e: n.Expr, min_level: int = _IF, tail: bool = True) -> str:
    """An expression with the fewest parentheses that re-parse to the same tree.

    `min_level` is the loosest form the context accepts; `tail` is false when more of
    the same expression follows, so an `if` or a quantifier (which extend as far right
    as they can) must be closed with parentheses."""
    if _level(e) < min_level or (not tail and isinstance(e, (n.If, n.Quantifier))):
        return "(" + _expr(e, True) + ")"
    return _expr(e, tail)


class _ExprWriter(NodeVisitor):
    """Writes one expression node; `tail` as in `format_expr`."""

    def visit_Literal(self, e: n.Literal, tail: bool) -> str:
        return e.text

    visit_Template = visit_Literal

    def visit_Name(self, e: n.Name, tail: bool) -> str:
        return e.name

    def visit_This(self, e: n.This, tail: bool) -> str:
        return "this"

    def visit_Attr(self, e: n.Attr, tail: bool) -> str:
        obj = format_expr(e.obj, _POSTFIX, False)
        if isinstance(e.obj, n.Literal) and e.obj.kind in _NUMERIC_LITERALS:
            obj = f"({obj})"  # `¥5.x` would not lex: the `.` reads as part of the number
        return f"{obj}.{e.name}"

    def visit_Index(self, e: n.Index, tail: bool) -> str:
        return f"{format_expr(e.obj, _POSTFIX, False)}[{format_expr(e.index)}]"

    def visit_Call(self, e: n.Call, tail: bool) -> str:
        return f"{e.func}({', '.join(format_expr(a) for a in e.args)})"

    def visit_Window(self, e: n.Window, tail: bool) -> str:
        where = f" where {format_expr(e.where)}" if e.where is not None else ""
        return f"{e.func}({format_expr(e.value)} by {', '.join(e.keys)} within {format_expr(e.within)}{where})"

    def visit_ListExpr(self, e: n.ListExpr, tail: bool) -> str:
        return "[" + ", ".join(format_expr(i) for i in e.items) + "]"

    def visit_Unary(self, e: n.Unary, tail: bool) -> str:
        if e.op == "not":
            return "not " + format_expr(e.operand, _NOT, tail)
        return "-" + format_expr(e.operand, _NEG, tail)

    def visit_IsNull(self, e: n.IsNull, tail: bool) -> str:
        what = "missing" if e.missing else "null"
        return f"{format_expr(e.operand, _COALESCE, False)} is {'not ' if e.negated else ''}{what}"

    def visit_Binary(self, e: n.Binary, tail: bool) -> str:
        level = _level(e)
        left_min, right_min = _OPERAND_LEVELS[level]
        left = _operand(e.left, left_min, False, level)
        right = _operand(e.right, right_min, tail, level)
        return f"{left} {e.op} {right}"

    def visit_Quantifier(self, e: n.Quantifier, tail: bool) -> str:
        coll = format_expr(e.collection, _COALESCE, False)
        word = "where" if e.kind == "each" else "satisfies"
        return f"{e.kind} {e.var} in {coll} {word} {format_expr(e.body, _OR, tail)}"

    def visit_If(self, e: n.If, tail: bool) -> str:
        return f"if {format_expr(e.cond)} then {format_expr(e.then)} else {format_expr(e.else_, _IF, tail)}"

    def generic_visit(self, e: Any, tail: bool) -> str:
        raise TypeError(f"not an expression: {type(e).__name__}")


_WRITER = _ExprWriter()


def _expr(e: n.Expr, tail: bool) -> str:
    return _WRITER.visit(e, tail)  # type: ignore[no-any-return]


def _operand(e: n.Expr, min_level: int, tail: bool, parent: int) -> str:
    """An operand of a binary operator; an `and` directly inside an `or`, and a `??` inside a comparison, get clarifying
    parentheses."""
    if parent == _OR and isinstance(e, n.Binary) and e.op == "and":
        return "(" + _expr(e, True) + ")"
    if parent == _CMP and isinstance(e, n.Binary) and e.op == "??":  # `(x ?? "") != "a"`, never read as `x ?? ("" != "a")`
        return "(" + _expr(e, True) + ")"
    return format_expr(e, min_level, tail)



# ---- wrapping long statements -----------------------------------------------------------

_CHAINS = {"and": _AND, "or": _OR, "+": _ADD}


def _chain(e: n.Expr, tail: bool) -> list[tuple[str, n.Expr, str]] | None:
    """The operands of a top-level `and`/`or`/`+` chain as (operator before it, "" for the first; the operand; its
    text); None when `e` is no such chain."""
    if not isinstance(e, n.Binary) or e.op not in _CHAINS:
        return None
    level = _CHAINS[e.op]
    left_min, right_min = _OPERAND_LEVELS[level]
    left = e.left
    if isinstance(left, n.Binary) and left.op == e.op:
        parts = _chain(left, False)
        assert parts is not None
    else:
        parts = [("", left, _operand(left, left_min, False, level))]
    return parts + [(e.op + " ", e.right, _operand(e.right, right_min, tail, level))]


def _part(prefix: str, node: n.Expr, text: str, indent: int) -> str:
    """One line of a broken chain; a parenthesized `each` that is itself too long is broken inside its parentheses,
    one INDENT further in."""
    if indent + len(prefix) + len(text) > WIDTH and text.startswith("(") and isinstance(node, n.Quantifier) \
            and node.kind == "each":
        inner = wrapped_expr("", node, indent + len(prefix) + 1)
        return prefix + "(" + inner.replace("\n", "\n" + INDENT) + ")"
    return prefix + text


def wrapped_expr(head: str, e: n.Expr, indent: int) -> str:
    """`head` and the expression, on one line when it fits in WIDTH columns at `indent`; otherwise broken after an
    `each … where` and before each operator of a top-level `and`/`or`/`+` chain, continuation lines one INDENT in
    (written as `\n` + INDENT; the writer adds the statement's own indentation)."""
    one = head + format_expr(e)
    if indent + len(one) <= WIDTH:
        return one
    inner = indent + len(INDENT)
    if isinstance(e, n.Quantifier) and e.kind == "each" and _level(e.body) >= _OR:
        coll = format_expr(e.collection, _COALESCE, False)
        parts = _chain(e.body, True) or [("", e.body, format_expr(e.body, _OR, True))]
        return f"{head}each {e.var} in {coll} where" + "".join("\n" + INDENT + _part(*p, inner) for p in parts)
    if _level(e) >= _OR:
        chain = _chain(e, True)
        if chain is not None:
            first = head + _part(*chain[0], indent + len(head))
            return first + "".join("\n" + INDENT + _part(*p, inner) for p in chain[1:])
    return one
