"""How `lint` and `adapt` read their inputs: the adapter and its parameters, encodings, input formats, sheets."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rulekit.checker import Program
from rulekit.commands.common import UsageError
from rulekit.io.csvrows import typed_row
from rulekit.io.readers import InputRecord, Typed, read_records
from rulekit.records.registry import RecordRegistry
from rulekit.runtime.report import Report, invalid_report
from rulekit.suggest import did_you_mean

if TYPE_CHECKING:  # the adapters are imported only when --adapter is given
    from rulekit.adapters import Adapter


@dataclass
class Inputs:
    """The input options of one run."""

    adapter: Adapter | None = None
    params: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None  # None: the adapter's, else UTF-8
    input_format: str | None = None
    sheet: str | None = None
    keep_raw: bool = True  # JSON lines keep their text (`--fix` and SARIF read it)
    typed: Typed | None = None  # JSON lines of one kind decoded straight into records (`InputRecord.data`)

    @property
    def absent(self) -> dict[str, list[str]] | None:
        """The built-in fields the adapter's source does not have, for `rulekit.load(absent=…)`."""
        if self.adapter is None or not self.adapter.absent:
            return None
        return {self.adapter.kind: sorted(self.adapter.absent)}

    def check(self, registry: RecordRegistry, subject: str | None) -> None:
        """UsageError listing every problem of the adapter against the record types of the policies."""
        if self.adapter is None:
            return
        if subject is not None and subject != self.adapter.kind:
            raise UsageError(f"--subject {subject}: the adapter `{self.adapter.name}` makes `{self.adapter.kind}` records")
        problems = self.adapter.check(registry)
        if problems:
            raise UsageError("the adapter does not fit the record types:\n  " + "\n  ".join(problems))

    def note(self, program: Program) -> str | None:
        """One line on stderr naming the fields the source does not have and the rules that read them (None when
        the source has every field)."""
        a = self.adapter
        if a is None or not a.absent:
            return None
        mapped = {f.name for f in a.fields if f.sources}
        gaps = [name for name in a.absent if not _given_by_param(a, name, self.params)]
        if not gaps:
            return None
        from rulekit.checker.reads import fields_read  # an adapter with gaps: the rules' trees are read

        rules = [r.id for p in program.policies for r in p.rules
                 if r.subject == a.kind and fields_read(p, r) & set(gaps)]
        missing = ", ".join(f"{a.kind}.{g}" for g in gaps if g not in mapped)
        partial = ", ".join(f"{a.kind}.{g}" for g in gaps if g in mapped)
        what = " and ".join(x for x in (f"has no {missing}" if missing else "", f"may lack {partial}" if partial else "")
                            if x)
        head = f"the adapter {a.name} {what} (docs/adapters.md)"
        if not rules:
            return f"{head}; no rule reads them"
        return (f"{head}; {len(rules)} rule{'s' * (len(rules) != 1)} read {'it' if len(gaps) == 1 else 'them'} and "
                f"cannot be decided on such records: {', '.join(rules)} (undetermined where they read the field; "
                "window counts skip the missing values)")

    def records(self, path: str, registry: RecordRegistry | None) -> Iterator[InputRecord]:
        """The records of one input file (through the adapter, when there is one)."""
        encoding = self.encoding or (self.adapter.encoding if self.adapter is not None else "utf-8")
        sheet = self.sheet or (self.adapter.sheet if self.adapter is not None else None)
        raw = read_records(path, stdin=sys.stdin, encoding=encoding, input_format=self.input_format, sheet=sheet,
                           keep_raw=self.keep_raw, typed=self.typed)
        if self.adapter is None:
            return raw
        assert registry is not None
        from rulekit.adapters import adapt
        return adapt(self.adapter, raw, registry, self.params)


def _given_by_param(a: Adapter, name: str, params: dict[str, str]) -> bool:
    f = next((f for f in a.fields if f.name == name), None)
    return f is not None and f.param is not None and (f.param in params or a.params[f.param].default is not None)


def inputs_of(a: argparse.Namespace) -> Inputs:
    """The input options of the command line; UsageError for an unknown adapter or parameter."""
    adapter = None
    if getattr(a, "adapter", None):
        from rulekit.adapters import AdapterError, load_adapter
        try:
            adapter = load_adapter(a.adapter)
        except AdapterError as e:
            raise UsageError(str(e)) from None
    params: dict[str, str] = {}
    for item in getattr(a, "adapter_param", None) or []:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--adapter-param {item}: write NAME=VALUE")
        if adapter is None:
            raise UsageError("--adapter-param needs --adapter")
        if name not in adapter.params:
            hint = did_you_mean(name, list(adapter.params))
            known = ", ".join(adapter.params) or "none"
            raise UsageError(f"--adapter-param {name}: the adapter `{adapter.name}` has no such parameter"
                             + (f"; {hint}" if hint else f" (parameters: {known})"))
        params[name] = value
    return Inputs(adapter, params, getattr(a, "encoding", None), getattr(a, "input_format", None),
                  getattr(a, "sheet", None))


def add_input_options(p: argparse.ArgumentParser) -> None:
    """The input options on a command's parser."""
    from rulekit.io.readers import INPUT_FORMATS
    from rulekit.io.tables import ENCODINGS

    p.add_argument("--adapter", metavar="NAME",
                   help="read platform data through an adapter: doudian-api, doudian-export, … (`rulekit adapt "
                        "--list`) or the path of a .toml mapping (docs/adapters.md)")
    p.add_argument("--adapter-param", action="append", metavar="NAME=VALUE",
                   help="a parameter of the adapter, e.g. shop_id=S1 (repeatable)")
    p.add_argument("--encoding", choices=ENCODINGS, default=None,
                   help="text encoding of CSV input (default utf-8, or the adapter's; auto: detect UTF-8 or GB18030)")
    p.add_argument("--input-format", choices=INPUT_FORMATS, default=None,
                   help="read every input (standard input too) as this format instead of by extension")
    p.add_argument("--sheet", metavar="NAME", help="the sheet of XLSX workbooks (default: the first)")


def typed_input(engine: Any, rec: InputRecord, subject: str | None) -> tuple[Any, str | None, str | None]:
    """(data, kind, None) ready to push, or (None, kind, problem). CSV rows are typed by their record type."""
    if rec.format != "csv":
        return rec.data, subject, None
    kind, problem = engine.kind_of(rec.data, subject)
    if kind is None:
        return None, subject, problem
    data, problem = typed_row(engine.program.registry.types[kind], rec.data)  # type: ignore[arg-type]
    return data, kind, problem


def push_input(engine: Any, stream: Any, rec: InputRecord, subject: str | None, adapted: bool = False) -> Report:
    """The report of one input record, pushed into `stream` when it is readable and typed (as `lint` does)."""
    if rec.data is None:
        return invalid_report(subject, rec.record_id, rec.error or "unreadable record")
    data, kind, problem = typed_input(engine, rec, subject)
    if problem is None:
        rep = stream.push(data, kind=kind)
    else:
        rid = rec.data.get("id")
        rep = invalid_report(kind, rid if isinstance(rid, str) else None, problem)
    return explained(rec, rep, adapted)


def explained(rec: InputRecord, rep: Report, adapted: bool = False) -> Report:
    """The report of a record of no known kind with a hint of what it may be (an export of another tool)."""
    if rep.kind is None and not adapted:
        from rulekit.adapters.sniff import suggest  # only for a record of no known kind
        hint = suggest(rec.data, rec.format)
        if hint is not None:
            rep = invalid_report(None, rep.id, f"{rep.errors[0].message}; {hint}")
    return rep
