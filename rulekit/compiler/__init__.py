"""Compiles a checked Program into a Plan: Python source per subject kind, validators, constants, windows."""

from rulekit.compiler.plan import KindPlan, Plan, WindowPlan, compile_program

__all__ = ["KindPlan", "Plan", "WindowPlan", "compile_program"]
