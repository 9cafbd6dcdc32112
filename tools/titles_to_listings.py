"""Converts the real Chinese marketplace titles to rulekit listings (JSON Lines), one listing per title.

    python tools/titles_to_listings.py [--data TITLES_TXT] [--out listings.jsonl]
    python tools/titles_to_listings.py flags --listings listings.jsonl --lint lint.jsonl [--seed N] [--sample 100]

The second form measures a `rulekit lint --format jsonl` run over those listings: flags per 1,000
listings for each rule whose id starts with `--prefix` (default `ad_law.`) and overall (a flag = one
evidence match), then prints a seeded random sample of flags as a markdown table for hand review (`random.Random(seed).sample` over the flags in
listing, rule, evidence order; every flag when there are no more than the sample size).

Input: ../shared/data/titles_zh/titles.txt relative to the repository root (7,998 Taobao-style product
titles rebuilt from a Chinese e-commerce NER data set; see its SOURCE.txt: no license declared, local
testing only). One title per line; lines are stripped, blank lines skipped, a UTF-8 BOM is tolerated.

Output: one `listing` record a line, in file order, with fixed values for everything a title lacks:
- `id`: `T00001`, `T00002`, ... (the 1-based position among non-blank lines, so ids are deterministic);
- `shop_id` "S-titles", `title` the line, `description` "", `category` "综合" (not a medical category, so
  the medical-word rule applies), `price` 99, `images` [], `published_at` 2025-06-01T10:00:00+08:00.

Exits 2 with a message on stderr when the titles file is absent.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "titles_zh" / "titles.txt"
PUBLISHED_AT = "2025-06-01T10:00:00+08:00"


def listings(path: Path) -> Iterator[dict[str, Any]]:
    """One listing per non-blank line of `path`."""
    lines = (line.strip() for line in path.read_text(encoding="utf-8-sig").splitlines())
    for number, title in enumerate((line for line in lines if line), start=1):
        yield {
            "id": f"T{number:05d}", "shop_id": "S-titles", "title": title, "description": "",
            "category": "综合", "price": 99, "images": [], "published_at": PUBLISHED_AT,
        }


def flags(listings_path: Path, lint_path: Path, prefix: str = "ad_law.") -> tuple[int, list[dict[str, Any]]]:
    """(number of listings, every evidence match of a rule whose id starts with `prefix`)."""
    titles = {}
    with open(listings_path, encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            titles[record["id"]] = record
    found: list[dict[str, Any]] = []
    with open(lint_path, encoding="utf-8") as f:
        for line in f:
            report = json.loads(line)
            for violation in report["violations"]:
                if not violation["rule"].startswith(prefix):
                    continue
                for match in violation.get("evidence") or []:
                    field = match["field"].rpartition(".")[2]
                    found.append({
                        "id": report["id"], "text": titles[report["id"]][field], "field": field,
                        "match": match["text"], "word": match["word"], "category": match["category"],
                        "rule": violation["rule"], "start": match["start"], "end": match["end"],
                    })
    return len(titles), found


def measure(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="titles_to_listings.py flags")
    parser.add_argument("--listings", type=Path, required=True)
    parser.add_argument("--lint", type=Path, required=True, help="`rulekit lint --format jsonl` output")
    parser.add_argument("--prefix", default="ad_law.", help="rule ids counted (prefix, default `ad_law.`)")
    parser.add_argument("--seed", type=int, default=20250610)
    parser.add_argument("--sample", type=int, default=100)
    args = parser.parse_args(argv)
    total, found = flags(args.listings, args.lint, args.prefix)
    per_rule: dict[str, int] = {}
    for flag in found:
        per_rule[flag["rule"]] = per_rule.get(flag["rule"], 0) + 1
    flagged = len({flag["id"] for flag in found})
    print(f"{total:,} listings, {len(found):,} flags ({len(found) * 1000 / total:.1f} per 1,000), "
          f"{flagged:,} listings flagged ({flagged * 1000 / total:.1f} per 1,000)\n")
    print("| rule | flags | per 1,000 listings |\n|---|---:|---:|")
    for rule, count in sorted(per_rule.items(), key=lambda item: (-item[1], item[0])):
        print(f"| {rule} | {count} | {count * 1000 / total:.1f} |")
    print(f"| **all** | {len(found)} | {len(found) * 1000 / total:.1f} |\n")
    sample = found if len(found) <= args.sample else random.Random(args.seed).sample(found, args.sample)
    print(f"sample: {len(sample)} of {len(found)} flags, seed {args.seed}\n")
    print("| # | id | title | match | word | rule |\n|---|---|---|---|---|---|")
    for number, flag in enumerate(sample, start=1):
        text = flag["text"] if len(flag["text"]) <= 40 else flag["text"][:40] + "…"
        text = text.replace("|", "\\|")
        print(f"| {number} | {flag['id']} | {text} | {flag['match']} | {flag['word']} | {flag['rule']} |")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["flags"]:
        return measure(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"titles file (default {DEFAULT_DATA})")
    parser.add_argument("--out", type=Path, help="output JSONL (default stdout)")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        sys.stderr.write(f"titles_to_listings: {args.data} not found (expected the shared data set "
                         "../shared/data/titles_zh/titles.txt next to the repository; pass --data)\n")
        return 2
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout  # noqa: SIM115
    try:
        count = 0
        for listing in listings(args.data):
            out.write(json.dumps(listing, ensure_ascii=False) + "\n")
            count += 1
    finally:
        if args.out:
            out.close()
    sys.stderr.write(f"titles_to_listings: {count:,} listings\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
