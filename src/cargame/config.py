"""Configuration: default.toml, then a profile, then `CARGAME_<SECTION>_<KEY>` variables."""

from __future__ import annotations

import copy
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Sections naming a service by one `url`: clients call it, a local server listens on its port.
SERVICE_SECTIONS = ("serving", "explainer")
DEFAULT_PORTS = {"http": 80, "https": 443}


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

    def service_url(self, section: str) -> str:
        """`[section] url`, checked to be `http(s)://host[:port]` with at most a trailing slash."""
        url = str(self.get(section, "url"))
        _parse_service_url(section, url)
        return url

    def listen_address(self, section: str) -> tuple[str, int]:
        """Host and port a local server binds: `host` (empty: the URL's host) and the URL's port."""
        parts = _parse_service_url(section, str(self.get(section, "url")))
        host = str(self.section(section).get("host") or "") or str(parts.hostname)
        return host, parts.port or DEFAULT_PORTS[parts.scheme]

    def with_overrides(self, overrides: Mapping[str, Mapping[str, Any]]) -> Config:
        """A copy with some values replaced (used by tests and the CLI)."""
        data = copy.deepcopy(self._data)
        for section, values in overrides.items():
            data.setdefault(section, {}).update(values)
        return Config(data, self.profile, self.root)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return copy.deepcopy(self._data)


def _parse_service_url(section: str, url: str) -> SplitResult:
    """The parts of a service URL, or a ConfigError saying what is wrong with it."""
    where = f"[{section}] url {url!r} (CARGAME_{section.upper()}_URL)"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ConfigError(f"{where}: {error}") from error
    if parts.scheme not in DEFAULT_PORTS:
        raise ConfigError(f"{where} must start with http:// or https://")
    if not parts.hostname:
        raise ConfigError(f"{where} must name a host, e.g. http://127.0.0.1:8501")
    if port == 0:
        raise ConfigError(f"{where} must name a port from 1 to 65535")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ConfigError(f"{where} must be only scheme://host:port, without a path or query")
    return parts


def _check_services(data: Mapping[str, Mapping[str, Any]], environ: Mapping[str, str]) -> None:
    """One address per service: a `port` setting left from older configs would be ignored."""
    for section in SERVICE_SECTIONS:
        name = f"CARGAME_{section.upper()}_PORT"
        if "port" in data.get(section, {}) or name in environ:
            raise ConfigError(
                f"[{section}] port ({name}) is no longer read: put the port in "
                f"[{section}] url (CARGAME_{section.upper()}_URL), e.g. http://127.0.0.1:8501"
            )


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
    _check_services(data, environ)
    config = Config(data, profile, Path(environ.get("CARGAME_ROOT", PROJECT_ROOT)))
    for section in SERVICE_SECTIONS:
        config.service_url(section)  # fail at start-up, not on the first game
    return config
