"""`rulekit explain`: for one record of a file, each rule's outcome and each sub-expression's value."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta

from rulekit.commands.common import (
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    configuration,
    load_engine,
    parse_duration,
    parse_now,
    policy_paths,
    selection,
)
from rulekit.commands.inputs import inputs_of, push_input, typed_input


def run(a: argparse.Namespace) -> int:
    """0 when the record was explained (also when it is invalid: that is the explanation), 2 otherwise."""
    if a.index < 1:
        raise UsageError(f"--index counts records from 1, not {a.index}")
    now = parse_now(a.now)
    config = configuration(a)
    select, ignore = selection(a, config)
    late = a.lateness or config.lateness
    lateness = parse_duration(late, "--lateness") if late else timedelta(0)
    inputs = inputs_of(a)
    engine = load_engine(policy_paths(a.policies, config), lateness, select=select, ignore=ignore,
                         severity=config.severity, absent=inputs.absent)
    if engine is None:
        return EXIT_USAGE
    inputs.check(engine.program.registry, a.subject)
    subject = inputs.adapter.kind if inputs.adapter else a.subject
    known = {r.id for r in engine.rules()}
    for r in a.rule or ():
        if r not in known and not any(k.startswith(r + ".") for k in known):
            raise UsageError(f"--rule {r}: no such rule or policy among the selected rules")
    # records 1..N-1 go through the stream first, exactly as `lint` pushes them, so windows hold what they held
    stream = engine.stream(now=now, lateness=lateness)
    rec_in = None
    for i, rec in enumerate(inputs.records(a.file, engine.program.registry), 1):
        if i == a.index:
            rec_in = rec
            break
        push_input(engine, stream, rec, subject, inputs.adapter is not None)
    if rec_in is None:
        print(f"{a.file}: no record number {a.index}", file=sys.stderr)
        return EXIT_USAGE
    where = f"{rec_in.source}:{rec_in.line}"
    if rec_in.data is None:
        problem = rec_in.error or "unreadable record"
    else:
        data, kind, problem = typed_input(engine, rec_in, subject)
    if problem is not None:
        if a.format == "json":
            print(json.dumps({"where": where, "index": a.index, "invalid": problem}, ensure_ascii=False, indent=2))
        else:
            print(f"{where}: {problem}")
        return EXIT_OK
    x = engine.explain(data, kind=kind, now=now, stream=stream, rules=a.rule or None)
    if a.format == "json":
        doc = {"where": where, "index": a.index, **x.to_dict()}
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(x.render(where))
    return EXIT_OK
