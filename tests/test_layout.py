"""The package layout rules (DESIGN.md): a one-line docstring per module, size limits, no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "rulekit"
MAX_MODULE_LINES = 520
MAX_CLASS_LINES = 300


def _modules() -> dict[str, Path]:
    out = {}
    for p in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        out[name] = p
    return out


MODULES = _modules()


def test_every_module_says_its_job_in_one_line() -> None:
    for name, p in MODULES.items():
        doc = ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))
        assert doc, f"{name} has no docstring"
        assert "\n" not in doc.split("\n\n")[0].strip(), f"{name}: the first paragraph is not one line"


def test_modules_and_classes_stay_small() -> None:
    for name, p in MODULES.items():
        text = p.read_text(encoding="utf-8")
        assert text.count("\n") <= MAX_MODULE_LINES, f"{name} has {text.count(chr(10))} lines"
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                assert size <= MAX_CLASS_LINES, f"{name}.{node.name} has {size} lines"


def _imports(name: str, p: Path) -> set[str]:
    pkg = name if p.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                root = pkg
                for _ in range(node.level - 1):
                    root = root.rsplit(".", 1)[0]
                base = root + ("." + node.module if node.module else "")
            subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
            out |= set(subs) if len(subs) == len(node.names) else {base, *subs}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return {m for m in out if m in MODULES and m != name}


def test_no_import_cycles() -> None:
    graph = {name: _imports(name, p) for name, p in MODULES.items()}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(n):] + [n]))
            if n not in state:
                visit(n)
        path.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_lower_stages_never_import_higher_ones() -> None:
    order = ["syntax", "records", "checker", "compiler", "runtime", "engine", "io", "commands", "cli"]
    below = {"syntax": {"checker", "compiler", "engine", "io", "commands", "cli", "loader", "stream", "explain"},
             "records": {"checker", "compiler", "engine", "io", "commands", "cli", "loader"},
             "checker": {"compiler", "engine", "io", "commands", "cli", "loader", "stream", "explain"},
             "compiler": {"engine", "io", "commands", "cli", "loader", "stream", "explain"},
             "runtime": {"checker", "compiler", "engine", "io", "commands", "cli", "loader", "stream", "explain"}}
    assert set(below) <= set(order)
    for name, p in MODULES.items():
        stage = name.split(".")[1] if "." in name else ""
        for target in _imports(name, p):
            top = target.split(".")[1] if "." in target else ""
            assert top not in below.get(stage, set()), f"{name} imports {target}, a later stage"
