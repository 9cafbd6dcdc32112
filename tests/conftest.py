"""pytest configuration of the test suite: the `pytester` fixture, and a parse cache of the suite's own."""

import os
import tempfile

pytest_plugins = ["pytester"]

# the suite (and the commands it runs) caches parses in a folder of its own, never in the user's cache
os.environ.setdefault("RULEKIT_CACHE_DIR", tempfile.mkdtemp(prefix="rulekit-test-cache-"))
