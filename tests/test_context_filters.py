"""Context filters (`each … where`, `near`, `followed_by`, `preceded_by`, `anywhere`, `before`/`after`), pattern
entries, category scopes and `variants`, through the public API and against naive reference implementations."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rulekit
from rulekit.categories import in_any_category, in_category, parse_scope
from rulekit.runtime import context
from rulekit.runtime.matcher import WordlistMatcher
from rulekit.runtime.variants import pinyin_forms, simplified
from rulekit.wordlist import Entry, parse_wordlist

NOW = datetime.fromisoformat("2025-06-01T12:00:00+08:00")
ALPHA = "最好强力胶 ab,"


def _listing(title: str, description: str = "", category: str = "服饰") -> dict[str, Any]:
    return {"id": "L1", "shop_id": "S1", "title": title, "description": description, "category": category,
            "price": 59, "images": [], "published_at": "2025-06-01T10:00:00+08:00"}


def _engine(tmp_path: Path, body: str, files: dict[str, str] | None = None) -> rulekit.Engine:
    for name, text in (files or {}).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "p.rule").write_text(body, encoding="utf-8")
    return rulekit.load(str(tmp_path))


def _evidence(engine: rulekit.Engine, listing: dict[str, Any]) -> list[tuple[str | None, int, int, str]]:
    rep = engine.evaluate(listing, kind="listing", now=NOW).model_dump(mode="json")
    return [(e["field"], e["start"], e["end"], e["text"]) for v in rep["violations"] for e in v["evidence"]]


# ---- each … where ----------------------------------------------------------------------------------

FILTER_POLICY = """
policy p {
  wordlist strong {
    words "强力", "最好"
    match evasive
  }
  wordlist things {
    words "胶", "磁铁"
  }
  rule r on listing {
    let hits = each h in find([listing.title, listing.description], strong) where not followed_by(h, things, 0)
    when len(hits) > 0
    message "{hits.text}"
    evidence hits
  }
}
"""


def test_each_keeps_only_the_hits_that_pass_and_evidence_covers_exactly_them(tmp_path: Path) -> None:
    engine = _engine(tmp_path, FILTER_POLICY)
    got = _evidence(engine, _listing("强力胶 强 力 最好", "强力磁铁，强力"))
    assert got == [("listing.title", 4, 7, "强 力"), ("listing.title", 8, 10, "最好"),
                   ("listing.description", 5, 7, "强力")]
    assert _evidence(engine, _listing("强力胶", "强力磁铁")) == []


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=ALPHA, max_size=20), st.text(alphabet=ALPHA, max_size=12))
def test_filtered_hits_are_a_subset_with_exact_offsets(tmp_path_factory: Any, title: str, description: str) -> None:
    engine = _cached_engine(tmp_path_factory)
    strong = WordlistMatcher(["强力", "最好"], mode="evasive")
    things = WordlistMatcher(["胶", "磁铁"])
    want = []
    for field, text in (("listing.title", title), ("listing.description", description)):
        ctx = things.find(text)
        for m in strong.find(text, field):
            # the reference `followed_by(h, things, 0)`: a context hit starting in [start, end] and ending after end
            if not any(m.start <= c.start <= m.end and c.end > m.end for c in ctx):
                want.append((field, m.start, m.end, m.text))
    got = _evidence(engine, _listing(title, description))
    assert got == want
    for field, start, end, text in got:
        source = title if field == "listing.title" else description
        assert source[start:end] == text


_ENGINES: dict[str, rulekit.Engine] = {}


def _cached_engine(factory: Any) -> rulekit.Engine:
    if "filter" not in _ENGINES:
        _ENGINES["filter"] = _engine(factory.mktemp("filter"), FILTER_POLICY)
    return _ENGINES["filter"]


# ---- the context functions against a naive reference -------------------------------------------------

class _Hit:
    def __init__(self, start: int, end: int, source: str):
        self.start, self.end, self.source = start, end, source


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab胶c", max_size=16), st.integers(0, 16), st.integers(0, 4), st.integers(0, 5))
def test_near_followed_preceded_against_a_naive_reference(text: str, start: int, size: int, n: int) -> None:
    start = min(start, len(text))
    end = min(start + size, len(text))
    hit = _Hit(start, end, text)
    wl = WordlistMatcher(["胶", "ab"], mode="exact")
    spans = [(m.start(), m.end()) for w in ("胶", "ab") for m in re.finditer(f"(?={re.escape(w)})", text)
             for m in [re.compile(re.escape(w)).match(text, m.start())] if m]
    assert context.near(hit, wl, n) == any(s < end + n and e > start - n for s, e in spans)
    assert context.followed_by(hit, wl, n) == any(start <= s <= end + n and e > end for s, e in spans)
    assert context.preceded_by(hit, wl, n) == any(start - n <= e <= end and s < start for s, e in spans)
    assert context.anywhere(hit, wl) == bool(spans)


def test_before_and_after_are_the_text_around_the_hit() -> None:
    m = WordlistMatcher(["最低"], mode="evasive").find("全网 最 低5元", "listing.title")[0]
    assert (m.before, m.text, m.after) == ("全网 ", "最 低", "5元")


# ---- pattern entries ------------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="最新低好款5 ", max_size=16))
def test_a_pattern_entry_finds_what_the_regex_finds_on_the_image(text: str) -> None:
    m = WordlistMatcher([Entry("re:最[^新低]", "极限用语")], mode="normalized")
    want = [(x.start(), x.end()) for x in
            (re.compile("最[^新低]").match(text, i) for i in range(len(text))) if x]
    assert [(h.start, h.end) for h in m.find(text)] == want
    assert all(h.word == "re:最[^新低]" and h.category == "极限用语" for h in m.find(text))


def test_a_pattern_hit_inside_a_word_hit_is_left_to_the_word() -> None:
    m = WordlistMatcher(["最便宜", "re:最\\p{Han}"], mode="evasive")
    assert [(h.word, h.text) for h in m.find("最便宜 最好")] == [("最便宜", "最便宜"), ("re:最\\p{Han}", "最好")]


def test_pattern_entries_that_run_in_linear_time_are_accepted() -> None:
    for word in ("re:\\p{Han}{1,3}之王", "re:最[^新低高]", "re:(?:第一|唯一)品牌", "re:(?:\\.\\d)?元", "re:(ab){1}c"):
        _, problems = parse_wordlist(f"{word}\t极限用语\n")
        assert not problems, (word, problems)


def test_pattern_entries_in_evasive_mode_map_back_to_the_original_text() -> None:
    m = WordlistMatcher(["re:\\p{Han}{1,2}之王"], mode="evasive")
    assert [h.text for h in m.find("减震 之-王 鞋垫")] == ["减震 之-王", "震 之-王"]


@pytest.mark.parametrize(("word", "problem"), [
    ("re:a+", "repeats without a bound"), ("re:x?", "matches the empty text"), ("re:(", "not a valid regex"),
    ("re:(a)\\1", "backreference"), ("re:(?:a|aa){1,40}b", "exponential time"), ("re:(a{1,3}){2,5}", "exponential time"),
    ("re:(?|a|b)c", "cannot bound"),
])
def test_bad_pattern_entries_are_e007(tmp_path: Path, word: str, problem: str) -> None:
    _, problems = parse_wordlist(f"{word}\t极限用语\n")
    assert problems and problem in problems[0][1]
    (tmp_path / "w.txt").write_text(f"{word}\n", encoding="utf-8")
    (tmp_path / "p.rule").write_text('policy p {\n  wordlist w {\n    source "w.txt"\n  }\n}\n', encoding="utf-8")
    with pytest.raises(rulekit.PolicyError) as e:
        rulekit.load(str(tmp_path))
    assert "E007" in str(e.value) and problem in str(e.value)


# ---- categories -----------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["医药保健", "药品", "化妆品", "非药品", "感冒"]), max_size=4),
       st.lists(st.sampled_from(["医药保健", "药品", "化妆品", "感冒"]), min_size=1, max_size=2))
def test_in_category_matches_whole_consecutive_levels(path: list[str], want: list[str]) -> None:
    reference = any(path[i : i + len(want)] == want for i in range(len(path) - len(want) + 1))
    assert in_category(" > ".join(path), ">".join(want)) == reference


_LEVELS = st.lists(st.sampled_from(["医药保健", "药品", "化妆品", "感冒", " ", ""]), max_size=3)


@settings(max_examples=300, deadline=None)
@given(_LEVELS, st.lists(_LEVELS, max_size=4))
def test_in_any_category_is_in_category_of_any(path: list[str], wants: list[list[str]]) -> None:
    """One-level categories are a set test, deeper ones the level-by-level one; empty ones match nothing."""
    categories = [">".join(w) for w in wants]
    reference = any(in_category(">".join(path), c) for c in categories)
    assert in_any_category(">".join(path), categories) == reference
    assert in_any_category(">".join(path), tuple(categories)) == reference


def test_category_scopes_of_a_wordlist_and_of_an_entry(tmp_path: Path) -> None:
    body = """
policy p {
  wordlist med {
    source "w.txt"
    except category "医药保健>药品"
  }
  rule r on listing {
    let hits = find(listing.title, med, listing.category)
    when len(hits) > 0
    message "{hits.text}"
    evidence hits
  }
}
"""
    engine = _engine(tmp_path, body, {"w.txt": "治疗\t医疗\n白点风\t医疗\t@only 美妆\n"})
    assert [e[3] for e in _evidence(engine, _listing("治疗 白点风", category="美妆>遮瑕"))] == ["治疗", "白点风"]
    assert [e[3] for e in _evidence(engine, _listing("治疗 白点风", category="服饰"))] == ["治疗"]
    assert _evidence(engine, _listing("治疗 白点风", category="医药保健 > 药品 > 皮肤用药")) == []
    assert parse_scope("only 药品, 医疗器械; except 图书").only == ("药品", "医疗器械")


def test_a_scoped_wordlist_needs_the_category(tmp_path: Path) -> None:
    body = """
policy p {
  wordlist med {
    words "治疗"
    only category "美妆"
  }
  rule r on listing {
    when len(find(listing.title, med)) > 0
    message "x"
  }
}
"""
    with pytest.raises(rulekit.PolicyError) as e:
        _engine(tmp_path, body)
    assert "E009" in str(e.value) and "listing.category" in str(e.value)


# ---- variants -------------------------------------------------------------------------------------

def test_traditional_variants_match_with_offsets_in_the_original_text() -> None:
    m = WordlistMatcher(["白癜风", "治疗"], mode="evasive", variants=("traditional",))
    text = "遮瑕 白癜風 治 療"
    assert [(h.word, h.text, text[h.start:h.end]) for h in m.find(text)] == \
        [("白癜风", "白癜風", "白癜風"), ("治疗", "治 療", "治 療")]
    assert WordlistMatcher(["白癜风"], mode="evasive").find(text) == []  # opt-in: the spec's modes are unchanged


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="白癜風风點点 ,", max_size=14))
def test_simplified_keeps_every_offset(text: str) -> None:
    assert len(simplified(text)) == len(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="白癜風风點点 ,a龍", max_size=14), st.booleans())
def test_simplified_folds_alike_before_and_after_its_class_is_compiled(text: str, compiled: bool) -> None:
    from rulekit.runtime import variants

    table = variants.t2s_table()
    expected = "".join(chr(table.get(ord(c), ord(c))) for c in text)  # the naive fold, one character at a time
    saved = variants._first[0]
    variants._first[0] = 0 if compiled else 1  # the class's search, or `str.translate` before it is compiled
    try:
        out = simplified(text)
    finally:
        variants._first[0] = saved
    assert out == expected
    assert (out is text) == (expected == text)  # a text without traditional characters is the same object


def test_pinyin_variants_are_whole_words() -> None:
    assert pinyin_forms("微信") == ["weixin"] and pinyin_forms("加微信") == ["jiaweixin", "jwx"]
    m = WordlistMatcher(["加微信"], mode="evasive", variants=("pinyin",))
    assert [(h.word, h.text) for h in m.find("请加 jia weixin 或 jwx")] == [("加微信", "jia weixin"), ("加微信", "jwx")]
    assert m.find("jwxa 或 ajwx") == []


# ---- the formatter --------------------------------------------------------------------------------

def test_each_formats_and_long_filters_wrap(tmp_path: Path) -> None:
    from rulekit.syntax.formatter import format_text

    text, diags = format_text(FILTER_POLICY.replace("where not", "where not near(h, things, 1) and not"), "p.rule")
    assert not diags and text is not None
    assert "    let hits = each h in find([listing.title, listing.description], strong) where\n" \
           "      not near(h, things, 1)\n      and not followed_by(h, things, 0)\n" in text
    assert format_text(text, "p.rule")[0] == text


# ---- context lists get an automaton of their own ------------------------------------------------------

GROUPS_POLICY = """
policy p {
  wordlist strong {
    words "强力", "最好"
  }
  wordlist best {
    words "第一", "最好用"
  }
  wordlist things {
    words "胶", "磁铁", "最好"
  }
  wordlist both {
    words "款", "第一"
  }
  rule r on listing {
    let hits = each h in find([listing.title, listing.description], strong) + find(listing.title, best)
      where not followed_by(h, things, 0) and not preceded_by(h, both, 1)
    when len(hits) > 0
    message "{hits.text}"
    evidence hits
  }
  rule s on listing {
    when len(find(listing.title, both)) > 0
    message "both"
  }
}
"""


def test_wordlists_used_only_as_context_are_told_apart(tmp_path: Path) -> None:
    from rulekit.checker.reads import context_only_wordlists

    engine = _engine(tmp_path, GROUPS_POLICY)
    assert context_only_wordlists(engine.program.policies) == {("p", "things")}


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="强力最好用第一胶磁铁款 ,", max_size=20), st.text(alphabet="强力最好胶款 ", max_size=12))
def test_context_lists_apart_from_searched_lists_change_no_hit(tmp_path_factory: Any, title: str,
                                                               description: str) -> None:
    """The lists searched in every record share one automaton and the context-only list has its own: each finds what
    it finds alone, and the filters see the same context hits."""
    if "groups" not in _ENGINES:
        _ENGINES["groups"] = _engine(tmp_path_factory.mktemp("groups"), GROUPS_POLICY)
    engine = _ENGINES["groups"]
    strong, best = WordlistMatcher(["强力", "最好"]), WordlistMatcher(["第一", "最好用"])
    things, both = WordlistMatcher(["胶", "磁铁", "最好"]), WordlistMatcher(["款", "第一"])
    found = [(f, t, m) for f, t in (("listing.title", title), ("listing.description", description))
             for m in strong.find(t, f)] + [("listing.title", title, m) for m in best.find(title, "listing.title")]
    want = [(f, m.start, m.end, m.text) for f, t, m in found
            if not any(m.start <= c.start <= m.end and c.end > m.end for c in things.find(t))
            and not any(m.start - 1 <= c.end <= m.end and c.start < m.start for c in both.find(t))]
    rep = engine.evaluate(_listing(title, description), kind="listing", now=NOW).model_dump(mode="json")
    got = [(e["field"], e["start"], e["end"], e["text"]) for v in rep["violations"] if v["rule"] == "p.r"
           for e in v["evidence"]]
    assert got == want
    assert any(v["rule"] == "p.s" for v in rep["violations"]) == bool(both.find(title))
