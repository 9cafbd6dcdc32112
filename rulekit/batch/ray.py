"""Ray Data for batch lint: `map_batches` over a stateful `ArrowLinter`, window kinds in one ordered task.

Policies are compiled and wordlists built once per actor. Records of kinds without window rules go to
`concurrency` actors in any order; records of kinds with window rules are evaluated in one actor, sorted by their
input position (`_file`, `_line`), so their window state is the one a single `rulekit lint` process builds.
Splitting window kinds by their key is not done: lateness is judged across all keys of a record type (LANGUAGE
§9), so a subject late in one process could be on time in a partition (docs/scale.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rulekit.batch import ArrowLinter, window_kinds

__all__ = ["lint_dataset", "read_inputs", "routing"]


def routing(engine: Any, kind: str | None) -> tuple[bool, frozenset[str]]:
    """(whether some records need the ordered task, the kinds with window rules) for a run of `kind` records."""
    windowed = window_kinds(engine)
    return ((kind in windowed) if kind is not None else bool(windowed)), windowed


def lint_dataset(ds: Any, *, policies: Sequence[str | Path] = (), now: datetime, kind: str | None = None,
                 lateness: timedelta = timedelta(0), select: Sequence[str] = (), ignore: Sequence[str] = (),
                 sources: Sequence[str] = (), concurrency: int = 2, batch_size: int = 2048) -> Any:
    """The dataset of reports (`rulekit.batch.report_schema()`) of a dataset of records.

    Records are JSON lines in a `text` column (exact), or the dataset's own columns; `_file`/`_line` columns, when
    present, order the window kinds' records and come back with the reports (`sort(["_file", "_line"])` restores
    input order). Sets Ray Data's `preserve_order` for the ordered task."""
    import ray

    import rulekit

    engine = rulekit.load(*policies, lateness=lateness, select=select, ignore=ignore)
    ordered, _ = routing(engine, kind)
    args = {"policies": [str(p) for p in policies], "now": now, "kind": kind, "lateness": lateness,
            "select": list(select), "ignore": list(ignore), "sources": list(sources)}
    if not ordered:
        return _linted(ds, args, concurrency, batch_size)
    ray.data.DataContext.get_current().execution_options.preserve_order = True
    names = ds.schema().names
    if kind is not None or "text" not in names:
        return _ordered(ds, args, batch_size)
    # one pass evaluates what needs no order and passes the window kinds' records on; it is computed once
    first = _linted(ds, {**args, "defer_windows": True}, concurrency, batch_size).materialize()
    done = first.filter(lambda row: not row["deferred"])
    later = first.filter(lambda row: row["deferred"]).select_columns(["_file", "_line", "text", "_error"])
    return done.union(_ordered(later, args, batch_size))


#: what one linter actor asks of the scheduler: the number of actors is what uses the cores, and a fraction leaves
#: room for the reading and sorting tasks beside them (a local `ray.init(num_cpus=2)` with 2 actors would stall)
ACTOR_CPUS = 0.5


def _linted(ds: Any, args: dict[str, Any], actors: int, batch_size: int, stateful: bool = False) -> Any:
    """`map_batches` over linter actors. An actor that holds window state is never restarted: a restarted one
    would start with empty windows and give other reports than one process, so its crash fails the run instead."""
    import ray

    extra = {"max_restarts": 0, "max_task_retries": 0} if stateful else {}
    return ds.map_batches(ArrowLinter, fn_constructor_kwargs=args, compute=ray.data.ActorPoolStrategy(size=actors),
                          num_cpus=ACTOR_CPUS, batch_size=batch_size, batch_format="pyarrow", **extra)


def _ordered(ds: Any, args: dict[str, Any], batch_size: int) -> Any:
    names = ds.schema().names
    if "_file" in names and "_line" in names:
        ds = ds.sort(["_file", "_line"])
    return _linted(ds, args, 1, batch_size, stateful=True)


def read_inputs(paths: Sequence[str]) -> Any:
    """A dataset of the records of JSON-lines and Parquet files: `_file`, `_line` and `text` (JSON lines, read as
    `rulekit lint` reads them: a BOM, blank lines and bad bytes are handled the same) or the Parquet columns."""
    import ray

    items = [{"_file": i, "path": str(p)} for i, p in enumerate(paths)]
    jsonl = [x for x in items if not x["path"].lower().endswith(".parquet")]
    parquet = [x for x in items if x["path"].lower().endswith(".parquet")]
    if jsonl and parquet:
        raise ValueError("one run reads either JSON lines or Parquet files, not both")
    if parquet:
        return ray.data.from_items(parquet).flat_map(_parquet_rows, num_cpus=0.25)
    return ray.data.from_items(jsonl).flat_map(_lines, num_cpus=0.25)


def _lines(item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    from rulekit.io.readers import read_records

    for rec in read_records(item["path"], input_format="jsonl"):
        # an unreadable line comes with its reason (`_error`), so the linter reports it as `lint` does
        yield {"_file": item["_file"], "_line": rec.line, "text": rec.raw if rec.data is not None else None,
               "_error": rec.error}


def _parquet_rows(item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    table = pq.read_table(item["path"])
    for i, row in enumerate(table.to_pylist(), start=1):
        yield {"_file": item["_file"], "_line": i, **row}
