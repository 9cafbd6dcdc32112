"""Window state for stateful aggregates: count, sum and distinct by key within a duration (LANGUAGE §4.4)."""

from rulekit.runtime.windows.memory import MemoryWindowStore
from rulekit.runtime.windows.snapshot import SNAPSHOT_FORMAT, SNAPSHOT_VERSION, decode_value, encode_value
from rulekit.runtime.windows.store import FUNCS, BoundWindow, WindowHandle, WindowSpec, WindowStore

__all__ = [
    "FUNCS", "SNAPSHOT_FORMAT", "SNAPSHOT_VERSION", "BoundWindow", "MemoryWindowStore", "WindowHandle",
    "WindowSpec", "WindowStore", "decode_value", "encode_value",
]
