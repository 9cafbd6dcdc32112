"""Shared helpers for the checker, engine and CLI tests: write small policy sets into a tmp dir."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from rulekit.loader import load_program

CST = timezone(timedelta(hours=8))
NOW = datetime(2025, 6, 2, 12, 0, tzinfo=CST)
REPO = Path(__file__).resolve().parents[1]


def write(dir: Path, name: str, text: str) -> Path:
    p = dir / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return p


def diags(tmp: Path, text: str, name: str = "p.rule") -> list[Any]:
    """Diagnostics of one policy file."""
    return load_program([write(tmp, name, text)]).diagnostics


def codes(ds: list[Any]) -> list[str]:
    return [d.code for d in ds]


def only(ds: list[Any], code: str) -> list[Any]:
    return [d for d in ds if d.code == code]


def order(**over: Any) -> dict[str, Any]:
    """A valid built-in order (JSON-like), with overrides; a value of `...` removes the field."""
    d: dict[str, Any] = {
        "id": "o1", "shop_id": "S1", "buyer_id": "B1", "ip": "1.1.1.1", "region": "浙江",
        "category": "服饰", "items": [{"sku": "K1", "quantity": 1, "price": 50}],
        "total": 50, "shipping_fee": 0, "claims_free_shipping": False, "weight": 1,
        "created_at": "2025-06-01T10:00:00+08:00", "status": "paid",
    }
    for k, v in over.items():
        if v is ...:
            d.pop(k, None)
        else:
            d[k] = v
    return d


def listing(**over: Any) -> dict[str, Any]:
    """A valid built-in listing (JSON-like), with overrides."""
    return {"id": "L1", "shop_id": "S1", "title": "", "description": "", "category": "服饰", "price": 1,
            "images": [], "published_at": "2025-06-01T10:00:00+08:00", **over}


def matches_policy(rules: dict[str, tuple[str, str]]) -> str:
    """Policy `p` with one rule per name, firing when `matches(listing.FIELD, re"PATTERN")` for its (field,
    pattern)."""
    blocks = [f'  rule {name} on listing {{\n    when matches(listing.{field}, re"{pattern}")\n    message "x"\n  }}'
              for name, (field, pattern) in rules.items()]
    return "policy p {\n" + "\n".join(blocks) + "\n}\n"


def check_matches_as_regex(engine: Any, rules: dict[str, tuple[str, str]], record: dict[str, Any]) -> None:
    """Each rule of `matches_policy(rules)` fires on the listing just when `regex` finds its pattern in its field."""
    import regex

    rep = engine.evaluate(record, kind="listing", now=NOW)
    fired = {v.rule for v in rep.violations} | {e.rule for e in rep.errors}
    for name, (field, pattern) in rules.items():
        assert (f"p.{name}" in fired) == (regex.search(pattern, record[field]) is not None), (name, record[field])


def given_json(**over: Any) -> str:
    """A valid order as the JSON of a `given order {…}` clause, on one line."""
    return json.dumps(order(**over), ensure_ascii=False)


def run_cli(*args: str | Path, input: str | None = None, cwd: Path | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m rulekit ARGS` in `cwd` (default the repository), with `env` added to the environment."""
    return subprocess.run([sys.executable, "-m", "rulekit", *map(str, args)], input=input, capture_output=True,
                          text=True, encoding="utf-8", cwd=cwd or REPO, timeout=120,
                          env={**os.environ, **env} if env else None)


def jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


@contextlib.contextmanager
def redis_server(server: str) -> Iterator[int]:
    """A redis-server of our own on a free local port, without persistence; stopped on exit. Yields the port."""
    import socket

    import redis

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    proc = subprocess.Popen([server, "--port", str(port), "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
