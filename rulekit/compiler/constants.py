"""The constants of generated code: one namespace per plan, each value bound once under a fresh name."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from rulekit import values
from rulekit.runtime import support

#: What every generated module can read, besides its constants.
BASE_GLOBALS: dict[str, Any] = {
    "_M": values.MISSING, "_S": support, "_D": Decimal, "_Undet": support.Undetermined,
    "_undet": support.undet, "_td": timedelta, "_U": support.UNSET,
}


class Constants:
    """Binds values into a namespace (the generated module's globals) under names `_{hint}{n}{suffix}`.

    Equal hashable values of one type share a name. A namespace derived with `derive` starts from a copy,
    so compiling more code (explanations) never changes the names or values a running plan reads.
    """

    def __init__(self, namespace: dict[str, Any], prefix: str = "") -> None:
        self.namespace = namespace
        self.prefix = prefix
        self._next = 0  # the number in the next name given
        self._cache: dict[Any, str] = {}

    def name(self, value: Any, hint: str = "c") -> str:
        """The name bound to `value` (a new one unless an equal value is bound already)."""
        try:
            key: Any = (type(value).__name__, value)
            hash(key)
        except TypeError:
            key = None
        if key is not None and key in self._cache:
            return self._cache[key]
        name = f"_{self.prefix}{hint}{self._next}"
        self._next += 1
        self.namespace[name] = value
        if key is not None:
            self._cache[key] = name
        return name

    def bind(self, name: str, value: Any) -> str:
        """Bind `value` under a chosen name (wordlists, tables, policy constants)."""
        self.namespace[name] = value
        return name

    def count(self) -> int:
        """How many names `name` has given."""
        return self._next

    def adopt(self, values: dict[str, Any], count: int) -> None:
        """Take the bindings of an earlier compilation (a cached plan image) and go on numbering after them;
        equal values bound later get names of their own."""
        self.namespace.update(values)
        self._next = max(self._next, count)

    def derive(self, prefix: str) -> Constants:
        """Constants over a copy of this namespace; new names carry `prefix`."""
        return Constants(dict(self.namespace), prefix)


def gen_name(tag: str, *parts: str) -> str:
    """A Python name for user-named things, injective by construction: each part is written after its length
    (`_K1_a3_b_c` is policy `a`'s `b_c`, `_K3_a_b1_c` policy `a_b`'s `c`), so two declarations never share one."""
    return f"_{tag}" + "".join(f"{len(p)}_{p}" for p in parts)


def wordlist_name(policy: str, name: str) -> str:
    """The global a wordlist's matcher is bound to."""
    return gen_name("WL", policy, name)


def table_name(policy: str, name: str) -> str:
    """The global a table's lookup dict is bound to."""
    return gen_name("TB", policy, name)


def table_else_name(policy: str, name: str) -> str:
    """The global a table's `else` row is bound to."""
    return gen_name("TE", policy, name)
