"""Expands the paths given on a command line into the files they stand for (gitignore-aware directory walks)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

#: Directories never walked into: environments and dependencies, whatever .gitignore says.
NEVER_WALKED = frozenset({".venv", "venv", "node_modules", "__pycache__", ".git", ".hg", ".svn", ".tox"})


@dataclass
class Expanded:
    """Files found (each with the root it was found under), and what was passed over and why."""

    files: list[tuple[Path, Path]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # paths that name nothing
    empty: list[str] = field(default_factory=list)  # directories holding no file of the wanted kinds
    skipped: list[Path] = field(default_factory=list)  # files of other kinds found while walking
    named: set[Path] = field(default_factory=set)  # files named on their own (not found by walking a directory)


def _gitignore(lines: Sequence[str]) -> GitIgnoreSpec:
    """gitignore rules exactly as git reads them (pathspec, imported only where a .gitignore or --exclude is)."""
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)


class _Ignore:
    """The `exclude` globs and the .gitignore files that apply under a walk."""

    def __init__(self, exclude: Sequence[str], base: Path):
        self.base = base.resolve()
        self.exclude = _gitignore(exclude) if exclude else None
        self.specs: dict[Path, GitIgnoreSpec | None] = {}

    def _spec(self, d: Path) -> GitIgnoreSpec | None:
        if d not in self.specs:
            gi = d / ".gitignore"
            try:
                lines = gi.read_text(encoding="utf-8").splitlines() if gi.is_file() else None
            except (OSError, UnicodeDecodeError):
                lines = None
            self.specs[d] = _gitignore(lines) if lines else None
        return self.specs[d]

    def ignored(self, path: Path, is_dir: bool, root: Path) -> bool:
        """Whether the walk from `root` passes over `path`: an `exclude` glob, or a .gitignore file in `root`
        or a folder between it and `path` ignores it. A folder the user names is walked even when a
        .gitignore above it ignores it (a virtual environment's site-packages, say)."""
        real = path.resolve()
        if self.exclude is not None:
            rel = os.path.relpath(real, self.base).replace(os.sep, "/")
            if not rel.startswith("..") and self.exclude.match_file(rel + ("/" if is_dir else "")):
                return True
        top = root.resolve()
        for d in real.parents:
            spec = self._spec(d)
            if spec is not None and spec.match_file(real.relative_to(d).as_posix() + ("/" if is_dir else "")):
                return True
            if d == top:
                break
        return False


def expand(paths: Iterable[str | Path], suffixes: tuple[str, ...], *, exclude: Sequence[str] = (),
           base: Path | None = None, report_skipped: bool = False) -> Expanded:
    """A directory stands for its files with one of `suffixes` (case-insensitive), sorted, and is their root;
    the walk passes over hidden entries, environments (`.venv`, `venv`, `node_modules`), whatever the
    .gitignore files say and the `exclude` globs (relative to `base`, default the current directory). A file
    named on its own stands for itself (whatever its suffix) with its directory as root; `-` is kept as is.
    Each file is listed once, in the order first named."""
    out = Expanded()
    seen: set[Path] = set()
    rules = _Ignore(exclude, base or Path.cwd())

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
            found = []
            for d, dirs, names in os.walk(p):
                here = Path(d)
                dirs[:] = sorted(x for x in dirs if not x.startswith(".") and x not in NEVER_WALKED
                                 and not rules.ignored(here / x, True, p))
                for name in sorted(names):
                    f = here / name
                    if name.startswith(".") or rules.ignored(f, False, p) or not f.is_file():
                        continue
                    if f.suffix.lower() in suffixes:
                        found.append(f)
                    elif report_skipped:
                        out.skipped.append(f)
            if not found:
                out.empty.append(str(raw))
            for f in sorted(found):
                add(f, p)
        elif p.is_file():
            add(p, p.parent)
            out.named.add(p)
        else:
            out.missing.append(str(raw))
    return out
