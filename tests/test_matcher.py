"""Tests for wordlist matching (LANGUAGE §5, §9 "Text matching") and wordlist files."""

from __future__ import annotations

import pickle
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rulekit.runtime.matcher import (
    AUTOMATA,
    MODES,
    Entry,
    Match,
    WordlistMatcher,
    duplicate_entries,
    invalid_entries,
    match_key,
)
from rulekit.wordlist import parse_wordlist


def read_wordlist_file(path, mode=None):
    """A wordlist file's entries (the loader reads the bytes; `parse_wordlist` parses them)."""
    return parse_wordlist(Path(path).read_bytes(), mode=mode)

try:
    import ahocorasick_rs  # noqa: F401

    INSTALLED = AUTOMATA
except ImportError:  # pragma: no cover
    INSTALLED = ("pyahocorasick",)


@pytest.fixture(params=INSTALLED)
def automaton(request: pytest.FixtureRequest) -> str:
    return request.param


def spans(matches: list[Match]) -> list[tuple[str, str, int, int]]:
    return [(m.word, m.text, m.start, m.end) for m in matches]


def matcher(words: list[str | Entry], allow: tuple[str, ...] = (), mode: str = "normalized", automaton: str = "auto"):
    return WordlistMatcher([w if isinstance(w, Entry) else Entry(w) for w in words], allow, mode, automaton=automaton)


# --- spec examples ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_offsets_point_into_the_original_text(mode: str, automaton: str) -> None:
    m = matcher(["国家级"], mode=mode, automaton=automaton)
    assert spans(m.find("BEST 国家级 产品")) == [("国家级", "国家级", 5, 8)]


def test_match_carries_category_replacement_and_field(automaton: str) -> None:
    m = matcher([Entry("国家级", "absolute", "国家标准")], automaton=automaton)
    [found] = m.find("BEST 国家级", field="listing.title")
    assert found == Match("国家级", "国家级", 5, 8, "absolute", "国家标准", "listing.title")
    assert found.with_field(None) == Match("国家级", "国家级", 5, 8, "absolute", "国家标准", None)


def test_full_width_forms_match_in_normalized_mode(automaton: str) -> None:
    m = matcher(["第1", "ABC123"], automaton=automaton)
    assert spans(m.find("销量第１！ＡＢＣ１２３")) == [("第1", "第１", 2, 4), ("ABC123", "ＡＢＣ１２３", 5, 11)]
    # NFKC does not relate digits and CJK numerals.
    assert matcher(["第一"], automaton=automaton).find("第１") == []


def test_exact_mode_compares_code_points(automaton: str) -> None:
    m = matcher(["第1", "abc"], mode="exact", automaton=automaton)
    assert m.find("第１ ABC") == []
    assert spans(m.find("第1 abc")) == [("第1", "第1", 0, 2), ("abc", "abc", 3, 6)]


def test_case_folding(automaton: str) -> None:
    m = matcher(["iPhone"], automaton=automaton)
    assert spans(m.find("IPHONE 15 / iphone")) == [("iPhone", "IPHONE", 0, 6), ("iPhone", "iphone", 12, 18)]


def test_expansion_covers_the_original_character(automaton: str) -> None:
    m = matcher(["strasse", "kg", "1"], automaton=automaton)
    assert spans(m.find("Straße 5㎏ ①")) == [
        ("strasse", "Straße", 0, 6),
        ("kg", "㎏", 8, 9),
        ("1", "①", 10, 11),
    ]
    # An entry written with ß matches `ss` and the reverse.
    assert spans(matcher(["straße"], automaton=automaton).find("STRASSE")) == [("straße", "STRASSE", 0, 7)]


def test_match_inside_an_expansion_covers_the_whole_character(automaton: str) -> None:
    m = matcher(["s", "株式"], automaton=automaton)
    # `s` occurs twice in the image `ss` of ß: both widen to the same span, reported once.
    assert spans(m.find("ß")) == [("s", "ß", 0, 1)]
    assert spans(m.find("㍿")) == [("株式", "㍿", 0, 1)]


@pytest.mark.parametrize("text", ["最 便 宜", "最*便*宜", "最便宜", "最，便。宜", "最😀便🔥宜", "最\u3000便 宜"])
def test_evasive_ignores_separators_between_characters(text: str, automaton: str) -> None:
    m = matcher(["最便宜"], mode="evasive", automaton=automaton)
    assert spans(m.find(f"  {text}!! ")) == [("最便宜", text, 2, 2 + len(text))]


def test_evasive_examples(automaton: str) -> None:
    m = matcher(["国家级"], mode="evasive", automaton=automaton)
    assert spans(m.find("国-家-级")) == [("国家级", "国-家-级", 0, 5)]
    assert spans(m.find("国家 级")) == [("国家级", "国家 级", 0, 4)]
    # Normalized mode does not skip separators.
    assert matcher(["国家级"], automaton=automaton).find("国家 级") == []


def test_evasive_drops_separators_inside_entries(automaton: str) -> None:
    m = matcher(["TOP-1"], mode="evasive", automaton=automaton)
    assert spans(m.find("全网top1")) == [("TOP-1", "top1", 2, 6)]
    assert spans(m.find("ＴＯＰ－１！")) == [("TOP-1", "ＴＯＰ－１", 0, 5)]
    assert spans(m.find("t.o.p 1")) == [("TOP-1", "t.o.p 1", 0, 7)]
    assert match_key("TOP-1", "evasive") == "top1"


def test_evasive_match_never_includes_leading_or_trailing_separators(automaton: str) -> None:
    m = matcher(["国家级", "a"], mode="evasive", automaton=automaton)
    assert spans(m.find("😀 -国 家级- 😀")) == [("国家级", "国 家级", 3, 7)]
    assert spans(m.find("--a--")) == [("a", "a", 2, 3)]


def test_evasive_ignores_combining_marks(automaton: str) -> None:
    m = matcher(["最便宜"], mode="evasive", automaton=automaton)
    text = "最\u0336便\u0336宜\u0336"  # strike-through "zalgo" marks
    assert spans(m.find(text)) == [("最便宜", text[:5], 0, 5)]


def test_allow_hides_only_matches_inside_it(automaton: str) -> None:
    m = matcher(["第一"], allow=("第一次", "第一步"), automaton=automaton)
    assert spans(m.find("第一次购买，销量第一")) == [("第一", "第一", 8, 10)]
    assert m.find("第一次") == []
    assert m.find("第一步") == []


def test_allow_is_matched_in_the_wordlists_mode(automaton: str) -> None:
    m = matcher(["第一"], allow=("第一次",), mode="evasive", automaton=automaton)
    assert m.find("第 一 次") == []
    assert spans(m.find("第 一 名")) == [("第一", "第 一", 0, 3)]
    m = matcher(["top"], allow=("Top Gun",), mode="normalized", automaton=automaton)
    assert m.find("TOP GUN") == []


def test_allow_equal_to_an_entry_hides_it(automaton: str) -> None:
    assert matcher(["第一"], allow=("第一",), automaton=automaton).find("第一") == []


def test_overlapping_occurrences_of_the_same_entry(automaton: str) -> None:
    m = matcher(["哈哈"], automaton=automaton)
    assert spans(m.find("哈哈哈")) == [("哈哈", "哈哈", 0, 2), ("哈哈", "哈哈", 1, 3)]


def test_overlapping_entries_ordered_by_start_then_longest_then_entry_order(automaton: str) -> None:
    m = matcher(["家级", "国家", "国家级", "国家级产品", "國家級"], automaton=automaton)
    assert spans(m.find("国家级产品")) == [
        ("国家级产品", "国家级产品", 0, 5),
        ("国家级", "国家级", 0, 3),
        ("国家", "国家", 0, 2),
        ("家级", "家级", 1, 3),
    ]
    ties = matcher(["kg", "㎏"], automaton=automaton)  # the same key: the first entry reports
    assert spans(ties.find("5kg")) == [("kg", "kg", 1, 3)]
    widened = matcher(["a", "s", "ss"], automaton=automaton)
    # `s` and `ss` both widen to the ß: same span, entry order decides.
    assert spans(widened.find("ß")) == [("s", "ß", 0, 1), ("ss", "ß", 0, 1)]


def test_astral_characters_count_as_one_code_point(automaton: str) -> None:
    m = matcher(["好物"], automaton=automaton)
    assert spans(m.find("😀😀好物")) == [("好物", "好物", 2, 4)]


def test_no_entries_and_empty_text(automaton: str) -> None:
    assert WordlistMatcher([], automaton=automaton).find("anything") == []
    assert matcher(["a"], automaton=automaton).find("") == []
    assert WordlistMatcher([], allow=("a",), automaton=automaton).find("a") == []


def test_plain_strings_are_accepted_as_entries() -> None:
    assert spans(WordlistMatcher(["abc"]).find("ABC")) == [("abc", "ABC", 0, 3)]


def test_invalid_mode_automaton_and_entries() -> None:
    with pytest.raises(ValueError, match="unknown match mode"):
        WordlistMatcher([Entry("a")], mode="fuzzy")
    with pytest.raises(ValueError, match="unknown automaton"):
        WordlistMatcher([Entry("a")], automaton="regex")
    with pytest.raises(ValueError, match="no letter or digit"):
        WordlistMatcher([Entry("--")], mode="evasive")
    with pytest.raises(ValueError, match="empty"):
        WordlistMatcher([Entry("")])


def test_matcher_pickles(automaton: str) -> None:
    m = matcher([Entry("国家级", "c", "r")], allow=("国家级别",), mode="evasive", automaton=automaton)
    copy = pickle.loads(pickle.dumps(m))
    assert copy.automaton == automaton
    assert copy.find("国 家 级 国家级别") == m.find("国 家 级 国家级别")


# --- replace --------------------------------------------------------------------------------------


def test_replace_leftmost_longest(automaton: str) -> None:
    m = matcher(
        [
            Entry("国家级", replacement="优质"),
            Entry("国家", replacement="X"),
            Entry("家级产品", replacement="Y"),
            Entry("最"),
        ],
        automaton=automaton,
    )
    new, applied = m.replace("最国家级产品，国家")
    assert new == "最优质产品，X"
    assert spans(applied) == [("国家级", "国家级", 1, 4), ("国家", "国家", 7, 9)]
    assert m.replace("没有") == ("没有", [])


def test_replace_evasive_replaces_the_whole_disguised_span(automaton: str) -> None:
    m = matcher([Entry("TOP-1", replacement="热销")], mode="evasive", automaton=automaton)
    assert m.replace("全网 T.O.P 1 ！")[0] == "全网 热销 ！"


# --- checks (E007, W103) ------------------------------------------------------------------------


def test_invalid_entries() -> None:
    assert invalid_entries([Entry("ok"), Entry(""), Entry("--")], ["。。", "ok"], "evasive") == [
        ("", "empty wordlist entry"),
        ("--", "entry '--' has no letter or digit; evasive matching ignores everything else"),
        ("。。", "allow phrase '。。' has no letter or digit; evasive matching ignores everything else"),
    ]
    assert invalid_entries([Entry("--")], [], "normalized") == []


def test_duplicate_entries() -> None:
    entries = [Entry("国家级"), Entry("ＴＯＰ"), Entry("top"), Entry("國家級"), Entry("国家级"), Entry("第一次")]
    found = duplicate_entries(entries, ["第一次"], "normalized")
    assert [word for word, _ in found] == ["top", "国家级", "第一次"]
    assert "'ＴＯＰ'" in found[0][1] and "normalized" in found[0][1]
    assert "written twice" in found[1][1]
    assert "allow phrase '第一次'" in found[2][1]
    assert [w for w, _ in duplicate_entries(entries, [], "exact")] == ["国家级"]
    assert [w for w, _ in duplicate_entries([Entry("TOP-1"), Entry("top 1")], [], "evasive")] == ["top 1"]
    assert [w for w, _ in duplicate_entries([Entry("a"), Entry("b")], ["A"], "normalized")] == ["a"]


# --- wordlist files -----------------------------------------------------------------------------


def test_wordlist_file_columns_comments_bom_crlf(tmp_path: Path) -> None:
    path = tmp_path / "ad_law.txt"
    path.write_bytes(
        "\ufeff国家级\tabsolute\r\n"
        "# a comment\r\n"
        "\r\n"
        "   \r\n"
        "最便宜\t\t最实惠\r\n"
        "第一\tabsolute\t\r\n"
        "V xin\r\n"
        "  #不是注释 \r\n"
        "C#\n".encode()
    )
    entries, problems = read_wordlist_file(path)
    assert problems == []
    assert entries == [
        Entry("国家级", "absolute", None),
        Entry("最便宜", None, "最实惠"),
        Entry("第一", "absolute", None, deletes=True),  # a present but empty replacement column
        Entry("V xin"),
        Entry("#不是注释"),
        Entry("C#"),
    ]


def test_wordlist_file_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(b"ok\n\tcategory\na\tb\tc\td\n\xff\xfe\n---\n\xef\xbb\xbfbom-not-at-start\n")
    entries, problems = read_wordlist_file(path, mode="evasive")
    assert entries == [Entry("ok"), Entry("\ufeffbom-not-at-start")]
    assert [line for line, _ in problems] == [2, 3, 4, 5]
    assert "empty word" in problems[0][1]
    assert "4 tab-separated columns" in problems[1][1]
    assert "UTF-8" in problems[2][1]
    assert "no letter or digit" in problems[3][1]
    # Without a mode, `---` is a fine (exact or normalized) entry.
    entries, problems = read_wordlist_file(path)
    assert Entry("---") in entries and [line for line, _ in problems] == [2, 3, 4]


def test_parse_wordlist_accepts_text() -> None:
    assert parse_wordlist("a\tcat\n#x\nb") == ([Entry("a", "cat"), Entry("b")], [])


def test_missing_wordlist_file_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        read_wordlist_file(tmp_path / "nope.txt")


# --- invariants the fast paths rely on -----------------------------------------------------------


def test_separator_regex_is_exactly_not_letter_or_digit() -> None:
    from rulekit.wordlist import _SEPARATORS

    for cp in range(sys.maxunicode + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        char = chr(cp)
        letter_or_digit = unicodedata.category(char)[0] in "LN"
        assert (_SEPARATORS.fullmatch(char) is None) == letter_or_digit, hex(cp)
        assert char.isalnum() == letter_or_digit, hex(cp)  # the evasive fast path uses str.isalnum


# --- properties against a naive reference --------------------------------------------------------


def ref_pieces(text: str, mode: str) -> list[str]:
    """Per original character, what it becomes in `mode` (written independently of the matcher)."""
    pieces = []
    for char in text:
        piece = char
        if mode != "exact":
            piece = unicodedata.normalize("NFKC", char).casefold()
        if mode == "evasive":
            piece = "".join(c for c in piece if unicodedata.category(c)[0] in ("L", "N"))
        pieces.append(piece)
    return pieces


def ref_occurrences(text: str, phrase: str, mode: str) -> set[tuple[int, int]]:
    """(start, end) in `text` of every occurrence of `phrase`, trying every start position char by char."""
    key = "".join(ref_pieces(phrase, mode))
    stream = [(index, c) for index, piece in enumerate(ref_pieces(text, mode)) for c in piece]
    found = set()
    for begin in range(len(stream)):
        length = 0
        while length < len(key) and begin + length < len(stream) and stream[begin + length][1] == key[length]:
            length += 1
        if length == len(key):
            found.add((stream[begin][0], stream[begin + length - 1][0] + 1))
    return found


def _ref_word_char(ch: str) -> bool:
    """A word character as docs/language.md defines it for `match words`."""
    o = ord(ch)
    return (o <= 0x04FF and unicodedata.category(ch)[0] in "LN") or 0xFF10 <= o <= 0xFF19 or \
        0xFF21 <= o <= 0xFF3A or 0xFF41 <= o <= 0xFF5A


def _ref_whole(text: str, start: int, end: int) -> bool:
    if start > 0 and _ref_word_char(text[start]) and _ref_word_char(text[start - 1]):
        return False
    return not (end < len(text) and _ref_word_char(text[end - 1]) and _ref_word_char(text[end]))


def ref_find(text: str, entries: list[Entry], allow: list[str], mode: str) -> list[tuple]:
    bounded = mode == "words"  # normalized matching, then only hits on word boundaries (allow applies anywhere)
    if bounded:
        mode = "normalized"
    first: dict[str, tuple[int, Entry]] = {}
    for order, entry in enumerate(entries):
        first.setdefault("".join(ref_pieces(entry.word, mode)), (order, entry))
    allowed = set().union(*(ref_occurrences(text, phrase, mode) for phrase in allow))
    rows = []
    for order, entry in first.values():
        for start, end in ref_occurrences(text, entry.word, mode):
            if bounded and not _ref_whole(text, start, end):
                continue
            if not any(a <= start and end <= b for a, b in allowed):
                rows.append((start, -end, order, entry))
    rows.sort(key=lambda row: row[:3])
    return [(e.word, text[s:-ne], s, -ne, e.category, e.replacement) for s, ne, _, e in rows]


ALPHABET = list(
    "国家级最便宜第一次哈好物"  # CJK
    "abcsABCS"  # Latin
    "ＡＢａｂｓ１２"  # full-width
    "0129"  # digits
    "①②⑴㎏ßẞſﬁİⅡ½℃㍿"  # NFKC/casefold expansions and contractions
    "😀🔥"  # astral emoji
    " \u3000-*，。!"  # spaces, punctuation
    "\u0301\u0336"  # combining marks
)
texts = st.text(alphabet=ALPHABET, max_size=24)


@st.composite
def cases(draw: st.DrawFn, mode: str) -> tuple[str, list[Entry], list[str]]:
    text = draw(texts)

    def phrase() -> str:
        if text and draw(st.booleans()):
            start = draw(st.integers(0, len(text) - 1))
            return text[start : start + draw(st.integers(1, 5))]
        return draw(st.text(alphabet=ALPHABET, min_size=1, max_size=4))

    words = [phrase() for _ in range(draw(st.integers(0, 8)))]
    entries = [
        Entry(w, draw(st.sampled_from([None, "c1", "c2"])), draw(st.sampled_from([None, "R", "<>", ""])))
        for w in words
        if "".join(ref_pieces(w, mode))
    ]
    allow = [p for p in (phrase() for _ in range(draw(st.integers(0, 2)))) if "".join(ref_pieces(p, mode))]
    return text, entries, allow


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("which", INSTALLED)
@PROPERTY
@given(data=st.data())
def test_find_equals_the_naive_reference(mode: str, which: str, data: st.DataObject) -> None:
    text, entries, allow = data.draw(cases(mode))
    m = WordlistMatcher(entries, allow, mode, automaton=which)
    found = m.find(text, field="f")
    for match in found:
        assert match.text == text[match.start : match.end]
        assert match.field == "f"
    assert [(x.word, x.text, x.start, x.end, x.category, x.replacement) for x in found] == ref_find(
        text, entries, allow, mode
    )


@pytest.mark.parametrize("mode", MODES)
@PROPERTY
@given(data=st.data())
def test_replace_is_leftmost_longest_over_matches_with_a_replacement(mode: str, data: st.DataObject) -> None:
    text, entries, allow = data.draw(cases(mode))
    m = WordlistMatcher(entries, allow, mode)
    new, applied = m.replace(text)
    candidates = [x for x in m.find(text) if x.replacement is not None]
    assert all(x in candidates for x in applied)
    # Non-overlapping, in order, and each one the leftmost-longest candidate after the previous.
    position = 0
    rebuilt = []
    for x in applied:
        assert x.start >= position
        best = min((c for c in candidates if c.start >= position), key=lambda c: (c.start, -c.end))
        assert (x.start, x.end) == (best.start, best.end)
        rebuilt += [text[position : x.start], x.replacement]
        position = x.end
    assert not any(c.start >= position for c in candidates)  # nothing replaceable left after the last
    rebuilt.append(text[position:])
    assert new == "".join(rebuilt)


@PROPERTY
@given(text=texts)
def test_fast_paths_agree_with_the_per_character_image(text: str) -> None:
    assert match_key(text, "normalized") == "".join(ref_pieces(text, "normalized"))
    assert match_key(text, "evasive") == "".join(ref_pieces(text, "evasive"))


def test_lone_surrogates_never_raise(automaton: str) -> None:
    text = "国\ud800家级\udfff 国家级"
    for mode in MODES:
        m = matcher(["国家级", "家级"], mode=mode, automaton=automaton)
        found = [(x.start, x.end) for x in m.find(text)]
        if mode == "evasive":
            assert found == [(0, 4), (2, 4), (6, 9), (7, 9)]
        else:
            assert found == [(2, 4), (6, 9), (7, 9)]
    # Entries holding a surrogate need pyahocorasick; `auto` picks it.
    m = WordlistMatcher([Entry("a\ud800")], mode="exact")
    assert m.automaton == "pyahocorasick"
    assert spans(m.find("xa\ud800")) == [("a\ud800", "a\ud800", 1, 3)]


def test_new_match_is_the_dataclass_built_faster() -> None:
    """`new_match` sets the slots of the frozen dataclass directly: the same value, equal, hashable and frozen."""
    import dataclasses

    from rulekit.runtime.match import new_match

    args = ("国家级", "国家級", 5, 8, "absolute", "国家标准", "listing.title", True, "source text")
    fast, plain = new_match(*args), Match(*args)
    assert fast == plain and hash(fast) == hash(plain) and repr(fast) == repr(plain)
    assert [getattr(fast, f.name) for f in dataclasses.fields(Match)] == list(args)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.start = 0  # type: ignore[misc]
    assert fast.with_field(None) == Match(*args[:6], None, True, "source text")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="ab最高第一ｘ", min_size=1, max_size=4), min_size=1, max_size=12, unique=True),
       st.text(alphabet="ab最高第一ｘ ", max_size=30))
def test_dfa_and_nfa_automata_find_the_same(keys: list[str], text: str) -> None:
    """Small key sets are searched with ahocorasick_rs's DFA, larger ones with its default automaton (a contiguous
    NFA): the hits (every overlapping occurrence, in code points) are the same either way."""
    import ahocorasick_rs

    from rulekit.runtime.matcher import rust_search

    want = sorted(rust_search(keys)(text, True))
    for kind in (ahocorasick_rs.Implementation.ContiguousNFA, ahocorasick_rs.Implementation.NoncontiguousNFA):
        assert sorted(ahocorasick_rs.AhoCorasick(keys, implementation=kind).find_matches_as_indexes(text, True)) == want
