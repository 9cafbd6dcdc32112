"""Checks grammar snapshots of the bundled policies (vscode-tmgrammar-snap output): nothing is scoped invalid, and
the first word of every statement (`rule`, `when`, `let`, `message`, `expect`, …) is scoped as a keyword."""

from __future__ import annotations

import re
import sys
from pathlib import Path

STATEMENT = re.compile(r"^\s*(policy|record|test|rule|let|wordlist|table|severity|when|unless|message|action|"
                       r"evidence|version|effective|source|words|allow|match|at|given|expect)\b")


def problems(snap: Path) -> list[str]:
    out: list[str] = []
    source, first_checked = "", True
    for n, line in enumerate(snap.read_text(encoding="utf-8").split("\n"), 1):
        if line.startswith(">"):
            source, first_checked = line[1:], False
            continue
        if not line.startswith("#") or first_checked:
            continue
        if "invalid.illegal" in line:
            out.append(f"{snap.name}:{n}: invalid scope on `{source.strip()}`")
        m = STATEMENT.match(source)
        marks = re.match(r"#(\s*)(\^+)\s+(.*)", line)
        if m is None or marks is None:
            first_checked = m is None
            continue
        if len(marks.group(1)) == m.start(1):  # the token that starts the statement word (`>` and `#` take column 0)
            first_checked = True
            if "keyword" not in marks.group(3):
                out.append(f"{snap.name}:{n}: `{m.group(1)}` is scoped `{marks.group(3)}`, not as a keyword")
    return out


def main(paths: list[str]) -> int:
    found = [p for path in paths for p in problems(Path(path))]
    for p in found:
        print(p, file=sys.stderr)
    print(f"{len(paths)} snapshot(s) checked, {len(found)} problem(s)")
    return 1 if found or not paths else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
