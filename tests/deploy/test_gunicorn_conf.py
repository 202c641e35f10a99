"""deploy/gunicorn.conf.py: threaded workers, timeouts above a game start, JSON logs; and the real
gunicorn serving the app with it, logging each request as one JSON line and stopping cleanly."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from deploy_support import DEPLOY, load_deploy_module
from doubles import FakeExplainer, FakeServing, ServerThread
from support import REPO_ROOT, free_port

from cargame.config import load_config
from cargame.domain.catalog import Catalog

CONFIG_FILE = DEPLOY / "gunicorn.conf.py"


@pytest.fixture(scope="module")
def settings() -> ModuleType:
    return load_deploy_module("gunicorn_conf", CONFIG_FILE)


def test_threaded_workers_outlast_the_longest_game_start(settings: ModuleType) -> None:
    config = load_config("production", environ={})
    longest = float(config.get("serving", "timeout_seconds")) + float(
        config.get("explainer", "timeout_seconds")
    )
    assert longest == settings.GAME_START_SECONDS
    assert settings.worker_class == "gthread" and settings.threads > 1
    assert settings.timeout > longest and settings.graceful_timeout > longest


def test_nginx_waits_longer_than_a_game_start(settings: ModuleType) -> None:
    server = (DEPLOY / "nginx" / "server.conf").read_text(encoding="utf-8")
    callbacks = server.split("location = /_dash-update-component {", 1)[1].split("}", 1)[0]
    read_timeout = int(callbacks.split("proxy_read_timeout", 1)[1].split("s;", 1)[0])
    assert settings.GAME_START_SECONDS < read_timeout <= settings.timeout


def test_log_lines_are_json_with_the_extra_fields(settings: ModuleType) -> None:
    record = logging.LogRecord("cargame.web", logging.WARNING, __file__, 1, "a %s", ("b",), None)
    record.fields = {"status": 503}
    line = json.loads(settings.JsonFormatter().format(record))
    assert line["message"] == "a b" and line["level"] == "warning" and line["status"] == 503
    assert line["time"].endswith("+00:00")


def test_access_tokens_never_reach_the_log(settings: ModuleType) -> None:
    assert settings.redacted("/media/AbC-123_x") == "/media/..."
    assert settings.redacted("/claim/token.with.dots") == "/claim/..."
    assert settings.redacted("/share/tok.png") == "/share/..."
    assert settings.redacted("/_dash-update-component") == "/_dash-update-component"


def gunicorn_environment(
    tmp_path: Path,
    catalog: Catalog,
    serving: str,
    explainer: str,
    database: str,
    redis_url: str,
    port: int,
) -> dict[str, str]:
    return {
        **os.environ,
        "CARGAME_PROFILE": "production",
        "CARGAME_PATHS_CATALOG": str(catalog.root),
        "CARGAME_PATHS_CACHE": str(tmp_path / "cache"),
        "CARGAME_PATHS_VAR": str(tmp_path / "var"),
        "CARGAME_SERVING_URL": serving,
        "CARGAME_EXPLAINER_URL": explainer,
        "CARGAME_DATABASE_URL": database,
        "CARGAME_WEB_REDIS_URL": redis_url,
        "CARGAME_WEB_SECRET_KEY": "k" * 40,
        "CARGAME_WEB_HOST": "127.0.0.1",
        "CARGAME_WEB_PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "4",
    }


def wait_for(url: str, process: subprocess.Popen[Any], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited while starting"
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout} s")


@pytest.mark.services
def test_gunicorn_serves_the_app_and_logs_one_json_line_per_request(
    tmp_path: Path,
    web_catalog: Catalog,
    fake_model: tuple[FakeServing, ServerThread],
    fake_explainer: tuple[FakeExplainer, ServerThread],
    postgres_schema_url: str,
    redis_url: str,
) -> None:
    port = free_port()
    environment = gunicorn_environment(
        tmp_path,
        web_catalog,
        fake_model[1].url,
        fake_explainer[1].url,
        postgres_schema_url,
        redis_url,
        port,
    )
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", str(CONFIG_FILE), "cargame.wsgi:server"],
            cwd=REPO_ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(base + "/healthz", process)
            request = urllib.request.Request(base + "/", headers={"X-Request-ID": "abc123"})
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 200
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0  # graceful: idle workers stop at once
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    requests = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert [(line["method"], line["path"], line["status"]) for line in requests] == [
        ("GET", "/", 200)  # the healthy /healthz polls are not logged
    ]
    assert requests[0]["request_id"] == "abc123" and requests[0]["duration_ms"] > 0
    booted = [line["message"] for line in lines if line["logger"] == "gunicorn.error"]
    assert any("Using worker: gthread" in message for message in booted)
