"""A plan loaded from its cached image evaluates as the plan compiled from the checked program does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rulekit
from rulekit import cache
from rulekit.checker import deferred
from rulekit.compiler import image
from rulekit.resources import standard_policies
from rulekit.runtime.matcher import WordlistMatcher
from tests.helpers import NOW, REPO, listing, write

EXAMPLES = REPO / "examples"


def _images(where: Path) -> list[Path]:
    return sorted(where.rglob("plan/*.pickle"))


def _example_records() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(EXAMPLES.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                out.append((rec.get("kind") or path.stem.rstrip("s"), rec))
    return out


def _reports(engine: rulekit.Engine, records: list[tuple[str, dict[str, Any]]]) -> list[str]:
    stream = engine.stream(now=NOW)
    return [stream.push(rec, kind=kind).to_json() for kind, rec in records]


def _shape(engine: rulekit.Engine) -> tuple[Any, ...]:
    """What generated code was made: each kind's source, the windows, and the names and types of the constants."""
    plan = engine.compiled
    names = {k: type(v).__name__ for k, v in plan.constants.namespace.items() if k != "__builtins__"}
    return ({k: p.source for k, p in plan.kinds.items()}, [w.id for w in plan.windows],
            {k: p.uses_regex for k, p in plan.kinds.items()}, names, {k: plan.lean_fields(k) for k in plan.kinds})


def test_the_bundled_plan_from_its_image_is_the_compiled_plan(cache_at: Path) -> None:
    records = _example_records()
    assert len({kind for kind, _ in records}) >= 6
    compiled = rulekit.load()  # compiles, and keeps the image
    assert len(_images(cache_at)) == 1
    loaded = rulekit.load()  # from the image
    assert _shape(loaded) == _shape(compiled)
    # the windows' syntax trees are read from the image when first used
    assert loaded.compiled.windows and all(deferred._pending(w) is not None for w in loaded.compiled.windows)
    assert [w.node for w in loaded.compiled.windows] == [w.node for w in compiled.compiled.windows]
    assert [w.filters_at_query for w in loaded.compiled.windows] == \
        [w.filters_at_query for w in compiled.compiled.windows]
    assert _reports(loaded, records) == _reports(compiled, records)
    # a table of several results is made of rows of a class made again, a members window of records of its class
    ns = loaded.compiled.constants.namespace
    rows = [v for k, v in ns.items() if k.startswith("_TB") and isinstance(v, dict) and v
            and type(next(iter(v.values()))).__name__.startswith("Row_")]
    assert rows
    assert any(isinstance(v, type) and v.__name__.startswith("Member_") for v in ns.values())
    # the wordlists are this load's matchers, and the probes in the constants are theirs
    matchers = {id(v) for v in ns.values() if isinstance(v, WordlistMatcher)}
    probes = {id(v.probe[0]) for v in ns.values() if isinstance(v, WordlistMatcher) and v.probe}
    assert probes and all(id(v) in probes for k, v in ns.items() if k.startswith("_pr"))
    assert all(id(v) in matchers for k, v in ns.items() if k.startswith("_WL"))


def test_explanations_compile_over_a_loaded_plan(cache_at: Path) -> None:
    rulekit.load()
    engine = rulekit.load()
    rec = listing(title="全网最低价 最好的")
    explained = engine.explain(rec, kind="listing", now=NOW)
    assert explained.render() == rulekit.load().explain(rec, kind="listing", now=NOW).render()
    assert any(r.status == "fired" for r in explained.rules)


def test_selected_rules_have_an_image_of_their_own(cache_at: Path) -> None:
    records = _example_records()
    full = rulekit.load()
    some = rulekit.load(select=["ad_law.*", "sla.*"], severity={"sla.ship_48h": "warning"})
    assert len(_images(cache_at)) == 2
    again = rulekit.load(select=["ad_law.*", "sla.*"], severity={"sla.ship_48h": "warning"})
    assert len(_images(cache_at)) == 2
    assert _shape(again) == _shape(some) != _shape(full)
    assert _reports(again, records) == _reports(some, records)


def test_without_a_cache_nothing_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path / "cache"))
    monkeypatch.setenv(cache.ENV_OFF, "1")
    cache.cache_dir.cache_clear()
    try:
        engine = rulekit.load()
        assert image.key_of(engine.compiled.program) is None
        assert not (tmp_path / "cache").exists()
    finally:
        cache.cache_dir.cache_clear()


@pytest.mark.parametrize("damage", [b"garbage", b"", None])
def test_a_damaged_image_is_compiled_again(cache_at: Path, damage: bytes | None) -> None:
    records = _example_records()
    expected = _reports(rulekit.load(), records)
    [path] = _images(cache_at)
    data = path.read_bytes()
    if damage is None:  # the header and framing intact, the image itself cut short
        header = data[: data.index(b"\n", len(cache._MAGIC)) + 1]
        context_only, payload = __import__("pickle").loads(data[len(header):])
        damage = header + __import__("pickle").dumps((context_only, payload[: len(payload) // 2]))
        path.write_bytes(damage)
    else:
        path.write_bytes(damage)
    assert _reports(rulekit.load(), records) == expected
    assert _reports(rulekit.load(), records) == expected  # kept again
    assert path.read_bytes() != damage


def test_an_edited_wordlist_is_never_read_from_an_old_image(cache_at: Path, tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    write(policies, "words.txt", "禁词甲\n")
    write(policies, "p.rule", """
        policy p {
          wordlist banned {
            source "words.txt"
          }
          rule no_banned on listing {
            let hits = find(listing.title, banned)
            when len(hits) > 0
            message "含有 {hits.text}"
          }
        }
        """)
    rec = listing(title="这是禁词乙的标题")
    assert rulekit.load(policies).evaluate(rec, kind="listing", now=NOW).decision == "allow"
    assert rulekit.load(policies).evaluate(rec, kind="listing", now=NOW).decision == "allow"  # from the image
    write(policies, "words.txt", "禁词甲\n禁词乙\n")
    assert rulekit.load(policies).evaluate(rec, kind="listing", now=NOW).decision != "allow"
    assert len(_images(cache_at)) == 2


def test_a_policy_set_moved_elsewhere_compiles_the_same(cache_at: Path, tmp_path: Path) -> None:
    here = tmp_path / "a"
    shutil.copytree(standard_policies(), here)
    records = _example_records()[:40]
    first = _reports(rulekit.load(here), records)
    assert _reports(rulekit.load(here), records) == first == _reports(rulekit.load(), records)


WORDS = ["最", "最好", "第一", "国家级", "全网", "加微信", "vx", "包邮", "特效", "根治", "極", "最佳", "，", " ", "A"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.lists(st.sampled_from(WORDS), max_size=8).map("".join),
                          st.lists(st.sampled_from(WORDS), max_size=12).map("".join),
                          st.sampled_from(["服饰", "医药", "食品", "数码"])), min_size=1, max_size=8))
def test_listings_from_the_image_report_as_compiled(cache_at: Path, texts: list[tuple[str, str, str]]) -> None:
    compiled, loaded = _pair()
    records = [("listing", listing(id=f"L{i}", title=t or "空", description=d, category=c))
               for i, (t, d, c) in enumerate(texts)]
    assert _reports(loaded, records) == _reports(compiled, records)


_PAIR: list[rulekit.Engine] = []


def _pair() -> list[rulekit.Engine]:
    """An engine compiled without a cache and one loaded from an image, made once for the property."""
    if not _PAIR:
        import os

        os.environ[cache.ENV_OFF] = "1"
        cache.cache_dir.cache_clear()
        try:
            compiled = rulekit.load()
        finally:
            del os.environ[cache.ENV_OFF]
            cache.cache_dir.cache_clear()
        rulekit.load()
        loaded = rulekit.load()
        assert loaded.compiled.program.key is not None
        _PAIR.extend([compiled, loaded])
    return _PAIR
