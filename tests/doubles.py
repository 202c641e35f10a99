"""Fake model services for tests and benchmarks: TF Serving and the explainer, as aiohttp apps.

Both speak the REST protocols the real clients use (`cargame.clients.serving` and
`cargame.clients.explainer`), so the code under test runs its real clients over HTTP. What the
fake model answers comes from a `FakeAI`; each fake records its requests and misbehaves on demand:

- `delay_seconds` (with `jitter`): how long each answer takes; longer than the client's timeout
  makes it time out.
- `replies`: answers given instead of the fake's own, one per request, first in first out: an
  error (`http_error(503, ...)`), a malformed body (`web.Response(text="<html>")`), `HANG_UP`.
- `fail = True`: every request gets the service's outage error until it is reset.
- Nothing listening: a stopped `ServerThread`, or a closed port (`tests/support.py` `free_port`).

Tests serve a fake with pytest-aiohttp's `aiohttp_server(fake.app())`, or with `ServerThread`
where the code under test runs its own event loop (the web app, the benchmarks in bench/).
"""

from __future__ import annotations

import asyncio
import base64
import random
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from aiohttp import web

MAX_BODY_BYTES = 50_000_000  # several full-size photos in base64, as the real servers accept
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"  # what the explainer client checks an overlay starts with
SERVER_START_SECONDS = 10

# An explanation's overlay PNG and heatmap grid, for a photo and the class explained.
Render = Callable[[bytes, str], tuple[bytes, list[list[float]]]]


class FakeAI:
    """The fake model: its labels and each photo's probabilities, in label order."""

    def __init__(
        self, labels: Sequence[str], probabilities: Callable[[bytes], Sequence[float]]
    ) -> None:
        self.labels = list(labels)
        self.probabilities = probabilities

    @classmethod
    def answering(
        cls,
        labels: Sequence[str],
        answer: Callable[[bytes], str],
        top: float,
        runners_up: Sequence[float],
    ) -> FakeAI:
        """Sure of `answer(photo)` (`top`); the other labels get `runners_up`, the last repeated."""

        def probabilities(photo: bytes) -> list[float]:
            others = iter([*runners_up, *[runners_up[-1]] * len(labels)])
            chosen = answer(photo)
            return [top if label == chosen else next(others) for label in labels]

        return cls(labels, probabilities)

    def answer(self, photo: bytes) -> str:
        """The label the model ranks first for a photo."""
        probabilities = self.probabilities(photo)
        return self.labels[max(range(len(self.labels)), key=probabilities.__getitem__)]


def flat_render(overlay: bytes = PNG_SIGNATURE + b"overlay") -> Render:
    """The same overlay and a 2x2 heatmap for every photo and class."""
    return lambda photo, label: (overlay, [[0.0, 0.5], [1.0, 0.25]])


def http_error(status: int, message: str) -> web.Response:
    """An error as TF Serving and the explainer write it: `{"error": ...}` with the status."""
    return web.json_response({"error": message}, status=status)


class HangUp:
    """A reply that closes the connection without answering, as a crashing server does."""


HANG_UP = HangUp()


class Recorded(NamedTuple):
    """One request a fake received."""

    method: str
    path: str
    body: Any


class FakeService(ABC):
    """What both fakes share: the request log, latency and misbehaviour on demand."""

    outage_status = 503
    outage_message = "unavailable"

    def __init__(self, delay_seconds: float = 0.0, jitter: float = 0.0, seed: int = 0) -> None:
        self.requests: list[Recorded] = []
        self.replies: list[web.StreamResponse | HangUp] = []
        self.fail = False
        self.delay_seconds = delay_seconds
        self.jitter = jitter  # each delay is drawn from delay_seconds * (1 ± jitter)
        self.in_flight = 0
        self.max_in_flight = 0
        self._random = random.Random(seed)

    @abstractmethod
    def add_routes(self, app: web.Application) -> None:
        """Route this service's endpoints in `app`."""

    def app(self) -> web.Application:
        """A new application serving this fake (aiohttp freezes an app once it runs)."""
        return application(self)

    async def _record(self, request: web.Request) -> Any:
        body = await request.json() if request.can_read_body else None
        self.requests.append(Recorded(request.method, request.path, body))
        return body

    async def _wait(self, seconds: float) -> None:
        """Take `seconds` to answer, counted as in flight meanwhile."""
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(seconds)
        finally:
            self.in_flight -= 1

    def _latency(self) -> float:
        spread = self._random.uniform(1 - self.jitter, 1 + self.jitter) if self.jitter else 1.0
        return self.delay_seconds * spread

    def _misbehaviour(
        self, request: web.Request, failing: bool = False
    ) -> web.StreamResponse | None:
        """The scripted reply, else the outage error when failing, else None (answer normally)."""
        reply = self.replies.pop(0) if self.replies else None
        if reply is None and (self.fail or failing):
            reply = http_error(self.outage_status, self.outage_message)
        if isinstance(reply, HangUp):
            assert request.transport is not None
            request.transport.close()  # what is written after this is dropped
            return web.Response()
        return reply


class FakeServing(FakeService):
    """TF Serving's model status and row-format `:predict` (`instances` of `{"b64": ...}`)."""

    outage_message = "model is reloading"

    def __init__(
        self,
        ai: FakeAI,
        versions: dict[int, str] | None = None,
        status_delay_seconds: float = 0.0,
        seconds_per_image: float = 0.0,
        **latency: float,
    ) -> None:
        super().__init__(**latency)
        self.ai = ai
        self.versions = versions or {1: "AVAILABLE"}  # version: state, as the status lists them
        self.status_delay_seconds = status_delay_seconds
        self.seconds_per_image = seconds_per_image  # added to a predict's delay per photo
        self.encode_labels = False  # write labels as {"b64": ...}, as TF Serving may
        self.unloaded: set[int] = set()  # versions whose predicts get TF Serving's 404

    @property
    def predict_calls(self) -> int:
        return sum(request.path.endswith(":predict") for request in self.requests)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/v1/models/{name}", self.status)
        app.router.add_post("/v1/models/{name}:predict", self.predict)
        app.router.add_post("/v1/models/{name}/versions/{version}:predict", self.predict)

    def status_body(self) -> dict[str, Any]:
        """`GET /v1/models/<name>` as TF Serving answers it (versions as strings)."""
        ok = {"error_code": "OK", "error_message": ""}
        statuses = [
            {"version": str(version), "state": state, "status": ok}
            for version, state in self.versions.items()
        ]
        return {"model_version_status": statuses}

    async def status(self, request: web.Request) -> web.StreamResponse:
        await self._record(request)
        await self._wait(self.status_delay_seconds)
        return self._misbehaviour(request) or web.json_response(self.status_body())

    async def predict(self, request: web.Request) -> web.StreamResponse:
        instances = (await self._record(request))["instances"]
        await self._wait(self._latency() + self.seconds_per_image * len(instances))
        if reply := self._misbehaviour(request):
            return reply
        version = request.match_info.get("version")
        if version is not None and int(version) in self.unloaded:
            name = request.match_info["name"]
            return http_error(404, f"Servable not found for request: Specific({name}, {version})")
        labels: list[Any] = self.ai.labels
        if self.encode_labels:
            labels = [{"b64": base64.b64encode(label.encode()).decode()} for label in labels]
        rows = [
            {"probabilities": list(self.ai.probabilities(photo(item))), "labels": labels}
            for item in instances
        ]
        return web.json_response({"predictions": rows})


class FakeExplainer(FakeService):
    """The explainer's `:explain`: one Grad-CAM explanation per request, drawn by `render`."""

    outage_status = 500
    outage_message = "explainer out of memory"

    def __init__(self, ai: FakeAI, render: Render | None = None, **latency: float) -> None:
        super().__init__(**latency)
        self.ai = ai
        self.render = render or flat_render()
        self.failing_labels: set[str] = set()  # explanations of these classes get the outage

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/models/{name}:explain", self.explain)
        app.router.add_post("/v1/models/{name}/versions/{version}:explain", self.explain)

    async def explain(self, request: web.Request) -> web.StreamResponse:
        instance = (await self._record(request))["instances"][0]
        await self._wait(self._latency())
        image = photo(instance["image_bytes"])
        label = instance.get("class") or self.ai.answer(image)
        if reply := self._misbehaviour(request, failing=label in self.failing_labels):
            return reply
        overlay, heatmap = self.render(image, label)
        index = self.ai.labels.index(label)
        item = {
            "label": label,
            "class_index": index,
            "probability": self.ai.probabilities(image)[index],
            "overlay_png_b64": base64.b64encode(overlay).decode("ascii"),
            "heatmap": heatmap,
            "grid_size": [len(heatmap), len(heatmap[0])],
            "cached": False,
        }
        model_spec = {"name": request.match_info["name"]}
        return web.json_response({"model_spec": model_spec, "explanations": [item]})


def photo(item: dict[str, str]) -> bytes:
    """The bytes of a `{"b64": ...}` instance."""
    return base64.b64decode(item["b64"])


def application(*fakes: FakeService) -> web.Application:
    """One application serving every given fake (e.g. TF Serving and the explainer at one URL)."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    for fake in fakes:
        fake.add_routes(app)
    return app


class ServerThread:
    """An aiohttp application on its own event loop in a daemon thread; start and stop at will.

    The first start picks a free port; later starts reuse it, so a stopped server can come back
    at the same URL. Also a context manager: `with ServerThread(fake.app) as server: server.url`.
    """

    def __init__(self, factory: Callable[[], web.Application]) -> None:
        self.factory = factory
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self.port, "the server has not been started"
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerThread:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        listening = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        self.port = listening.result(SERVER_START_SECONDS)
        return self

    async def _listen(self) -> int:
        # A fresh Application per start: aiohttp freezes one during its first run.
        self._runner = web.AppRunner(self.factory())
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return int(self._runner.addresses[0][1])

    def stop(self) -> None:
        if self._loop is None or self._runner is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._loop = self._runner = self._thread = None

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
