"""The fuzzing suite, bounded for CI (RULEKIT_FUZZ_EXAMPLES raises the budget; tools/fuzz.py runs long campaigns):
generated and mutated policies load or fail with PolicyError only, format to a fixed point and evaluate without
raising; generated near-valid records give one valid report each."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import fuzzgen

EXAMPLES = int(os.environ.get("RULEKIT_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=20_000, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def seeds() -> list[str]:
    return fuzzgen.seeds()


@FUZZ
@given(seed=st.integers(0, 2**32))
def test_generated_policies(tmp_path: Path, seed: int) -> None:
    problem = fuzzgen.check_policy(fuzzgen.policy(random.Random(seed)), tmp_path)
    assert problem is None, f"seed {seed}: {problem}"


@FUZZ
@given(seed=st.integers(0, 2**32))
def test_generated_well_typed_policies(tmp_path: Path, seed: int) -> None:
    problem = fuzzgen.check_policy(fuzzgen.typed_policy(random.Random(seed)), tmp_path, must_load=True)
    assert problem is None, f"seed {seed}: {problem}"


@FUZZ
@given(seed=st.integers(0, 2**32))
def test_mutated_real_policies(tmp_path: Path, seeds: list[str], seed: int) -> None:
    rnd = random.Random(seed)
    problem = fuzzgen.check_policy(fuzzgen.mutate(rnd, rnd.choice(seeds)), tmp_path)
    assert problem is None, f"seed {seed}: {problem}"


@settings(max_examples=max(EXAMPLES // 4, 5), deadline=60_000,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32), fmt=st.sampled_from(["jsonl", "json", "csv"]))
def test_generated_records(tmp_path: Path, seed: int, fmt: str) -> None:
    lines = fuzzgen.record_lines(random.Random(seed), fuzzgen.templates(), 40)
    problem = fuzzgen.check_records(lines, tmp_path, fmt)
    assert problem is None, f"seed {seed}: {problem}"
