"""Adapters: declarative TOML mappings from a platform's API responses and export files to rulekit's records."""

from __future__ import annotations

from pathlib import Path

from rulekit.adapters.apply import adapt
from rulekit.adapters.converters import CONVERTERS
from rulekit.adapters.mapping import Adapter, AdapterError, read_adapter

__all__ = ["CONVERTERS", "Adapter", "AdapterError", "adapt", "bundled_adapters", "load_adapter"]

_BUNDLED = Path(__file__).resolve().parent / "bundled"


def bundled_adapters() -> dict[str, Path]:
    """The shipped adapters by name (`doudian-export` → its TOML file)."""
    return {p.stem: p for p in sorted(_BUNDLED.glob("*.toml"), key=lambda p: p.stem)}


def load_adapter(name: str) -> Adapter:
    """A shipped adapter by name, or the adapter in a TOML file; AdapterError when it is neither or is invalid."""
    shipped = bundled_adapters()
    if name in shipped:
        return read_adapter(shipped[name])
    path = Path(name)
    if path.suffix.lower() == ".toml" or path.exists():
        if not path.is_file():
            raise AdapterError(f"--adapter {name}: no such adapter file")
        return read_adapter(path)
    from rulekit.suggest import did_you_mean

    hint = did_you_mean(name, list(shipped))
    raise AdapterError(f"--adapter {name}: no such adapter" + (f"; {hint}" if hint else "") +
                       f" (shipped: {', '.join(shipped)}; or give the path of a .toml mapping)")
