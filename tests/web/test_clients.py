"""The TF Serving and explainer clients against real aiohttp servers speaking their protocols."""

from __future__ import annotations

import base64
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from doubles import (
    HANG_UP,
    PNG_SIGNATURE,
    FakeAI,
    FakeExplainer,
    FakeServing,
    Recorded,
    flat_render,
    http_error,
)
from support import free_port

from cargame.clients import explainer, serving
from cargame.clients.explainer import ExplainerError
from cargame.clients.serving import ServingError

pytestmark = pytest.mark.asyncio

LABELS = ["Audi/A4", "BMW/X5", "Ford/Fiesta", "Tesla/Model S", "Volvo/XC90", "VW/Golf"]
PROBABILITIES = [0.05, 0.4, 0.02, 0.3, 0.2, 0.03]
AI = FakeAI(LABELS, lambda photo: PROBABILITIES)  # the same answer for every photo: BMW/X5
PNG = PNG_SIGNATURE + b"fake-png-body"
VERSIONS = {1: "AVAILABLE", 3: "AVAILABLE", 4: "LOADING"}

ServerFactory = Callable[..., Awaitable[Any]]


@pytest.fixture
def fake() -> FakeServing:
    return FakeServing(AI, versions=VERSIONS)


@pytest_asyncio.fixture
async def base_url(fake: FakeServing, aiohttp_server: ServerFactory) -> str:
    server = await aiohttp_server(fake.app())
    return str(server.make_url("")).rstrip("/")


@pytest_asyncio.fixture
async def session() -> Any:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


async def test_model_version_is_newest_available(fake: FakeServing, base_url: str, session):
    version = await serving.model_version(session, base_url, "cars", timeout=2)
    assert version == 3
    assert fake.requests == [Recorded("GET", "/v1/models/cars", None)]


async def test_predict_sends_one_batched_request(fake: FakeServing, base_url: str, session):
    images = [b"photo-one", b"photo-two", b"\xff\xd8binary"]
    result = await serving.predict(session, base_url, "cars", images, timeout=2)
    posts = [request for request in fake.requests if request[0] == "POST"]
    assert len(posts) == 1
    _, path, body = posts[0]
    assert path == "/v1/models/cars/versions/3:predict"
    assert body["signature_name"] == "serving_default"
    assert [base64.b64decode(item["b64"]) for item in body["instances"]] == images
    assert result.model_version == 3 and result.model_name == "cars"
    assert len(result.top5) == 3
    top5 = result.top5[0]
    assert [p.label for p in top5] == [
        "BMW/X5",
        "Tesla/Model S",
        "Volvo/XC90",
        "Audi/A4",
        "VW/Golf",
    ]
    assert top5[0].probability == pytest.approx(0.4)
    assert result.labels == LABELS


async def test_predict_with_version_skips_status(fake: FakeServing, base_url: str, session):
    result = await serving.predict(session, base_url, "cars", [b"x"], timeout=2, version=7)
    assert [path for _, path, _ in fake.requests] == ["/v1/models/cars/versions/7:predict"]
    assert result.model_version == 7


def paths(fake: FakeServing) -> list[str]:
    return [f"{method} {path}" for method, path, _ in fake.requests]


async def test_game_starts_reuse_a_recent_version(fake: FakeServing, base_url: str, session):
    for _ in range(2):
        result = await serving.predict_newest(session, base_url, "cars", [b"x"], timeout=2)
        assert result.model_version == 3
    assert paths(fake) == [
        "GET /v1/models/cars",
        "POST /v1/models/cars/versions/3:predict",
        "POST /v1/models/cars/versions/3:predict",  # no second look-up
    ]


async def test_a_hot_swapped_version_is_looked_up_again(fake, base_url, session):
    await serving.predict_newest(session, base_url, "cars", [b"x"], timeout=2)
    fake.versions = {4: "AVAILABLE"}  # version 3 unloaded: TF Serving answers 404 for it
    fake.replies.append(http_error(404, "Servable not found for request: Specific(cars, 3)"))
    result = await serving.predict_newest(session, base_url, "cars", [b"x"], timeout=2)
    assert result.model_version == 4
    assert paths(fake)[2:] == [
        "POST /v1/models/cars/versions/3:predict",
        "GET /v1/models/cars",
        "POST /v1/models/cars/versions/4:predict",
    ]


async def test_a_remembered_version_expires(fake, base_url, session, monkeypatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(serving.time, "monotonic", lambda: clock[0])
    await serving.predict_newest(session, base_url, "cars", [b"x"], timeout=2)
    fake.versions = {3: "AVAILABLE", 4: "AVAILABLE"}  # a newer one, the old still served
    clock[0] += serving.VERSION_REUSE_SECONDS
    # Expired: this start still predicts at once with version 3 and looks up beside it ...
    result = await serving.predict_newest(session, base_url, "cars", [b"x"], timeout=2)
    assert result.model_version == 3
    assert sorted(paths(fake)[2:]) == [
        "GET /v1/models/cars",
        "POST /v1/models/cars/versions/3:predict",
    ]
    # ... so the next start plays the newer version, with no look-up of its own.
    result = await serving.predict_newest(session, base_url, "cars", [b"x"], timeout=2)
    assert result.model_version == 4
    assert paths(fake)[4:] == ["POST /v1/models/cars/versions/4:predict"]


async def test_a_failed_refresh_keeps_the_known_version(fake, base_url, session, monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(serving.time, "monotonic", lambda: clock[0])
    await serving.predict_newest(session, base_url, "cars", [b"x"], timeout=2)
    clock[0] += serving.VERSION_REUSE_SECONDS
    fake.versions = {4: "LOADING"}  # the look-up finds nothing servable; the predict still works
    result = await serving.predict_newest(session, base_url, "cars", [b"x"], timeout=2)
    assert result.model_version == 3
    assert "GET /v1/models/cars" in paths(fake)[2:]


async def test_a_hot_swap_found_by_the_refresh_is_asked_once_more(fake, base_url, session):
    # An old version unloaded while its look-up was already due: the 404 waits for that look-up.
    await serving.predict_newest(session, base_url, "cars", [b"x"], timeout=2)
    serving._recent_versions[(base_url.rstrip("/"), "cars")] = (3, -1e9)  # long expired
    fake.versions = {4: "AVAILABLE"}
    fake.unloaded = {3}
    result = await serving.predict_newest(session, base_url, "cars", [b"x"], timeout=2)
    assert result.model_version == 4
    assert paths(fake).count("GET /v1/models/cars") == 2  # the refresh only, not a second one


async def test_other_errors_of_a_reused_version_are_not_retried(fake, base_url, session):
    await serving.predict_newest(session, base_url, "cars", [b"x"], timeout=2)
    fake.replies.append(http_error(400, "Input to reshape is a tensor"))
    with pytest.raises(ServingError, match="HTTP 400"):
        await serving.predict_newest(session, base_url, "cars", [b"x"], timeout=2)
    assert len(fake.requests) == 3  # GET, POST, and the failed POST: nothing asked again


async def test_predict_decodes_b64_labels(fake: FakeServing, base_url: str, session):
    fake.encode_labels = True
    result = await serving.predict(session, base_url, "cars", [b"x"], timeout=2)
    assert result.top5[0][0].label == "BMW/X5"


@pytest.mark.parametrize("status", [400, 404])
async def test_error_body_becomes_serving_error(fake, base_url, session, status: int):
    message = "Servable not found for request: Latest(carz)"
    fake.replies.append(http_error(status, message))
    with pytest.raises(ServingError, match=rf"HTTP {status}.*Servable not found"):
        await serving.predict(session, base_url, "cars", [b"x"], timeout=2)
    assert len(fake.requests) == 1  # client errors are not retried


async def test_error_in_ok_body_becomes_serving_error(fake, base_url, session):
    fake.replies.append(web.json_response({"error": "Input to reshape is a tensor"}))
    with pytest.raises(ServingError, match="reshape"):
        await serving.model_version(session, base_url, "cars", timeout=2)


async def test_no_available_version(fake, base_url, session):
    fake.versions = {2: "LOADING"}
    with pytest.raises(ServingError, match="no AVAILABLE version"):
        await serving.predict(session, base_url, "cars", [b"x"], timeout=2)


async def test_wrong_number_of_predictions(fake, base_url, session):
    fake.replies += [web.json_response(fake.status_body()), web.json_response({"predictions": []})]
    with pytest.raises(ServingError, match="0 predictions for 2 images"):
        await serving.predict(session, base_url, "cars", [b"x", b"y"], timeout=2)


@pytest.mark.parametrize(
    "reply",
    [
        {"model_version_status": [{"state": "AVAILABLE"}]},
        {"model_version_status": [{"version": "latest", "state": "AVAILABLE"}]},
    ],
)
async def test_malformed_status_becomes_serving_error(fake, base_url, session, reply):
    fake.replies.append(web.json_response(reply))
    with pytest.raises(ServingError, match="malformed model status"):
        await serving.predict(session, base_url, "cars", [b"x"], timeout=2)


@pytest.mark.parametrize(
    "row",
    [
        {"probabilities": 0.5, "labels": ["Audi/A4"]},
        {"probabilities": ["high"], "labels": ["Audi/A4"]},
        {"probabilities": [1.0], "labels": [{"b64": "not base64!"}]},
        {"probabilities": [1.0], "labels": 7},
    ],
)
async def test_malformed_prediction_becomes_serving_error(fake, base_url, session, row):
    status = web.json_response(fake.status_body())
    fake.replies += [status, web.json_response({"predictions": [row]})]
    with pytest.raises(ServingError, match="malformed prediction"):
        await serving.predict(session, base_url, "cars", [b"x"], timeout=2)


async def test_slow_server_times_out(fake, base_url, session):
    fake.delay_seconds = 3.0
    started = time.monotonic()
    with pytest.raises(ServingError, match=r"within 0.2 s"):
        await serving.predict(session, base_url, "cars", [b"x"], timeout=0.2, version=1)
    assert time.monotonic() - started < 1.5
    assert len(fake.requests) == 1  # a timeout is not retried


async def test_503_once_then_ok_is_retried(fake, base_url, session):
    fake.replies.append(http_error(503, "overloaded"))
    result = await serving.predict(session, base_url, "cars", [b"x"], timeout=2, version=1)
    assert len(fake.requests) == 2
    assert result.top5[0][0].label == "BMW/X5"


async def test_503_twice_fails_after_one_retry(fake, base_url, session):
    fake.replies += [web.Response(status=503, text="busy") for _ in range(3)]
    with pytest.raises(ServingError, match="HTTP 503: busy"):
        await serving.predict(session, base_url, "cars", [b"x"], timeout=2, version=1)
    assert len(fake.requests) == 2


async def test_dropped_connection_is_retried_once(fake, base_url, session):
    fake.replies.append(HANG_UP)
    result = await serving.predict(session, base_url, "cars", [b"x"], timeout=2, version=1)
    assert len(fake.requests) == 2
    assert result.top5[0][0].label == "BMW/X5"


async def test_dropped_connection_twice_becomes_serving_error(fake, base_url, session):
    fake.replies += [HANG_UP, HANG_UP]
    with pytest.raises(ServingError, match="cannot reach"):
        await serving.predict(session, base_url, "cars", [b"x"], timeout=2, version=1)
    assert len(fake.requests) == 2


async def test_a_body_that_is_not_json_becomes_serving_error(fake, base_url, session):
    fake.replies.append(
        web.Response(text="<html>Welcome to nginx</html>", content_type="text/html")
    )
    with pytest.raises(ServingError, match="not answer with a JSON object.*nginx"):
        await serving.model_version(session, base_url, "cars", timeout=2)


async def test_connection_refused_becomes_serving_error(session):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ServingError, match="cannot reach"):
        await serving.predict(session, url, "cars", [b"x"], timeout=2)


@pytest.fixture
def fake_explainer() -> FakeExplainer:
    return FakeExplainer(AI, flat_render(PNG))


@pytest_asyncio.fixture
async def explainer_url(fake_explainer: FakeExplainer, aiohttp_server: ServerFactory) -> str:
    server = await aiohttp_server(fake_explainer.app())
    return str(server.make_url("")).rstrip("/")


async def test_explain_class(fake_explainer, explainer_url, session):
    result = await explainer.explain(
        session, explainer_url, "cars", b"photo", class_label="VW/Golf", timeout=2, version=3
    )
    request = fake_explainer.requests[0]
    assert request.path == "/v1/models/cars/versions/3:explain"
    instance = request.body["instances"][0]
    assert base64.b64decode(instance["image_bytes"]["b64"]) == b"photo"
    assert instance["class"] == "VW/Golf"
    assert (result.label, result.class_index, result.overlay_png) == ("VW/Golf", 5, PNG)
    assert result.heatmap == [[0.0, 0.5], [1.0, 0.25]]


async def test_explain_without_class_explains_prediction(fake_explainer, explainer_url, session):
    result = await explainer.explain(session, explainer_url, "cars", b"photo", timeout=2)
    request = fake_explainer.requests[0]
    assert request.path == "/v1/models/cars:explain"
    assert "class" not in request.body["instances"][0]
    assert result.label == "BMW/X5"


async def test_explain_error_body(fake_explainer, explainer_url, session):
    fake_explainer.replies.append(http_error(400, "unknown class"))
    with pytest.raises(ExplainerError, match="unknown class"):
        await explainer.explain(session, explainer_url, "cars", b"x", class_label="X/Y", timeout=2)


async def test_explain_rejects_non_png(fake_explainer, explainer_url, session):
    fake_explainer.render = flat_render(b"GIF89a")
    with pytest.raises(ExplainerError, match="not a PNG"):
        await explainer.explain(session, explainer_url, "cars", b"x", timeout=2)


async def test_explain_retries_500_once(fake_explainer, explainer_url, session):
    fake_explainer.replies.append(web.Response(status=500, text="boom"))
    result = await explainer.explain(session, explainer_url, "cars", b"x", timeout=2)
    assert len(fake_explainer.requests) == 2 and result.overlay_png == PNG
