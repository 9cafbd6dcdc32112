"""`rulekit check`: parse and type-check policies; diagnostics with carets, as JSON or as SARIF (LANGUAGE §8)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rulekit import __version__
from rulekit.commands.common import (
    EXIT_FAIL,
    EXIT_OK,
    authored_paths,
    configuration,
    plural,
    print_diagnostics,
)
from rulekit.diagnostics import Diagnostic, sort_key
from rulekit.io import sarif
from rulekit.loader import load_program


def run(a: argparse.Namespace) -> int:
    """0 when the policies have no errors (with `--strict`, no warnings either), 1 otherwise."""
    program = load_program(authored_paths(a, configuration(a)))
    diags = sorted(program.diagnostics, key=sort_key)
    errors = sum(d.is_error for d in diags)
    warnings = len(diags) - errors
    failed = errors > 0 or (a.strict and warnings > 0)
    files, rules = len(program.sources), len(program.rules())
    if a.format == "json":
        doc = {"ok": not failed, "files": files, "rules": rules, "errors": errors, "warnings": warnings,
               "diagnostics": [_diagnostic(d) for d in diags]}
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    elif a.format == "sarif":
        print(json.dumps(_sarif(diags), ensure_ascii=False, indent=2))
    else:
        print_diagnostics(diags, program.sources, sys.stdout)
        if failed:
            print(f"{plural(errors, 'error')}, {plural(warnings, 'warning')} in {plural(files, 'file')}"
                  + (" (--strict: warnings fail)" if a.strict and not errors else ""))
        else:
            print(f"ok: {plural(files, 'file')}, {plural(rules, 'rule')}"
                  + (f", {plural(warnings, 'warning')}" if warnings else ""))
    return EXIT_FAIL if failed else EXIT_OK


def _diagnostic(d: Diagnostic) -> dict[str, Any]:
    s = d.span
    return {"file": s.file, "line": s.line, "column": s.col, "end_line": s.end_line, "end_column": s.end_col,
            "code": d.code, "severity": d.severity, "message": d.message, "help": d.help}


def _sarif(diags: list[Diagnostic]) -> dict[str, Any]:
    codes = sorted({d.code for d in diags})
    results = []
    for d in diags:
        s = d.span
        region = {"startLine": max(s.line, 1), "startColumn": max(s.col, 1)}
        if s.end_line >= s.line and s.end_col > 0:
            region |= {"endLine": max(s.end_line, 1), "endColumn": max(s.end_col, 1)}
        results.append({"ruleId": d.code, "ruleIndex": codes.index(d.code),
                        "level": "error" if d.is_error else "warning",
                        "message": {"text": d.message + (f" ({d.help})" if d.help else "")},
                        "locations": [{"physicalLocation": {"artifactLocation": sarif.artifact_location(s.file),
                                                            "region": region}}]})
    rules = [{"id": c, "name": c, "shortDescription": {"text": f"rulekit diagnostic {c}"},
              "help": {"text": f"{c}: an example and the fix are in rulekit's docs/diagnostics.md"}} for c in codes]
    return sarif.log([sarif.run_object(results, rules, __version__)])
