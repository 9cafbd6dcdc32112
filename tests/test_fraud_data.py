"""The bundled fraud policies on the real labelled purchases (../shared/data/fraud_orders): the issue's targets.

Skipped when the data is absent (users clone the project without ../shared)."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path
from types import ModuleType

import pytest

from tests.helpers import REPO

TOOL = REPO / "tools" / "fraud_orders.py"


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fraud_orders", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def orders() -> list[dict]:
    tool = _tool()
    if not Path(tool.DEFAULT_DATA).exists():
        pytest.skip(f"no labelled purchases at {tool.DEFAULT_DATA}")
    return tool.convert(Path(tool.DEFAULT_DATA), err=io.StringIO())


def test_the_bundled_policies_meet_the_targets_with_members(orders: list[dict]) -> None:
    rows = {r[0]: r for r in _tool().evaluate(orders, [])}
    _, tp, flagged, own_tp, own_flagged, positives = rows["any fraud rule"]
    assert positives == 2867 and len(orders) == 30189
    assert tp / flagged >= 0.95 and tp / positives >= 0.45  # the moonshot: precision ≥ 0.95 at recall ≥ 0.45
    # naming the members of a burst is what gets there: the rules' own reports alone stay near a third
    assert own_tp / positives < 0.35 < tp / positives


def test_every_order_named_in_order_ids_is_a_real_order(orders: list[dict]) -> None:
    ids = {o["id"] for o in orders}
    for own, named in _tool().flags(orders[:5000], []).values():
        assert own <= named <= ids
