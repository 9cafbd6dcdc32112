"""Reads and checks an adapter: a TOML mapping from a platform's data to one record type (docs/adapters.md)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rulekit.adapters.converters import CONVERTERS, Converter
from rulekit.records.registry import RecordRegistry, RecordType
from rulekit.suggest import did_you_mean

INPUTS = ("table", "json")
AGGREGATES = ("same", "first", "sum", "min", "max", "join")
_NOTHING: Any = object()
_PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SECTIONS = ("adapter", "params", "absent", "maps", "fields")
_ADAPTER_KEYS = ("name", "title", "kind", "input", "records", "group_by", "encoding", "sheet", "sources")
_FIELD_KEYS = ("from", "minus", "value", "param", "convert", "aggregate", "separator", "default", "each", "fields",
               "doc")


class AdapterError(ValueError):
    """An adapter file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class Step:
    """One converter of a field's `convert` chain, with its argument."""

    converter: Converter
    argument: Any = None


@dataclass(frozen=True, slots=True)
class FieldMap:
    """How one field of the record is made: from source paths, a constant or a parameter, through converters."""

    target: str  # the field's path in the record, for messages: `items.price`
    name: str  # the field's name in its record
    sources: tuple[str, ...] = ()  # `from`: paths (JSON) or column names (tables), first non-empty wins
    value: Any = _NOTHING  # `value`: a constant
    param: str | None = None  # `param`: the value of an adapter parameter (after `from`, when both are given)
    steps: tuple[Step, ...] = ()
    aggregate: str | None = None  # over the rows of a group (tables) or the elements a `[]` path gives (JSON)
    separator: str = ">"
    default: Any = _NOTHING  # when the converted value is null
    each: str | None = None  # list fields: `rows` (the rows of a group) or a JSON path to a list
    fields: tuple[FieldMap, ...] = ()  # list and nested-record fields: their own fields
    minus: tuple[str, ...] = ()  # paths or columns whose values (through the same converters) are subtracted
    #: the converters as (function, argument, whether it is given nulls): what `apply.convert` runs
    chain: tuple[tuple[Any, Any, bool], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "chain", tuple((s.converter.fn, s.argument, s.converter.name == "default")
                                                for s in self.steps))

    @property
    def has_value(self) -> bool:
        """Whether the field is a constant."""
        return self.value is not _NOTHING

    @property
    def has_default(self) -> bool:
        """Whether the field has a value for null."""
        return self.default is not _NOTHING


@dataclass(frozen=True, slots=True)
class Param:
    """An adapter parameter (`--adapter-param NAME=VALUE`): what it is for and its default (None: none)."""

    name: str
    doc: str
    default: str | None = None


@dataclass(frozen=True)
class Adapter:
    """A checked-for-shape adapter (`check` compares it with the record types of a policy set)."""

    name: str
    title: str
    kind: str
    input: str
    path: Path
    records: tuple[str, ...] = ()  # JSON: where the records are in each document ("" is the document itself)
    group_by: str | None = None
    encoding: str = "utf-8"
    sheet: str | None = None
    sources: tuple[str, ...] = ()
    params: Mapping[str, Param] = field(default_factory=dict)
    absent: Mapping[str, str] = field(default_factory=dict)  # field -> why the source does not have it
    maps: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    fields: tuple[FieldMap, ...] = ()

    def check(self, registry: RecordRegistry) -> list[str]:
        """Problems of the mapping against the record types: unknown fields, required fields nobody gives."""
        rt = registry.types.get(self.kind)
        if rt is None or not rt.is_subject:
            kinds = registry.subject_kinds()
            hint = did_you_mean(self.kind, kinds)
            return [f"{self.path}: [adapter] kind: no record type `{self.kind}`" + (f"; {hint}" if hint else "")]
        problems: list[str] = []
        for name in self.absent:
            if name not in rt.fields:
                problems.append(f"{self.path}: [absent] {name}: `{self.kind}` has no field `{name}`")
        problems += _check_fields(self, rt, self.fields, "fields", registry, top=True)
        return problems


def _check_fields(a: Adapter, rt: RecordType, fields: tuple[FieldMap, ...], where: str, registry: RecordRegistry,
                  top: bool = False) -> list[str]:
    problems: list[str] = []
    given = {f.name for f in fields}
    for f in fields:
        info = rt.fields.get(f.name)
        if info is None:
            hint = did_you_mean(f.name, list(rt.fields))
            problems.append(f"{a.path}: [{where}.{f.name}]: `{rt.name}` has no field `{f.name}`" +
                            (f"; {hint}" if hint else ""))
            continue
        t = info.type
        nested = t.elem if t.kind == "list" else t if t.kind == "record" else None
        if t.kind == "list" and f.each is None and f.sources and not f.fields:
            continue  # a list taken whole from a JSON path (`product_ids`)
        if t.kind == "list" and f.each is None:
            problems.append(f"{a.path}: [{where}.{f.name}]: `{f.name}` is a list: say where its elements come from "
                            "with `each` (`rows` for the rows of a group, or a JSON path)")
        if t.kind != "list" and f.each is not None:
            problems.append(f"{a.path}: [{where}.{f.name}]: `each` is only for list fields; `{f.name}` is `{t}`")
        if nested is not None and nested.kind == "record" and f.fields:
            sub = registry.types.get(nested.record or "")
            if sub is not None:
                problems += _check_fields(a, sub, f.fields, f"{where}.{f.name}.fields", registry)
        if f.each == "rows" and a.group_by is None:
            problems.append(f"{a.path}: [{where}.{f.name}]: `each = \"rows\"` needs `group_by` in [adapter]")
        if f.param is not None and f.param not in a.params:
            problems.append(f"{a.path}: [{where}.{f.name}]: no parameter `{f.param}` in [params]")
    for info in rt.fields.values():
        if info.type.optional or info.name in given or (top and info.name in a.absent):
            continue
        problems.append(f"{a.path}: [{where}]: `{rt.name}.{info.name}` is required and nothing gives it: map it, "
                        f"or list it under [absent] with the reason the source does not have it" if top else
                        f"{a.path}: [{where}]: `{rt.name}.{info.name}` is required and nothing gives it")
    return problems


# ---- reading the TOML file ---------------------------------------------------------------------------------------


def read_adapter(path: Path) -> Adapter:
    """The adapter in a TOML file; AdapterError naming the file and key when it is not a valid mapping."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as e:
        raise AdapterError(f"{path}: cannot read the adapter: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise AdapterError(f"{path}: not valid TOML: {e}") from None
    except UnicodeDecodeError:
        raise AdapterError(f"{path}: not valid UTF-8") from None
    return _Reader(path).adapter(doc)


class _Reader:
    """Turns the parsed TOML document into an Adapter, one error per wrong key."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, message: str) -> AdapterError:
        return AdapterError(f"{self.path}: [{where}]: {message}")

    def _keys(self, table: Any, allowed: tuple[str, ...], where: str) -> dict[str, Any]:
        if not isinstance(table, dict):
            raise self.fail(where, "expected a table")
        for key in table:
            if key not in allowed:
                hint = did_you_mean(key, list(allowed))
                raise self.fail(where, f"unknown key `{key}`" + (f"; {hint}" if hint else f" (keys: {', '.join(allowed)})"))
        return table

    def _text(self, table: dict[str, Any], key: str, where: str, default: str | None = None) -> str | None:
        value = table.get(key, default)
        if value is not None and not isinstance(value, str):
            raise self.fail(where, f"`{key}` must be a string")
        return value

    def _texts(self, table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = table.get(key, ())
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(where, f"`{key}` must be a string or a list of strings")
        return tuple(value)

    def adapter(self, doc: dict[str, Any]) -> Adapter:
        self._keys(doc, _SECTIONS, "top level")
        head = self._keys(doc.get("adapter", {}), _ADAPTER_KEYS, "adapter")
        kind = self._text(head, "kind", "adapter")
        if not kind:
            raise self.fail("adapter", "`kind` is required: the record type the adapter makes (`order`)")
        source_input = self._text(head, "input", "adapter", "table")
        if source_input not in INPUTS:
            raise self.fail("adapter", f"`input` must be one of {', '.join(INPUTS)}, not `{source_input}`")
        encoding = self._text(head, "encoding", "adapter", "utf-8") or "utf-8"
        if encoding not in ("utf-8", "gb18030", "auto"):
            raise self.fail("adapter", f"`encoding` must be utf-8, gb18030 or auto, not `{encoding}`")
        group_by = self._text(head, "group_by", "adapter")
        if group_by is not None and source_input != "table":
            raise self.fail("adapter", "`group_by` is for table input (CSV, XLSX); JSON lists use `each`")
        records = self._texts(head, "records", "adapter") if "records" in head else ("",)
        maps = self._maps(doc.get("maps", {}))
        params = self._params(doc.get("params", {}))
        absent = doc.get("absent", {})
        if not isinstance(absent, dict) or not all(isinstance(v, str) and v.strip() for v in absent.values()):
            raise self.fail("absent", "each entry is `field = \"why the source does not have it\"`")
        fields = self._fields(doc.get("fields"), "fields", maps)
        return Adapter(name=self._text(head, "name", "adapter") or self.path.stem,
                       title=self._text(head, "title", "adapter") or "", kind=kind, input=source_input,
                       path=self.path, records=records, group_by=group_by, encoding=encoding,
                       sheet=self._text(head, "sheet", "adapter"), sources=self._texts(head, "sources", "adapter"),
                       params=params, absent=dict(absent), maps=maps, fields=fields)

    def _maps(self, table: Any) -> dict[str, dict[str, Any]]:
        if not isinstance(table, dict):
            raise self.fail("maps", "expected tables of `code = value`")
        out: dict[str, dict[str, Any]] = {}
        for name, entries in table.items():
            if not isinstance(entries, dict) or not entries:
                raise self.fail(f"maps.{name}", "expected `code = value` entries")
            out[name] = {str(k).strip(): v for k, v in entries.items()}
        return out

    def _params(self, table: Any) -> dict[str, Param]:
        if not isinstance(table, dict):
            raise self.fail("params", "expected `[params.NAME]` tables")
        out = {}
        for name, spec in table.items():
            if not _PARAM_NAME.fullmatch(name):
                raise self.fail(f"params.{name}", "a parameter name is letters, digits and `_`")
            spec = self._keys(spec, ("doc", "default"), f"params.{name}")
            default = spec.get("default")
            if default is not None and not isinstance(default, str):
                raise self.fail(f"params.{name}", "`default` must be a string")
            out[name] = Param(name, self._text(spec, "doc", f"params.{name}") or "", default)
        return out

    def _fields(self, table: Any, where: str, maps: Mapping[str, Any], prefix: str = "") -> tuple[FieldMap, ...]:
        if not isinstance(table, dict) or not table:
            raise self.fail(where, "expected `[fields.NAME]` tables, one per field of the record")
        return tuple(self._field(name, spec, f"{where}.{name}", maps, prefix) for name, spec in table.items())

    def _field(self, name: str, spec: Any, where: str, maps: Mapping[str, Any], prefix: str) -> FieldMap:
        if isinstance(spec, str):
            spec = {"from": spec}
        spec = self._keys(spec, _FIELD_KEYS, where)
        kinds = [k for k in ("from", "value", "param", "each") if k in spec]
        if "each" in spec and "from" in spec:
            raise self.fail(where, "`each` and `from` exclude each other: the elements come from `each`")
        if not kinds:
            raise self.fail(where, "say where the value comes from: `from`, `value`, `param` or (lists) `each`")
        if "value" in spec and len(kinds) > 1:
            raise self.fail(where, f"`value` is a constant: give it without {' and '.join(k for k in kinds if k != 'value')}")
        if "minus" in spec and "from" not in spec:
            raise self.fail(where, "`minus` subtracts from the value of `from`")
        if "each" in spec and "param" in spec:
            raise self.fail(where, "`each` and `param` exclude each other")
        aggregate = self._text(spec, "aggregate", where)
        if aggregate is not None and aggregate not in AGGREGATES:
            raise self.fail(where, f"`aggregate` must be one of {', '.join(AGGREGATES)}, not `{aggregate}`")
        steps = tuple(self._step(s, where, maps) for s in self._steps(spec.get("convert", []), where))
        target = f"{prefix}{name}"
        sub = self._fields(spec["fields"], f"{where}.fields", maps, f"{target}.") if "fields" in spec else ()
        return FieldMap(target=target, name=name, sources=self._texts(spec, "from", where) if "from" in spec else (),
                        value=spec.get("value", _NOTHING), param=self._text(spec, "param", where), steps=steps,
                        aggregate=aggregate, separator=self._text(spec, "separator", where, ">") or ">",
                        default=spec.get("default", _NOTHING), each=self._text(spec, "each", where), fields=sub,
                        minus=self._texts(spec, "minus", where) if "minus" in spec else ())

    def _steps(self, value: Any, where: str) -> list[Any]:
        if isinstance(value, (str, dict)):
            return [value]
        if not isinstance(value, list):
            raise self.fail(where, "`convert` is a list of converter names (or `{ name = argument }` tables)")
        return value

    def _step(self, item: Any, where: str, maps: Mapping[str, Any]) -> Step:
        if isinstance(item, str):
            name, argument = item, None
        elif isinstance(item, dict) and len(item) == 1:
            name, argument = next(iter(item.items()))
        else:
            raise self.fail(where, "each converter is a name (`\"yuan\"`) or a table of one entry (`{ map = \"status\" }`)")
        conv = CONVERTERS.get(name)
        if conv is None:
            hint = did_you_mean(name, list(CONVERTERS))
            raise self.fail(where, f"unknown converter `{name}`" + (f"; {hint}" if hint else
                                                                   f" (converters: {', '.join(CONVERTERS)})"))
        if conv.argument is None and argument is not None:
            raise self.fail(where, f"the converter `{name}` takes no argument")
        if name == "map":
            if argument not in maps:
                hint = did_you_mean(str(argument), list(maps))
                raise self.fail(where, f"no map `{argument}` under [maps]" + (f"; {hint}" if hint else ""))
            argument = (argument, maps[argument])
        elif name == "default" and argument is None:
            raise self.fail(where, "`default` needs the value: `{ default = \"none\" }`")
        return Step(conv, argument)
