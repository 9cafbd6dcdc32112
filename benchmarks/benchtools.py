"""Helpers shared by the benchmark scripts: a checkout of an earlier rulekit, a results table, the figures as JSON."""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

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


def figures_option(ap: argparse.ArgumentParser) -> None:
    """`--figures FILE`: the script also writes its measured figures there as JSON (what `targets.py` reads)."""
    ap.add_argument("--figures", type=Path, help="also write the measured figures to this file as JSON")


def save_figures(path: Path | None, figures: dict[str, Any]) -> None:
    """Write `figures` as JSON to `path` (the `--figures` option), if given."""
    if path is not None:
        path.write_text(json.dumps(figures, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
