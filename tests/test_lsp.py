"""The language server end to end over stdio (pytest-lsp drives `rulekit lsp` as an editor would)."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")

from lsprotocol import types as lsp  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

from rulekit.lsp.editing import TOKEN_TYPES  # noqa: E402
from rulekit.lsp.positions import Lines  # noqa: E402
from tests.helpers import given_json  # noqa: E402

POLICY = textwrap.dedent("""\
    # 运费规则
    policy p "测试" {
      let remote = ["新疆", "西藏"]
      wordlist banned {
        source "words.txt"
      }
      rule far "偏远地区包邮" on order {
        when order.region in remote and order.claims_free_shipping
        message "{order.region} 不包邮"
      }
      rule words on listing {
        when len(find(listing.title, banned)) > 0
        message "违规词"
      }
    }

    test "far fires" {
      given order {ORDER}
      expect violation p.far
    }
    """).replace("{ORDER}", given_json(id="o1", region="新疆", claims_free_shipping=True))


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "rulekit", "lsp"]))
async def client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("ws")
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=root.as_uri()))
    lsp_client.root = root  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def _open(client: LanguageClient, name: str, text: str) -> str:
    root: Path = client.root  # type: ignore[attr-defined]
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    (path.parent / "words.txt").write_text("最便宜\n国家级\n", encoding="utf-8")
    uri = path.resolve().as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        lsp.TextDocumentItem(uri=uri, language_id="rulekit", version=1, text=text)))
    await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return uri


def _pos(text: str, needle: str, offset: int = 0) -> lsp.Position:
    """The LSP position (UTF-16) of `needle` (plus `offset` code points) in `text`."""
    lines = Lines.of(text)
    for i, line in enumerate(text.split("\n"), 1):
        if needle in line:
            line_no, ch = lines.to_utf16(i, line.index(needle) + 1 + offset)
            return lsp.Position(line_no, ch)
    raise AssertionError(needle)


@pytest.mark.asyncio
async def test_diagnostics_on_open_and_on_change(client: LanguageClient) -> None:
    uri = await _open(client, "a/p.rule", POLICY)
    assert list(client.diagnostics[uri]) == []
    broken = POLICY.replace("order.region in remote", "order.regin in remote").replace(
        'message "违规词"', 'message "违规词"，')
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [lsp.TextDocumentContentChangeWholeDocument(text=broken)]))
    await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    ds = sorted(client.diagnostics[uri], key=lambda d: d.range.start.line)
    assert [d.code for d in ds] == ["E003", "E001"]
    # the E003 range is in UTF-16 units on a line that holds no wide character before it
    assert ds[0].range.start == _pos(broken, "order.regin")
    # the E001 column counts the CJK characters before `，` as one UTF-16 unit each
    assert ds[1].range.start == _pos(broken, "，")
    assert "全角逗号" in ds[1].message


@pytest.mark.asyncio
async def test_formatting(client: LanguageClient) -> None:
    messy = POLICY.replace('  let remote = ["新疆", "西藏"]', '  let   remote=["新疆","西藏"]')
    uri = await _open(client, "b/p.rule", messy)
    edits = await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        lsp.TextDocumentIdentifier(uri), lsp.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert edits and len(edits) == 1
    assert '  let remote = ["新疆", "西藏"]' in edits[0].new_text


@pytest.mark.asyncio
async def test_hover(client: LanguageClient) -> None:
    uri = await _open(client, "c/p.rule", POLICY)

    async def hover(needle: str, offset: int = 0) -> str:
        h = await client.text_document_hover_async(lsp.HoverParams(
            lsp.TextDocumentIdentifier(uri), _pos(POLICY, needle, offset)))
        assert h is not None, needle
        return h.contents.value  # type: ignore[union-attr]

    assert "order.region: string" in await hover("order.region in", 7)
    assert "field `region` of record `order`: province" in await hover("order.region in", 7)
    assert "let remote: list<string>" in await hover("remote and", 1)
    assert "wordlist `banned`**: 2 entries" in await hover("banned))", 1)
    assert "len(x: string | list) -> int" in await hover("len(", 1)
    assert "rule `p.far`" in await hover('rule far "', 6) and "偏远地区包邮" in await hover('rule far "', 6)


@pytest.mark.asyncio
async def test_definition(client: LanguageClient) -> None:
    uri = await _open(client, "d/p.rule", POLICY)

    async def define(needle: str, offset: int = 0) -> lsp.Location:
        got = await client.text_document_definition_async(lsp.DefinitionParams(
            lsp.TextDocumentIdentifier(uri), _pos(POLICY, needle, offset)))
        assert got, needle
        return got[0]  # type: ignore[index,return-value]

    loc = await define("remote and", 1)
    assert loc.uri == uri and loc.range.start == _pos(POLICY, "let remote")
    loc = await define("banned))", 1)
    assert loc.range.start == _pos(POLICY, "wordlist banned")
    loc = await define('"words.txt"', 2)
    assert loc.uri.endswith("/d/words.txt")
    loc = await define("order.region in", 7)
    assert loc.uri.endswith("records/builtin.rule")
    loc = await define("expect violation p.far", 18)
    assert loc.range.start == _pos(POLICY, 'rule far "')


@pytest.mark.asyncio
async def test_completion(client: LanguageClient) -> None:
    text = POLICY.replace("when order.region in remote", "when order.re")
    uri = await _open(client, "e/p.rule", text)
    got = await client.text_document_completion_async(lsp.CompletionParams(
        lsp.TextDocumentIdentifier(uri), _pos(text, "order.re", 8)))
    labels = {i.label for i in got.items}  # type: ignore[union-attr]
    assert {"region", "total", "items", "created_at"} <= labels and "len" not in labels
    got = await client.text_document_completion_async(lsp.CompletionParams(
        lsp.TextDocumentIdentifier(uri), _pos(text, "len(find", 0)))
    labels = {i.label for i in got.items}  # type: ignore[union-attr]
    assert {"len", "find", "matches", "count", "remote", "banned", "when", "order"} <= labels


@pytest.mark.asyncio
async def test_code_actions(client: LanguageClient) -> None:
    text = POLICY.replace("order.region in remote", "order.regin in remot").replace(
        '  rule words on listing {', '  rule words on listing {\n    severity warning，')
    uri = await _open(client, "f/p.rule", text)
    titles = []
    for d in client.diagnostics[uri]:
        actions = await client.text_document_code_action_async(lsp.CodeActionParams(
            lsp.TextDocumentIdentifier(uri), d.range, lsp.CodeActionContext(diagnostics=[d])))
        for a in actions or []:
            titles.append(a.title)  # type: ignore[union-attr]
            edit = a.edit.changes[uri][0]  # type: ignore[union-attr]
            if "regin" in a.title:
                assert edit.new_text == "region" and edit.range.start == _pos(text, "regin")
            if "，" in a.title:
                assert edit.new_text == "," and edit.range.start == _pos(text, "，")
    assert "change `regin` to `region`" in titles and "change `remot` to `remote`" in titles
    assert "replace `，` with `,`" in titles


@pytest.mark.asyncio
async def test_code_lens_runs_the_test(client: LanguageClient) -> None:
    uri = await _open(client, "g/p.rule", POLICY)
    lenses = await client.text_document_code_lens_async(lsp.CodeLensParams(lsp.TextDocumentIdentifier(uri)))
    assert [lens.command.title for lens in lenses] == ["▶ run test"]  # type: ignore[union-attr]
    cmd = lenses[0].command  # type: ignore[index,union-attr]
    result = await client.workspace_execute_command_async(lsp.ExecuteCommandParams(cmd.command, cmd.arguments))
    assert result["passed"] is True, result


@pytest.mark.asyncio
async def test_semantic_tokens(client: LanguageClient) -> None:
    uri = await _open(client, "h/p.rule", POLICY)
    got = await client.text_document_semantic_tokens_full_async(lsp.SemanticTokensParams(
        lsp.TextDocumentIdentifier(uri)))
    data = got.data  # type: ignore[union-attr]
    assert len(data) % 5 == 0 and data
    decoded, line, char = [], 0, 0
    for i in range(0, len(data), 5):
        dl, dc, length, kind, _ = data[i : i + 5]
        line, char = line + dl, (char + dc if dl == 0 else dc)
        decoded.append((line, char, length, TOKEN_TYPES[kind]))
    lines = POLICY.split("\n")

    def text_of(t: tuple[int, int, int, str]) -> str:
        units = lines[t[0]].encode("utf-16-le")
        return units[2 * t[1] : 2 * (t[1] + t[2])].decode("utf-16-le")

    shown = {(text_of(t), t[3]) for t in decoded}
    assert {("policy", "keyword"), ("when", "keyword"), ("region", "property"), ("len", "function"),
            ("order", "type"), ('"偏远地区包邮"', "string"), ("# 运费规则", "comment")} <= shown


@pytest.mark.asyncio
async def test_debounced_changes_publish_once_for_the_last_text(client: LanguageClient) -> None:
    uri = await _open(client, "i/p.rule", POLICY)
    for version, typo in enumerate(["order.r", "order.re", "order.reg"], 2):
        client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [lsp.TextDocumentContentChangeWholeDocument(text=POLICY.replace("order.region in", typo + " in"))]))
    await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    await asyncio.sleep(0.5)
    ds = client.diagnostics[uri]
    assert [d.code for d in ds] == ["E003"] and "`reg`" in ds[0].message
