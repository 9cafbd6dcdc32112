"""Reads wordlist source files: one `word[<TAB>category[<TAB>replacement]]` entry a line."""

from __future__ import annotations

from pathlib import Path

from rulekit.runtime.matcher import Entry, match_key

__all__ = ["parse_wordlist", "read_wordlist_file"]

_BOM = "\ufeff"


def read_wordlist_file(path: Path, *, mode: str | None = None) -> tuple[list[Entry], list[tuple[int, str]]]:
    """The entries of a wordlist file and `(line_number, problem)` for its bad lines (E007).

    Lines count from 1. With `mode`, an entry that becomes empty in that match mode is a problem too.
    Raises `OSError` when the file cannot be read; bytes that are not UTF-8 are a problem of their line.
    """
    return parse_wordlist(Path(path).read_bytes(), mode=mode)


def parse_wordlist(data: bytes | str, *, mode: str | None = None) -> tuple[list[Entry], list[tuple[int, str]]]:
    """Parse the contents of a wordlist file; see `read_wordlist_file`.

    Format: UTF-8 (a BOM is skipped); lines end with LF or CRLF; blank lines are skipped, and so are
    lines whose first character is `#` (a `#` anywhere else is part of the entry); columns are
    separated by tabs, and spaces around a column are trimmed; an empty category or replacement
    column is None; more than three columns, or an empty word, is a problem.
    """
    if mode is not None:
        match_key("", mode)  # validates the mode up front
    lines = data.split(b"\n") if isinstance(data, bytes) else data.split("\n")
    entries: list[Entry] = []
    problems: list[tuple[int, str]] = []
    for number, raw in enumerate(lines, start=1):
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                problems.append((number, f"not valid UTF-8 (byte {error.start + 1} of the line)"))
                continue
        else:
            line = raw
        if number == 1 and line.startswith(_BOM):
            line = line[1:]
        if line.endswith("\r"):
            line = line[:-1]
        if not line.strip() or line.startswith("#"):
            continue
        columns = [column.strip() for column in line.split("\t")]
        if len(columns) > 3:
            problems.append(
                (number, f"{len(columns)} tab-separated columns; at most 3 are allowed (word, category, replacement)")
            )
            continue
        word = columns[0]
        if not word:
            problems.append((number, "empty word (the line starts with a tab)"))
            continue
        if mode is not None and not match_key(word, mode):
            if mode == "evasive":
                problems.append(
                    (number, f"entry {word!r} has no letter or digit; evasive matching ignores everything else")
                )
            else:
                problems.append((number, f"entry {word!r} is empty after {mode} normalization"))
            continue
        category = columns[1] or None if len(columns) > 1 else None
        replacement = columns[2] or None if len(columns) > 2 else None
        entries.append(Entry(word, category, replacement))
    return entries, problems
