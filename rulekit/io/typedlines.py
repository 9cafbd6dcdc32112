"""Chooses the typed decoder of a run's JSON lines: the run's one kind, or the kind of the lines read before."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rulekit import limits as _limits
from rulekit.io.readers import _FAST_DECODER, Typed, _parse_decimal


def typed_json_lines(validators: Any, registry: Any, kind: str, keep: Iterable[str] | None = None) -> Typed | None:
    """The typed decoder of JSON lines of `kind` (`records.typed`), its numbers read and checked as the reader
    reads them under the limits in force; None when the record type cannot be decoded typed. With `keep`, its
    records hold only those fields (every field is checked all the same)."""
    from rulekit.records.typed import typed_decoder  # msgspec Structs: only for runs that decode typed

    limits = _limits.active()
    return typed_decoder(validators, registry, kind, _parse_decimal, limits.number_digits, limits.number_exponent,
                         None if keep is None else frozenset(keep))


def typed_reader(engine: Any, subject: str | None, exclude: frozenset[str] = frozenset()) -> Typed | None:
    """The typed decoder of a run's JSON lines: of the `subject` kind, of the policies' one subject kind, or a
    `KindSniffer` when lines of several kinds may come. Records of the kinds in `exclude` stay dicts."""
    kinds = engine.kinds
    kind = subject if subject is not None else kinds[0] if len(kinds) == 1 else None
    if kind is not None:
        if kind not in kinds or kind in exclude:
            return None
        return typed_json_lines(engine.compiled.validators, engine.program.registry, kind,
                                engine.compiled.lean_fields(kind))
    return KindSniffer(engine, exclude)


class KindSniffer:
    """Typed decoding for a run without `--subject` over policies of several kinds: a line is decoded as the kind
    of the lines before it (files usually hold one kind), and a line that is not goes the usual way.

    A line decoded typed as kind K is one whose kind (LANGUAGE §8) is K: it has K's required fields and no other
    (so no `$kind`, and no `kind` unless K has that field), so K is the one kind inferred from its fields — kinds
    whose fields hold another kind's required ones are never decoded typed — and where K has a `kind` field of its
    own, a value naming a kind would decide instead, so such a record goes the usual way. A kind's decoder is
    built once two lines in a row read the usual way were of that kind (a one-record run builds none)."""

    def __init__(self, engine: Any, exclude: frozenset[str] = frozenset()):
        self.engine = engine
        types = engine.program.registry.types
        kinds = engine.kinds
        required = {k: {f.name for f in types[k].fields.values() if not f.type.optional} for k in kinds}
        self.eligible = frozenset(k for k in kinds if k not in exclude and not any(
            other != k and required[other] <= types[k].fields.keys() for other in kinds))
        #: the kinds a record's `kind` value names (LANGUAGE §8); kinds with a `kind` field of their own
        self.named = frozenset(k for k in kinds if "kind" not in types[k].fields)
        self.own_kind = frozenset(k for k in kinds if "kind" in types[k].fields)
        self.decoders: dict[str, Typed | None] = {}
        self.current: Typed | None = None
        self.current_kind: str | None = None
        self.last: str | None = None  # the kind of the last line read the usual way

    def __call__(self, line: bytes) -> Any:
        decode = self.current
        if decode is not None:
            rec = decode(line)
            if rec is not None and (self.current_kind not in self.own_kind or rec.kind not in self.named):
                return rec
        try:  # read the usual way (the reader takes the dict as its own decoder's), and its kind noted
            value = _FAST_DECODER.decode(line)
        except Exception:  # noqa: BLE001 - the reader's steps say what is wrong
            return None
        if value.__class__ is not dict:
            return None
        kind, _ = self.engine.kind_of(value)
        if kind in self.eligible:
            if kind in self.decoders or kind == self.last:
                if kind not in self.decoders:
                    keep = self.engine.compiled.lean_fields(kind)
                    if keep is not None and kind in self.own_kind:
                        keep = (*keep, "kind")  # read above, to tell the line's kind
                    self.decoders[kind] = typed_json_lines(self.engine.compiled.validators,
                                                           self.engine.program.registry, kind, keep)
                self.current, self.current_kind = self.decoders[kind], kind
            self.last = kind
        return value
