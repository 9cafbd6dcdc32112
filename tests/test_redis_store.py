"""The Redis window store: the same reports as the memory store, idempotent delivery, lost connections reported."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rulekit
from tests.helpers import REPO, order, redis_server, write

fakeredis = pytest.importorskip("fakeredis")
pytest.importorskip("lupa")
from rulekit.runtime.windows.redis_store import RedisWindowStore  # noqa: E402

CST = timezone(timedelta(hours=8))
NOW = datetime(2025, 6, 10, 12, tzinfo=CST)

POLICY = '''
policy burst {
  rule ip_burst on order {
    severity error
    let n = count(order by ip within 10m)
    let spent = sum(order.total by ip within 10m)
    let buyers = distinct(order.buyer_id by ip within 10m)
    let same = members(order by ip within 10m)
    when order.ip is not null and n >= 3
    message "{n} orders, {spent}, {buyers} buyers: {same.id}"
    action hold(order_ids: same.id)
  }
}
'''


def stream_orders(n: int, ips: int, seed: int = 1) -> list[dict[str, Any]]:
    import random

    rnd = random.Random(seed)
    t = datetime(2025, 6, 10, 8, tzinfo=CST)
    out = []
    for i in range(n):
        t += timedelta(seconds=rnd.randint(1, 90))
        out.append(order(id=f"o{i}", ip=f"10.0.0.{rnd.randrange(ips)}", buyer_id=f"B{rnd.randrange(4)}",
                         total=rnd.randint(1, 500), created_at=t.isoformat()))
    return out


def reports(engine: Any, orders: list[dict[str, Any]], store: Any = None) -> list[dict[str, Any]]:
    s = engine.stream(now=NOW, store=store)
    return [s.push(o, kind="order").model_dump() for o in orders]


@pytest.fixture
def engine(tmp_path: Path) -> Any:
    return rulekit.load(write(tmp_path, "p.rule", POLICY))


def test_bundled_fraud_rules_match_the_memory_store() -> None:
    eng = rulekit.load()
    orders = [json.loads(line) for line in (REPO / "examples" / "orders.jsonl").read_text(encoding="utf-8").splitlines()]
    store = RedisWindowStore(client=fakeredis.FakeRedis())
    assert reports(eng, orders, store) == reports(eng, orders)
    assert any(r["violations"] for r in reports(eng, orders, RedisWindowStore(client=fakeredis.FakeRedis())))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 60), st.integers(1, 6), st.integers(0, 10_000), st.booleans())
def test_count_sum_distinct_members_match_the_memory_store(n: int, ips: int, seed: int, per_subject: bool) -> None:
    eng = _burst_engine()
    orders = stream_orders(n, ips, seed)
    store = RedisWindowStore(client=fakeredis.FakeRedis(), per_subject=per_subject)
    assert reports(eng, orders, store) == reports(eng, orders)


_ENGINE: list[Any] = []


def _burst_engine() -> Any:
    if not _ENGINE:
        import tempfile

        d = Path(tempfile.mkdtemp())
        _ENGINE.append(rulekit.load(write(d, "p.rule", POLICY)))
    return _ENGINE[0]


def test_a_subject_delivered_twice_is_counted_once(engine: Any) -> None:
    orders = stream_orders(30, 2)
    client = fakeredis.FakeRedis()
    first = reports(engine, orders, RedisWindowStore(client=client))
    # a consumer that crashed and starts over pushes the same subjects again into the same state
    again = reports(engine, orders, RedisWindowStore(client=client))
    assert again == first


def test_entries_expire_with_the_window_and_old_ones_are_evicted(engine: Any) -> None:
    client = fakeredis.FakeRedis()
    store = RedisWindowStore(client=client)
    s = engine.stream(now=NOW, store=store)
    t = datetime(2025, 6, 10, 8, tzinfo=CST)
    for i in range(5):
        s.push(order(id=f"a{i}", ip="1.1.1.1", created_at=(t + timedelta(minutes=30 * i)).isoformat()), kind="order")
    assert store.entry_count() == 4  # one per window; the older entries were evicted as the later ones came
    ttls = [client.pttl(k) for k in client.scan_iter(match="rulekit:w:*")]
    assert ttls and all(0 < ms <= 10 * 60_000 + 60_000 for ms in ttls)


class _Down:
    """A client whose server is gone: every call fails as redis-py fails on a closed connection."""

    def __init__(self) -> None:
        from redis.exceptions import ConnectionError

        self.error = ConnectionError("Error 111 connecting to localhost:6390. Connection refused.")

    def register_script(self, _: str) -> Any:
        def run(**_: Any) -> Any:
            raise self.error

        return run

    def __getattr__(self, name: str) -> Any:
        def fail(*_: Any, **__: Any) -> Any:
            raise self.error

        return fail


def test_a_lost_connection_is_reported_never_silent(engine: Any) -> None:
    s = engine.stream(now=NOW, store=RedisWindowStore(client=_Down()))
    rep = s.push(order(id="o1", ip="1.1.1.1", created_at="2025-06-10T08:00:00+08:00"), kind="order")
    assert rep.decision == "review" and not rep.violations
    assert [e.rule for e in rep.errors] == ["burst.ip_burst"]
    assert rep.errors[0].message.startswith("window store unavailable: Error 111 connecting to localhost:6390")
    # no window rule read the store (no ip): the entries could still not be written, and the report says so
    rep = s.push(order(id="o2", ip=None, created_at="2025-06-10T08:01:00+08:00"), kind="order")
    assert rep.errors == []  # joins no window: nothing to write


def test_snapshots_are_refused_with_the_reason(engine: Any, tmp_path: Path) -> None:
    s = engine.stream(now=NOW, store=RedisWindowStore(client=fakeredis.FakeRedis()))
    with pytest.raises(ValueError, match="use Redis persistence"):
        s.snapshot(tmp_path / "state.json")


# ---- a real server: two consumers ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """The redis-server of RULEKIT_REDIS_URL (.ci/run starts one), else one of our own on a free port;
    RULEKIT_REDIS_TESTS=1 makes the absence of both fail."""
    given = os.environ.get("RULEKIT_REDIS_URL")
    if given:
        yield given
        return
    server = shutil.which("redis-server")
    if server is None:
        if os.environ.get("RULEKIT_REDIS_TESTS") == "1":
            pytest.fail("redis-server is not installed (apt install redis-server)")
        pytest.skip("redis-server is not installed")
    with redis_server(server) as port:
        yield f"redis://127.0.0.1:{port}/0"


CONSUMER = r'''
import json, sys
from datetime import datetime
import rulekit
from rulekit.runtime.windows.redis_store import RedisWindowStore
engine = rulekit.load(sys.argv[1])
store = RedisWindowStore(url=sys.argv[2], prefix=sys.argv[3])
stream = engine.stream(now=datetime.fromisoformat(sys.argv[4]), store=store)
for line in open(sys.argv[5], encoding="utf-8"):
    o = json.loads(line)
    print(json.dumps(stream.push(o, kind="order").model_dump(mode="json"), ensure_ascii=False, sort_keys=True))
'''


def test_two_processes_share_one_stream(tmp_path: Path, redis_url: str) -> None:
    policy = write(tmp_path, "p.rule", POLICY)
    orders = stream_orders(400, 6, seed=3)
    # the stream is split by window key, as a message queue partitions it: each consumer gets some IPs
    parts = [[o for o in orders if int(o["ip"].rsplit(".", 1)[1]) % 2 == k] for k in (0, 1)]
    files = []
    for k, part in enumerate(parts):
        f = tmp_path / f"part{k}.jsonl"
        f.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in part), encoding="utf-8")
        files.append(f)
    script = tmp_path / "consumer.py"
    script.write_text(CONSUMER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    prefix = f"two-{uuid.uuid4().hex}"  # a fresh stream, also on a server other tests share
    procs = [subprocess.Popen([sys.executable, script, policy, redis_url, prefix, NOW.isoformat(), f],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for f in files]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    combined = sorted(line for out, _ in outs for line in out.splitlines())
    single = sorted(json.dumps(r, ensure_ascii=False, sort_keys=True) for r in
                    (rep.model_dump(mode="json") for rep in _reports_objects(policy, orders)))
    assert combined == single
    assert sum('"violations": []' not in line for line in combined) > 10


def _reports_objects(policy: Path, orders: list[dict[str, Any]]) -> list[Any]:
    s = rulekit.load(policy).stream(now=NOW)
    return [s.push(o, kind="order") for o in orders]


def test_lint_with_a_redis_window_store(tmp_path: Path, redis_url: str) -> None:
    from tests.helpers import run_cli

    orders = REPO / "examples" / "orders.jsonl"
    args = ("lint", "--now", NOW.isoformat(), "--format", "jsonl", orders)
    memory = run_cli(*args).stdout
    shared = run_cli(*args, "--window-store", f"{redis_url}?prefix=lint-{uuid.uuid4().hex}").stdout
    assert shared == memory and shared.count("\n") == 31
    down = run_cli(*args, "--window-store", "redis://127.0.0.1:1/0")
    reps = [json.loads(line) for line in down.stdout.splitlines()]
    assert len(reps) == 31  # every record still has its report
    assert any(e["message"].startswith("window store unavailable") for r in reps for e in r["errors"])
