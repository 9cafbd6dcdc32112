"""Runs an adapter: turns table rows (grouped by `group_by`) or JSON documents into records, every error located."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rulekit.adapters.converters import CONVERTERS, ConvertError, shown
from rulekit.adapters.mapping import Adapter, FieldMap
from rulekit.io.record import InputRecord
from rulekit.records.registry import RecordRegistry, RecordType

_MAX_PROBLEMS = 5
_SEGMENT = re.compile(r"([^.\[\]]+)((?:\[\d*\])*)")
_NO_VALUE: Any = object()


@dataclass(frozen=True, slots=True)
class _Source:
    """Where values come from: the rows of one group (tables) or one JSON object and its path in the document."""

    rows: tuple[InputRecord, ...] = ()
    obj: Any = None
    base: str = ""

    @property
    def is_table(self) -> bool:
        return bool(self.rows)


def adapt(adapter: Adapter, inputs: Iterable[InputRecord], registry: RecordRegistry,
          params: Mapping[str, str] | None = None) -> Iterator[InputRecord]:
    """The records the adapter makes of the input records (rows or documents), in input order.

    Every input row or document that cannot be read, and every record a value of which cannot be converted,
    becomes one error record naming the row (or JSON path), the source column and the target field."""
    builder = _Builder(adapter, registry, params or {})
    if adapter.input == "table":
        yield from builder.tables(inputs)
    else:
        yield from builder.documents(inputs)


class _Builder:
    """Builds records of one adapter; holds the record types and the parameter values."""

    def __init__(self, adapter: Adapter, registry: RecordRegistry, params: Mapping[str, str]):
        self.a = adapter
        self.registry = registry
        self.rt = registry.types[adapter.kind]
        self.params = {p.name: params.get(p.name, p.default) for p in adapter.params.values()}
        self.id_field = next((f for f in adapter.fields if f.name == "id"), None)

    # ---- tables --------------------------------------------------------------------------------------------
    def tables(self, inputs: Iterable[InputRecord]) -> Iterator[InputRecord]:
        if self.a.group_by is None:
            for rec in inputs:
                yield rec if rec.data is None else self._wrong_input(rec) or self.record(_Source(rows=(rec,)))
            return
        order: list[Any] = []
        groups: dict[str, list[InputRecord]] = {}
        for rec in inputs:  # a group's rows may be anywhere in the file: it is read whole (docs/adapters.md)
            if rec.data is None or self._wrong_input(rec):
                order.append(self._wrong_input(rec) or rec)
                continue
            key = _group_key(rec.data.get(self.a.group_by))
            if key is None:
                where = "the file has no column" if self.a.group_by not in rec.data else "empty"
                order.append(InputRecord(rec.source, rec.line, None, f"column `{self.a.group_by}` is {where}: "
                                         "the row belongs to no record (it is the adapter's `group_by`)"
                                         if where == "empty" else f"{where} `{self.a.group_by}` (the adapter's "
                                         "`group_by`)", "json"))
                continue
            if key not in groups:
                groups[key] = []
                order.append(key)
            groups[key].append(rec)
        for entry in order:
            yield entry if isinstance(entry, InputRecord) else self.record(_Source(rows=tuple(groups[entry])))

    def _wrong_input(self, rec: InputRecord) -> InputRecord | None:
        if rec.data is not None and rec.format != ("csv" if self.a.input == "table" else "json"):
            want = "CSV or XLSX rows" if self.a.input == "table" else "JSON documents"
            return InputRecord(rec.source, rec.line, None, f"the adapter `{self.a.name}` reads {want}", "json")
        return None

    # ---- JSON ---------------------------------------------------------------------------------------------
    def documents(self, inputs: Iterable[InputRecord]) -> Iterator[InputRecord]:
        for rec in inputs:
            wrong = self._wrong_input(rec)
            if rec.data is None or wrong is not None:
                yield wrong or rec
                continue
            found = None
            for path in self.a.records:
                values, _ = resolve(rec.data, path)
                if values and values[0] is not None:
                    found = path, values[0]
                    break
            if found is None:
                paths = " or ".join(f"`{p}`" for p in self.a.records if p) or "the document"
                yield InputRecord(rec.source, rec.line, None, f"no records at {paths} (adapter `{self.a.name}`)", "json")
                continue
            path, value = found
            items = value if isinstance(value, list) else [value]
            for i, item in enumerate(items):
                base = f"{path}[{i}]" if isinstance(value, list) else path
                if not isinstance(item, dict):
                    yield InputRecord(rec.source, rec.line, None, f"`{base}` is {shown(item)}, not an object", "json")
                    continue
                yield self.record(_Source(obj=item, base=base), rec)

    # ---- one record ----------------------------------------------------------------------------------------
    def record(self, src: _Source, doc: InputRecord | None = None) -> InputRecord:
        first = src.rows[0] if src.rows else doc
        assert first is not None
        problems: list[str] = []
        data = self._object(self.rt, self.a.fields, src, problems, top=True)
        rid = data.get("id") if isinstance(data.get("id"), str) else None
        if problems:
            shown_problems = problems[:_MAX_PROBLEMS]
            more = len(problems) - len(shown_problems)
            message = "; ".join(shown_problems) + (f"; and {more} more" if more else "")
            return InputRecord(first.source, first.line, None, message, "json", record_id=rid)
        return InputRecord(first.source, first.line, data, None, "json", record_id=rid)

    def _object(self, rt: RecordType, fields: tuple[FieldMap, ...], src: _Source, problems: list[str],
                top: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields:
            info = rt.fields[f.name]
            value = self._field(f, info.type, src, problems)
            if value is _NO_VALUE:
                continue
            if value is None and not info.type.optional:
                problems.append(self._missing(f, src, rt))
                continue
            out[f.name] = value
        return out

    def _missing(self, f: FieldMap, src: _Source, rt: RecordType) -> str:
        target = f"`{rt.name}.{f.name}`" if rt.name == self.a.kind else f"`{f.target}`"
        if f.param is not None:
            return f"{target} needs the parameter `{f.param}`: --adapter-param {f.param}=VALUE"
        if src.is_table:
            header = src.rows[0].data or {}
            present = [c for c in f.sources if c in header]
            if not present:
                cols = " or ".join(f"`{c}`" for c in f.sources)
                return f"the file has no column {cols} for {target}"
            return f"row {src.rows[0].line}, column `{present[0]}` is empty, but {target} needs a value"
        paths = " or ".join(f"`{_join(src.base, p)}`" for p in f.sources) or "the value"
        return f"{paths} is missing or empty, but {target} needs a value"

    def _field(self, f: FieldMap, t: Any, src: _Source, problems: list[str]) -> Any:
        if f.each is not None:
            return self._list(f, t, src, problems)
        if f.fields and t.kind == "record":
            sub = self.registry.types[t.record]
            return self._object(sub, f.fields, src, problems)
        if f.has_value:
            return self._finish(f, f.value, src, problems, "")
        if f.sources:
            value = self._from_rows(f, src, problems) if src.is_table else self._from_json(f, src, problems)
            if f.minus and value not in (None, _NO_VALUE):
                value = self._minus(f, value, src, problems)
            if value is not None or f.param is None:
                return value
        if f.param is not None:
            return self._finish(f, self.params.get(f.param), src, problems, f"parameter `{f.param}`")
        return None

    def _minus(self, f: FieldMap, value: Any, src: _Source, problems: list[str]) -> Any:
        for path in f.minus:
            part = FieldMap(f.target, f.name, (path,), steps=f.steps, aggregate=f.aggregate)
            other = self._from_rows(part, src, problems) if src.is_table else self._from_json(part, src, problems)
            if other is _NO_VALUE:
                return other
            if other is None:
                continue
            if isinstance(value, bool) or isinstance(other, bool) or not isinstance(value, (int, Decimal)) \
                    or not isinstance(other, (int, Decimal)):
                problems.append(f"`{f.target}`: `minus` needs numbers, got {shown(value)} and {shown(other)}")
                return _NO_VALUE
            value = value - other
        return value

    def _finish(self, f: FieldMap, value: Any, src: _Source, problems: list[str], where: str) -> Any:
        try:
            value = convert(f, value)
        except ConvertError as e:
            problems.append(f"{where or 'the value'} → `{f.target}`: {e}")
            return _NO_VALUE
        return f.default if value is None and f.has_default else value

    def _from_rows(self, f: FieldMap, src: _Source, problems: list[str]) -> Any:
        if len(src.rows) == 1 and f.aggregate in (None, "same"):  # one row: no list, nothing to aggregate
            row = src.rows[0]
            data = row.data or {}
            column = None
            for c in f.sources:
                v = data.get(c)
                if v is not None and v != "":
                    column = c
                    break
            try:
                value = convert(f, data[column] if column is not None else None)
            except ConvertError as e:
                problems.append(f"row {row.line}, column `{column}` → `{f.target}`: {e}")
                return _NO_VALUE
            return f.default if value is None and f.has_default else value
        if f.aggregate in (None, "same"):  # rows repeating one cell: convert it once
            cells = [_cell(f, row.data or {}) for row in src.rows]
            if all(c == cells[0] for c in cells):
                one = _Source(rows=src.rows[:1])
                return self._from_rows(f, one, problems)
        values: list[tuple[int, Any]] = []
        for row in src.rows:
            data = row.data or {}
            column = next((c for c in f.sources if data.get(c) not in (None, "")), None)
            if column is None:
                values.append((row.line, convert(f, None)))
                continue
            try:
                values.append((row.line, convert(f, data[column])))
            except ConvertError as e:
                problems.append(f"row {row.line}, column `{column}` → `{f.target}`: {e}")
                return _NO_VALUE
        if len(values) > 1 or f.aggregate not in (None, "same"):
            columns = " or ".join(f"`{c}`" for c in f.sources)
            value = self._aggregate(f, values, problems,
                                    lambda line: f"rows {values[0][0]} and {line}, column {columns},")
        else:
            value = values[0][1] if values else None
        if value is _NO_VALUE:
            return value
        return f.default if value is None and f.has_default else value

    def _from_json(self, f: FieldMap, src: _Source, problems: list[str]) -> Any:
        if f.aggregate == "join" and len(f.sources) > 1:  # `join` over several paths joins them all
            parts = [self._from_json(FieldMap(f.target, f.name, (p,), steps=f.steps), src, problems) for p in f.sources]
            if any(p is _NO_VALUE for p in parts):
                return _NO_VALUE
            given = [str(p) for p in parts if p not in (None, "")]
            return f.separator.join(given) if given else (f.default if f.has_default else None)
        for path in f.sources:
            raw, multi = resolve(src.obj, path)
            if not multi and (not raw or raw[0] in (None, "")):
                continue
            values: list[tuple[int, Any]] = []
            for i, item in enumerate(raw):
                try:
                    values.append((i, convert(f, item)))
                except ConvertError as e:
                    problems.append(f"`{_join(src.base, path)}` → `{f.target}`: {e}")
                    return _NO_VALUE
            at = _join(src.base, path)
            value = self._aggregate(f, values, problems, lambda i, at=at: f"`{at}` (elements 0 and {i})") \
                if multi else values[0][1]
            if value is _NO_VALUE:
                return value
            return f.default if value is None and f.has_default else value
        value = convert(f, None)  # no path has a value: the chain's `default`, then the field's
        return f.default if value is None and f.has_default else value

    def _aggregate(self, f: FieldMap, values: list[tuple[int, Any]], problems: list[str], where: Any) -> Any:
        how = f.aggregate or "same"
        given = [v for _, v in values if v is not None]
        if how == "same":
            for at, v in values[1:]:
                if v != values[0][1]:
                    problems.append(f"{where(at)} disagree on `{f.target}` ({shown(values[0][1])} and {shown(v)}); "
                                    "set `aggregate` (first, sum, min, max, join) for the field in the adapter")
                    return _NO_VALUE
            return values[0][1] if values else None
        if not given:
            return None
        if how == "first":
            return given[0]
        if how == "join":
            return f.separator.join(str(v) for v in given)
        if how == "sum":
            if not all(isinstance(v, (int, Decimal)) and not isinstance(v, bool) for v in given):
                problems.append(f"`{f.target}`: `aggregate = \"sum\"` needs numbers")
                return _NO_VALUE
            return sum(given[1:], given[0])
        try:
            return min(given) if how == "min" else max(given)
        except TypeError:
            problems.append(f"`{f.target}`: `aggregate = \"{how}\"` needs values of one kind")
            return _NO_VALUE

    def _list(self, f: FieldMap, t: Any, src: _Source, problems: list[str]) -> Any:
        elem = t.elem if t.kind == "list" else None
        sub = self.registry.types.get(elem.record) if elem is not None and elem.kind == "record" else None
        if f.each == "rows":
            parts = [_Source(rows=(row,)) for row in src.rows]
        else:
            raw, multi = resolve(src.obj, f.each or "")
            items = raw if multi else (raw[0] if raw and isinstance(raw[0], list) else [])
            parts = [_Source(obj=item, base=_join(src.base, f"{f.each}[{i}]")) for i, item in enumerate(items)]
        if sub is None or not f.fields:
            return [p.obj for p in parts]
        return [self._object(sub, f.fields, p, problems) for p in parts]


def convert(f: FieldMap, value: Any) -> Any:
    """The value through the field's converters; null passes only through `default`. Without converters a text is
    stripped of surrounding spaces."""
    chain = f.chain
    if not chain:
        return value.strip() if isinstance(value, str) else value
    for fn, argument, takes_null in chain:
        if value is not None or takes_null:
            value = fn(value, argument)
    return value


def resolve(obj: Any, path: str) -> tuple[list[Any], bool]:
    """The values at a JSON path (`post_addr.province.id`, `sku_order_list[].item_num`, `logistics_info[0].tracking_no`)
    and whether the path fans out over a list (`[]`). An absent key gives [None]."""
    values = [obj]
    multi = False
    for segment in filter(None, path.split(".")):
        m = _SEGMENT.fullmatch(segment)
        if m is None:
            return [None], multi
        key, indexes = m.groups()
        values = [v.get(key) if isinstance(v, dict) else None for v in values]
        for index in re.findall(r"\[(\d*)\]", indexes):
            if index == "":
                multi = True
                values = [item for v in values if isinstance(v, list) for item in v]
            else:
                k = int(index)
                values = [v[k] if isinstance(v, list) and k < len(v) else None for v in values]
    return values, multi


def _cell(f: FieldMap, data: dict[str, Any]) -> tuple[str | None, Any]:
    """(column, raw value) a field takes from one row: the first of its columns with a value."""
    for c in f.sources:
        v = data.get(c)
        if v is not None and v != "":
            return c, v
    return None, None


def _join(base: str, path: str) -> str:
    return f"{base}.{path}" if base and path else base or path


def _group_key(value: Any) -> str | None:
    if value is None:
        return None
    key = CONVERTERS["strip_tab_quote"].fn(value, None)
    return key if isinstance(key, str) and key.strip() else None
