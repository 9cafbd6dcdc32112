"""What the language server knows of a policy set: open buffers over the files on disk, checked, and what is where."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rulekit import types as T
from rulekit.builtins import BUILTINS, WINDOW_FUNCS
from rulekit.checker import CheckedPolicy, CheckedRule, Program
from rulekit.config import ConfigError, find_config, load_config
from rulekit.diagnostics import Diagnostic, Span
from rulekit.loader import builtin_records, load_program
from rulekit.lsp.positions import Lines, innermost
from rulekit.syntax import nodes as n


def policy_paths_for(path: Path) -> tuple[Path, ...]:
    """The policy set a `.rule` file belongs to: the configured `policies` (rulekit.toml or `[tool.rulekit]`) when
    the file lies in one of them, else every `.rule` file under the file's own directory."""
    cfg = find_config(path.parent)
    if cfg is not None:
        try:
            config = load_config(cfg)
        except ConfigError:
            config = None
        if config is not None and config.policies:
            roots = tuple(p.resolve() for p in (*config.policies, *config.extend_policies))
            if any(path == r or path.is_relative_to(r) for r in roots):
                return roots
    return (path.parent,)


@dataclass
class Workspace:
    """The open documents (path → text) and the last check of each policy set, redone when a buffer changes."""

    buffers: dict[str, str] = field(default_factory=dict)
    _cache: dict[tuple[Path, ...], tuple[int, Analysis]] = field(default_factory=dict)
    _version: int = 0

    def update(self, path: Path, text: str | None) -> None:
        """A document opened or changed (`text`), or closed (None: the file on disk counts again)."""
        key = str(path)
        if text is None:
            self.buffers.pop(key, None)
        else:
            self.buffers[key] = text
        self._version += 1

    def analysis(self, path: Path) -> Analysis:
        """The checked policy set of a document, as its buffers read now."""
        roots = policy_paths_for(path)
        cached = self._cache.get(roots)
        if cached is not None and cached[0] == self._version:
            return cached[1]
        program = load_program(roots, unsaved=self.buffers)
        result = Analysis(program, roots)
        self._cache[roots] = (self._version, result)
        return result

    def text(self, path: Path) -> str:
        """A document's text: its buffer, else the file."""
        buffered = self.buffers.get(str(path))
        if buffered is not None:
            return buffered
        try:
            return path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            return ""


@dataclass(frozen=True, slots=True)
class Target:
    """Where a definition is: a file and a span in it."""

    path: str
    span: Span


class Analysis:
    """One checked policy set, and the questions an editor asks of it."""

    def __init__(self, program: Program, roots: tuple[Path, ...]):
        self.program = program
        self.roots = roots

    def diagnostics(self, path: Path) -> list[Diagnostic]:
        """The diagnostics of one file."""
        name = str(path)
        return [d for d in self.program.diagnostics if d.span.file == name]

    def lines(self, path: Path) -> Lines:
        return Lines.of(self.program.sources.get(str(path), ""))

    # ---- what is at a position ----------------------------------------------------------------------------
    def roots_in(self, path: Path) -> Iterator[Any]:
        """The typed top-level nodes of a file: its policies and tests."""
        name = str(path)
        for p in self.program.policies:
            if p.file == name:
                yield p.node
        for file, t in self.program.tests:
            if file == name:
                yield t

    def at(self, path: Path, line: int, col: int) -> list[Any]:
        """The nodes at (line, col), innermost first."""
        return innermost(self.roots_in(path), str(path), line, col)

    def policy_at(self, path: Path, line: int) -> CheckedPolicy | None:
        name = str(path)
        return next((p for p in self.program.policies if p.file == name and
                     p.node.span.line <= line <= p.node.span.end_line), None)

    def rule_at(self, path: Path, line: int) -> CheckedRule | None:
        name = str(path)
        return next((r for r in self.program.rules() if r.descriptor.file == name and
                     r.node.span.line <= line <= r.node.span.end_line), None)

    # ---- hover --------------------------------------------------------------------------------------------
    def hover(self, path: Path, line: int, col: int) -> tuple[str, Span] | None:
        """Markdown about the innermost thing at (line, col) that has something to say, and its span."""
        for node in self.at(path, line, col):
            text = self._describe(node, path)
            if text is not None:
                return text, node.span
        return None

    def _describe(self, node: Any, path: Path) -> str | None:
        if isinstance(node, n.Name) and node.ref is not None:
            return self._describe_name(node, path)
        if isinstance(node, n.Attr) and node.type is not None:
            head = f"```rulekit\n{self._source(node.span)}: {node.type}\n```"
            owner = node.obj.type.record if node.obj.type is not None else None
            info = self._field(owner, node.name)
            if info is not None:
                head += f"\n\nfield `{node.name}` of record `{owner}`"
                doc = self._field_doc(info.span)
                if doc:
                    head += f": {doc}"
            return head + _nullable_note(node.type)
        if isinstance(node, n.Call):
            b = BUILTINS.get(node.func)
            if node.ref is not None and node.ref.kind == "table":
                return self._describe_table(node.func, path, node)
            if b is not None:
                return f"```rulekit\n{b.doc or b.name}\n```" + (f"\n\nhere: `{node.type}`" if node.type else "")
        if isinstance(node, n.Window):
            doc = WINDOW_FUNCS.get(node.func, node.func)
            return f"```rulekit\n{doc}\n```\n\nwindow over the last {self._source(node.within.span)}" + \
                (f": `{node.type}`" if node.type else "")
        if isinstance(node, n.Wordlist):
            return self._describe_wordlist(node.name, path, node.span.line)
        if isinstance(node, n.Rule):
            rule = self.rule_at(path, node.span.line)
            if rule is not None:
                d = rule.descriptor
                title = f" — {d.title}" if d.title else ""
                return f"**rule `{d.id}`**{title}\n\nseverity `{d.severity}`, on `{d.subject}`" + \
                    (f"\n\nmessage: {d.message}" if d.message else "")
        if isinstance(node, n.Let):
            return None
        t = getattr(node, "type", None)
        if isinstance(t, T.Type) and not isinstance(node, n.Literal):
            return f"```rulekit\n{self._source(node.span)}: {t}\n```" + _nullable_note(t)
        return None

    def _describe_name(self, node: n.Name, path: Path) -> str | None:
        ref = node.ref
        assert ref is not None
        if ref.kind in ("let", "rlet"):
            let = self._let(ref, path, node.span.line)
            body = f" = {self._source(let.expr.span)}" if let is not None else ""
            scope = "policy" if ref.kind == "let" else "rule"
            return f"```rulekit\nlet {node.name}: {node.type}{body}\n```\n\n{scope}-level `let`" + \
                _nullable_note(node.type)
        if ref.kind == "wordlist":
            return self._describe_wordlist(node.name, path, node.span.line)
        if ref.kind in ("subject", "item"):
            return f"```rulekit\n{node.name}: {node.type}\n```\n\nthe `{node.type}` being evaluated"
        if ref.kind == "now":
            return "```rulekit\nnow: datetime\n```\n\nthe evaluation time, given by the caller (`--now`, a test's `at`)"
        if ref.kind == "var":
            return f"```rulekit\n{node.name}: {node.type}\n```\n\nthe variable of a quantifier"
        return None

    def _describe_wordlist(self, name: str, path: Path, line: int) -> str | None:
        p = self.policy_at(path, line)
        wl = p.wordlists.get(name) if p is not None else None
        if wl is None:
            return None
        sources = [lit.value for lit in wl.node.values("source")]
        where = f"; from {', '.join(f'`{s}`' for s in sources)}" if sources else ""
        allow = f", {len(wl.allow)} allow phrase(s)" if wl.allow else ""
        variants = f", variants {', '.join(wl.variants)}" if wl.variants else ""
        scope = f", {wl.scope}" if wl.scope is not None else ""
        patterns = sum(e.pattern for e in wl.entries)
        shown = f"{len(wl.entries)} entries" + (f" ({patterns} patterns)" if patterns else "")
        return f"**wordlist `{name}`**: {shown}{allow}, match `{wl.mode}`{variants}{scope}{where}"

    def _describe_table(self, name: str, path: Path, node: n.Call) -> str | None:
        p = self.policy_at(path, node.span.line)
        t = p.tables.get(name) if p is not None else None
        if t is None:
            return None
        params = ", ".join(self._source(x.span) or x.name for x in t.params)
        return f"```rulekit\ntable {name}({params})\n```\n\n{len(t.rows)} rows" + \
            (f"; here: `{node.type}`" if node.type else "")

    # ---- definitions --------------------------------------------------------------------------------------
    def definition(self, path: Path, line: int, col: int) -> list[Target]:
        """Where the thing at (line, col) is defined: a let, table, wordlist, rule, record field or wordlist file."""
        nodes = self.at(path, line, col)
        for i, node in enumerate(nodes):
            if isinstance(node, n.Literal) and i + 1 < len(nodes) and isinstance(nodes[i + 1], n.WordlistClause) \
                    and nodes[i + 1].kind == "source":
                target = (path.parent / node.value).resolve()
                return [Target(str(target), Span(str(target), 1, 1, 1, 1))] if target.is_file() else []
            if isinstance(node, n.Name) and node.ref is not None:
                if node.ref.kind in ("let", "rlet"):
                    let = self._let(node.ref, path, node.span.line)
                    return [Target(let.span.file, let.span)] if let is not None else []
                if node.ref.kind == "wordlist":
                    p = self.policy_at(path, node.span.line)
                    wl = p.wordlists.get(node.name) if p is not None else None
                    return [Target(wl.node.span.file, wl.node.span)] if wl is not None else []
                if node.ref.kind in ("subject", "item"):
                    rt = self.program.registry.types.get(node.type.record if node.type else "")
                    return [Target(rt.span.file, rt.span)] if rt is not None and rt.span is not None else []
            if isinstance(node, n.Call) and node.ref is not None and node.ref.kind == "table":
                p = self.policy_at(path, node.span.line)
                t = p.tables.get(node.func) if p is not None else None
                return [Target(t.span.file, t.span)] if t is not None else []
            if isinstance(node, n.Attr):
                owner = node.obj.type.record if node.obj.type is not None else None
                info = self._field(owner, node.name)
                return [Target(info.span.file, info.span)] if info is not None else []
            if isinstance(node, n.Expect) and node.target is not None:
                rule = next((r for r in self.program.rules() if r.id == node.target), None)
                return [Target(rule.node.span.file, rule.node.span)] if rule is not None else []
        return []

    # ---- helpers ------------------------------------------------------------------------------------------
    def _let(self, ref: n.Ref, path: Path, line: int) -> n.Let | None:
        if ref.kind == "rlet":
            rule = self.rule_at(path, line)
            return rule.lets.get(ref.target) if rule is not None else None
        p = next((p for p in self.program.policies if p.name == ref.owner), None)
        return p.lets.get(ref.target) if p is not None else None

    def _field(self, record: str | None, name: str) -> Any:
        rt = self.program.registry.types.get(record or "")
        return rt.fields.get(name) if rt is not None else None

    def _text(self, file: str) -> str:
        """A policy file's text as checked, or the built-in record declarations'."""
        text = self.program.sources.get(file)
        if text is None:
            text = _builtin_text() if file == builtin_records().path else ""
        return text

    def _field_doc(self, span: Span) -> str:
        """A field's doc: the comment at the end of its declaration line, else the comment lines right above it."""
        text = self._text(span.file)
        lines = text.split("\n")
        if not 1 <= span.line <= len(lines):
            return ""
        here = lines[span.line - 1]
        if "#" in here:
            return here.split("#", 1)[1].strip()
        above = []
        i = span.line - 2
        while i >= 0 and lines[i].strip().startswith("#"):
            above.insert(0, lines[i].strip().lstrip("#").strip())
            i -= 1
        return " ".join(above)

    def _source(self, span: Span) -> str:
        text = self._text(span.file)
        lines = text.split("\n")
        if span.line <= 0 or span.line > len(lines):
            return ""
        if span.line == span.end_line:
            return lines[span.line - 1][span.col - 1 : span.end_col - 1]
        return lines[span.line - 1][span.col - 1 :].strip() + " …"


def _nullable_note(t: T.Type | None) -> str:
    if t is None or not t.optional:
        return ""
    return "\n\nmay be null or missing: guard it with `is not null`, or give a default with `??`"


def _builtin_text() -> str:
    return Path(builtin_records().path).read_text(encoding="utf-8")


#: `did you mean `X`?` in a diagnostic's message or help.
DID_YOU_MEAN = re.compile(r"did you mean `([^`]+)`")
