"""Finds `.rule` files, parses and checks them as one policy set."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rulekit.checker import Program, check
from rulekit.diagnostics import Diagnostic, Span
from rulekit.syntax import nodes as n
from rulekit.syntax.parser import parse


def policy_files(paths: Iterable[str | Path]) -> tuple[list[tuple[Path, Path]], list[Diagnostic]]:
    """Expand paths to `(file, policy root)` pairs: a directory is read recursively in sorted
    order and is the root of its files; a file's root is its own directory."""
    out: list[tuple[Path, Path]] = []
    diags: list[Diagnostic] = []
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*.rule") if f.is_file())
            if not files:
                diags.append(Diagnostic("E006", f"no .rule files under `{p}`", Span(str(p), 0, 0, 0, 0)))
            for f in files:
                if f.resolve() not in seen:
                    seen.add(f.resolve())
                    out.append((f, p))
        elif p.is_file():
            if p.resolve() not in seen:
                seen.add(p.resolve())
                out.append((p, p.parent))
        else:
            diags.append(Diagnostic("E006", f"no such file or directory: `{p}`", Span(str(p), 0, 0, 0, 0)))
    return out, diags


def load_program(paths: Iterable[str | Path]) -> Program:
    """Parse and check a policy set; every diagnostic is in `Program.diagnostics`."""
    files, diags = policy_files(paths)
    parsed: list[n.SourceFile] = []
    sources: dict[str, str] = {}
    roots: dict[str, Path] = {}
    for f, root in files:
        name = str(f)
        try:
            text = f.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            diags.append(Diagnostic("E006", f"cannot read `{f}`: {e}", Span(name, 0, 0, 0, 0)))
            continue
        sources[name] = text
        roots[name] = root
        sf, ds = parse(text, name)
        diags += ds
        if sf is not None:
            parsed.append(sf)
    program = check(parsed, sources, roots)
    program.diagnostics[:0] = diags
    return program
