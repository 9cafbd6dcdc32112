"""`rulekit schema KIND`: the JSON Schema of a record type, for upstream systems to validate before they send."""

from __future__ import annotations

import argparse
import json
import sys

from rulekit.commands.common import EXIT_OK, EXIT_USAGE, UsageError, configuration, policy_paths, print_diagnostics
from rulekit.loader import load_program
from rulekit.records.jsonschema import json_schema
from rulekit.suggest import did_you_mean


def run(a: argparse.Namespace) -> int:
    """Print the schema; 2 when the policies have errors or the type is unknown."""
    program = load_program(policy_paths(a.policies, configuration(a)))
    if not program.ok:
        print_diagnostics(program.diagnostics, program.sources, sys.stderr)
        return EXIT_USAGE
    reg = program.registry
    if a.kind not in reg.types or not reg.types[a.kind].is_input:
        hint = did_you_mean(a.kind, [t.name for t in reg.input_types()])
        raise UsageError(f"unknown record type `{a.kind}`" + (f"; {hint}" if hint else ""))
    print(json.dumps(json_schema(reg, a.kind), ensure_ascii=False, indent=2))
    return EXIT_OK
