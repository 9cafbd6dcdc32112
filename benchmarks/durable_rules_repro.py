"""Reproduces what we found about durable_rules for windowed rules: session cap, wall-clock timers, throughput.

Usage: python benchmarks/durable_rules_repro.py   (needs `pip install durable-rules`; standalone, no rulekit)

Each finding runs in its own child process: durable_rules keeps rulesets in process-global state, and one of
the findings is a crash.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections import deque
from typing import Any

# ---- findings (each runs in a child: `python durable_rules_repro.py --child NAME`) -----------------------------


def session_cap() -> None:
    """One session (`sid`) per key: how many distinct sessions one ruleset holds, and whether a second one has its own."""
    from durable.lang import count, m, post, ruleset, when_all

    with ruleset("cap_a"):

        @when_all(count(5), m.kind == "order")
        def burst_a(c: Any) -> None:
            pass

    with ruleset("cap_b"):

        @when_all(count(5), m.kind == "order")
        def burst_b(c: Any) -> None:
            pass

    held = 0
    for i in range(5_000):
        try:
            post("cap_a", {"sid": f"ip-{i}", "id": i, "kind": "order"})
        except MemoryError:
            print(
                f"ruleset cap_a: the post for distinct session #{i + 1} raised MemoryError; {held} sessions were held"
            )
            break
        held += 1
    else:
        print("ruleset cap_a: no error in 5,000 distinct sessions")
    try:
        post("cap_a", {"sid": "ip-0", "id": 10_000, "kind": "order"})
        print("ruleset cap_a: posting to an existing session still works after the error")
    except Exception as e:  # noqa: BLE001
        print(f"ruleset cap_a: posting to an existing session fails too: {type(e).__name__} {e}")
    other = 0
    for i in range(2_000):
        try:
            post("cap_b", {"sid": f"ip-{i}", "id": i, "kind": "order"})
        except MemoryError:
            break
        other += 1
    print(f"ruleset cap_b: {other} sessions before its own MemoryError (the cap is per ruleset)")


DELETE_STATE_SCRIPT = """
import sys
from durable.lang import count, delete_state, m, post, ruleset, when_all

with ruleset("crash"):
    @when_all(count(5), m.kind == "order")
    def burst(c):
        pass

n = int(sys.argv[1])
for i in range(n):
    post("crash", {"sid": "ip-%d" % i, "id": i, "kind": "order"})
print("%d sessions created; delete_state('crash', 'ip-0') ..." % n, flush=True)
delete_state("crash", "ip-0")
print("delete_state returned", flush=True)
try:
    post("crash", {"sid": "new", "id": n, "kind": "order"})
    print("a new session after the delete: accepted", flush=True)
except MemoryError:
    print("a new session after the delete: MemoryError (the slot was not freed)", flush=True)
"""


def delete_state_crash() -> None:
    """Freeing a session would be the way around the cap: does delete_state free a slot?"""
    for n in (10, 1_024):
        for attempt in range(1, 4):
            proc = subprocess.run([sys.executable, "-c", DELETE_STATE_SCRIPT, str(n)], capture_output=True, text=True)
            lines = proc.stdout.strip().splitlines()
            status = f"killed by signal {-proc.returncode}" if proc.returncode < 0 else f"exit status {proc.returncode}"
            print(f"{n} sessions, run {attempt}: {' / '.join(lines[1:]) or 'nothing after the call'} ({status})")


AFTER_CAP_SCRIPT = """
import time
from durable.lang import count, m, post, ruleset, when_all

with ruleset("after_cap"):
    @when_all(count(5), m.kind == "order")
    def burst(c):
        pass

for i in range(2_000):
    try:
        post("after_cap", {"sid": "ip-%d" % i, "id": i, "kind": "order"})
    except MemoryError:
        print("MemoryError at distinct session #%d" % (i + 1), flush=True)
        break
time.sleep(3)
print("still alive 3 s later", flush=True)
"""


def crash_after_cap() -> None:
    """After the MemoryError, is the process still usable? (durable_rules runs a timer thread in the background.)"""
    for attempt in range(1, 6):
        proc = subprocess.run(
            [sys.executable, "-X", "faulthandler", "-c", AFTER_CAP_SCRIPT], capture_output=True, text=True
        )
        lines = proc.stdout.strip().splitlines()
        status = f"killed by signal {-proc.returncode}" if proc.returncode < 0 else f"exit status {proc.returncode}"
        where = re.search(r"durable/(\w+\.py)\", line (\d+) in (\w+)", proc.stderr)
        crashed_in = f"; crashed in durable/{where[1]} line {where[2]}, {where[3]}()" if where else ""
        print(f"run {attempt}: {' / '.join(lines) or 'no output'} ({status}{crashed_in})")


def wall_clock_timers() -> None:
    """A window needs a clock; durable_rules' only clock is the wall clock of its timers (`time(NULL)` in C)."""
    from durable.lang import m, post, ruleset, timeout, when_all

    fired: list[float] = []
    start = time.monotonic()

    with ruleset("clock"):

        @when_all(m.kind == "start")
        def begin(c: Any) -> None:
            c.start_timer("window", 2)  # seconds of wall time; there is no event-time variant

        @when_all(timeout("window"))
        def window_closed(c: Any) -> None:
            fired.append(time.monotonic() - start)

        @when_all(m.kind == "order")
        def order(c: Any) -> None:
            pass

    post("clock", {"id": 0, "kind": "start", "t": 0})
    # Two hours of event time, replayed at once: no timer can see it.
    for i in range(1, 121):
        post("clock", {"id": i, "kind": "order", "t": i * 60_000_000})
    print(
        f"posted 120 orders spanning 2 hours of event time in {time.monotonic() - start:.3f} s of wall time;"
        f" the 2 s timer has fired {len(fired)} times"
    )
    deadline = time.monotonic() + 10
    while not fired and time.monotonic() < deadline:
        time.sleep(0.05)
    if fired:
        print(f"the timer fired {fired[0]:.2f} s of wall time after the start, whatever the orders' event times")
    else:
        print("the timer did not fire within 10 s of wall time")


def throughput() -> None:
    """Events/s for the per-IP `count(5)` rule (1,000 IPs, under the cap) against a per-key deque on the same orders."""
    import random

    from durable.lang import count, m, post, ruleset, when_all

    rnd = random.Random(7)
    n = 50_000
    ips = [f"10.0.{i // 256}.{i % 256}" for i in range(1_000)]
    orders = [(rnd.choice(ips), 1_748_736_000_000_000 + i * 30_000) for i in range(n)]

    fired_dr = 0

    with ruleset("speed"):

        @when_all(count(5), m.kind == "order")
        def burst(c: Any) -> None:
            nonlocal fired_dr
            fired_dr += 1

    c0 = time.process_time()
    for i, (ip, t) in enumerate(orders):
        post("speed", {"sid": ip, "id": i, "kind": "order", "t": t})
    dr = n / (time.process_time() - c0)

    within = 600_000_000
    windows: dict[str, deque[int]] = {}
    exp_t: deque[int] = deque()
    exp_k: deque[str] = deque()
    fired_dq = 0
    c0 = time.process_time()
    for ip, t in orders:
        dq = windows.get(ip)
        if dq is None:
            windows[ip] = dq = deque()
        dq.append(t)
        exp_t.append(t)
        exp_k.append(ip)
        while exp_t[0] <= t - within:
            exp_t.popleft()
            key = exp_k.popleft()
            old = windows[key]
            old.popleft()
            if not old:
                del windows[key]
        if len(dq) >= 5:
            fired_dq += 1
    dq_rate = n / (time.process_time() - c0)
    print(
        f"{n:,} orders over 1,000 IPs: durable_rules {dr:,.0f} orders/s (CPU), per-key deque {dq_rate:,.0f} orders/s"
        f" ({dq_rate / dr:.0f}x); fired {fired_dr:,} (batches of 5, no window) vs {fired_dq:,} (sliding 10 minutes)"
    )


FINDINGS = {
    "session_cap": session_cap,
    "crash_after_cap": crash_after_cap,
    "delete_state_crash": delete_state_crash,
    "wall_clock_timers": wall_clock_timers,
    "throughput": throughput,
}


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        FINDINGS[sys.argv[2]]()
        return 0
    try:
        from importlib.metadata import version

        print(f"durable-rules {version('durable-rules')}, Python {sys.version.split()[0]}")
    except Exception as e:  # noqa: BLE001
        print(f"durable_rules is not installed: {type(e).__name__}: {e}")
        return 1
    for name, fn in FINDINGS.items():
        print(f"\n## {name}: {fn.__doc__}")
        proc = subprocess.run([sys.executable, __file__, "--child", name], capture_output=True, text=True, timeout=600)
        out = proc.stdout.strip()
        if out:
            print(out)
        if proc.returncode != 0:
            signal = f" (signal {-proc.returncode})" if proc.returncode < 0 else ""
            print(f"-> the child process exited with status {proc.returncode}{signal}")
            err = [line for line in proc.stderr.strip().splitlines() if line.strip()]
            if err:
                print(f"   last stderr line: {err[-1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
