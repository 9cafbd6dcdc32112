"""The in-memory layouts of one window: per key, entries in event-time order with running aggregates."""

from __future__ import annotations

import heapq
import itertools
from bisect import bisect_right, insort
from collections import deque
from collections.abc import Hashable, Iterable, Iterator
from datetime import timedelta
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_EVEN, Context, Decimal, DecimalException, Inexact, InvalidOperation
from typing import Any

from rulekit.runtime.windows.store import WindowSpec
from rulekit.values import DECIMAL_CONTEXT

#: Below every real event time: nothing has been evicted yet.
NEVER = -(1 << 63)

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


class Window:
    """The state of one registered window: per-key entries and the expiry queue. Also its `WindowHandle`."""

    __slots__ = ("spec", "within", "keys", "cutoff", "exp_t", "exp_k", "late", "seq")

    def __init__(self, spec: WindowSpec) -> None:
        self.spec = spec
        self.within = spec.within
        self.keys: dict[Hashable, Any] = {}
        #: Entries with `t_e <= cutoff` are gone (the last `advance`, less `within`).
        self.cutoff = NEVER
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
            self._expire(cutoff)
        late = self.late
        while late and late[0][0] <= cutoff:
            self.drop_oldest(heapq.heappop(late)[2])

    def _expire(self, cutoff: int) -> None:
        """Pop the in-order reminders at or before `cutoff`, dropping each one's oldest entry."""
        exp_t, exp_k, drop_oldest = self.exp_t, self.exp_k, self.drop_oldest
        while exp_t and exp_t[0] <= cutoff:
            exp_t.popleft()
            drop_oldest(exp_k.popleft())

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

    def entry_count(self) -> int:
        raise NotImplementedError

    def entries(self) -> Iterator[tuple[Hashable, list[int], list[Any] | None]]:
        raise NotImplementedError

    def load(self, key: Hashable, times: list[int], values: list[Any] | None) -> None:
        raise NotImplementedError


class _TimesWindow(Window):
    """A count window whose subjects carry no value (the hot path): a key with one entry holds its time as an int,
    a key with more a deque of times (a deque costs about 7 times the memory of an int, and most keys of a
    burst window hold one subject)."""

    __slots__ = ()

    def add(self, key: Hashable, t: int, value: Any = None) -> None:
        if value is not None:
            raise ValueError(f"window {self.spec.id!r} keeps no values: register it with keeps_values=True")
        keys = self.keys
        dq = keys.get(key)
        if dq is None:
            keys[key] = t
        elif dq.__class__ is int:
            keys[key] = deque((dq, t)) if t >= dq else deque((t, dq))
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

    def _expire(self, cutoff: int) -> None:
        exp_t, exp_k, keys = self.exp_t, self.exp_k, self.keys
        while exp_t and exp_t[0] <= cutoff:
            exp_t.popleft()
            key = exp_k.popleft()
            dq = keys[key]
            if dq.__class__ is int:
                del keys[key]
            else:
                dq.popleft()
                if len(dq) == 1:
                    keys[key] = dq[0]

    def drop_oldest(self, key: Hashable) -> None:
        dq = self.keys[key]
        if dq.__class__ is int:
            del self.keys[key]
            return
        dq.popleft()
        if len(dq) == 1:
            self.keys[key] = dq[0]

    def count(self, key: Hashable, t: int) -> int:
        dq = self.keys.get(key)
        if dq is None:
            return 0
        lo = t - self.within
        if dq.__class__ is int:
            return 1 if lo < dq <= t else 0
        if t >= dq[-1]:
            return len(dq) if dq[0] > lo else len(dq) - bisect_right(dq, lo)
        i, j = _span(dq, t, lo)
        return j - i if j > i else 0

    def sum(self, key: Hashable, t: int, zero: Any) -> Any:
        raise TypeError(f"window {self.spec.id!r} holds no values to sum")

    def distinct(self, key: Hashable, t: int) -> int:
        raise TypeError(f"window {self.spec.id!r} holds no values to count distinct")

    def values(self, key: Hashable, t: int) -> list[Any]:
        return [None] * self.count(key, t)

    def entry_count(self) -> int:
        return sum(1 if dq.__class__ is int else len(dq) for dq in self.keys.values())

    def entries(self) -> Iterator[tuple[Hashable, list[int], list[Any] | None]]:
        for key, dq in self.keys.items():
            yield key, [dq] if dq.__class__ is int else list(dq), None

    def load(self, key: Hashable, times: list[int], values: list[Any] | None) -> None:
        self.keys[key] = times[0] if len(times) == 1 and type(times[0]) is int else deque(times)


class _ValuesWindow(Window):
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

    def _pop_oldest(self, key: Hashable) -> tuple[_Series | None, Any]:
        """Drop a key's oldest entry: (its series, None when that emptied it; the value dropped)."""
        s = self.keys[key]
        s.times.popleft()
        value = s.values.popleft()
        if not s.times:
            del self.keys[key]
            return None, value
        return s, value

    def drop_oldest(self, key: Hashable) -> None:
        self._pop_oldest(key)

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
        s, value = self._pop_oldest(key)
        if s is not None and s.total is not None:
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
        s, value = self._pop_oldest(key)
        if s is not None:
            _uncount(s.counts, value)  # type: ignore[arg-type]

    def distinct(self, key: Hashable, t: int) -> int:
        s = self.keys.get(key)
        if s is None:
            return 0
        times = s.times
        if t >= times[-1] and times[0] > t - self.within:
            return len(s.counts)  # type: ignore[arg-type]
        return _distinct_of(self._window_values(s, t))


def layout(spec: WindowSpec) -> Window:
    """The state of a window, laid out for its spec at registration (never changed afterwards)."""
    if spec.keeps_values:
        return _ValuesWindow(spec)
    return {"count": _TimesWindow, "sum": _SumWindow, "distinct": _DistinctWindow}[spec.func](spec)
