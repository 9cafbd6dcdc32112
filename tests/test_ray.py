"""Ray Data: the reports of `lint --executor ray` and `lint_dataset` are those of one `lint` process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.helpers import REPO, run_cli

ray = pytest.importorskip("ray")
pa = pytest.importorskip("pyarrow")

CST = timezone(timedelta(hours=8))
NOW = datetime(2025, 6, 10, 12, tzinfo=CST)
EXAMPLES = [REPO / "examples" / f for f in ("listings.jsonl", "orders.jsonl", "products.jsonl", "tickets.jsonl")]


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        yield
    finally:
        ray.shutdown()


def single(*files: Path, subject: str | None = None) -> list[str]:
    args = ["lint", "--now", NOW.isoformat(), "--format", "jsonl", *files] + (["--subject", subject] if subject else [])
    return run_cli(*args).stdout.splitlines()


def test_lint_dataset_gives_the_single_process_reports(local_ray: None) -> None:
    from rulekit.batch.ray import lint_dataset, read_inputs

    files = [str(f) for f in EXAMPLES]
    out = lint_dataset(read_inputs(files), now=NOW, sources=files, concurrency=2).sort(["_file", "_line"])
    rows = out.take_all()
    assert [r["json"] for r in rows] == single(*EXAMPLES)  # order windows ran in one ordered task
    blocked = [r for r in rows if r["decision"] == "block"]
    assert blocked and all(isinstance(v["rule"], str) for r in blocked for v in r["violations"])
    fraud = [v for r in rows for v in r["violations"] if v["rule"].startswith("fraud.")]
    assert fraud, "the window rules fired, in order"


def test_a_kind_without_windows_runs_on_every_worker(local_ray: None, tmp_path: Path) -> None:
    import rulekit
    from rulekit.batch import ArrowLinter
    from rulekit.batch.ray import lint_dataset, routing

    assert routing(rulekit.load(), "listing") == (False, frozenset({"order"}))
    lines = (REPO / "examples" / "listings.jsonl").read_text(encoding="utf-8").splitlines() * 20
    table = pa.table({"_file": [0] * len(lines), "_line": list(range(1, len(lines) + 1)), "text": lines})
    ds = ray.data.from_arrow(table).repartition(8)
    out = lint_dataset(ds, now=NOW, kind="listing", sources=["l.jsonl"], concurrency=2).sort(["_file", "_line"])
    direct = ArrowLinter(now=NOW, kind="listing", sources=["l.jsonl"])(table)
    assert [r["json"] for r in out.take_all()] == direct.column("json").to_pylist()


def test_the_cli_writes_jsonl_in_input_order_and_typed_parquet(tmp_path: Path) -> None:
    out = tmp_path / "reports.jsonl"
    r = run_cli("lint", "--executor", "ray", "--jobs", "2", "--now", NOW.isoformat(), "-o", out, *EXAMPLES)
    assert r.returncode == 1, r.stderr  # there are errors among the findings, as for a single process
    assert out.read_text(encoding="utf-8").splitlines() == single(*EXAMPLES)
    assert "records of kinds with window rules (order) run in one ordered task" in r.stderr
    pq_out = tmp_path / "reports.parquet"
    r = run_cli("lint", "--executor", "ray", "--subject", "listing", "--now", NOW.isoformat(), "-o", pq_out,
                EXAMPLES[0])
    assert "`listing` has no window rules: its records run on 2 workers" in r.stderr
    import pyarrow.parquet as pq

    table = pq.read_table(pq_out)
    assert table.schema.field("violations").type.value_type.field("rule").type == pa.string()
    assert table.column("json").to_pylist() == single(EXAMPLES[0], subject="listing")
    flagged = table.filter(pa.compute.equal(table.column("decision"), "block"))
    assert flagged.num_rows == sum(json.loads(x)["decision"] == "block" for x in single(EXAMPLES[0]))


def test_options_that_need_one_process_are_refused(tmp_path: Path) -> None:
    for extra in (["--format", "text"], ["--baseline", "b.json"], ["--fix", "o.jsonl"]):
        r = run_cli("lint", "--executor", "ray", *extra, EXAMPLES[0])
        assert r.returncode == 2 and "--executor ray" in r.stderr, (extra, r.stderr)


