"""`match words` (normalized matching on word boundaries) and `script()`, against naive reference implementations."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from rulekit.runtime.matcher import WordlistMatcher
from rulekit.runtime.scripts import script

ALPHA = "abAB最好ｂ1 -.é"
entries = st.lists(st.text(alphabet=ALPHA, min_size=1, max_size=4).filter(lambda w: w.strip(" -.")), min_size=1,
                   max_size=5, unique=True)


def _word(ch: str) -> bool:
    """The reference word character: written out from the definition in docs/language.md."""
    o = ord(ch)
    latin_block = o <= 0x04FF and unicodedata.category(ch)[0] in "LN"
    full_width = 0xFF10 <= o <= 0xFF19 or 0xFF21 <= o <= 0xFF3A or 0xFF41 <= o <= 0xFF5A
    return latin_block or full_width


@settings(max_examples=300, deadline=None)
@given(entries, st.text(alphabet=ALPHA + "xy", max_size=25))
def test_words_mode_is_normalized_mode_on_word_boundaries(words: list[str], text: str) -> None:
    try:
        plain = WordlistMatcher(words, mode="normalized")
    except ValueError:
        return
    bounded = WordlistMatcher(words, mode="words")

    def whole(m: object) -> bool:
        s, e = m.start, m.end  # type: ignore[attr-defined]
        if s > 0 and _word(text[s]) and _word(text[s - 1]):
            return False
        return not (e < len(text) and _word(text[e - 1]) and _word(text[e]))

    want = [(m.word, m.start, m.end) for m in plain.find(text) if whole(m)]
    assert [(m.word, m.start, m.end) for m in bounded.find(text)] == want


def test_words_mode_examples() -> None:
    m = WordlistMatcher(["perfect", "best", "最好", "#1", "100%"], mode="words")
    assert [x.word for x in m.find("Corel WordPerfect, a bestseller")] == []
    assert [x.word for x in m.find("the perfect tool, best-selling, #1, 100%棉, 最好的")] == \
        ["perfect", "best", "#1", "100%", "最好"]
    assert [x.text for x in m.find("ＢＥＳＴ choice")] == ["ＢＥＳＴ"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_script_against_a_naive_reference(text: str) -> None:
    letters = [c for c in text if c.isalpha()]
    han = sum("CJK UNIFIED" in unicodedata.name(c, "") or "CJK COMPATIBILITY IDEOGRAPH" in unicodedata.name(c, "")
              for c in letters)
    latin = sum(unicodedata.name(c, "").startswith(("LATIN ", "FULLWIDTH LATIN ")) for c in letters)
    want = "" if not letters else "han" if 2 * han >= len(letters) else "latin" if 2 * latin > len(letters) \
        else "other"
    got = script(text)
    if got != want:  # the reference's names also cover Latin letters outside the blocks script() reads
        assert any(ord(c) > 0x24F and unicodedata.name(c, "").startswith("LATIN ") for c in letters) or \
            any(0x31350 <= ord(c) for c in letters), (text, got, want)


def test_script_examples() -> None:
    assert script("夏季纯棉T恤 100%棉") == "han"
    assert script("The best tool") == "latin"
    assert script("こんにちは") == "other"
    assert script("100% 123") == ""
