"""`rulekit backtest`: confusion counts against hand labels, the errors with evidence, and the diff of two versions."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from rulekit.backtest import Label, read_labels, score
from rulekit.runtime.report import Report, Violation
from tests.helpers import run_cli, write

V1 = """
policy ad {
  wordlist extreme {
    words "最好", "第一", "最新"
  }
  rule extreme on listing {
    let hits = find(listing.title, extreme)
    when len(hits) > 0
    message "极限用语：{hits.word}"
    evidence hits
  }
  rule cheap on listing {
    when listing.price < ¥1
    message "价格过低"
  }
}
"""
V2 = V1.replace('words "最好", "第一", "最新"', 'words "最好", "第一", "最新"\n    allow "最新款"')


def _listing(i: int, title: str, price: int = 10) -> str:
    return json.dumps({"id": f"L{i}", "shop_id": "S1", "title": title, "description": "", "category": "服饰",
                       "price": price, "images": [], "published_at": "2025-06-01T10:00:00+08:00"},
                      ensure_ascii=False)


def _setup(tmp: Path) -> tuple[Path, Path, Path]:
    write(tmp, "v1/ad.rule", V1)
    write(tmp, "v2/ad.rule", V2)
    records = tmp / "listings.jsonl"
    records.write_text("\n".join([
        _listing(1, "全网最好的T恤"),        # yes: fires
        _listing(2, "2025最新款连衣裙"),      # no: fires on 最新 (a false positive V2 removes)
        _listing(3, "纯棉短袖"),              # no: quiet
        _listing(4, "销量第一的耳机"),        # unsure
        _listing(5, "夏季凉鞋", price=0),     # yes for `cheap`, labelled on the rule
        _listing(6, "顶级品质毛巾"),          # yes: missed (顶级 is not in the list)
    ]) + "\n", encoding="utf-8")
    labels = tmp / "labels.jsonl"
    labels.write_text("\n".join([
        '{"id": "L1", "label": "yes"}',
        '{"id": "L2", "label": "no"}',
        '{"id": "L3", "label": "no"}',
        '{"id": "L4", "label": "unsure"}',
        '{"id": "L5", "label": "yes", "rule": "ad.cheap"}',
        '{"id": "L6", "label": "yes", "policy": "ad"}',
        '{"id": "L9", "label": "no"}',
        '{"id": "L1", "label": "maybe"}',
    ]) + "\n", encoding="utf-8")
    return tmp / "v1", tmp / "v2", records


def test_counts_errors_and_exit_code(tmp_path: Path) -> None:
    v1, _, records = _setup(tmp_path)
    r = run_cli("backtest", "-p", v1, "--labels", tmp_path / "labels.jsonl", "--format", "json", records)
    assert r.returncode == 1  # one label line could not be read
    assert "labels.jsonl:8: `label` must be yes, no or unsure, not \"maybe\"" in r.stderr
    doc = json.loads(r.stdout)
    assert doc["overall"] == {"tp": 2, "fp": 1, "fn": 1, "tn": 1, "precision": 0.6667, "recall": 0.6667}
    assert doc["unsure"] == 1 and doc["missing"] == [{"id": "L9", "line": 7}]
    rules = {x["rule"]: x for x in doc["rules"]}
    assert rules["ad.extreme"]["tp"] == 1 and rules["ad.extreme"]["fp"] == 1
    assert rules["ad.cheap"] == {"rule": "ad.cheap", "fired": 1, "tp": 1, "fp": 0, "fn": 0, "tn": 0,
                                 "precision": 1.0, "recall": 1.0}
    fp = doc["false_positives"]
    assert [f["id"] for f in fp] == ["L2"]
    assert fp[0]["fired"][0]["evidence"][0] == {"field": "listing.title", "start": 4, "end": 6, "text": "最新",
                                                "word": "最新"}
    assert [f["id"] for f in doc["false_negatives"]] == ["L6"]


def test_text_output(tmp_path: Path) -> None:
    v1, _, records = _setup(tmp_path)
    r = run_cli("backtest", "-p", v1, "--labels", tmp_path / "labels.jsonl", records)
    assert "overall: TP 2  FP 1  FN 1  TN 1  precision 0.667  recall 0.667" in r.stdout
    assert 'L2  ad.extreme  极限用语：最新  (listing.title[4:6] "最新")' in r.stdout
    assert "L6  labelled yes (policy ad), nothing fired" in r.stdout
    assert "label line 7: no record `L9` in the input" in r.stdout
    assert "None" not in r.stdout and "Traceback" not in r.stderr


def test_against_an_earlier_version(tmp_path: Path) -> None:
    v1, v2, records = _setup(tmp_path)
    r = run_cli("backtest", "-p", v2, "--against", v1, "--labels", tmp_path / "labels.jsonl", "--format", "json",
                records)
    d = json.loads(r.stdout)["against"]
    assert d["dropped_flags"] == [{"record": "listing:L2", "rule": "ad.extreme"}] and d["new_flags"] == []
    assert d["rules"] == [{"rule": "ad.extreme", "fired": -1, "tp": 0, "fp": -1, "fn": 0}]
    assert d["overall"]["current"]["precision"] == 1.0 and d["overall"]["against"]["precision"] == 0.6667
    text = run_cli("backtest", "-p", v2, "--against", v1, "--labels", tmp_path / "labels.jsonl", records).stdout
    assert "precision 0.667 → 1.000" in text and "dropped flags (1):\n  listing:L2  ad.extreme" in text


def test_usage_errors(tmp_path: Path) -> None:
    v1, _, records = _setup(tmp_path)
    r = run_cli("backtest", "-p", v1, "--labels", tmp_path / "nope.jsonl", records)
    assert r.returncode == 2 and "--labels" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("backtest", "-p", v1, "--labels", tmp_path / "labels.jsonl", "--kind", "lsting", records)
    assert r.returncode == 2 and "unknown kind" in r.stderr


def test_label_lines_are_checked_one_by_one() -> None:
    labels, problems = read_labels(['{"id": "a", "label": "yes", "rule": "p.r"}', "[1]", "{",
                                    '{"id": "b", "label": "no", "rule": "p.x"}',
                                    '{"id": "c", "label": "no", "rule": "p.r", "policy": "p"}', ""], "L", {"p.r"})
    assert [x.id for x in labels] == ["a"]
    assert [p.split(":")[1] for p in problems] == ["2", "3", "4", "5"]


def _report(rid: str, fired: list[str]) -> Report:
    return Report(kind="listing", id=rid, decision="block" if fired else "allow",
                  violations=[Violation(rule=r, policy=r.split(".")[0], severity="error", message="m")
                              for r in fired], errors=[])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["yes", "no", "unsure"]),
                          st.sampled_from([None, "p.a", "p.b", "q.c"]),
                          st.lists(st.sampled_from(["p.a", "p.b", "q.c"]), unique=True)), max_size=30))
def test_counts_match_a_naive_reference(rows: list[tuple[str, str | None, list[str]]]) -> None:
    labels = [Label(f"r{i}", lab, rule) for i, (lab, rule, _) in enumerate(rows)]
    reps = {f"r{i}": _report(f"r{i}", fired) for i, (_, _, fired) in enumerate(rows)}
    s = score(labels, reps)
    tp = fp = fn = tn = 0
    for lab, rule, fired in rows:
        if lab == "unsure":
            continue
        pred = (rule in fired) if rule else bool(fired)
        tp += lab == "yes" and pred
        fp += lab == "no" and pred
        fn += lab == "yes" and not pred
        tn += lab == "no" and not pred
    assert (s.overall.tp, s.overall.fp, s.overall.fn, s.overall.tn) == (tp, fp, fn, tn)
    assert s.unsure == sum(lab == "unsure" for lab, _, _ in rows)


def test_the_development_set_labels_are_well_formed_and_cover_the_sample() -> None:
    import subprocess
    import sys

    import pytest

    from tests.helpers import REPO
    labels = [json.loads(x) for x in (REPO / "tools" / "labels" / "titles_zh_dev.jsonl").read_text(
        encoding="utf-8").splitlines()]
    assert len(labels) >= 300 and len({x["line"] for x in labels}) == len(labels)
    for x in labels:
        assert x["label"] in ("yes", "no", "unsure")
        assert x.get("category") in (None, "absolute", "medical", "guarantee", "other")
        assert (x["label"] == "no") == ("category" not in x)
    titles = REPO.parent / "shared" / "data" / "titles_zh" / "titles.txt"
    if not titles.exists():
        pytest.skip("../shared/data is not next to this checkout")
    r = subprocess.run([sys.executable, str(REPO / "tools" / "adlaw_devset.py"), "sample"], capture_output=True,
                       text=True)
    assert sorted(int(line.split("\t")[0]) for line in r.stdout.splitlines()) == sorted(x["line"] for x in labels)


def test_the_english_development_set_labels() -> None:
    from tests.helpers import REPO
    labels = [json.loads(x) for x in (REPO / "tools" / "labels" / "listings_en_dev.jsonl").read_text(
        encoding="utf-8").splitlines()]
    assert len(labels) == 200 and len({x["id"] for x in labels}) == 200
    assert all(x["label"] in ("yes", "no", "unsure") for x in labels)
