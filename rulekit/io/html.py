"""Writes the reports of `rulekit lint` as one self-contained HTML page: summary charts, shops, a searchable table."""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any, TextIO

from rulekit.io.readers import InputRecord
from rulekit.io.summary import RunInfo, Summary
from rulekit.runtime.report import Report, RuleDescriptor, dumps_exact

Pair = tuple[InputRecord, Report]

_DECISIONS = ("block", "review", "allow", "invalid")
_DECISION_COLOR = {"block": "#c62828", "review": "#ef8f00", "allow": "#2e7d32", "invalid": "#6a1b9a"}
_SEVERITY_COLOR = {"error": "#c62828", "warning": "#ef8f00", "info": "#1565c0", "undetermined": "#78909c"}
_RANK = {"block": 3, "invalid": 2, "review": 1, "allow": 0}
_SURROGATE = re.compile("[\\ud800-\\udfff]")


def _outcome(report: Report) -> str:
    return "invalid" if any(e.rule is None for e in report.errors) else report.decision


def _texts(record: InputRecord, report: Report) -> dict[str, str]:
    """The original text of every field that evidence points into (`listing.title` -> the title)."""
    out: dict[str, str] = {}
    data = record.data or {}
    for v in report.violations:
        for e in v.evidence:
            if e.field and e.field not in out:
                value: Any = data
                for part in e.field.split(".")[1:]:
                    value = value.get(part) if isinstance(value, dict) else None
                if isinstance(value, str):
                    out[e.field] = value
    return out


class _Strings:
    """Interns the strings that repeat across rows (rule ids, kinds, shops, files, words): rows hold indexes."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.items: list[str] = []

    def __call__(self, s: str | None) -> int:
        if s is None:
            return -1
        i = self.index.get(s)
        if i is None:
            i = self.index[s] = len(self.items)
            self.items.append(s)
        return i


def _row(record: InputRecord, report: Report, outcome: str, s: _Strings) -> list[Any]:
    """One record with findings, as `decode_rows` reads it back (and the page's script does)."""
    shop = (record.data or {}).get("shop_id")
    texts = _texts(record, report)
    violations = []
    for v in report.violations:
        evidence = []
        for e in v.evidence:
            item: list[Any] = [s(e.field), e.start, e.end, s(e.word), s(e.category), s(e.replacement)]
            if e.field not in texts:
                item.append(e.text)  # no original text to cut it from
            evidence.append(item)
        violations.append([s(v.rule), s(v.severity), v.message,
                           [[s(a.name), dumps_exact(a.args)] for a in v.actions], evidence])
    return [report.id, s(report.kind), s(shop if isinstance(shop, str) else None), s(outcome), s(record.source),
            record.line, violations, [[s(e.rule), e.message] for e in report.errors],
            [[s(f), text] for f, text in texts.items()]]


def decode_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The records of a page's embedded data as plain objects (what the page's script builds)."""
    strings = data["strings"]

    def g(i: int) -> str | None:
        return None if i < 0 else strings[i]

    out = []
    for rid, kind, shop, decision, source, line, violations, errors, texts in data["rows"]:
        text_of = {g(f): text for f, text in texts}
        vs = []
        for rule, sev, message, actions, evidence in violations:
            evs = []
            for e in evidence:
                fld = g(e[0])
                cut = "".join(list(text_of[fld])[e[1]:e[2]]) if fld in text_of else e[6]
                evs.append({"field": fld, "start": e[1], "end": e[2], "word": g(e[3]), "category": g(e[4]),
                            "replacement": g(e[5]), "text": cut})
            vs.append({"rule": g(rule), "severity": g(sev), "message": message,
                       "actions": [{"name": g(n), "args": a} for n, a in actions], "evidence": evs})
        out.append({"id": rid, "kind": g(kind), "shop": g(shop), "decision": g(decision),
                    "where": f"{g(source)}:{line}", "violations": vs,
                    "errors": [{"rule": g(r), "message": m} for r, m in errors], "texts": text_of})
    return out


@dataclass
class _Collected:
    summary: Summary = field(default_factory=Summary)
    kinds: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    shops: dict[str, Counter[str]] = field(default_factory=dict)
    findings: Counter[tuple[str, str]] = field(default_factory=Counter)  # (rule, severity or "undetermined")
    rows: list[list[Any]] = field(default_factory=list)
    strings: _Strings = field(default_factory=_Strings)
    invalid: list[dict[str, Any]] = field(default_factory=list)


def _collect(pairs: Iterable[Pair]) -> _Collected:
    c = _Collected()
    for record, report in pairs:
        c.summary.add(report)
        outcome = _outcome(report)
        c.outcomes[outcome] += 1
        c.kinds[report.kind or "unknown"] += 1
        shop = (record.data or {}).get("shop_id")
        if isinstance(shop, str):
            c.shops.setdefault(shop, Counter())[outcome] += 1
        for v in report.violations:
            c.findings[(v.rule, v.severity)] += 1
        for e in report.errors:
            if e.rule is None:
                c.invalid.append({"where": f"{record.source}:{record.line}", "id": report.id, "message": e.message})
            else:
                c.findings[(e.rule, "undetermined")] += 1
        if report.violations or report.errors:
            c.rows.append(_row(record, report, outcome, c.strings))
    return c


# ---- SVG charts (drawn here: no charting code runs in the browser) ----------------------------------------

def _esc(s: object) -> str:
    return html.escape(str(s), quote=True)


def _decision_chart(outcomes: Counter[str]) -> str:
    total = sum(outcomes.values()) or 1
    x, parts, legend = 0.0, [], []
    for d in _DECISIONS:
        n = outcomes.get(d, 0)
        w = 600 * n / total
        if n:
            parts.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="28" fill="{_DECISION_COLOR[d]}">'
                         f"<title>{d}: {n}</title></rect>")
        x += w
        legend.append(f'<span class="key"><i style="background:{_DECISION_COLOR[d]}"></i>{d} {n:,}</span>')
    return (f'<svg class="chart" viewBox="0 0 600 28" preserveAspectRatio="none" role="img" '
            f'aria-label="decisions">{"".join(parts)}</svg><div class="legend">{"".join(legend)}</div>')


def _clip(s: str, width: int) -> str:
    """`s` cut to `width` display columns (CJK characters take two), with an ellipsis when cut."""
    out, used = [], 0
    for ch in s:
        w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used + w > width - 1:
            return "".join(out) + "…"
        out.append(ch)
        used += w
    return s


def _bar_chart(counts: Mapping[str, Counter[str]], labels: Mapping[str, str], link: Mapping[str, str],
               name: str, limit: int | None = None) -> str:
    """Horizontal bars sorted by count, stacked by severity; each bar links to its records (`#rule=…`)."""
    order = sorted(counts, key=lambda r: (-sum(counts[r].values()), r))
    if not order:
        return '<p class="none">No findings.</p>'
    shown = order[:limit] if limit else order
    top = max(sum(counts[r].values()) for r in shown)
    rows = []
    for i, key in enumerate(shown):
        y, x, bars = i * 24, 0.0, []
        for sev in ("error", "warning", "info", "undetermined"):
            n = counts[key].get(sev, 0)
            if n:
                w = max(330 * n / top, 2.0)
                bars.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="16" '
                            f'fill="{_SEVERITY_COLOR[sev]}"><title>{_esc(key)}: {n:,} {sev}</title></rect>')
                x += w
        label = labels.get(key, key)
        rows.append(f'<a href="#rule={_esc(link[key])}" data-key="{_esc(key)}">'
                    f'<text x="0" y="{y + 16}" class="label"><title>{_esc(label)}</title>{_esc(_clip(label, 56))}</text>'
                    f'<g transform="translate(400,0)">{"".join(bars)}'
                    f'<text x="{x + 6:.1f}" y="{y + 16}" class="count">{sum(counts[key].values()):,}</text></g></a>')
    more = f'<p class="hint">The {limit} most frequent of {len(order)}; the table below lists all.</p>' \
        if limit and len(order) > limit else ""
    return (f'<svg class="bars" viewBox="0 0 800 {len(shown) * 24}" role="img" aria-label="{_esc(name)}">'
            f'{"".join(rows)}</svg>{more}')


def _findings(findings: Counter[tuple[str, str]], titles: Mapping[str, str]) -> tuple[str, str, str]:
    """(per-policy chart, per-rule chart, per-rule table)."""
    by_rule: dict[str, Counter[str]] = {}
    by_policy: dict[str, Counter[str]] = {}
    for (rule, sev), n in findings.items():
        by_rule.setdefault(rule, Counter())[sev] += n
        by_policy.setdefault(rule.split(".", 1)[0], Counter())[sev] += n
    labels = {r: r + (f" ({titles[r]})" if titles.get(r) else "") for r in by_rule}
    rules = _bar_chart(by_rule, labels, {r: r for r in by_rule}, "findings per rule", limit=20)
    policies = _bar_chart(by_policy, {}, {p: p + "." for p in by_policy}, "findings per policy")
    sevs = ("error", "warning", "info", "undetermined")
    head = "".join(f"<th class=num>{s}</th>" for s in sevs)
    body = "".join(
        f'<tr><td><a href="#rule={_esc(r)}">{_esc(r)}</a></td><td>{_esc(titles.get(r, ""))}</td>'
        + "".join(f"<td class=num>{by_rule[r].get(s, 0):,}</td>" for s in sevs) + "</tr>"
        for r in sorted(by_rule, key=lambda r: (-sum(by_rule[r].values()), r)))
    table = (f"<table id=rules><thead><tr><th>rule</th><th>title</th>{head}</tr></thead>"
             f"<tbody>{body}</tbody></table>")
    return policies, rules, table


def _severity_legend() -> str:
    keys = "".join(f'<span class="key"><i style="background:{c}"></i>{s}</span>' for s, c in _SEVERITY_COLOR.items())
    return f'<div class="legend">{keys}</div>'


def _shop_table(shops: dict[str, Counter[str]]) -> str:
    def worst(c: Counter[str]) -> str:
        return max((d for d in c if c[d]), key=lambda d: _RANK[d])

    order = sorted(shops, key=lambda s: (-_RANK[worst(shops[s])], -sum(shops[s].values()), s))
    rows = []
    for s in order:
        c = shops[s]
        w = worst(c)
        cells = "".join(f"<td class=num>{c.get(d, 0):,}</td>" for d in _DECISIONS)
        rows.append(f'<tr><td>{_esc(s)}</td><td class=num>{sum(c.values()):,}</td>{cells}'
                    f'<td><span class="badge {w}">{w}</span></td></tr>')
    head = "".join(f"<th class=num>{d}</th>" for d in _DECISIONS)
    return (f"<table id=shops><thead><tr><th>shop</th><th class=num>records</th>{head}<th>worst</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _json(value: Any) -> str:
    """JSON safe inside `<script>`: no `</` (or `<!--`) can end the element; lone surrogates escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text.replace("<", "\\u003c")


def _asset(name: str) -> str:
    return files("rulekit.io").joinpath("report_assets", name).read_text(encoding="utf-8")


def write_html(pairs: Iterable[Pair], out: TextIO, *, rules: Sequence[RuleDescriptor] = (),
               run: RunInfo | None = None) -> Summary:
    """The whole page: data, styles and script inline, nothing fetched when it is opened."""
    run = run or RunInfo("", "0", "")
    c = _collect(pairs)
    titles = {r.id: r.title for r in rules if r.title}
    kinds = ", ".join(f"{n:,} {_esc(k)}" for k, n in sorted(c.kinds.items())) or "none"
    policies = ", ".join(f"{_esc(p)} {_esc(v)}" if v else _esc(p) for p, v in sorted(run.policies.items()))
    data = {"strings": c.strings.items, "rows": c.rows, "titles": titles}
    by_policy, by_rule, rule_table = _findings(c.findings, titles)
    invalid = "".join(f"<tr><td>{_esc(i['where'])}</td><td>{_esc(i['id'] or '')}</td><td>{_esc(i['message'])}</td></tr>"
                      for i in c.invalid)
    page = _asset("report.html").format(
        css=_asset("report.css"), js=_asset("report.js"), data=_json(data), now=_esc(run.now or "—"),
        version=_esc(run.tool_version), hash=_esc(run.policy_hash[:12]), full_hash=_esc(run.policy_hash),
        policies=policies or "—", records=f"{c.summary.records:,}", kinds=kinds,
        decisions=_decision_chart(c.outcomes), legend=_severity_legend(),
        policy_chart=by_policy, rule_chart=by_rule, rule_table=rule_table, shops=_shop_table(c.shops) if c.shops else '<p class="none">No shop ids.</p>',
        invalid=(f"<table><thead><tr><th>where</th><th>id</th><th>error</th></tr></thead><tbody>{invalid}</tbody></table>"
                 if invalid else '<p class="none">Every record was read and valid.</p>'),
        invalid_count=f"{len(c.invalid):,}", findings_count=f"{len(c.rows):,}")
    out.write(page)
    return c.summary
