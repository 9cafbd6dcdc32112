"""The constants of generated code: one namespace per plan, each value bound once under a fresh name."""

from __future__ import annotations

from typing import Any


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
