"""Reads string literals: escapes (LANGUAGE §1) and `{expr}` interpolations of message templates (§9)."""

from __future__ import annotations

import re

from lark import Token

from rulekit.diagnostics import Diagnostic, Span
from rulekit.syntax import nodes as n
from rulekit.syntax.errors import ParseFailure


class StringReader:
    """String handling of the tree builder; `_sub_expr` (parsing one interpolation) is the builder's."""

    path: str
    line_shift: int
    col_shift: int

    def _sub_expr(self, tok: Token, src: str, offset: int) -> n.Expr:
        raise NotImplementedError

    def string_value(self, tok: Token) -> str:
        return "".join(ch for ch, _ in self._unescape(tok))

    def _unescape(self, tok: Token) -> list[tuple[str, int]]:
        """The characters of a string token, each with its offset in the token text and
        whether it came from an escape (offset < 0 marks an escaped character)."""
        raw = str(tok)
        out: list[tuple[str, int]] = []
        i = 1
        end = len(raw) - 1
        while i < end:
            c = raw[i]
            if c == "\\":
                nxt = raw[i + 1]
                if nxt in '"\\':
                    out.append((nxt, -i))
                    i += 2
                elif nxt == "n":
                    out.append(("\n", -i))
                    i += 2
                elif nxt == "t":
                    out.append(("\t", -i))
                    i += 2
                elif nxt == "u":
                    m = re.match(r"\\u\{([0-9A-Fa-f]{1,6})\}", raw[i:])
                    if not m or int(m.group(1), 16) > 0x10FFFF:
                        raise self._fail_at(tok, i, "invalid escape: write `\\u{4E2D}` with 1–6 hex digits")
                    out.append((chr(int(m.group(1), 16)), -i))
                    i += len(m.group(0))
                else:
                    raise self._fail_at(tok, i, f"unknown escape `\\{nxt}` in a string",
                                        'escapes are \\" \\\\ \\n \\t \\u{4E2D}')
            else:
                out.append((c, i))
                i += 1
        return out

    def _fail_at(self, tok: Token, offset: int, message: str, help: str | None = None) -> ParseFailure:
        line = self.line_shift or tok.line
        col = tok.column + offset + self.col_shift
        return ParseFailure(Diagnostic("E001", message, Span(self.path, line, col, line, col + 1), help))

    def template(self, tok: Token) -> n.Template:
        chars = self._unescape(tok)
        parts: list[str | n.Expr] = []
        buf: list[str] = []
        i = 0
        while i < len(chars):
            c, off = chars[i]
            escaped = off < 0
            if not escaped and c == "{":
                if i + 1 < len(chars) and chars[i + 1] == ("{", off + 1):
                    buf.append("{")
                    i += 2
                    continue
                j = i + 1
                while j < len(chars) and not (chars[j][0] == "}" and chars[j][1] >= 0):
                    j += 1
                if j >= len(chars):
                    raise self._fail_at(tok, off, "`{` opens an interpolation that is never closed",
                                        "close it with `}`, or write `{{` for a literal brace")
                inner = chars[i + 1 : j]
                escaped_at = next((o for _, o in inner if o < 0), None)
                if escaped_at is not None:
                    raise self._fail_at(tok, -escaped_at, "an interpolation cannot contain a string literal "
                                        "or an escape", "bind the value to a `let` first and interpolate the let")
                src = "".join(ch for ch, _ in inner)
                if not src.strip():
                    raise self._fail_at(tok, off, "empty interpolation `{}`", "write `{{}}` for literal braces")
                if buf:
                    parts.append("".join(buf))
                    buf = []
                parts.append(self._sub_expr(tok, src, off + 1))
                i = j + 1
                continue
            if not escaped and c == "}":
                if i + 1 < len(chars) and chars[i + 1] == ("}", off + 1):
                    buf.append("}")
                    i += 2
                    continue
                raise self._fail_at(tok, off, "a lone `}` in a message", "write `}}` for a literal brace")
            buf.append(c)
            i += 1
        if buf:
            parts.append("".join(buf))
        return n.Template(tuple(parts), str(tok), self.span(tok))
