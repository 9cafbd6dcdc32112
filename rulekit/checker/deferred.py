"""A checked program stored in two parts: what every run reads, and its syntax trees, read when first used.

A `rulekit lint` whose compiled plan comes from the user cache (`compiler.image`) reads the record types, the
rule descriptors and the wordlists' entries, never the syntax trees the checker typed; loading those was most
of reading a checked program (about 20 ms of a 160 ms start). `dumps` writes the objects of the classes below
without their trees (the `_deferred` fields), then the trees, in a second pickle that refers to the first's
objects; `loads` reads the first and leaves the trees pickled. The first read of a deferred field of any of the
program's objects loads the trees of all of them: the fields are there for every reader, only later.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import io
import pickle
import threading
from collections.abc import Callable
from typing import Any, ClassVar

from rulekit import cache


class Deferred:
    """A base of the checked program's dataclasses: the fields named by `_deferred` may be read later (`loads`)."""

    __slots__ = ("_rest",)
    #: the fields written in the second part
    _deferred: ClassVar[tuple[str, ...]] = ()

    def __getattr__(self, name: str) -> Any:
        # Python comes here only when a slot is unset: an object loaded without its trees, or a name it lacks
        try:
            rest = _REST.__get__(self, type(self))
        except AttributeError:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'") from None
        rest()
        return object.__getattribute__(self, name)


_REST = Deferred.__dict__["_rest"]  # the slot's descriptor: reads and clears `_rest` past __getattr__


def _pending(obj: Any) -> Callable[[], None] | None:
    """What loads `obj`'s deferred fields, or None when they are loaded."""
    try:
        return _REST.__get__(obj, type(obj))  # type: ignore[no-any-return]
    except AttributeError:
        return None


def _partial(cls: type, values: dict[str, Any]) -> Any:
    """An object of `cls` with only the fields that are not deferred."""
    obj: Any = object.__new__(cls)
    for name, value in values.items():
        object.__setattr__(obj, name, value)
    return obj


def evolve(obj: Any, **changes: Any) -> Any:
    """`dataclasses.replace(obj, **changes)` that leaves deferred fields deferred: the new object reads them from
    `obj` when they are first used."""
    rest = _pending(obj)
    if rest is None:
        return dataclasses.replace(obj, **changes)
    later = [name for name in obj._deferred if name not in changes]
    now = {f.name: changes[f.name] if f.name in changes else getattr(obj, f.name)
           for f in dataclasses.fields(obj) if f.name not in later}
    new = _partial(type(obj), now)

    def load() -> None:
        for name in later:
            object.__setattr__(new, name, getattr(obj, name))
        try:
            _REST.__delete__(new)
        except AttributeError:  # another thread read them meanwhile: the same values
            pass

    _REST.__set__(new, load)
    return new


def dumps(value: Any, base: type[cache.Pickler] = cache.Pickler, *args: Any) -> bytes:
    """`value` pickled (by `base(file, *args)`, a `cache.Pickler`) with the deferred fields of its `Deferred`
    objects at the end: one stream of three pickles sharing one memo, so the last refers to the objects of the
    first two."""
    later: list[tuple[Any, tuple[Any, ...]]] = []

    class Parts(base):  # type: ignore[valid-type, misc]
        deferring = True

        def reducer_override(self, obj: Any) -> Any:
            if self.deferring and isinstance(obj, Deferred) and not isinstance(obj, type):
                names = obj._deferred
                later.append((obj, tuple(getattr(obj, name) for name in names)))
                return (_partial, (type(obj), {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)  # type: ignore[arg-type]
                                               if f.name not in names}))
            return super().reducer_override(obj)

    buf = io.BytesIO()
    parts = Parts(buf, *args)
    parts.dump(value)
    parts.dump([obj for obj, _ in later])
    parts.deferring = False  # objects first met in the trees are written whole
    parts.dump([values for _, values in later])
    return hashlib.sha256(buf.getvalue()).digest() + buf.getvalue()


def loads(data: bytes, unpickler: Callable[[io.BytesIO], pickle.Unpickler] = pickle.Unpickler) -> Any:
    """What `dumps` wrote, read by `unpickler(file)`, its deferred fields left pickled until one of them is first
    read. The bytes must match the digest `dumps` put before them: the trees are read after this returns, when no
    failure can be taken for a damaged cache entry any more."""
    if hashlib.sha256(data[32:]).digest() != data[:32]:
        raise pickle.UnpicklingError("bytes that do not match their digest")
    reader = unpickler(io.BytesIO(data[32:]))
    value = reader.load()
    objects = reader.load()
    if not isinstance(objects, list) or not all(isinstance(o, Deferred) for o in objects):
        raise pickle.UnpicklingError("not a value with deferred fields")
    lock = threading.Lock()

    def load() -> None:
        with lock:
            if objects and _pending(objects[0]) is None:  # another thread loaded them meanwhile
                return
            collecting = gc.isenabled()
            gc.disable()  # as `cache.read` does: loading builds many objects and frees none
            try:
                values = reader.load()
            finally:
                if collecting:
                    gc.enable()
            if not isinstance(values, list) or len(values) != len(objects):  # pragma: no cover - the file was read
                raise pickle.UnpicklingError("the deferred fields do not fit their objects")
            for obj, fields in zip(objects, values, strict=True):
                for name, field_value in zip(obj._deferred, fields, strict=True):
                    object.__setattr__(obj, name, field_value)
            for obj in objects:
                _REST.__delete__(obj)
            reader.memo.clear()  # what the trees referred to is theirs now

    for obj in objects:
        _REST.__set__(obj, load)
    return value
