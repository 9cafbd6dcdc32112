"""Measures WordlistMatcher.find against raw automata, a regex alternation and a Python loop (titles/s).

Also end to end: the same titles as listings through `rulekit.load(...)` and
`list(engine.evaluate_many(listings, kind="listing", now=NOW))` with one wordlist rule
(`when len(find(listing.title, w)) > 0`), in normalized and evasive modes, in the same run.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import random
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

import ahocorasick
import regex

import rulekit
from rulekit.runtime.matcher import AUTOMATA, MODES, Entry, WordlistMatcher, match_key

try:
    import ahocorasick_rs
except ImportError:  # optional peer
    ahocorasick_rs = None
try:
    import hyperscan
except ImportError:  # optional peer
    hyperscan = None

DATA = Path("/work/shared/data")
TITLES_FILE = DATA / "titles_zh" / "titles.txt"
KEYWORDS_FILE = DATA / "adlaw_keywords" / "keyword.txt"
RESULTS_FILE = Path(__file__).with_name("results_matcher.md")
RESULTS_MD = Path(__file__).with_name("RESULTS.md")
SIZES = (2_000, 10_000)
SEED = 20240601

E2E_MODES = ("normalized", "evasive")
NOW = datetime.fromisoformat("2025-06-10T12:00:00+08:00")
SEGMENT = 10_000  # titles timed at once; the best segment of each method counts
SLOW = 50_000  # titles/s below which a method is sampled instead of run on every title

Batch = Callable[[Sequence[str]], int]  # runs over a batch of titles, returns the number of matches


class Result(NamedTuple):
    rate: float  # titles per second
    matches: int  # occurrences counted over the titles processed
    sampled: bool  # True when only part of the titles were processed


def load_titles(count: int) -> tuple[list[str], str]:
    """`count` titles: the real ones cycled, or deterministic synthetic ones when the file is absent."""
    if TITLES_FILE.exists():
        real = [line.strip() for line in TITLES_FILE.read_text(encoding="utf-8-sig").splitlines() if line.strip()]
        source = f"{len(real):,} real titles from {TITLES_FILE.name}, cycled"
    else:
        rng = random.Random(SEED)
        pool = [chr(cp) for cp in range(0x4E00, 0x4E00 + 2_000)] + list("，（）！ ABCDE0123456789")
        real = ["".join(rng.choice(pool) for _ in range(rng.randint(20, 40))) for _ in range(8_000)]
        source = "8,000 synthetic titles (titles file absent)"
    return list(itertools.islice(itertools.cycle(real), count)), source


def load_words(size: int, titles: Sequence[str]) -> list[str]:
    """The advertising-law keywords (jieba format `word freq`), then synthetic CJK words up to `size`."""
    words: list[str] = []
    if KEYWORDS_FILE.exists():
        for line in KEYWORDS_FILE.read_text(encoding="utf-8-sig").splitlines():
            word, _, freq = line.strip().rpartition(" ")
            word = word if freq.isdigit() else line.strip()
            if word:
                words.append(word)
    # Synthetic words from the characters titles actually use, so the match rate stays realistic.
    counts = Counter(ch for title in titles[:20_000] for ch in title if "\u4e00" <= ch <= "\u9fff")
    alphabet = [ch for ch, _ in counts.most_common(1_500)] or [chr(cp) for cp in range(0x4E00, 0x4E00 + 1_500)]
    rng = random.Random(SEED + size)
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(alphabet) for _ in range(rng.choice((2, 3, 3, 4, 4, 5))))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return list(dict.fromkeys(words))[:size]


def peers(words: list[str]) -> dict[str, Batch]:
    """The raw libraries and baselines, each as a function over a batch of titles."""
    batches: dict[str, Batch] = {}

    trie = ahocorasick.Automaton()
    for index, word in enumerate(words):
        trie.add_word(word, index)
    trie.make_automaton()

    def pyahocorasick_raw(titles: Sequence[str]) -> int:
        iterate, found = trie.iter, 0
        for title in titles:
            for _ in iterate(title):
                found += 1
        return found

    batches["pyahocorasick raw `iter()`"] = pyahocorasick_raw

    if ahocorasick_rs is not None:
        rs_find = ahocorasick_rs.AhoCorasick(words).find_matches_as_indexes

        def ahocorasick_rs_raw(titles: Sequence[str]) -> int:
            found = 0
            for title in titles:
                found += len(rs_find(title, True))
            return found

        batches["ahocorasick_rs raw (overlapping)"] = ahocorasick_rs_raw

    if hyperscan is not None:
        database = hyperscan.Database()
        database.compile(
            expressions=[regex.escape(word).encode() for word in words],
            ids=list(range(len(words))),
            elements=len(words),
            flags=[hyperscan.HS_FLAG_SOM_LEFTMOST | hyperscan.HS_FLAG_UTF8] * len(words),
        )
        hits: list[int] = []

        def on_match(pattern: int, start: int, end: int, flags: int, context: object) -> None:
            hits.append(pattern)

        def on_match_context(pattern: int, start: int, end: int, flags: int, context: list[int]) -> None:
            context.append(pattern)

        def hyperscan_raw(titles: Sequence[str]) -> int:
            hits.clear()
            scan = database.scan
            for title in titles:
                scan(title.encode(), match_event_handler=on_match)
            return len(hits)

        batches["hyperscan raw (bytes, SOM)"] = hyperscan_raw

        # What a hyperscan-backed matcher could reach: the same normalization fast path as
        # WordlistMatcher (offset mapping skipped; it only runs on the few titles with a hit).
        keys = list(dict.fromkeys(match_key(word, "normalized") for word in words))
        folded = hyperscan.Database()
        folded.compile(
            expressions=[key.encode() for key in keys],
            ids=list(range(len(keys))),
            elements=len(keys),
            flags=hyperscan.HS_FLAG_SOM_LEFTMOST,
            literal=True,
        )

        def hyperscan_normalized(titles: Sequence[str]) -> int:
            scan, is_normalized, found = folded.scan, unicodedata.is_normalized, []
            for title in titles:
                if title.isascii():
                    image = title.lower()
                elif is_normalized("NFKC", title):
                    image = title.casefold()
                else:
                    image = match_key(title, "normalized")
                scan(image.encode(), on_match_context, 0, found)
            return len(found)

        batches["prototype: normalized fast path + hyperscan"] = hyperscan_normalized

    alternation = regex.compile("|".join(regex.escape(w) for w in sorted(words, key=len, reverse=True)))

    def regex_alternation(titles: Sequence[str]) -> int:
        finditer, found = alternation.finditer, 0
        for title in titles:
            for _ in finditer(title):
                found += 1
        return found

    def regex_alternation_overlapped(titles: Sequence[str]) -> int:
        finditer, found = alternation.finditer, 0
        for title in titles:
            for _ in finditer(title, overlapped=True):
                found += 1
        return found

    batches["`regex` alternation, finditer"] = regex_alternation
    batches["`regex` alternation, finditer overlapped"] = regex_alternation_overlapped

    def python_loop(titles: Sequence[str]) -> int:
        found = 0
        for title in titles:
            for word in words:
                if word in title:
                    found += 1
        return found

    batches["Python loop `w in title` (floor)"] = python_loop
    return batches


def matchers(words: list[str]) -> dict[str, Batch]:
    """WordlistMatcher.find in every mode, on every installed automaton."""
    entries = [Entry(word) for word in words]
    batches: dict[str, Batch] = {}
    for automaton in AUTOMATA:
        for mode in MODES:
            try:
                matcher = WordlistMatcher(entries, mode=mode, automaton=automaton)
            except ValueError:  # automaton not installed
                continue

            def run(titles: Sequence[str], find: Callable[[str], list] = matcher.find) -> int:
                found = 0
                for title in titles:
                    found += len(find(title))
                return found

            batches[f"WordlistMatcher.find {mode} ({automaton})"] = run
    return batches


def fresh_copies(titles: Sequence[str]) -> list[str]:
    """New string objects, as a pipeline reading records would have (no cached UTF-8 form, for instance)."""
    return [title.encode("utf-8").decode("utf-8") for title in titles]


def measure_all(batches: dict[str, Batch], titles: Sequence[str], budget: float, rounds: int) -> dict[str, Result]:
    """titles/s per method: the best segment of `SEGMENT` titles over `rounds` interleaved passes.

    Every pass runs on fresh copies of the titles. Timing in process CPU time, interleaving short
    segments across methods and keeping each method's best make the comparison fair on a shared,
    noisy machine. A method slower
    than `SLOW` titles/s gets one pass that stops after `budget` seconds (its rate is then sampled).
    """
    results: dict[str, Result] = {}
    fast: list[str] = []
    for name, batch in batches.items():
        probe = fresh_copies(titles[:1_000])
        start = time.process_time()
        batch(probe)
        if len(probe) / (time.process_time() - start) >= SLOW:
            fast.append(name)
            continue
        copies, done, found = fresh_copies(titles), 0, 0
        start = time.process_time()
        while done < len(copies) and time.process_time() - start < budget:
            found += batch(copies[done : done + 1_000])
            done = min(done + 1_000, len(copies))
        results[name] = Result(done / (time.process_time() - start), found, done < len(copies))
    best: dict[str, float] = dict.fromkeys(fast, 0.0)
    matches: dict[str, int] = dict.fromkeys(fast, 0)
    for round_number in range(rounds):
        copies = {name: fresh_copies(titles) for name in fast}
        for segment_number, offset in enumerate(range(0, len(titles), SEGMENT)):
            turn = segment_number % max(len(fast), 1)  # rotate the order so no method always runs first
            for name in fast[turn:] + fast[:turn]:
                segment = copies[name][offset : offset + SEGMENT]
                start = time.process_time()
                found = batches[name](segment)
                best[name] = max(best[name], len(segment) / (time.process_time() - start))
                if round_number == 0:
                    matches[name] += found
    for name in fast:
        results[name] = Result(best[name], matches[name], False)
    return {name: results[name] for name in batches}


E2E_POLICY = """policy bench_match "end-to-end matcher benchmark" {
  wordlist w {
    source "words.txt"
    match MODE
  }

  rule hit "title contains a listed word" on listing {
    severity warning
    when len(find(listing.title, w)) > 0
    message "listing {listing.id} title contains a listed word"
  }
}
"""


def end_to_end(words: list[str], titles: Sequence[str], rounds: int) -> dict[str, Result]:
    """titles/s through the engine: best full pass (process CPU time) of `rounds`, per match mode."""
    results: dict[str, Result] = {}
    for mode in E2E_MODES:
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, "words.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
            Path(tmp, "bench.rule").write_text(E2E_POLICY.replace("MODE", mode), encoding="utf-8")
            engine = rulekit.load(tmp)
        best, fired = 0.0, 0
        for _ in range(rounds):
            listings = [
                {"id": f"B{i:06d}", "shop_id": "S1", "title": title, "description": "", "category": "综合",
                 "price": 99, "images": [], "published_at": "2025-06-01T10:00:00+08:00"}
                for i, title in enumerate(fresh_copies(titles))
            ]
            start = time.process_time()
            reports = list(engine.evaluate_many(listings, kind="listing", now=NOW))
            best = max(best, len(listings) / (time.process_time() - start))
            fired = sum(1 for report in reports if report.violations)
        results[f"end to end: rulekit.load + evaluate_many, {mode}"] = Result(best, fired, False)
    return results


def versions() -> str:
    names = ("pyahocorasick", "ahocorasick_rs", "hyperscan", "regex")
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    return ", ".join(found)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--titles", type=int, default=100_000, help="number of titles (default 100,000)")
    parser.add_argument("--budget", type=float, default=4.0, help="seconds for one pass of a slow method")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved passes over all titles per fast method")
    parser.add_argument("--e2e-rounds", type=int, default=2, help="full end-to-end passes per mode (best counts)")
    parser.add_argument("--output", type=Path, default=RESULTS_FILE)
    parser.add_argument("--results-md", type=Path, default=RESULTS_MD,
                        help="also written as its `## Text matching` section (other sections kept)")
    args = parser.parse_args(argv)

    load_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    titles, source = load_titles(args.titles)
    average = sum(map(len, titles)) / len(titles)
    results: dict[str, dict[int, Result]] = {}
    fastest_raw: dict[int, float] = {}
    for size in SIZES:
        words = load_words(size, titles)
        batches = peers(words) | matchers(words)
        measured = measure_all(batches, titles, args.budget, args.rounds) | end_to_end(words, titles, args.e2e_rounds)
        for name, result in measured.items():
            results.setdefault(name, {})[size] = result
            print(f"{size:>6} entries  {name:<48} {result.rate:>12,.0f} titles/s", file=sys.stderr)
            if " raw" in name:
                fastest_raw[size] = max(fastest_raw.get(size, 0.0), result.rate)

    header = "| method | " + " | ".join(f"{size:,} entries: titles/s | ratio" for size in SIZES) + " |"
    load_end = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "# Wordlist matching: titles per second",
        "",
        f"{len(titles):,} titles ({source}, {average:.1f} code points on average); "
        f"entries: the {KEYWORDS_FILE.name} advertising-law words plus deterministic synthetic CJK words.",
        f"Python {platform.python_version()} on {platform.machine()}, {versions()}.",
        "Each rate is the best 10,000-title segment, timed in process CPU time, over interleaved passes on "
        "fresh string copies (fair on a shared machine); `~` marks a rate sampled on part of one pass (too slow for all titles). "
        "Ratio: to the fastest raw matcher at the same size. Matches: occurrences reported over all titles (what each method counts differs: "
        "the alternation reports one match per position, the loop one per word present; end to end: listings with a violation).",
        "End-to-end rows: the same titles as listing dicts (built before timing) through `rulekit.load(<temp dir: "
        "one wordlist of N entries, one rule `when len(find(listing.title, w)) > 0`>)` and "
        "`list(engine.evaluate_many(listings, kind=\"listing\", now=NOW))`: validation, plan, reports included; "
        "best of `--e2e-rounds` full passes in process CPU time (the machine may be shared).",
        f"Produced by `{' '.join(['python benchmarks/bench_matcher.py', *(sys.argv[1:] if argv is None else argv)])}`"
        + f"; {os.cpu_count()} CPUs, 1-minute load average {load_start:.1f} at the start and "
        f"{load_end:.1f} at the end"
        + (" (above the CPU count: other processes shared the machine)." if max(load_start, load_end) > (os.cpu_count() or 1)
           else "."),
        "",
        header,
        "|---|" + "---:|---:|" * len(SIZES),
    ]
    for name, by_size in results.items():
        cells = []
        for size in SIZES:
            rate, _, sampled = by_size[size]
            cells.append(f"{'~' if sampled else ''}{rate:,.0f} | {rate / fastest_raw[size]:.2f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("")
    raw_names = [name for name in results if " raw" in name]
    for mode in MODES:
        for automaton in AUTOMATA:
            name = f"WordlistMatcher.find {mode} ({automaton})"
            if name not in results:
                continue
            ratios = []
            for size in SIZES:
                rate = results[name][size].rate
                each = ", ".join(f"{rate / results[raw][size].rate:.2f}× {raw.split(' raw')[0]}" for raw in raw_names)
                ratios.append(f"{size:,} entries: {each}")
            lines.append(f"- {name} relative to raw: " + "; ".join(ratios))
    lines += ["", "| method | " + " | ".join(f"matches, {size:,} entries" for size in SIZES) + " |"]
    lines.append("|---|" + "---:|" * len(SIZES))
    for name, by_size in results.items():
        cells = [f"{by_size[size][1]:,}" if not by_size[size][2] else "(sampled)" for size in SIZES]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    table = "\n".join(lines) + "\n"
    print(table)
    args.output.write_text(table, encoding="utf-8")
    write_section(args.results_md, "Text matching", table)
    return 0


def write_section(path: Path, title: str, table: str) -> None:
    """Replace (or append) the `## title` section of `path`; other sections are left as they are."""
    body = table.split("\n", 1)[1].lstrip("\n") if table.startswith("# ") else table
    section = f"## {title}\n\n{body.rstrip()}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == f"## {title}"), None)
    if start is None:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        rest = "".join(lines[end:])
        text = "".join(lines[:start]) + section + ("\n" + rest if rest else "")
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
