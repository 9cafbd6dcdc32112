"""The window store interface: window specs, per-window handles, and the operations every store provides."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

#: The aggregate functions a window can serve (LANGUAGE §4.4).
FUNCS = frozenset({"count", "sum", "distinct", "members"})


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """One windowed aggregate of a stream: `func` over the subjects of the last `within` microseconds, by key.

    `kind` is the record type whose subjects it holds (eviction follows that type's event times);
    `keeps_values` is set for windows filtered at query time: they hold a value (a projection) per entry
    and answer `values`, whatever `func` says. A `members` window always keeps values: the subjects it lists.
    """

    id: str
    func: str  # "count" | "sum" | "distinct" | "members"
    within: int  # microseconds
    kind: str = ""
    keeps_values: bool = False

    def __post_init__(self) -> None:
        if self.func not in FUNCS:
            raise ValueError(f"window {self.id!r}: unknown aggregate {self.func!r} "
                             "(expected count, sum, distinct or members)")
        if self.func == "members" and not self.keeps_values:
            raise ValueError(f"window {self.id!r}: a members window keeps its subjects: register it with keeps_values=True")
        if type(self.within) is not int or self.within <= 0:
            raise ValueError(
                f"window {self.id!r}: `within` must be a positive int of microseconds, got {self.within!r}"
            )


class WindowHandle(Protocol):
    """One registered window of a store, bound once per stream so per-subject calls skip the id lookup."""

    def add(self, key: Hashable, t: int, value: Any = None) -> None: ...
    def count(self, key: Hashable, t: int) -> int: ...
    def sum(self, key: Hashable, t: int, zero: Any) -> Any: ...
    def distinct(self, key: Hashable, t: int) -> int: ...
    def values(self, key: Hashable, t: int) -> list[Any]: ...


class WindowStore(ABC):
    """The window state of one stream: subjects added by key and event time, aggregates over `(t - within, t]`.

    Times are ints, microseconds since the Unix epoch. Keys are tuples of key values (any hashable works).
    Subjects may be added out of order; every query at a `t` not before the last watermark passed to `advance`
    for the window's kind is exact. A shared store (Redis) implements the abstract methods.
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
    def advance(self, watermark: int, kind: str | None = None) -> None:
        """No query will come before `watermark` again for the windows of record type `kind` (every window when
        None): evict their entries with `t_e <= watermark - within`."""

    @abstractmethod
    def key_count(self) -> int:
        """Number of (window, key) states held now."""

    @abstractmethod
    def entry_count(self) -> int:
        """Number of entries held now, over all windows."""

    @abstractmethod
    def snapshot(self, path: Path, meta: dict[str, Any] | None = None) -> None:
        """Write the whole state, and `meta` (JSON-ready) beside it, to `path`."""

    @classmethod
    @abstractmethod
    def restore(cls, path: Path, decode_record: Callable[[str, dict[str, Any]], Any] | None = None) -> WindowStore:
        """A store holding the state written by `snapshot` (its `meta` attribute holds what was saved beside it)."""

    def advancer(self, kind: str) -> Callable[[int], None]:
        """`advance(watermark, kind)` bound to one record type, for a stream to call per subject (bound after its
        windows are registered: a store may specialise it to the windows it holds then)."""

        def advance(watermark: int) -> None:
            self.advance(watermark, kind)

        return advance

    def window(self, window_id: str) -> WindowHandle:
        """A handle on one registered window, for the engine to bind once and call per subject."""
        return BoundWindow(self, window_id)


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

    def sum(self, key: Hashable, t: int, zero: Any) -> Any:
        return self.store.sum(self.window_id, key, t, zero)

    def distinct(self, key: Hashable, t: int) -> int:
        return self.store.distinct(self.window_id, key, t)

    def values(self, key: Hashable, t: int) -> list[Any]:
        return self.store.values(self.window_id, key, t)
