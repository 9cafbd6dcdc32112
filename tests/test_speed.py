"""The fast paths give what the plain paths give: fused automata, cached images, regexes without a clock, caches."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

import rulekit
from rulekit import cache
from rulekit.checker.regexcost import repetitions, search_cost
from rulekit.diagnostics import Span
from rulekit.loader import parse_cached
from rulekit.runtime.fused import fuse
from rulekit.runtime.matcher import NORMALIZED_IMAGES, WordlistMatcher, _evasive_owners
from rulekit.runtime.regexes import TimedRegex, regex_search
from rulekit.syntax.parser import parse
from rulekit.wordlist import evasive_image, fold
from tests.helpers import NOW, REPO, check_matches_as_regex, listing, matches_policy

ALPHABET = "ab最高第一Ａ，Ｂ ß.新-產产門门"
words = st.text(alphabet=ALPHABET, min_size=1, max_size=4).filter(lambda w: w.strip() and fold(w).strip())
texts = st.text(alphabet=ALPHABET + "xyz", max_size=30)


def _key(m: object) -> tuple[object, ...]:
    return (m.word, m.text, m.start, m.end, m.field)  # type: ignore[attr-defined]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.lists(words, min_size=1, max_size=5, unique=True),
                          st.lists(words, max_size=2, unique=True),
                          st.sampled_from(["exact", "normalized", "evasive"]),
                          st.sampled_from([(), ("traditional",)]),
                          st.booleans()), min_size=2, max_size=5),
       st.lists(texts, min_size=1, max_size=6))
def test_fused_automata_find_what_each_wordlist_finds_alone(
        lists: list[tuple[list[str], list[str], str, tuple[str, ...], bool]], samples: list[str]) -> None:
    """Lists of one mode share an automaton, with and without `variants traditional` (their images differ when a
    text has traditional characters), pattern entries among them: each finds what it finds alone."""
    def build() -> list[WordlistMatcher]:
        out = []
        for entries, allow, mode, variants, pattern in lists:
            try:
                out.append(WordlistMatcher([*entries, *(["re:最[高新]"] if pattern else [])],
                                           [a for a in allow if a not in entries], mode, variants=variants))
            except ValueError:
                continue
        return out

    plain, fused = build(), build()
    fuse(fused)
    for text in samples:  # every list over every text, interleaved, as a record's rules call them
        for field in (None, "listing.title"):
            for p, f in zip(plain, fused, strict=True):
                assert [_key(m) for m in f.find(text, field)] == [_key(m) for m in p.find(text, field)]


def test_fused_automata_with_lone_surrogates() -> None:
    a = WordlistMatcher(["最高"], mode="normalized")
    b = WordlistMatcher(["第一"], mode="normalized")
    fuse([a, b])
    text = "最高\ud800第一"
    assert [m.word for m in a.find(text)] == ["最高"] and [m.word for m in b.find(text)] == ["第一"]


def test_image_cache_is_by_identity_and_right_for_equal_strings() -> None:
    one = "".join(["Ａ", "Ｂ，最"])
    two = "".join(["Ａ", "Ｂ，最"])
    assert one is not two
    assert NORMALIZED_IMAGES(one) == fold(one) == NORMALIZED_IMAGES(two)
    assert NORMALIZED_IMAGES("other text") == "other text"


# full-width forms, the ideographic space, ligatures, circled digits, a compatibility ideograph, Hangul jamo that
# compose, combining marks (alone their own NFKC form, composing with a base), an angstrom sign (a singleton)
FOLD_ALPHABET = "aAé最Ａ，！\u3000ﬁ①\uf900\u1100\u1161\u0301\u0308eoÅ\u212bΣσßİ\u2126x"


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(alphabet=FOLD_ALPHABET, max_size=12), min_size=1, max_size=6))
def test_fold_is_the_per_code_point_image(texts: list[str]) -> None:
    """fold's fast paths (casefold of normalized text; known unstable code points replaced first) equal
    casefold(NFKC(c)) per code point, concatenated, whatever it has learned from the texts before."""
    for text in texts:
        assert fold(text) == "".join(unicodedata.normalize("NFKC", c).casefold() for c in text)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=FOLD_ALPHABET + " _-.【】\t\u00ad", max_size=20))
def test_evasive_offset_map_is_the_per_code_point_one(text: str) -> None:
    """The evasive offset map cut from a range (when folding keeps each character one) is the per-code-point map:
    for each character of the evasive image, the index of the character that made it."""
    owner = [i for i, c in enumerate(text) for _ in evasive_image(c)]
    assert _evasive_owners(text) == owner
    assert len(owner) == len(evasive_image(text))


def test_fold_stays_exact_while_it_learns_every_unstable_code_point() -> None:
    """Each BMP code point whose NFKC form differs, in a text of its own: the pattern of known ones is rebuilt only
    as they grow by half, and a text with one it does not hold yet still gets the per-code-point image."""
    points = [cp for cp in range(0x10000) if not 0xD800 <= cp <= 0xDFFF
              and unicodedata.normalize("NFKC", chr(cp)) != chr(cp)]
    assert len(points) > 2000
    for cp in points:
        text = f"最{chr(cp)}，Ａ"
        assert fold(text) == "".join(unicodedata.normalize("NFKC", c).casefold() for c in text), hex(cp)
        assert fold(text) == "".join(unicodedata.normalize("NFKC", c).casefold() for c in text), hex(cp)


SAFE = ["abc", "a+b", r"\d+天", "最[^新低高]", "(ab)+c", r"[a-z]{2,5}\d*", r"(?<!\d)1[3-9]\d{9}(?!\d)"]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SAFE), st.text(alphabet="ab1234567890c天最新z", max_size=40))
def test_a_regex_without_a_clock_answers_as_the_regex(pattern: str, text: str) -> None:
    t = TimedRegex(pattern, repetitions(pattern))
    assert regex_search(t, text) == (regex.search(pattern, text) is not None)


@pytest.mark.parametrize("pattern", ["(a|aa)+$", "(a+)+$", r"(\w)\1", "(a{1,2})+$", r"(x|y+)*$"])
def test_patterns_that_can_run_long_keep_their_time_limit(pattern: str) -> None:
    t = TimedRegex(pattern, repetitions(pattern))
    assert t.safe_len < 0  # every search of these goes through the record's regex budget


@pytest.mark.parametrize("pattern", ["(a|aa){1,40}$", "(?:a|a){1,30}b", "(a{1,20}){1,20}$", "(ab|a){2,9}c"])
def test_bounded_loops_with_many_ways_through_keep_their_time_limit(pattern: str) -> None:
    """A bounded repetition of an alternation or a repetition can take exponential time in its count (`(a|aa){1,40}$`
    backtracks for a minute over 41 characters): every non-empty text goes through the record's regex budget."""
    cost = search_cost(pattern)
    t = TimedRegex(pattern, *(cost or (None,)))
    assert t.safe_len < 1


def test_bounded_repetitions_multiply_the_cost() -> None:
    """Bounded repetitions in sequence multiply what one position can cost: `a{0,30}a{0,30}a{0,30}b` is timed past a
    few dozen characters, while a few small ones (`1[3-9]\\d{9}`, `[^，]{1,15}更`) stay unlimited."""
    assert search_cost("a{0,30}a{0,30}a{0,30}b") == (0, 27000)
    assert TimedRegex("a{0,30}a{0,30}a{0,30}b", 0, 27000).safe_len < 100
    for pattern in (r"1[3-9]\d{9}", "[^，]{1,15}更", r"(?:\.\d)?元"):
        cost = search_cost(pattern)
        assert cost is not None and cost[0] == 0
        assert TimedRegex(pattern, *cost).safe_len == float("inf")


def _slow_regex_lint(tmp_path: Path, pattern: str, title: str, *args: str) -> Any:
    """`rulekit lint` of one listing titled `title` against a rule `matches(listing.title, re"pattern")`."""
    from tests.helpers import run_cli, write
    write(tmp_path, "p/p.rule", f"""
        policy p {{
          rule slow on listing {{
            when matches(listing.title, re"{pattern}")
            message "x"
          }}
        }}
        """)
    listing = ('{"id": "L1", "shop_id": "S1", "title": "' + title + '", "description": "", "category": "服饰", '
               '"price": 1, "images": [], "published_at": "2025-06-01T10:00:00+08:00"}')
    f = tmp_path / "l.jsonl"
    f.write_text(listing + "\n", encoding="utf-8")
    return run_cli("lint", "-p", tmp_path / "p", *args, f)


def test_a_bounded_exponential_regex_is_cut_off_by_the_budget(tmp_path: Path) -> None:
    r = _slow_regex_lint(tmp_path, "(?:a|aa){1,40}$", "a" * 40 + "b", "--format", "jsonl", "--regex-timeout", "0.2")
    assert "0.2 s, limit `regex-seconds`" in r.stdout, r.stdout + r.stderr


def test_a_regex_literal_compiles_when_it_first_searches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The generated code binds a stand-in for the compiled search; its first call compiles the pattern and puts the
    bound method in its place, and the facts about a pattern (its cost, its gate) come from the user cache the
    second time, so a warm start compiles only the patterns some record reaches."""
    from rulekit.compiler.literals import regex_facts
    from rulekit.runtime.regexes import LazySearch

    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path / "cache"))
    cache.cache_dir.cache_clear()
    try:
        assert regex_facts("当[天日]发") == (0, 1, (("当天发", "当日发"), True)) == regex_facts("当[天日]发")
        assert list((tmp_path / "cache").rglob("regex/*.pickle"))
        (p := tmp_path / "p").mkdir()
        (p / "p.rule").write_text('policy p {\n  rule r on listing {\n    when matches(listing.title, re"(?i)sale\\d+")'
                                  '\n    message "x"\n  }\n}\n', encoding="utf-8")
        engine = rulekit.load(p)
        ns = engine.compiled.constants.namespace
        stand_ins = {k: v for k, v in ns.items() if isinstance(v, LazySearch)}
        assert len(stand_ins) == 1 and all(v.t._rx is None for v in stand_ins.values())
        base = {"id": "L1", "shop_id": "S1", "description": "", "category": "服饰", "price": 1, "images": [],
                "published_at": "2025-06-01T10:00:00+08:00"}
        now = NOW
        assert engine.evaluate(dict(base, title="夏季新品 T恤"), kind="listing", now=now).decision == "allow"
        assert all(v.t._rx is None for v in stand_ins.values())  # the gate answered: nothing compiled
        assert engine.evaluate(dict(base, title="SALE but no digit"), kind="listing", now=now).decision == "allow"
        assert engine.evaluate(dict(base, title="Sale12"), kind="listing", now=now).violations
        (name, lazy), = stand_ins.items()
        assert ns[name] == lazy.t.rx.search and lazy.t._rx is not None
        assert engine.evaluate(dict(base, title="big sale30"), kind="listing", now=now).violations
    finally:
        cache.cache_dir.cache_clear()


def test_bounded_patterns_get_a_length_below_which_no_clock_is_read() -> None:
    assert TimedRegex("包邮|免邮", repetitions("包邮|免邮")).safe_len == float("inf")
    assert 100 < TimedRegex(r"\d+天", repetitions(r"\d+天")).safe_len < 10_000


# ---- caches ---------------------------------------------------------------------------------------------------


def test_parse_cache_hits_misses_and_survives_corruption(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path / "cache"))
    cache.cache_dir.cache_clear()
    try:
        text = 'policy p {\n  rule r on order {\n    when order.total > ¥5\n    message "x"\n  }\n}\n'
        first = parse_cached(text, "p.rule")
        files = list((tmp_path / "cache").rglob("*.pickle"))
        parsed = [f for f in files if f.parent.name == "parsed"]
        assert len(parsed) == 1
        again = parse_cached(text, "p.rule")
        assert again[0] == first[0] == parse(text, "p.rule")[0]
        # another text or another file name is another key
        other = parse_cached(text.replace("¥5", "¥6"), "p.rule")
        assert other[0] != first[0]
        # a corrupt file and a file of another key are dropped and rebuilt, never used
        parsed[0].write_bytes(b"garbage")
        assert parse_cached(text, "p.rule")[0] == first[0]
        parsed[0].write_bytes(cache._MAGIC + b"0" * 64 + b"\n" + b"\x80\x04N.")
        assert parse_cached(text, "p.rule")[0] == first[0]
    finally:
        cache.cache_dir.cache_clear()


def _spans(value: object, seen: set[int] | None = None) -> list[object]:
    """Every span in a tree of dataclasses, tuples, lists and dicts, in order (spans take no part in equality)."""
    import dataclasses

    seen = set() if seen is None else seen
    if id(value) in seen:
        return []
    seen.add(id(value))
    if isinstance(value, Span):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [s for f in dataclasses.fields(value) for s in _spans(getattr(value, f.name), seen)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _spans(v, seen)]
    if isinstance(value, dict) or type(value).__name__ == "mappingproxy":
        return [s for v in value.values() for s in _spans(v, seen)]  # type: ignore[attr-defined]
    return []


def test_a_checked_program_comes_back_from_the_cache_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Frozen slotted dataclasses are stored as their field values and set slot by slot when loaded: the bundled
    program comes back equal, spans (which equality ignores) included, and its classes are the same."""
    from rulekit.loader import load_program
    from rulekit.resources import standard_policies

    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path / "cache"))
    cache.cache_dir.cache_clear()
    try:
        built = load_program([standard_policies()])
        loaded = load_program([standard_policies()])
        assert loaded is not built and loaded == built
        assert _spans(loaded) == _spans(built) and len(_spans(built)) > 1000
        assert [type(p) for p in loaded.policies] == [type(p) for p in built.policies]
        for program in (built, loaded):  # read-only alike (a frozen slotted class of 3.11 raises TypeError)
            with pytest.raises((dataclasses.FrozenInstanceError, TypeError)):
                program.policies[0].rules[0].name = "x"  # type: ignore[misc]
    finally:
        cache.cache_dir.cache_clear()


def test_no_cache_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path / "cache"))
    monkeypatch.setenv(cache.ENV_OFF, "1")
    cache.cache_dir.cache_clear()
    try:
        assert cache.cache_dir() is None
        parse_cached("policy p {\n}\n", "q.rule")
        assert not (tmp_path / "cache").exists()
    finally:
        cache.cache_dir.cache_clear()


def test_an_unwritable_cache_directory_is_no_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    env = {**os.environ, cache.ENV_DIR: str(blocker / "sub")}
    r = subprocess.run([sys.executable, "-m", "rulekit", "check", str(REPO / "policies")], capture_output=True,
                       text=True, env=env)
    assert r.returncode == 0 and "Traceback" not in r.stderr


def test_text_output_does_not_import_rich_for_jsonl() -> None:
    """`lint --format jsonl` imports neither rich nor what only other runs need (SARIF, explanations, suppressions,
    rule help); each is still there when asked for."""
    unused = ["rich", "rulekit.io.sarif", "rulekit.explain", "rulekit.io.suppressions", "rulekit.ruledoc"]
    code = ("import sys; from rulekit.cli import main\ntry: main(['lint', '--format', 'jsonl', '--now', "
            f"'2025-06-10T12:00:00+08:00', {str(REPO / 'examples' / 'orders.jsonl')!r}])\nexcept SystemExit: pass\n"
            f"print([m for m in {unused!r} if m in sys.modules], file=sys.stderr)\n"
            "import rulekit; print(rulekit.Explanation.__name__, file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stderr.strip().endswith("[]\nExplanation"), r.stderr


def test_a_policy_set_without_regexes_does_not_import_regex(tmp_path: Path) -> None:
    """Neither the checker (on a cached program) nor `regex` is imported by a `lint` whose policies need neither."""
    (tmp_path / "p.rule").write_text('policy p {\n  rule r on order {\n    when order.total > ¥5\n    message "x"\n'
                                     '  }\n}\n', encoding="utf-8")
    code = ("import sys; from rulekit.cli import main\ntry: main(['lint', '-p', 'p.rule', '--format', 'jsonl', '--now', "
            f"'2025-06-10T12:00:00+08:00', {str(REPO / 'examples' / 'orders.jsonl')!r}])\nexcept SystemExit: pass\n"
            "print([m for m in ('regex', 'rulekit.checker.typer') if m in sys.modules], file=sys.stderr)")
    env = {**os.environ, cache.ENV_DIR: str(tmp_path / "cache")}
    for _ in range(2):  # the first run checks the policies and fills the cache; the second reads it
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert r.stderr.strip().endswith("[]"), r.stderr


def test_regex_timeout_option(tmp_path: Path) -> None:
    r = _slow_regex_lint(tmp_path, "(a|aa)+$", "a" * 60 + "b", "--format", "jsonl", "--regex-timeout", "0.2")
    assert "0.2 s, limit `regex-seconds`" in r.stdout, r.stdout + r.stderr
    r = _slow_regex_lint(tmp_path, "(a|aa)+$", "a", "--regex-timeout", "-1")
    assert r.returncode == 2 and "positive number of seconds" in r.stderr


_DIRECT = {"unlimited": ("title", "包邮|免邮"), "bounded": ("title", r"\d+天"), "timed": ("title", r"(\w)\1")}
_DIRECT_ENGINE: dict[str, Any] = {}


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="a1天包邮b", max_size=12), st.integers(0, 3000))
def test_matches_called_directly_answers_as_the_regex(tmp_path_factory: Any, text: str, repeat: int) -> None:
    """`matches` with a regex constant calls its `search` directly below the length its bound allows without a clock
    (always, for `包邮|免邮`), and `regex_search` above it (always, for a backreference): the answers are the
    regex's at every length."""
    import rulekit

    if "engine" not in _DIRECT_ENGINE:
        d = tmp_path_factory.mktemp("direct")
        (d / "p.rule").write_text(matches_policy(_DIRECT), encoding="utf-8")
        _DIRECT_ENGINE["engine"] = rulekit.load(str(d))
        src = _DIRECT_ENGINE["engine"].plan("listing").source
        assert "is not None if len(" in src  # the bounded one checks the length
    title = text * (repeat // max(len(text), 1) + 1) if text else ""
    check_matches_as_regex(_DIRECT_ENGINE["engine"], _DIRECT, listing(title=title))


_PROBED_POLICY = """
policy p {
  wordlist a {
    words "最高", "第一", "门"
    match evasive
    variants traditional
  }
  wordlist b {
    words "新", "ab", "最"
    allow "最新"
    match evasive
  }
  wordlist c {
    words "re:最[高新]", "產"
    match evasive
    variants traditional
  }
  rule ra on listing {
    let hits = find([listing.title, listing.description], a)
    when len(hits) > 0
    message "x"
    evidence hits
  }
  rule rb on listing {
    let hits = find(listing.title, b)
    when len(hits) > 0
    message "x"
    evidence hits
  }
  rule rc on listing {
    let hits = find([listing.title, listing.description], c)
    when len(hits) > 0
    message "x"
    evidence hits
  }
}
"""
_PROBED: dict[str, Any] = {}


@settings(max_examples=200, deadline=None)
@given(texts, texts, st.booleans())
def test_probed_finds_report_what_each_wordlist_finds_alone(tmp_path_factory: Any, title: str, description: str,
                                                            surrogate: bool) -> None:
    """Generated code asks a fused automaton once per text whether a wordlist has a hit, and calls `find` only then
    (with and without `variants traditional`, a pattern entry, lone surrogates): the evidence is what each list finds
    alone."""
    import rulekit

    if "engine" not in _PROBED:
        d = tmp_path_factory.mktemp("probed")
        (d / "p.rule").write_text(_PROBED_POLICY, encoding="utf-8")
        _PROBED["engine"] = rulekit.load(str(d))
        assert "_probe0 = _U" in _PROBED["engine"].plan("listing").source
        _PROBED["alone"] = {"p.ra": (WordlistMatcher(["最高", "第一", "门"], mode="evasive", variants=("traditional",)),
                                     True),
                            "p.rb": (WordlistMatcher(["新", "ab", "最"], ["最新"], mode="evasive"), False),
                            "p.rc": (WordlistMatcher(["re:最[高新]", "產"], mode="evasive", variants=("traditional",)),
                                     True)}
    if surrogate:
        title += "\ud800"
    rep = _PROBED["engine"].evaluate(listing(title=title, description=description), kind="listing", now=NOW)
    got = {v.rule: [(e.word, e.start, e.end, e.field) for e in v.evidence] for v in rep.violations}
    for rule, (m, both) in _PROBED["alone"].items():
        want = [(h.word, h.start, h.end, h.field) for h in m.find(title, "listing.title")]
        if both:
            want += [(h.word, h.start, h.end, h.field) for h in m.find(description, "listing.description")]
        assert got.get(rule, []) == want, (rule, title, description)


# ---- the build's fingerprint: what a cache restored onto a fresh install finds -------------------------------


def _fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path / "cache"))
    monkeypatch.delenv(cache.ENV_OFF, raising=False)
    cache.cache_dir.cache_clear()
    return tmp_path / "cache"


def test_a_build_is_known_by_the_bytes_of_its_files_not_their_times(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = _fresh_cache(tmp_path, monkeypatch)
    try:
        files = [tmp_path / "a.py", tmp_path / "b.lark"]
        for f in files:
            f.write_text(f"# {f.name}\n", encoding="utf-8")
        first = cache._files_fingerprint(files)
        assert len(list(root.rglob("builds/*.pickle"))) == 1  # the bytes' key, kept under the files' times
        for f in files:  # the same bytes with new times: a fresh install of the same release
            os.utime(f, ns=(10**18, 10**18))
        assert cache._files_fingerprint(files) == first
        assert len(list(root.rglob("builds/*.pickle"))) == 2
        for entry in root.rglob("builds/*.pickle"):  # a damaged entry is not trusted: the bytes are hashed again
            entry.write_bytes(b"garbage")
        assert cache._files_fingerprint(files) == first
        files[0].write_text("# changed\n", encoding="utf-8")
        os.utime(files[0], ns=(10**18, 10**18))  # even with the old times, another key
        changed = cache._files_fingerprint(files)
        assert changed != first
        monkeypatch.setenv(cache.ENV_OFF, "1")  # no cache: a key of the times, which nothing stores
        cache.cache_dir.cache_clear()
        assert cache._files_fingerprint(files) not in (first, changed)
    finally:
        cache.cache_dir.cache_clear()


def test_a_copy_of_the_package_with_new_file_times_has_the_same_build(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    _fresh_cache(tmp_path, monkeypatch)
    copy = tmp_path / "site"
    for part in ("rulekit", "grammar", "policies"):  # a checkout's layout: the data beside the package
        shutil.copytree(REPO / part, copy / part, copy_function=shutil.copyfile,
                        ignore=shutil.ignore_patterns("__pycache__"))
    show = "from rulekit import cache; print(cache.__file__, cache.package_fingerprint())"

    def build(path: Path) -> tuple[str, str]:
        r = subprocess.run([sys.executable, "-c", show], capture_output=True, text=True, cwd=tmp_path,
                           env={**os.environ, "PYTHONPATH": str(path)}, check=True)
        where, key = r.stdout.split()
        return where, key

    here, ours = build(REPO)
    there, theirs = build(copy)
    assert Path(there).is_relative_to(copy) and not Path(here).is_relative_to(copy)
    assert theirs == ours


def test_a_dependency_is_known_by_its_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    site = tmp_path / "site"
    (site / "rk_fake_dep").mkdir(parents=True)
    (site / "rk_fake_dep" / "__init__.py").write_text("x = 1\n", encoding="utf-8")
    (site / "rk_fake_dep-1.2.dist-info").mkdir()
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    try:
        cache.module_fingerprint.cache_clear()
        first = cache.module_fingerprint("rk_fake_dep")
        assert first.endswith(":rk_fake_dep-1.2.dist-info")
        os.utime(site / "rk_fake_dep" / "__init__.py", ns=(10**18, 10**18))  # reinstalled: new times, same release
        cache.module_fingerprint.cache_clear()
        assert cache.module_fingerprint("rk_fake_dep") == first
        (site / "rk_fake_dep-2.0.dist-info").mkdir()  # which release is it? the file's time tells the builds apart
        cache.module_fingerprint.cache_clear()
        assert cache.module_fingerprint("rk_fake_dep").endswith(f":{10**18}")
    finally:
        cache.module_fingerprint.cache_clear()
