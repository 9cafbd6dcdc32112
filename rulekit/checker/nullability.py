"""Nullability: access paths, the paths a condition proves non-null, and the keys a window guards (W101)."""

from __future__ import annotations

from typing import Any

from rulekit import types as T
from rulekit.syntax import nodes as n
from rulekit.syntax.visitor import walk


def path_of(e: Any) -> str | None:
    """`order.paid_at`, `t.free_over`, `x`: the null-guard key of an access path (None otherwise)."""
    if isinstance(e, n.Name):
        return e.name
    if isinstance(e, n.This):
        return "this"
    if isinstance(e, n.Attr):
        base = path_of(e.obj)
        return None if base is None else f"{base}.{e.name}"
    if isinstance(e, n.Index) and isinstance(e.index, n.Literal):
        base = path_of(e.obj)
        return None if base is None else f"{base}[{e.index.text}]"
    return None


def facts(e: Any, truth: bool) -> set[str]:
    """Paths known to be non-null when `e` evaluates to `truth`."""
    if isinstance(e, n.IsNull):
        p = path_of(e.operand)
        if p is None:
            return set()
        alias = {p, p.replace("this.", "", 1)} if p.startswith("this.") else {p}
        # `x is not null` true → x non-null; `x is null` false → x non-null
        if e.negated == truth:
            return alias
        return set()
    if isinstance(e, n.Unary) and e.op == "not":
        return facts(e.operand, not truth)
    if isinstance(e, n.Binary):
        if e.op == "and" and truth:
            return facts(e.left, True) | facts(e.right, True)
        if e.op == "or" and not truth:
            return facts(e.left, False) | facts(e.right, False)
    return set()




def window_key_guards(subject: str, when: Any, lets: dict[str, n.Let]) -> set[str]:
    """Keys of the windows that `when` evaluates: past them, the keys are known non-null."""
    out: set[str] = set()
    if when is None:
        return out
    seen: set[str] = set()
    todo = [when]
    while todo:
        for x in walk(todo.pop()):
            if isinstance(x, n.Window):
                for k in x.keys:
                    out |= {f"{subject}.{k}", f"this.{k}"}
            elif isinstance(x, n.Name) and x.name in lets and x.name not in seen:
                seen.add(x.name)
                todo.append(lets[x.name].expr)
    return out


def require_value(ty: Any, t: T.Type, e: n.Expr) -> T.Type:
    """A value is needed here: W101 (once per place) when it may be null; the type without `?`."""
    if not t.optional or t.kind in ("null", "any"):
        return t
    key = (e.span.file, e.span.line, e.span.col)
    if key not in ty.w101_seen:
        ty.w101_seen.add(key)
        p = path_of(e)
        if isinstance(e, n.Call) and ty.refs.get(id(e)) is not None:
            ty.error("W101", f"table `{e.func}` has no `else` row, so this lookup may find nothing; "
                       "the rule is then undetermined", e.span,
                       f"add `else => …` to `{e.func}`, or bind the lookup to a `let` and guard it "
                       "with `is not null`")
        else:
            what = f"`{p}`" if p else "this value"
            guard = f"`{p} is not null and …`" if p else "`x is not null and …` on a `let`"
            ty.error("W101", f"{what} may be null or missing here; the rule is then undetermined",
                       e.span, f"guard it with {guard}, or give a default with `{p or 'x'} ?? …`")
    return t.required()
