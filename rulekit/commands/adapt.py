"""`rulekit adapt`: run an adapter over platform data and write the records it makes as JSON lines."""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from typing import Any, TextIO

from rulekit.adapters import AdapterError, bundled_adapters, read_adapter
from rulekit.commands.common import (
    EXIT_FAIL,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    configuration,
    policy_paths,
    print_diagnostics,
)
from rulekit.commands.inputs import inputs_of
from rulekit.loader import load_program


def run(a: argparse.Namespace) -> int:
    """0 when every record converted, 1 when some could not be (named on stderr), 2 for usage."""
    if a.list:
        return _list(sys.stdout)
    inputs = inputs_of(a)
    if inputs.adapter is None:
        raise UsageError("--adapter is required (`rulekit adapt --list` shows the shipped ones)")
    if not a.files:
        raise UsageError("give the files to convert (- reads standard input)")
    program = load_program(policy_paths(a.policies, configuration(a)), inputs.absent and
                           {k: frozenset(v) for k, v in inputs.absent.items()})
    if not program.ok:
        print_diagnostics(program.diagnostics, program.sources, sys.stderr)
        return EXIT_USAGE
    inputs.check(program.registry, None)
    note = inputs.note(program)
    if note:
        print(f"rulekit adapt: {note}", file=sys.stderr)
    out = sys.stdout if a.output is None else open(a.output, "w", encoding="utf-8")  # noqa: SIM115
    failed = converted = 0
    try:
        for f in a.files:
            try:
                records = inputs.records(f, program.registry)
                for rec in records:
                    if rec.data is None:
                        failed += 1
                        print(f"{rec.source}:{rec.line}: {rec.error}", file=sys.stderr)
                        continue
                    converted += 1
                    out.write(dumps(rec.data) + "\n")
            except OSError as e:
                raise UsageError(f"cannot read {f}: {e.strerror or e}") from None
    finally:
        if out is not sys.stdout:
            out.close()
    print(f"rulekit adapt: {converted} record{'s' * (converted != 1)} converted"
          + (f", {failed} could not be" if failed else ""), file=sys.stderr)
    return EXIT_FAIL if failed else EXIT_OK


def _list(out: TextIO) -> int:
    for name, path in bundled_adapters().items():
        try:
            ad = read_adapter(path)
        except AdapterError as e:
            print(f"{name}: {e}", file=out)
            continue
        print(f"{name:28} {ad.kind:11} {ad.input:6} {ad.title}", file=out)
    return EXIT_OK


def dumps(value: Any) -> str:
    """One JSON text with exact numbers: a Decimal is written as its digits (`12.50`), never through float."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)}: {dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)
