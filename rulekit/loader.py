"""Reads a policy set: the `.rule` files, the wordlist files they name (inside the policy root), the built-in records."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from rulekit import cache
from rulekit.checker import Program, deferred
from rulekit.diagnostics import Diagnostic, Span
from rulekit.limits import active as active_limits
from rulekit.paths import Expanded, expand
from rulekit.resources import builtin_records_path
from rulekit.wordlist import Entry, parse_wordlist

if TYPE_CHECKING:
    from rulekit.syntax import nodes as n


@dataclass(frozen=True, slots=True)
class PolicySources:
    """Everything the checker reads, already read: parsed files, their text, wordlist entries by source."""

    files: tuple[n.SourceFile, ...]
    texts: Mapping[str, str]
    #: (rule file, `source` as written) -> the entries of that wordlist file; absent when it could not be read
    wordlists: Mapping[tuple[str, str], tuple[Entry, ...]]
    builtin: n.SourceFile


@lru_cache(maxsize=1)
def builtin_records() -> n.SourceFile:
    """The parsed declarations of the built-in record types (RECORDS.md)."""
    path = builtin_records_path()
    sf, diags = parse_cached(path.read_text(encoding="utf-8"), str(path))
    if sf is None or diags:
        raise RuntimeError(f"the built-in record declarations do not parse: {diags}")
    return sf


def read_policies(paths: Iterable[str | Path], unsaved: Mapping[str, str] | None = None, *,
                  found: Expanded | None = None) -> tuple[PolicySources, list[Diagnostic]]:
    """Read and parse the `.rule` files (a directory recursively, sorted; it is the root of its files) and
    every wordlist source they name. Problems are diagnostics (E001, E006, E007), never exceptions.

    `unsaved` maps resolved file paths to text that replaces the file's (an editor's open buffers); `found` is
    `expand(paths)` when the caller has it already."""
    if found is None:
        found = expand(paths, (".rule",))
    diags = [Diagnostic("E006", f"no such file or directory: `{p}`", Span(p, 0, 0, 0, 0)) for p in found.missing]
    diags += [Diagnostic("E006", f"no .rule files under `{p}`", Span(p, 0, 0, 0, 0)) for p in found.empty]
    files: list[n.SourceFile] = []
    texts: dict[str, str] = {}
    wordlists: dict[tuple[str, str], tuple[Entry, ...]] = {}
    limit = active_limits().policy_file_bytes
    for f, root in found.files:
        name = str(f)
        problem = _policy_file_problem(f, root, f in found.named, limit)
        if problem is not None:
            diags.append(Diagnostic("E006", problem, Span(name, 0, 0, 0, 0)))
            continue
        text = unsaved.get(str(f.resolve())) if unsaved else None
        try:
            if text is None:
                text = f.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as e:
            diags.append(Diagnostic("E006", f"cannot read `{f}`: not UTF-8 (byte {e.start + 1})", Span(name, 0, 0, 0, 0)))
            continue
        except OSError as e:
            diags.append(Diagnostic("E006", f"cannot read `{f}`: {e.strerror or e}", Span(name, 0, 0, 0, 0)))
            continue
        texts[name] = text
        sf, ds = parse_cached(text, name)
        diags += ds
        if sf is None:
            continue
        files.append(sf)
        _read_wordlists(sf, f, root, name, wordlists, diags)
    return PolicySources(tuple(files), MappingProxyType(texts), MappingProxyType(wordlists), builtin_records()), diags


def parse_cached(text: str, name: str) -> tuple[n.SourceFile | None, list[Diagnostic]]:
    """`parse(text, name, recover=True)`, from the user cache when this text was parsed before under this name, by
    this build of rulekit, with the same nesting limit (rulekit/cache.py)."""
    key = cache.key_of(cache.code_fingerprint(), str(active_limits().expression_depth), name, text)
    hit = cache.load("parsed", key)
    from rulekit.syntax import nodes as n  # (what a parse is made of)

    if isinstance(hit, tuple) and len(hit) == 2 and (hit[0] is None or isinstance(hit[0], n.SourceFile)) \
            and isinstance(hit[1], list):
        return hit
    from rulekit.syntax.parser import parse  # Lark is imported only when a file is not in the cache

    result = parse(text, name, recover=True)
    cache.store("parsed", key, result)
    return result


def _read_wordlists(sf: n.SourceFile, f: Path, root: Path, name: str,
                    wordlists: dict[tuple[str, str], tuple[Entry, ...]], diags: list[Diagnostic]) -> None:
    for lit in _wordlist_sources(sf):
        key = (name, lit.value)
        if key not in wordlists:
            entries = _read_wordlist(f, root, lit, diags)
            if entries is not None:
                wordlists[key] = entries


def _policy_file_problem(f: Path, root: Path, named: bool, limit: int) -> str | None:
    """Why a policy file is not read: a symlink found by walking the root that leads outside it, or too large."""
    try:
        real = f.resolve()
        if not named and not real.is_relative_to(root.resolve()):
            return (f"`{f}` leads outside the policy root `{root}` (a symbolic link); policy files found in a "
                    "directory must lie inside it — name the file itself to load it")
        size = real.stat().st_size
    except (OSError, RuntimeError) as e:
        return f"cannot read `{f}`: {getattr(e, 'strerror', None) or e}"
    if size > limit:
        return f"`{f}` has {size:,} bytes; at most {limit:,} (limit `policy-file-bytes`)"
    return None


def load_program(paths: Iterable[str | Path], absent: Mapping[str, frozenset[str]] | None = None,
                 unsaved: Mapping[str, str] | None = None) -> Program:
    """Read, parse and check a policy set; every diagnostic is in `Program.diagnostics`.

    `absent`: built-in fields the input source does not have, which become optional (`check`); `unsaved`: text
    that replaces some files' (`read_policies`). The checked program is kept in the user cache (rulekit/cache.py),
    keyed by this build of rulekit, the limits, `absent` and every policy file's path and bytes; it is used only
    while each wordlist file it read still has the same bytes (`_wordlist_digests`)."""
    found = expand(paths, (".rule",))
    key = None if unsaved else _program_key(found, absent)
    if key is not None:
        hit = cache.read("program", key, deferred.loads)
        if isinstance(hit, tuple) and len(hit) == 3 and isinstance(hit[0], Program) and isinstance(hit[1], tuple) \
                and hit[2] == _wordlist_digests(hit[1]):
            return hit[0]
    from rulekit.checker.policyset import check  # only when the cache has no checked program

    sources, diags = read_policies(paths, unsaved, found=found)
    program = check(sources.files, sources.texts, sources.wordlists, sources.builtin, diags, absent)
    damaged = [sf for sf in sources.files if sf.damaged]
    if damaged:
        found_n = len(diags)  # the checker keeps the diagnostics it was given first, then adds its own
        kept = program.diagnostics[:found_n] + tuple(d for d in program.diagnostics[found_n:]
                                                     if not _echo(d, damaged))
        program = replace(program, diagnostics=kept)
    if key is not None:
        read = _wordlist_sources_read(sources, found)
        digests = _wordlist_digests(read)
        # what the plan cache keys by: the files' bytes and the bytes of every wordlist they read
        program = replace(program, key=cache.key_of(key, *digests))
        cache.store("program", key, (program, read, digests), deferred.dumps)
    return program


def _program_key(found: Expanded, absent: Mapping[str, frozenset[str]] | None) -> str | None:
    """The cache key of a checked program: this build, the limits, `absent`, and each policy file's path, root and
    bytes as found now (None when a file is standard input: nothing to key it by)."""
    parts: list[str | bytes] = [cache.package_fingerprint(), repr(active_limits()),
                                repr(sorted((k, sorted(v)) for k, v in (absent or {}).items())),
                                repr(found.missing), repr(found.empty)]
    for f, root in found.files:
        if str(f) == "-":
            return None
        try:
            parts += [str(f), str(f.resolve()), str(root.resolve()), str(f in found.named), f.read_bytes()]
        except (OSError, RuntimeError) as e:
            parts += [str(f), f"unreadable: {e}"]
    return cache.key_of(*parts)


def _wordlist_sources_read(sources: PolicySources, found: Expanded) -> tuple[tuple[str, str, str], ...]:
    """(rule file, policy root, `source` as written) of every wordlist source the policies name."""
    roots = {str(f): str(root) for f, root in found.files}
    return tuple((rule_file, roots.get(rule_file, "."), lit.value) for sf in sources.files
                 for rule_file in (sf.path,) for lit in _wordlist_sources(sf))


def _wordlist_digests(read: tuple[tuple[str, str, str], ...]) -> tuple[str, ...]:
    """What each wordlist source resolves to now: its file's path and a hash of its bytes, or why it cannot be read."""
    out = []
    for rule_file, root, raw in read:
        scratch: list[Diagnostic] = []
        target = confine(Path(rule_file), Path(root), raw, Span(rule_file, 0, 0, 0, 0), scratch)
        if target is None:
            out.append(cache.key_of("unread", *(d.message for d in scratch)))
            continue
        try:
            out.append(cache.key_of(str(target), target.read_bytes()))
        except OSError as e:
            out.append(cache.key_of("unreadable", str(e)))
    return tuple(out)


def _echo(d: Diagnostic, damaged: list[n.SourceFile]) -> bool:
    """Whether a checker diagnostic is an echo of a syntax error: an item-level complaint (on the header line of a
    rule, test, table, … that lost a statement to recovery: "no `when`", "no `given`"), E002 for a `let`, wordlist
    or table whose definition was blanked, or W104/W105, which need every statement of the set to be judged.
    Diagnostics inside a damaged item's remaining statements (an unknown field in its `when`) are kept."""
    if d.code in ("W104", "W105"):
        return True
    for sf in damaged:
        if sf.lost_names and d.code == "E002" and any(f"`{name}`" in d.message for name in sf.lost_names):
            return True
        if d.span.file != sf.path:
            continue
        for item in _members(sf):
            s = item.span  # type: ignore[attr-defined]
            if d.span.line == s.line and any(s.line <= last and first <= s.end_line for first, last in sf.damaged):
                return True
    return False


def _members(sf: n.SourceFile) -> list[object]:
    """The rules, lets, tables, wordlists and tests of a file, and its policies' other members."""
    from rulekit.syntax import nodes as n

    out: list[object] = []
    for item in sf.items:
        if isinstance(item, n.Policy):
            out += list(item.members)
        else:
            out.append(item)
    return out


def _wordlist_sources(sf: n.SourceFile) -> list[n.Literal]:
    from rulekit.syntax import nodes as n

    return [lit for item in sf.items if isinstance(item, n.Policy)
            for m in item.members if isinstance(m, n.Wordlist) for lit in m.values("source")]


def _read_wordlist(rule_file: Path, root: Path, lit: n.Literal, diags: list[Diagnostic]) -> tuple[Entry, ...] | None:
    target = confine(rule_file, root, lit.value, lit.span, diags)
    if target is None:
        return None
    limit = active_limits().wordlist_file_bytes
    try:
        with open(target, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as e:
        diags.append(Diagnostic("E006", f"cannot read wordlist file `{lit.value}`: {e.strerror or e}", lit.span))
        return None
    if len(data) > limit:
        diags.append(Diagnostic("E007", f"wordlist file `{lit.value}` is larger than {limit:,} bytes "
                                "(limit `wordlist-file-bytes`)", lit.span))
        return None
    entries, problems = parse_wordlist(data)
    for line, problem in problems:
        diags.append(Diagnostic("E007", f"{lit.value}:{line}: {problem}", lit.span))
    return tuple(entries)


def confine(rule_file: Path, root: Path, raw: str, span: Span, diags: list[Diagnostic]) -> Path | None:
    """A wordlist `source` path, `raw` as written at `span`: relative to its .rule file, and inside the policy root
    (symlinks resolved)."""
    base = rule_file.parent
    target = (base / raw) if not os.path.isabs(raw) else Path(raw)
    if "\0" in raw or any(0xD800 <= ord(c) <= 0xDFFF for c in raw):
        what = "a NUL character" if "\0" in raw else "a lone surrogate (no Unicode character)"
        diags.append(Diagnostic("E006", f"wordlist source path holds {what}", span))
        return None
    try:
        real = target.resolve(strict=False)
        real_root = root.resolve()
    except (OSError, RuntimeError, ValueError) as e:
        diags.append(Diagnostic("E006", f"cannot resolve `{raw}`: {getattr(e, 'strerror', None) or e}", span))
        return None
    if real != real_root and real_root not in real.parents:
        diags.append(Diagnostic("E006", f"wordlist source `{raw}` lies outside the policy root `{root}`", span,
                                "keep wordlist files inside the directory of the policies (symlinks are followed)"))
        return None
    try:
        exists, is_file = real.exists(), real.is_file()
    except OSError as e:
        diags.append(Diagnostic("E006", f"cannot read wordlist source `{raw[:200]}`: {e.strerror or e}", span))
        return None
    if not is_file:
        diags.append(Diagnostic("E006", f"wordlist source `{raw}` does not exist" if not exists
                                else f"wordlist source `{raw}` is not a file", span))
        return None
    return real
