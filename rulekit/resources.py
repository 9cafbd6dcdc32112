"""Locates the data shipped with the package: the grammar and the standard policies."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    """`name` inside the installed package (wheel), else beside it (source checkout)."""
    for base in (_HERE, _HERE.parent):
        candidate = base / name
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"rulekit is installed without its {name!r} data")


def grammar_path() -> Path:
    """The Lark grammar of the policy language."""
    return _find("grammar") / "rulekit.lark"


def builtin_records_path() -> Path:
    """The declarations of the built-in record types (RECORDS.md)."""
    return _HERE / "records" / "builtin.rule"


def standard_policies() -> Path:
    """The bundled standard shop-policy library (`policies/`)."""
    return _find("policies")
