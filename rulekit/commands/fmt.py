"""`rulekit fmt [--check]`: rewrite policy files in the canonical layout (idempotent, comments kept)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from rulekit.commands.common import authored_paths, configuration
from rulekit.diagnostics import render
from rulekit.paths import expand
from rulekit.syntax.formatter import format_text


def run(a: argparse.Namespace) -> int:
    """The exit code of `fmt_paths` over the paths given."""
    return fmt_paths(authored_paths(a, configuration(a)), a.check, sys.stdout)


def fmt_paths(paths: Sequence[str], check: bool, out: TextIO, err: TextIO | None = None) -> int:
    """0 when nothing changed (or was rewritten), 1 when `--check` finds a file to reformat, 2 when a file
    cannot be read or parsed (or a path names nothing)."""
    err = err if err is not None else sys.stderr
    found = expand(paths, (".rule",))
    status = 0
    for p in found.missing:
        print(f"{p}: no such file or directory", file=err)
        status = 2
    for path, _root in found.files:
        name = str(path)
        try:
            raw = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as e:
            print(f"{name}: cannot read: {e}", file=err)
            status = 2
            continue
        formatted, diags = format_text(raw, name)
        if formatted is None:
            for d in diags:
                print(render(d, {name: raw.removeprefix("\ufeff")}), file=err)
            status = 2
            continue
        if formatted == raw:
            continue
        if check:
            print(f"would reformat {name}", file=out)
            status = max(status, 1)
        else:
            path.write_bytes(formatted.encode("utf-8"))
            print(f"reformatted {name}", file=out)
    return status
