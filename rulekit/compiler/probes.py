"""Probes of fused automata in generated code: a `find` whose text holds no hit of its wordlist is skipped inline."""

from __future__ import annotations

import re
from typing import Any

from rulekit.builtins import field_path, find_each
from rulekit.syntax import nodes as n

from .constants import Constants

#: A text read straight from the subject (`r.title`): one value for the whole evaluation of a record.
_SUBJECT_FIELD = re.compile(r"r(?:\.[A-Za-z_][A-Za-z_0-9]*)+")


def find_code(consts: Constants, matcher: str, text: str, rest: str, probes: dict[tuple[str, str], str] | None
              ) -> str:
    """The code of `matcher.find(text, rest…)`. For a matcher of a fused automaton and a text read from the subject,
    the automaton's answer for the text is asked once per record (a local in `probes`, set to `_U` when
    evaluation starts) and `find` is called only when it holds a hit of the matcher's keys: a record without hits
    costs one dict test per call instead of a call."""
    call = f"{matcher}.find({text}{rest})"
    found = getattr(consts.namespace.get(matcher), "probe", None)
    if probes is None or found is None or not _SUBJECT_FIELD.fullmatch(text):
        return call
    probe, slot = found
    key = (consts.name(probe, "pr"), text)
    local = probes.get(key)
    if local is None:
        local = probes[key] = f"_probe{len(probes)}"  # no constant is named `_probe…`
    return f"({call} if (({local} if {local} is not _U else ({local} := {key[0]}({text}))) is not None and " \
           f"{slot} in {local}) else [])"


def find_source(ec: Any, e: n.Call, s: Any) -> str | None:
    """The code of a `find` call over one text or a list literal of texts (each text keeps its field), compiled by
    `ec` (an ExpressionCompiler) in scope `s`; None for a list value, which the built-in's own code reads."""
    if not e.args or (e.args[0].type is not None and e.args[0].type.kind == "list"
                      and not isinstance(e.args[0], n.ListExpr)):
        return None
    wordlist = ec.val(e.args[1], s)
    category = ec.val(e.args[2], s) if len(e.args) == 3 else None

    def find(text: str, rest: str) -> str:
        return find_code(ec.consts, wordlist, text, rest, s.probes)

    if isinstance(e.args[0], n.ListExpr):
        return find_each([ec.val(i, s) for i in e.args[0].items], e, category, find)
    return find(ec.val(e.args[0], s), f", {field_path(e.args[0])!r}" + (f", {category}" if category else ""))
