"""Reads tables for `rulekit lint`: CSV in UTF-8 or GB18030 (or detected), and XLSX sheets, one record per row.

Decisions where the spec is silent (CSV rules are in `io.readers`):

- `--encoding utf-8` (the default) accepts a BOM; `gb18030` reads what Excel saves as "CSV" on a Chinese system
  (GBK is a subset); `auto` decides on the first 64 KiB: UTF-8 when it decodes as UTF-8, else the guess of
  charset-normalizer (a GB family guess reads as GB18030). A byte the encoding cannot decode makes its row an error.
- XLSX (python-calamine): the first sheet, or `sheet`. The first non-empty row is the header. Cells become the text
  a CSV cell would hold: numbers in their shortest exact form (`12.5`, `3`), dates and times in ISO form without
  offset, booleans `true`/`false`. A number of 2^53 or more is refused as an error of its row: a spreadsheet keeps
  15 significant digits, so an id stored as a number has already lost its last digits (exports keep ids as text).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import IO, Any

from rulekit.io.record import InputRecord

ENCODINGS = ("utf-8", "gb18030", "auto")
_SAMPLE = 65536
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
_EXACT_FLOAT = 2**53


def detect_encoding(sample: bytes) -> str:
    """`utf-8` or `gb18030` (or another codec charset-normalizer is sure of) for the first bytes of a file."""
    try:
        sample.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as e:
        if e.start >= len(sample) - 3 and e.reason.startswith("unexpected end"):
            return "utf-8-sig"  # a character cut by the sample's end
    from charset_normalizer import from_bytes  # only for input that is not UTF-8

    best = from_bytes(sample).best()
    name = (best.encoding if best is not None else "gb18030").lower().replace("_", "")
    if name in ("gbk", "gb2312", "cp936", "hz", "gb18030") or best is None:
        return "gb18030"
    return best.encoding


def read_csv(source: str, handle: IO[bytes], encoding: str = "utf-8") -> Iterator[InputRecord]:
    """The records of a CSV file, one per data row (see `io.readers` for header and row rules)."""
    if encoding == "auto":
        head = handle.read(_SAMPLE)
        codec = detect_encoding(head)
        raw: IO[bytes] = _Prefixed(head, handle)
    else:
        codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
        raw = handle
    # surrogateescape keeps reading past a bad byte; the row holding it becomes an error record
    text = io.TextIOWrapper(raw, encoding=codec, errors="surrogateescape", newline="")  # type: ignore[arg-type]
    label = "UTF-8" if codec.startswith("utf-8") else codec.upper()
    with text:
        reader = csv.reader(text)
        yield from _rows(source, _csv_lines(source, reader), label)


class _Prefixed(io.RawIOBase):
    """A byte stream that gives `head` first, then the rest of `tail` (the sample `auto` read to decide)."""

    def __init__(self, head: bytes, tail: IO[bytes]):
        self._head, self._tail = head, tail

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self._head:
            n = min(len(b), len(self._head))
            b[:n], self._head = self._head[:n], self._head[n:]
            return n
        data = self._tail.read(len(b))
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._tail.close()
        super().close()


def _csv_lines(source: str, reader: Any) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """(first line, cells, None) per CSV row, or (line, None, problem) for a row the csv module refuses."""
    end = 0  # physical lines read so far
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            if reader.line_num == end:  # no progress: give up rather than loop
                return
            end = reader.line_num
            yield start, None, f"not valid CSV: {e}"
            continue
        end = reader.line_num
        yield start, row, None


def read_xlsx(source: str, data: Any, sheet: str | None = None) -> Iterator[InputRecord]:
    """The records of one sheet of an XLSX workbook (`data`: a path or a binary file), one per data row."""
    from python_calamine import CalamineWorkbook  # only for spreadsheets

    try:
        book = CalamineWorkbook.from_path(data) if isinstance(data, str) else CalamineWorkbook.from_filelike(data)
        names = book.sheet_names
        if sheet is not None and sheet not in names:
            yield InputRecord(source, 1, None, f"the workbook has no sheet `{sheet}` (sheets: {', '.join(names)})", "csv")
            return
        table = (book.get_sheet_by_name(sheet) if sheet is not None else book.get_sheet_by_index(0)).to_python()
    except Exception as e:  # calamine raises its own error types for files that are not workbooks
        yield InputRecord(source, 1, None, f"not a readable XLSX workbook: {str(e) or type(e).__name__}", "csv")
        return
    yield from _rows(source, _sheet_lines(table), "UTF-8", sheet=True)


def _sheet_lines(table: list[list[Any]]) -> Iterator[tuple[int, list[str] | None, str | None]]:
    for number, cells in enumerate(table, start=1):
        out: list[str] = []
        problem = None
        for column, value in enumerate(cells):
            text, problem = _cell_text(value, number, column)
            if problem is not None:
                break
            out.append(text)
        yield (number, None, problem) if problem is not None else (number, out, None)


def _column_name(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _cell_text(value: Any, row: int, column: int) -> tuple[str, str | None]:
    if value is None or value == "":
        return "", None
    if isinstance(value, bool):
        return ("true" if value else "false"), None
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return "", f"cell {_column_name(column)}{row} holds no number"
        if value.is_integer():
            if abs(value) >= _EXACT_FLOAT:
                return "", (f"cell {_column_name(column)}{row} holds the number {value:.15g}, which a spreadsheet keeps "
                            "to 15 digits only: an id stored as a number has lost its last digits; export ids as text")
            return str(int(value)), None
        return repr(value), None
    if isinstance(value, int):
        return str(value), None
    if isinstance(value, datetime):
        return value.isoformat(), None
    if isinstance(value, (date, time)):
        return value.isoformat(), None
    if isinstance(value, timedelta):
        return str(value), None
    return str(value), None


def _rows(source: str, lines: Iterator[tuple[int, list[str] | None, str | None]], label: str,
          sheet: bool = False) -> Iterator[InputRecord]:
    header: list[str] | None = None
    header_problem: str | None = None
    for start, row, problem in lines:
        if row is None:
            yield InputRecord(source, start, None, problem, "csv")
            continue
        if not any(row):
            continue
        bad = None if _ESCAPED_BYTE.search("".join(row)) is None else \
            next(i for i, cell in enumerate(row) if _ESCAPED_BYTE.search(cell))
        if bad is not None:
            byte = ord(_ESCAPED_BYTE.search(row[bad]).group()) - 0xDC00  # type: ignore[union-attr]
            message = f"not valid {label}: byte 0x{byte:02x} in cell {bad + 1}"
            if header is None:
                header, header_problem = [], f"the header (line {start}) is not valid {label}"
            else:
                yield InputRecord(source, start, None, message, "csv")
            continue
        if header is None:
            header = [name.strip().lstrip("\ufeff") for name in row]
            header_problem = _header_problem(header, start)
            continue
        if header_problem is not None:
            yield InputRecord(source, start, None, header_problem, "csv")
            continue
        yield _csv_record(source, start, header, row, sheet)


def _header_problem(header: list[str], line: int) -> str | None:
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            return f"the header (line {line}) names column \"{name}\" twice"
        seen.add(name)
    return None


def _csv_record(source: str, line: int, header: list[str], row: list[str], sheet: bool) -> InputRecord:
    if len(row) != len(header):
        if sheet and len(row) > len(header) and not any(row[len(header):]):
            row = row[: len(header)]  # a sheet's used range is wider than its header: empty cells
        elif sheet and len(row) < len(header):
            row = row + [""] * (len(header) - len(row))  # a sheet's short row: its last cells are empty
        else:
            cells = "cell" if len(row) == 1 else "cells"
            return InputRecord(source, line, None, f"row has {len(row)} {cells}, the header has {len(header)}", "csv")
    data: dict[str, Any] = {}
    for index, (name, cell) in enumerate(zip(header, row, strict=True)):
        if not name:
            if cell:
                return InputRecord(source, line, None,
                                   f"cell {index + 1} has a value but its column has no name in the header", "csv")
            continue
        data[name] = cell if cell != "" else None
    return InputRecord(source, line, data, None, "csv")
