"""Generates one validator per record type: well-typed input becomes a slotted record, anything else a §6 error.

This is the one validation path of input records. Each generated `v_KIND(data, path)` checks the fields
in declaration order, converts what the field types accept (numeric strings, `true`/`false`, duration
literals, naive datetimes) with the converters of `records.convert`, and collects every problem as
`path: message` before raising `InvalidRecord`. Decimal fields given as floats are kept and made exact
Decimals (through their shortest repr) when first read; list-of-record items are checked up front and
built when the list is first read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from rulekit import cache, values
from rulekit import types as T
from rulekit.records import convert as C
from rulekit.records.base import RecordBase
from rulekit.records.registry import RecordRegistry, RecordType

Validator = Callable[[Any, str], Any]


class InvalidRecord(Exception):
    """An input record that does not match its type; `errors` are `path: problem` strings, in field order."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


class _Item:
    """The path of a list item, spelled out (`order.items[2]`) only when an error names it."""

    __slots__ = ("base", "index")

    def __init__(self, base: Any, index: int):
        self.base, self.index = base, index

    def __str__(self) -> str:
        return f"{self.base}[{self.index}]"

    def __add__(self, more: str) -> str:
        return f"{self}{more}"


def _err(errors: list[str] | None, message: str) -> list[str]:
    if errors is None:
        return [message]
    errors.append(message)
    return errors


def _errs(errors: list[str] | None, more: list[str]) -> list[str]:
    if errors is None:
        return list(more)
    errors.extend(more)
    return errors


def _lazy_number(slot: str) -> property:
    """A number field read through a property: a float input becomes an exact Decimal on first read."""

    def get(self: Any) -> Any:
        v = getattr(self, slot)
        if v.__class__ is float:
            v = Decimal(repr(v))
            setattr(self, slot, v)
        return v

    return property(get)


class Pending:
    """The checked items of a list of records that another decoder read (`records.typed`), built on first read."""

    __slots__ = ("items", "build")

    def __init__(self, items: list[Any], build: Callable[[Any], Any]):
        self.items, self.build = items, build


def _lazy_records(slot: str, build: Validator) -> property:
    """A list-of-records field: checked up front, its item objects built on first read."""

    def get(self: Any) -> Any:
        v = getattr(self, slot)
        if v.__class__ is tuple:  # the item dicts
            v = [build(i, "") for i in v]
            setattr(self, slot, v)
        elif v.__class__ is Pending:
            v = [v.build(i) for i in v.items]
            setattr(self, slot, v)
        return v

    return property(get)


def _record_list(t: T.Type) -> bool:
    return t.kind == "list" and t.elem is not None and t.elem.kind == "record" and not t.elem.optional


#: The class test that lets a scalar skip its converter (floats also need to be finite: see `_NUMERIC`).
_FAST_CLASS = {"string": "str", "bool": "bool", "int": "int", "date": "_date", "duration": "_td"}
_NUMERIC = ("decimal", "money", "weight")


class _Generator:
    """Writes and compiles the validators of every input record type of a registry."""

    def __init__(self, registry: RecordRegistry, g: dict[str, Any] | None = None, prefix: str = "_l"):
        self.registry = registry
        self.prefix = prefix  # of the names of list validators (another generator in the same namespace: another)
        if g is not None:  # more functions in the namespace of generated validators (their classes, list checks)
            self.g = g
            self.extra: list[str] = []
            self.values: dict[str, Validator] = {}
            return
        self.g = {
            "_M": values.MISSING, "_err": _err, "_errs": _errs, "_IR": InvalidRecord, "_Inv": C.Invalid,
            "_show": C.show, "_date": date, "_td": timedelta, "_dtc": datetime, "_INF": float("inf"),
            "_iso": datetime.fromisoformat, "_TZ": values.PLATFORM_TZ, "_Dec": Decimal,
        }
        self.extra: list[str] = []  # generated list checks, compiled with the validators
        for kind, conv in C.CONVERTERS.items():
            self.g[f"_cv_{kind}"] = conv
        self.values: dict[str, Validator] = {}  # extra value validators (lists, nested lists), by name

    def compile(self) -> dict[str, Validator]:
        types = self.registry.input_types()
        src = "\n".join(self.source(rt) for rt in types)
        src += "\n" + "\n".join(self.extra)
        exec(cache.compiled(src, "<rulekit:validators>"), self.g)  # noqa: S102 - generated from declarations
        return {rt.name: self.g[f"v_{rt.name}"] for rt in types}

    def compile_subsets(self, lean: Mapping[str, tuple[str, ...]]) -> dict[str, Validator]:
        """`q_KIND` for each kind of `lean`: only the fields named there, into a record of the same class."""
        src = "\n".join(self.subset(self.registry.types[k], fields) for k, fields in lean.items())
        src += "\n" + "\n".join(self.extra)
        exec(cache.compiled(src, "<rulekit:read-validators>"), self.g)  # noqa: S102 - generated from declarations
        return {k: self.g[f"q_{k}"] for k in lean}

    def subset(self, rt: RecordType, names: tuple[str, ...]) -> str:
        """A validator of some fields of a record type: the others are neither checked nor set."""
        fields = [f for f in rt.fields.values() if f.name in names]
        lazy = {f.name for f in fields if f.type.kind in _NUMERIC or _record_list(f.type)}
        cls = f"C_{rt.name}"
        lines = [f"def q_{rt.name}(d, p):", "    E = None", f"    o = {cls}.__new__({cls})"]
        for f in fields:
            lines += self.field(f.name, f.type)
            lines.append(f"    o.{'_raw_' + f.name if f.name in lazy else f.name} = x")
        lines += ["    if E is not None: raise _IR(E)", "    return o"]
        return "\n".join(lines) + "\n"

    def source(self, rt: RecordType) -> str:
        fields = list(rt.fields.values())
        lazy = {f.name for f in fields if f.type.kind in _NUMERIC or _record_list(f.type)}
        slots = tuple(f"_raw_{f.name}" if f.name in lazy else f.name for f in fields)
        ns: dict[str, Any] = {"__slots__": slots, "_fields": tuple(f.name for f in fields), "_kind": rt.name}
        for f, slot in zip(fields, slots, strict=True):
            if f.type.kind in _NUMERIC:
                ns[f.name] = _lazy_number(slot)
            elif _record_list(f.type):
                ns[f.name] = _lazy_records(slot, _Late(self.g, f"v_{f.type.elem.record}"))  # type: ignore[union-attr]
        cls = f"C_{rt.name}"
        self.g[cls] = type(f"Record_{rt.name}", (RecordBase,), ns)
        out = []
        # v_KIND checks and builds the record; k_KIND only checks (items of lists, built on first read)
        for fn, build in ((f"v_{rt.name}", True), (f"k_{rt.name}", False)):
            lines = [f"def {fn}(d, p):", "    E = None"] + ([f"    o = {cls}.__new__({cls})"] if build else [])
            for f, slot in zip(fields, slots, strict=True):
                lines += self.field(f.name, f.type)
                if build:
                    lines.append(f"    o.{slot} = x")
            lines.append("    if E is not None: raise _IR(E)")
            lines.append("    return o" if build else "    return d")
            out.append("\n".join(lines) + "\n")
        return "\n".join(out)

    def field(self, name: str, t: T.Type, fetch: list[str] | None = None) -> list[str]:
        """The lines checking and converting field `name` into `x` (read from the dict `d`, or by `fetch`)."""
        at = f"p + {('.' + name)!r}"
        if fetch is not None:
            lines = list(fetch)
        elif t.optional:
            lines = [f"    x = d.get({name!r}, _M)"]
        else:  # a present field costs no method call
            lines = ["    try:", f"        x = d[{name!r}]", "    except KeyError:", "        x = _M"]
        base = t.required()
        if base.kind == "datetime":
            # the common case inline: an ISO 8601 string (a naive one is read as UTC+08:00)
            lines += ["    if x.__class__ is str:", "        try:", "            x = _iso(x)",
                      "        except ValueError:", "            pass",
                      "        else:", "            if x.tzinfo is None: x = x.replace(tzinfo=_TZ)"]
        guard, convert = self.check(base, at)
        if t.optional:
            lines.append(f"    if x is not None and x is not _M and {guard}:")
            lines += ["    " + ln for ln in convert]
        else:
            lines.append(f"    if {guard}:")
            lines.append(f"        if x is _M: E = _err(E, {at} + ': {C.MISSING_FIELD}')")
            lines.append(f"        elif x is None: E = _err(E, {at} + ': {C.NULL_FIELD}')")
            lines.append("        else:")
            lines += ["    " + ln for ln in convert]
        return lines

    def check(self, t: T.Type, at: str) -> tuple[str, list[str]]:
        """(the test that the value needs work, the lines doing it) for one non-optional type."""
        k = t.kind
        if k in _FAST_CLASS:
            return f"x.__class__ is not {_FAST_CLASS[k]}", self.convert(f"_cv_{k}(x)", at)
        if k in _NUMERIC:
            # ints, finite floats and finite Decimals (JSON lines are read with exact decimals) are kept as they are
            guard = ("(x.__class__ is not int and (x.__class__ is not float or x != x or x == _INF or x == -_INF)"
                     " and (x.__class__ is not _Dec or not x.is_finite()))")
            return guard, self.convert(f"_cv_{k}(x)", at)
        if k == "datetime":
            return "(x.__class__ is not _dtc or x.tzinfo is None)", self.convert("_cv_datetime(x)", at)
        if k == "record" and t.record is not None:
            return "True", ["        if x.__class__ is dict:",
                            "            try: x = " + f"v_{t.record}(x, {at})",
                            "            except _IR as e: E = _errs(E, e.errors)",
                            f"        else: E = _err(E, {at} + ': expected an object, got ' + _show(x))"]
        if k == "list" and t.elem is not None:
            name = self.list_validator(t.elem)
            return "True", ["        if x.__class__ is list:",
                            f"            try: x = {name}(x, {at})",
                            "            except _IR as e: E = _errs(E, e.errors)",
                            f"        else: E = _err(E, {at} + ': expected a list, got ' + _show(x))"]
        return "True", [f"        E = _err(E, {at} + ': cannot be read')"]

    @staticmethod
    def convert(call: str, at: str) -> list[str]:
        return ["        try: x = " + call, f"        except _Inv as e: E = _err(E, {at} + ': ' + str(e))"]

    def list_validator(self, elem: T.Type) -> str:
        """The name of a validator of a list of `elem` (items checked in order, every problem collected)."""
        name = f"{self.prefix}{len(self.values)}"
        lazy = _record_list(T.list_of(elem))
        # items of a list of records are only checked here (k_KIND) and built when the list is first read
        item = self.value_validator(elem.required(), "k" if lazy else "v")
        optional = elem.optional

        def check(x: list[Any], p: str) -> Any:
            out: list[Any] = []
            errors: list[str] | None = None
            for i, y in enumerate(x):
                if y is None or y is values.MISSING:
                    if optional:
                        out.append(None)
                    else:
                        errors = _err(errors, f"{p}[{i}]: {C.NULL_FIELD}")
                    continue
                try:
                    out.append(item(y, _Item(p, i)))
                except InvalidRecord as e:
                    errors = _errs(errors, e.errors)
            if errors is not None:
                raise InvalidRecord(errors)
            return tuple(x) if lazy else out

        self.values[name] = self.g[name] = check
        if lazy and elem.record is not None:
            # the usual list of records: each item a dict that checks; anything else is told by `check` above
            self.g[name + "_all"] = check
            self.extra.append(
                f"def {name}(x, p):\n    for y in x:\n        if y.__class__ is not dict: return {name}_all(x, p)\n"
                f"        try: k_{elem.record}(y, p)\n        except _IR: return {name}_all(x, p)\n"
                "    return tuple(x)\n")
        return name

    def value_validator(self, t: T.Type, record_fn: str = "v") -> Validator:
        """A validator of one non-null value of type `t` (list items); records go through `{record_fn}_KIND`."""
        k = t.kind
        if k == "record" and t.record is not None:
            g, name = self.g, f"{record_fn}_{t.record}"  # generated after this closure: looked up when called

            def record(y: Any, at: Any) -> Any:
                if y.__class__ is not dict:
                    raise InvalidRecord([f"{at}: {C.expected_object(y)}"])
                return g[name](y, at)

            return record
        if k == "list" and t.elem is not None:
            inner = self.g[self.list_validator(t.elem)]

            def nested(y: Any, at: Any) -> Any:
                if y.__class__ is not list:
                    raise InvalidRecord([f"{at}: {C.expected_list(y)}"])
                return inner(y, at)

            return nested
        conv = C.CONVERTERS.get(k)

        def scalar(y: Any, at: Any) -> Any:
            if conv is None:
                raise InvalidRecord([f"{at}: cannot be read"])
            try:
                return conv(y)
            except C.Invalid as e:
                raise InvalidRecord([f"{at}: {e}"]) from None

        return scalar


class _Late:
    """A generated function looked up when first called (records may refer to types defined after them)."""

    __slots__ = ("g", "name", "fn")

    def __init__(self, g: dict[str, Any], name: str):
        self.g, self.name, self.fn = g, name, None

    def __call__(self, y: Any, at: str) -> Any:
        fn = self.fn
        if fn is None:
            fn = self.fn = self.g[self.name]
        return fn(y, at)


def compile_validators(registry: RecordRegistry) -> Mapping[str, Validator]:
    """One validator per input record type: `validator(data, kind) -> record`, raising InvalidRecord."""
    return _Generator(registry).compile()


def compile_subsets(validators: Mapping[str, Validator], registry: RecordRegistry,
                    lean: Mapping[str, tuple[str, ...]]) -> dict[str, Validator]:
    """For each kind of `lean`, a validator that checks and sets only the fields named there, into records of the
    classes of `validators` (compiled into their namespace)."""
    if not lean:
        return {}
    g = next(iter(validators.values())).__globals__
    return _Generator(registry, g, prefix="_lq").compile_subsets(lean)


def record_class(validators: Mapping[str, Validator], kind: str) -> type | None:
    """The class of the records the generated validator of `kind` builds (None for a validator of another making)."""
    return getattr(validators[kind], "__globals__", {}).get(f"C_{kind}")  # type: ignore[no-any-return]


def validate(validators: Mapping[str, Validator], kind: str, data: Any) -> tuple[Any, str | None]:
    """Validate one input record: (record, None), or (None, the §6 message naming field and problem)."""
    if data.__class__ is not dict:
        if not isinstance(data, dict):
            return None, f"{kind}: a record must be a JSON object, not {C.show(data)}"
        data = dict(data)
    try:
        return validators[kind](data, kind), None
    except InvalidRecord as e:
        return None, str(e)
    except RecursionError:
        return None, f"{kind}: nested too deeply"
