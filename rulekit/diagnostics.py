"""Source spans and diagnostics as values, and their rustc-style rendering."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

SEVERITY_ERROR = "error"
SEVERITY_WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source file; lines and columns count from 1, columns in code points."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    def to(self, other: Span) -> Span:
        """The span from the start of this one to the end of `other`."""
        return Span(self.file, self.line, self.col, other.end_line, other.end_col)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding about a policy: `code` (E001…, W101…), a message, where, and help."""

    code: str
    message: str
    span: Span
    help: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def severity(self) -> str:
        """`error` for E-codes, `warning` for W-codes."""
        return SEVERITY_WARNING if self.code.startswith("W") else SEVERITY_ERROR

    @property
    def is_error(self) -> bool:
        """Whether this diagnostic fails `rulekit check`."""
        return self.severity == SEVERITY_ERROR

    def headline(self) -> str:
        """`file:line:col: CODE message`."""
        s = self.span
        return f"{s.file}:{s.line}:{s.col}: {self.code} {self.message}"


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    """Order diagnostics by file, position and code."""
    return (d.span.file, d.span.line, d.span.col, d.code)


def render(diag: Diagnostic, sources: Mapping[str, str] | None = None) -> str:
    """Render a diagnostic as rustc and Cedar do: the headline, the source line, a caret."""
    out = [diag.headline()]
    text = (sources or {}).get(diag.span.file)
    if text is not None and diag.span.line >= 1:
        lines = text.split("\n")  # as the parser counts lines (not str.splitlines: U+2028, \f…)
        if diag.span.line <= len(lines):
            src = lines[diag.span.line - 1].rstrip("\r").replace("\t", " ")
            gutter = str(diag.span.line)
            pad = " " * len(gutter)
            col = max(diag.span.col, 1)
            if diag.span.end_line == diag.span.line and diag.span.end_col > col:
                width = diag.span.end_col - col
            else:
                width = 1
            width = max(1, min(width, len(src) - col + 2))
            caret_pad = _display_width(src[: col - 1])
            carets = "^" * max(1, _display_width(src[col - 1 : col - 1 + width]))
            out.append(f"{pad} |")
            out.append(f"{gutter} | {src}")
            out.append(f"{pad} | {' ' * caret_pad}{carets}")
    for note in diag.notes:
        out.append(f"  = note: {note}")
    if diag.help:
        out.append(f"  = help: {diag.help}")
    return "\n".join(out)


def _display_width(s: str) -> int:
    """Terminal columns of `s`: wide (CJK, full-width) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def render_all(diags: Iterable[Diagnostic], sources: Mapping[str, str] | None = None) -> str:
    """Render many diagnostics, sorted, separated by blank lines."""
    return "\n\n".join(render(d, sources) for d in sorted(diags, key=sort_key))


class PolicyError(Exception):
    """Raised by `rulekit.load` when the policies have errors; carries every diagnostic."""

    def __init__(self, diagnostics: list[Diagnostic], sources: Mapping[str, str] | None = None):
        self.diagnostics = sorted(diagnostics, key=sort_key)
        self.sources = dict(sources or {})
        errors = [d for d in self.diagnostics if d.is_error]
        super().__init__(f"{len(errors)} error(s) in the policies:\n" + render_all(errors, self.sources))
