"""Configuration profiles and CARGAME_* overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from cargame.config import ConfigError, load_config


def test_environment_overrides_keep_the_default_types() -> None:
    config = load_config(
        environ={
            "CARGAME_SERVING_URL": "http://tf-serving:8501",
            "CARGAME_SERVING_MAX_BODY_BYTES": "9_001",
            "CARGAME_SERVING_TIMEOUT_SECONDS": "2.5",
            "CARGAME_WEB_HTTPS": "yes",
        }
    )
    assert config.get("serving", "url") == "http://tf-serving:8501"
    assert config.get("serving", "max_body_bytes") == 9001
    assert config.get("serving", "timeout_seconds") == 2.5
    assert config.get("web", "https") is True


def test_bad_override_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="CARGAME_SERVING_MAX_BODY_BYTES must be a number"):
        load_config(environ={"CARGAME_SERVING_MAX_BODY_BYTES": "eighty"})
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


@pytest.mark.parametrize(
    ("url", "host", "listen"),
    [
        ("http://127.0.0.1:8501", "", ("127.0.0.1", 8501)),
        ("http://127.0.0.1:9000/", "", ("127.0.0.1", 9000)),
        ("http://explainer:5000", "0.0.0.0", ("0.0.0.0", 5000)),
        ("http://localhost", "", ("localhost", 80)),
        ("https://models.example.org", "", ("models.example.org", 443)),
        ("http://[::1]:8600", "", ("::1", 8600)),
    ],
)
def test_a_local_service_listens_on_the_port_of_its_url(
    url: str, host: str, listen: tuple[str, int]
) -> None:
    config = load_config(environ={"CARGAME_EXPLAINER_URL": url, "CARGAME_EXPLAINER_HOST": host})
    assert config.service_url("explainer") == url
    assert config.listen_address("explainer") == listen


def test_the_default_services_listen_where_clients_call_them() -> None:
    config = load_config(environ={})
    assert config.listen_address("serving") == ("127.0.0.1", 8501)
    assert config.listen_address("explainer") == ("127.0.0.1", 5000)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("127.0.0.1:8501", "must start with http:// or https://"),
        ("ftp://127.0.0.1:8501", "must start with http:// or https://"),
        ("http://:8501", "must name a host"),
        ("http://127.0.0.1:port", "Port could not be cast"),
        ("http://127.0.0.1:70000", "Port out of range"),
        ("http://127.0.0.1:0", "must name a port from 1 to 65535"),
        ("http://127.0.0.1:8501/v1/models/cars", "without a path or query"),
        ("http://127.0.0.1:8501?debug=1", "without a path or query"),
        ("http://user:secret@127.0.0.1:8501", "without a path or query"),
    ],
)
def test_a_malformed_service_url_stops_start_up(url: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=r"\[serving\] url .*CARGAME_SERVING_URL") as error:
        load_config(environ={"CARGAME_SERVING_URL": url})
    assert problem in str(error.value)


def test_a_separate_port_setting_is_refused(tmp_path: Path) -> None:
    """A port next to the URL could disagree with it again: say where the port goes now."""
    with pytest.raises(ConfigError, match=r"CARGAME_EXPLAINER_PORT\) is no longer read"):
        load_config(environ={"CARGAME_EXPLAINER_PORT": "5001"})
    old_style = tmp_path / "old.toml"
    old_style.write_text("[serving]\nport = 9001\n")
    with pytest.raises(ConfigError, match=r"put the port in \[serving\] url"):
        load_config(environ={"CARGAME_CONFIG": str(old_style)})
