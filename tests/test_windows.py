"""Tests of the window store: aggregates against a naive reference, boundaries, snapshots, bounded memory."""

from __future__ import annotations

import json
from collections import Counter, deque
from collections.abc import Callable, Hashable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rulekit.runtime.windows import (
    SNAPSHOT_FORMAT,
    SNAPSHOT_VERSION,
    BoundWindow,
    MemoryWindowStore,
    WindowSpec,
    WindowStore,
    decode_value,
    encode_value,
)
from rulekit.values import MISSING

MINUTE = 60_000_000
ZERO_DEC = Decimal("0")
ZERO_TD = timedelta(0)


# ---- the naive reference ------------------------------------------------------------------------------------


class Reference:
    """Keeps the full history and recomputes every aggregate from it."""

    def __init__(self, specs: list[WindowSpec]) -> None:
        self.within = {s.id: s.within for s in specs}
        self.history: dict[str, list[tuple[Hashable, int, Any]]] = {s.id: [] for s in specs}

    def add(self, window_id: str, key: Hashable, t: int, value: Any = None) -> None:
        self.history[window_id].append((key, t, value))

    def values(self, window_id: str, key: Hashable, t: int) -> list[Any]:
        lo = t - self.within[window_id]
        inside = [(te, i, v) for i, (k, te, v) in enumerate(self.history[window_id]) if k == key and lo < te <= t]
        return [v for _, _, v in sorted(inside, key=lambda e: (e[0], e[1]))]

    def count(self, window_id: str, key: Hashable, t: int) -> int:
        return len(self.values(window_id, key, t))

    def sum(self, window_id: str, key: Hashable, t: int, zero: Any) -> Any:
        return sum(self.values(window_id, key, t), zero)

    def distinct(self, window_id: str, key: Hashable, t: int) -> int:
        return len(set(self.values(window_id, key, t)))

    def held(self, window_id: str, cutoff: int) -> tuple[int, int]:
        """(keys, entries) with an entry after `cutoff`."""
        kept = [(k, te) for k, te, _ in self.history[window_id] if te > cutoff]
        return len({k for k, _ in kept}), len(kept)


def _specs(w: dict[str, int]) -> list[WindowSpec]:
    return [
        WindowSpec("orders", "count", w["orders"]),
        WindowSpec("cheap", "count", w["cheap"], keeps_values=True),  # filtered with `where` at query time: keeps projections
        WindowSpec("total", "sum", w["total"]),
        WindowSpec("wait", "sum", w["wait"]),
        WindowSpec("units", "sum", w["units"]),
        WindowSpec("buyers", "distinct", w["buyers"]),
    ]


def _feed_one(target: Any, key: Hashable, t: int, cents: int, buyer: Any, price: int) -> None:
    target.add("orders", key, t)
    target.add("cheap", key, t, {"total": price, "buyer": buyer})
    target.add("total", key, t, Decimal(cents).scaleb(-2))
    target.add("wait", key, t, timedelta(seconds=cents))
    target.add("units", key, t, cents)
    target.add("buyers", key, t, buyer)


Predicate = Callable[[dict[str, Any], int], bool]

#: `where` filters that compare each subject in the window with the current one (`this`), as the engine would.
PREDICATES: list[Predicate] = [
    lambda v, price: v["total"] < price,
    lambda v, price: v["total"] >= price,
    lambda v, price: v["total"] == price,
    lambda v, price: v["buyer"] != "a" and v["total"] <= price + 3,
]


def _check_at(store: WindowStore, ref: Reference, key: Hashable, t: int, price: int, where: Predicate) -> None:
    assert store.count("orders", key, t) == ref.count("orders", key, t)
    got = store.values("cheap", key, t)
    assert got == ref.values("cheap", key, t)
    assert sum(1 for v in got if where(v, price)) == sum(1 for v in ref.values("cheap", key, t) if where(v, price))
    assert store.count("cheap", key, t) == ref.count("cheap", key, t)
    total = store.sum("total", key, t, ZERO_DEC)
    assert total == ref.sum("total", key, t, ZERO_DEC)
    assert type(total) is Decimal
    wait = store.sum("wait", key, t, ZERO_TD)
    assert wait == ref.sum("wait", key, t, ZERO_TD)
    assert type(wait) is timedelta
    assert store.sum("units", key, t, 0) == ref.sum("units", key, t, 0)
    assert store.distinct("buyers", key, t) == ref.distinct("buyers", key, t)
    assert store.values("buyers", key, t) == ref.values("buyers", key, t)


KEYS = [("10.0.0.1",), ("10.0.0.2",), ("10.0.0.3", 7), ("shop", None)]

event = st.tuples(
    st.integers(0, len(KEYS) - 1),  # key
    st.integers(0, 12),  # step of the stream's clock
    st.integers(0, 30),  # how far before the clock this subject's event time is (stragglers, late ones)
    st.integers(-500, 500),  # cents / seconds / units
    st.one_of(st.integers(0, 4), st.sampled_from(["a", "b"])),  # distinct value
    st.integers(0, 20),  # price for the `where` filter
)
withins = st.fixed_dictionaries(
    {name: st.integers(1, 60) for name in ("orders", "cheap", "total", "wait", "units", "buyers")}
)


@settings(max_examples=150, deadline=None)
@given(
    withins=withins,
    lateness=st.integers(0, 20),
    events=st.lists(event, max_size=70),
    where=st.sampled_from(PREDICATES),
)
def test_aggregates_equal_a_naive_reference(
    withins: dict[str, int],
    lateness: int,
    events: list[tuple[int, int, int, int, Any, int]],
    where: Predicate,
) -> None:
    specs = _specs(withins)
    store = MemoryWindowStore()
    for spec in specs:
        store.register(spec)
    ref = Reference(specs)
    clock = 1_000
    max_seen: int | None = None
    stream: list[tuple[Hashable, int, int, Any, int, bool]] = []
    for key_i, step, back, cents, buyer, price in events:
        clock += step
        t = clock - back
        key = KEYS[key_i]
        late = max_seen is not None and t < max_seen - lateness
        _feed_one(store, key, t, cents, buyer, price)
        _feed_one(ref, key, t, cents, buyer, price)
        stream.append((key, t, cents, buyer, price, late))
        if not late:
            # The engine queries at the subject's own time; check every key there, and at the newest time seen.
            for other in KEYS:
                _check_at(store, ref, other, t, price, where)
                if max_seen is not None and max_seen > t:
                    _check_at(store, ref, other, max_seen, price, where)
        max_seen = t if max_seen is None else max(max_seen, t)
        store.advance(max_seen - lateness)

    # One more step of the watermark: what is held is exactly what a later query could still see.
    if max_seen is not None:
        watermark = max_seen - lateness + 1
        store.advance(watermark)
        keys = entries = 0
        for spec in specs:
            k, e = ref.held(spec.id, watermark - spec.within)
            keys += k
            entries += e
        assert store.key_count() == keys
        assert store.entry_count() == entries



@settings(max_examples=150, deadline=None)
@given(
    within=st.integers(1, 40),
    lateness=st.integers(0, 20),
    events=st.lists(st.tuples(st.integers(0, len(KEYS) - 1), st.integers(0, 12), st.integers(0, 30)), max_size=80),
    snapshot_at=st.integers(0, 80),
)
def test_a_count_window_through_its_bound_advancer_equals_the_reference(
    tmp_path_factory: pytest.TempPathFactory, within: int, lateness: int, events: list[tuple[int, int, int]],
    snapshot_at: int,
) -> None:
    """The path a stream takes: one count window of its kind, keys holding one entry as an int, `advancer(kind)`,
    and a snapshot restored midway (scalar and deque entries both written and read back)."""
    spec = WindowSpec("n", "count", within, "order")
    store = _store(spec, WindowSpec("other", "count", 5, "ticket"))
    ref = Reference([spec])
    advance = store.advancer("order")
    clock = 1_000
    max_seen: int | None = None
    for i, (key_i, step, back) in enumerate(events):
        if i == snapshot_at:
            path = tmp_path_factory.mktemp("snap") / "state.json"
            store.snapshot(path)
            store = MemoryWindowStore.restore(path)
            advance = store.advancer("order")
        clock += step
        t = clock - back
        store.add("n", KEYS[key_i], t)
        ref.add("n", KEYS[key_i], t)
        if max_seen is None or t >= max_seen - lateness:
            for other in KEYS:
                assert store.count("n", other, t) == ref.count("n", other, t)
        if max_seen is None or t > max_seen:
            max_seen = t
            advance(max_seen - lateness)
            assert store.watermarks["order"] == max_seen - lateness
            # after an advance, what is held is exactly what a later query could still see
            assert (store.key_count(), store.entry_count()) == ref.held("n", max_seen - lateness - within)


# ---- exact boundaries ---------------------------------------------------------------------------------------


def _store(*specs: WindowSpec) -> MemoryWindowStore:
    store = MemoryWindowStore()
    for spec in specs:
        store.register(spec)
    return store


def test_an_entry_exactly_within_before_is_out_and_one_microsecond_later_is_in() -> None:
    store = _store(WindowSpec("c", "count", 10 * MINUTE), WindowSpec("s", "sum", 10 * MINUTE))
    key = ("1.2.3.4",)
    t = 1_750_000_000_000_000
    store.add("c", key, t - 10 * MINUTE)  # exactly `within` before: out
    store.add("s", key, t - 10 * MINUTE, Decimal("100.00"))
    store.add("c", key, t - 10 * MINUTE + 1)  # 1 µs later: in
    store.add("s", key, t - 10 * MINUTE + 1, Decimal("0.01"))
    store.add("c", key, t)
    store.add("s", key, t, Decimal("1.00"))
    assert store.count("c", key, t) == 2
    assert store.sum("s", key, t, ZERO_DEC) == Decimal("1.01")
    assert store.count("c", key, t - 1) == 2  # (t - 1 - 10m, t - 1]: the first two, not the one at t
    assert store.count("c", key, t + 1) == 1
    store.advance(t)  # evicts the entry at t - 10m: nothing can ask for it again
    assert store.entry_count() == 4
    assert store.count("c", key, t) == 2
    assert store.sum("s", key, t, ZERO_DEC) == Decimal("1.01")


def test_equal_timestamps_all_count() -> None:
    store = _store(WindowSpec("c", "count", 5), WindowSpec("d", "distinct", 5))
    for value in ["x", "y", "x"]:
        store.add("c", ("k",), 100)
        store.add("d", ("k",), 100, value)
    assert store.count("c", ("k",), 100) == 3
    assert store.distinct("d", ("k",), 100) == 2
    assert store.count("c", ("k",), 104) == 3
    assert store.count("c", ("k",), 105) == 0
    assert store.values("d", ("k",), 100) == ["x", "y", "x"]
    store.advance(104)
    assert store.key_count() == 2
    store.advance(105)
    assert store.key_count() == 0 and store.entry_count() == 0


def test_a_straggler_added_later_is_not_in_the_window_of_an_earlier_time() -> None:
    store = _store(WindowSpec("c", "count", 100), WindowSpec("s", "sum", 100))
    store.add("c", ("k",), 50)
    store.add("s", ("k",), 50, 5)
    store.add("c", ("k",), 80)  # later in event time, added first
    store.add("s", ("k",), 80, 7)
    store.add("c", ("k",), 60)  # the straggler
    store.add("s", ("k",), 60, 11)
    assert store.count("c", ("k",), 60) == 2
    assert store.sum("s", ("k",), 60, 0) == 16
    assert store.count("c", ("k",), 80) == 3
    assert store.sum("s", ("k",), 80, 0) == 23
    assert store.values("s", ("k",), 79) == [5, 11]
    assert store.count("c", ("k",), 155) == 2  # (55, 155]
    assert store.sum("s", ("k",), 155, 0) == 18


def test_sum_of_an_empty_window_is_the_zero_given() -> None:
    store = _store(WindowSpec("s", "sum", 10), WindowSpec("d", "distinct", 10))
    assert store.sum("s", ("k",), 5, ZERO_DEC) is ZERO_DEC
    assert store.sum("s", ("k",), 5, ZERO_TD) == ZERO_TD
    store.add("s", ("k",), 1, Decimal("2.50"))
    assert store.sum("s", ("k",), 11, ZERO_DEC) is ZERO_DEC
    assert store.sum("s", ("k",), 0, ZERO_DEC) is ZERO_DEC
    assert store.distinct("d", ("k",), 5) == 0
    assert store.values("s", ("k",), 11) == []


def test_running_decimal_sums_stay_exact() -> None:
    store = _store(WindowSpec("s", "sum", 1_000))
    for t in range(10_000):
        store.add("s", ("k",), t, Decimal("0.1"))
        store.advance(t)
    assert store.sum("s", ("k",), 9_999, ZERO_DEC) == Decimal("100.0")
    store.add("s", ("big",), 1, Decimal("1E+100"))
    store.add("s", ("big",), 2, Decimal("1"))
    store.add("s", ("big",), 3, Decimal("-1E+100"))
    assert store.sum("s", ("big",), 3, ZERO_DEC) == Decimal("1")  # exact, then rounded once to 28 digits


def test_sums_that_cannot_run_exactly_are_recomputed() -> None:
    store = _store(WindowSpec("s", "sum", 10))
    for t, v in [(1, 0.1), (2, 0.2), (3, 0.3), (12, 0.4)]:
        store.add("s", ("f",), t, v)
    assert store.sum("s", ("f",), 12, 0.0) == 0.3 + 0.4
    store.advance(13)
    assert store.sum("s", ("f",), 13, 0.0) == 0.4  # no drift from adding and taking off floats
    store.add("s", ("huge",), 1, Decimal("1E+300"))
    store.add("s", ("huge",), 2, Decimal("1"))  # needs 301 digits: falls back to the language's 28-digit sum
    assert store.sum("s", ("huge",), 2, ZERO_DEC) == Decimal("1E+300")
    store.advance(11)  # 1E+300 leaves: the sum is exact again
    assert store.sum("s", ("huge",), 11, ZERO_DEC) == Decimal("1")


def test_distinct_takes_unhashable_values() -> None:
    store = _store(WindowSpec("d", "distinct", 10))
    for t, v in enumerate([[1, 2], {"a": 1}, [1, 2], (1, 2), {"a": 1}]):
        store.add("d", ("k",), t, v)
    assert store.distinct("d", ("k",), 4) == 3
    store.advance(10)  # evicts [1, 2] at t=0
    assert store.distinct("d", ("k",), 10) == 3
    store.advance(12)  # evicts {"a": 1} at t=1 and [1, 2] at t=2
    assert store.values("d", ("k",), 12) == [(1, 2), {"a": 1}]
    assert store.distinct("d", ("k",), 12) == 2


def test_a_values_window_is_laid_out_at_registration() -> None:
    store = _store(WindowSpec("c", "count", 10, keeps_values=True), WindowSpec("n", "count", 10))
    handle = store.window("c")
    handle.add(("k",), 1, {"total": 1})
    handle.add(("k",), 3, {"total": 5})
    assert handle.values(("k",), 3) == [{"total": 1}, {"total": 5}]
    assert handle.count(("k",), 3) == 2
    store.advance(12)
    assert store.values("c", ("k",), 12) == [{"total": 5}]
    # a window that keeps no values refuses one instead of silently changing its layout
    with pytest.raises(ValueError, match="keeps no values"):
        store.add("n", ("k",), 1, {"total": 1})


def test_registration_and_errors() -> None:
    store = _store(WindowSpec("c", "count", 10))
    store.register(WindowSpec("c", "count", 10))  # the same again: fine
    with pytest.raises(ValueError, match="already registered"):
        store.register(WindowSpec("c", "count", 20))
    with pytest.raises(ValueError, match="unknown aggregate"):
        WindowSpec("x", "avg", 10)
    with pytest.raises(ValueError, match="positive int"):
        WindowSpec("x", "count", 0)
    with pytest.raises(ValueError, match="positive int"):
        WindowSpec("x", "count", 1.5)  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="not registered"):
        store.add("nope", ("k",), 1)
    with pytest.raises(KeyError, match="not registered"):
        store.count("nope", ("k",), 1)
    with pytest.raises(TypeError, match="no values"):
        store.sum("c", ("k",), 1, 0)
    assert [s.id for s in store.specs()] == ["c"]
    assert store.spec("c") == WindowSpec("c", "count", 10)
    with pytest.raises(KeyError, match="not registered"):
        store.spec("nope")


def test_a_window_registered_after_advance_starts_at_the_watermark() -> None:
    store = _store(WindowSpec("a", "count", 10))
    store.advance(100)
    store.register(WindowSpec("b", "count", 10))
    store.add("b", ("k",), 95)
    store.add("b", ("k",), 85)  # too old for any query still to come
    store.advance(100)
    assert store.count("b", ("k",), 100) == 1
    store.advance(101)
    assert store.entry_count() == 1


def test_stragglers_expire_through_the_heap() -> None:
    store = _store(WindowSpec("c", "count", 10))
    store.add("c", ("a",), 100)
    store.add("c", ("b",), 50)  # arrives after 100: its reminder goes to the heap
    store.add("c", ("a",), 40)
    assert store.key_count() == 2
    store.advance(61)  # cutoff 51: evicts b@50 and a@40
    assert store.key_count() == 1
    assert store.entry_count() == 1
    assert store.count("c", ("a",), 100) == 1
    store.advance(110)
    assert store.key_count() == 0


# ---- the default implementations a shared store inherits ----------------------------------------------------


class Forwarding(WindowStore):
    """A store that implements only the abstract methods, as a shared store would."""

    def __init__(self) -> None:
        self.inner = MemoryWindowStore()

    def register(self, spec: WindowSpec) -> None:
        self.inner.register(spec)

    def add(self, window_id: str, key: Hashable, t: int, value: Any = None) -> None:
        self.inner.add(window_id, key, t, value)

    def count(self, window_id: str, key: Hashable, t: int) -> int:
        return self.inner.count(window_id, key, t)

    def sum(self, window_id: str, key: Hashable, t: int, zero: Any) -> Any:
        return self.inner.sum(window_id, key, t, zero)

    def distinct(self, window_id: str, key: Hashable, t: int) -> int:
        return self.inner.distinct(window_id, key, t)

    def values(self, window_id: str, key: Hashable, t: int) -> list[Any]:
        return self.inner.values(window_id, key, t)

    def advance(self, watermark: int, kind: str | None = None) -> None:
        self.inner.advance(watermark, kind)

    def key_count(self) -> int:
        return self.inner.key_count()

    def entry_count(self) -> int:
        return self.inner.entry_count()

    def snapshot(self, path: Path, meta: dict[str, Any] | None = None) -> None:
        self.inner.snapshot(path, meta)

    @classmethod
    def restore(cls, path: Path, decode_record: Any = None) -> Forwarding:
        store = cls()
        store.inner = MemoryWindowStore.restore(path, decode_record)
        return store

    def spec(self, window_id: str) -> WindowSpec:
        return self.inner.spec(window_id)


def test_default_handle_works_on_the_abstract_methods() -> None:
    store = Forwarding()
    store.register(WindowSpec("c", "count", 10))
    store.register(WindowSpec("s", "sum", 10))
    store.register(WindowSpec("d", "distinct", 10))
    handle = store.window("c")
    assert isinstance(handle, BoundWindow)
    handle.add(("k",), 1)
    handle.add(("k",), 2)
    assert handle.count(("k",), 2) == 2
    for t, v in ((5, Decimal("1.5")), (6, Decimal("2"))):
        store.window("s").add(("k",), t, v)
        store.window("d").add(("k",), t, "x")
    assert store.window("s").sum(("k",), 6, ZERO_DEC) == Decimal("3.5")
    assert store.window("d").distinct(("k",), 6) == 1
    assert store.window("s").values(("k",), 6) == [Decimal("1.5"), Decimal("2")]


# ---- snapshots ----------------------------------------------------------------------------------------------


def _aggregates(store: WindowStore, keys: list[Hashable], times: list[int]) -> list[Any]:
    out: list[Any] = []
    for key in keys:
        for t in times:
            out.append(
                (
                    store.count("c", key, t),
                    store.values("p", key, t),
                    store.sum("money", key, t, ZERO_DEC),
                    store.sum("wait", key, t, ZERO_TD),
                    store.distinct("d", key, t),
                    store.values("d", key, t),
                )
            )
    return out


def test_snapshot_and_restore_round_trip(tmp_path: Path) -> None:
    tz8 = timezone(timedelta(hours=8))
    specs = [
        WindowSpec("c", "count", 10 * MINUTE),
        WindowSpec("p", "count", 5 * MINUTE, keeps_values=True),
        WindowSpec("money", "sum", 60 * MINUTE),
        WindowSpec("wait", "sum", 60 * MINUTE),
        WindowSpec("d", "distinct", 60 * MINUTE),
    ]
    store = _store(*specs)
    twin = _store(*specs)
    keys: list[Hashable] = [("1.2.3.4",), ("shop-9", 42), (None, True), ("店铺",)]
    distinct_values: list[Any] = [
        "买家A",
        7,
        Decimal("1.50"),
        None,
        True,
        date(2025, 6, 1),
        datetime(2025, 6, 1, 8, 30, tzinfo=tz8),
        datetime(2025, 6, 1, 8, 30, 0, 123456),
        timedelta(days=-1, microseconds=5),
        3.25,
    ]
    base = 1_750_000_000_000_000
    for i in range(60):
        key = keys[i % len(keys)]
        t = base + i * 20_000_000 - (7_000_000 if i % 5 == 0 else 0)  # some stragglers
        for s in (store, twin):
            s.add("c", key, t)
            s.add("p", key, t, {"total": Decimal(i).scaleb(-2), "tags": ["a", i], "paid": i % 2 == 0, "note": MISSING})
            s.add("money", key, t, Decimal(i * 37 % 1000).scaleb(-2))
            s.add("wait", key, t, timedelta(seconds=i, microseconds=i))
            s.add("d", key, t, distinct_values[i % len(distinct_values)])
            s.advance(t - 10_000_000)
    path = tmp_path / "windows.json"
    store.snapshot(path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["format"] == SNAPSHOT_FORMAT and doc["version"] == SNAPSHOT_VERSION
    restored = MemoryWindowStore.restore(path)
    assert restored.watermark == store.watermark
    assert restored.specs() == store.specs()
    assert restored.key_count() == store.key_count()
    assert restored.entry_count() == store.entry_count()
    end = base + 60 * 20_000_000
    times = [end - 10_000_000, end, end + 5 * MINUTE, end + 30 * MINUTE]
    before = _aggregates(store, keys, times)
    after = _aggregates(restored, keys, times)
    assert after == before
    # Types and representations survive, not just equality: Decimal exponents, tz offsets, tuples vs lists.
    assert repr(after) == repr(before)
    # A restored store goes on exactly like one that never stopped.
    for i in range(60, 90):
        key = keys[i % len(keys)]
        t = base + i * 20_000_000
        for s in (restored, twin):
            s.add("c", key, t)
            s.add("p", key, t, {"total": Decimal(i).scaleb(-2)})
            s.add("money", key, t, Decimal("0.01"))
            s.add("wait", key, t, timedelta(seconds=1))
            s.add("d", key, t, i % 3)
            s.advance(t - 10_000_000)
    end = base + 90 * 20_000_000
    times = [end - 10_000_000, end, end + 30 * MINUTE]
    assert _aggregates(restored, keys, times) == _aggregates(twin, keys, times)
    assert restored.key_count() == twin.key_count()
    assert restored.entry_count() == twin.entry_count()


def test_restore_refuses_other_files(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"format": SNAPSHOT_FORMAT, "version": 99, "windows": []}), encoding="utf-8")
    with pytest.raises(ValueError, match="version 99"):
        MemoryWindowStore.restore(path)
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(ValueError, match="not a rulekit window-state snapshot"):
        MemoryWindowStore.restore(path)


def test_snapshot_refuses_values_it_cannot_tag(tmp_path: Path) -> None:
    store = _store(WindowSpec("d", "distinct", 10))
    store.add("d", ("k",), 1, object())
    with pytest.raises(TypeError, match="cannot be written to a snapshot"):
        store.snapshot(tmp_path / "x.json")
    assert not list(tmp_path.iterdir())  # no half-written file left behind


def test_tagged_values_round_trip() -> None:
    values = [
        None,
        True,
        0,
        -(10**30),
        "s",
        1.5,
        Decimal("-0.00"),
        Decimal("1E+5"),
        timedelta(days=3, seconds=5, microseconds=7),
        date(2024, 2, 29),
        datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
        [1, [2, "x"]],
        (1, (2,)),
        {"a": 1, 2: [3]},
        {"$decimal": "not a tag inside a dict key"},
        MISSING,
    ]
    for value in values:
        encoded = json.loads(json.dumps(encode_value(value)))
        decoded = decode_value(encoded)
        assert decoded == value or (value is MISSING and decoded is MISSING)
        assert type(decoded) is type(value)
        assert repr(decoded) == repr(value)
    with pytest.raises(ValueError, match="unknown tagged value"):
        decode_value({"$pickle": "..."})


# ---- memory -------------------------------------------------------------------------------------------------


def test_memory_follows_the_keys_inside_the_window_not_the_stream() -> None:
    """1,000,000 events over 100,000 keys, one every 10 ms: the 10-minute window holds ~60,000 events."""
    window = 10 * MINUTE
    store = _store(WindowSpec("burst", "count", window))
    t0 = 1_750_000_000_000_000
    recent: deque[tuple[int, int]] = deque()  # the reference: (t, key) inside the window
    active: Counter[int] = Counter()
    peak_keys = 0
    for i in range(1_000_000):
        key = i * 7919 % 100_000
        t = t0 + i * 10_000
        store.add("burst", (key,), t)
        store.count("burst", (key,), t)
        store.advance(t)  # lateness 0: the watermark is the newest time
        recent.append((t, key))
        active[key] += 1
        while recent[0][0] <= t - window:
            _, old = recent.popleft()
            active[old] -= 1
            if not active[old]:
                del active[old]
        if i % 10_000 == 9_999:
            assert store.key_count() <= len(active)
            assert store.key_count() == len(active)
            assert store.entry_count() == len(recent)
            peak_keys = max(peak_keys, store.key_count())
    assert 55_000 < peak_keys <= 60_000
