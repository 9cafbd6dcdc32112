"""Reads input records for `rulekit lint` from JSON, JSON lines and CSV files or standard input.

The format is chosen by extension (case-insensitive): `.json` is one JSON object or an array of
objects; `.jsonl` and `.ndjson` are JSON lines; `.csv` is comma-separated with a header row; `.xlsx`
is a spreadsheet (`io.tables`). `-` (standard input) and any other extension are sniffed: when the
first non-blank character is `[` the input is one JSON array, otherwise it is read as JSON lines (so
a single-line `{...}` object works too). CSV and XLSX are never sniffed: they need their extension,
or `input_format` (`lint --input-format csv` for standard input).

Every input record yields exactly one `InputRecord`, in input order, including records that
cannot be read (`data` None, `error` saying where and why); nothing raises for bad content.
Decisions where the spec is silent:

- JSON is UTF-8 (RFC 8259); a leading BOM is accepted. CSV is UTF-8 unless `encoding` says otherwise. An undecodable byte makes an error record for its
  JSON line or CSV row (for a `.json` file or a sniffed JSON array: one error for the whole file).
- JSON numbers with a fraction or exponent become `Decimal` (money stays exact), integers stay
  `int`; `NaN` and `Infinity` are rejected as not JSON.
- JSON lines are streamed; blank lines (only spaces, tabs, CR) are skipped and are not records.
  A line that is not JSON, or JSON that is not an object, is an error record.
- A `.json` file (or a sniffed array) is read whole. If it is not valid JSON, it yields ONE error
  record (the records in it cannot be told apart). An empty file is such an error too. Array
  elements that are not objects are error records of their own, at the line where they start.
- CSV: the first non-blank row is the header (names stripped of surrounding spaces). Cells are
  strings, an empty cell is None, and `format` is "csv" so that `io.csvrows` types them by field. Blank rows and rows whose cells are all empty (spreadsheet padding) are skipped. A row
  with a different number of cells than the header is an error record. A header column with an
  empty name is ignored, but a row with a value in it is an error record. If the header names a
  column twice, every data row is an error record (the file cannot be read unambiguously).
- `read_records` opens the file when called, so a missing or unreadable file raises `OSError`
  right away; reading happens lazily as the iterator is consumed.
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import PurePath
from typing import IO, Any, TextIO

import msgspec

from rulekit import limits as _limits
from rulekit.io.record import InputRecord
from rulekit.io.tables import read_csv, read_xlsx

__all__ = ["INPUT_FORMATS", "STDIN_NAME", "InputRecord", "json_line_record", "read_records"]

STDIN_NAME = "<stdin>"
#: a typed decoder (`io.typedlines`): a JSON line's bytes to its validated record, to the dict the usual way reads
#: from it, or None (the usual way reads it)
Typed = Callable[[bytes], Any]
JSON_WHITESPACE = " \t\r\n"
BOM = "\ufeff"

_JSON_MESSAGES = {
    "Expecting value": "expected a value",
    "Extra data": "unexpected text after the JSON value",
    "Expecting ',' delimiter": "expected ',' between items",
    "Expecting ':' delimiter": "expected ':' after a key",
    "Expecting property name enclosed in double quotes": "expected a key in double quotes",
    "Unterminated string starting at": "string is not closed",
    "Invalid control character at": "raw control character inside a string",
    "Invalid \\escape": "invalid backslash escape",
    "Invalid \\uXXXX escape": "invalid \\u escape",
    "Illegal trailing comma before end of array": "trailing comma before ']'",
    "Illegal trailing comma before end of object": "trailing comma before '}'",
}


class _BadJSON(ValueError):
    """Raised from the decoder for `NaN` and `Infinity`, which JSON does not have."""


def _reject_constant(name: str) -> Any:
    raise _BadJSON(f"not valid JSON: {name} is not a JSON number")


#: (the limits in force, the longest number text without an exponent that cannot break them): a number of n
#: characters has at most n digits and a magnitude of at most 10^n
_SHORT: list[Any] = [None, 0]


def _parse_decimal(text: str) -> Decimal:
    limits = _limits.active()
    if limits is not _SHORT[0]:
        _SHORT[:] = [limits, min(30, limits.number_digits, limits.number_exponent)]
    if len(text) <= _SHORT[1] and "e" not in text and "E" not in text:
        return Decimal(text)  # the usual money amount: nothing to check
    value = Decimal(text)
    sign, digits, exponent = value.as_tuple()
    if len(digits) > _limits.active().number_digits:
        raise _BadJSON(f"a number with {len(digits):,} digits; at most {_limits.active().number_digits} (limit `number-digits`)")
    magnitude = value.adjusted() if isinstance(exponent, int) else 0
    if abs(magnitude) > _limits.active().number_exponent:
        raise _BadJSON(f"a number of magnitude 10^{magnitude:,}; at most 10^{_limits.active().number_exponent} "
                       "(limit `number-exponent`)")
    return value


#: Integers are Python's (it refuses more than 4,300 digits; `_json_line_record` says so); decimals are checked
#: against the limits, cheaply when they are short and have no exponent.
_DECODER = json.JSONDecoder(parse_float=_parse_decimal, parse_constant=_reject_constant)
#: msgspec reads the same JSON into the same values three times as fast (exact decimals through the same hook,
#: integers of any size). Any line it refuses is read again by the standard decoder, whose error is reported, so
#: the messages stay the same; lines of 4,300 characters or more go to the standard decoder, which alone applies
#: Python's bound on integer digits.
_FAST_DECODER = msgspec.json.Decoder(float_hook=_parse_decimal)


def _decode_json(text: str) -> Any:
    if len(text) < 4300:
        try:
            return _FAST_DECODER.decode(text)
        except Exception:  # noqa: BLE001 - the standard decoder says what is wrong
            pass
    return _DECODER.decode(text)

_TOO_MANY_DIGITS = "Exceeds the limit"

_BIG_INT = "an integer with more than 4,300 digits (Python's bound on reading integers)"
_SURROGATE = re.compile("[\ud800-\udfff]")


def _lone_surrogate(value: Any, path: str = "") -> str | None:
    """The path of a string holding a lone surrogate (`"\\ud800"`: JSON, but no Unicode character), else None."""
    if isinstance(value, str):
        return path or "the value" if _SURROGATE.search(value) else None
    if isinstance(value, dict):
        for k, v in value.items():
            found = _lone_surrogate(k, path) or _lone_surrogate(v, f"{path}.{k}" if path else str(k))
            if found:
                return found
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found = _lone_surrogate(v, f"{path}[{i}]")
            if found:
                return found
    return None


def _checked(value: Any, text: str) -> str | None:
    """Why a decoded record cannot be used although it is JSON, or None."""
    if "\\u" in text:  # only `\\u` escapes can decode to lone surrogates: nothing to walk without one
        where = _lone_surrogate(value)
        if where is not None:
            return f"`{_shown_path(where)}` holds a lone surrogate escape such as \\ud800, which is no Unicode character"
    return None


def _shown_path(path: str) -> str:
    return _SURROGATE.sub("\ufffd", path)


#: `input_format` values: by extension (None or "auto"), or one format for every file and standard input
INPUT_FORMATS = ("auto", "json", "jsonl", "csv", "xlsx")
_SUFFIX_FORMAT = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}


def input_format_of(path: str, input_format: str | None = None) -> str | None:
    """The format a file is read in (None: sniffed), from `input_format` or its extension."""
    if input_format not in (None, "auto"):
        return input_format
    return None if path == "-" else _SUFFIX_FORMAT.get(PurePath(path).suffix.lower())


def read_records(path: str, stdin: TextIO | None = None, *, encoding: str = "utf-8", input_format: str | None = None,
                 sheet: str | None = None, keep_raw: bool = True, typed: Typed | None = None
                 ) -> Iterator[InputRecord]:
    """The records of `path` (`-` reads `stdin`, default `sys.stdin`), one per input record, in order.

    `encoding` applies to CSV; `input_format` overrides the extension (and sniffing of standard input);
    `sheet` names the sheet of an XLSX workbook (default: the first). Without `keep_raw` a JSON line's record need
    not hold its text (`InputRecord.raw`, which `--fix` and SARIF columns read): the usual line is then never
    decoded to text at all. `typed` (`io.typedlines`) decodes the usual JSON line straight into its validated
    record where it can (`InputRecord.data` is then that record, not a dict)."""
    fmt = input_format_of(path, input_format)
    if path == "-":
        stream: IO[Any] = stdin if stdin is not None else sys.stdin
        binary = getattr(stream, "buffer", None)  # decode ourselves: BOM and bad bytes are handled
        source = binary if binary is not None else stream
        if fmt == "csv":
            return read_csv(STDIN_NAME, _bytes_of(source), encoding)
        if fmt == "xlsx":
            return read_xlsx(STDIN_NAME, io.BytesIO(_bytes_of(source).read()), sheet)
        if fmt == "json":
            return _json_document(STDIN_NAME, source.read())
        if fmt == "jsonl":
            return _read_json_lines(STDIN_NAME, source, 1, keep_raw, typed)
        return _read_sniffed(STDIN_NAME, source, close=False, owner=stream, keep_raw=keep_raw, typed=typed)
    if fmt == "xlsx":
        open(path, "rb").close()  # a missing or unreadable file raises OSError now, as for the other formats
        return read_xlsx(path, path, sheet)
    handle = open(path, "rb")  # closed by the generator that reads it
    if fmt == "json":
        return _read_json_file(path, handle)
    if fmt == "jsonl":
        return _closing(handle, _read_json_lines(path, handle, 1, keep_raw, typed))
    if fmt == "csv":
        return read_csv(path, handle, encoding)
    return _read_sniffed(path, handle, close=True, keep_raw=keep_raw, typed=typed)


def _bytes_of(stream: IO[Any]) -> IO[bytes]:
    """A binary stream of standard input (a text stream given in tests is encoded back to UTF-8)."""
    if isinstance(stream, io.TextIOBase) or hasattr(stream, "encoding"):
        return io.BytesIO(stream.read().encode("utf-8"))
    return stream


# --- helpers ---------------------------------------------------------------------------------


def _closing(handle: IO[Any], records: Iterator[InputRecord]) -> Iterator[InputRecord]:
    try:
        yield from records
    finally:
        handle.close()


def _json_problem(e: json.JSONDecodeError) -> str:
    words = _JSON_MESSAGES.get(e.msg, e.msg)
    return f"not valid JSON: {words} (column {e.colno})"


def _type_name(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return "a number"


def _utf8_problem(raw: bytes, e: UnicodeDecodeError, line: int) -> str:
    line_start = raw.rfind(b"\n", 0, e.start) + 1
    column = len(raw[line_start : e.start].decode("utf-8", errors="replace")) + 1
    return f"not valid UTF-8: byte 0x{raw[e.start]:02x} (column {column})"


def _decode_line(raw: bytes | str, line: int, first: bool) -> str:
    """The text of one line without its BOM; raises ValueError with a ready message for bad bytes."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ValueError(_utf8_problem(raw, e, line)) from None
    else:
        text = raw
    if first and text.startswith(BOM):
        text = text[1:]
    return text


# --- JSON lines ------------------------------------------------------------------------------


def usual_json_line(raw: bytes, number: int, most: int) -> bool:
    """Whether line `number` (its bytes `raw`) may be read in one step (see `_read_json_lines`): a JSON object's
    line, not the first (whose BOM is dropped), without a `\\u` escape (which may hide a lone surrogate), shorter than
    Python's bound on integer digits and at most `most` bytes (the limit `record-bytes`)."""
    # `find` of one byte is a memchr, a quarter of the cost of looking for two bytes; most lines hold no backslash
    return number != 1 and raw[:1] == b"{" and len(raw) < 4300 and len(raw) <= most and (
        raw.find(b"\\") < 0 or b"\\u" not in raw)


def _read_json_lines(source: str, lines: Iterable[bytes | str], first_line: int, keep_raw: bool = True,
                     typed: Typed | None = None) -> Iterator[InputRecord]:
    fast = _FAST_DECODER.decode
    most = _limits.active().record_bytes
    for number, raw in enumerate(lines, start=first_line):
        # The usual line, in one step: UTF-8 bytes of a JSON object msgspec reads, within the limits, not the first
        # line (whose BOM is dropped), without a `\\u` escape (which may hide a lone surrogate). msgspec reads the
        # bytes themselves (given the text it would encode it again) and refuses any that are not UTF-8, so the text
        # is decoded only when the record keeps it. Any other line takes the steps below, which say what is wrong
        # with it; a line they accept gives the same record either way. With `typed` (a kind's typed decoder), such
        # a line is decoded straight into its validated record where the decoder can: the same record.
        if raw.__class__ is bytes and usual_json_line(raw, number, most):
            value = typed(raw) if typed is not None else None
            if value is None:
                try:
                    value = fast(raw)
                except Exception:  # noqa: BLE001 - the steps below say what is wrong
                    pass
                if value.__class__ is not dict:
                    value = None
            if value is not None:
                yield InputRecord(source, number, value, None, "json",
                                  raw.decode("utf-8").rstrip("\r\n") if keep_raw else None)
                continue
        try:
            text = _decode_line(raw, number, number == 1)
        except ValueError as e:
            yield InputRecord(source, number, None, str(e), "json")
            continue
        if text[:1] != "{" and not text.strip(JSON_WHITESPACE):  # a record's line starts with `{`: not blank
            continue
        yield _json_line_record(source, number, text)


def read_json_lines(source: str, lines: Iterable[bytes | str], first_line: int = 1, *, keep_raw: bool = True,
                    typed: Typed | None = None) -> Iterator[InputRecord]:
    """The records of JSON lines, the first of them line `first_line` of `source` (a BOM is dropped only there);
    `keep_raw` and `typed` as for `read_records`."""
    return _read_json_lines(source, lines, first_line, keep_raw, typed)


def json_line_record(source: str, number: int, text: str) -> InputRecord:
    """The record of one JSON line (line `number` of `source`), or an error record saying why it cannot be read."""
    return _json_line_record(source, number, text)


def _json_line_record(source: str, number: int, text: str) -> InputRecord:
    if len(text) > _limits.active().record_bytes // 4 and \
            len(text.encode("utf-8", "surrogatepass")) > _limits.active().record_bytes:
        return InputRecord(source, number, None, f"the line has {len(text.encode('utf-8', 'surrogatepass')):,} bytes;"
                           f" at most {_limits.active().record_bytes:,} (limit `record-bytes`)", "json")
    try:
        value = _decode_json(text)
    except json.JSONDecodeError as e:
        return InputRecord(source, number, None, f"not valid JSON: "
                           f"{_JSON_MESSAGES.get(e.msg, e.msg)} (column {e.colno})", "json")
    except _BadJSON as e:
        return InputRecord(source, number, None, str(e), "json")
    except RecursionError:
        return InputRecord(source, number, None, "nested too deeply to read", "json")
    except ValueError as e:  # Python's own bound on integer digits
        if _TOO_MANY_DIGITS not in str(e):
            raise
        return InputRecord(source, number, None, _BIG_INT, "json")
    if not isinstance(value, dict):
        return InputRecord(source, number, None, f"expected a JSON object, got {_type_name(value)}", "json")
    problem = _checked(value, text)
    if problem is not None:
        return InputRecord(source, number, None, problem, "json")
    return InputRecord(source, number, value, None, "json", text.rstrip("\r\n"))


# --- whole JSON documents --------------------------------------------------------------------


def _read_json_file(source: str, handle: IO[bytes]) -> Iterator[InputRecord]:
    with handle:
        raw = handle.read(_limits.active().document_bytes + 1)
    if len(raw) > _limits.active().document_bytes:
        yield InputRecord(source, 1, None, f"the file is larger than {_limits.active().document_bytes:,} bytes (limit "
                          "`document-bytes`); a file that large is better as JSON lines, which are streamed", "json")
        return
    yield from _json_document(source, raw)


def _json_document(source: str, raw: bytes | str) -> Iterator[InputRecord]:
    """Records of one JSON document: an object, or an array whose elements are records."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            line = raw.count(b"\n", 0, e.start) + 1
            yield InputRecord(source, line, None, _utf8_problem(raw, e, line), "json")
            return
    else:
        text = raw
    if text.startswith(BOM):
        text = text[1:]
    try:
        elements = _scan_document(text)
    except json.JSONDecodeError as e:
        yield InputRecord(source, e.lineno, None, _json_problem(e), "json")
        return
    except _ElementError as e:
        yield InputRecord(source, e.line, None, e.problem, "json")
        return
    if elements is None:
        line = text.count("\n") + 1
        yield InputRecord(source, line, None, "empty file: expected a JSON object or an array of objects", "json")
        return
    is_array, items = elements
    line, last = 1, 0
    for index, (start, value) in enumerate(items, start=1):
        line += text.count("\n", last, start)
        last = start
        if isinstance(value, dict):
            problem = _checked(value, text)
            yield InputRecord(source, line, None if problem else value, problem, "json")
        elif is_array:
            yield InputRecord(source, line, None, f"array element {index} is {_type_name(value)}, not an object", "json")
        else:
            yield InputRecord(source, line, None,
                              f"the file holds {_type_name(value)}, not an object or an array of objects", "json")


class _ElementError(Exception):
    """A value the decoder refused (`NaN`, too deep) at a known line."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line = line
        self.problem = problem


def _skip_ws(text: str, pos: int) -> int:
    end = len(text)
    while pos < end and text[pos] in JSON_WHITESPACE:
        pos += 1
    return pos


def _decode_at(text: str, pos: int) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, pos)
    except _BadJSON as e:
        raise _ElementError(text.count("\n", 0, pos) + 1, str(e)) from None
    except RecursionError:
        raise _ElementError(text.count("\n", 0, pos) + 1, "nested too deeply to read") from None
    except ValueError as e:
        if _TOO_MANY_DIGITS not in str(e):
            raise
        raise _ElementError(text.count("\n", 0, pos) + 1, _BIG_INT) from None


def _scan_document(text: str) -> tuple[bool, list[tuple[int, Any]]] | None:
    """(is_array, [(start offset, value)]) for the document, None when it is empty; raises JSONDecodeError."""
    pos = _skip_ws(text, 0)
    if pos == len(text):
        return None
    items: list[tuple[int, Any]] = []
    if text[pos] != "[":
        value, end = _decode_at(text, pos)
        items.append((pos, value))
    else:
        end = _skip_ws(text, pos + 1)
        if end < len(text) and text[end] == "]":
            end += 1
        else:
            while True:
                start = end
                value, end = _decode_at(text, start)
                items.append((start, value))
                end = _skip_ws(text, end)
                if end < len(text) and text[end] == ",":
                    end = _skip_ws(text, end + 1)
                    continue
                if end < len(text) and text[end] == "]":
                    end += 1
                    break
                raise json.JSONDecodeError("Expecting ',' delimiter", text, end)
    end = _skip_ws(text, end)
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return text[pos] == "[", items


# --- sniffed input (stdin, unknown extensions) -------------------------------------------------


def _read_sniffed(source: str, stream: IO[Any], close: bool, owner: object = None, keep_raw: bool = True,
                  typed: Typed | None = None) -> Iterator[InputRecord]:
    """`[` as the first non-blank character: one JSON array; anything else: JSON lines.

    `owner` is the text stream around a binary `stream`, held so that it is not collected (and
    does not close `stream`) while reading.
    """
    try:
        head: list[bytes | str] = []
        first_char = ""
        for raw in stream:
            head.append(raw)
            chunk = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
            if len(head) == 1 and chunk.startswith(BOM):
                chunk = chunk[1:]
            chunk = chunk.lstrip(JSON_WHITESPACE)
            if chunk:
                first_char = chunk[0]
                break
        if first_char == "[":
            rest = stream.read()
            empty = b"" if isinstance(rest, bytes) else ""
            yield from _json_document(source, empty.join([*head, rest]))  # type: ignore[list-item]
        else:
            yield from _read_json_lines(source, _chain(head, stream), 1, keep_raw, typed)
    finally:
        if close:
            stream.close()


def _chain(head: list[bytes | str], rest: Iterable[bytes | str]) -> Iterator[bytes | str]:
    yield from head
    yield from rest
