"""Configuration profiles and CARGAME_* overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from cargame.config import ConfigError, load_config


def test_environment_overrides_keep_the_default_types() -> None:
    config = load_config(
        environ={
            "CARGAME_SERVING_URL": "http://tf-serving:8501",
            "CARGAME_SERVING_PORT": "9001",
            "CARGAME_SERVING_TIMEOUT_SECONDS": "2.5",
            "CARGAME_WEB_HTTPS": "yes",
        }
    )
    assert config.get("serving", "url") == "http://tf-serving:8501"
    assert config.get("serving", "port") == 9001
    assert config.get("serving", "timeout_seconds") == 2.5
    assert config.get("web", "https") is True


def test_bad_override_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="CARGAME_SERVING_PORT must be a number"):
        load_config(environ={"CARGAME_SERVING_PORT": "eighty"})
    with pytest.raises(ConfigError, match="true or false"):
        load_config(environ={"CARGAME_WEB_HTTPS": "maybe"})


def test_profile_layers_on_the_defaults() -> None:
    config = load_config("production", environ={})
    assert config.get("web", "session_backend") == "redis"
    assert config.get("serving", "timeout_seconds") == 15.0  # from default.toml
    with pytest.raises(ConfigError, match="config file not found"):
        load_config("no-such-profile", environ={})


def test_relative_paths_resolve_against_the_root(tmp_path: Path) -> None:
    config = load_config(environ={"CARGAME_ROOT": str(tmp_path)})
    assert config.path("catalog") == tmp_path / "var" / "catalogs" / "demo"
    absolute = load_config(environ={"CARGAME_PATHS_MODELS": "/srv/models"})
    assert absolute.path("models") == Path("/srv/models")
    with pytest.raises(ConfigError, match="unknown setting"):
        config.get("web", "nope")
