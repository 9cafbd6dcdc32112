"""One window aggregate of a compiled plan: its store spec, its keys, and what it keeps of each subject."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rulekit.checker.deferred import Deferred
from rulekit.runtime.windows.store import WindowSpec

if TYPE_CHECKING:
    from rulekit.checker import CheckedPolicy
    from rulekit.syntax import nodes as n


@dataclass(frozen=True, slots=True)
class WindowPlan(Deferred):
    """One distinct window aggregate: its store spec, keys, and what it keeps per subject. In a plan read from its
    image, `node` is loaded when first read (`checker.deferred`)."""

    _deferred = ("node",)

    id: str  # `kind:the aggregate as formatted`: identical aggregates share one window
    func: str
    within_us: int
    keys: tuple[str, ...]
    kind: str  # the subject type it aggregates
    index: int  # generated code reads its handle as `W[index]`
    #: for a `where` that reads `this` (filtered at query time): the item fields each entry keeps, else None;
    #: for a members window, the fields of its subjects the program reads (None: it keeps whole records)
    projection: tuple[str, ...] | None
    node: n.Window = field(repr=False)
    #: where it was written (its value and `where` may read policy lets)
    policy: CheckedPolicy | None = field(default=None, repr=False)

    @property
    def members(self) -> bool:
        """A `members` window: it keeps (a reference to) each subject it holds, and lists them."""
        return self.func == "members"

    @property
    def filters_at_query(self) -> bool:
        """Its `where` reads `this`, so it is applied when the window is read, not when a subject joins."""
        from rulekit.syntax import nodes
        from rulekit.syntax.visitor import walk

        return self.node.where is not None and any(isinstance(x, nodes.This) for x in walk(self.node.where))

    @property
    def spec(self) -> WindowSpec:
        """The store spec: a query-time window keeps its projections, a members window its subjects; others keep
        only what `func` needs."""
        return WindowSpec(self.id, self.func, self.within_us, self.kind,
                          keeps_values=self.projection is not None or self.members)

    @property
    def queried_projection(self) -> bool:
        """A count, sum or distinct window filtered at query time over the projections it keeps."""
        return self.projection is not None and not self.members
