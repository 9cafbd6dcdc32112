"""The user cache (Lark's parser tables, parsed policy files): keyed by content and version, checked on every read."""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

#: Set to a directory to cache there; set `RULEKIT_NO_CACHE=1` to read and write no cache at all.
ENV_DIR = "RULEKIT_CACHE_DIR"
ENV_OFF = "RULEKIT_NO_CACHE"

_MAGIC = b"rulekit-cache-1\n"


@lru_cache(maxsize=1)
def cache_dir() -> Path | None:
    """`$RULEKIT_CACHE_DIR`, else the user cache directory (platformdirs: ~/.cache/rulekit on Linux), one folder per
    rulekit version; None when caching is off or the directory cannot be made."""
    if os.environ.get(ENV_OFF):
        return None
    from rulekit.version import __version__
    base = os.environ.get(ENV_DIR)
    if not base:
        import platformdirs
        base = platformdirs.user_cache_dir("rulekit", appauthor=False)
    path = Path(base) / __version__
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK) else None


def key_of(*parts: str | bytes) -> str:
    """A cache key: the SHA-256 of the parts (each length-prefixed, so no two lists of parts collide)."""
    h = hashlib.sha256()
    for p in parts:
        b = p.encode("utf-8", "surrogatepass") if isinstance(p, str) else p
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()


def load(kind: str, key: str) -> Any | None:
    """The value stored under `key`, or None: absent, unreadable, written for another key or corrupt — a cache file
    is used only when its header repeats the key it was read for, and anything that fails to load is dropped."""
    d = cache_dir()
    if d is None:
        return None
    path = d / kind / f"{key}.pickle"
    try:
        data = path.read_bytes()
    except OSError:
        return None
    header = _MAGIC + key.encode("ascii") + b"\n"
    if not data.startswith(header):
        _drop(path)
        return None
    try:
        return pickle.loads(data[len(header):])  # noqa: S301 - the user's own cache directory, checked above
    except Exception:  # noqa: BLE001 - a corrupt or foreign file is rebuilt, never trusted
        _drop(path)
        return None


def store(kind: str, key: str, value: Any) -> None:
    """Write `value` under `key` atomically (a temporary file renamed into place); failures are ignored."""
    d = cache_dir()
    if d is None:
        return
    folder = d / kind
    try:
        folder.mkdir(exist_ok=True)
        data = _MAGIC + key.encode("ascii") + b"\n" + pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    except (OSError, pickle.PicklingError, RecursionError, TypeError, AttributeError):
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, folder / f"{key}.pickle")
    except OSError:
        _drop(Path(tmp))


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The version, and the size and modification time of the front end's sources and grammar: a parse cached by
    another build of rulekit (an upgrade, or an edited checkout) is never read."""
    from rulekit.resources import grammar_path
    from rulekit.version import __version__
    here = Path(__file__).resolve().parent
    files = sorted((here / "syntax").glob("*.py")) + [here / "diagnostics.py", grammar_path()]
    parts = [__version__]
    for f in files:
        try:
            st = f.stat()
            parts.append(f"{f.name}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{f.name}:?")
    return key_of(*parts)


def lark_cache_file(grammar: str) -> str | None:
    """Where Lark keeps its LALR tables for this grammar (Lark itself checks the grammar's hash on load)."""
    d = cache_dir()
    return None if d is None else str(d / f"lark-{key_of(grammar)[:16]}.pickle")


def _drop(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
