"""The one table of built-in functions: each entry's signature check, the code it compiles to, its runtime helper."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from rulekit import categories
from rulekit import types as T
from rulekit.runtime import calendar, context, regexes, scripts, support
from rulekit.syntax import nodes as n

SUMMABLE = ("int", "decimal", "money", "weight", "duration")
ORDERED = ("int", "decimal", "money", "duration", "weight", "date", "datetime")


class Signature(Protocol):
    """What a check sees of a call: its node and argument types, and a way to report E009."""

    call: n.Call
    args: list[T.Type]

    def arity(self, *counts: int) -> bool: ...
    def scoped_wordlist(self, i: int) -> str | None: ...
    def want(self, i: int, kinds: tuple[str, ...], what: str) -> bool: ...
    def error(self, message: str, span: Any = None) -> None: ...


Check = Callable[[Signature], T.Type]
#: (argument sources, the call node with typed arguments, the name the helper is bound to) -> Python source
Emit = Callable[[list[str], n.Call, str], str]


@dataclass(frozen=True, slots=True)
class Builtin:
    """A built-in function (LANGUAGE §4.1)."""

    name: str
    check: Check
    emit: Emit
    helper: Callable[..., Any] | None = None
    #: the signature and one line about it (hover and completion in the language server)
    doc: str = ""


def _fmt(template: str) -> Emit:
    """Code from a template over the argument sources (`{0}`, `{1}`) and the helper's name (`{h}`)."""
    return lambda a, call, h: template.format(*a, h=h)


def _unary(kinds: tuple[str, ...], what: str, result: T.Type) -> Check:
    def check(s: Signature) -> T.Type:
        if s.arity(1):
            s.want(0, kinds, what)
        return result

    return check


def _strings(count: int, result: T.Type) -> Check:
    def check(s: Signature) -> T.Type:
        if s.arity(count):
            for i in range(count):
                s.want(i, ("string",), "a string")
        return result

    return check


def _check_matches(s: Signature) -> T.Type:
    if s.arity(2):
        s.want(0, ("string",), "a string")
        s.want(1, ("regex",), 'a regex literal `re"…"`')
    return T.BOOL


def _check_find(s: Signature) -> T.Type:
    if s.arity(2, 3):
        t = s.args[0]
        if t.kind == "list" and t.elem is not None and t.elem.kind in ("string", "any"):
            if t.elem.optional:
                s.error("`find` over a list needs texts that are never null", s.call.args[0].span)
        else:
            s.want(0, ("string",), "a string or a list of strings")
        s.want(1, ("wordlist",), "a wordlist name")
        if len(s.args) == 3:
            s.want(2, ("string",), "the listing's category path (`listing.category`)")
        else:
            scoped = s.scoped_wordlist(1)
            if scoped is not None:
                s.error(f"wordlist `{scoped}` keeps entries to categories; pass the category path: "
                        f"`find(…, {scoped}, listing.category)`")
    return T.list_of(T.MATCH)


def _context_check(count: int) -> Check:
    """`near`/`followed_by`/`preceded_by` (hit, WORDLIST, n) and `anywhere` (hit, WORDLIST)."""

    def check(s: Signature) -> T.Type:
        if not s.arity(count):
            return T.BOOL
        s.want(0, ("record",), "a match (a hit of `find`)")
        if s.args[0].kind == "record" and s.args[0].record != "match":
            s.error(f"`{s.call.func}` needs a match (a hit of `find`) as argument 1, not `{s.args[0]}`",
                    s.call.args[0].span)
        s.want(1, ("wordlist",), "a wordlist name (the context words)")
        if count == 3:
            s.want(2, ("int",), "a distance in characters")
        if s.scoped_wordlist(1) is not None:
            s.error("a context wordlist cannot keep entries to categories (`only`/`except category`)",
                    s.call.args[1].span)
        return T.BOOL

    return check


def _check_in_category(s: Signature) -> T.Type:
    if s.arity(2):
        s.want(0, ("string",), "a category path (`listing.category`)")
        t = s.args[1]
        if not (t.kind in ("string", "any") or (t.kind == "list" and t.elem is not None
                                                    and t.elem.kind in ("string", "any"))):
            s.error(f"`in_category` needs a category or a list of categories as argument 2, not `{t}`",
                    s.call.args[1].span)
    return T.BOOL


def _check_round(s: Signature) -> T.Type:
    if not s.arity(1, 2):
        return T.ANY
    if len(s.args) == 2:
        s.want(1, ("int",), "an int number of places")
    s.want(0, ("int", "decimal", "money"), "a number or money")
    return T.MONEY if s.args[0].kind == "money" else T.DECIMAL


def _check_min_max(s: Signature) -> T.Type:
    a, f = s.args, s.call.func
    if not a:
        s.error(f"`{f}` needs at least one argument")
        return T.ANY
    if len(a) == 1:
        if a[0].kind == "list" and a[0].elem is not None:
            return a[0].elem.opt()
        if a[0].kind != "any":
            s.error(f"`{f}` of one argument needs a list, not `{a[0]}`", s.call.args[0].span)
        return T.ANY
    out: T.Type = a[0]
    for i, t in enumerate(a[1:], 1):
        u = T.unify(out, t)
        if u is None:
            s.error(f"`{f}` needs arguments of one type: `{a[0]}` and `{t}`", s.call.args[i].span)
            return T.ANY
        out = u
    if out.kind not in ORDERED + ("any",):
        s.error(f"`{f}` needs ordered values, not `{out}`")
    return out


def _check_abs(s: Signature) -> T.Type:
    if s.arity(1):
        s.want(0, ("int", "decimal", "money", "duration", "weight"), "a number")
        return s.args[0]
    return T.ANY


def _check_join(s: Signature) -> T.Type:
    if s.arity(2):
        s.want(0, ("list",), "a list")
        s.want(1, ("string",), "a string separator")
    return T.STRING


def _check_sum(s: Signature) -> T.Type:
    if s.arity(1) and s.want(0, ("list",), "a list"):
        el = s.args[0].elem if s.args[0].kind == "list" else None
        if el is not None and el.kind not in SUMMABLE + ("any",):
            s.error(f"`sum` needs a list of numbers, money, weights or durations, not `{s.args[0]}`",
                    s.call.args[0].span)
            return T.ANY
        return el.required() if el is not None else T.ANY
    return T.ANY


def _check_count(s: Signature) -> T.Type:
    if s.arity(1):
        s.want(0, ("list",), "a list (for a window: `count(order by ip within 10m)`)")
    return T.INT


def _check_business_duration(s: Signature) -> T.Type:
    if s.arity(3):
        s.want(0, ("datetime",), "a datetime")
        s.want(1, ("datetime",), "a datetime")
        s.want(2, ("string",), 'the daily service hours, e.g. "08:00-23:00"')
        hours = s.call.args[2]
        if isinstance(hours, n.Literal) and hours.kind == "string":  # other strings are checked when evaluated
            try:
                calendar.parse_hours(hours.value)
            except ValueError as e:
                s.error(f"`business_duration`: {e}", hours.span)
    return T.DURATION


def render_kind(t: T.Type | None) -> str:
    """How the runtime renders values of a static type (`support.render`)."""
    if t is None:
        return "string"
    if t.kind == "record" and t.record == "match":
        return "match"
    return t.kind


def field_path(e: Any) -> str | None:
    """`listing.title` when `e` is a field access on the subject (also through `this`), else None."""
    parts: list[str] = []
    while isinstance(e, n.Attr):
        parts.append(e.name)
        e = e.obj
    if not parts or not isinstance(e, (n.This, n.Name)):
        return None
    ref = e.ref
    if ref is None or ref.kind not in ("subject", "item"):
        return None
    return ".".join([ref.target] + list(reversed(parts)))


def _emit_find(a: list[str], call: n.Call, h: str) -> str:
    category = f", {a[2]}" if len(a) == 3 else ""
    texts = call.args[0]
    t = texts.type
    if t is not None and t.kind == "list":  # a list literal is compiled by `find_each` (each text keeps its field)
        return f"[m for x in {a[0]} for m in {a[1]}.find(x, None{category})]"
    return f"{a[1]}.find({a[0]}, {field_path(texts)!r}{category})"


def find_each(texts: list[str], call: n.Call, category: str | None, find: Callable[[str, str], str]) -> str:
    """`find([listing.title, listing.description], wl)`: the hits of each text in turn, each with its own field;
    `find(text, args)` is the code of one text's call."""
    extra = f", {category}" if category is not None else ""
    items = call.args[0].items  # type: ignore[attr-defined]  # the caller checked it is a ListExpr
    parts = ["*" + find(src, f", {field_path(i)!r}{extra}") for src, i in zip(texts, items, strict=True)]
    return "[" + ", ".join(parts) + "]"


def _emit_in_category(a: list[str], call: n.Call, h: str) -> str:
    t = call.args[1].type
    if t is not None and t.kind == "list":
        return f"{h}({a[0]}, {a[1]})"
    return f"{h}({a[0]}, ({a[1]},))"


def _emit_join(a: list[str], call: n.Call, h: str) -> str:
    t = call.args[0].type
    return f"{h}({a[0]}, {a[1]}, {render_kind(t.elem if t is not None else None)!r})"


def _emit_sum(a: list[str], call: n.Call, h: str) -> str:
    t = call.args[0].type
    elem = t.elem.kind if t is not None and t.elem is not None else "int"
    return f"{h}({a[0]}, {elem!r})"


def _emit_call(a: list[str], call: n.Call, h: str) -> str:
    return f"{h}({', '.join(a)})"


def _in_unit(seconds: int) -> Emit:
    return lambda a, call, h: f"{h}({a[0]}, {seconds})"


BUILTINS: dict[str, Builtin] = {b.name: b for b in (
    Builtin("len", _unary(("string", "list"), "a string or a list", T.INT), _fmt("len({0})"),
            doc='len(x: string | list) -> int — the number of characters of a string or items of a list'),
    Builtin("count", _check_count, _fmt("len({0})"),
            doc='count(list) -> int — the number of items; `count(KIND by KEY within D)` is a window'),
    Builtin("lower", _strings(1, T.STRING), _fmt("{0}.lower()"),
            doc='lower(s: string) -> string — the text in lower case'),
    Builtin("upper", _strings(1, T.STRING), _fmt("{0}.upper()"),
            doc='upper(s: string) -> string — the text in upper case'),
    Builtin("trim", _strings(1, T.STRING), _fmt("{0}.strip()"),
            doc='trim(s: string) -> string — the text without leading and trailing white space'),
    Builtin("starts_with", _strings(2, T.BOOL), _fmt("{0}.startswith({1})"),
            doc='starts_with(s: string, prefix: string) -> bool'),
    Builtin("ends_with", _strings(2, T.BOOL), _fmt("{0}.endswith({1})"),
            doc='ends_with(s: string, suffix: string) -> bool'),
    Builtin("contains", _strings(2, T.BOOL), _fmt("({1} in {0})"),
            doc='contains(s: string, sub: string) -> bool — whether `sub` occurs in `s`'),
    Builtin("matches", _check_matches, _fmt("{h}({1}, {0})"), regexes.regex_search,
            doc='matches(s: string, re"…") -> bool — whether the regex (Python `regex` syntax) matches somewhere in `s`'),
    Builtin("find", _check_find, _emit_find,
            doc="find(text: string, WORDLIST[, category: string]) -> list<match> — the wordlist's hits in the text "
                "(word, start, end, category, before, after); a wordlist scoped to categories needs the category path"),
    Builtin("near", _context_check(3), _emit_call, context.near,
            doc="near(hit: match, WORDLIST, n: int) -> bool — an entry of the wordlist within n characters of the hit "
                "(either side, or overlapping it)"),
    Builtin("followed_by", _context_check(3), _emit_call, context.followed_by,
            doc="followed_by(hit: match, WORDLIST, n: int) -> bool — an entry of the wordlist begins at most n "
                "characters after the hit (0: right after it)"),
    Builtin("preceded_by", _context_check(3), _emit_call, context.preceded_by,
            doc="preceded_by(hit: match, WORDLIST, n: int) -> bool — an entry of the wordlist ends at most n "
                "characters before the hit (0: right before it)"),
    Builtin("anywhere", _context_check(2), _emit_call, context.anywhere,
            doc="anywhere(hit: match, WORDLIST) -> bool — an entry of the wordlist occurs anywhere in the text the hit "
                "was found in"),
    Builtin("in_category", _check_in_category, _emit_in_category, categories.in_any_category,
            doc='in_category(path: string, category: string | list<string>) -> bool — the category path lies in '
                'the category by whole levels (`药品` is in `医药保健>药品>感冒用药`, not in `化妆品`)'),
    Builtin("ceil", _unary(("int", "decimal"), "a number (divide money by ¥1 first)", T.INT), _fmt("{h}({0})"),
            support.ceil,
            doc='ceil(x: int | decimal) -> int — the smallest integer not below x'),
    Builtin("floor", _unary(("int", "decimal"), "a number (divide money by ¥1 first)", T.INT), _fmt("{h}({0})"),
            support.floor,
            doc='floor(x: int | decimal) -> int — the largest integer not above x'),
    Builtin("round", _check_round, _emit_call, support.round_,
            doc='round(x, n: int) -> same type — x rounded half-even to n decimal places'),
    Builtin("min", _check_min_max, _emit_call, min,
            doc='min(a, b, …) -> the smallest of its arguments (one ordered type)'),
    Builtin("max", _check_min_max, _emit_call, max,
            doc='max(a, b, …) -> the largest of its arguments (one ordered type)'),
    Builtin("abs", _check_abs, _emit_call, abs,
            doc='abs(x) -> the absolute value of a number, money, duration or weight'),
    Builtin("hours", _unary(("duration",), "a duration", T.DECIMAL), _in_unit(3600), support.in_unit,
            doc='hours(d: duration) -> decimal — the duration in hours'),
    Builtin("minutes", _unary(("duration",), "a duration", T.DECIMAL), _in_unit(60), support.in_unit,
            doc='minutes(d: duration) -> decimal — the duration in minutes'),
    Builtin("days", _unary(("duration",), "a duration", T.DECIMAL), _in_unit(86400), support.in_unit,
            doc='days(d: duration) -> decimal — the duration in days'),
    Builtin("date", _unary(("datetime",), "a datetime", T.DATE), _fmt("{h}({0})"), support.to_date,
            doc='date(dt: datetime) -> date — the calendar date in the platform time zone (UTC+8)'),
    Builtin("join", _check_join, _emit_join, support.join,
            doc='join(list<string>, sep: string) -> string'),
    Builtin("sum", _check_sum, _emit_sum, support.total,
            doc='sum(list) -> the total of a list of numbers, money, weights or durations; `sum(x by KEY within D)` is a window'),
    Builtin("script", _strings(1, T.STRING), _fmt("{h}({0})"), scripts.script,
            doc='script(s: string) -> string — "han", "latin", "other" or "" (no letters): the writing system of '
                "most of the text's letters"),
    Builtin("width", _strings(1, T.INT), _fmt("{h}({0})"), calendar.width,
            doc='width(s: string) -> int — display width: CJK and full-width characters count 2 (抖店 title limits)'),
    Builtin("business_duration", _check_business_duration, _emit_call, calendar.business_duration,
            doc="business_duration(start, end, hours: string) -> duration — the part of end - start inside the daily "
                'service hours ("08:00-23:00")'),
)}

#: The window aggregates (`count(order by ip within 10m)`, LANGUAGE §4.4).
WINDOW_FUNCS: dict[str, str] = {
    "count": "count(KIND by KEY[, KEY…] within D [where COND]) -> int — subjects with this key within D, this one "
             "included",
    "sum": "sum(VALUE by KEY within D [where COND]) -> the total of VALUE over the subjects with this key within D",
    "distinct": "distinct(VALUE by KEY within D [where COND]) -> int — how many different VALUEs within D",
    "members": "members(KIND by KEY within D [where COND]) -> list<KIND> — the subjects in the window, oldest first",
}
