"""`rulekit backtest`: a policy set's reports on labelled records — confusion counts, precision, recall, the errors."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from rulekit.backtest import Score, diff, key_of, read_labels, score
from rulekit.commands.common import (
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    configuration,
    load_engine,
    parse_now,
    policy_paths,
    selection,
)
from rulekit.commands.inputs import inputs_of
from rulekit.commands.lint import input_files, reports
from rulekit.runtime.report import Report

EXIT_BAD_LABELS = 1


def run(a: argparse.Namespace) -> int:
    """0 when every label line was read, 1 when some were not (each named on stderr), 2 for usage or policies."""
    config = configuration(a)
    now = parse_now(a.now)
    select, ignore = selection(a, config)
    inputs = inputs_of(a)
    engine = load_engine(policy_paths(a.policies, config), select=select, ignore=ignore,
                         severity=config.severity, absent=inputs.absent)
    if engine is None:
        return EXIT_USAGE
    if a.kind is not None and a.kind not in engine.kinds:
        raise UsageError(f"--kind: unknown kind `{a.kind}` (kinds: {', '.join(engine.kinds)})")
    path = Path(a.labels)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"--labels {a.labels}: cannot read it ({getattr(e, 'strerror', None) or e})") from None
    rule_ids = {r.id for r in engine.rules()}
    labels, problems = read_labels(text.split("\n"), a.labels, rule_ids)
    for p in problems:
        print(f"rulekit backtest: {p}", file=sys.stderr)
    files, _ = input_files(a.files, [*config.exclude], config.root)
    current = _reports(engine, files, a, now, inputs)
    result = score(labels, current, a.kind)
    doc: dict[str, Any] = {"labels": len(labels), "label_problems": len(problems), **result.as_dict()}
    against_score: Score | None = None
    if a.against:
        other = load_engine([str(p) for p in a.against], select=select, ignore=ignore, severity=config.severity,
                            absent=inputs.absent)
        if other is None:
            return EXIT_USAGE
        against_score = score(labels, _reports(other, files, a, now, inputs), a.kind)
        doc["against"] = diff(result, against_score)
    if a.format == "json":
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(render(doc))
    return EXIT_BAD_LABELS if problems else EXIT_OK


def _reports(engine: Any, files: list[str], a: argparse.Namespace, now: Any, inputs: Any) -> dict[str, Report]:
    """Every record's report by `kind:id` and by id, as `lint` evaluates them (one stream, in order)."""
    out: dict[str, Report] = {}
    seen: dict[str, str] = {}
    for rec, rep in reports(engine, files, a.subject, now, timedelta(0), None, inputs):
        if rep.id is None or (a.kind is not None and rep.kind != a.kind):
            continue
        key = key_of(rep.kind, rep.id)
        where = f"{rec.source}:{rec.line}"
        if key in seen:
            print(f"rulekit backtest: {where}: {rep.kind} {rep.id} again (first at {seen[key]}); the first one is "
                  "scored", file=sys.stderr)
            continue
        seen[key] = where
        out[key] = rep
        out.setdefault(rep.id, rep)
    return out


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def render(doc: dict[str, Any]) -> str:
    """The text report: overall, per rule, the false positives with evidence, the false negatives, the diff."""
    o = doc["overall"]
    lines = [f"backtest: {doc['labels']} labels ({doc['unsure']} unsure left out, {len(doc['missing'])} without a "
             f"record, {doc['label_problems']} unreadable)",
             f"overall: TP {o['tp']}  FP {o['fp']}  FN {o['fn']}  TN {o['tn']}  precision {_pct(o['precision'])}  "
             f"recall {_pct(o['recall'])}", ""]
    if doc["rules"]:
        width = max(len(r["rule"]) for r in doc["rules"])
        lines.append(f"{'rule':<{width}}  fired    TP    FP    FN    TN  precision  recall")
        for r in doc["rules"]:
            lines.append(f"{r['rule']:<{width}}  {r['fired']:>5} {r['tp']:>5} {r['fp']:>5} {r['fn']:>5} {r['tn']:>5}  "
                         f"{_pct(r['precision']):>9}  {_pct(r['recall']):>6}")
        lines.append("")
    lines.append(f"false positives ({len(doc['false_positives'])}):")
    for f in doc["false_positives"]:
        for v in f["fired"]:
            ev = "; ".join(f"{e['field']}[{e['start']}:{e['end']}] \"{e['text']}\"" for e in v["evidence"])
            lines.append(f"  {f['id']}  {v['rule']}  {v['message']}" + (f"  ({ev})" if ev else ""))
    lines.append(f"false negatives ({len(doc['false_negatives'])}):")
    for f in doc["false_negatives"]:
        why = f"; undetermined: {', '.join(f['undetermined'])}" if f["undetermined"] else ""
        lines.append(f"  {f['id']}  labelled yes ({f['scope']}), nothing fired{why}")
    for m in doc["missing"]:
        lines.append(f"  label line {m['line']}: no record `{m['id']}` in the input")
    if "against" in doc:
        d = doc["against"]
        c, ag = d["overall"]["current"], d["overall"]["against"]
        lines += ["", f"against the other policies: precision {_pct(ag['precision'])} → {_pct(c['precision'])}, "
                  f"recall {_pct(ag['recall'])} → {_pct(c['recall'])}",
                  f"new flags ({len(d['new_flags'])}):"]
        lines += [f"  {x['record']}  {x['rule']}" for x in d["new_flags"]]
        lines.append(f"dropped flags ({len(d['dropped_flags'])}):")
        lines += [f"  {x['record']}  {x['rule']}" for x in d["dropped_flags"]]
        if d["rules"]:
            lines.append("per rule (current − other): " + ", ".join(
                f"{x['rule']} fired {x['fired']:+d} TP {x['tp']:+d} FP {x['fp']:+d}" for x in d["rules"]))
    return "\n".join(lines) + "\n"
