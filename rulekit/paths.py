"""Expands the paths given on a command line into the files they stand for."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Expanded:
    """Files found (each with the root it was found under), and the paths that named nothing."""

    files: list[tuple[Path, Path]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)  # directories holding no file of the wanted kinds


def expand(paths: Iterable[str | Path], suffixes: tuple[str, ...]) -> Expanded:
    """A directory stands for its files with one of `suffixes` (case-insensitive), recursively and sorted, and
    is their root; a file stands for itself (whatever its suffix) with its directory as root; `-` is kept as
    is. Each file is listed once, in the order first named."""
    out = Expanded()
    seen: set[Path] = set()

    def add(f: Path, root: Path) -> None:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            out.files.append((f, root))

    for raw in paths:
        p = Path(raw)
        if str(raw) == "-":
            out.files.append((p, Path(".")))
        elif p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.suffix.lower() in suffixes and f.is_file())
            if not found:
                out.empty.append(str(raw))
            for f in found:
                add(f, p)
        elif p.is_file():
            add(p, p.parent)
        else:
            out.missing.append(str(raw))
    return out
