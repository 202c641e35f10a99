"""`GET /healthz` over HTTP: 200 when the database, the session backend and TF Serving answer,
503 naming the part that does not, and never an address or a password."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from deploy_support import Relay
from doubles import FakeServing, ServerThread
from sqlalchemy.engine import make_url

from cargame.config import Config
from cargame.web import health

ALL_OK = {"database": "ok", "sessions": "ok", "serving": "ok"}


def get_health(base_url: str) -> tuple[int, dict[str, Any], str]:
    """Status, JSON body and raw text of `GET /healthz`."""
    try:
        with urllib.request.urlopen(base_url + "/healthz", timeout=10) as response:
            text = response.read().decode()
            return response.status, json.loads(text), text
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        return error.code, json.loads(text), text


def test_healthy_on_the_embedded_stack(web_config: Config, serve: Callable[[Config], str]) -> None:
    status, body, _ = get_health(serve(web_config))
    assert (status, body) == (200, {"status": "ok", "checks": ALL_OK})


@pytest.mark.services
def test_healthy_with_postgres_redis_and_tf_serving_up(
    scaled_stack: Callable[..., Config],
    serve: Callable[[Config], str],
    fake_model: tuple[FakeServing, ServerThread],
) -> None:
    started = time.monotonic()
    status, body, _ = get_health(serve(scaled_stack()))
    assert (status, body) == (200, {"status": "ok", "checks": ALL_OK})
    assert time.monotonic() - started < health.CHECK_SECONDS
    # Every opponent level's servable was asked for: a game may be played against any of them.
    asked = {request.path for request in fake_model[0].requests}
    assert {"/v1/models/cars", "/v1/models/cars-pro", "/v1/models/cars-rookie"} <= asked


@pytest.mark.services
def test_503_when_the_database_goes_away(
    scaled_stack: Callable[..., Config], serve: Callable[[Config], str], postgres_schema_url: str
) -> None:
    relay = Relay(("127.0.0.1", 5432))
    relayed = make_url(postgres_schema_url).set(port=relay.port)
    config = scaled_stack().with_overrides(
        {"database": {"url": relayed.render_as_string(hide_password=False)}}
    )
    base_url = serve(config)
    assert get_health(base_url)[0] == 200
    relay.close()  # the database's address now leads nowhere
    status, body, text = get_health(base_url)
    assert status == 503
    assert body == {"status": "unavailable", "checks": {**ALL_OK, "database": "failing"}}
    assert str(relay.port) not in text and "postgres" not in text


@pytest.mark.services
def test_503_while_a_level_has_no_available_model(
    scaled_stack: Callable[..., Config],
    serve: Callable[[Config], str],
    fake_model: tuple[FakeServing, ServerThread],
) -> None:
    base_url = serve(scaled_stack())
    fake_model[0].versions = {3: "LOADING"}  # TF Serving is up, the model not loaded yet
    status, body, _ = get_health(base_url)
    assert (status, body["checks"]) == (503, {**ALL_OK, "serving": "failing"})
    fake_model[1].stop()
    assert get_health(base_url)[1]["checks"]["serving"] == "failing"


@pytest.mark.services
def test_503_when_redis_goes_away(
    scaled_stack: Callable[..., Config], serve: Callable[[Config], str], redis_url: str
) -> None:
    relay = Relay(("127.0.0.1", 6379))
    relayed = redis_url.replace(":6379/", f":{relay.port}/")
    base_url = serve(scaled_stack(redis_url=relayed))
    assert get_health(base_url)[0] == 200
    relay.close()
    status, body, text = get_health(base_url)
    assert (status, body["checks"]) == (503, {**ALL_OK, "sessions": "failing"})
    assert str(relay.port) not in text and "redis" not in text
