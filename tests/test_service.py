"""examples/order_service.py end to end: killed or stopped mid-stream and started again, it writes what an
uninterrupted run writes."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.helpers import REPO

SERVICE = REPO / "examples" / "order_service.py"
NOW = "2025-06-10T00:00:00+08:00"
N = 8_000


def _orders(path: Path) -> None:
    """N orders over a few days: bursts on shared IPs and devices among ordinary traffic; one bad line."""
    rnd = random.Random(11)
    t = datetime(2025, 6, 1, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    lines = []
    for i in range(N):
        t += timedelta(seconds=rnd.randint(0, 25))
        shared = rnd.random() < 0.05
        lines.append(json.dumps({
            "id": f"O{i}", "shop_id": "S1", "buyer_id": f"B{rnd.randint(0, 400) if shared else i}",
            "ip": f"10.9.0.{rnd.randint(1, 3)}" if shared else f"10.{i % 200}.{i // 200 % 250}.7",
            "device_id": f"D{rnd.randint(0, 5)}" if shared else f"D-{i}", "region": "浙江", "category": "服饰",
            "items": [{"sku": "K", "quantity": 1, "price": "19.90"}], "total": "19.90", "shipping_fee": "8.00",
            "claims_free_shipping": False, "weight": 1, "created_at": t.isoformat(), "status": "paid"},
            ensure_ascii=False))
    lines[N // 2] = "{not json"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _start(tmp: Path, out: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(SERVICE), "--input", str(tmp / "orders.jsonl"), "--output",
                             str(tmp / out), "--state", str(tmp / f"{out}.state"), "--snapshot-every", "700",
                             "--now", NOW], cwd=tmp, stderr=subprocess.PIPE)


def _wait_for_lines(proc: subprocess.Popen[bytes], path: Path, lines: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") >= lines:
            return
        assert proc.poll() is None, "the service ended before it could be interrupted"
        time.sleep(0.02)
    raise AssertionError("the service wrote nothing")


def _run_through(tmp: Path, out: str) -> None:
    proc = _start(tmp, out)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the orders and the output of an uninterrupted run (`whole.jsonl`)."""
    tmp = tmp_path_factory.mktemp("service")
    _orders(tmp / "orders.jsonl")
    _run_through(tmp, "whole.jsonl")
    return tmp


def test_a_killed_service_resumes_and_writes_each_report_once(data: Path) -> None:
    tmp_path = data
    expected = (tmp_path / "whole.jsonl").read_bytes()
    assert expected.count(b"\n") == N  # one report per record, the bad line included
    reports = [json.loads(line) for line in expected.splitlines()]
    assert any(v["rule"] == "fraud.device_many_buyers" for r in reports for v in r["violations"])
    assert "not valid JSON" in json.dumps(reports[N // 2], ensure_ascii=False)

    proc = _start(tmp_path, "killed.jsonl")
    _wait_for_lines(proc, tmp_path / "killed.jsonl", N // 4)
    proc.send_signal(signal.SIGKILL)  # no chance to snapshot: the restart goes back to the last one
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert (tmp_path / "killed.jsonl").read_bytes() != expected
    _run_through(tmp_path, "killed.jsonl")
    assert (tmp_path / "killed.jsonl").read_bytes() == expected


def test_a_stopped_service_snapshots_on_sigterm_and_resumes(data: Path) -> None:
    tmp_path = data
    proc = _start(tmp_path, "stopped.jsonl")
    _wait_for_lines(proc, tmp_path / "stopped.jsonl", N // 3)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    state = json.loads((tmp_path / "stopped.jsonl.state").read_text(encoding="utf-8"))
    consumed = state["meta"]["extra"]["consumed"]
    assert 0 < consumed < N
    assert (tmp_path / "stopped.jsonl").read_bytes().count(b"\n") == consumed  # nothing written past the snapshot
    _run_through(tmp_path, "stopped.jsonl")
    assert (tmp_path / "stopped.jsonl").read_bytes() == (tmp_path / "whole.jsonl").read_bytes()


def test_a_snapshot_of_other_policies_is_refused(data: Path) -> None:
    tmp_path = data
    (tmp_path / "p.rule").write_text('policy p {\n  rule r on order {\n    when count(order by ip within 1h) > 99\n'
                                     '    message "x"\n  }\n}\n', encoding="utf-8")
    r = subprocess.run([sys.executable, str(SERVICE), "-p", "p.rule", "--input", "orders.jsonl", "--output",
                        "other.jsonl", "--state", "whole.jsonl.state", "--now", NOW], cwd=tmp_path, capture_output=True,
                       text=True)
    assert r.returncode == 2 and "another policy set" in r.stderr and "Traceback" not in r.stderr
