"""rulekit: a declarative rules engine for e-commerce shop policy and compliance."""

from typing import TYPE_CHECKING, Any

from rulekit.diagnostics import Diagnostic, PolicyError
from rulekit.engine import Engine, load
from rulekit.runtime.report import Action, EvalError, Evidence, Report, RuleDescriptor, Violation
from rulekit.stream import Stream
from rulekit.version import __version__

if TYPE_CHECKING:
    from rulekit.explain import Explanation


def __getattr__(name: str) -> Any:
    """`rulekit.Explanation`, imported when first asked for (it is only needed to explain)."""
    if name == "Explanation":
        from rulekit.explain import Explanation

        return Explanation
    raise AttributeError(f"module 'rulekit' has no attribute {name!r}")

__all__ = [
    "Action", "Diagnostic", "Engine", "EvalError", "Evidence", "Explanation", "PolicyError", "Report",
    "RuleDescriptor", "Stream", "Violation", "__version__", "load",
]
