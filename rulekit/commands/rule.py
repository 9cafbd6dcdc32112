"""`rulekit rule ID`: what a rule checks — title, severity, policy, file:line, message, the source it cites, its knobs."""

from __future__ import annotations

import argparse

from rulekit.commands.common import EXIT_OK, EXIT_USAGE, UsageError, configuration, load_engine, policy_paths
from rulekit.ruledoc import rule_help
from rulekit.suggest import did_you_mean


def run(a: argparse.Namespace) -> int:
    """Print the rule; 2 when it is unknown or the policies do not load."""
    engine = load_engine(policy_paths(a.policies, configuration(a)))
    if engine is None:
        return EXIT_USAGE
    help_ = rule_help(engine.program, a.id)
    if help_ is None:
        hint = did_you_mean(a.id, [r.id for r in engine.rules()])
        raise UsageError(f"unknown rule `{a.id}`" + (f"; {hint}" if hint else ""))
    print(help_.text())
    if help_.uri:
        print(f"  docs      {help_.uri}")
    return EXIT_OK
