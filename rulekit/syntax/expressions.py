"""Builds expression nodes (and literals) from the Lark tree; the tree builder of `parser` extends it."""

from __future__ import annotations

from decimal import Decimal

from lark import Token, Tree

from rulekit import values
from rulekit.diagnostics import Diagnostic, Span
from rulekit.syntax import nodes as n
from rulekit.syntax.errors import KEYWORDS, ParseFailure
from rulekit.syntax.strings import StringReader


class ExprBuilder(StringReader):
    """Expression half of the tree builder: one `e_<rule>` method per expression rule of the grammar."""

    def span(self, node: Tree | Token) -> Span:
        raise NotImplementedError

    def fail(self, node: Tree | Token, message: str, help: str | None = None) -> ParseFailure:
        return ParseFailure(Diagnostic("E001", message, self.span(node), help))

    def name(self, tok: Token) -> str:
        s = str(tok)
        if s in KEYWORDS:
            raise self.fail(tok, f"`{s}` is a reserved word and cannot be used as a name",
                            f"choose another name, e.g. `{s}_`")
        return s

    def expr(self, t: Tree | Token) -> n.Expr:
        if isinstance(t, Token):
            raise AssertionError(t)
        return getattr(self, "e_" + t.data)(t)

    def e_name(self, t: Tree) -> n.Expr:
        return n.Name(self.name(t.children[0]), self.span(t))

    def e_this(self, t: Tree) -> n.Expr:
        return n.This(self.span(t))

    def e_attr(self, t: Tree) -> n.Expr:
        return n.Attr(self.expr(t.children[0]), str(t.children[1]), self.span(t))

    def e_index(self, t: Tree) -> n.Expr:
        return n.Index(self.expr(t.children[0]), self.expr(t.children[1]), self.span(t))

    def e_call(self, t: Tree) -> n.Expr:
        func = self.name(t.children[0])
        args: tuple[n.Expr, ...] = ()
        if len(t.children) > 1:
            args = tuple(self.expr(a) for a in t.children[1].children)
        return n.Call(func, args, self.span(t))

    def e_window(self, t: Tree) -> n.Expr:
        ch = list(t.children)
        func = self.name(ch.pop(0))
        value = self.expr(ch.pop(0))
        keys = []
        while ch and isinstance(ch[0], Token):
            keys.append(self.name(ch.pop(0)))
        within = self.expr(ch.pop(0))
        where = self.expr(ch.pop(0)) if ch else None
        return n.Window(func, value, tuple(keys), within, where, self.span(t))

    def e_neg(self, t: Tree) -> n.Expr:
        operand = self.expr(t.children[1])
        return n.Unary("-", operand, self.span(t))

    def e_not_(self, t: Tree) -> n.Expr:
        return n.Unary("not", self.expr(t.children[-1]), self.span(t))

    def e_binary(self, t: Tree) -> n.Expr:
        op = str(t.children[1]).strip()
        return n.Binary(op, self.expr(t.children[0]), self.expr(t.children[2]), self.span(t))

    def e_compare(self, t: Tree) -> n.Expr:
        return self.e_binary(t)

    def e_coalesce(self, t: Tree) -> n.Expr:
        return n.Binary("??", self.expr(t.children[0]), self.expr(t.children[1]), self.span(t))

    def e_and_(self, t: Tree) -> n.Expr:
        return n.Binary("and", self.expr(t.children[0]), self.expr(t.children[1]), self.span(t))

    def e_or_(self, t: Tree) -> n.Expr:
        return n.Binary("or", self.expr(t.children[0]), self.expr(t.children[1]), self.span(t))

    def e_in_(self, t: Tree) -> n.Expr:
        return n.Binary("in", self.expr(t.children[0]), self.expr(t.children[1]), self.span(t))

    def e_not_in(self, t: Tree) -> n.Expr:
        return n.Binary("not in", self.expr(t.children[0]), self.expr(t.children[2]), self.span(t))

    def e_is_(self, t: Tree) -> n.Expr:
        negated = any(isinstance(c, Token) and c.type == "NOT" for c in t.children)
        missing = str(t.children[-1]) == "missing"
        return n.IsNull(self.expr(t.children[0]), negated, missing, self.span(t))

    def e_if_(self, t: Tree) -> n.Expr:
        c, a, b = (self.expr(x) for x in t.children)
        return n.If(c, a, b, self.span(t))

    def e_quantifier(self, t: Tree) -> n.Expr:
        kind = str(t.children[0])
        var = self.name(t.children[1])
        return n.Quantifier(kind, var, self.expr(t.children[2]), self.expr(t.children[3]), self.span(t))

    def e_list(self, t: Tree) -> n.Expr:
        return n.ListExpr(tuple(self.expr(c) for c in t.children), self.span(t))

    def literal_token(self, tok: Token) -> n.Literal:
        s = str(tok)
        sp = self.span(tok)
        ty = tok.type
        try:
            if ty == "STRING":
                return n.Literal("string", self.string_value(tok), s, sp)
            if ty == "REGEX":
                return n.Literal("regex", s[3:-1].replace('\\"', '"'), s, sp)
            if ty == "NUMBER":
                if "." in s:
                    return n.Literal("decimal", Decimal(s), s, sp)
                return n.Literal("int", int(s), s, sp)
            if ty == "PERCENT":
                return n.Literal("percent", Decimal(s[:-1]) / 100, s, sp)
            if ty == "MONEY":
                return n.Literal("money", Decimal(s[1:]), s, sp)
            if ty == "DURATION":
                return n.Literal("duration", values.parse_duration(s), s, sp)
            if ty == "WEIGHT":
                v = Decimal(s[:-2]) if s.endswith("kg") else Decimal(s[:-1]) / 1000
                return n.Literal("weight", v, s, sp)
            if ty == "DATE":
                return n.Literal("date", values.parse_date(s), s, sp)
            if ty == "DATETIME":
                return n.Literal("datetime", values.parse_datetime(s), s, sp)
        except ValueError as e:
            raise self.fail(tok, f"invalid {ty.lower()} literal `{s}`: {e}") from None
        raise AssertionError(ty)

    def _lit(self, t: Tree) -> n.Expr:
        return self.literal_token(t.children[0])

    e_string = e_regex = e_number = e_percent = e_money = e_duration = e_weight = e_date = e_datetime = _lit

    def e_true(self, t: Tree) -> n.Expr:
        return n.Literal("bool", True, "true", self.span(t))

    def e_false(self, t: Tree) -> n.Expr:
        return n.Literal("bool", False, "false", self.span(t))

    def e_null(self, t: Tree) -> n.Expr:
        return n.Literal("null", None, "null", self.span(t))

