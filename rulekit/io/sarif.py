"""SARIF 2.1.0 for `rulekit lint` and `rulekit check`: rules with help, results with baselines, suppressions, columns.

Paths are written relative to a base: `%SRCROOT%` (the working directory) for files under it, and
`RULEKIT_POLICIES` (the installed standard policies) for bundled policy files; both bases are given in
the run's `originalUriBaseIds`. Other files get absolute `file:` URIs. Columns count Unicode code points
(`columnKind`), so an evidence span of a JSON line is the columns of the matched text inside that line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote, unquote

from rulekit.io.baseline import Baseline, finding, sarif_fields
from rulekit.io.pairs import INVALID_INPUT_RULE, Pair, rule_stub
from rulekit.io.readers import STDIN_NAME, InputRecord
from rulekit.io.summary import Summary
from rulekit.io.suppressions import Suppressions, sarif_suppression
from rulekit.resources import standard_policies
from rulekit.ruledoc import RuleHelp
from rulekit.runtime import report as _report
from rulekit.runtime.report import Evidence, Report, RuleDescriptor, Violation, _action_dict, _evidence_dict

SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
BUNDLED = "RULEKIT_POLICIES"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


# --- paths ------------------------------------------------------------------------------------


def base_ids() -> dict[str, Any]:
    """The run's `originalUriBaseIds`: the working directory and the bundled policies, as directory URIs."""
    return {SRCROOT: {"uri": Path.cwd().as_uri().rstrip("/") + "/",
                      "description": {"text": "the working directory of the run"}},
            BUNDLED: {"uri": standard_policies().resolve().as_uri().rstrip("/") + "/",
                      "description": {"text": "rulekit's bundled standard policies"}}}


def artifact_location(source: str) -> dict[str, Any]:
    """An `artifactLocation`: relative to `%SRCROOT%` or `RULEKIT_POLICIES` when under one, else a `file:` URI."""
    if source == STDIN_NAME:
        return {"uri": "stdin"}
    path = Path(os.path.abspath(source))
    for base_id, root in ((BUNDLED, standard_policies().resolve()), (SRCROOT, Path(os.path.abspath(".")))):
        for candidate in (path, path.resolve()):
            if candidate.is_relative_to(root):
                return {"uri": quote(candidate.relative_to(root).as_posix(), safe="/"), "uriBaseId": base_id}
    return {"uri": path.as_uri()}


def display_path(file: str) -> str:
    """A policy file as the help text of a SARIF rule shows it: relative to its base, bundled ones marked so."""
    loc = artifact_location(file)
    base = loc.get("uriBaseId")
    path = unquote(loc["uri"])
    return f"(bundled) {path}" if base == BUNDLED else path


# --- evidence columns -------------------------------------------------------------------------

_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _string_at(raw: str, i: int) -> tuple[str, list[int], int]:
    """The JSON string starting at raw[i] (a `"`): its value, the raw index of each of its code points (and
    of the closing quote), and the index after it."""
    chars: list[str] = []
    starts: list[int] = []
    i += 1
    while raw[i] != '"':
        starts.append(i)
        if raw[i] != "\\":
            chars.append(raw[i])
            i += 1
        elif raw[i + 1] != "u":
            chars.append(_ESCAPES[raw[i + 1]])
            i += 2
        else:
            unit = int(raw[i + 2:i + 6], 16)
            i += 6
            if 0xD800 <= unit < 0xDC00 and raw.startswith("\\u", i):
                low = int(raw[i + 2:i + 6], 16)
                if 0xDC00 <= low < 0xE000:
                    unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
            chars.append(chr(unit))
    starts.append(i)
    return "".join(chars), starts, i + 1


def field_columns(raw: str, key: str) -> tuple[str, list[int]] | None:
    """For a JSON line holding an object, the top-level string field `key`: its value and the 1-based column of
    each of its code points (plus one for the end). None when the line has no such string field."""
    depth, i, expect_key, found = 0, 0, False, None
    try:
        while i < len(raw):
            c = raw[i]
            if c == '"':
                text, starts, after = _string_at(raw, i)
                j = after
                while j < len(raw) and raw[j] in " \t\r":
                    j += 1
                if depth == 1 and expect_key and raw[j:j + 1] == ":":
                    j += 1
                    while raw[j] in " \t\r":
                        j += 1
                    if text == key and raw[j] == '"':
                        value, starts, _ = _string_at(raw, j)
                        found = (value, [s + 1 for s in starts])  # the last key of a name wins, as in json.loads
                    expect_key = False
                    i = j
                    continue
                i = after
                continue
            if c in "{[":
                depth += 1
                expect_key = c == "{" and depth == 1
            elif c in "}]":
                depth -= 1
            elif c == "," and depth == 1:
                expect_key = True
            i += 1
    except (IndexError, KeyError, ValueError):
        return None
    return found


def _regions(record: InputRecord, evidence: Sequence[Evidence]) -> list[tuple[Evidence, dict[str, int]]]:
    """The column regions of evidence in a record's JSON line (top-level string fields only)."""
    out = []
    cache: dict[str, tuple[str, list[int]] | None] = {}
    for e in evidence:
        path = (e.field or "").split(".")[1:]
        if record.raw is None or len(path) != 1:
            continue
        if path[0] not in cache:
            cache[path[0]] = field_columns(record.raw, path[0])
        hit = cache[path[0]]
        value = (record.data or {}).get(path[0])
        if hit is None or hit[0] != value or not 0 <= e.start <= e.end < len(hit[1]):
            continue
        cols = hit[1]
        out.append((e, {"startLine": record.line, "startColumn": cols[e.start], "endColumn": cols[e.end]}))
    return out


# --- the log ----------------------------------------------------------------------------------


def _rule_descriptor(rule: RuleDescriptor, help_: RuleHelp | None) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": rule.title or rule.id,
        "shortDescription": {"text": rule.title or rule.id},
    }
    if rule.message:
        descriptor["fullDescription"] = {"text": rule.message}
    if help_ is not None:
        descriptor["help"] = {"text": help_.text(), "markdown": help_.markdown()}
        if help_.uri:
            descriptor["helpUri"] = help_.uri
    descriptor["defaultConfiguration"] = {"level": _LEVEL.get(rule.severity, "warning")}
    if rule.file:
        descriptor["properties"] = {"policyLocation": {"physicalLocation": {
            "artifactLocation": artifact_location(rule.file), "region": {"startLine": max(rule.line, 1)}}}}
    return descriptor


class _Rules:
    """driver.rules, growing when a result names a rule the caller did not list."""

    def __init__(self, rules: Sequence[RuleDescriptor], helps: Mapping[str, RuleHelp]) -> None:
        self.descriptors: list[dict[str, Any]] = []
        self.index: dict[str, int] = {}
        self.helps = helps
        for rule in rules:
            self.add(rule)
        self.add(rule_stub(INVALID_INPUT_RULE, "invalid input", "error",
                           "An input record could not be read or does not match its record type."))

    def add(self, rule: RuleDescriptor) -> int:
        if rule.id not in self.index:
            self.index[rule.id] = len(self.descriptors)
            self.descriptors.append(_rule_descriptor(rule, self.helps.get(rule.id)))
        return self.index[rule.id]


def _result(rules: _Rules, rule_id: str, severity: str, message: str, record: InputRecord, report: Report,
            properties: dict[str, Any] | None, evidence: Sequence[Evidence] = ()) -> dict[str, Any]:
    regions = _regions(record, evidence)
    physical = {"artifactLocation": artifact_location(record.source),
                "region": regions[0][1] if regions else {"startLine": max(record.line, 1)}}
    location: dict[str, Any] = {"physicalLocation": physical}
    if report.id is not None:
        name = f"{report.kind}/{report.id}" if report.kind else report.id
        location["logicalLocations"] = [{"name": report.id, "fullyQualifiedName": name, "kind": "object"}]
    result: dict[str, Any] = {
        "ruleId": rule_id,
        "ruleIndex": rules.add(rule_stub(rule_id, None, severity)),
        "level": _LEVEL[severity],
        "message": {"text": message},
        "locations": [location],
    }
    if len(regions) > 1:
        result["relatedLocations"] = [
            {"id": k, "message": {"text": f"{e.field}: {e.text}"},
             "physicalLocation": {"artifactLocation": physical["artifactLocation"], "region": region}}
            for k, (e, region) in enumerate(regions[1:], start=1)]
    if properties:
        result["properties"] = properties
    return result


def run_object(results: list[dict[str, Any]], descriptors: list[dict[str, Any]], tool_version: str) -> dict[str, Any]:
    """One SARIF run of rulekit: the driver and its rules, the path bases, code-point columns, the results."""
    return {"tool": {"driver": {"name": "rulekit", "version": tool_version, "rules": descriptors}},
            "invocations": [{"executionSuccessful": True}],
            "originalUriBaseIds": base_ids(),
            "columnKind": "unicodeCodePoints",
            "results": results}


def log(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """A SARIF 2.1.0 log of the runs."""
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": runs}


def sarif_log(pairs: Iterable[Pair], *, tool_version: str, rules: Sequence[RuleDescriptor],
              summary: Summary | None = None, baseline: Baseline | None = None,
              suppressions: Suppressions | None = None, helps: Mapping[str, RuleHelp] | None = None) -> dict[str, Any]:
    """The SARIF 2.1.0 log (one run) for the reports, as a dict. Every violation carries a stable
    `partialFingerprints` entry; with a baseline, also its `baselineState` (`new`, `unchanged`, and `absent`
    for known findings this run did not see)."""
    known = _Rules(rules, helps or {})
    results: list[dict[str, Any]] = []
    for record, report in pairs:
        if summary is not None:
            summary.add(report)
        old = baseline.take_known(report) if baseline is not None else []
        hushed = suppressions.take(report) if suppressions is not None else []
        entries: list[tuple[str, Violation, Any]] = [("new", v, None) for v in report.violations]
        entries += [("unchanged", v, None) for v in old] + [("new", v, e) for v, e in hushed]
        for state, v, entry in entries:
            props = {"policy": v.policy,
                     "actions": [_action_dict(a) for a in v.actions],
                     "evidence": [_evidence_dict(e) for e in v.evidence]}
            result = _result(known, v.rule, v.severity, v.message, record, report, props, v.evidence)
            fields = sarif_fields(state, finding(report, v))
            if baseline is None:
                del fields["baselineState"]
            if entry is not None:
                fields["suppressions"] = [sarif_suppression(entry)]
            results.append({**result, **fields})
        for e in report.errors:
            if e.rule is None:
                results.append(_result(known, INVALID_INPUT_RULE, "error", e.message, record, report, None))
            else:
                results.append(_result(known, e.rule, "warning", f"undetermined: {e.message}", record, report,
                                       {"undetermined": True}))
    for f, message in baseline.absent() if baseline is not None else ():
        result = {"ruleId": f[0], "ruleIndex": known.add(rule_stub(f[0], None, "warning")), "level": "none",
                  "message": {"text": message or f"{f[0]} no longer fires for {f[1]} {f[2]}"},
                  "locations": [{"logicalLocations": [{"name": f[2], "fullyQualifiedName": f"{f[1]}/{f[2]}",
                                                       "kind": "object"}]}]}
        results.append({**result, **sarif_fields("absent", f)})
    return log([run_object(results, known.descriptors, tool_version)])


def write_sarif(pairs: Iterable[Pair], out: TextIO, *, tool_version: str, rules: Sequence[RuleDescriptor],
                baseline: Baseline | None = None, suppressions: Suppressions | None = None,
                helps: Mapping[str, RuleHelp] | None = None) -> Summary:
    """One SARIF 2.1.0 log: driver rules, one result per violation, undetermined rule and invalid input."""
    summary = Summary()
    doc = sarif_log(pairs, tool_version=tool_version, rules=rules, summary=summary, baseline=baseline,
                    suppressions=suppressions, helps=helps)
    out.write(_report.dumps_exact(doc, indent=2))  # action arguments keep exact numbers and ISO times, as in JSON output
    out.write("\n")
    return summary
