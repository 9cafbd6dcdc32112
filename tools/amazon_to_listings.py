"""Converts the English Amazon product listings to rulekit listings (JSON Lines), one listing per row.

    python tools/amazon_to_listings.py [--data AMAZON_CSV] [--out listings.jsonl]

Input: ../shared/data/listings_en/Amazon.csv relative to the repository root (1,363 software/hardware
listings from the Leipzig Abt-Buy/Amazon-GoogleProducts entity-resolution benchmark; see its SOURCE.txt:
research/test use only). Quirks, each handled here and nowhere else:
- there is NO header row: the columns are id, title, description, manufacturer, price;
- the encoding is cp1252, not UTF-8 (bytes cp1252 leaves undefined are read as latin-1);
- quoted CSV; descriptions may be empty (kept as "");
- `price` is a decimal number of US dollars; a price that does not parse, or is 0 (the data uses 0 for
  "unknown"), becomes 1, since a listing price must be positive for the pricing rules; the number of
  such rows is reported on stderr.

Output: one `listing` a line, in file order: `id` the Amazon id (e.g. `b000jz4hqo`), `shop_id` from the
manufacturer (`S-<manufacturer>` or `S-unknown`), `title`, `description`, `category` "software"
(not a medical category), `price`, `images` [], `published_at` 2025-06-01T10:00:00+08:00.
Exits 2 with a message on stderr when the CSV is absent.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "listings_en" / "Amazon.csv"
PUBLISHED_AT = "2025-06-01T10:00:00+08:00"
COLUMNS = ("id", "title", "description", "manufacturer", "price")


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:  # a byte cp1252 leaves undefined (0x81, 0x8d, ...)
        return "".join(chr(b) if b in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([b]).decode("cp1252") for b in raw)


def _price(text: str) -> int | float | None:
    try:
        value = Decimal(text.strip().lstrip("$").replace(",", ""))
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def convert(path: Path) -> tuple[list[dict[str, Any]], int]:
    """(listings, number of rows whose price was unparseable or 0 and became 1)."""
    listings: list[dict[str, Any]] = []
    defaulted = 0
    for row in csv.reader(io.StringIO(_decode(path.read_bytes()), newline="")):
        if not row:
            continue
        record = dict(zip(COLUMNS, row + [""] * (len(COLUMNS) - len(row)), strict=False))
        price = _price(record["price"])
        if price is None:
            defaulted += 1
            price = 1
        manufacturer = record["manufacturer"].strip()
        listings.append({
            "id": record["id"].strip(), "shop_id": f"S-{manufacturer}" if manufacturer else "S-unknown",
            "title": record["title"].strip(), "description": record["description"].strip(),
            "category": "software", "price": price, "images": [], "published_at": PUBLISHED_AT,
        })
    return listings, defaulted


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"Amazon.csv (default {DEFAULT_DATA})")
    parser.add_argument("--out", type=Path, help="output JSONL (default stdout)")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        sys.stderr.write(f"amazon_to_listings: {args.data} not found (expected the shared data set "
                         "../shared/data/listings_en/Amazon.csv next to the repository; pass --data)\n")
        return 2
    listings, defaulted = convert(args.data)
    text = "".join(json.dumps(listing, ensure_ascii=False) + "\n" for listing in listings)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    sys.stderr.write(f"amazon_to_listings: {len(listings):,} listings; {defaulted:,} with an unparseable or 0 price "
                     "set to 1\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
