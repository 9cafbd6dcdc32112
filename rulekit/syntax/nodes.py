"""Immutable typed AST nodes of the policy language, each with a source span."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from rulekit.diagnostics import Span
from rulekit.types import Type

NO_SPAN = Span("<none>", 0, 0, 0, 0)


def _span() -> Any:
    """A span field that takes no part in equality, so ASTs compare by meaning."""
    return field(default=NO_SPAN, compare=False, repr=False)


def _resolved() -> Any:
    """A field the checker fills in on the copy of the tree it hands on (None as parsed)."""
    return field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Ref:
    """What a name, call or window resolves to: `kind` is subject, item (a windowed subject), var,
    let, rlet, table, wordlist, now or window; `target` names it; `owner` is the policy (or rule) it
    belongs to."""

    kind: str
    target: str
    owner: str = ""


# ---- expressions -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    """A literal: `kind` is string, regex, int, decimal, percent, money, duration,
    weight, date, datetime, bool or null; `value` the Python value; `text` the
    source text (kept so the formatter writes literals as the author did)."""

    kind: str
    value: Any
    text: str
    span: Span = _span()
    type: Type | None = _resolved()
    ref: Ref | None = _resolved()


@dataclass(frozen=True, slots=True)
class Name:
    """A reference to a let, table, wordlist, quantifier variable or subject."""

    name: str
    span: Span = _span()
    type: Type | None = _resolved()
    ref: Ref | None = _resolved()


@dataclass(frozen=True, slots=True)
class This:
    """`this`: the current subject."""

    span: Span = _span()
    type: Type | None = _resolved()
    ref: Ref | None = _resolved()


@dataclass(frozen=True, slots=True)
class Attr:
    """Field access `obj.name` (also maps a field over a list)."""

    obj: Expr
    name: str
    span: Span = _span()
    type: Type | None = _resolved()
    ref: Ref | None = _resolved()


@dataclass(frozen=True, slots=True)
class Index:
    """List indexing `obj[index]`."""

    obj: Expr
    index: Expr
    span: Span = _span()
    type: Type | None = _resolved()
    ref: Ref | None = _resolved()


@dataclass(frozen=True, slots=True)
class Call:
    """A call of a built-in function or a table: `name(args)`."""

    func: str
    args: tuple[Expr, ...]
    span: Span = _span()
    type: Type | None = _resolved()
    ref: Ref | None = _resolved()


@dataclass(frozen=True, slots=True)
class Window:
    """A windowed aggregate: `func(value by keys within duration where cond)`."""

    func: str
    value: Expr
    keys: tuple[str, ...]
    within: Expr
    where: Expr | None
    span: Span = _span()
    type: Type | None = _resolved()
    ref: Ref | None = _resolved()


@dataclass(frozen=True, slots=True)
class Unary:
    """`-x` or `not x`."""

    op: str
    operand: Expr
    span: Span = _span()
    type: Type | None = _resolved()
    ref: Ref | None = _resolved()


@dataclass(frozen=True, slots=True)
class Binary:
    """Arithmetic, comparison, `and`, `or`, `??`, `in` and `not in`."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span()
    type: Type | None = _resolved()
    ref: Ref | None = _resolved()


@dataclass(frozen=True, slots=True)
class IsNull:
    """`x is [not] null` (`missing=False`) or `x is [not] missing`."""

    operand: Expr
    negated: bool
    missing: bool
    span: Span = _span()
    type: Type | None = _resolved()
    ref: Ref | None = _resolved()


@dataclass(frozen=True, slots=True)
class If:
    """`if cond then a else b`."""

    cond: Expr
    then: Expr
    else_: Expr
    span: Span = _span()
    type: Type | None = _resolved()
    ref: Ref | None = _resolved()


@dataclass(frozen=True, slots=True)
class Quantifier:
    """`any|all var in collection satisfies body`, or the filter `each var in collection where body`."""

    kind: str
    var: str
    collection: Expr
    body: Expr
    span: Span = _span()
    type: Type | None = _resolved()
    ref: Ref | None = _resolved()


@dataclass(frozen=True, slots=True)
class ListExpr:
    """A list literal `[a, b]`."""

    items: tuple[Expr, ...]
    span: Span = _span()
    type: Type | None = _resolved()
    ref: Ref | None = _resolved()


@dataclass(frozen=True, slots=True)
class Template:
    """A message or action-argument string with `{expr}` interpolations.
    `parts` alternates literal text (str) and expressions; `text` is the source."""

    parts: tuple[str | Expr, ...]
    text: str
    span: Span = _span()
    type: Type | None = _resolved()
    ref: Ref | None = _resolved()


Expr = Union[  # noqa: UP007 - a runtime alias of forward references
    Literal, Name, This, Attr, Index, Call, Window, Unary, Binary, IsNull, If,
    Quantifier, ListExpr, Template,
]

# ---- types and records ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TypeRef:
    """A written type: `string`, `list<T>`, `T?`, a record name."""

    name: str
    arg: TypeRef | None
    optional: bool
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class FieldDecl:
    """`name: type` inside a record declaration or table signature."""

    name: str
    type: TypeRef
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class RecordDecl:
    """`record NAME [time FIELD] { fields }`: a new subject type or added fields."""

    name: str
    time_field: str | None
    fields: tuple[FieldDecl, ...]
    span: Span = _span()


# ---- policy members --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Version:
    """`version "..."`."""

    value: str
    text: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Effective:
    """`effective [start] .. [end]` (Literal date or datetime bounds)."""

    start: Literal | None
    end: Literal | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Let:
    """`let NAME = expr` at policy level or inside a rule."""

    name: str
    expr: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class WordlistClause:
    """A clause of a wordlist: `source`, `words`, `allow`, `only`, `except` (Literal strings; the last two are
    `only category …`, `except category …`), `match` (one Name) or `variants` (Names)."""

    kind: str
    values: tuple[Literal, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Wordlist:
    """`wordlist NAME { clauses }`."""

    name: str
    clauses: tuple[WordlistClause, ...]
    span: Span = _span()

    def values(self, kind: str) -> list[Literal]:
        """All values of the clauses of one kind, in order."""
        return [v for c in self.clauses if c.kind == kind for v in c.values]


@dataclass(frozen=True, slots=True)
class TableRow:
    """A table row: `keys` (each a tuple of one expression per parameter) and
    the result expressions; `keys` is None for the `else` row."""

    keys: tuple[tuple[Expr, ...], ...] | None
    values: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Table:
    """`table NAME(params) -> result { rows }`; `single` when written `-> T`."""

    name: str
    params: tuple[FieldDecl, ...]
    results: tuple[FieldDecl, ...]
    single: bool
    rows: tuple[TableRow, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Severity:
    """`severity error|warning|info`."""

    level: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class When:
    """`when expr`."""

    expr: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Unless:
    """`unless expr`."""

    expr: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Message:
    """`message "template"`."""

    template: Template
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class NamedArg:
    """`name: expr` in an action."""

    name: str
    expr: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Action:
    """`action NAME(args)`; `parens` records whether `()` was written."""

    name: str
    args: tuple[NamedArg, ...]
    parens: bool
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class EvidenceClause:
    """`evidence expr`."""

    expr: Expr
    span: Span = _span()


RuleClause = Union[Severity, Let, When, Unless, Message, Action, EvidenceClause]  # noqa: UP007 - runtime alias


@dataclass(frozen=True, slots=True)
class Rule:
    """`rule NAME ["title"] on SUBJECT { clauses }`, clauses in source order."""

    name: str
    title: Literal | None
    subject: str
    clauses: tuple[RuleClause, ...]
    span: Span = _span()

    def of(self, kind: type) -> list[Any]:
        """The clauses of one node class, in order."""
        return [c for c in self.clauses if isinstance(c, kind)]


PolicyMember = Union[Version, Effective, Let, Wordlist, Table, Rule]  # noqa: UP007 - runtime alias


@dataclass(frozen=True, slots=True)
class Policy:
    """`policy NAME ["title"] { members }`."""

    name: str
    title: Literal | None
    members: tuple[PolicyMember, ...]
    span: Span = _span()

    def of(self, kind: type) -> list[Any]:
        """The members of one node class, in order."""
        return [m for m in self.members if isinstance(m, kind)]


# ---- tests -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class At:
    """`at DATETIME`: the test's `now`."""

    moment: Literal
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Given:
    """`given KIND {json}` (one subject) or `given KIND [ ... ]` (a stream)."""

    kind: str
    value: Any
    stream: bool
    span: Span = _span()
    #: for a stream, the span of each element (the formatter keeps comments beside them)
    item_spans: tuple[Span, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Expect:
    """`expect [no] violation|action|error NAME` or `expect decision D`."""

    what: str
    negated: bool
    target: str | None
    span: Span = _span()


TestClause = Union[At, Given, Expect]  # noqa: UP007 - runtime alias


@dataclass(frozen=True, slots=True)
class TestBlock:
    """`test "name" { clauses }`."""

    name: str
    name_text: str
    clauses: tuple[TestClause, ...]
    span: Span = _span()


Item = Union[Policy, RecordDecl, TestBlock]  # noqa: UP007 - runtime alias


@dataclass(frozen=True, slots=True)
class Comment:
    """A `#` comment; `own_line` when nothing but blanks precede it."""

    text: str
    line: int
    own_line: bool


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One parsed `.rule` file: its items, its comments and where its blank lines are."""

    path: str
    items: tuple[Item, ...]
    comments: tuple[Comment, ...] = field(default=(), compare=False)
    #: the numbers of the lines holding nothing but blanks (the formatter keeps a blank line)
    blank_lines: frozenset[int] = field(default=frozenset(), compare=False)
    #: (first, last) lines blanked by syntax error recovery: the file had syntax errors, this is what parsed
    damaged: tuple[tuple[int, int], ...] = field(default=(), compare=False)
    #: the names of `let`s, wordlists and tables whose definitions were blanked
    lost_names: frozenset[str] = field(default=frozenset(), compare=False)
