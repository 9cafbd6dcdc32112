"""The in-memory window store: every window's state in this process, snapshots to versioned JSON."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from rulekit.runtime.windows import snapshot as codec
from rulekit.runtime.windows.layouts import NEVER, Window, layout
from rulekit.runtime.windows.store import WindowHandle, WindowSpec, WindowStore


def _whole(value: Any) -> int:
    """A time of the snapshot: an int (ValueError otherwise; `bool` is not one)."""
    if type(value) is not int:
        raise ValueError(f"a time that is not whole microseconds: {type(value).__name__}")
    return value


class MemoryWindowStore(WindowStore):
    """The default window store: everything in this process's memory.

    In-order subjects cost a deque append and, later, one popleft; `count` is O(1) when the query time is the
    key's latest, and `sum` and `distinct` are O(1) amortized from a running sum and a value multiset.
    Stragglers are inserted in place (bisect) and their expiry goes through a heap.
    """

    def __init__(self) -> None:
        self._windows: dict[str, Window] = {}
        self._all: tuple[Window, ...] = ()
        self._by_kind: dict[str, tuple[Window, ...]] = {}
        #: The last watermark passed to `advance` (None before the first call); kept in snapshots.
        self.watermark: int | None = None
        #: The last watermark of each record type (`advance(w, kind=...)`); kept in snapshots.
        self.watermarks: dict[str, int] = {}
        #: What the stream saved beside the state (`snapshot(path, meta)`), as restored.
        self.meta: dict[str, Any] = {}

    def _window(self, window_id: str) -> Window:
        try:
            return self._windows[window_id]
        except KeyError:
            raise KeyError(f"window {window_id!r} is not registered") from None

    def specs(self) -> list[WindowSpec]:
        """The registered windows, in registration order."""
        return [w.spec for w in self._all]

    def register(self, spec: WindowSpec) -> None:
        known = self._windows.get(spec.id)
        if known is not None:
            if known.spec != spec:
                raise ValueError(f"window {spec.id!r} is already registered as {known.spec}, not {spec}")
            return
        window = layout(spec)
        mark = self.watermarks.get(spec.kind, self.watermark if not spec.kind else None)
        if mark is not None:
            window.cutoff = mark - spec.within
        self._windows[spec.id] = window
        self._all = tuple(self._windows.values())
        self._by_kind = {k: tuple(w for w in self._all if w.spec.kind == k) for k in {w.spec.kind for w in self._all}}

    def window(self, window_id: str) -> WindowHandle:
        return self._window(window_id)  # a window is its own handle

    def spec(self, window_id: str) -> WindowSpec:
        return self._window(window_id).spec

    def add(self, window_id: str, key: Hashable, t: int, value: Any = None) -> None:
        window = self._window(window_id)
        window.add(key, t, value)

    def count(self, window_id: str, key: Hashable, t: int) -> int:
        window = self._window(window_id)
        return window.count(key, t)

    def sum(self, window_id: str, key: Hashable, t: int, zero: Any) -> Any:
        return self._window(window_id).sum(key, t, zero)

    def distinct(self, window_id: str, key: Hashable, t: int) -> int:
        return self._window(window_id).distinct(key, t)

    def values(self, window_id: str, key: Hashable, t: int) -> list[Any]:
        return self._window(window_id).values(key, t)

    def advance(self, watermark: int, kind: str | None = None) -> None:
        self.watermark = watermark
        if kind is None:
            for window in self._all:
                window.advance(watermark)
            return
        self.watermarks[kind] = watermark
        for window in self._by_kind.get(kind, ()):
            window.advance(watermark)

    def advancer(self, kind: str) -> Callable[[int], None]:
        windows = tuple(w.advance for w in self._by_kind.get(kind, ()))
        marks = self.watermarks
        store = self

        def advance(watermark: int) -> None:
            store.watermark = watermark
            marks[kind] = watermark
            for adv in windows:
                adv(watermark)

        if len(windows) != 1:
            return advance
        only = windows[0]

        def advance_one(watermark: int) -> None:
            store.watermark = watermark
            marks[kind] = watermark
            only(watermark)

        return advance_one

    def key_count(self) -> int:
        return sum(len(w.keys) for w in self._all)

    def entry_count(self) -> int:
        return sum(w.entry_count() for w in self._all)

    # ---- snapshots ----------------------------------------------------------------------------------------

    def snapshot(self, path: Path, meta: dict[str, Any] | None = None) -> None:
        """Write the state as versioned, tagged JSON, atomically (a temporary file, then a rename)."""
        windows = []
        for w in self._all:
            keys = []
            for key, times, vals in w.entries():
                row: list[Any] = [codec.encode_value(key), times]
                if vals is not None:
                    row.append([codec.encode_value(v) for v in vals])
                keys.append(row)
            s = w.spec
            windows.append({"id": s.id, "func": s.func, "within": s.within, "kind": s.kind,
                            "values": s.keeps_values, "cutoff": None if w.cutoff == NEVER else w.cutoff,
                            "keys": keys})
        codec.write(Path(path), {"watermark": self.watermark, "watermarks": self.watermarks,
                                 "meta": meta or {}, "windows": windows})

    @classmethod
    def restore(cls, path: Path, decode_record: Callable[[str, dict[str, Any]], Any] | None = None) -> MemoryWindowStore:
        """A store holding the state of a snapshot; ValueError when the file is not one this version reads.

        `decode_record(kind, fields)` rebuilds record values held in projections (nested records, lists of them).
        """
        doc = codec.read(Path(path))
        store = cls()
        try:
            for wd in doc["windows"]:
                spec = WindowSpec(wd["id"], wd["func"], wd["within"], wd.get("kind", ""), bool(wd["values"]))
                store.register(spec)
                window = store._windows[spec.id]
                reminders: list[tuple[int, Hashable]] = []
                for row in wd["keys"]:
                    key = codec.decode_value(row[0], decode_record)
                    times = row[1]
                    vals = [codec.decode_value(v, decode_record) for v in row[2]] if len(row) > 2 else None
                    window.load(key, times, vals)
                    reminders.extend((t, key) for t in times)
                # One reminder per entry, rebuilt in time order: after a restore every entry is on the fast path.
                reminders.sort(key=lambda r: r[0])
                window.exp_t = deque(r[0] for r in reminders)
                window.exp_k = deque(r[1] for r in reminders)
                window.late = []
                window.cutoff = NEVER if wd["cutoff"] is None else _whole(wd["cutoff"])
            store.watermark = None if doc.get("watermark") is None else _whole(doc["watermark"])
            store.watermarks = {str(k): _whole(v) for k, v in (doc.get("watermarks") or {}).items()}
            store.meta = dict(doc.get("meta") or {})
        except (KeyError, TypeError, IndexError, AttributeError, ArithmeticError, ValueError) as e:
            raise ValueError(f"{path}: a damaged window-state snapshot ({type(e).__name__}: {e})") from None
        return store
