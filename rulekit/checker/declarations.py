"""Collects the declarations of a policy set: policies and their members, rules, wordlists, table row types (E005)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from rulekit.categories import CategoryScope
from rulekit.diagnostics import Diagnostic, Span
from rulekit.limits import active as active_limits
from rulekit.records.registry import FieldInfo, RegistryBuilder, resolve_type
from rulekit.runtime.variants import VARIANTS
from rulekit.suggest import did_you_mean
from rulekit.syntax import nodes as n
from rulekit.wordlist import MODES, Entry, duplicate_entries, invalid_entries

from .folding import moment

Report = Callable[..., None]  # (code, message, span, help=None)


def add_diagnostic(diags: list[Diagnostic], code: str, message: str, span: Span, help: str | None = None) -> None:
    """Collect a diagnostic; a did-you-mean hint joins the message (`unknown name `x`; did you mean `y`?`)."""
    if help and help.startswith("did you mean"):
        message, help = f"{message}; {help}", None
    diags.append(Diagnostic(code, message, span, help))


@dataclass
class WordlistDraft:
    """A wordlist as read: entries from its sources and inline words."""

    name: str
    entries: list[Entry]
    allow: list[str]
    mode: str
    node: n.Wordlist
    variants: tuple[str, ...] = ()
    scope: CategoryScope | None = None

    @property
    def scoped(self) -> bool:
        """Whether the wordlist or one of its entries keeps to some categories (`find` then needs the category)."""
        return self.scope is not None or any(e.scope is not None for e in self.entries)


@dataclass
class RuleDraft:
    """A rule being checked."""

    policy: str
    node: n.Rule
    file: str
    severity: str
    lets: dict[str, n.Let]
    when: n.When | None
    unless: list[n.Unless]
    message: n.Message | None
    actions: list[n.Action]
    evidence: n.EvidenceClause | None

    @property
    def id(self) -> str:
        """`policy.rule`."""
        return f"{self.policy}.{self.node.name}"

    @property
    def subject(self) -> str:
        """The subject kind."""
        return self.node.subject


@dataclass
class PolicyDraft:
    """A policy being checked."""

    name: str
    node: n.Policy
    file: str
    effective: tuple[datetime | None, datetime | None]
    lets: dict[str, n.Let] = field(default_factory=dict)
    tables: dict[str, n.Table] = field(default_factory=dict)
    wordlists: dict[str, WordlistDraft] = field(default_factory=dict)
    rules: list[RuleDraft] = field(default_factory=list)
    #: policy-level lets that read a subject: let name -> the subject kinds it reads
    let_subjects: dict[str, set[str]] = field(default_factory=dict)


class Declarations:
    """First pass over the parsed files: every declaration by name, duplicates reported at the later one."""

    def __init__(self, error: Report, wordlist_files: Mapping[tuple[str, str], tuple[Entry, ...]]):
        self.error = error
        self.wordlist_files = wordlist_files
        self.policies: list[PolicyDraft] = []
        self.tests: list[tuple[str, n.TestBlock]] = []

    def collect(self, files: tuple[n.SourceFile, ...], records: RegistryBuilder) -> None:
        """Read the policies and tests of `files`; add each table's row type to `records`."""
        seen: dict[str, n.Policy] = {}
        for f in files:
            for item in f.items:
                if isinstance(item, n.Policy):
                    if item.name in seen:
                        first = seen[item.name].span
                        self.error("E005", f"policy `{item.name}` is defined twice (first at {first.file}:{first.line})",
                                   item.span, "policy ids are unique in a policy set: rename one")
                        continue
                    seen[item.name] = item
                    self.policies.append(self.policy(f, item))
                elif isinstance(item, n.TestBlock):
                    self.tests.append((f.path, item))
        for p in self.policies:
            for t in p.tables.values():
                if not t.single:
                    known = records.names()
                    fields = [FieldInfo(r.name, resolve_type(r.type, known)[0], r.span) for r in t.results]
                    records.add_row_type(row_type_name(p.name, t.name), fields, t.span)

    def policy(self, f: n.SourceFile, node: n.Policy) -> PolicyDraft:
        effs = node.of(n.Effective)
        for extra in effs[1:]:
            self.error("E005", "`effective` is given twice in this policy", extra.span)
        for extra in node.of(n.Version)[1:]:
            self.error("E005", "`version` is given twice in this policy", extra.span)
        start = end = None
        if effs:
            start, end = moment(effs[0].start), moment(effs[0].end)
            if start and end and start >= end:
                self.error("E004", "the `effective` range is empty: its start is not before its end", effs[0].span)
        info = PolicyDraft(node.name, node, f.path, (start, end))
        names: dict[str, Span] = {}
        rule_names: dict[str, Span] = {}
        for m in node.members:
            if isinstance(m, (n.Let, n.Table, n.Wordlist)):
                if m.name in names:
                    self.error("E005", f"`{m.name}` is defined twice in policy `{node.name}` "
                               f"(first at line {names[m.name].line})", m.span)
                    continue
                names[m.name] = m.span
                if isinstance(m, n.Let):
                    info.lets[m.name] = m
                elif isinstance(m, n.Table):
                    info.tables[m.name] = m
                else:
                    info.wordlists[m.name] = self.wordlist(f.path, m)
            elif isinstance(m, n.Rule):
                if m.name in rule_names:
                    self.error("E005", f"rule `{m.name}` is defined twice in policy `{node.name}` "
                               f"(first at line {rule_names[m.name].line})", m.span)
                    continue
                rule_names[m.name] = m.span
                info.rules.append(self.rule(info, f.path, m))
        return info

    def wordlist(self, path: str, node: n.Wordlist) -> WordlistDraft:
        mode = "normalized"
        matches = node.values("match")
        for extra in matches[1:]:
            self.error("E005", "`match` is given twice in this wordlist", extra.span)
        if matches:
            mode = matches[0].value
            if mode not in MODES:
                self.error("E009", f"unknown match mode `{mode}`", matches[0].span,
                           did_you_mean(mode, MODES) or "the modes are `exact`, `normalized`, `evasive` and `words`")
                mode = "normalized"
        entries: list[Entry] = []
        for src in node.values("source"):
            entries += self.wordlist_files.get((path, src.value), ())  # unreadable: the loader said why
        for lit in node.values("words"):
            if not lit.value.strip():
                self.error("E007", "empty wordlist entry", lit.span)
                continue
            entries.append(Entry(lit.value))
        longest = active_limits().wordlist_entry_chars
        too_long = [e for e in entries if len(e.word) > longest]
        for e in too_long[:5]:
            self.error("E007", f"wordlist `{node.name}`: an entry of {len(e.word):,} characters "
                       f"(`{e.word[:20]}…`); at most {longest} (limit `wordlist-entry-chars`)", node.span)
        if too_long:
            entries = [e for e in entries if len(e.word) <= longest]
        allow = [a.value for a in node.values("allow") if len(a.value) <= longest]
        for a in node.values("allow"):
            if len(a.value) > longest:
                self.error("E007", f"an `allow` phrase of {len(a.value):,} characters; at most {longest} "
                           "(limit `wordlist-entry-chars`)", a.span)
            if not a.value.strip():
                self.error("E007", "empty `allow` phrase", a.span)
        for _word, reason in invalid_entries(entries, allow, mode):
            self.error("E007", f"wordlist `{node.name}`: {reason}", node.span)
        try:
            dups = duplicate_entries(entries, allow, mode)
        except ValueError as e:
            self.error("E007", str(e), node.span)
            dups = []
        inline = node.values("words")
        sources = node.values("source")
        for word, reason in dups:
            # point at the written entry when it is inline (the later one), else at the source file
            spots = [lit.span for lit in inline if lit.value == word]
            span = spots[-1] if spots else (sources[0].span if sources else node.span)
            self.error("W103", f"wordlist `{node.name}`: {reason}", span)
        variants: list[str] = []
        for v in node.values("variants"):
            if v.value not in VARIANTS:
                self.error("E009", f"unknown variants `{v.value}`", v.span,
                           did_you_mean(v.value, VARIANTS) or "the variants are `traditional` and `pinyin`")
            elif v.value in variants:
                self.error("E005", f"`variants {v.value}` is given twice in this wordlist", v.span)
            else:
                variants.append(v.value)
        if variants and mode == "exact":
            self.error("E009", "`variants` need a mode that folds text (`normalized`, `evasive` or `words`), "
                       "not `exact`", node.values("variants")[0].span)
        only = tuple(v.value.strip() for v in node.values("only") if v.value.strip())
        never = tuple(v.value.strip() for v in node.values("except") if v.value.strip())
        for v in node.values("only") + node.values("except"):
            if not v.value.strip():
                self.error("E007", "empty category", v.span)
        scope = CategoryScope(only, never) if only or never else None
        return WordlistDraft(node.name, entries, allow, mode, node, tuple(variants), scope)

    def rule(self, p: PolicyDraft, path: str, node: n.Rule) -> RuleDraft:
        sev = node.of(n.Severity)
        whens = node.of(n.When)
        msgs = node.of(n.Message)
        evs = node.of(n.EvidenceClause)
        for extra in sev[1:]:
            self.error("E005", "`severity` is given twice in this rule", extra.span)
        for extra in whens[1:]:
            self.error("E005", "a rule has exactly one `when`", extra.span, "combine the conditions with `and`")
        for extra in msgs[1:]:
            self.error("E005", "`message` is given twice in this rule", extra.span)
        for extra in evs[1:]:
            self.error("E005", "`evidence` is given twice in this rule", extra.span)
        if not whens:
            self.error("E001", f"rule `{node.name}` has no `when` clause", node.span,
                       "add `when CONDITION`: the rule fires when it is true")
        if not msgs:
            self.error("E001", f"rule `{node.name}` has no `message` clause", node.span,
                       'add `message "..."`: what the report says when the rule fires')
        lets: dict[str, n.Let] = {}
        for let in node.of(n.Let):
            if let.name in lets:
                self.error("E005", f"`let {let.name}` is defined twice in rule `{node.name}`", let.span)
                continue
            lets[let.name] = let
        return RuleDraft(p.name, node, path, sev[0].level if sev else "warning", lets,
                         whens[0] if whens else None, node.of(n.Unless), msgs[0] if msgs else None,
                         node.of(n.Action), evs[0] if evs else None)


def row_type_name(policy: str, table: str) -> str:
    """The record type of a table's rows: `policy.table` (a name no declaration can write)."""
    return f"{policy}.{table}"
