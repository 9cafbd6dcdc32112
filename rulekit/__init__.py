"""rulekit: a declarative rules engine for e-commerce shop policy and compliance."""

from rulekit.diagnostics import Diagnostic, PolicyError
from rulekit.engine import Engine, Stream, load
from rulekit.report import Action, EvalError, Evidence, Report, Violation

__version__ = "0.1.0"

__all__ = [
    "Action", "Diagnostic", "Engine", "EvalError", "Evidence", "PolicyError", "Report", "Stream", "Violation",
    "__version__", "load",
]
