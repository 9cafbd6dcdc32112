"""Types CSV rows by their record type (LANGUAGE §9): empty cells, required strings, fields CSV cannot hold."""

from __future__ import annotations

from typing import Any

from rulekit.records.registry import RecordType


def typed_row(rt: RecordType, cells: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """The record of a CSV row: an empty cell is null for an optional field and `""` for a required string;
    the other cells stay strings for the validator to convert. A list or nested record that the row
    would have to give makes the row an error (CSV cannot hold them)."""
    data = dict(cells)
    for f in rt.fields.values():
        t = f.type
        if t.optional:
            continue
        if t.kind in ("list", "record") and data.get(f.name) in (None, ""):
            what = "list" if t.kind == "list" else "nested record"
            return None, (f"{rt.name} records cannot come from CSV: `{f.name}` is a {what}; "
                          "give them as JSON or JSON lines")
        if t.kind == "string" and f.name in data and data[f.name] is None:
            data[f.name] = ""
    return data, None
