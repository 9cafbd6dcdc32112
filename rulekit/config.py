"""Finds and reads the project configuration: `[tool.rulekit]` in pyproject.toml, or rulekit.toml."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rulekit.suggest import did_you_mean

#: Every key a configuration may hold, and what its value must be.
KEYS: dict[str, str] = {
    "policies": "a list of paths", "extend-policies": "a list of paths", "select": "a list of rule patterns",
    "ignore": "a list of rule patterns", "severity": "a table of rule id = error|warning|info",
    "exclude": "a list of glob patterns", "fail-on": "error, warning, info or never",
    "format": "text, json, jsonl, sarif, github or html", "lateness": "a duration such as 5m",
    "baseline": "the path of a baseline file", "suppressions": "the path of a suppressions file",
    "limits": "a table of limit = value (docs/security.md)",
}
_LISTS = ("policies", "extend-policies", "select", "ignore", "exclude")
_CHOICES = {"fail-on": ("error", "warning", "info", "never"),
            "format": ("text", "json", "jsonl", "sarif", "github", "html")}


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Config:
    """The settings of a configuration file (paths resolved against its directory); empty without one."""

    path: Path | None = None
    policies: tuple[Path, ...] | None = None
    extend_policies: tuple[Path, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: dict[str, str] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    fail_on: str | None = None
    format: str | None = None
    lateness: str | None = None
    baseline: Path | None = None
    suppressions: Path | None = None
    limits: dict[str, Any] = field(default_factory=dict)
    where: str = ""  # how messages name the file (`pyproject.toml [tool.rulekit]`)

    @property
    def root(self) -> Path:
        """The directory the configuration applies to (the current directory without one)."""
        return self.path.parent if self.path is not None else Path.cwd()


def find_config(start: Path | None = None) -> Path | None:
    """The nearest rulekit.toml, or pyproject.toml with a `[tool.rulekit]` table, from `start` upwards."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / "rulekit.toml").is_file():
            return d / "rulekit.toml"
        py = d / "pyproject.toml"
        if py.is_file():
            import tomllib  # only where a pyproject.toml is

            try:
                if "rulekit" in tomllib.loads(py.read_text(encoding="utf-8")).get("tool", {}):
                    return py
            except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
                continue  # somebody else's broken pyproject is not ours to judge
    return None


def load_config(path: Path) -> Config:
    """Read and check one configuration file; ConfigError names the file and the bad key or value."""
    import tomllib

    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    table: Any = doc.get("tool", {}).get("rulekit", {}) if path.name == "pyproject.toml" else doc
    where = f"{path} [tool.rulekit]" if path.name == "pyproject.toml" else str(path)
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table of settings")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in KEYS:
            hint = did_you_mean(key, KEYS)
            raise ConfigError(f"{where}: unknown key `{key}`" + (f"; {hint}" if hint else
                                                                f" (keys: {', '.join(KEYS)})"))
        values[key] = _check(where, key, value)
    base = path.parent

    def paths(key: str) -> tuple[Path, ...]:
        return tuple(base / p for p in values[key])

    return Config(
        path=path,
        policies=paths("policies") if "policies" in values else None,
        extend_policies=paths("extend-policies") if "extend-policies" in values else (),
        select=tuple(values.get("select", ())), ignore=tuple(values.get("ignore", ())),
        severity=dict(values.get("severity", {})), exclude=tuple(values.get("exclude", ())),
        fail_on=values.get("fail-on"), format=values.get("format"), lateness=values.get("lateness"),
        baseline=base / values["baseline"] if "baseline" in values else None,
        suppressions=base / values["suppressions"] if "suppressions" in values else None,
        limits=dict(values.get("limits", {})), where=where)


def _check(where: str, key: str, value: Any) -> Any:
    bad = ConfigError(f"{where}: `{key}` must be {KEYS[key]}")
    if key in _LISTS:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise bad
        return value
    if key == "limits":
        if not isinstance(value, dict):
            raise bad
        return value
    if key == "severity":
        if not isinstance(value, dict) or not all(v in ("error", "warning", "info") for v in value.values()):
            raise bad
        return value
    if not isinstance(value, str) or (key in _CHOICES and value not in _CHOICES[key]):
        raise bad
    return value


def resolve(config_path: str | None, isolated: bool) -> Config:
    """The configuration a command uses: `--config FILE`, else the nearest one, none with `--isolated`."""
    if isolated:
        return Config()
    if config_path is not None:
        return load_config(Path(config_path))
    found = find_config()
    return load_config(found) if found is not None else Config()
