"""A checked program read from the user cache loads its syntax trees when first used, and is the program checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import rulekit
from rulekit import cache
from rulekit.checker import Program, deferred
from rulekit.loader import load_program
from rulekit.resources import standard_policies
from tests.helpers import NOW, REPO, listing

EXAMPLES = REPO / "examples"


def _objects(program: Program) -> list[object]:
    """The program and every policy, rule and wordlist of it: the objects whose trees may be deferred."""
    out: list[object] = [program]
    for p in program.policies:
        out += [p, *p.rules, *p.wordlists.values()]
    return out


def _pending(program: Program) -> list[bool]:
    return [deferred._pending(x) is not None for x in _objects(program)]


def _fresh_and_cached() -> tuple[Program, Program]:
    fresh = load_program((standard_policies(),))  # checks and stores
    return fresh, load_program((standard_policies(),))


def test_a_cached_program_defers_its_trees_and_equals_the_checked_one(cache_at: Path) -> None:
    fresh, cached = _fresh_and_cached()
    assert not any(_pending(fresh))
    assert all(_pending(cached))
    assert cached.rules()[0].id == fresh.rules()[0].id and all(_pending(cached))  # descriptors are read at once
    assert cached.versions() == fresh.versions() and all(_pending(cached))
    assert cached.policies[0].node == fresh.policies[0].node  # the first tree read loads them all
    assert not any(_pending(cached))
    assert cached == fresh and cached.tests == fresh.tests
    for a, b in zip(_objects(cached), _objects(fresh), strict=True):
        for name in type(a)._deferred:  # type: ignore[attr-defined]
            assert getattr(a, name) == getattr(b, name)


def test_linting_with_a_cached_plan_reads_no_tree(cache_at: Path) -> None:
    rulekit.load()  # fills the cache: the checked program and the plan's image
    engine = rulekit.load()
    before = _pending(engine.program)
    assert all(before)
    reports = [engine.evaluate(json.loads(line), kind="listing", now=NOW).to_json()
               for line in (EXAMPLES / "listings.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert reports and all(_pending(engine.program))
    engine.explain(listing(title="全网最低价 最好的面膜"), kind="listing", now=NOW)  # explaining reads the trees
    assert not any(_pending(engine.program))


def test_a_restricted_program_keeps_its_trees_deferred(cache_at: Path) -> None:
    fresh, cached = _fresh_and_cached()
    keep = {r.id for r in fresh.rules()[::3]}
    severity = {r.id: "info" for r in fresh.rules()[::6]}
    a = fresh.restricted(keep.__contains__, severity)
    b = cached.restricted(keep.__contains__, severity)
    assert all(_pending(b)) and all(_pending(cached))
    assert [(r.id, r.descriptor.severity) for r in b.rules()] == [(r.id, r.descriptor.severity) for r in a.rules()]
    assert [r.when for r in b.rules()] == [r.when for r in a.rules()]
    assert b == a and b.key == a.key


def test_damaged_program_bytes_are_refused_and_checked_again(cache_at: Path) -> None:
    fresh = load_program((standard_policies(),))
    (path,) = sorted(cache_at.rglob("program/*.pickle"))
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF  # inside the trees, which are read only later: the digest catches it now
    path.write_bytes(bytes(data))
    again = load_program((standard_policies(),))
    assert not any(_pending(again)) and again == fresh  # checked again, not read
    assert all(_pending(load_program((standard_policies(),))))  # and stored again


def test_threads_reading_the_trees_at_once_see_one_tree(cache_at: Path) -> None:
    _, cached = _fresh_and_cached()
    seen: list[object] = []
    barrier = threading.Barrier(4)

    def read() -> None:
        barrier.wait()
        seen.append(cached.policies[-1].rules[-1].node)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 4 and all(x is seen[0] for x in seen)


def test_a_missing_attribute_is_an_attribute_error(cache_at: Path) -> None:
    _, cached = _fresh_and_cached()
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        cached.policies[0].nothing  # noqa: B018
    assert not any(_pending(cached))  # (looking for it loaded the trees: they might have held it)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        cached.policies[0].nothing  # noqa: B018


_RUN = """
import json, sys
import rulekit.cli
try:
    rulekit.cli.main(["lint", "--format", "jsonl", "--now", "2025-06-10T12:00:00+08:00", sys.argv[1]])
except SystemExit:
    pass
with open(sys.argv[2], "w") as fh:
    json.dump(sorted(sys.modules), fh)
"""

#: What a run whose program and plan come from the cache does not import: the syntax trees' classes, Lark, the
#: checker and the code generator.
_COMPILE_TIME = {"rulekit.syntax.nodes", "rulekit.syntax.visitor", "lark", "rulekit.checker.policyset",
                 "rulekit.checker.reads", "rulekit.compiler.generate", "rulekit.compiler.expression",
                 "rulekit.compiler.codegen", "rulekit.builtins"}


def test_a_lint_from_the_cache_imports_no_compile_time_module(cache_at: Path, tmp_path: Path) -> None:
    one = tmp_path / "one.jsonl"
    one.write_text((EXAMPLES / "listings.jsonl").read_text(encoding="utf-8").splitlines()[0] + "\n", "utf-8")
    env = {**os.environ, cache.ENV_DIR: str(cache_at)}
    env.pop(cache.ENV_OFF, None)
    outputs, imported = [], []
    for run in range(3):  # fills the cache, then twice from it
        mods = tmp_path / f"modules{run}.json"
        done = subprocess.run([sys.executable, "-c", _RUN, str(one), str(mods)], capture_output=True, text=True,
                              env=env, cwd=REPO, check=True)
        outputs.append(done.stdout)
        imported.append(set(json.loads(mods.read_text())))
    assert _COMPILE_TIME <= imported[0]  # the first run compiled
    assert not _COMPILE_TIME & imported[1] and not _COMPILE_TIME & imported[2]
    assert outputs[0] == outputs[1] == outputs[2] and '"kind":"listing"' in outputs[0]
