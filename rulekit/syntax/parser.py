"""Parses `.rule` text with Lark (LALR, contextual lexer) into AST nodes with spans; re-entrant."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput, UnexpectedToken

from rulekit.cache import lark_cache_file
from rulekit.diagnostics import Diagnostic, Span
from rulekit.limits import active as active_limits
from rulekit.resources import grammar_path
from rulekit.syntax import nodes as n
from rulekit.syntax import recovery
from rulekit.syntax.errors import KEYWORDS, ParseFailure, syntax_diagnostic
from rulekit.syntax.expressions import ExprBuilder

__all__ = ["KEYWORDS", "ParseFailure", "parse", "parse_expr"]


@lru_cache(maxsize=1)
def _lark() -> Lark:
    """The one LALR parser (immutable once built; each `parse` call keeps its own state)."""
    grammar = grammar_path().read_text(encoding="utf-8")
    return Lark(
        grammar,
        cache=lark_cache_file(grammar) or False,  # LALR tables from the user cache: 0.2 s saved per process
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=False,
        start=["start", "expr"],
    )


#: A string or regex literal (skipped: a `#` inside it is text) or a comment.
_COMMENT_OR_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*')


def _comments(text: str) -> tuple[n.Comment, ...]:
    """The `#` comments of a file that parsed: Lark ignores them, the formatter keeps them."""
    out = []
    line, last = 1, 0
    for m in _COMMENT_OR_STRING.finditer(text):
        if m.group().startswith("#"):
            line += text.count("\n", last, m.start())
            last = m.start()
            line_start = text.rfind("\n", 0, m.start()) + 1
            own = text[line_start : m.start()].strip() == ""
            out.append(n.Comment(m.group().rstrip(), line, own))
    return tuple(out)


#: Words that are keywords only where their clause is expected (LANGUAGE §9).
_CONTEXTUAL_KEYWORDS = frozenset({"VERSION", "EFFECTIVE", "SOURCE", "WORDS", "ALLOW", "MATCH", "TIME",
                                  "NO", "VIOLATION", "DECISION", "ERROR", "ONLY", "EXCEPT", "CATEGORY",
                                  "VARIANTS"})


def _keyword_as_name(e: UnexpectedInput) -> bool:
    """Error handler: the contextual lexer reads `effective` as the keyword wherever LALR's
    merged states allow it (e.g. a table row key after a row value); where the keyword
    cannot follow but a name can, it is a name."""
    if not isinstance(e, UnexpectedToken) or e.token.type not in _CONTEXTUAL_KEYWORDS:
        return False
    ip = e.interactive_parser
    if ip is None or "NAME" not in ip.accepts():
        return False
    ip.feed_token(Token.new_borrow_pos("NAME", str(e.token), e.token))
    return True


def parse(text: str, path: str = "<input>", recover: bool = False) -> tuple[n.SourceFile | None, list[Diagnostic]]:
    """Parse one file. Returns the AST and its diagnostics: every syntax error of the file, each found after
    blanking the statement of the one before (rulekit/syntax/recovery.py). On a syntax error the AST is None,
    or with `recover` the AST of what parsed, its blanked lines in `SourceFile.damaged`."""
    if text.startswith("\ufeff"):
        text = text[1:]
    tree, rec = recovery.recover(text, path, _parse_tree, syntax_diagnostic)
    diags = list(rec.diagnostics)
    if tree is None or (diags and not recover):
        return None, diags
    assert isinstance(tree, Tree)
    too_deep = _too_deep(tree, path)
    if too_deep is not None:
        return None, [*diags, too_deep]
    try:
        items = tuple(_Builder(path, rec.text).item(t) for t in tree.children)
    except ParseFailure as e:
        return None, [*diags, e.diagnostic]
    lines = text.split("\n")
    blanks = frozenset(i for i, line in enumerate(lines, 1) if not line.strip())
    return n.SourceFile(path, items, _comments(text), blanks, rec.damaged, rec.lost_names), diags


def _parse_tree(text: str) -> Tree:
    return _lark().parse(text, start="start", on_error=_keyword_as_name)


def _too_deep(tree: Tree, path: str) -> Diagnostic | None:
    """E001 for the first part of a file nested deeper than the `expression-depth` limit (walked without recursion:
    every later stage recurses over the tree, so nothing deeper reaches them)."""
    limit = active_limits().expression_depth
    todo: list[tuple[Tree | Token, int, Tree]] = [(tree, 0, tree)]
    while todo:
        node, depth, anchor = todo.pop()
        if not isinstance(node, Tree):
            continue
        if depth <= _CLAUSE_DEPTH:
            anchor = node  # the diagnostic points at the clause the deep expression is in, not deep inside it
        if depth > limit:
            m = anchor.meta
            line, col = (m.line, m.column) if not getattr(m, "empty", True) else (0, 0)
            return Diagnostic("E001", f"this expression is nested more than {limit} levels deep "
                              "(limit `expression-depth`)", Span(path, line, col, line, col + 1),
                              "split it into `let`s, or join many conditions with `any`/`all` over a list")
        todo.extend((c, depth + 1, anchor) for c in node.children)
    return None


#: How deep a clause's expression starts in a file's tree (file, policy, rule, clause).
_CLAUSE_DEPTH = 4


def parse_expr(text: str, path: str = "<expr>") -> n.Expr:
    """Parse one expression (used by tests and the REPL-like `explain`)."""
    tree = _lark().parse(text, start="expr", on_error=_keyword_as_name)
    too_deep = _too_deep(tree, path)
    if too_deep is not None:
        raise ParseFailure(too_deep)
    return _Builder(path, text).expr(tree)


# ---- tree → AST --------------------------------------------------------------------


class _Builder(ExprBuilder):
    """Turns a Lark tree into AST nodes; nothing outside this module sees Lark objects."""

    def __init__(self, path: str, text: str, line: int = 0, col: int = 0):
        self.path = path
        self.text = text
        self.line_shift = line
        self.col_shift = col

    # spans
    def span(self, node: Tree | Token) -> Span:
        if isinstance(node, Token):
            line, col, eline, ecol = node.line, node.column, node.end_line, node.end_column
        else:
            m = node.meta
            if getattr(m, "empty", True):
                return n.NO_SPAN
            line, col, eline, ecol = m.line, m.column, m.end_line, m.end_column
        if self.line_shift:
            # a sub-parse of an interpolation: one line, shifted into the file
            return Span(self.path, self.line_shift, col + self.col_shift, self.line_shift, ecol + self.col_shift)
        return Span(self.path, line or 0, col or 0, eline or 0, ecol or 0)

    # items
    def item(self, t: Tree) -> n.Item:
        return getattr(self, "i_" + t.data)(t)

    def i_policy(self, t: Tree) -> n.Policy:
        ch = list(t.children)
        name = self.name(ch.pop(0))
        title = None
        if ch and isinstance(ch[0], Token) and ch[0].type == "STRING":
            tok = ch.pop(0)
            title = n.Literal("string", self.string_value(tok), str(tok), self.span(tok))
        members = tuple(self.member(m) for m in ch)
        return n.Policy(name, title, members, self.span(t))

    def member(self, t: Tree) -> n.PolicyMember:
        return getattr(self, "m_" + t.data)(t)

    def m_version(self, t: Tree) -> n.Version:
        tok = t.children[0]
        return n.Version(self.string_value(tok), str(tok), self.span(t))

    def m_effective(self, t: Tree) -> n.Effective:
        start = end = None
        seen_range = False
        for c in t.children:
            if c.type == "RANGE":
                seen_range = True
            elif not seen_range:
                start = self.moment(c)
            else:
                end = self.moment(c)
        return n.Effective(start, end, self.span(t))

    def moment(self, tok: Token) -> n.Literal:
        return self.literal_token(tok)

    def m_let(self, t: Tree) -> n.Let:
        return n.Let(self.name(t.children[0]), self.expr(t.children[1]), self.span(t))

    m_rule_let = m_let

    def m_wordlist(self, t: Tree) -> n.Wordlist:
        name = self.name(t.children[0])
        clauses = []
        for c in t.children[1:]:
            kind = c.data[3:]  # wl_source → source
            if kind in ("match", "variants"):
                vals = tuple(n.Literal("name", str(tok), str(tok), self.span(tok)) for tok in c.children)
            else:
                vals = tuple(n.Literal("string", self.string_value(s), str(s), self.span(s)) for s in c.children)
            clauses.append(n.WordlistClause(kind, vals, self.span(c)))
        return n.Wordlist(name, tuple(clauses), self.span(t))

    def params(self, t: Tree) -> tuple[n.FieldDecl, ...]:
        return tuple(n.FieldDecl(self.name(p.children[0]), self.type(p.children[1]), self.span(p)) for p in t.children)

    def m_table(self, t: Tree) -> n.Table:
        name = self.name(t.children[0])
        params = self.params(t.children[1])
        res = t.children[2]
        if res.data == "single_result":
            results = (n.FieldDecl("value", self.type(res.children[0]), self.span(res)),)
            single = True
        else:
            results = self.params(res.children[0])
            single = False
        rows = []
        for r in t.children[3:]:
            if r.data == "else_row":
                rows.append(n.TableRow(None, self.row_value(r.children[0]), self.span(r)))
            else:
                keys = []
                for k in r.children[0].children:
                    keys.append(self.row_key(k, len(params)))
                rows.append(n.TableRow(tuple(keys), self.row_value(r.children[1]), self.span(r)))
        for i, row in enumerate(rows):
            if row.keys is None and i != len(rows) - 1:
                raise ParseFailure(Diagnostic("E001", "`else` must be the last row of a table", row.span,
                                              "move the `else` row to the end"))
        return n.Table(name, params, results, single, tuple(rows), self.span(t))

    def row_key(self, k: Tree, arity: int) -> tuple[n.Expr, ...]:
        if isinstance(k, Tree) and k.data == "tuple_key":
            return tuple(self.expr(c) for c in k.children)
        return (self.expr(k),)

    def row_value(self, t: Tree) -> tuple[n.Expr, ...]:
        if t.data == "tuple_value":
            return tuple(self.expr(c) for c in t.children)
        return (self.expr(t.children[0]),)

    def m_rule(self, t: Tree) -> n.Rule:
        ch = list(t.children)
        name = self.name(ch.pop(0))
        title = None
        if isinstance(ch[0], Token) and ch[0].type == "STRING":
            tok = ch.pop(0)
            title = n.Literal("string", self.string_value(tok), str(tok), self.span(tok))
        subject = self.name(ch.pop(0))
        clauses = tuple(self.clause(c) for c in ch)
        return n.Rule(name, title, subject, clauses, self.span(t))

    def clause(self, t: Tree) -> n.RuleClause:
        d = t.data
        if d == "severity":
            tok = t.children[0]
            if str(tok) not in ("error", "warning", "info"):
                raise self.fail(tok, f"unknown severity `{tok}`: expected `error`, `warning` or `info`")
            return n.Severity(str(tok), self.span(t))
        if d == "let":
            return self.m_let(t)
        if d == "when":
            return n.When(self.expr(t.children[0]), self.span(t))
        if d == "unless":
            return n.Unless(self.expr(t.children[0]), self.span(t))
        if d == "message":
            return n.Message(self.template(t.children[0]), self.span(t))
        if d == "action":
            name = self.name(t.children[0])
            args = []
            for a in t.children[1:]:
                args.append(n.NamedArg(str(a.children[0]), self.action_arg(a.children[1]), self.span(a)))
            parens = self.text[t.meta.start_pos:t.meta.end_pos].rstrip().endswith(")")
            return n.Action(name, tuple(args), parens, self.span(t))
        if d == "evidence":
            return n.EvidenceClause(self.expr(t.children[0]), self.span(t))
        raise AssertionError(d)

    def action_arg(self, t: Tree) -> n.Expr:
        if isinstance(t, Tree) and t.data == "string":
            return self.template(t.children[0])
        return self.expr(t)

    def i_record(self, t: Tree) -> n.RecordDecl:
        ch = list(t.children)
        name = self.name(ch.pop(0))
        time_field = None
        if ch and isinstance(ch[0], Token):
            time_field = self.name(ch.pop(0))
        fields = tuple(n.FieldDecl(self.name(f.children[0]), self.type(f.children[1]), self.span(f)) for f in ch)
        return n.RecordDecl(name, time_field, fields, self.span(t))

    def type(self, t: Tree) -> n.TypeRef:
        name = str(t.children[0])
        arg = None
        optional = False
        for c in t.children[1:]:
            if isinstance(c, Tree):
                arg = self.type(c)
            elif c.type == "OPTIONAL":
                optional = True
        return n.TypeRef(name, arg, optional, self.span(t))

    def i_test(self, t: Tree) -> n.TestBlock:
        tok = t.children[0]
        clauses: list[n.TestClause] = []
        for c in t.children[1:]:
            if c.data == "at":
                clauses.append(n.At(self.moment(c.children[0]), self.span(c)))
            elif c.data == "given":
                kind = self.name(c.children[0])
                value = self.json(c.children[1])
                stream = isinstance(value, list)
                items = tuple(self.span(x) for x in c.children[1].children) if stream else ()
                clauses.append(n.Given(kind, value, stream, self.span(c), items))
            else:
                negated = False
                what = target = None
                for x in c.children:
                    if isinstance(x, Tree):
                        target = ".".join(str(p) for p in x.children)
                    elif x.type == "NO":
                        negated = True
                    else:
                        what = str(x)
                assert what is not None
                if negated and what == "decision":
                    raise self.fail(c, "`expect no decision` has no meaning", "write `expect decision allow`")
                if target is None:
                    hint = {"decision": "`expect decision block`", "violation": "`expect violation policy.rule`",
                            "action": "`expect action hold_order`", "error": "`expect error policy.rule`"}[what]
                    if not (negated and what in ("violation", "error", "action")):
                        raise self.fail(c, f"`expect {what}` needs a target, e.g. {hint}")
                clauses.append(n.Expect(what, negated, target, self.span(c)))
        return n.TestBlock(self.string_value(tok), str(tok), tuple(clauses), self.span(t))

    def json(self, t: Tree | Token) -> Any:
        d = t.data
        if d == "json_object":
            out: dict[str, Any] = {}
            for p in t.children:
                out[self._json_string(p.children[0])] = self.json(p.children[1])
            return out
        if d == "json_array":
            return [self.json(c) for c in t.children]
        if d == "json_string":
            return self._json_string(t.children[0])
        if d == "json_number":
            s = str(t.children[0])
            lim = active_limits()
            digits = len(re.sub(r"[eE].*|[^0-9]", "", s))
            exponent = re.search(r"[eE]([+-]?\d+)", s)
            if digits > lim.number_digits or (exponent and len(exponent[1].lstrip("+-")) > 6):
                raise self.fail(t.children[0], f"a number with {digits:,} digits; at most {lim.number_digits} "
                                "(limit `number-digits`)")
            return int(s) if re.fullmatch(r"-?\d+", s) else Decimal(s)
        return {"json_true": True, "json_false": False, "json_null": None}[d]

    def _json_string(self, tok: Token) -> str:
        """A JSON string token of a `given` (a key or a value); a bad escape or control character is E001."""
        try:
            value = json.loads(str(tok))
        except json.JSONDecodeError as e:
            raise self.fail(tok, f"invalid JSON string: {e.msg.lower()}") from None
        if not isinstance(value, str):
            raise self.fail(tok, "invalid JSON string")
        return value

    def _sub_expr(self, tok: Token, src: str, offset: int) -> n.Expr:
        line = self.line_shift or tok.line
        col_shift = tok.column + offset + self.col_shift - 1
        try:
            tree = _lark().parse(src, start="expr", on_error=_keyword_as_name)
        except UnexpectedInput as e:
            d = syntax_diagnostic(e, src, self.path)
            span = Span(self.path, line, d.span.col + col_shift, line, d.span.end_col + col_shift)
            raise ParseFailure(Diagnostic("E001", d.message + " (in an interpolation)", span, d.help)) from None
        too_deep = _too_deep(tree, self.path)
        if too_deep is not None:
            raise ParseFailure(Diagnostic("E001", too_deep.message, Span(self.path, line, col_shift + 1, line,
                                                                          col_shift + 2), too_deep.help))
        return _Builder(self.path, src, line, col_shift).expr(tree)
