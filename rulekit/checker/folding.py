"""Folds what is known before any input: literal types, constant conditions (W102), arithmetic result types."""

from __future__ import annotations

import operator
from datetime import datetime
from typing import Any

from rulekit import types as T
from rulekit import values
from rulekit.syntax import nodes as n
from rulekit.syntax.visitor import walk

LITERAL_TYPES = {
    "string": T.STRING, "int": T.INT, "decimal": T.DECIMAL, "percent": T.DECIMAL, "money": T.MONEY,
    "duration": T.DURATION, "weight": T.WEIGHT, "date": T.DATE, "datetime": T.DATETIME, "bool": T.BOOL,
    "null": T.NULL, "regex": T.REGEX,
}
_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
            ">=": operator.ge}


def moment(lit: n.Literal | None) -> datetime | None:
    """A bound of `effective`: a date means midnight at UTC+08:00."""
    if lit is None:
        return None
    if lit.kind == "date":
        return values.date_start(lit.value)
    return lit.value


def arith(op: str, a: T.Type, b: T.Type) -> T.Type | None:
    """The result type of `a op b` for + - * / % (LANGUAGE §3), or None when undefined."""
    ka, kb = a.kind, b.kind
    num = ("int", "decimal")
    if op in ("+", "-"):
        if ka in num and kb in num:
            return T.INT if ka == kb == "int" else T.DECIMAL
        if ka == kb and ka in ("money", "duration", "weight"):
            return a.required()
        if ka == "datetime" and kb == "duration":
            return T.DATETIME
        if op == "+" and ka == "duration" and kb == "datetime":
            return T.DATETIME
        if op == "-" and ka == kb == "datetime":
            return T.DURATION
        if op == "+" and ka == kb == "string":
            return T.STRING
        if op == "+" and ka == kb == "list" and a.elem is not None and b.elem is not None:
            elem = T.unify(a.elem, b.elem)  # concatenation: `find(listing.title, wl) + find(listing.description, wl)`
            return None if elem is None else T.list_of(elem)
        if ka == "date" and kb == "duration":
            return T.DATE
        if op == "-" and ka == kb == "date":
            return T.DURATION
        return None
    if op == "*":
        if ka in num and kb in num:
            return T.INT if ka == kb == "int" else T.DECIMAL
        if ka in ("money", "duration", "weight") and kb in num:
            return a.required()
        if kb in ("money", "duration", "weight") and ka in num:
            return b.required()
        return None
    if op == "/":
        if ka in num and kb in num:
            return T.DECIMAL
        if ka in ("money", "weight", "duration") and kb in num:
            return a.required()
        if ka == kb and ka in ("money", "weight", "duration"):
            return T.DECIMAL
        return None
    if op == "%":
        if ka in num and kb in num:
            return T.INT if ka == kb == "int" else T.DECIMAL
        return None
    return None


def unit_hint(a: T.Type, b: T.Type) -> str | None:
    units = {"money": "¥5", "weight": "5kg", "duration": "5m", "int": "5", "decimal": "0.5"}
    if a.kind in units and b.kind in units and a.kind != b.kind:
        return f"a `{a.kind}` needs a `{a.kind}` on the other side, e.g. `{units[a.kind]}`"
    return None


def is_literal_only(e: Any) -> bool:
    """Whether an expression reads nothing (no name, field, call or window): `within 10m`."""
    return all(not isinstance(x, (n.Name, n.This, n.Call, n.Window, n.Attr)) for x in walk(e))


def is_const_false(e: Any) -> bool:
    """Whether a condition is false whatever the input (literal `false`, `not true`, `false and …`)."""
    v = const_bool(e)
    return v is False


def is_const_true(e: Any) -> bool:
    """Whether a condition is true whatever the input."""
    return const_bool(e) is True


def const_bool(e: Any) -> bool | None:
    """Fold a condition over literals: True, False or None (not constant)."""
    if isinstance(e, n.Literal) and e.kind == "bool":
        return bool(e.value)
    if isinstance(e, n.Unary) and e.op == "not":
        v = const_bool(e.operand)
        return None if v is None else not v
    if isinstance(e, n.Binary):
        if e.op in ("and", "or"):
            a, b = const_bool(e.left), const_bool(e.right)
            if e.op == "and":
                if a is False or b is False:
                    return False
                return True if a is True and b is True else None
            if a is True or b is True:
                return True
            return False if a is False and b is False else None
        if e.op in ("==", "!=", "<", "<=", ">", ">=") and isinstance(e.left, n.Literal) and \
                isinstance(e.right, n.Literal) and e.left.kind == e.right.kind and e.left.kind != "null":
            try:
                return bool(_COMPARE[e.op](e.left.value, e.right.value))
            except TypeError:
                return None
    return None
