"""The pytest plugin: `pytest --rulekit PATH` collects the `test` blocks of `.rule` files as pytest items."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_KEY = pytest.StashKey[list[Path]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--rulekit PATH` (repeatable) and the ini option `rulekit_paths`."""
    group = parser.getgroup("rulekit", "rulekit policy tests")
    group.addoption("--rulekit", action="append", default=[], metavar="PATH",
                    help="collect the `test` blocks of the .rule files under PATH (a file or a directory: the policy "
                         "set its tests run against) as pytest items")
    parser.addini("rulekit_paths", "policy files or directories whose `test` blocks pytest collects", type="paths",
                  default=[])


def pytest_configure(config: pytest.Config) -> None:
    """Opt-in: only the paths given by `--rulekit` or `rulekit_paths` are collected, and they are added to the
    run (beside the test paths), so `pytest --rulekit policies/` runs the Python tests and the policy tests."""
    roots = [Path(p).resolve() for p in config.getoption("rulekit")]
    roots += [Path(p).resolve() for p in config.getini("rulekit_paths")]
    config.stash[_KEY] = roots
    for r in roots:
        if not r.exists():
            raise pytest.UsageError(f"--rulekit {r}: no such file or directory")
        if str(r) not in config.args and not any(r.is_relative_to(Path(a).resolve()) for a in config.args):
            config.args.append(str(r))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """A `.rule` file under one of the rulekit paths becomes a collector of its `test` blocks."""
    if file_path.suffix != ".rule":
        return None
    roots = parent.config.stash.get(_KEY, [])
    root = next((r for r in roots if file_path.resolve() == r or file_path.resolve().is_relative_to(r)), None)
    if root is None:
        return None
    return RuleFile.from_parent(parent, path=file_path, root=root)  # type: ignore[no-any-return]


_ENGINES: dict[Path, Any] = {}
_REPORTED: set[Path] = set()


def _engine(root: Path) -> Any:
    """The policy set under `root`, loaded once per run (a PolicyError is kept and raised for each file)."""
    if root not in _ENGINES:
        import rulekit
        from rulekit.diagnostics import PolicyError
        try:
            _ENGINES[root] = rulekit.load(root)
        except PolicyError as e:
            _ENGINES[root] = e
    return _ENGINES[root]


class RuleFile(pytest.File):
    """One `.rule` file: an item per `test` block, run against the policy set of its rulekit path."""

    def __init__(self, *, root: Path, **kw: Any) -> None:
        super().__init__(**kw)
        self.root = root

    def collect(self) -> Iterator[pytest.Item]:
        engine = _engine(self.root)
        if isinstance(engine, Exception):
            if self.root not in _REPORTED:  # once per policy set, on its first file
                _REPORTED.add(self.root)
                yield PolicyLoadItem.from_parent(self, name="policies load", error=engine)
            return
        mine = self.path.resolve()
        for path, t in engine.program.tests:
            if Path(path).resolve() == mine:
                yield RuleTestItem.from_parent(self, name=t.name, engine=engine, source=path, block=t)


class RuleTestFailure(Exception):
    """A `test` block whose expectations did not hold."""


class RuleTestItem(pytest.Item):
    """One `test "title" { … }` block."""

    #: no fixtures; present because some plugins' call wrappers (pytest-lsp 1.0) look for it on every item
    funcargs: dict[str, Any] = {}

    def __init__(self, *, engine: Any, source: str, block: Any, **kw: Any) -> None:
        super().__init__(**kw)
        self.engine, self.source, self.block = engine, source, block

    def runtest(self) -> None:
        from rulekit.testing import run_test
        result = run_test(self.engine, self.source, self.block)
        if not result.passed:
            raise RuleTestFailure(result.problems)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, RuleTestFailure):
            problems = excinfo.value.args[0]
            return "\n".join([f"{self._shown_path()}:{self.block.span.line}: test \"{self.name}\" failed",
                              *(f"  {p}" for p in problems)])
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.block.span.line - 1, f"rulekit test \"{self.name}\""

    def _shown_path(self) -> str:
        """The file relative to pytest's root directory when it lies inside it, as pytest shows paths."""
        try:
            return str(self.path.resolve().relative_to(self.config.rootpath.resolve()))
        except ValueError:
            return str(self.source)


class PolicyLoadItem(pytest.Item):
    """Stands for a policy set that does not load: it fails with every diagnostic."""

    funcargs: dict[str, Any] = {}

    def __init__(self, *, error: Exception, **kw: Any) -> None:
        super().__init__(**kw)
        self.error = error

    def runtest(self) -> None:
        raise self.error

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        return str(self.error)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, "rulekit policies"
