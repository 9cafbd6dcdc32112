"""Benchmarks the window store against a hand-written per-key deque floor and durable_rules on one burst rule.

Usage: python benchmarks/bench_windows.py [--events N] [--durable-events N] [--repeat R] [--no-durable] [--no-engine]
       [--write]

The rule: fire when an IP has placed >= 5 orders in the last 10 minutes (event time, window `(t - 10m, t]`).
Each variant runs in its own child process (fresh heap, its own peak RSS) on the same deterministic stream.
Throughput is CPU time, the median of R interleaved rounds (busy neighbours matter less than with wall time);
memory is the tracemalloc peak of a separate run (Python heap) and the growth of the peak RSS over the first
run (which also sees C heaps such as durable_rules'). The table is printed, and with --write saved to
benchmarks/results_windows.md. The exit status is 1 when a variant fires differently from the floor.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchtools import figures_option, save_figures

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results_windows.md"

WITHIN = 600_000_000  # 10 minutes in microseconds
THRESHOLD = 5
T0 = 1_748_736_000_000_000  # 2025-06-01T00:00:00Z in microseconds

# The stream: Zipf-like popularity (s = 0.6) over 50,000 IPs, a mean 30 ms between orders (~20,000 orders in a
# 10-minute window), and 3% of the orders in bursts of 5-15 orders from one IP within 1-8 minutes.
N_IPS = 50_000
ZIPF_S = 0.6
GAP_US = 30_000
BURST_SHARE = 0.03
SEED = 20250601

Events = tuple[list[str], list[int]]


def make_orders(n: int, seed: int = SEED) -> Events:
    """`n` orders as (ips, times), times non-decreasing; the same for a given seed."""
    rnd = random.Random(seed)
    pool = [
        f"{rnd.randrange(1, 224)}.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}"
        for _ in range(N_IPS)
    ]
    cum = list(itertools.accumulate(1.0 / (rank**ZIPF_S) for rank in range(1, N_IPS + 1)))
    n_burst = int(n * BURST_SHARE)
    chosen = rnd.choices(pool, cum_weights=cum, k=n - n_burst)
    stream: list[tuple[int, str]] = []
    t = T0
    for ip in chosen:
        t += int(rnd.expovariate(1.0 / GAP_US))
        stream.append((t, ip))
    end = max(t, T0 + 1)
    left = n_burst
    while left > 0:
        size = min(left, rnd.randint(5, 15))
        left -= size
        ip = pool[rnd.randrange(N_IPS)]
        start = rnd.randrange(T0, end)
        span = rnd.randint(60, 480) * 1_000_000
        stream.extend((start + rnd.randrange(span), ip) for _ in range(size))
    stream.sort()
    return [ip for _, ip in stream], [t for t, _ in stream]


# ---- (a) the floor ------------------------------------------------------------------------------------------


def floor(ips: list[str], times: list[int]) -> int:
    """A hand-written per-key deque plus one global expiry deque: about the least Python can do for this rule."""
    windows: dict[str, deque[int]] = {}
    exp_t: deque[int] = deque()
    exp_k: deque[str] = deque()
    fired = 0
    for ip, t in zip(ips, times, strict=True):
        dq = windows.get(ip)
        if dq is None:
            windows[ip] = dq = deque()
        dq.append(t)
        exp_t.append(t)
        exp_k.append(ip)
        cutoff = t - WITHIN
        while exp_t[0] <= cutoff:
            exp_t.popleft()
            key = exp_k.popleft()
            old = windows[key]
            old.popleft()
            if not old:
                del windows[key]
        if len(dq) >= THRESHOLD:
            fired += 1
    return fired


# ---- (b) MemoryWindowStore ----------------------------------------------------------------------------------


def _store() -> Any:
    from rulekit.runtime.windows import MemoryWindowStore, WindowSpec

    store = MemoryWindowStore()
    store.register(WindowSpec("ip_burst", "count", WITHIN, "order"))
    return store


def _keys(ips: list[str]) -> list[tuple[str]]:
    return [(ip,) for ip in ips]  # the engine passes key tuples


def store_api(keys: list[tuple[str]], times: list[int]) -> int:
    """The generic API, per subject: add, count, advance (what generated code calls through the store)."""
    store = _store()
    add, count, advance = store.add, store.count, store.advance
    fired = 0
    for key, t in zip(keys, times, strict=True):
        add("ip_burst", key, t)
        if count("ip_burst", key, t) >= THRESHOLD:
            fired += 1
        advance(t)
    return fired


def store_handle(keys: list[tuple[str]], times: list[int]) -> int:
    """A window handle bound once (as a stream binds them), per subject: add, count, advance for the kind."""
    store = _store()
    handle = store.window("ip_burst")
    add, count = handle.add, handle.count
    advance = store.advance
    fired = 0
    for key, t in zip(keys, times, strict=True):
        add(key, t)
        if count(key, t) >= THRESHOLD:
            fired += 1
        advance(t, "order")
    return fired


# ---- the engine ---------------------------------------------------------------------------------------------

BURST_POLICY = """policy bench "突发下单" {
  rule ip_burst "同IP短时大量下单" on order {
    severity error
    let n = count(order by ip within 10m)
    when order.ip is not null and n >= 5
    message "IP {order.ip} 在10分钟内下单 {n} 笔"
  }
}
"""


def engine_variant(events: Events, validate: str = "full") -> dict[str, Any] | None:
    """ENGINE PLUG-IN POINT: the rulekit engine on the same rule; None while `rulekit.load` is not available.

    Records are built in chunks outside the timed part; only `Stream.push` is timed (CPU time).
    """
    try:
        from rulekit import load  # type: ignore[attr-defined]
    except ImportError:
        return None
    ips, times = events
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "burst.rule").write_text(BURST_POLICY, encoding="utf-8")
        engine = load(tmp)
    stream = engine.stream(now=datetime(2025, 6, 30, tzinfo=UTC), validate=validate)
    push = stream.push
    base = {
        "shop_id": "S-1",
        "buyer_id": "B-1",
        "device_id": None,
        "region": "浙江",
        "category": "食品",
        "items": [],
        "total": 12,
        "shipping_fee": 0,
        "claims_free_shipping": False,
        "weight": 1.0,
        "status": "paid",
    }
    fired = 0
    cpu = 0.0
    for start in range(0, len(ips), 10_000):
        records = [
            dict(base, id=f"O-{i}", ip=ips[i], created_at=datetime.fromtimestamp(times[i] / 1e6, UTC).isoformat())
            for i in range(start, min(start + 10_000, len(ips)))
        ]
        c0 = time.process_time()
        for rec in records:
            if push(rec, kind="order").violations:
                fired += 1
        cpu += time.process_time() - c0
    return {"fired": fired, "cpu": cpu, "events": len(ips)}


# ---- (c) durable_rules --------------------------------------------------------------------------------------


def durable_sessions(ips: list[str], times: list[int]) -> dict[str, Any]:
    """One durable_rules session per IP (`sid` = ip), `count(5)` orders: its idiomatic per-key form.

    durable_rules has no event time: its only clock is `time(NULL)` in timers, so the 10-minute window cannot
    be expressed on replayed events; what remains is "5 orders from one IP". Stops at the first error.
    """
    from durable.lang import count, m, post, ruleset, when_all

    fired = 0

    with ruleset("burst_sessions"):

        @when_all(count(THRESHOLD), m.kind == "order")
        def burst(c: Any) -> None:
            nonlocal fired
            fired += 1

    done = 0
    error = None
    seen: set[str] = set()
    c0 = time.process_time()
    for i, (ip, t) in enumerate(zip(ips, times, strict=True)):
        try:
            post("burst_sessions", {"sid": ip, "id": i, "kind": "order", "t": t})
        except Exception as e:  # noqa: BLE001 - recorded, not hidden
            error = f"{type(e).__name__}{e.args or ''} at order #{i + 1}, distinct IPs so far {len(seen) + (ip not in seen)}"
            break
        seen.add(ip)
        done += 1
    result = {
        "fired": fired,
        "cpu": time.process_time() - c0,
        "events": done,
        "error": error,
        "distinct_ips": len(seen),
    }
    _early(result)
    return result


def durable_burst_ruleset(name: str, on_match: Callable[[Any], None]) -> None:
    """A durable_rules ruleset: 5 orders from one IP within 10 minutes, as a correlated sequence (`c.e1`…`c.e5`)."""
    from durable.lang import c, m, ruleset, when_all

    with ruleset(name):
        when_all(
            c.e1 << (m.kind == "order"),
            c.e2 << (m.kind == "order") & (m.ip == c.e1.ip) & (m.t >= c.e1.t),
            c.e3 << (m.kind == "order") & (m.ip == c.e1.ip) & (m.t >= c.e2.t),
            c.e4 << (m.kind == "order") & (m.ip == c.e1.ip) & (m.t >= c.e3.t),
            c.e5 << (m.kind == "order") & (m.ip == c.e1.ip) & (m.t >= c.e4.t) & (m.t < c.e1.t + WITHIN),
        )(on_match)


def durable_single(ips: list[str], times: list[int]) -> dict[str, Any]:
    """One session for every IP; the burst as a correlated sequence of 5 orders from one IP within 10 minutes.

    Closest durable_rules gets to the event-time rule: the times are fields compared in the pattern. Matched
    events are consumed (a match is 5 orders, not a sliding count), and unmatched ones are never evicted.
    """
    from durable.lang import post

    fired = 0

    def burst(c: Any) -> None:
        nonlocal fired
        fired += 1

    durable_burst_ruleset("burst_single", burst)

    done = 0
    error = None
    rates: list[float] = []
    c0 = time.process_time()
    last = c0
    for i, (ip, t) in enumerate(zip(ips, times, strict=True)):
        try:
            post("burst_single", {"id": i, "kind": "order", "ip": ip, "t": t})
        except Exception as e:  # noqa: BLE001 - recorded, not hidden
            error = f"{type(e).__name__}{e.args or ''} at order #{i + 1}"
            break
        done += 1
        if done % 10_000 == 0:
            now = time.process_time()
            rates.append(10_000 / (now - last))
            last = now
    result = {"fired": fired, "cpu": time.process_time() - c0, "events": done, "error": error, "rates": rates}
    _early(result)
    return result


# ---- running one variant in a child process -----------------------------------------------------------------


def _early(result: dict[str, Any]) -> None:
    """Report a result on stderr at once: durable_rules' timer thread may still kill the process afterwards."""
    print("RESULT " + json.dumps(result), file=sys.stderr, flush=True)


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


PYTHON_VARIANTS: dict[str, Callable[[Any, list[int]], int]] = {
    "floor": floor,
    "store_api": store_api,
    "store_handle": store_handle,
}


def _python_variants(ips: list[str], times: list[int], repeat: int, engine: bool = True) -> dict[str, dict[str, Any]]:
    """The floor, the store variants and the engine (both validation modes) in one process, taking turns round by
    round (the order alternating), so load that drifts hits them alike; the median of the rounds is kept."""
    import rulekit.runtime.windows  # noqa: F401 - imported before any clock starts

    keys = _keys(ips)
    inputs = {name: (ips if name == "floor" else keys) for name in PYTHON_VARIANTS}
    gc.collect()
    gc.freeze()  # the input lists are not part of what is measured
    names = list(PYTHON_VARIANTS) + (["engine", "engine_read"] if engine else [])
    cpus: dict[str, list[float]] = {name: [] for name in names}
    out: dict[str, dict[str, Any]] = {name: {"events": len(ips)} for name in names}
    for r in range(repeat):
        for name in names if r % 2 == 0 else names[::-1]:
            if name.startswith("engine"):
                res = engine_variant((ips, times), "read" if name == "engine_read" else "full")
                if res is None:
                    out[name] = {"skipped": "rulekit.load is not available"}
                    continue
                cpus[name].append(res["cpu"])
                out[name]["fired"] = res["fired"]
            else:
                c0 = time.process_time()
                fired = PYTHON_VARIANTS[name](inputs[name], times)
                cpus[name].append(time.process_time() - c0)
                out[name]["fired"] = fired
            gc.collect()
    for name in names:
        if cpus[name]:
            out[name]["cpu"] = statistics.median(cpus[name])
    for name, fn in PYTHON_VARIANTS.items():
        tracemalloc.start()
        fn(inputs[name], times)
        out[name]["heap_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return out


def run_child(variant: str, n: int, repeat: int) -> dict[str, Any]:
    events = make_orders(n)
    ips, times = events
    if variant in ("python", "python_no_engine"):
        return _python_variants(ips, times, repeat, engine=variant == "python")
    if variant in ("engine", "engine_read"):
        gc.collect()
        gc.freeze()
        rss0 = _maxrss_mib()
        res = engine_variant(events, "read" if variant == "engine_read" else "full")
        if res is None:
            return {"skipped": "rulekit.load is not available"}
        return {"fired": res["fired"], "cpu": res["cpu"], "events": n, "rss_growth_mib": _maxrss_mib() - rss0}
    if variant in ("durable_sessions", "durable_single"):
        try:
            import durable.lang  # noqa: F401
        except Exception as e:  # noqa: BLE001 - an sdist with a C core: building or loading it may fail
            return {"skipped": f"durable_rules not usable: {type(e).__name__}: {e}"}
        gc.collect()
        gc.freeze()
        rss0 = _maxrss_mib()
        res = (durable_sessions if variant == "durable_sessions" else durable_single)(ips, times)
        return dict(res, rss_growth_mib=_maxrss_mib() - rss0)
    raise SystemExit(f"unknown variant {variant}")


def spawn(variant: str, n: int, repeat: int) -> dict[str, Any]:
    cmd = [sys.executable, "-X", "faulthandler", str(Path(__file__).resolve()), "--child", variant]
    cmd += ["--events", str(n), "--repeat", str(repeat)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode == 0:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    how = f"killed by signal {-proc.returncode}" if proc.returncode < 0 else f"exit status {proc.returncode}"
    early = [line[7:] for line in proc.stderr.splitlines() if line.startswith("RESULT ")]
    if early:
        result = json.loads(early[-1])
        where = re.search(r"durable/(\w+\.py)\", line (\d+) in (\w+)", proc.stderr)
        result["crash"] = f"then the process was {how}" + (
            f" in durable/{where[1]} line {where[2]}, {where[3]}()" if where else ""
        )
        return result
    tail = [line for line in proc.stderr.strip().splitlines() if line.strip()]
    return {"skipped": f"{how}: {tail[-1] if tail else '(no output)'}"}


# ---- report -------------------------------------------------------------------------------------------------

LABELS = {
    "floor": "(a) floor: hand-written per-key deque + expiry deque",
    "store_api": "(b) MemoryWindowStore: add + count + advance per subject",
    "store_handle": "(b) MemoryWindowStore: window handle, add + count + advance",
    "engine": "rulekit engine: Stream.push, burst policy (end to end)",
    "engine_read": "rulekit engine: Stream.push, burst policy, validate=\"read\" (end to end)",
    "durable_sessions": "(c) durable_rules 2.0.28: session per IP, count(5)",
    "durable_single": "(c) durable_rules 2.0.28: one session, 5-order sequence within 10m",
}


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for pkg in ("rulekit", "durable-rules"):
        try:
            out.append(f"{pkg} {version(pkg)}")
        except PackageNotFoundError:
            out.append(f"{pkg} not installed")
    return ", ".join(out)


def render(rows: dict[str, dict[str, Any]], args: argparse.Namespace) -> str:
    base = rows["floor"]
    base_rate = base["events"] / base["cpu"]
    lines = [
        "# Window store benchmark",
        "",
        f"`python benchmarks/bench_windows.py --events {args.events} --durable-events {args.durable_events} --repeat {args.repeat}`"
        f" on {platform.python_implementation()} {platform.python_version()}, {platform.machine()}, {_versions()},"
        f" {datetime.now(UTC):%Y-%m-%d}.",
        "",
        f"Rule: fire when one IP has >= {THRESHOLD} orders in the last 10 minutes. Stream: {args.events:,} orders,"
        f" Zipf-like (s = {ZIPF_S}) over {N_IPS:,} IPs, mean {GAP_US // 1000} ms apart, {BURST_SHARE:.0%} in bursts"
        f" of 5-15 orders from one IP within 1-8 minutes, seed {SEED}, times increasing.",
        "Events/s from CPU time. The floor, the store variants and the engine (its records built outside the timed"
        f" part) run in one child process, taking turns ({args.repeat} rounds, the order alternating, the median"
        " kept), so load that drifts hits them alike; heap peak is tracemalloc's over one more run. durable_rules"
        " runs once in its own child; RSS growth is the rise of that child's peak RSS during the run (C heaps"
        " included).",
        f"1-minute load average at start / end: {args.load_start:.2f} / {args.load_end:.2f} on {os.cpu_count()} CPUs"
        + (" (above the CPU count: other processes shared the machine and every rate is deflated; the ratios hold"
           " better than the rates)." if max(args.load_start, args.load_end) > (os.cpu_count() or 1) else "."),
        "",
        "| variant | events | events/s | × floor | heap peak (MiB) | RSS growth (MiB) | fired | note |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for variant, r in rows.items():
        label = LABELS[variant]
        if "skipped" in r:
            lines.append(f"| {label} | – | – | – | – | – | – | {r['skipped']} |")
            continue
        rate = r["events"] / r["cpu"] if r["cpu"] else float("nan")
        heap = f"{r['heap_peak_mib']:.1f}" if "heap_peak_mib" in r else "–"
        rss = f"{r['rss_growth_mib']:.1f}" if "rss_growth_mib" in r else "–"
        note = r.get("note", "")
        if r.get("error"):
            note = (note + "; " if note else "") + f"stopped: {r['error']}"
        if r.get("crash"):
            note = (note + "; " if note else "") + r["crash"]
        if r.get("rates"):
            first, last = r["rates"][0], r["rates"][-1]
            note = (
                note + "; " if note else ""
            ) + f"{first:,.0f} ev/s over the first 10k, {last:,.0f} over the last 10k"
        lines.append(
            f"| {label} | {r['events']:,} | {rate:,.0f} | {rate / base_rate:.2f} | {heap} | {rss}"
            f" | {r['fired']:,} | {note} |"
        )
    lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--durable-events", type=int, default=50_000, help="cap for the one-session durable_rules run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-durable", action="store_true")
    parser.add_argument("--no-engine", action="store_true")
    parser.add_argument("--write", action="store_true", help=f"write the table to {RESULTS.name}")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    figures_option(parser)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args.child, args.events, args.repeat)))
        return 0

    args.load_start = os.getloadavg()[0]
    print(f"running the floor and the store variants on {args.events:,} events ...", file=sys.stderr, flush=True)
    rows: dict[str, dict[str, Any]] = dict(spawn("python_no_engine" if args.no_engine else "python", args.events,
                                                 args.repeat))
    others: list[str] = []
    if not args.no_durable:
        others += ["durable_sessions", "durable_single"]
    for variant in others:
        n = min(args.events, args.durable_events) if variant == "durable_single" else args.events
        print(f"running {variant} on {n:,} events ...", file=sys.stderr, flush=True)
        rows[variant] = spawn(variant, n, 1)
    args.load_end = os.getloadavg()[0]
    expected = rows["floor"].get("fired")
    for variant in ("store_api", "store_handle", "engine", "engine_read"):
        r = rows.get(variant)
        if r and "skipped" not in r:
            r["note"] = "same fires as the floor" if r["fired"] == expected else f"MISMATCH: floor fired {expected:,}"
    if "durable_sessions" in rows and "skipped" not in rows["durable_sessions"]:
        rows["durable_sessions"]["note"] = "no event time: counts 5 orders per IP, no window"
    if "durable_single" in rows and "skipped" not in rows["durable_single"]:
        rows["durable_single"]["note"] = (
            f"capped at {rows['durable_single']['events']:,} events; matches consume their 5 orders"
        )
    text = render(rows, args)
    print(text)
    if args.write:
        RESULTS.write_text(text, encoding="utf-8")
        print(f"written to {RESULTS}", file=sys.stderr)
    mismatch = any("MISMATCH" in r.get("note", "") for r in rows.values())
    save_figures(args.figures, {"events": args.events, "mismatch": mismatch, "events_per_s": {
        k: r["events"] / r["cpu"] for k, r in rows.items() if r.get("cpu") and "skipped" not in r}})
    return 1 if mismatch else 0


if __name__ == "__main__":
    sys.exit(main())
