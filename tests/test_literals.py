"""Literal gates of regexes: every match holds one of the gate's strings, and an exact gate is the whole answer."""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import regex
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rulekit.compiler.literals import _FOLDS, literal_gate
from rulekit.runtime.support import RegexBudget
from tests.helpers import check_matches_as_regex, listing, matches_policy

# characters that fold into one another (k, K, KELVIN SIGN; s, S, LONG S), a CJK pair, a digit and a space
_CHARS = "abk\u212aKsSſ比更1 "
_TEXT = st.text(alphabet=_CHARS + "xA", max_size=14)


def _escaped(c: str) -> str:
    return regex.escape(c) if c != " " else " "


_ATOM = st.one_of(
    st.sampled_from(_CHARS).map(_escaped),
    st.sampled_from(["[ab]", "[^a]", "[a-c]", "[kK]", r"\d", ".", r"\s", r"\w", "[比更]"]),
)


def _grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, inner).map("".join),
        st.tuples(inner, inner).map(lambda p: f"(?:{p[0]}|{p[1]})"),
        inner.map(lambda p: f"({p})"),
        st.tuples(inner, st.sampled_from(["?", "*", "+", "{1,2}", "{2}", "{0,3}", "??", "+?"])).map(
            lambda p: f"(?:{p[0]}){p[1]}"),
        inner.map(lambda p: f"(?={p})"),
        inner.map(lambda p: f"(?!{p})"),
        st.sampled_from(_CHARS).map(lambda c: f"(?<={_escaped(c)})"),
        st.sampled_from(_CHARS).map(lambda c: f"(?<!{_escaped(c)})"),
        st.tuples(st.sampled_from(["^", "$", r"\b"]), inner).map("".join),
        inner.map(lambda p: f"(?i:{p})"),
        inner.map(lambda p: f"(?-i:{p})"),
    )


_PATTERN = st.tuples(st.sampled_from(["", "(?i)"]), st.recursive(_ATOM, _grow, max_leaves=8)).map("".join)


@settings(max_examples=600, deadline=None)
@given(_PATTERN, st.lists(_TEXT, min_size=1, max_size=8))
def test_every_match_holds_a_gate_string_and_an_exact_gate_is_the_answer(pattern: str, texts: list[str]) -> None:
    """Against `regex` itself, over patterns built of literals, classes, alternations, repetitions, lookarounds,
    anchors and case-insensitive parts, on texts that hold characters case-insensitively equal to others."""
    try:
        rx = regex.compile(pattern)
    except regex.error:
        assume(False)
        return
    gate = literal_gate(pattern)
    if gate is None:
        return
    strings, exact = gate
    assert strings and "" not in strings
    for text in texts:
        found = rx.search(text) is not None
        held = any(s in text for s in strings)
        if found:
            assert held, (pattern, text, strings)
        if exact:
            assert found == held, (pattern, text, strings)


def test_what_the_gates_of_shop_patterns_are() -> None:
    assert literal_gate("包邮|免邮|免运费") == (("免运费", "免邮", "包邮"), True)
    assert literal_gate("24小时(?:内)?发|次日发") == (("24小时内发", "24小时发", "次日发"), True)
    assert literal_gate("偏远|不包邮|包邮") == (("偏远", "包邮"), True)  # `不包邮` holds `包邮`
    assert literal_gate(r"数据来源|据[^，。]{0,20}(?:检测|报告)") == (("据",), False)  # `数据来源` holds `据`
    assert literal_gate(r"(?i)(?:qq|扣扣)号?[:：\s]*[1-9]\d{4,10}") == (("Q", "q", "扣扣"), False)  # fewer tests
    assert literal_gate(r"^\p{Han}{0,3}[款版]") == (("款", "版"), False)
    assert literal_gate("(?i)k") == (("K", "k", "\u212a"), True)


@pytest.mark.parametrize("pattern", [
    "a?",  # matches the empty text: nothing is required
    r"\d+",  # no literal
    "(?:ab){e<=1}",  # a fuzzy constraint of `regex`, which the stdlib would read as text
    r"\\p{Han}x",  # an escaped backslash before `p{`
    r"x\{2\}",  # a `{` read as text: unknown, so nothing is claimed
    "[[:alpha:]]x|y",  # a POSIX class, which the stdlib reads as a nested set
    "(?|(a)|(b))",  # a branch reset: the stdlib cannot read it
    "a|[^b]",  # one alternative without a literal
    "(?x) a b # c",  # verbose: whitespace and comments are left to `regex`
    "(?x:a b)|c",
])
def test_patterns_with_nothing_known_get_no_gate(pattern: str) -> None:
    assert literal_gate(pattern) is None


def test_an_exact_gate_the_regex_does_not_match_is_dropped() -> None:
    """A guard against a misread tree: the compiled pattern must match every exact string."""
    assert literal_gate("ab|cd", regex.compile("ab|cd").search) == (("ab", "cd"), True)
    assert literal_gate("ab|cd", regex.compile("ab").search) is None


def test_cased_letters_other_than_ascii_give_no_strings_under_case_insensitivity() -> None:
    assert literal_gate("(?i)ǅx|ǆy") == (("X", "Y", "x", "y"), False)  # the ASCII letters after them do
    assert literal_gate("(?i)ǅ|ǆ") is None
    assert literal_gate("ǅ|ǆ") == (("ǅ", "ǆ"), True)


def test_the_case_folds_of_ascii_letters_are_the_ones_regex_uses() -> None:
    """`regex`'s case-insensitive matches of each ASCII letter, over every code point, are its two cases and the
    extra characters `_FOLDS` lists; and no character without case matches a cased one case-insensitively, but code
    points this Python's Unicode data does not know (which the gates never take under case-insensitivity)."""
    every = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    for letter in "abcdefghijklmnopqrstuvwxyz":
        found = set(regex.findall(f"(?i){letter}", every))
        assert found == {letter, letter.upper(), *_FOLDS.get(letter, "")}, letter
    cased = "".join(c for c in every if c.lower() != c.upper())
    partners = set(regex.findall("(?i)[" + regex.escape(cased) + "]", every))
    assert all(c.lower() != c.upper() or unicodedata.category(c) == "Cn" for c in partners)


def test_the_regex_budget_starts_at_the_first_timed_search() -> None:
    budget = RegexBudget()
    assert budget.left() == budget.seconds  # outside a stream: the whole budget each time
    budget.start(0.5)
    assert budget.pending == 0.5
    assert budget.left() == 0.5 and budget.pending is None
    assert budget.left() <= 0.5


_GATED = {
    "exact": ("title", "包邮|免(?:邮|运费)"),
    "gated": ("title", "比[^，]{1,5}更|优于"),
    "gated_and_bounded": ("title", r"\d+天发"),
    "gated_and_timed": ("title", r"(比)\1更"),  # a backreference: always timed
    "case": ("description", r"(?i)free\s+shipping"),
}
_ENGINE: dict[str, Any] = {}


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="包邮免运费比更优于1天发，", max_size=14), st.integers(0, 600),
       st.text(alphabet="freFRE shipngSHIPNG\u017f", max_size=20))
def test_gated_matches_answer_as_the_regex(tmp_path_factory: Any, text: str, repeat: int, description: str) -> None:
    """Through the engine: gated, exact, bounded and timed `matches()` give the regex's answer at every length."""
    import rulekit

    if "engine" not in _ENGINE:
        d: Path = tmp_path_factory.mktemp("gates")
        (d / "p.rule").write_text(matches_policy(_GATED), encoding="utf-8")
        _ENGINE["engine"] = rulekit.load(str(d))
        src = _ENGINE["engine"].plan("listing").source
        assert "('免运费' in (" in src and "('优于' in (" in src
    title = text * (repeat // max(len(text), 1) + 1) if text else ""
    check_matches_as_regex(_ENGINE["engine"], _GATED, listing(title=title, description=description))
