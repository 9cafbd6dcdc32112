"""`rulekit test [--coverage]`: run the `test` blocks of policies; last line `N passed, M failed`."""

from __future__ import annotations

import argparse
import xml.etree.ElementTree as ET
from pathlib import Path

from rulekit.commands.common import (
    EXIT_FAIL,
    EXIT_OK,
    EXIT_USAGE,
    authored_paths,
    configuration,
    load_engine,
    selection,
)
from rulekit.testing import TestResult, coverage, named_rules, run_test


def run(a: argparse.Namespace) -> int:
    """0 when every test passes, 1 otherwise, 2 when the policies do not load."""
    config = configuration(a)
    select, ignore = selection(a, config)
    engine = load_engine(authored_paths(a, config), select=select, ignore=ignore, severity=config.severity)
    if engine is None:
        return EXIT_USAGE
    kept = {r.id for r in engine.rules()}
    # with a selection, a test block runs when every rule it names is selected
    blocks = [(path, t) for path, t in engine.program.tests
              if (not (select or ignore) or all(rule in kept for rule in named_rules(t)))
              and (a.keyword is None or a.keyword.lower() in t.name.lower())]
    deselected = len(engine.program.tests) - len(blocks)
    results = [run_test(engine, path, t) for path, t in blocks]
    passed = failed = 0
    for r in results:
        if r.passed:
            passed += 1
            if a.verbose:
                print(f"ok   {r.file}:{r.line}: {r.name}")
        else:
            failed += 1
            print(f"FAIL {r.file}:{r.line}: {r.name}")
            for p in r.problems:
                print(f"     {p}")
    if a.coverage:
        cov = coverage(engine, results)
        ids = [r.id for r in engine.rules()]
        missing = cov.missing(ids)
        full = len(ids) - len(missing)
        pct = 100.0 if not ids else 100.0 * full / len(ids)
        print(f"coverage: {full}/{len(ids)} rules have a firing and a non-firing test ({pct:.0f}%)")
        for rule, what in missing:
            print(f"  {rule}: missing {what}")
    if deselected:
        why = "by -k or the rule selection" if a.keyword else "they name rules that are not selected"
        print(f"{deselected} test{'s' * (deselected != 1)} deselected ({why})")
    if a.junit_xml:
        write_junit(Path(a.junit_xml), results)
    print(f"{passed} passed, {failed} failed")
    return EXIT_OK if failed == 0 else EXIT_FAIL


def write_junit(path: Path, results: list[TestResult]) -> None:
    """The results as JUnit XML (one testcase a `test` block, its problems as the failure text)."""
    suite = ET.Element("testsuite", name="rulekit", tests=str(len(results)),
                       failures=str(sum(not r.passed for r in results)), errors="0", skipped="0")
    for r in results:
        case = ET.SubElement(suite, "testcase", classname=r.file, name=r.name, file=r.file, line=str(r.line))
        if not r.passed:
            failure = ET.SubElement(case, "failure", message=r.problems[0] if r.problems else "failed")
            failure.text = "\n".join(r.problems)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
