"""The advertising-law development set: which real titles were labelled by hand, and the labels as backtest input.

    python tools/adlaw_devset.py sample            # the titles to label: line number and title, one a line
    python tools/adlaw_devset.py labels --out /tmp/zh_labels.jsonl   # tools/labels/titles_zh_dev.jsonl as
                                                   # `rulekit backtest` labels (ids T00001… of titles_to_listings.py)
    python tools/adlaw_devset.py sample-en --listings /tmp/en.jsonl  # the English listings to label, with every
                                                   # sentence that holds a candidate term (amazon_to_listings.py)
    python tools/adlaw_devset.py labels-en --out /tmp/en_labels.jsonl
    python tools/adlaw_devset.py sample-holdout    # the held-out sample: 200 distinct titles outside the dev set
    python tools/adlaw_devset.py labels --set holdout --out /tmp/ho_labels.jsonl
    python tools/adlaw_devset.py sample-holdout2   # the second held-out sample: 150 titles with weaker triggers
    python tools/adlaw_devset.py labels --set holdout2 --out /tmp/ho2_labels.jsonl

Sampling (seed 20261201): the distinct titles of ../shared/data/titles_zh/titles.txt (first occurrence), every
one that contains a candidate trigger of the rubric (TRIGGERS below: the words of LABELLING.md's rules and the
usual 9(3)/17/18 vocabulary), plus a random sample of 100 of the others. The labels (`yes`, `no`, `unsure`, with
the rubric's category and rule number) are stored by line number in tools/labels/titles_zh_dev.jsonl; the titles
stay in ../shared. The held-out sample (seed 20261202): 200 of the distinct titles that are not in the dev set,
labelled before the rewritten policies were run on them (tools/labels/titles_zh_holdout.jsonl). The second held-out
sample (seed 20261203, tools/labels/titles_zh_holdout2.jsonl): 150 of the distinct titles in neither, nor among the
64 flagged titles outside the dev set that were read while the policies were rewritten, that hold a weaker trigger
(WEAK_TRIGGERS: 瘦, 炎, 痒, 敏, 病, 修复, 调理, 补, 暖, 特级 …), where missed claims would hide.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TITLES = ROOT.parent / "shared" / "data" / "titles_zh" / "titles.txt"
LABELS = ROOT / "tools" / "labels" / "titles_zh_dev.jsonl"
SEED = 20261201
REST = 100
HOLDOUT = ROOT / "tools" / "labels" / "titles_zh_holdout.jsonl"
HOLDOUT_SEED, HOLDOUT_SIZE = 20261202, 200
HOLDOUT2 = ROOT / "tools" / "labels" / "titles_zh_holdout2.jsonl"
HOLDOUT2_SEED, HOLDOUT2_SIZE = 20261203, 150
WEAK_TRIGGERS = re.compile("瘦|炎|痒|敏|疼|痛|病|斑|修复|调理|养|祛|丰|增|疗|药|补|暖|湿|安神|失眠|抗|防|绝|超|级|冠|牌|首|"
                           "正宗|纯|天然|顶|神")
#: the flagged titles outside the dev set that were read while the policies were rewritten (not held out)
SEEN = frozenset({1279, 3158, 1381, 4054, 6785, 7266, 3122, 7276, 5922, 6109, 4, 3356, 147, 1960, 855, 3494, 1320,
                  7165, 7110, 5900, 3622, 3993, 2591, 4237, 4038, 3967, 6702, 7745, 6009, 5420, 2032, 6624, 4625,
                  7355, 7831, 4879, 1421, 721, 4435, 7015, 6185, 4423, 6384, 1532, 7318, 3818, 3900, 667, 344, 1401,
                  4152, 7349, 4542, 3516, 678, 4338, 7074, 428, 357, 7859, 3685, 1060, 7448, 5745})

TRIGGERS = re.compile(
    "最|第一|极品|独家|唯一|首发|首款|永久|万能|100%|特效|秘制|之王|王|治疗|疗|药|止痛|消炎|减肥|瘦身|瘦脸|丰胸|增高|"
    "磁疗|保健|防辐射|美容|强力|强效|高效|超强|速效|全能|无毒|纯天然|秒杀|抢购|开光|镇宅|辟邪|招财|转运|国家级|顶级|"
    "世界级|全网|降压|祛|排毒|癣|痔|湿疹|风湿|抗|杀菌|除菌|抑菌|根治|神效|特供|史上|冠军|销量|领先|全球|首选|绝对|"
    "无敌|顶尖|权威|驱寒|补气|养生|护肝|通便|壮阳|增大")


EN_LABELS = ROOT / "tools" / "labels" / "listings_en_dev.jsonl"
EN_HITS, EN_REST = 140, 60
#: Candidate English hype terms: superlatives, guarantees, "#1", market comparisons (a listing without any is drawn
#: from the rest).
EN_CANDIDATES = re.compile(
    r"(?i)\b(best|#1|no\.? ?1|number one|ultimate|perfect(ly)?|guarantee[ds]?|revolutionary|unmatched|unbeatable|"
    r"unrivall?ed|unparalleled|world'?s|leading|most|first|only|unique|exclusive|100%|fastest|easiest|lowest|highest|"
    r"top|premier|superior|award[- ]winning|amazing|incredible|finest|greatest|cheapest|magic(al)?|miracle|instantly|"
    r"risk[- ]free|proven|industry[- ]standard|state[- ]of[- ]the[- ]art|breakthrough|cutting[- ]edge|flawless|never|"
    r"ever)\b")


def sample_en(listings: list[dict[str, str]]) -> list[dict[str, str]]:
    """140 listings with a candidate term and 60 without (seed 20261201), in file order."""
    def text(x: dict[str, str]) -> str:
        return x["title"] + " " + x["description"]
    hits = [x for x in listings if EN_CANDIDATES.search(text(x))]
    rest = [x for x in listings if not EN_CANDIDATES.search(text(x))]
    rnd = random.Random(SEED)
    chosen = {x["id"] for x in rnd.sample(hits, EN_HITS) + rnd.sample(rest, EN_REST)}
    return [x for x in listings if x["id"] in chosen]


def distinct_titles() -> list[tuple[int, str]]:
    """(line number, title) of the first occurrence of each distinct non-blank title."""
    seen: set[str] = set()
    out = []
    for number, line in enumerate(TITLES.read_text(encoding="utf-8-sig").split("\n"), 1):
        title = line.strip()
        if title and title not in seen:
            seen.add(title)
            out.append((number, title))
    return out


def sample() -> list[tuple[int, str]]:
    titles = distinct_titles()
    hits = [t for t in titles if TRIGGERS.search(t[1])]
    rest = [t for t in titles if not TRIGGERS.search(t[1])]
    return sorted(hits + random.Random(SEED).sample(rest, REST))


def sample_holdout() -> list[tuple[int, str]]:
    """200 distinct titles outside the dev set, in line order (the held-out sample)."""
    dev = {json.loads(x)["line"] for x in LABELS.read_text(encoding="utf-8").splitlines()}
    pool = [(n, t) for n, t in distinct_titles() if n not in dev]
    return sorted(random.Random(HOLDOUT_SEED).sample(pool, HOLDOUT_SIZE))


def sample_holdout2() -> list[tuple[int, str]]:
    """150 distinct titles with a weak trigger, in neither the dev set nor the first held-out sample nor SEEN."""
    taken = {json.loads(x)["line"] for f in (LABELS, HOLDOUT) for x in f.read_text(encoding="utf-8").splitlines()}
    pool = [(n, t) for n, t in distinct_titles() if n not in taken and n not in SEEN and WEAK_TRIGGERS.search(t)]
    return sorted(random.Random(HOLDOUT2_SEED).sample(pool, HOLDOUT2_SIZE))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("sample")
    sub.add_parser("sample-holdout")
    sub.add_parser("sample-holdout2")
    lab = sub.add_parser("labels")
    lab.add_argument("--out", required=True)
    lab.add_argument("--set", choices=("dev", "holdout", "holdout2"), default="dev", help="which labelled titles")
    en = sub.add_parser("sample-en")
    en.add_argument("--listings", required=True)
    en_lab = sub.add_parser("labels-en")
    en_lab.add_argument("--out", required=True)
    a = ap.parse_args()
    if a.cmd == "sample-en":
        listings = [json.loads(x) for x in Path(a.listings).read_text(encoding="utf-8").splitlines()]
        for x in sample_en(listings):
            print(f"{x['id']}\t{x['title']}")
            for m in EN_CANDIDATES.finditer(x["description"]):
                print(f"    …{x['description'][max(0, m.start() - 70):m.end() + 50]}…")
        return 0
    if a.cmd == "labels-en":
        with open(a.out, "w", encoding="utf-8") as out:
            for text in EN_LABELS.read_text(encoding="utf-8").splitlines():
                d = json.loads(text)
                out.write(json.dumps({"id": d["id"], "label": d["label"]}) + "\n")
        return 0
    if not TITLES.exists():
        print(f"{TITLES} is not there (the data stays in ../shared)", file=sys.stderr)
        return 2
    if a.cmd in ("sample", "sample-holdout", "sample-holdout2"):
        samplers = {"sample": sample, "sample-holdout": sample_holdout, "sample-holdout2": sample_holdout2}
        for number, title in samplers[a.cmd]():
            print(f"{number}\t{title}")
        return 0
    lines = TITLES.read_text(encoding="utf-8-sig").split("\n")
    assert all(line.strip() for line in lines[:-1]), "ids assume no blank lines (titles_to_listings.py)"
    with open(a.out, "w", encoding="utf-8") as out:
        for text in {"dev": LABELS, "holdout": HOLDOUT, "holdout2": HOLDOUT2}[a.set].read_text(encoding="utf-8").splitlines():
            d = json.loads(text)
            if d.get("category") == "other":
                continue  # rubric rules 14 and 17: outside the 9(3)/17/18 scope the policies are scored on
            out.write(json.dumps({"id": f"T{d['line']:05d}", "label": d["label"]}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
