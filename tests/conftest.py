"""pytest configuration of the test suite: `pytester`, a cache of the suite's own, and `cache_at`, a test's own."""

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from rulekit import cache

pytest_plugins = ["pytester"]

# the suite (and the commands it runs) caches parses in a folder of its own, never in the user's cache
os.environ.setdefault("RULEKIT_CACHE_DIR", tempfile.mkdtemp(prefix="rulekit-test-cache-"))


@pytest.fixture
def cache_at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A user cache of the test's own, empty."""
    where = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_DIR, str(where))
    monkeypatch.delenv(cache.ENV_OFF, raising=False)
    cache.cache_dir.cache_clear()
    yield where
    cache.cache_dir.cache_clear()
