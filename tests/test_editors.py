"""The editor files: the VS Code manifest, the language configuration and the TextMate grammar hang together."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import regex

from rulekit.syntax.errors import FULL_WIDTH, KEYWORDS
from tests.helpers import REPO

VSCODE = REPO / "editors" / "vscode"


def _load(name: str) -> Any:
    return json.loads((VSCODE / name).read_text(encoding="utf-8"))


def _patterns(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key in ("match", "begin", "end"):
            if isinstance(node.get(key), str):
                yield node[key]
        for v in node.values():
            yield from _patterns(v)
    elif isinstance(node, list):
        for v in node:
            yield from _patterns(v)


def test_manifest_points_at_the_grammar_and_configuration() -> None:
    pkg = _load("package.json")
    lang = pkg["contributes"]["languages"][0]
    assert lang["id"] == "rulekit" and ".rule" in lang["extensions"]
    assert (VSCODE / lang["configuration"]).is_file()
    grammar = pkg["contributes"]["grammars"][0]
    assert grammar["language"] == "rulekit"
    g = _load(grammar["path"])
    assert g["scopeName"] == grammar["scopeName"] == "source.rulekit"
    assert pkg["contributes"]["configuration"]["properties"]["rulekit.server.args"]["default"] == ["lsp"]
    assert "vscode-tmgrammar-test" in pkg["devDependencies"]
    assert (VSCODE / pkg["main"]).is_file()


def test_language_configuration_comments_and_brackets() -> None:
    conf = _load("language-configuration.json")
    assert conf["comments"]["lineComment"] == "#"
    assert ["{", "}"] in conf["brackets"]


def test_every_grammar_pattern_compiles() -> None:
    g = _load("syntaxes/rulekit.tmLanguage.json")
    pats = list(_patterns(g))
    assert len(pats) > 30
    for p in pats:
        regex.compile(p)  # Oniguruma and `regex` agree on the constructs the grammar uses


def test_grammar_marks_the_full_width_characters_the_checker_names() -> None:
    g = _load("syntaxes/rulekit.tmLanguage.json")
    marked = regex.compile(g["repository"]["full-width"]["match"])
    assert all(marked.fullmatch(ch) for ch in FULL_WIDTH)


def test_grammar_knows_every_reserved_word() -> None:
    text = (VSCODE / "syntaxes" / "rulekit.tmLanguage.json").read_text(encoding="utf-8")
    missing = [k for k in KEYWORDS if regex.search(rf"\b{k}\b", text) is None]
    assert missing == []


def test_grammar_tests_cover_declarations_tests_and_literals() -> None:
    files = sorted((VSCODE / "tests").glob("*.test.rule"))
    assert len(files) >= 3
    for f in files:
        first = f.read_text(encoding="utf-8").split("\n", 1)[0]
        assert first.startswith('# SYNTAX TEST "source.rulekit"')
