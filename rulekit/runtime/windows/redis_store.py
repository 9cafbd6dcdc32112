"""A window store in Redis, shared by several stream consumers: one Lua script per subject adds, evicts and reads.

Per window and key, a sorted set of the subjects (member: the subject's id, score: its event time in microseconds)
and, for windows that keep values, a hash from id to the value (tagged JSON, `snapshot.encode_value`). The script of
a subject adds it to every window it joins, evicts what no consumer within the lateness can still read, sets the
keys' TTL (the window plus the lateness), and returns each window's entries in `(t - within, t]`, atomically: two
consumers never see half of each other's subject. The member being the subject's id makes adding idempotent: a
subject delivered twice (a consumer retrying after a crash) is counted once. Sums are taken in Python, exact in
Decimal; Lua only moves strings and counts. docs/scale.md says what is exact across consumers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from rulekit.runtime.support import Undetermined
from rulekit.runtime.windows.snapshot import decode_value, encode_value
from rulekit.runtime.windows.store import WindowHandle, WindowSpec, WindowStore

#: KEYS: per added subject its sorted set and its value hash. ARGV: n, then per subject 8 strings: member, score,
#: evict-up-to (inclusive), window-low (exclusive, "(t-within"), window-high (t), encoded value, ttl ms, mode
#: ("c": count only, "v": keeps values). Returns per subject the count ("c") or the window's values ("v").
_SCRIPT = """
local out = {}
local n = tonumber(ARGV[1])
local a = 2
for i = 1, n do
  local z, h = KEYS[2 * i - 1], KEYS[2 * i]
  local member, score, evict, low, high, val, ttl, mode =
    ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5], ARGV[a + 6], ARGV[a + 7]
  a = a + 8
  if mode == 'v' then
    local old = redis.call('ZRANGEBYSCORE', z, '-inf', evict)
    for j = 1, #old, 1000 do
      redis.call('HDEL', h, unpack(old, j, math.min(j + 999, #old)))
    end
  end
  redis.call('ZREMRANGEBYSCORE', z, '-inf', evict)
  redis.call('ZADD', z, score, member)
  redis.call('PEXPIRE', z, ttl)
  if mode == 'v' then
    redis.call('HSET', h, member, val)
    redis.call('PEXPIRE', h, ttl)
    local ms = redis.call('ZRANGEBYSCORE', z, low, high)
    local vals = {}
    for j = 1, #ms, 1000 do
      local part = redis.call('HMGET', h, unpack(ms, j, math.min(j + 999, #ms)))
      for k = 1, #part do vals[#vals + 1] = part[k] end
    end
    out[i] = vals
  else
    out[i] = redis.call('ZCOUNT', z, low, high)
  end
end
return out
"""

def _errors() -> tuple[type[BaseException], ...]:
    from redis import exceptions

    return (exceptions.ConnectionError, exceptions.TimeoutError, exceptions.BusyLoadingError, OSError)


class RedisWindowStore(WindowStore):
    """Window state in Redis (`pip install 'rulekit[redis]'`), for several consumers of one stream.

    `RedisWindowStore(url="redis://localhost:6379/0")` or `RedisWindowStore(client=redis.Redis(...))`; `prefix`
    separates the state of different streams or policy sets in one database; `lateness` (a timedelta, as the
    stream's) keeps entries that late subjects may still read. A lost connection makes the affected rules
    undetermined ("window store unavailable: …") and the subject's report says its entries were not saved.
    """

    shared = True

    def __init__(self, url: str | None = None, *, client: Any = None, prefix: str = "rulekit",
                 lateness_us: int = 0, ttl_margin_ms: int = 60_000, socket_timeout: float = 5.0,
                 per_subject: bool = True) -> None:
        if client is None:
            import redis

            client = redis.Redis.from_url(url or "redis://localhost:6379/0", socket_timeout=socket_timeout,
                                          socket_connect_timeout=socket_timeout)
        self.client = client
        self.prefix = prefix
        self.lateness_us = lateness_us
        self.ttl_margin_ms = ttl_margin_ms
        self._specs: dict[str, WindowSpec] = {}
        self._tags: dict[str, str] = {}
        self._script = client.register_script(_SCRIPT)
        self._pending: list[tuple[str, Hashable, int, Any]] = []
        self._results: dict[tuple[str, Hashable, int], Any] = {}
        self._member = ""
        self._decode: Callable[[str, dict[str, Any]], Any] | None = None
        self._errors = _errors()
        #: one script per subject (all its windows at once); False: one script per window entry (benchmarks)
        self.per_subject = per_subject
        self.meta: dict[str, Any] = {}

    # ---- set-up --------------------------------------------------------------------------------------------
    def register(self, spec: WindowSpec) -> None:
        known = self._specs.get(spec.id)
        if known is not None:
            if known != spec:
                raise ValueError(f"window {spec.id!r} is already registered as {known}, not {spec}")
            return
        self._specs[spec.id] = spec
        # the window's id and layout name its keys: other policies' windows of another length never mix with it
        ident = json.dumps([spec.id, spec.func, spec.within, spec.kind, spec.keeps_values])
        self._tags[spec.id] = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:16]

    def spec(self, window_id: str) -> WindowSpec:
        try:
            return self._specs[window_id]
        except KeyError:
            raise KeyError(f"window {window_id!r} is not registered") from None

    def attach(self, decode_record: Callable[[str, dict[str, Any]], Any]) -> None:
        """How to rebuild the records that members windows keep (the stream's validators)."""
        self._decode = decode_record

    def window(self, window_id: str) -> WindowHandle:
        self.spec(window_id)
        return super().window(window_id)

    # ---- one subject at a time -------------------------------------------------------------------------------
    def begin_subject(self, kind: str, subject_id: str) -> None:
        """The subject whose entries the next `add`s are: its id is the member of every window it joins."""
        self._pending.clear()
        self._results.clear()
        self._member = f"{kind}\x1f{subject_id}"

    def end_subject(self) -> str | None:
        """Write the subject's entries if no query did; the problem when they could not be written, else None."""
        problem = None
        if self._pending:
            try:
                self._flush()
            except Undetermined as e:
                problem = f"its window entries were not saved: {e.message}"
        self._pending.clear()
        self._results.clear()
        return problem

    def _keys(self, window_id: str, key: Hashable) -> tuple[str, str]:
        k = json.dumps(encode_value(key), ensure_ascii=False, separators=(",", ":"))
        base = f"{self.prefix}:w:{self._tags[window_id]}:{k}"
        return base, base + ":v"

    def _flush(self) -> None:
        keys: list[str] = []
        args: list[Any] = [len(self._pending)]
        for window_id, key, t, value in self._pending:
            spec = self._specs[window_id]
            z, h = self._keys(window_id, key)
            keys += [z, h]
            mode = "v" if spec.keeps_values or spec.func in ("sum", "distinct") else "c"
            encoded = json.dumps(encode_value(value), ensure_ascii=False, separators=(",", ":")) if mode == "v" else ""
            ttl = (spec.within + self.lateness_us) // 1000 + self.ttl_margin_ms
            args += [self._member, str(t), str(t - spec.within - self.lateness_us), f"({t - spec.within}", str(t),
                     encoded, str(ttl), mode]
        try:
            out = self._script(keys=keys, args=args)
        except self._errors as e:
            raise Undetermined(f"window store unavailable: {_reason(e)}") from None
        for (window_id, key, t, _), result in zip(self._pending, out, strict=True):
            self._results[(window_id, key, t)] = result
        self._pending.clear()

    def _entries(self, window_id: str, key: Hashable, t: int) -> Any:
        """The window's count (count-only windows) or raw values for `(t - within, t]`."""
        if self._pending:
            self._flush()
        cached = self._results.get((window_id, key, t))
        if cached is not None:
            return cached
        spec = self.spec(window_id)
        z, h = self._keys(window_id, key)
        low, high = f"({t - spec.within}", str(t)
        try:
            if not (spec.keeps_values or spec.func in ("sum", "distinct")):
                return self.client.zcount(z, low, high)
            members = self.client.zrangebyscore(z, low, high)
            return self.client.hmget(h, members) if members else []
        except self._errors as e:
            raise Undetermined(f"window store unavailable: {_reason(e)}") from None

    def _values(self, window_id: str, key: Hashable, t: int) -> list[Any]:
        raw = self._entries(window_id, key, t)
        return [decode_value(json.loads(v), self._decode) for v in raw if v is not None]

    # ---- the store interface ---------------------------------------------------------------------------------
    def add(self, window_id: str, key: Hashable, t: int, value: Any = None) -> None:
        self.spec(window_id)
        self._pending.append((window_id, key, t, value))
        if not self.per_subject:
            self._flush()

    def count(self, window_id: str, key: Hashable, t: int) -> int:
        raw = self._entries(window_id, key, t)
        return int(raw) if isinstance(raw, int) else sum(1 for v in raw if v is not None)

    def sum(self, window_id: str, key: Hashable, t: int, zero: Any) -> Any:
        total = zero
        for v in self._values(window_id, key, t):
            total = total + v
        return total

    def distinct(self, window_id: str, key: Hashable, t: int) -> int:
        return len(set(self._values(window_id, key, t)))

    def values(self, window_id: str, key: Hashable, t: int) -> list[Any]:
        return self._values(window_id, key, t)

    def advance(self, watermark: int, kind: str | None = None) -> None:
        """Nothing: each subject's script evicts its windows' old entries, and TTLs drop idle keys."""

    def key_count(self) -> int:
        return sum(1 for k in self.client.scan_iter(match=f"{self.prefix}:w:*", count=1000)
                   if not k.endswith(b":v"))

    def entry_count(self) -> int:
        return sum(self.client.zcard(k) for k in self.client.scan_iter(match=f"{self.prefix}:w:*", count=1000)
                   if not k.endswith(b":v"))

    def clear(self) -> int:
        """Delete this prefix's window state (a new stream, or tests); returns the number of keys deleted."""
        keys = list(self.client.scan_iter(match=f"{self.prefix}:w:*", count=1000))
        for i in range(0, len(keys), 1000):
            self.client.delete(*keys[i:i + 1000])
        return len(keys)

    def snapshot(self, path: Path, meta: dict[str, Any] | None = None) -> None:
        raise ValueError("a Redis window store keeps its state in Redis: use Redis persistence (RDB or AOF) instead "
                         "of a snapshot file")

    @classmethod
    def restore(cls, path: Path, decode_record: Callable[[str, dict[str, Any]], Any] | None = None) -> WindowStore:
        raise ValueError("a Redis window store keeps its state in Redis: there is no snapshot file to restore")


def _reason(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    return text.rstrip(".")
