"""One input record of `rulekit lint`: where it came from, and its data or why it could not be read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True, unsafe_hash=True)
class InputRecord:
    """One input record: where it came from, and its data or why it could not be read. Treat it as read-only: it
    is not frozen because a frozen dataclass takes 2.3 µs to build (a setattr call per field), a quarter of
    reading a JSON line."""

    source: str  # file path as given, or "<stdin>"
    line: int  # 1-based line where the record starts
    #: the parsed record (a dict, or the validated record where a typed reader built it); None when unreadable
    data: dict[str, Any] | Any | None
    error: str | None  # "not valid JSON: ... (column 17)" when unreadable (the location is `source`, `line`)
    format: str  # "json", or "csv": values are cell strings (empty cell -> None), typed by `io.csvrows`
    raw: str | None = None  # a JSON line as it was read (without its line break), for `lint --fix`
    record_id: str | None = None  # the id of a record an adapter could not build, for its error report
