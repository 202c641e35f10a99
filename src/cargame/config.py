"""Configuration: default.toml, then a profile, then `CARGAME_<SECTION>_<KEY>` variables."""

from __future__ import annotations

import copy
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class ConfigError(ValueError):
    """A configuration value is missing or malformed."""


class Config:
    """Read-only view of the merged settings: `config.get("serving", "url")`."""

    def __init__(self, data: Mapping[str, Mapping[str, Any]], profile: str, root: Path) -> None:
        self._data = {section: dict(values) for section, values in data.items()}
        self.profile = profile
        self.root = root

    def get(self, section: str, key: str) -> Any:
        try:
            return self._data[section][key]
        except KeyError as error:
            raise ConfigError(f"unknown setting [{section}] {key}") from error

    def section(self, section: str) -> dict[str, Any]:
        return dict(self._data.get(section, {}))

    def path(self, key: str) -> Path:
        """A `[paths]` entry as an absolute path (relative ones are taken from the project root)."""
        value = Path(str(self.get("paths", key))).expanduser()
        return value if value.is_absolute() else self.root / value

    def with_overrides(self, overrides: Mapping[str, Mapping[str, Any]]) -> Config:
        """A copy with some values replaced (used by tests and the CLI)."""
        data = copy.deepcopy(self._data)
        for section, values in overrides.items():
            data.setdefault(section, {}).update(values)
        return Config(data, self.profile, self.root)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return copy.deepcopy(self._data)


def _merge(base: dict[str, dict[str, Any]], extra: Mapping[str, Any]) -> None:
    for section, values in extra.items():
        if not isinstance(values, Mapping):
            raise ConfigError(f"top-level key {section!r} must be a [section]")
        base.setdefault(section, {}).update(values)


def _coerce(raw: str, current: Any, name: str) -> Any:
    """Turn an environment string into the type of the default it replaces."""
    if isinstance(current, bool):
        if raw.lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.lower() in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"{name} must be true or false, not {raw!r}")
    try:
        if isinstance(current, int):
            return int(raw.replace("_", ""))
        if isinstance(current, float):
            return float(raw)
    except ValueError as error:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from error
    return raw


def _apply_environment(data: dict[str, dict[str, Any]], environ: Mapping[str, str]) -> None:
    for section, values in data.items():
        for key, current in values.items():
            name = f"CARGAME_{section}_{key}".upper()
            if name in environ:
                values[key] = _coerce(environ[name], current, name)


def load_config(profile: str | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Merge default.toml, `configs/<profile>.toml` and the environment."""
    environ = os.environ if environ is None else environ
    profile = profile or environ.get("CARGAME_PROFILE", "default")
    data: dict[str, dict[str, Any]] = {}
    config_dir = Path(environ.get("CARGAME_CONFIG_DIR", PROJECT_ROOT / "configs"))
    files = [config_dir / "default.toml"]
    if profile != "default":
        files.append(config_dir / f"{profile}.toml")
    if environ.get("CARGAME_CONFIG"):
        files.append(Path(environ["CARGAME_CONFIG"]))
    for file in files:
        if not file.is_file():
            raise ConfigError(f"config file not found: {file}")
        with file.open("rb") as handle:
            _merge(data, tomllib.load(handle))
    _apply_environment(data, environ)
    return Config(data, profile, Path(environ.get("CARGAME_ROOT", PROJECT_ROOT)))
