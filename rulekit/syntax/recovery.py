"""Syntax error recovery: blanks the statement a parse error is in and parses again, so a file reports every error."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from lark import Token, Tree
from lark.exceptions import UnexpectedInput

from rulekit.diagnostics import Diagnostic
from rulekit.syntax.errors import unfinished_diagnostic

#: Words that begin a statement: a clause of a rule, test or wordlist, or a policy member or file item.
STATEMENT_WORDS = frozenset(
    "policy record test rule let wordlist table severity when unless message action evidence "
    "version effective source words allow match at given expect".split()
)

#: At most this many syntax errors are reported per file (later ones are usually echoes of the first).
MAX_ERRORS = 50
#: Recovery parses the file again after each error; it stops once it has parsed this many characters more.
REPARSE_BUDGET = 1_000_000

_FIRST_WORD = re.compile(r"[ \t]*([A-Za-z_]\w*|\})")
_DEFINES = re.compile(r"^[ \t]*(?:let|wordlist|table)[ \t]+([A-Za-z_]\w*)", re.M)


@dataclass(frozen=True, slots=True)
class Recovered:
    """What recovery did to a file: its syntax errors, the text that finally parsed, the lines it blanked."""

    diagnostics: tuple[Diagnostic, ...]
    text: str
    #: (first line, last line) of each blanked statement, counted from 1
    damaged: tuple[tuple[int, int], ...]
    #: the `let`, `wordlist` and `table` names whose definitions were blanked
    lost_names: frozenset[str]


def recover(text: str, path: str, attempt: Callable[[str], object],
            diagnose: Callable[[UnexpectedInput, str, str], Diagnostic]) -> tuple[object | None, Recovered]:
    """Parse `text` with `attempt`; on each syntax error record its diagnostic, blank the statement holding it
    (keeping line and column numbers) and try again. Returns the last parse (None if none succeeded)."""
    diags: list[Diagnostic] = []
    damaged: list[tuple[int, int]] = []
    lost: set[str] = set()
    work = text
    budget = REPARSE_BUDGET
    while True:
        try:
            return attempt(work), Recovered(tuple(diags), work, tuple(damaged), frozenset(lost))
        except UnexpectedInput as e:
            swallowed = _swallowed(e)
            if swallowed is not None:
                line, col, pos, word = swallowed
                d = unfinished_diagnostic(word, line, col, pos, work, path)
            else:
                d = diagnose(e, work, path)
            if any(x.span.line == d.span.line and x.span.col == d.span.col for x in diags):
                break  # no progress: the same place fails again
            diags.append(d)
            budget -= len(work)
            if len(diags) >= MAX_ERRORS or budget < 0:
                diags[-1] = replace(d, notes=(*d.notes, f"stopped looking for more syntax errors after {len(diags)}"))
                break
            lines = work.split("\n")
            first, last = _statement(lines, d.span.line, d.span.col)
            last = _close_blocks(lines, first, last)
            region = "\n".join(lines[first - 1 : last])
            new_region = _blank(region)
            if new_region == region:
                break
            lost.update(_DEFINES.findall(region))
            lines[first - 1 : last] = new_region.split("\n")
            work = "\n".join(lines)
            damaged.append((first, last))
    return None, Recovered(tuple(diags), work, tuple(damaged), frozenset(lost))


def _swallowed(e: UnexpectedInput) -> tuple[int, int, int, str] | None:
    """Where a statement word was read as a name by the unfinished expression before it (`let a = 1 +` followed by
    `rule r …` reads `1 + rule`): the error is then at the start of that word's statement."""
    ip = getattr(e, "interactive_parser", None)
    stack = getattr(getattr(ip, "parser_state", None), "value_stack", None)
    if not stack:
        return None
    last = stack[-1]
    while isinstance(last, Tree) and last.children:
        last = last.children[-1]
    if isinstance(last, Token) and last.type == "NAME" and str(last) in STATEMENT_WORDS and last.line is not None:
        return last.line, last.column or 1, last.start_pos or 0, str(last)
    return None


def _starts_statement(line: str) -> bool:
    m = _FIRST_WORD.match(line)
    return m is not None and (m.group(1) in STATEMENT_WORDS or m.group(1) == "}")


def _statement(lines: list[str], line: int, col: int) -> tuple[int, int]:
    """The lines (first, last) of the statement an error at `line:col` belongs to."""
    line = min(max(line, 1), len(lines))
    here = lines[line - 1]
    at_start = here[: max(col - 1, 0)].strip() == ""
    if at_start and _starts_statement(here) and line > 1:
        # the error is the first word of a statement: the statement before it is unfinished
        first = line - 1
        while first > 1 and not _starts_statement(lines[first - 1]):
            first -= 1
        opening = _FIRST_WORD.match(lines[first - 1])  # None: the file's first line is no statement (a comment)
        if lines[first - 1].strip() and (opening is None or opening.group(1) != "}"):
            return first, line - 1
    first = line
    if not at_start:
        while first > 1 and not _starts_statement(lines[first - 1]):
            first -= 1
    last = line
    while last < len(lines) and not _starts_statement(lines[last]) and lines[last].strip():
        last += 1
    return first, last


def _close_blocks(lines: list[str], first: int, last: int) -> int:
    """`last`, moved down to the line that closes every block opened in lines `first..last`."""
    depth = 0
    i = first
    while i <= len(lines):
        for ch in _code_chars(lines[i - 1]):
            if ch == "{":
                depth += 1
            elif ch == "}" and depth:
                depth -= 1
        if i >= last and depth == 0:
            return i
        i += 1
    return len(lines)


def _blank(region: str) -> str:
    """`region` with every character but line breaks and the braces it must keep replaced by spaces.

    An opening brace without its closing one in the region takes its whole block with it; a closing brace without
    its opening one stays, so the blocks around the region still close."""
    depth = 0
    keep: list[int] = []
    for i, ch in enumerate(_code_chars(region)):
        if ch == "{":
            depth += 1
        elif ch == "}":
            if depth:
                depth -= 1
            else:
                keep.append(i)
    kept = set(keep)
    return "".join(c if c == "\n" or i in kept else " " for i, c in enumerate(region))


def _code_chars(region: str) -> Iterable[str]:
    """The characters of `region`, with those inside strings and comments shown as spaces."""
    out = list(region)
    for m in re.finditer(r'"(?:[^"\\\n]|\\.)*"?|#[^\n]*', region):
        for i in range(m.start(), m.end()):
            if out[i] != "\n":
                out[i] = " "
    return out
