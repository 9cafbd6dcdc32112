"""A compiled plan's image in the user cache: generated sources, constants and windows, around rebuilt wordlists."""

from __future__ import annotations

import gc
import io
import pickle
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rulekit import cache
from rulekit.checker import Program, deferred
from rulekit.runtime.matcher import WordlistMatcher

from .constants import Constants

#: Bumped when the image's layout changes (the package fingerprint in the program's key changes with any edit of
#: rulekit's sources anyway).
_LAYOUT = "plan-image-3"


@dataclass(frozen=True, slots=True)
class PlanImage:
    """What code generation made of a checked program: per kind its source (evaluate and observe) and whether it
    calls `matches()`, the windows (in `W[index]` order), the constants the sources read beyond the base
    globals and the wordlists, and per kind the fields its rules and windows read (`Plan.lean_fields`)."""

    sources: Mapping[str, str]
    uses_regex: Mapping[str, bool]
    windows: tuple[Any, ...]  # compiler.windowplan.WindowPlan
    constants: dict[str, Any]
    next_name: int  # the count of names `Constants.name` has given
    lean: Mapping[str, tuple[str, ...] | None]


def key_of(program: Program) -> str | None:
    """The image's cache key: the program's (its files, the wordlists they read, this build of rulekit, the limits),
    this Python, and the automaton libraries installed (which decide how wordlists are fused, so what the sources
    read); None for a program that was not read through the cache."""
    if program.key is None or cache.cache_dir() is None:
        return None
    return cache.key_of(_LAYOUT, program.key, sys.version, cache.module_fingerprint("ahocorasick_rs"),
                        cache.module_fingerprint("ahocorasick"))


def _references(program: Program, consts: Constants, base: Mapping[str, Any]) -> dict[int, tuple[str, ...]]:
    """The objects an image refers to instead of holding: the base globals, the wordlist matchers (rebuilt at each
    load) and the probes of their fused automata, the namespace itself, and the program's policies."""
    refs: dict[int, tuple[str, ...]] = {id(v): ("base", k) for k, v in base.items()}
    for name, v in consts.namespace.items():
        if isinstance(v, WordlistMatcher):
            refs[id(v)] = ("constant", name)
            probe = getattr(v, "probe", None)
            if probe is not None:
                refs[id(probe[0])] = ("probe", name)
    refs[id(consts.namespace)] = ("namespace",)
    refs[id(program)] = ("program",)
    refs.update({id(p): ("policy", p.name) for p in program.policies})
    return refs


class _Pickler(cache.Pickler):
    """The cache's pickler, writing references for the objects of `_references` and generated classes (a table's
    rows, a members window's records) as the call that makes them again."""

    def __init__(self, buf: io.BytesIO, refs: dict[int, tuple[str, ...]]):
        super().__init__(buf)
        self.refs = refs

    def persistent_id(self, obj: Any) -> tuple[str, ...] | None:
        return self.refs.get(id(obj))

    def reducer_override(self, obj: Any) -> Any:
        recipe = obj.__dict__.get("__rulekit_recipe__") if isinstance(obj, type) else None
        if recipe is not None:
            return recipe
        return super().reducer_override(obj)


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, program: Program, consts: Constants, base: Mapping[str, Any]):
        super().__init__(file)
        self.program, self.consts, self.base = program, consts, base

    def persistent_load(self, pid: Any) -> Any:
        kind, *rest = pid
        if kind == "base":
            return self.base[rest[0]]
        if kind == "constant":
            return self.consts.namespace[rest[0]]
        if kind == "probe":
            return self.consts.namespace[rest[0]].probe[0]
        if kind == "namespace":
            return self.consts.namespace
        if kind == "program":
            return self.program
        if kind == "policy":
            return self.program.policy(rest[0])
        raise pickle.UnpicklingError(f"unknown reference {kind}")


@dataclass(frozen=True, slots=True)
class Stored:
    """An image as read from the cache: which wordlists only context filters search (how the wordlists are fused,
    which the image's references assume) and the image itself, still pickled."""

    context_only: frozenset[tuple[str, str]]
    payload: bytes


def store(key: str, context_only: frozenset[tuple[str, str]], image: PlanImage, program: Program,
          consts: Constants, base: Mapping[str, Any]) -> None:
    """Keep `image` under `key`; an image that holds something that cannot be pickled is not kept."""
    try:
        payload = deferred.dumps(image, _Pickler, _references(program, consts, base))
    except (pickle.PicklingError, RecursionError, TypeError, AttributeError):
        return
    cache.write("plan", key, pickle.dumps((sorted(context_only), payload), protocol=pickle.HIGHEST_PROTOCOL))


def read(key: str) -> Stored | None:
    """The image kept under `key`, not yet resolved; None when there is none or it cannot be read."""
    found = cache.read("plan", key, pickle.loads)
    if not (isinstance(found, tuple) and len(found) == 2 and isinstance(found[0], list)
            and isinstance(found[1], bytes)):
        return None
    try:
        context_only = frozenset((str(a), str(b)) for a, b in found[0])
    except (TypeError, ValueError):
        return None
    return Stored(context_only, found[1])


def resolve(stored: Stored, program: Program, consts: Constants, base: Mapping[str, Any]) -> PlanImage | None:
    """The image, its references resolved in `consts` (which holds this load's matchers, fused as `stored` says)
    and `program`; None when it cannot be read (then the plan is compiled, and kept again)."""
    collecting = gc.isenabled()
    gc.disable()  # as `cache.read` does: loading builds many objects and frees none
    try:
        image = deferred.loads(stored.payload, lambda file: _Unpickler(file, program, consts, base))
    except Exception:  # noqa: BLE001 - a corrupt or foreign image is rebuilt, never trusted
        return None
    finally:
        if collecting:
            gc.enable()
    return image if isinstance(image, PlanImage) else None
