"""`rulekit explain`: for one record of a file, each rule's outcome and each sub-expression's value."""

from __future__ import annotations

import argparse
import sys

from rulekit.commands.common import EXIT_OK, EXIT_USAGE, configuration, load_engine, parse_now, policy_paths, selection
from rulekit.commands.inputs import inputs_of
from rulekit.commands.lint import typed_input


def run(a: argparse.Namespace) -> int:
    """0 when the record was explained (also when it is invalid: that is the explanation), 2 otherwise."""
    now = parse_now(a.now)
    config = configuration(a)
    select, ignore = selection(a, config)
    inputs = inputs_of(a)
    engine = load_engine(policy_paths(a.policies, config), select=select, ignore=ignore, severity=config.severity,
                         absent=inputs.absent)
    if engine is None:
        return EXIT_USAGE
    inputs.check(engine.program.registry, a.subject)
    records = inputs.records(a.file, engine.program.registry)
    rec_in = next((r for i, r in enumerate(records, 1) if i == a.index), None)
    if rec_in is None:
        print(f"{a.file}: no record number {a.index}", file=sys.stderr)
        return EXIT_USAGE
    where = f"{rec_in.source}:{rec_in.line}"
    if rec_in.data is None:
        print(f"{where}: {rec_in.error}")
        return EXIT_OK
    data, kind, problem = typed_input(engine, rec_in, inputs.adapter.kind if inputs.adapter else a.subject)
    if data is None:
        print(f"{where}: {problem}")
        return EXIT_OK
    sys.stdout.write(engine.explain(data, kind=kind, now=now).render(where))
    return EXIT_OK
