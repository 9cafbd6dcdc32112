"""`rulekit check`: parse and type-check policies; diagnostics with carets (LANGUAGE §8)."""

from __future__ import annotations

import argparse
import sys

from rulekit.commands.common import EXIT_FAIL, EXIT_OK, authored_paths, configuration, plural, print_diagnostics
from rulekit.loader import load_program


def run(a: argparse.Namespace) -> int:
    """0 when the policies have no errors (warnings allowed), 1 otherwise."""
    program = load_program(authored_paths(a, configuration(a)))
    errors, warnings = print_diagnostics(program.diagnostics, program.sources, sys.stdout)
    files = len(program.sources)
    if errors:
        print(f"{plural(errors, 'error')}, {plural(warnings, 'warning')} in {plural(files, 'file')}")
        return EXIT_FAIL
    print(f"ok: {plural(files, 'file')}, {plural(len(program.rules()), 'rule')}"
          + (f", {plural(warnings, 'warning')}" if warnings else ""))
    return EXIT_OK
