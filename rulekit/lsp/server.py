"""The pygls language server: LSP requests in, answers from `analysis` and `editing` out, positions in UTF-16."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from rulekit.diagnostics import Diagnostic
from rulekit.lsp.analysis import Workspace
from rulekit.lsp.editing import TOKEN_TYPES, complete, encode_tokens, fixes, semantic_tokens
from rulekit.lsp.positions import Lines
from rulekit.syntax.formatter import format_text

#: Diagnostics wait this long after the last change before the policy set is checked again.
DEBOUNCE_SECONDS = 0.3

_KINDS = {"field": lsp.CompletionItemKind.Field, "function": lsp.CompletionItemKind.Function,
          "keyword": lsp.CompletionItemKind.Keyword, "variable": lsp.CompletionItemKind.Variable,
          "wordlist": lsp.CompletionItemKind.Constant, "table": lsp.CompletionItemKind.Struct,
          "type": lsp.CompletionItemKind.Class}


class RulekitServer(LanguageServer):
    """The server, with the workspace of open `.rule` buffers and the pending debounced checks."""

    def __init__(self) -> None:
        from rulekit.version import __version__
        super().__init__("rulekit", __version__)
        self.files = Workspace()
        self.pending: dict[str, asyncio.TimerHandle] = {}


server = RulekitServer()


def _path(uri: str) -> Path | None:
    fs = to_fs_path(uri)
    return Path(fs).resolve() if fs and uri.startswith("file:") else None


def _range(lines: Lines, line: int, col: int, end_line: int, end_col: int) -> lsp.Range:
    (sl, sc), (el, ec) = lines.to_utf16(line, col), lines.to_utf16(end_line, end_col)
    return lsp.Range(lsp.Position(sl, sc), lsp.Position(el, ec))


def _span_range(lines: Lines, span: Any) -> lsp.Range:
    (sl, sc), (el, ec) = lines.span_to_utf16(span)
    return lsp.Range(lsp.Position(sl, sc), lsp.Position(el, ec))


def _lsp_diagnostic(d: Diagnostic, lines: Lines) -> lsp.Diagnostic:
    message = d.message + "".join(f"\nnote: {x}" for x in d.notes) + (f"\nhelp: {d.help}" if d.help else "")
    return lsp.Diagnostic(range=_span_range(lines, d.span), message=message, code=d.code, source="rulekit",
                          severity=lsp.DiagnosticSeverity.Error if d.is_error else lsp.DiagnosticSeverity.Warning)


def publish(ls: RulekitServer, uri: str) -> None:
    """Check the document's policy set and publish the diagnostics of every open document in it."""
    ls.pending.pop(uri, None)
    path = _path(uri)
    if path is None:
        return
    a = ls.files.analysis(path)
    for key in list(ls.files.buffers):
        other = Path(key)
        if other != path and ls.files.analysis(other) is not a:
            continue
        lines = a.lines(other)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri=from_fs_path(str(other)) or uri,
            diagnostics=[_lsp_diagnostic(d, lines) for d in a.diagnostics(other)]))


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: RulekitServer, params: lsp.DidOpenTextDocumentParams) -> None:
    path = _path(params.text_document.uri)
    if path is not None:
        ls.files.update(path, params.text_document.text)
        publish(ls, params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: RulekitServer, params: lsp.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    path = _path(uri)
    if path is None:
        return
    ls.files.update(path, ls.workspace.get_text_document(uri).source)
    handle = ls.pending.pop(uri, None)
    if handle is not None:
        handle.cancel()
    ls.pending[uri] = asyncio.get_running_loop().call_later(DEBOUNCE_SECONDS, publish, ls, uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: RulekitServer, params: lsp.DidSaveTextDocumentParams) -> None:
    publish(ls, params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: RulekitServer, params: lsp.DidCloseTextDocumentParams) -> None:
    path = _path(params.text_document.uri)
    if path is not None:
        ls.files.update(path, None)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=params.text_document.uri,
                                                                          diagnostics=[]))


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
def formatting(ls: RulekitServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
    path = _path(params.text_document.uri)
    if path is None:
        return None
    text = ls.files.text(path)
    new, _ = format_text(text, str(path))
    if new is None or new == text:
        return [] if new == text else None  # a file with syntax errors is left alone
    lines = Lines.of(text)
    end = lines.to_utf16(len(lines.lines), len(lines.lines[-1]) + 1)
    return [lsp.TextEdit(lsp.Range(lsp.Position(0, 0), lsp.Position(*end)), new)]


def _where(ls: RulekitServer, uri: str, pos: lsp.Position) -> tuple[Path, int, int] | None:
    path = _path(uri)
    if path is None:
        return None
    line, col = Lines.of(ls.files.text(path)).from_utf16(pos.line, pos.character)
    return path, line, col


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(ls: RulekitServer, params: lsp.HoverParams) -> lsp.Hover | None:
    where = _where(ls, params.text_document.uri, params.position)
    if where is None:
        return None
    a = ls.files.analysis(where[0])
    found = a.hover(*where)
    if found is None:
        return None
    text, span = found
    return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, text), _span_range(a.lines(where[0]), span))


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
def definition(ls: RulekitServer, params: lsp.DefinitionParams) -> list[lsp.Location] | None:
    where = _where(ls, params.text_document.uri, params.position)
    if where is None:
        return None
    a = ls.files.analysis(where[0])
    out = []
    for t in a.definition(*where):
        lines = Lines.of(ls.files.text(Path(t.path)))
        out.append(lsp.Location(from_fs_path(t.path) or t.path, _span_range(lines, t.span)))
    return out or None


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=["."]))
def completion(ls: RulekitServer, params: lsp.CompletionParams) -> lsp.CompletionList | None:
    where = _where(ls, params.text_document.uri, params.position)
    if where is None:
        return None
    path, line, col = where
    items = complete(ls.files.analysis(path), path, ls.files.text(path), line, col)
    return lsp.CompletionList(is_incomplete=False, items=[
        lsp.CompletionItem(c.label, kind=_KINDS.get(c.kind), detail=c.detail or None, insert_text=c.insert)
        for c in items])


@server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
def code_action(ls: RulekitServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
    uri = params.text_document.uri
    path = _path(uri)
    if path is None:
        return None
    text = ls.files.text(path)
    lines = Lines.of(text)
    a = ls.files.analysis(path)
    want = params.range
    out = []
    for d in a.diagnostics(path):
        r = _span_range(lines, d.span)
        if (r.end.line, r.end.character) < (want.start.line, want.start.character) or \
                (r.start.line, r.start.character) > (want.end.line, want.end.character):
            continue
        for f in fixes(d, text):
            edits = [lsp.TextEdit(_range(lines, *where), new) for where, new in f.edits]
            out.append(lsp.CodeAction(f.title, kind=lsp.CodeActionKind.QuickFix, is_preferred=f.preferred,
                                      diagnostics=[_lsp_diagnostic(d, lines)],
                                      edit=lsp.WorkspaceEdit(changes={uri: edits})))
    return out


@server.feature(lsp.TEXT_DOCUMENT_CODE_LENS)
def code_lens(ls: RulekitServer, params: lsp.CodeLensParams) -> list[lsp.CodeLens]:
    path = _path(params.text_document.uri)
    if path is None:
        return []
    a = ls.files.analysis(path)
    lines = a.lines(path)
    return [lsp.CodeLens(_range(lines, t.span.line, t.span.col, t.span.line, t.span.col + 4),
                         lsp.Command(title="▶ run test", command="rulekit.runTest", tooltip=f"rulekit test: {t.name}",
                                     arguments=[params.text_document.uri, t.name]))
            for file, t in a.program.tests if file == str(path)]


@server.command("rulekit.runTest")
def run_test_command(ls: RulekitServer, uri: str, name: str) -> dict[str, Any]:
    """Run one `test` block of the document's policy set; the result is returned and shown as a message."""
    from rulekit.compiler import compile_program
    from rulekit.diagnostics import PolicyError
    from rulekit.engine import Engine
    from rulekit.testing import run_test
    path = _path(uri)
    if path is None:
        return {"passed": False, "problems": ["not a file"]}
    a = ls.files.analysis(path)
    block = next((t for file, t in a.program.tests if file == str(path) and t.name == name), None)
    if block is None:
        result = {"passed": False, "problems": [f"no test named {name!r} in this file"]}
    else:
        try:
            engine = Engine(compile_program(a.program))
        except PolicyError as e:
            errors = [d.headline() for d in e.diagnostics if d.is_error]
            result = {"passed": False, "problems": ["the policies have errors", *errors[:5]]}
        else:
            r = run_test(engine, str(path), block)
            result = {"passed": r.passed, "problems": r.problems}
    text = f"test \"{name}\": " + ("passed" if result["passed"] else "FAILED — " + "; ".join(result["problems"]))
    ls.window_show_message(lsp.ShowMessageParams(
        lsp.MessageType.Info if result["passed"] else lsp.MessageType.Error, text))
    return result


@server.feature(lsp.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL,
                lsp.SemanticTokensLegend(token_types=list(TOKEN_TYPES), token_modifiers=[]))
def tokens(ls: RulekitServer, params: lsp.SemanticTokensParams) -> lsp.SemanticTokens:
    path = _path(params.text_document.uri)
    if path is None:
        return lsp.SemanticTokens(data=[])
    text = ls.files.text(path)
    kinds = set(ls.files.analysis(path).program.registry.types)
    return lsp.SemanticTokens(data=encode_tokens(semantic_tokens(text, kinds), Lines.of(text)))


def main() -> int:
    """Serve over standard input and output until the client says `exit`."""
    server.start_io()
    return 0
