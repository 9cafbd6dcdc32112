"""Input readers and output formats of `rulekit lint` (each imported when first used: a run reads only its own)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "FORMATS": "formats", "Summary": "formats", "located": "formats", "report_json": "formats",
    "write_github": "formats", "write_json": "formats", "write_jsonl": "formats", "write_reports": "formats",
    "write_text": "formats", "rule_stub": "pairs", "STDIN_NAME": "readers", "InputRecord": "readers",
    "read_records": "readers", "write_sarif": "sarif",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'rulekit.io' has no attribute {name!r}")
    return getattr(import_module(f"rulekit.io.{module}"), name)
