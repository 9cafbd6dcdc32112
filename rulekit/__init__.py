"""rulekit: a declarative rules engine for e-commerce shop policy and compliance."""

from rulekit.diagnostics import Diagnostic, PolicyError
from rulekit.engine import Engine, load
from rulekit.explain import Explanation
from rulekit.runtime.report import Action, EvalError, Evidence, Report, RuleDescriptor, Violation
from rulekit.stream import Stream
from rulekit.version import __version__

__all__ = [
    "Action", "Diagnostic", "Engine", "EvalError", "Evidence", "Explanation", "PolicyError", "Report",
    "RuleDescriptor", "Stream", "Violation", "__version__", "load",
]
