"""The window-state snapshot format: versioned, tagged JSON (never pickle), written atomically."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from rulekit.values import MISSING

SNAPSHOT_FORMAT = "rulekit-window-state"
SNAPSHOT_VERSION = 3  # 3: a checksum over the document

RecordDecoder = Callable[[str, dict[str, Any]], Any]


def _digest(doc: dict[str, Any]) -> str:
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()


def write(path: Path, state: dict[str, Any]) -> None:
    """Write a snapshot document (the store's state) to `path` atomically: a temporary file, then a rename. The
    document ends with the SHA-256 of the rest (`checksum`), so a changed or cut file is refused on restore."""
    doc = {"format": SNAPSHOT_FORMAT, "version": SNAPSHOT_VERSION, **state}
    doc["checksum"] = _digest(doc)
    import tempfile  # only when writing
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read(path: Path) -> dict[str, Any]:
    """The snapshot document at `path`; ValueError when it is not one this version reads."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not a rulekit window-state snapshot ({e.msg})") from None
    except (UnicodeDecodeError, RecursionError):
        raise ValueError(f"{path}: not a rulekit window-state snapshot") from None
    if not isinstance(doc, dict) or doc.get("format") != SNAPSHOT_FORMAT:
        raise ValueError(f"{path}: not a rulekit window-state snapshot")
    if doc.get("version") != SNAPSHOT_VERSION:
        raise ValueError(
            f"{path}: window-state snapshot version {doc.get('version')}; this rulekit reads {SNAPSHOT_VERSION}"
        )
    checksum = doc.pop("checksum", None)
    if checksum != _digest(doc):
        raise ValueError(f"{path}: the window-state snapshot was changed or damaged (its checksum does not match);"
                         " restore from another snapshot or start without one")
    return doc




def encode_value(value: Any) -> Any:
    """A JSON-ready form of a window value; types JSON lacks are tagged objects (`{"$decimal": "1.50"}`)."""
    kind = type(value)
    if value is None or kind is str or kind is bool or kind is int:
        return value
    if kind is Decimal:
        return {"$decimal": str(value)}
    if kind is timedelta:
        return {"$timedelta": (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds}
    if kind is datetime:
        return {"$datetime": value.isoformat()}
    if kind is date:
        return {"$date": value.isoformat()}
    if kind is float:
        return {"$float": repr(value)}
    if kind is list:
        return [encode_value(v) for v in value]
    if kind is tuple:
        return {"$tuple": [encode_value(v) for v in value]}
    if kind is dict:
        return {"$dict": [[encode_value(k), encode_value(v)] for k, v in value.items()]}
    if value is MISSING:
        return {"$missing": True}
    dump = getattr(value, "model_dump", None)
    record_kind = getattr(value, "_kind", None)
    if dump is not None and isinstance(record_kind, str):  # a validated record (rulekit.records.RecordBase)
        return {"$record": [record_kind, encode_value(dump())]}
    raise TypeError(f"a window value of type {kind.__name__} cannot be written to a snapshot: {value!r}")


_DECODERS: dict[str, Any] = {
    "$decimal": Decimal,
    "$timedelta": lambda us: timedelta(microseconds=us),
    "$datetime": datetime.fromisoformat,
    "$date": date.fromisoformat,
    "$float": float,
    "$tuple": lambda items, rec: tuple(decode_value(v, rec) for v in items),
    "$dict": lambda pairs, rec: {decode_value(k, rec): decode_value(v, rec) for k, v in pairs},
    "$missing": lambda _: MISSING,
}


def decode_value(obj: Any, decode_record: RecordDecoder | None = None) -> Any:
    """The value `encode_value` wrote; `decode_record(kind, fields)` rebuilds records."""
    if isinstance(obj, list):
        return [decode_value(v, decode_record) for v in obj]
    if isinstance(obj, dict):
        if len(obj) == 1:
            ((tag, payload),) = obj.items()
            if tag == "$record":
                if decode_record is None:
                    raise ValueError("the snapshot holds records: restore it through a stream of its policies")
                return decode_record(payload[0], decode_value(payload[1], decode_record))
            decoder = _DECODERS.get(tag)
            if decoder is not None:
                return decoder(payload) if tag not in ("$tuple", "$dict") else decoder(payload, decode_record)
        raise ValueError(f"unknown tagged value in a window-state snapshot: {obj!r}")
    return obj
