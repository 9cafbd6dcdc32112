"""Writes a parsed `.rule` file back in the one canonical layout, keeping every comment."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rulekit.diagnostics import Diagnostic, Span
from rulekit.syntax import nodes as n
from rulekit.syntax.exprformat import INDENT, format_expr, wrapped_expr
from rulekit.syntax.parser import parse
from rulekit.syntax.visitor import NodeVisitor

__all__ = ["format_expr", "format_json", "format_source", "format_text", "format_type"]

# ---- values written as they are read ------------------------------------------------


def format_json(value: Any) -> str:
    """JSON on one line, `", "` and `": "` separators, non-ASCII kept, numbers exact."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        s = str(value)
        # a Decimal written as `1e0` reads back as a Decimal only with its exponent
        return s if re.search(r"[.eE]", s) else s + "E+0"
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(format_json(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_json_string(k)}: {format_json(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"not a JSON value: {value!r}")


def _json_string(s: str) -> str:
    # a lone surrogate (from `"\ud800"`) cannot be written as UTF-8: keep it escaped
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(s, ensure_ascii=False))


_SURROGATE = re.compile("[\ud800-\udfff]")


def format_type(t: n.TypeRef) -> str:
    """`string`, `list<T>`, `T?`."""
    arg = f"<{format_type(t.arg)}>" if t.arg is not None else ""
    return f"{t.name}{arg}{'?' if t.optional else ''}"


def _fields(fs: Sequence[n.FieldDecl]) -> str:
    return ", ".join(f"{f.name}: {format_type(f.type)}" for f in fs)


# ---- layout: lines and blocks, each with the span it came from ---------------------


@dataclass(slots=True)
class _Line:
    """A statement written on one line."""

    text: str
    span: Span
    #: a statement that may be wrapped: its head (`let x = `) and expression, laid out once the indent is known
    wrap: tuple[str, n.Expr] | None = None


@dataclass(slots=True)
class _Block:
    """`header` line, children one level deeper, `closing` line.

    `blank(prev, next)` says whether a blank line always separates two children
    (True), never does (False), or does when the author had one (None)."""

    header: str
    children: list[_Unit]
    closing: str
    span: Span
    kinds: list[str] = field(default_factory=list)
    blank: Callable[[str, str], bool | None] = lambda a, b: None


_Unit = _Line | _Block

_SPACED_MEMBERS = frozenset({"Rule", "Table", "Wordlist"})


def _policy_blank(a: str, b: str) -> bool | None:
    return True if a in _SPACED_MEMBERS or b in _SPACED_MEMBERS else None


def _item_blank(a: str, b: str) -> bool | None:
    return True


def _never_blank(a: str, b: str) -> bool | None:
    return False


class _Layout(NodeVisitor):
    """The layout unit of each declaration node: a line, or a block of units."""

    def generic_visit(self, node: Any) -> _Unit:
        raise TypeError(f"not a declaration: {type(node).__name__}")

    def visit_Policy(self, p: n.Policy) -> _Block:
        title = f" {p.title.text}" if p.title is not None else ""
        children = [self.visit(m) for m in p.members]
        return _Block(f"policy {p.name}{title} {{", children, "}", p.span,
                      [type(m).__name__ for m in p.members], _policy_blank)

    def visit_Version(self, m: n.Version) -> _Line:
        return _Line(f"version {m.text}", m.span)

    def visit_Effective(self, m: n.Effective) -> _Line:
        start = f" {m.start.text}" if m.start is not None else ""
        end = f" {m.end.text}" if m.end is not None else ""
        return _Line(f"effective{start} ..{end}", m.span)

    def visit_Let(self, m: n.Let) -> _Line:
        return _Line(f"let {m.name} = {format_expr(m.expr)}", m.span, (f"let {m.name} = ", m.expr))

    def visit_Wordlist(self, m: n.Wordlist) -> _Block:
        lines: list[_Unit] = [_Line(f"{c.kind}{' category' if c.kind in ('only', 'except') else ''} "
                                    f"{', '.join(v.text for v in c.values)}", c.span) for c in m.clauses]
        return _Block(f"wordlist {m.name} {{", lines, "}", m.span)

    def visit_Table(self, t: n.Table) -> _Block:
        return _layout_table(t)

    def visit_Rule(self, r: n.Rule) -> _Block:
        title = f" {r.title.text}" if r.title is not None else ""
        clauses: list[_Unit] = [self.visit(c) for c in r.clauses]
        return _Block(f"rule {r.name}{title} on {r.subject} {{", clauses, "}", r.span)

    def visit_Severity(self, c: n.Severity) -> _Line:
        return _Line(f"severity {c.level}", c.span)

    def visit_When(self, c: n.When) -> _Line:
        return _Line(f"when {format_expr(c.expr)}", c.span, ("when ", c.expr))

    def visit_Unless(self, c: n.Unless) -> _Line:
        return _Line(f"unless {format_expr(c.expr)}", c.span, ("unless ", c.expr))

    def visit_Message(self, c: n.Message) -> _Line:
        return _Line(f"message {c.template.text}", c.span)

    def visit_Action(self, c: n.Action) -> _Line:
        if not c.parens and not c.args:
            return _Line(f"action {c.name}", c.span)
        args = ", ".join(f"{a.name}: {format_expr(a.expr)}" for a in c.args)
        return _Line(f"action {c.name}({args})", c.span)

    def visit_EvidenceClause(self, c: n.EvidenceClause) -> _Line:
        return _Line(f"evidence {format_expr(c.expr)}", c.span)

    def visit_RecordDecl(self, r: n.RecordDecl) -> _Block:
        time = f" time {r.time_field}" if r.time_field is not None else ""
        fields: list[_Unit] = [_Line(f"{f.name}: {format_type(f.type)}", f.span) for f in r.fields]
        return _Block(f"record {r.name}{time} {{", fields, "}", r.span)

    def visit_TestBlock(self, t: n.TestBlock) -> _Block:
        return _Block(f"test {t.name_text} {{", [self.visit(c) for c in t.clauses], "}", t.span)

    def visit_At(self, c: n.At) -> _Line:
        return _Line(f"at {c.moment.text}", c.span)

    def visit_Given(self, c: n.Given) -> _Unit:
        if not c.stream or not c.value:
            return _Line(f"given {c.kind} {format_json(c.value)}", c.span)
        spans = list(c.item_spans) if len(c.item_spans) == len(c.value) else [n.NO_SPAN] * len(c.value)
        last = len(c.value) - 1
        items: list[_Unit] = [_Line(format_json(v) + ("," if i < last else ""), s)
                              for i, (v, s) in enumerate(zip(c.value, spans, strict=True))]
        return _Block(f"given {c.kind} [", items, "]", c.span, blank=_never_blank)

    def visit_Expect(self, c: n.Expect) -> _Line:
        no = " no" if c.negated else ""
        target = f" {c.target}" if c.target is not None else ""
        return _Line(f"expect{no} {c.what}{target}", c.span)


_LAYOUT = _Layout()


#: A bare name at the end of a row value: `(` on the next row would make it a call.
_ENDS_WITH_NAME = re.compile(r"(?<![.\w])([A-Za-z_]\w*)$")
_NOT_CALLABLE = frozenset({"true", "false", "null", "missing", "this"})


def _layout_table(t: n.Table) -> _Block:
    result = format_type(t.results[0].type) if t.single else f"({_fields(t.results)})"
    header = f"table {t.name}({_fields(t.params)}) -> {result} {{"
    rows: list[_Unit] = []
    prev_value: str | None = None
    for i, row in enumerate(t.rows):
        values = [format_expr(v) for v in row.values]
        value = values[0] if len(values) == 1 else "(" + ", ".join(values) + ")"
        if row.keys is None:
            keys = "else"
        else:
            parts = [_row_key(k) for k in row.keys]
            # rows are not separated by a token: a row may not start with what would
            # continue the previous row's value (`-`, `[`, `not` as an operator, `(` as a call)
            if i > 0 and re.match(r"-|\[|not\b", parts[0]):
                parts[0] = f"({parts[0]})"
            if i > 0 and parts[0].startswith("(") and prev_value is not None:
                m = _ENDS_WITH_NAME.search(prev_value)
                if m and m.group(1) not in _NOT_CALLABLE:
                    prev = rows[-1]
                    assert isinstance(prev, _Line)
                    prev.text = prev.text[: len(prev.text) - len(prev_value)] + f"({prev_value})"
            keys = ", ".join(parts)
        rows.append(_Line(f"{keys} => {value}", row.span))
        prev_value = value
    return _Block(header, rows, "}", t.span)


def _row_key(key: tuple[n.Expr, ...]) -> str:
    if len(key) == 1:
        return format_expr(key[0])
    return "(" + ", ".join(format_expr(k) for k in key) + ")"


# ---- comments and blank lines ----------------------------------------------------------


def _has_span(s: Span) -> bool:
    return s.line > 0


@dataclass(slots=True)
class _Placed:
    """Where the comments of one block go."""

    header: list[n.Comment] = field(default_factory=list)
    leading: list[list[n.Comment]] = field(default_factory=list)
    inside: list[list[n.Comment]] = field(default_factory=list)
    end: list[n.Comment] = field(default_factory=list)
    closing: list[n.Comment] = field(default_factory=list)


def _place(children: Sequence[_Unit], comments: Sequence[n.Comment], first: int, last: int) -> _Placed:
    """Give every comment of a block (lines `first`..`last`) its place: on the header or
    closing line, before a child, inside a child, or at the end of the block."""
    placed = _Placed(leading=[[] for _ in children], inside=[[] for _ in children])
    spans = [(i, c.span) for i, c in enumerate(children) if _has_span(c.span)]
    first_child = spans[0][1].line if spans else None
    for c in comments:
        line = c.line
        if c.own_line:
            home = next((i for i, s in spans if s.line < line < s.end_line), None)
            if home is not None:
                placed.inside[home].append(c)
                continue
        else:
            covering = [i for i, s in spans if s.line <= line <= s.end_line]
            if covering:
                placed.inside[covering[-1]].append(c)
                continue
            if line == last and last != first:
                placed.closing.append(c)
                continue
            if line == first or (first_child is not None and line < first_child) or first_child is None:
                placed.header.append(c)
                continue
        following = next((i for i, s in spans if s.line > line), None)
        if following is not None:
            placed.leading[following].append(c)
        else:
            placed.end.append(c)
    # one comment stays on the header line; any others move inside, before the first child
    extra = placed.header[1:]
    placed.header = placed.header[:1]
    if extra:
        if children and first_child is not None:
            first_index = spans[0][0]
            placed.leading[first_index] = sorted(extra + placed.leading[first_index], key=lambda c: c.line)
        else:
            placed.end = sorted(extra + placed.end, key=lambda c: c.line)
    return placed


class _Writer:
    """Writes layout units as indented lines, with the comments and blank lines they carry."""

    def __init__(self, blank_lines: frozenset[int]):
        self.lines: list[str] = []
        self.blank_lines = blank_lines

    def gap(self, after: int, before: int) -> bool:
        """Whether the author left a blank line between source lines `after` and `before`."""
        if after <= 0 or before <= 0 or before - after < 2:
            return False
        return any(ln in self.blank_lines for ln in range(after + 1, before))

    def blank(self) -> None:
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def sequence(self, children: Sequence[_Unit], kinds: Sequence[str], placed: _Placed, depth: int,
                 start: int, rule: Callable[[str, str], bool | None]) -> None:
        """The children of a block (or file), each after its leading comments. Before a
        child (and its comments) a blank line is forced, forbidden or kept from the source
        as `rule` says; between comments, and after the last child, blank lines are kept."""
        pad = INDENT * depth
        prev_line = start
        never = rule("", "") is False
        for i, child in enumerate(children):
            forced = i > 0 and rule(kinds[i - 1], kinds[i]) is True
            heads: list[tuple[int, str | None]] = [(c.line, c.text) for c in placed.leading[i]]
            heads.append((child.span.line if _has_span(child.span) else 0, None))
            for j, (line, text) in enumerate(heads):
                if j == 0:
                    blank = i > 0 and (forced or self.gap(prev_line, line))
                else:
                    blank = self.gap(prev_line, line)
                if blank and not never:
                    self.blank()
                if text is not None:
                    self.lines.append(pad + text)
                    prev_line = line
            self.unit(child, placed.inside[i], depth)
            if _has_span(child.span):
                prev_line = child.span.end_line
        for j, c in enumerate(placed.end):
            if (children or j > 0) and not never and self.gap(prev_line, c.line):
                self.blank()
            self.lines.append(pad + c.text)
            prev_line = c.line

    def unit(self, u: _Unit, comments: list[n.Comment], depth: int) -> None:
        pad = INDENT * depth
        if isinstance(u, _Line):
            trailing = [c for c in comments if not c.own_line]
            keep = trailing[-1] if trailing else None
            for c in comments:
                if c is not keep:
                    self.lines.append(pad + c.text)
            text = wrapped_expr(u.wrap[0], u.wrap[1], len(pad)) if u.wrap is not None else u.text
            *first, last = text.split("\n")
            self.lines.extend(pad + line for line in first)
            self.lines.append(pad + last + (f"  {keep.text}" if keep is not None else ""))
            return
        first, last = (u.span.line, u.span.end_line) if _has_span(u.span) else (0, 0)
        placed = _place(u.children, comments, first, last)
        self.lines.append(pad + u.header + "".join(f"  {c.text}" for c in placed.header))
        kinds = u.kinds or ["" for _ in u.children]
        self.sequence(u.children, kinds, placed, depth + 1, first, u.blank)
        self.lines.append(pad + u.closing + "".join(f"  {c.text}" for c in placed.closing))


def format_source(sf: n.SourceFile) -> str:
    """The canonical text of a parsed file (empty for a file with nothing in it)."""
    items = [_LAYOUT.visit(i) for i in sf.items]
    comments = sorted(sf.comments, key=lambda c: c.line)
    placed = _Placed(leading=[[] for _ in items], inside=[[] for _ in items])
    spans = [(i, u.span) for i, u in enumerate(items) if _has_span(u.span)]
    for c in comments:
        home = next((i for i, s in reversed(spans) if s.line <= c.line <= s.end_line), None)
        if home is not None:
            placed.inside[home].append(c)
            continue
        following = next((i for i, s in spans if s.line > c.line), None)
        if following is not None:
            placed.leading[following].append(c)
        else:
            placed.end.append(c)
    w = _Writer(sf.blank_lines)
    w.sequence(items, ["" for _ in items], placed, 0, 0, _item_blank)
    while w.lines and w.lines[-1] == "":
        w.lines.pop()
    return "\n".join(w.lines) + "\n" if w.lines else ""


def format_text(text: str, path: str = "<input>") -> tuple[str | None, list[Diagnostic]]:
    """Format source text: the canonical text, or None and the syntax error."""
    sf, diags = parse(text, path)
    if sf is None:
        return None, diags
    return format_source(sf), diags
