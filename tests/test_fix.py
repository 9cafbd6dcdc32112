"""`rulekit lint --fix OUT`: every record written, replacements applied at the right offsets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from rulekit.fix import apply_replacements

POLICY = """
policy ad {
  wordlist banned {
    source "words.txt"
    match evasive
  }
  rule extreme on listing {
    severity error
    let hits = find(listing.title, banned)
    when len(hits) > 0
    message "禁用词"
    evidence hits
  }
}
"""

WORDS = "最便宜\t极限用语\t实惠\n国家级\t极限用语\n第一\t极限用语\t领先\n"


def listing(i: int, title: str) -> dict:
    return {"id": f"L{i}", "shop_id": "S1", "title": title, "description": "", "category": "服饰", "price": 99,
            "images": [], "published_at": "2025-06-01T10:00:00+08:00"}


def test_apply_replacements_keeps_later_offsets_right() -> None:
    text = "最便宜的T恤，销量第一"
    new, n = apply_replacements(text, [(0, 3, "实惠"), (9, 11, "领先")])
    assert (new, n) == ("实惠的T恤，销量领先", 2)


def test_apply_replacements_skips_overlaps_leftmost_longest() -> None:
    new, n = apply_replacements("全网最低价", [(0, 5, "优惠价"), (2, 4, "实惠")])
    assert (new, n) == ("优惠价", 1)


def test_lint_fix_writes_every_record(tmp_path: Path) -> None:
    (tmp_path / "p.rule").write_text(POLICY, encoding="utf-8")
    (tmp_path / "words.txt").write_text(WORDS, encoding="utf-8")
    records = [listing(1, "全网最 便 宜，销量第一"), listing(2, "普通商品"), listing(3, "国家级认证")]
    lines = [json.dumps(r, ensure_ascii=False) for r in records[:2]] + ["not json"] + \
        [json.dumps(records[2], ensure_ascii=False)]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "fixed.jsonl"
    proc = subprocess.run([sys.executable, "-m", "rulekit", "lint", "-p", str(tmp_path / "p.rule"), "--subject",
                           "listing", "--format", "jsonl", "--fix", str(out), str(tmp_path / "in.jsonl")],
                          capture_output=True, text=True, encoding="utf-8")
    assert proc.returncode == 1, proc.stderr
    fixed = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(fixed) == 4  # one line per input record, the unreadable one included
    assert fixed[0]["title"] == "全网实惠，销量领先"
    assert fixed[1]["title"] == "普通商品"
    assert fixed[2]["_unreadable"] is True and fixed[2]["_source"].endswith("in.jsonl:3")
    assert fixed[3]["title"] == "国家级认证"  # no replacement: left as is, and reported
    assert "2 changed" not in proc.stderr and "1 changed" in proc.stderr
    assert "国家级×1" in proc.stderr
