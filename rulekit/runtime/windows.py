"""Window state for stateful aggregates: count, sum and distinct by key within a duration (LANGUAGE §4.4)."""

from __future__ import annotations

import heapq
import itertools
import json
import os
import tempfile
from abc import ABC, abstractmethod
from bisect import bisect_right, insort
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_EVEN, Context, Decimal, DecimalException, Inexact, InvalidOperation
from pathlib import Path
from typing import Any

from rulekit.values import DECIMAL_CONTEXT, MISSING

__all__ = ["FUNCS", "SNAPSHOT_FORMAT", "SNAPSHOT_VERSION", "MemoryWindowStore", "WindowSpec", "WindowStore"]

#: The aggregate functions a window can serve (LANGUAGE §4.4).
FUNCS = frozenset({"count", "sum", "distinct"})

SNAPSHOT_FORMAT = "rulekit-window-state"
SNAPSHOT_VERSION = 1

#: Below every real event time: nothing has been evicted yet.
_NEVER = -(1 << 63)

#: Running sums of decimals are kept exact (this many digits, far beyond the language's 28) and rounded once,
#: on the way out, to the language's context (LANGUAGE §9). A sum that would need more digits is not kept
#: incrementally: that key falls back to summing its window on each query.
_EXACT = Context(
    prec=200,
    rounding=ROUND_HALF_EVEN,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    traps=[InvalidOperation, Inexact],
)

#: Value types whose running sum stays exact under `+` and `-` (Decimal through `_EXACT`).
_EXACT_TYPES = frozenset({int, bool, Decimal, timedelta})


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """One windowed aggregate of a stream: `func` over the subjects of the last `within` microseconds, by key."""

    id: str
    func: str  # "count" | "sum" | "distinct"
    within: int  # microseconds

    def __post_init__(self) -> None:
        if self.func not in FUNCS:
            raise ValueError(f"window {self.id!r}: unknown aggregate {self.func!r} (expected count, sum or distinct)")
        if type(self.within) is not int or self.within <= 0:
            raise ValueError(f"window {self.id!r}: `within` must be a positive int of microseconds, got {self.within!r}")


class WindowStore(ABC):
    """The window state of one stream: subjects added by key and event time, aggregates over `(t - within, t]`.

    Times are ints, microseconds since the Unix epoch. Subjects may be added out of order; queries stay exact
    for every `t` at or after the last watermark passed to `advance`. A shared store (Redis, later) implements
    this same interface so the engine does not change.
    """

    @abstractmethod
    def register(self, spec: WindowSpec) -> None:
        """Declare a window. Registering the same spec again is a no-op; a different spec under one id is an error."""

    @abstractmethod
    def add(self, window_id: str, key: tuple, t: int, value: Any = None) -> None:
        """Add a subject: `value` is the summed value, the distinct value, None (count), or a projection."""

    @abstractmethod
    def count(self, window_id: str, key: tuple, t: int) -> int:
        """Number of entries with `t - within < t_e <= t`."""

    @abstractmethod
    def sum(self, window_id: str, key: tuple, t: int, zero: Any) -> Any:
        """Sum of the values in the window; `zero` when it is empty."""

    @abstractmethod
    def distinct(self, window_id: str, key: tuple, t: int) -> int:
        """Number of distinct values (by equality) in the window."""

    @abstractmethod
    def values(self, window_id: str, key: tuple, t: int) -> list[Any]:
        """The values in the window, in event-time order (ties in the order they were added)."""

    @abstractmethod
    def advance(self, watermark: int) -> None:
        """No query will come before `watermark` again: evict every entry with `t_e <= watermark - within`."""

    @abstractmethod
    def key_count(self) -> int:
        """Number of (window, key) states held now."""

    @abstractmethod
    def entry_count(self) -> int:
        """Number of entries held now, over all windows."""

    @abstractmethod
    def snapshot(self, path: Path) -> None:
        """Write the whole state to `path` (versioned, tagged JSON; never pickle)."""

    @classmethod
    @abstractmethod
    def restore(cls, path: Path) -> WindowStore:
        """A store holding the state written by `snapshot`."""

    def add_count(self, window_id: str, key: tuple, t: int) -> int:
        """`add(window_id, key, t)` then `count(window_id, key, t)`: the common `count(...) >= n` case in one call."""
        self.add(window_id, key, t)
        return self.count(window_id, key, t)


# ---- per-key state ------------------------------------------------------------------------------------------


class _Series:
    """The entries of one key of a window that keeps values: times and values in event-time order, plus aggregates."""

    __slots__ = ("times", "values", "total", "exact", "counts")

    def __init__(self) -> None:
        self.times: deque[int] = deque()
        self.values: deque[Any] = deque()
        #: Running sum of `values` (sum windows), exact; None while empty or when `exact` is False.
        self.total: Any = None
        #: False once the running sum cannot be kept exactly (floats, huge decimals): sums are then recomputed.
        self.exact = True
        #: Multiplicity of each value (distinct windows), else None.
        self.counts: dict[Any, int] | None = None


def _add(a: Any, b: Any) -> Any:
    if type(a) is Decimal or type(b) is Decimal:
        return _EXACT.add(a, b)
    return a + b


def _sub(a: Any, b: Any) -> Any:
    if type(a) is Decimal or type(b) is Decimal:
        return _EXACT.subtract(a, b)
    return a - b


def _rounded(total: Any) -> Any:
    """A running sum as the language sees it: decimals rounded once to 28 significant digits."""
    return DECIMAL_CONTEXT.plus(total) if type(total) is Decimal else total


def _sum_of(values: list[Any]) -> Any:
    """Sum of a non-empty list: exact, rounded once; a left fold in the language's context past 200 digits."""
    try:
        total = values[0]
        for v in itertools.islice(values, 1, None):
            total = _add(total, v)
        return _rounded(total)
    except DecimalException:
        total = values[0]
        for v in itertools.islice(values, 1, None):
            total = DECIMAL_CONTEXT.add(total, v) if type(total) is Decimal or type(v) is Decimal else total + v
        return total


def _freeze(value: Any) -> Any:
    """A hashable stand-in for an unhashable value (lists, dicts, sets), equal exactly when the values are."""
    if isinstance(value, list):
        return ("$list", tuple(_freeze(v) for v in value))
    if isinstance(value, tuple):
        return ("$tuple", tuple(_freeze(v) for v in value))
    if isinstance(value, dict):
        return ("$dict", frozenset((_freeze(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, set | frozenset):
        return ("$set", frozenset(_freeze(v) for v in value))
    return value


def _count_in(counts: dict[Any, int], value: Any) -> None:
    try:
        counts[value] = counts.get(value, 0) + 1
    except TypeError:
        value = _freeze(value)
        counts[value] = counts.get(value, 0) + 1


def _uncount(counts: dict[Any, int], value: Any) -> None:
    try:
        n = counts[value] - 1
    except TypeError:
        value = _freeze(value)
        n = counts[value] - 1
    if n:
        counts[value] = n
    else:
        del counts[value]


def _distinct_of(values: Iterable[Any]) -> int:
    seen: set[Any] = set()
    for v in values:
        try:
            seen.add(v)
        except TypeError:
            seen.add(_freeze(v))
    return len(seen)


def _range(times: deque[int], t: int, lo: int) -> tuple[int, int]:
    """Indexes `[i, j)` of the entries with `lo < t_e <= t` in a sorted deque of times."""
    i = bisect_right(times, lo) if times[0] <= lo else 0
    j = len(times) if t >= times[-1] else bisect_right(times, t)
    return i, j


# ---- windows ------------------------------------------------------------------------------------------------


class _Window:
    """The state of one registered window: per-key entries plus the expiry queue shared by its keys.

    Each entry leaves a reminder `(t, key)` in the expiry queue. Reminders that arrive in time order go to a
    deque (the fast, usual case); stragglers go to a heap. `evict` pops the reminders at or before the cutoff
    and trims those keys by time, so memory follows the keys active inside the window, never the stream length,
    and no step scans all keys.
    """

    __slots__ = ("spec", "within", "keys", "cutoff", "exp_t", "exp_k", "exp_last", "late", "seq", "registry")

    def __init__(self, spec: WindowSpec, registry: dict[str, _Window]) -> None:
        self.spec = spec
        self.within = spec.within
        self.keys: dict[tuple, Any] = {}
        #: Entries with `t_e <= cutoff` have been evicted (and are dropped on arrival).
        self.cutoff = _NEVER
        self.exp_t: deque[int] = deque()
        self.exp_k: deque[tuple] = deque()
        self.exp_last = _NEVER
        self.late: list[tuple[int, int, tuple]] = []
        self.seq = itertools.count()
        self.registry = registry

    def _remind(self, key: tuple, t: int) -> None:
        if t >= self.exp_last:
            self.exp_t.append(t)
            self.exp_k.append(key)
            self.exp_last = t
        else:
            heapq.heappush(self.late, (t, next(self.seq), key))

    def evict(self, cutoff: int) -> None:
        self.cutoff = cutoff
        exp_t = self.exp_t
        if exp_t and exp_t[0] <= cutoff:
            exp_k = self.exp_k
            trim = self.trim
            while exp_t and exp_t[0] <= cutoff:
                exp_t.popleft()
                trim(exp_k.popleft(), cutoff)
        late = self.late
        while late and late[0][0] <= cutoff:
            self.trim(heapq.heappop(late)[2], cutoff)

    # Implemented per layout.
    def trim(self, key: tuple, cutoff: int) -> None:
        raise NotImplementedError

    def add(self, key: tuple, t: int, value: Any) -> None:
        raise NotImplementedError

    def count(self, key: tuple, t: int) -> int:
        raise NotImplementedError

    def sum(self, key: tuple, t: int, zero: Any) -> Any:
        raise NotImplementedError

    def distinct(self, key: tuple, t: int) -> int:
        raise NotImplementedError

    def values(self, key: tuple, t: int) -> list[Any]:
        raise NotImplementedError

    def entry_count(self) -> int:
        raise NotImplementedError

    def entries(self) -> Iterator[tuple[tuple, list[int], list[Any] | None]]:
        raise NotImplementedError

    def load(self, key: tuple, times: list[int], values: list[Any] | None) -> None:
        raise NotImplementedError


class _TimesWindow(_Window):
    """A count window whose subjects carry no value: each key holds a deque of times only (the hot path)."""

    __slots__ = ()

    def add(self, key: tuple, t: int, value: Any) -> None:
        if value is not None:
            self.keeping_values().add(key, t, value)
            return
        if t <= self.cutoff:
            return  # already past every window that could still be asked for
        dq = self.keys.get(key)
        if dq is None:
            self.keys[key] = deque((t,))
        elif t >= dq[-1]:
            dq.append(t)
        else:
            insort(dq, t)
        if t >= self.exp_last:
            self.exp_t.append(t)
            self.exp_k.append(key)
            self.exp_last = t
        else:
            heapq.heappush(self.late, (t, next(self.seq), key))

    def keeping_values(self) -> _SeriesWindow:
        """This window, turned into one that keeps values (the engine filters it with `where` at query time)."""
        new = _SeriesWindow(self.spec, self.registry)
        for name in ("cutoff", "exp_t", "exp_k", "exp_last", "late", "seq"):
            setattr(new, name, getattr(self, name))
        for key, dq in self.keys.items():
            s = _Series()
            s.times = dq
            s.values = deque(itertools.repeat(None, len(dq)))
            new.keys[key] = s
        self.registry[self.spec.id] = new
        return new

    def trim(self, key: tuple, cutoff: int) -> None:
        dq = self.keys.get(key)
        if dq is not None:
            while dq and dq[0] <= cutoff:
                dq.popleft()
            if not dq:
                del self.keys[key]

    def evict(self, cutoff: int) -> None:
        # `_Window.evict` with the trim inlined: this runs once per subject.
        self.cutoff = cutoff
        exp_t = self.exp_t
        if exp_t and exp_t[0] <= cutoff:
            exp_k = self.exp_k
            keys = self.keys
            while exp_t and exp_t[0] <= cutoff:
                exp_t.popleft()
                key = exp_k.popleft()
                dq = keys.get(key)
                if dq is not None:
                    while dq and dq[0] <= cutoff:
                        dq.popleft()
                    if not dq:
                        del keys[key]
        late = self.late
        while late and late[0][0] <= cutoff:
            self.trim(heapq.heappop(late)[2], cutoff)

    def count(self, key: tuple, t: int) -> int:
        dq = self.keys.get(key)
        if dq is None:
            return 0
        lo = t - self.within
        if t >= dq[-1] and dq[0] > lo:
            return len(dq)
        i, j = _range(dq, t, lo)
        return j - i if j > i else 0

    def sum(self, key: tuple, t: int, zero: Any) -> Any:
        raise TypeError(f"window {self.spec.id!r} holds no values to sum")

    def distinct(self, key: tuple, t: int) -> int:
        raise TypeError(f"window {self.spec.id!r} holds no values to count distinct")

    def values(self, key: tuple, t: int) -> list[Any]:
        return [None] * self.count(key, t)

    def entry_count(self) -> int:
        return sum(map(len, self.keys.values()))

    def entries(self) -> Iterator[tuple[tuple, list[int], list[Any] | None]]:
        for key, dq in self.keys.items():
            yield key, list(dq), None

    def load(self, key: tuple, times: list[int], values: list[Any] | None) -> None:
        self.keys[key] = deque(times)


class _SeriesWindow(_Window):
    """A window whose entries carry values: sum, distinct, and count filtered at query time."""

    __slots__ = ()

    def add(self, key: tuple, t: int, value: Any) -> None:
        if t <= self.cutoff:
            return
        s = self.keys.get(key)
        if s is None:
            s = self.keys[key] = _Series()
            if self.spec.func == "distinct":
                s.counts = {}
        times = s.times
        if not times or t >= times[-1]:
            times.append(t)
            s.values.append(value)
        else:
            i = bisect_right(times, t)
            times.insert(i, t)
            s.values.insert(i, value)
        func = self.spec.func
        if func == "sum":
            if s.exact:
                if type(value) not in _EXACT_TYPES:
                    s.exact = False
                    s.total = None
                elif s.total is None:
                    s.total = value
                else:
                    try:
                        s.total = _add(s.total, value)
                    except (TypeError, DecimalException):
                        s.exact = False
                        s.total = None
        elif func == "distinct":
            _count_in(s.counts, value)  # type: ignore[arg-type]
        if t >= self.exp_last:
            self.exp_t.append(t)
            self.exp_k.append(key)
            self.exp_last = t
        else:
            heapq.heappush(self.late, (t, next(self.seq), key))

    def trim(self, key: tuple, cutoff: int) -> None:
        s = self.keys.get(key)
        if s is None:
            return
        times = s.times
        values = s.values
        counts = s.counts
        while times and times[0] <= cutoff:
            times.popleft()
            value = values.popleft()
            if s.total is not None:
                try:
                    s.total = _sub(s.total, value)
                except (TypeError, DecimalException):
                    s.exact = False
                    s.total = None
            if counts is not None:
                _uncount(counts, value)
        if not times:
            del self.keys[key]

    def count(self, key: tuple, t: int) -> int:
        s = self.keys.get(key)
        if s is None:
            return 0
        times = s.times
        lo = t - self.within
        if t >= times[-1] and times[0] > lo:
            return len(times)
        i, j = _range(times, t, lo)
        return j - i if j > i else 0

    def sum(self, key: tuple, t: int, zero: Any) -> Any:
        s = self.keys.get(key)
        if s is None:
            return zero
        times = s.times
        lo = t - self.within
        whole = t >= times[-1]
        if whole and times[0] > lo and s.total is not None:
            return _rounded(s.total)
        i, j = _range(times, t, lo)
        if j <= i:
            return zero
        if whole and s.total is not None and i < j - i:
            # Fewer entries before the window than in it: take them off the running sum.
            try:
                total = s.total
                for v in itertools.islice(s.values, 0, i):
                    total = _sub(total, v)
                return _rounded(total)
            except DecimalException:
                pass
        return _sum_of(list(itertools.islice(s.values, i, j)))

    def distinct(self, key: tuple, t: int) -> int:
        s = self.keys.get(key)
        if s is None:
            return 0
        times = s.times
        lo = t - self.within
        if s.counts is not None and t >= times[-1] and times[0] > lo:
            return len(s.counts)
        i, j = _range(times, t, lo)
        return _distinct_of(itertools.islice(s.values, i, j)) if j > i else 0

    def values(self, key: tuple, t: int) -> list[Any]:
        s = self.keys.get(key)
        if s is None:
            return []
        times = s.times
        lo = t - self.within
        if t >= times[-1] and times[0] > lo:
            return list(s.values)
        i, j = _range(times, t, lo)
        return list(itertools.islice(s.values, i, j)) if j > i else []

    def entry_count(self) -> int:
        return sum(len(s.times) for s in self.keys.values())

    def entries(self) -> Iterator[tuple[tuple, list[int], list[Any] | None]]:
        for key, s in self.keys.items():
            yield key, list(s.times), list(s.values)

    def load(self, key: tuple, times: list[int], values: list[Any] | None) -> None:
        if values is None:
            values = [None] * len(times)
        for t, value in zip(times, values, strict=True):
            self.add(key, t, value)


def _new_window(spec: WindowSpec, registry: dict[str, _Window]) -> _Window:
    return _TimesWindow(spec, registry) if spec.func == "count" else _SeriesWindow(spec, registry)


# ---- the in-memory store ------------------------------------------------------------------------------------


class MemoryWindowStore(WindowStore):
    """The default window store: everything in this process's memory.

    In-order subjects cost a deque append and, later, one popleft; `count` is O(1) when the query time is the
    key's latest, and `sum` and `distinct` are O(1) amortized from a running sum and a value multiset.
    Stragglers are inserted in place (bisect) and their expiry goes through a heap.
    """

    def __init__(self) -> None:
        self._windows: dict[str, _Window] = {}
        #: The last watermark passed to `advance` (None before the first call); kept in snapshots.
        self.watermark: int | None = None

    def _window(self, window_id: str) -> _Window:
        try:
            return self._windows[window_id]
        except KeyError:
            raise KeyError(f"window {window_id!r} is not registered") from None

    def specs(self) -> list[WindowSpec]:
        """The registered windows, in registration order."""
        return [w.spec for w in self._windows.values()]

    def register(self, spec: WindowSpec) -> None:
        known = self._windows.get(spec.id)
        if known is not None:
            if known.spec != spec:
                raise ValueError(f"window {spec.id!r} is already registered as {known.spec}, not {spec}")
            return
        window = _new_window(spec, self._windows)
        if self.watermark is not None:
            window.cutoff = self.watermark - spec.within
        self._windows[spec.id] = window

    def add(self, window_id: str, key: tuple, t: int, value: Any = None) -> None:
        try:
            window = self._windows[window_id]
        except KeyError:
            window = self._window(window_id)
        window.add(key, t, value)

    def add_count(self, window_id: str, key: tuple, t: int) -> int:
        try:
            window = self._windows[window_id]
        except KeyError:
            window = self._window(window_id)
        window.add(key, t, None)
        return window.count(key, t)

    def count(self, window_id: str, key: tuple, t: int) -> int:
        try:
            window = self._windows[window_id]
        except KeyError:
            window = self._window(window_id)
        return window.count(key, t)

    def sum(self, window_id: str, key: tuple, t: int, zero: Any) -> Any:
        return self._window(window_id).sum(key, t, zero)

    def distinct(self, window_id: str, key: tuple, t: int) -> int:
        return self._window(window_id).distinct(key, t)

    def values(self, window_id: str, key: tuple, t: int) -> list[Any]:
        return self._window(window_id).values(key, t)

    def advance(self, watermark: int) -> None:
        self.watermark = watermark
        for window in self._windows.values():
            cutoff = watermark - window.within
            if cutoff > window.cutoff:
                window.evict(cutoff)

    def key_count(self) -> int:
        return sum(len(w.keys) for w in self._windows.values())

    def entry_count(self) -> int:
        return sum(w.entry_count() for w in self._windows.values())

    # ---- snapshots ----------------------------------------------------------------------------------------

    def snapshot(self, path: Path) -> None:
        """Write the state as versioned, tagged JSON, atomically (a temporary file, then a rename)."""
        windows = []
        for w in self._windows.values():
            keys = []
            for key, times, values in w.entries():
                row: list[Any] = [[encode_value(k) for k in key], times]
                if values is not None:
                    row.append([encode_value(v) for v in values])
                keys.append(row)
            windows.append(
                {
                    "id": w.spec.id,
                    "func": w.spec.func,
                    "within": w.spec.within,
                    "cutoff": None if w.cutoff == _NEVER else w.cutoff,
                    "values": isinstance(w, _SeriesWindow),
                    "keys": keys,
                }
            )
        doc = {"format": SNAPSHOT_FORMAT, "version": SNAPSHOT_VERSION, "watermark": self.watermark, "windows": windows}
        path = Path(path)
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

    @classmethod
    def restore(cls, path: Path) -> MemoryWindowStore:
        """A store holding the state of a snapshot; ValueError when the file is not one this version reads."""
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        if not isinstance(doc, dict) or doc.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"{path}: not a rulekit window-state snapshot")
        if doc.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"{path}: window-state snapshot version {doc.get('version')!r}; this rulekit reads {SNAPSHOT_VERSION}")
        store = cls()
        for wd in doc["windows"]:
            spec = WindowSpec(wd["id"], wd["func"], wd["within"])
            store.register(spec)
            window = store._windows[spec.id]
            if wd["values"] and isinstance(window, _TimesWindow):
                window = window.keeping_values()
            reminders: list[tuple[int, tuple]] = []
            for row in wd["keys"]:
                key = tuple(decode_value(k) for k in row[0])
                times = row[1]
                values = [decode_value(v) for v in row[2]] if len(row) > 2 else None
                window.load(key, times, values)
                reminders.extend((t, key) for t in times)
            # Rebuild the expiry queue in time order: after a restore every reminder is on the fast path.
            reminders.sort(key=lambda r: r[0])
            window.exp_t = deque(r[0] for r in reminders)
            window.exp_k = deque(r[1] for r in reminders)
            window.exp_last = reminders[-1][0] if reminders else _NEVER
            window.late = []
            window.cutoff = _NEVER if wd["cutoff"] is None else wd["cutoff"]
        store.watermark = doc.get("watermark")
        return store


# ---- tagged JSON values -------------------------------------------------------------------------------------


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
    raise TypeError(f"a window value of type {kind.__name__} cannot be written to a snapshot: {value!r}")


_DECODERS: dict[str, Any] = {
    "$decimal": Decimal,
    "$timedelta": lambda us: timedelta(microseconds=us),
    "$datetime": datetime.fromisoformat,
    "$date": date.fromisoformat,
    "$float": float,
    "$tuple": lambda items: tuple(decode_value(v) for v in items),
    "$dict": lambda pairs: {decode_value(k): decode_value(v) for k, v in pairs},
    "$missing": lambda _: MISSING,
}


def decode_value(obj: Any) -> Any:
    """The value `encode_value` wrote."""
    if isinstance(obj, list):
        return [decode_value(v) for v in obj]
    if isinstance(obj, dict):
        if len(obj) == 1:
            (tag, payload), = obj.items()
            decoder = _DECODERS.get(tag)
            if decoder is not None:
                return decoder(payload)
        raise ValueError(f"unknown tagged value in a window-state snapshot: {obj!r}")
    return obj
