"""Positions: the checker's (line, column from 1, in code points) and LSP's (from 0, in UTF-16 code units)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rulekit.diagnostics import Span
from rulekit.syntax.visitor import walk


@dataclass(frozen=True, slots=True)
class Lines:
    """A document's lines, for converting columns between code points and UTF-16 units."""

    lines: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> Lines:
        return cls(tuple(text.split("\n")))

    def line(self, number: int) -> str:
        """Line `number` (from 1), or "" past the end."""
        return self.lines[number - 1] if 1 <= number <= len(self.lines) else ""

    def to_utf16(self, line: int, col: int) -> tuple[int, int]:
        """(line, col) from 1 in code points → LSP (line, character) from 0 in UTF-16 units."""
        text = self.line(line)
        prefix = text[: max(col - 1, 0)]
        return max(line - 1, 0), len(prefix.encode("utf-16-le")) // 2

    def from_utf16(self, line: int, character: int) -> tuple[int, int]:
        """LSP (line, character) → (line, col) from 1 in code points."""
        text = self.line(line + 1)
        units = 0
        for i, ch in enumerate(text):
            if units >= character:
                return line + 1, i + 1
            units += 2 if ord(ch) > 0xFFFF else 1
        return line + 1, len(text) + 1

    def span_to_utf16(self, span: Span) -> tuple[tuple[int, int], tuple[int, int]]:
        """A span → LSP (start, end); a span without a position (line 0) is the file's first character."""
        if span.line <= 0:
            return (0, 0), (0, 1)
        start = self.to_utf16(span.line, max(span.col, 1))
        end_line = span.end_line if span.end_line >= span.line else span.line
        end_col = span.end_col if (end_line, span.end_col) > (span.line, span.col) else span.col + 1
        return start, self.to_utf16(end_line, end_col)


def contains(span: Span, line: int, col: int) -> bool:
    """Whether (line, col) lies in the span (its end excluded)."""
    if span.line <= 0:
        return False
    return (span.line, span.col) <= (line, col) < (span.end_line, span.end_col)


def innermost(roots: Iterable[Any], path: str, line: int, col: int) -> list[Any]:
    """The nodes under `roots` in file `path` whose span holds (line, col), innermost first."""
    found = []
    for root in roots:
        for node in walk(root):
            span = getattr(node, "span", None)
            if isinstance(span, Span) and span.file == path and contains(span, line, col):
                found.append(node)
    found.sort(key=lambda x: (x.span.end_line - x.span.line, x.span.end_col - x.span.col if
                              x.span.end_line == x.span.line else 0))
    return found
