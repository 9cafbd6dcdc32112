"""Editing help that reads the text as typed: completion, quick fixes, and semantic tokens (no LSP types here)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rulekit import types as T
from rulekit.builtins import BUILTINS, WINDOW_FUNCS
from rulekit.diagnostics import Diagnostic
from rulekit.lsp.analysis import DID_YOU_MEAN, Analysis
from rulekit.lsp.positions import Lines
from rulekit.syntax.errors import FULL_WIDTH, KEYWORDS
from rulekit.syntax.recovery import STATEMENT_WORDS


@dataclass(frozen=True, slots=True)
class Completion:
    """One completion item: `kind` is field, function, keyword, variable, wordlist, table or type."""

    label: str
    kind: str
    detail: str = ""
    insert: str | None = None


_PATH_BEFORE = re.compile(r"([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\.(\w*)$")
_WORD_BEFORE = re.compile(r"(\w*)$")


def complete(a: Analysis, path: Path, text: str, line: int, col: int) -> list[Completion]:
    """What may be typed at (line, col): a record's fields after `order.`/`this.`/`let.`, else the functions,
    windows, names of the enclosing policy and rule, subject kinds and keywords."""
    before = Lines.of(text).line(line)[: col - 1]
    m = _PATH_BEFORE.search(before)
    if m is not None:
        return _fields(a, path, line, m.group(1).split("."))
    out: list[Completion] = []
    for b in BUILTINS.values():
        out.append(Completion(b.name, "function", b.doc, f"{b.name}("))
    for name, doc in WINDOW_FUNCS.items():
        if name not in BUILTINS:
            out.append(Completion(name, "function", doc, f"{name}("))
    p = a.policy_at(path, line)
    if p is not None:
        out += [Completion(k, "variable", f"let {k}: {v.expr.type}") for k, v in p.lets.items()]
        out += [Completion(k, "wordlist", f"wordlist, {len(w.entries)} entries") for k, w in p.wordlists.items()]
        out += [Completion(k, "table", "table") for k in p.tables]
    rule = a.rule_at(path, line)
    if rule is not None:
        out += [Completion(k, "variable", f"let {k}: {v.expr.type}") for k, v in rule.lets.items()]
        out.append(Completion(rule.subject, "variable", f"the {rule.subject} being evaluated"))
        out.append(Completion("this", "keyword", f"the {rule.subject} being evaluated"))
    out += [Completion(k, "type", "subject type") for k in a.program.registry.subject_kinds()]
    out += [Completion(k, "keyword") for k in sorted(KEYWORDS | STATEMENT_WORDS) if k != "this"]
    seen: set[str] = set()
    return [c for c in out if not (c.label in seen or seen.add(c.label))]  # type: ignore[func-returns-value]


def _fields(a: Analysis, path: Path, line: int, parts: list[str]) -> list[Completion]:
    """The fields of the record that `parts` (`order`, `order.items`, `this`, a let) leads to."""
    reg = a.program.registry
    rule = a.rule_at(path, line)
    head, rest = parts[0], parts[1:]
    t: T.Type | None = None
    if head == "this" and rule is not None:
        t = T.record(rule.subject)
    elif head in reg.types and reg.types[head].is_subject:
        t = T.record(head)
    elif rule is not None and head in rule.lets:
        t = rule.lets[head].expr.type
    else:
        p = a.policy_at(path, line)
        if p is not None and head in p.lets:
            t = p.lets[head].expr.type
    for part in rest:
        t = _elem(t)
        rt = reg.types.get(t.record or "") if t is not None else None
        info = rt.fields.get(part) if rt is not None else None
        t = info.type if info is not None else None
    t = _elem(t)
    rt = reg.types.get(t.record or "") if t is not None else None
    if rt is None:
        return []
    return [Completion(name, "field", str(info.type)) for name, info in rt.fields.items()]


def _elem(t: T.Type | None) -> T.Type | None:
    while t is not None and t.kind == "list":
        t = t.elem
    return t


# ---- quick fixes ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fix:
    """A quick fix: a title and edits ((line, col, end_line, end_col) from 1, in code points → new text)."""

    title: str
    edits: tuple[tuple[tuple[int, int, int, int], str], ...]
    preferred: bool = True


def fixes(diag: Diagnostic, text: str) -> list[Fix]:
    """The quick fixes of one diagnostic: the did-you-mean suggestion, or the ASCII for full-width punctuation."""
    lines = Lines.of(text)
    s = diag.span
    out: list[Fix] = []
    suggestion = DID_YOU_MEAN.search(diag.message) or DID_YOU_MEAN.search(diag.help or "")
    if suggestion is not None and s.line == s.end_line and s.line >= 1:
        src = lines.line(s.line)
        region = src[s.col - 1 : s.end_col - 1]
        wrong = [w for w in re.findall(r"`([^`]+)`", diag.message.split(";")[0]) if w in region]
        if wrong:
            w = wrong[-1]
            at = s.col - 1 + region.rindex(w)
            out.append(Fix(f"change `{w}` to `{suggestion.group(1)}`",
                           (((s.line, at + 1, s.line, at + 1 + len(w)), suggestion.group(1)),)))
    if diag.code == "E001" and s.line >= 1:
        ch = lines.line(s.line)[s.col - 1 : s.col]
        if ch in FULL_WIDTH:
            ascii_ = FULL_WIDTH[ch][0]
            out.append(Fix(f"replace `{ch}` with `{ascii_}`" if ascii_ else f"delete `{ch}`",
                           (((s.line, s.col, s.line, s.col + 1), ascii_),)))
            every = full_width_edits(text)
            if len(every) > 1:
                out.append(Fix("replace all full-width punctuation outside strings (全部替换为半角)", every, False))
    return out


_CODE = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|(?P<wide>[' + re.escape("".join(FULL_WIDTH)) + "])")


def full_width_edits(text: str) -> tuple[tuple[tuple[int, int, int, int], str], ...]:
    """Edits that turn every full-width punctuation mark outside strings and comments into its ASCII form."""
    out = []
    for number, line in enumerate(text.split("\n"), 1):
        for m in _CODE.finditer(line):
            if m.group("wide"):
                c = m.start() + 1
                out.append(((number, c, number, c + 1), FULL_WIDTH[m.group("wide")][0]))
    return tuple(out)


# ---- semantic tokens --------------------------------------------------------------------------------------

#: The token types the server reports, in the order of the legend.
TOKEN_TYPES = ("keyword", "string", "number", "regexp", "comment", "function", "property", "variable", "type",
               "operator")
_TYPE = {t: i for i, t in enumerate(TOKEN_TYPES)}

_TOKEN = re.compile(r"""
    (?P<comment>\#[^\n]*)
  | (?P<regexp>re"(?:[^"\\\n]|\\.)*"?)
  | (?P<string>"(?:[^"\\\n]|\\.)*"?)
  | (?P<number>\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-]\d{2}:\d{2})?)?|¥\d+(?:\.\d+)?|\d+(?:\.\d+)?(?:[wdhms%]|kg|g)*)
  | (?P<name>[A-Za-z_]\w*)
  | (?P<operator>\?\?|==|!=|<=|>=|=>|->|\.\.|[<>+\-*/%=])
""", re.X)

_CONTEXTUAL = frozenset({"version", "effective", "source", "words", "allow", "match", "time", "no", "violation",
                         "decision", "error", "action", "only", "except", "category", "variants"})


#: The type names of the language, shown as types beside the record types.
SCALAR_TYPES = frozenset((*T.SCALARS, "list"))


def semantic_tokens(text: str, kinds: set[str]) -> list[tuple[int, int, int, str]]:
    """(line from 1, col from 1, length in code points, token type) of each token, in order; names are
    classified by where they stand: after `.` a property, before `(` a function, a record kind a type."""
    kinds = kinds | SCALAR_TYPES
    out = []
    for number, line in enumerate(text.split("\n"), 1):
        for m in _TOKEN.finditer(line):
            kind = m.lastgroup
            assert kind is not None
            word = m.group()
            if kind == "name":
                before = line[: m.start()].rstrip()
                after = line[m.end():].lstrip()
                if before.endswith(".") and not before.endswith(".."):
                    kind = "property"
                elif word in KEYWORDS or (word in _CONTEXTUAL and _clause_word(before)):
                    kind = "keyword"
                elif after.startswith("("):
                    kind = "function"
                elif word in kinds:
                    kind = "type"
                else:
                    kind = "variable"
            out.append((number, m.start() + 1, len(word), kind))
    return out


def _clause_word(before: str) -> bool:
    """Whether a contextual keyword stands where its clause can start (the line start, or after `expect`/`no`)."""
    return before == "" or before.endswith(("expect", "expect no", "no", ".."))


def encode_tokens(tokens: list[tuple[int, int, int, str]], lines: Lines) -> list[int]:
    """LSP's relative encoding (delta line, delta start, length, type, modifiers), in UTF-16 units."""
    data: list[int] = []
    last_line, last_char = 0, 0
    for line, col, length, kind in tokens:
        ln, ch = lines.to_utf16(line, col)
        _, end = lines.to_utf16(line, col + length)
        delta_line = ln - last_line
        delta_char = ch - last_char if delta_line == 0 else ch
        data += [delta_line, delta_char, end - ch, _TYPE[kind], 0]
        last_line, last_char = ln, ch
    return data
