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
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_EVEN, Context, Decimal, DecimalException, Inexact, InvalidOperation
from pathlib import Path
from typing import Any, Protocol

from rulekit.values import DECIMAL_CONTEXT, MISSING

__all__ = [
    "FUNCS",
    "SNAPSHOT_FORMAT",
    "SNAPSHOT_VERSION",
    "BoundWindow",
    "MemoryWindowStore",
    "WindowHandle",
    "WindowSpec",
    "WindowStore",
    "decode_value",
    "encode_value",
]

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
            raise ValueError(
                f"window {self.id!r}: `within` must be a positive int of microseconds, got {self.within!r}"
            )


class WindowHandle(Protocol):
    """One registered window of a store, bound once (at compile time) so per-subject calls skip the id lookup."""

    def add(self, key: Hashable, t: int, value: Any = None) -> None: ...
    def count(self, key: Hashable, t: int) -> int: ...
    def add_count(self, key: Hashable, t: int) -> int: ...
    def sum(self, key: Hashable, t: int, zero: Any) -> Any: ...
    def distinct(self, key: Hashable, t: int) -> int: ...
    def values(self, key: Hashable, t: int) -> list[Any]: ...
    def add_many(
        self,
        keys: Sequence[Hashable],
        times: Sequence[int],
        values: Sequence[Any] | None = None,
        zero: Any = 0,
        lateness: int = 0,
    ) -> list[Any]: ...


class WindowStore(ABC):
    """The window state of one stream: subjects added by key and event time, aggregates over `(t - within, t]`.

    Times are ints, microseconds since the Unix epoch. Keys are tuples of key values (any hashable works).
    Subjects may be added out of order; every query at a `t` not before the last watermark passed to `advance`
    is exact. A shared store (Redis, later) implements the abstract methods; the concrete ones (`window`,
    `add_count`, `add_many`) have working defaults built on them and are there to be overridden for speed.
    """

    @abstractmethod
    def register(self, spec: WindowSpec) -> None:
        """Declare a window. Registering the same spec again is a no-op; a different spec under one id is an error."""

    @abstractmethod
    def spec(self, window_id: str) -> WindowSpec:
        """The spec a window was registered with; KeyError when it was not."""

    @abstractmethod
    def add(self, window_id: str, key: Hashable, t: int, value: Any = None) -> None:
        """Add a subject: `value` is the summed value, the distinct value, None (count), or a projection."""

    @abstractmethod
    def count(self, window_id: str, key: Hashable, t: int) -> int:
        """Number of entries with `t - within < t_e <= t`."""

    @abstractmethod
    def sum(self, window_id: str, key: Hashable, t: int, zero: Any) -> Any:
        """Sum of the values in the window; `zero` when it is empty."""

    @abstractmethod
    def distinct(self, window_id: str, key: Hashable, t: int) -> int:
        """Number of distinct values (by equality) in the window."""

    @abstractmethod
    def values(self, window_id: str, key: Hashable, t: int) -> list[Any]:
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

    def window(self, window_id: str) -> WindowHandle:
        """A handle on one registered window, for the engine to bind once and call per subject."""
        return BoundWindow(self, window_id)

    def add_count(self, window_id: str, key: Hashable, t: int) -> int:
        """`add(window_id, key, t)` then `count(window_id, key, t)`: the common `count(...) >= n` case in one call."""
        self.add(window_id, key, t)
        return self.count(window_id, key, t)

    def add_many(
        self,
        window_id: str,
        keys: Sequence[Hashable],
        times: Sequence[int],
        values: Sequence[Any] | None = None,
        zero: Any = 0,
        lateness: int = 0,
    ) -> list[Any]:
        """Add subjects in stream order; for each, the window's aggregate (its spec's `func`) right after it was added.

        The same answers as `add` then `count`/`sum`/`distinct` per subject. Window state does not depend on rule
        outcomes, so an engine can feed a chunk of valid subjects in one call (one round trip for a shared store).
        An implementation may evict this window between subjects as `advance(max time so far - lateness)` would;
        the engine still calls `advance` afterwards.
        """
        func = self.spec(window_id).func
        out: list[Any] = []
        for i, (key, t) in enumerate(zip(keys, times, strict=True)):
            self.add(window_id, key, t, None if values is None else values[i])
            if func == "count":
                out.append(self.count(window_id, key, t))
            elif func == "sum":
                out.append(self.sum(window_id, key, t, zero))
            else:
                out.append(self.distinct(window_id, key, t))
        return out


class BoundWindow:
    """The default `WindowHandle`: forwards to the store's methods with the window id filled in."""

    __slots__ = ("store", "window_id")

    def __init__(self, store: WindowStore, window_id: str) -> None:
        self.store = store
        self.window_id = window_id

    def add(self, key: Hashable, t: int, value: Any = None) -> None:
        self.store.add(self.window_id, key, t, value)

    def count(self, key: Hashable, t: int) -> int:
        return self.store.count(self.window_id, key, t)

    def add_count(self, key: Hashable, t: int) -> int:
        return self.store.add_count(self.window_id, key, t)

    def sum(self, key: Hashable, t: int, zero: Any) -> Any:
        return self.store.sum(self.window_id, key, t, zero)

    def distinct(self, key: Hashable, t: int) -> int:
        return self.store.distinct(self.window_id, key, t)

    def values(self, key: Hashable, t: int) -> list[Any]:
        return self.store.values(self.window_id, key, t)

    def add_many(
        self,
        keys: Sequence[Hashable],
        times: Sequence[int],
        values: Sequence[Any] | None = None,
        zero: Any = 0,
        lateness: int = 0,
    ) -> list[Any]:
        return self.store.add_many(self.window_id, keys, times, values, zero, lateness)


# ---- value helpers ------------------------------------------------------------------------------------------


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
    """Sum of a non-empty list: exact and rounded once; past 200 digits, a left fold in the language's context."""
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


def _span(times: deque[int], t: int, lo: int) -> tuple[int, int]:
    """Indexes `[i, j)` of the entries with `lo < t_e <= t` in a sorted deque of times (`i >= j`: none)."""
    i = bisect_right(times, lo) if times[0] <= lo else 0
    j = len(times) if t >= times[-1] else bisect_right(times, t)
    return i, j


# ---- windows ------------------------------------------------------------------------------------------------
#
# Every entry leaves one reminder `(t, key)` in its window's expiry queue: a deque while reminders arrive in
# time order (the usual case), a heap for stragglers. `advance` pops the reminders at or before the cutoff and,
# for each, drops the oldest entry of that key. Entries leave only this way, so reminders and entries match one
# to one: when every reminder at or before the cutoff has been popped, exactly the entries at or before it are
# gone, whatever order the stragglers came in. Memory follows the keys active inside the window, never the
# stream length, and no step scans all keys.


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


class _Window:
    """The state of one registered window: per-key entries and the expiry queue. Also its `WindowHandle`."""

    __slots__ = ("spec", "within", "keys", "cutoff", "exp_t", "exp_k", "late", "seq")

    def __init__(self, spec: WindowSpec) -> None:
        self.spec = spec
        self.within = spec.within
        self.keys: dict[Hashable, Any] = {}
        #: Entries with `t_e <= cutoff` are gone (the last `advance`, less `within`).
        self.cutoff = _NEVER
        self.exp_t: deque[int] = deque()
        self.exp_k: deque[Hashable] = deque()
        self.late: list[tuple[int, int, Hashable]] = []
        self.seq = itertools.count()

    def _remind(self, key: Hashable, t: int) -> None:
        exp_t = self.exp_t
        if not exp_t or t >= exp_t[-1]:
            exp_t.append(t)
            self.exp_k.append(key)
        else:
            heapq.heappush(self.late, (t, next(self.seq), key))

    def advance(self, watermark: int) -> None:
        cutoff = watermark - self.within
        if cutoff <= self.cutoff:
            return
        self.cutoff = cutoff
        exp_t = self.exp_t
        if exp_t and exp_t[0] <= cutoff:
            exp_k = self.exp_k
            drop_oldest = self.drop_oldest
            while exp_t and exp_t[0] <= cutoff:
                exp_t.popleft()
                drop_oldest(exp_k.popleft())
        late = self.late
        while late and late[0][0] <= cutoff:
            self.drop_oldest(heapq.heappop(late)[2])

    def add_count(self, key: Hashable, t: int) -> int:
        self.add(key, t)
        return self.count(key, t)

    def add_many(
        self,
        keys: Sequence[Hashable],
        times: Sequence[int],
        values: Sequence[Any] | None = None,
        zero: Any = 0,
        lateness: int = 0,
    ) -> list[Any]:
        out: list[Any] = []
        add = self.add
        aggregate = self.aggregate
        seen = self.cutoff + self.within + lateness  # the largest time the last watermark came from
        vals: Iterable[Any] = itertools.repeat(None) if values is None else values
        for key, t, value in zip(keys, times, vals):
            add(key, t, value)
            out.append(aggregate(key, t, zero))
            if t > seen:
                seen = t
                self.advance(t - lateness)
        return out

    # Per layout.
    def add(self, key: Hashable, t: int, value: Any = None) -> None:
        raise NotImplementedError

    def drop_oldest(self, key: Hashable) -> None:
        raise NotImplementedError

    def count(self, key: Hashable, t: int) -> int:
        raise NotImplementedError

    def sum(self, key: Hashable, t: int, zero: Any) -> Any:
        raise NotImplementedError

    def distinct(self, key: Hashable, t: int) -> int:
        raise NotImplementedError

    def values(self, key: Hashable, t: int) -> list[Any]:
        raise NotImplementedError

    def aggregate(self, key: Hashable, t: int, zero: Any) -> Any:
        raise NotImplementedError

    def entry_count(self) -> int:
        raise NotImplementedError

    def entries(self) -> Iterator[tuple[Hashable, list[int], list[Any] | None]]:
        raise NotImplementedError

    def load(self, key: Hashable, times: list[int], values: list[Any] | None) -> None:
        raise NotImplementedError


class _TimesWindow(_Window):
    """A count window whose subjects carry no value: each key holds a deque of times only (the hot path)."""

    __slots__ = ()

    def add(self, key: Hashable, t: int, value: Any = None) -> None:
        if value is not None:
            self.keep_values()
            self.add(key, t, value)
            return
        dq = self.keys.get(key)
        if dq is None:
            self.keys[key] = deque((t,))
        elif t >= dq[-1]:
            dq.append(t)
        else:
            insort(dq, t)
        exp_t = self.exp_t
        if not exp_t or t >= exp_t[-1]:
            exp_t.append(t)
            self.exp_k.append(key)
        else:
            heapq.heappush(self.late, (t, next(self.seq), key))

    def add_count(self, key: Hashable, t: int) -> int:
        keys = self.keys
        dq = keys.get(key)
        if dq is None:
            keys[key] = deque((t,))
            n = 1
        elif t >= dq[-1]:
            dq.append(t)
            lo = t - self.within
            n = len(dq) if dq[0] > lo else len(dq) - bisect_right(dq, lo)
        else:
            insort(dq, t)
            n = self.count(key, t)
        exp_t = self.exp_t
        if not exp_t or t >= exp_t[-1]:
            exp_t.append(t)
            self.exp_k.append(key)
        else:
            heapq.heappush(self.late, (t, next(self.seq), key))
        return n

    def add_many(
        self,
        keys: Sequence[Hashable],
        times: Sequence[int],
        values: Sequence[Any] | None = None,
        zero: Any = 0,
        lateness: int = 0,
    ) -> list[int]:
        if values is not None and any(v is not None for v in values):
            self.keep_values()
            return self.add_many(keys, times, values, zero, lateness)
        # `add_count` and `advance` inlined: one Python call per chunk instead of two per subject.
        out: list[int] = []
        append = out.append
        state = self.keys
        exp_t = self.exp_t
        exp_k = self.exp_k
        within = self.within
        seen = self.cutoff + within + lateness
        for key, t in zip(keys, times, strict=True):
            dq = state.get(key)
            if dq is None:
                state[key] = deque((t,))
                append(1)
            elif t >= dq[-1]:
                dq.append(t)
                lo = t - within
                append(len(dq) if dq[0] > lo else len(dq) - bisect_right(dq, lo))
            else:
                insort(dq, t)
                append(self.count(key, t))
            if not exp_t or t >= exp_t[-1]:
                exp_t.append(t)
                exp_k.append(key)
            else:
                heapq.heappush(self.late, (t, next(self.seq), key))
            if t > seen:
                seen = t
                cutoff = t - lateness - within
                if cutoff > self.cutoff:
                    self.cutoff = cutoff
                    while exp_t[0] <= cutoff:
                        exp_t.popleft()
                        old = exp_k.popleft()
                        dq = state[old]
                        dq.popleft()
                        if not dq:
                            del state[old]
                    if self.late and self.late[0][0] <= cutoff:
                        self.advance_late(cutoff)
        return out

    def advance(self, watermark: int) -> None:
        # `_Window.advance` with `drop_oldest` inlined: this runs once per subject.
        cutoff = watermark - self.within
        if cutoff <= self.cutoff:
            return
        self.cutoff = cutoff
        exp_t = self.exp_t
        if exp_t and exp_t[0] <= cutoff:
            exp_k = self.exp_k
            keys = self.keys
            try:
                while exp_t[0] <= cutoff:
                    exp_t.popleft()
                    key = exp_k.popleft()
                    dq = keys[key]
                    dq.popleft()
                    if not dq:
                        del keys[key]
            except IndexError:
                pass
        if self.late and self.late[0][0] <= cutoff:
            self.advance_late(cutoff)

    def advance_late(self, cutoff: int) -> None:
        late = self.late
        while late and late[0][0] <= cutoff:
            self.drop_oldest(heapq.heappop(late)[2])

    def drop_oldest(self, key: Hashable) -> None:
        dq = self.keys[key]
        dq.popleft()
        if not dq:
            del self.keys[key]

    def keep_values(self) -> None:
        """Turn this window, in place, into one that keeps values (the engine filters them with `where`).

        In place so that handles the engine bound stay valid: the key deques become series with None values.
        """
        keys = self.keys
        for key, dq in keys.items():
            s = _Series()
            s.times = dq
            s.values = deque(itertools.repeat(None, len(dq)))
            keys[key] = s
        self.__class__ = _ValuesWindow  # type: ignore[assignment]

    def count(self, key: Hashable, t: int) -> int:
        dq = self.keys.get(key)
        if dq is None:
            return 0
        lo = t - self.within
        if t >= dq[-1]:
            return len(dq) if dq[0] > lo else len(dq) - bisect_right(dq, lo)
        i, j = _span(dq, t, lo)
        return j - i if j > i else 0

    def aggregate(self, key: Hashable, t: int, zero: Any) -> int:
        return self.count(key, t)

    def sum(self, key: Hashable, t: int, zero: Any) -> Any:
        raise TypeError(f"window {self.spec.id!r} holds no values to sum")

    def distinct(self, key: Hashable, t: int) -> int:
        raise TypeError(f"window {self.spec.id!r} holds no values to count distinct")

    def values(self, key: Hashable, t: int) -> list[Any]:
        return [None] * self.count(key, t)

    def entry_count(self) -> int:
        return sum(map(len, self.keys.values()))

    def entries(self) -> Iterator[tuple[Hashable, list[int], list[Any] | None]]:
        for key, dq in self.keys.items():
            yield key, list(dq), None

    def load(self, key: Hashable, times: list[int], values: list[Any] | None) -> None:
        self.keys[key] = deque(times)


class _ValuesWindow(_Window):
    """A window whose entries carry values; as such, a count filtered by the engine at query time."""

    __slots__ = ()

    def _insert(self, key: Hashable, t: int, value: Any) -> _Series:
        s = self.keys.get(key)
        if s is None:
            s = self.keys[key] = self._series()
        times = s.times
        if not times or t >= times[-1]:
            times.append(t)
            s.values.append(value)
        else:
            i = bisect_right(times, t)
            times.insert(i, t)
            s.values.insert(i, value)
        self._remind(key, t)
        return s

    def _series(self) -> _Series:
        return _Series()

    def add(self, key: Hashable, t: int, value: Any = None) -> None:
        self._insert(key, t, value)

    def drop_oldest(self, key: Hashable) -> None:
        s = self.keys[key]
        s.times.popleft()
        s.values.popleft()
        if not s.times:
            del self.keys[key]

    def count(self, key: Hashable, t: int) -> int:
        s = self.keys.get(key)
        if s is None:
            return 0
        times = s.times
        lo = t - self.within
        if t >= times[-1]:
            return len(times) if times[0] > lo else len(times) - bisect_right(times, lo)
        i, j = _span(times, t, lo)
        return j - i if j > i else 0

    def aggregate(self, key: Hashable, t: int, zero: Any) -> Any:
        return self.count(key, t)

    def _window_values(self, s: _Series, t: int) -> list[Any]:
        times = s.times
        lo = t - self.within
        if t >= times[-1] and times[0] > lo:
            return list(s.values)
        i, j = _span(times, t, lo)
        return list(itertools.islice(s.values, i, j)) if j > i else []

    def values(self, key: Hashable, t: int) -> list[Any]:
        s = self.keys.get(key)
        return [] if s is None else self._window_values(s, t)

    def sum(self, key: Hashable, t: int, zero: Any) -> Any:
        s = self.keys.get(key)
        vals = [] if s is None else self._window_values(s, t)
        return _sum_of(vals) if vals else zero

    def distinct(self, key: Hashable, t: int) -> int:
        s = self.keys.get(key)
        return 0 if s is None else _distinct_of(self._window_values(s, t))

    def entry_count(self) -> int:
        return sum(len(s.times) for s in self.keys.values())

    def entries(self) -> Iterator[tuple[Hashable, list[int], list[Any] | None]]:
        for key, s in self.keys.items():
            yield key, list(s.times), list(s.values)

    def load(self, key: Hashable, times: list[int], values: list[Any] | None) -> None:
        if values is None:
            values = [None] * len(times)
        for t, value in zip(times, values, strict=True):
            self.add(key, t, value)


class _SumWindow(_ValuesWindow):
    """A sum window: each key keeps an exact running sum, so `sum` at the key's latest time is O(1)."""

    __slots__ = ()

    def add(self, key: Hashable, t: int, value: Any = None) -> None:
        s = self._insert(key, t, value)
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

    def drop_oldest(self, key: Hashable) -> None:
        s = self.keys[key]
        s.times.popleft()
        value = s.values.popleft()
        if not s.times:
            del self.keys[key]
        elif s.total is not None:
            try:
                s.total = _sub(s.total, value)
            except (TypeError, DecimalException):
                s.exact = False
                s.total = None

    def sum(self, key: Hashable, t: int, zero: Any) -> Any:
        s = self.keys.get(key)
        if s is None:
            return zero
        times = s.times
        lo = t - self.within
        if t >= times[-1] and s.total is not None:
            if times[0] > lo:
                return _rounded(s.total)
            i = bisect_right(times, lo)
            if i == len(times):
                return zero
            if i < len(times) - i:
                # Fewer entries before the window than in it: take them off the running sum.
                try:
                    total = s.total
                    for v in itertools.islice(s.values, 0, i):
                        total = _sub(total, v)
                    return _rounded(total)
                except DecimalException:
                    pass
        vals = self._window_values(s, t)
        return _sum_of(vals) if vals else zero

    def aggregate(self, key: Hashable, t: int, zero: Any) -> Any:
        return self.sum(key, t, zero)


class _DistinctWindow(_ValuesWindow):
    """A distinct window: each key keeps a multiset of its values, so `distinct` at its latest time is O(1)."""

    __slots__ = ()

    def _series(self) -> _Series:
        s = _Series()
        s.counts = {}
        return s

    def add(self, key: Hashable, t: int, value: Any = None) -> None:
        s = self._insert(key, t, value)
        _count_in(s.counts, value)  # type: ignore[arg-type]

    def drop_oldest(self, key: Hashable) -> None:
        s = self.keys[key]
        s.times.popleft()
        value = s.values.popleft()
        if not s.times:
            del self.keys[key]
        else:
            _uncount(s.counts, value)  # type: ignore[arg-type]

    def distinct(self, key: Hashable, t: int) -> int:
        s = self.keys.get(key)
        if s is None:
            return 0
        times = s.times
        if t >= times[-1] and times[0] > t - self.within:
            return len(s.counts)  # type: ignore[arg-type]
        return _distinct_of(self._window_values(s, t))

    def aggregate(self, key: Hashable, t: int, zero: Any) -> Any:
        return self.distinct(key, t)


_LAYOUTS: dict[str, type[_Window]] = {"count": _TimesWindow, "sum": _SumWindow, "distinct": _DistinctWindow}


# ---- the in-memory store ------------------------------------------------------------------------------------


class MemoryWindowStore(WindowStore):
    """The default window store: everything in this process's memory.

    In-order subjects cost a deque append and, later, one popleft; `count` is O(1) when the query time is the
    key's latest, and `sum` and `distinct` are O(1) amortized from a running sum and a value multiset.
    Stragglers are inserted in place (bisect) and their expiry goes through a heap.
    """

    def __init__(self) -> None:
        self._windows: dict[str, _Window] = {}
        self._all: tuple[_Window, ...] = ()
        #: The last watermark passed to `advance` (None before the first call); kept in snapshots.
        self.watermark: int | None = None

    def _window(self, window_id: str) -> _Window:
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
        window = _LAYOUTS[spec.func](spec)
        if self.watermark is not None:
            window.cutoff = self.watermark - spec.within
        self._windows[spec.id] = window
        self._all = tuple(self._windows.values())

    def window(self, window_id: str) -> WindowHandle:
        return self._window(window_id)

    def spec(self, window_id: str) -> WindowSpec:
        return self._window(window_id).spec

    def add(self, window_id: str, key: Hashable, t: int, value: Any = None) -> None:
        window = self._window(window_id)
        window.add(key, t, value)

    def add_count(self, window_id: str, key: Hashable, t: int) -> int:
        window = self._window(window_id)
        return window.add_count(key, t)

    def add_many(
        self,
        window_id: str,
        keys: Sequence[Hashable],
        times: Sequence[int],
        values: Sequence[Any] | None = None,
        zero: Any = 0,
        lateness: int = 0,
    ) -> list[Any]:
        return self._window(window_id).add_many(keys, times, values, zero, lateness)

    def count(self, window_id: str, key: Hashable, t: int) -> int:
        window = self._window(window_id)
        return window.count(key, t)

    def sum(self, window_id: str, key: Hashable, t: int, zero: Any) -> Any:
        return self._window(window_id).sum(key, t, zero)

    def distinct(self, window_id: str, key: Hashable, t: int) -> int:
        return self._window(window_id).distinct(key, t)

    def values(self, window_id: str, key: Hashable, t: int) -> list[Any]:
        return self._window(window_id).values(key, t)

    def advance(self, watermark: int) -> None:
        self.watermark = watermark
        for window in self._all:
            window.advance(watermark)

    def key_count(self) -> int:
        return sum(len(w.keys) for w in self._all)

    def entry_count(self) -> int:
        return sum(w.entry_count() for w in self._all)

    # ---- snapshots ----------------------------------------------------------------------------------------

    def snapshot(self, path: Path) -> None:
        """Write the state as versioned, tagged JSON, atomically (a temporary file, then a rename)."""
        windows = []
        for w in self._all:
            keys = []
            for key, times, values in w.entries():
                row: list[Any] = [encode_value(key), times]
                if values is not None:
                    row.append([encode_value(v) for v in values])
                keys.append(row)
            windows.append(
                {
                    "id": w.spec.id,
                    "func": w.spec.func,
                    "within": w.spec.within,
                    "cutoff": None if w.cutoff == _NEVER else w.cutoff,
                    "values": not isinstance(w, _TimesWindow),
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
            raise ValueError(
                f"{path}: window-state snapshot version {doc.get('version')!r}; this rulekit reads {SNAPSHOT_VERSION}"
            )
        store = cls()
        for wd in doc["windows"]:
            spec = WindowSpec(wd["id"], wd["func"], wd["within"])
            store.register(spec)
            window = store._windows[spec.id]
            if wd["values"] and isinstance(window, _TimesWindow):
                window.keep_values()
            reminders: list[tuple[int, Hashable]] = []
            for row in wd["keys"]:
                key = decode_value(row[0])
                times = row[1]
                values = [decode_value(v) for v in row[2]] if len(row) > 2 else None
                window.load(key, times, values)
                reminders.extend((t, key) for t in times)
            # One reminder per entry, rebuilt in time order: after a restore every entry is on the fast path.
            reminders.sort(key=lambda r: r[0])
            window.exp_t = deque(r[0] for r in reminders)
            window.exp_k = deque(r[1] for r in reminders)
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
            ((tag, payload),) = obj.items()
            decoder = _DECODERS.get(tag)
            if decoder is not None:
                return decoder(payload)
        raise ValueError(f"unknown tagged value in a window-state snapshot: {obj!r}")
    return obj
