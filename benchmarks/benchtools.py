"""Helpers shared by the benchmark scripts: a checkout of an earlier rulekit, and writing a results table."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def worktree(ref: str) -> Path:
    """A checkout of `ref` in a temporary folder (git worktree), for a baseline; `remove_worktree` when done."""
    path = Path(tempfile.mkdtemp(prefix="rulekit-baseline-"))
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-f", str(path), ref], check=True,
                   capture_output=True)
    return path


def remove_worktree(path: Path) -> None:
    subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(path)], capture_output=True)


def emit(lines: list[str], title: str, out: Path, write: bool) -> None:
    """Print the table; with `write`, also save it to `out` under `# title`."""
    text = "\n".join(lines) + "\n"
    print(text)
    if write:
        out.write_text(f"# {title}\n\n" + text, encoding="utf-8")
