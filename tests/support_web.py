"""Web fixtures for every test folder (a pytest plugin, see tests/conftest.py).

A small generated catalog, the fake model services (tests/doubles.py) serving in a thread, the
web config and `dash_client`. The fake AI reads the label from the photo's background colour and
answers by a fixed rule, so games are varied but deterministic.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
import waitress
from dash_wire import DashClient
from doubles import FakeAI, FakeExplainer, FakeServing, ServerThread
from PIL import Image, ImageDraw
from support import free_port

from cargame.app import create_app
from cargame.clients import serving
from cargame.config import Config, load_config
from cargame.domain.catalog import Catalog, CatalogImage, make_label
from cargame.web.server import waitress_options

MODEL_NAME = "cars"
MODEL_VERSION = 3
CARS = [
    ("Audi", "A4"),
    ("Audi", "Q5"),
    ("BMW", "X5"),
    ("BMW", "i3"),
    ("Volvo", "XC90"),
    ("Volvo", "V60"),
]
LABELS = [make_label(make, model) for make, model in CARS]
GAME_PHOTOS_PER_LABEL = 3
TOP_PROBABILITY = 0.62
RUNNER_UP_PROBABILITIES = (0.12, 0.09, 0.07, 0.06, 0.04)
PHOTO_SIZE = (320, 240)


def background(index: int) -> tuple[int, int, int]:
    """The photo background that tells the fake model which car it is."""
    return (30 + index * 35, 110, 170)


def label_index(photo: bytes) -> int:
    """Which car a photo shows, from its background colour."""
    red = Image.open(io.BytesIO(photo)).convert("RGB").getpixel((2, 2))[0]
    return round((red - 30) / 35)


def ai_answer(truth: int) -> int:
    """Right on a third of the cars, the sibling model on a third, another make on the rest."""
    rule = truth % 3
    if rule == 0:
        return truth
    return truth ^ 1 if rule == 1 else (truth + 2) % len(LABELS)


def car_photo(index: int, variant: int) -> bytes:
    """A flat cartoon car on a label-coloured background (PNG, so colours survive)."""
    image = Image.new("RGB", PHOTO_SIZE, background(index))
    draw = ImageDraw.Draw(image)
    body = (60 + 20 * variant, 70 + 25 * index % 90, 200 - 10 * variant)
    draw.rounded_rectangle((50, 120, 270, 175), radius=18, fill=body)
    draw.rounded_rectangle((95, 85, 220, 130), radius=14, fill=body)
    draw.rectangle((110, 95, 205, 122), fill=(215, 230, 240))
    for x in (95, 225):
        draw.ellipse((x - 22, 155, x + 22, 199), fill=(30, 30, 30))
    return _png(image)


def overlay_png() -> bytes:
    """A viridis-like gradient standing in for a Grad-CAM overlay."""
    image = Image.new("RGB", PHOTO_SIZE)
    draw = ImageDraw.Draw(image)
    for x in range(PHOTO_SIZE[0]):
        t = x / PHOTO_SIZE[0]
        draw.line(
            (x, 0, x, PHOTO_SIZE[1]), fill=(int(68 + 185 * t), int(1 + 230 * t), int(84 - 47 * t))
        )
    return _png(image)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def build_catalog(root: Path) -> Catalog:
    """Per label one training photo (the showroom's) and three game photos."""
    images = []
    for index, (make, model) in enumerate(CARS):
        for variant in range(1 + GAME_PHOTOS_PER_LABEL):
            split = "train" if variant == 0 else "game"
            image_id = f"{index:02d}{variant:02d}" + "c0ffee" * 4
            file = f"images/{image_id}.png"
            (root / "images").mkdir(parents=True, exist_ok=True)
            (root / file).write_bytes(car_photo(index, variant))
            images.append(CatalogImage(image_id, file, make, model, split))
    references = {image.label: image.image_id for image in images if image.split == "train"}
    catalog = Catalog(root, "web-test", images, references)
    catalog.save()
    return catalog


def fake_ai() -> FakeAI:
    """The AI of every web test: sure of `ai_answer` for the car in the photo."""
    return FakeAI.answering(
        LABELS,
        lambda photo: LABELS[ai_answer(label_index(photo))],
        TOP_PROBABILITY,
        RUNNER_UP_PROBABILITIES,
    )


@pytest.fixture(autouse=True)
def fresh_model_versions() -> Iterator[None]:
    """No test plays a model version remembered from another test's fake server."""
    serving.forget_versions()
    yield
    serving.forget_versions()


@pytest.fixture
def closed_url() -> str:
    """A URL where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def web_catalog(tmp_path: Path) -> Catalog:
    return build_catalog(tmp_path / "catalog")


@pytest.fixture
def fake_model() -> Iterator[tuple[FakeServing, ServerThread]]:
    """Fake TF Serving with version 3 of the model, in a thread; stop and start it at will."""
    model = FakeServing(fake_ai(), versions={MODEL_VERSION: "AVAILABLE"})
    with ServerThread(model.app) as server:
        yield model, server


@pytest.fixture
def fake_explainer() -> Iterator[tuple[FakeExplainer, ServerThread]]:
    """The fake explainer, drawing `overlay_png()` for every heatmap, in a thread."""
    overlay = overlay_png()
    explainer = FakeExplainer(fake_ai(), lambda photo, label: (overlay, [[0.0, 0.5], [0.5, 1.0]]))
    with ServerThread(explainer.app) as server:
        yield explainer, server


def make_config(
    tmp_path: Path, catalog: Catalog, serving_url: str, explainer_url: str, **web: Any
) -> Config:
    """The test profile with every path in tmp_path and the services at the given URLs."""
    config = load_config("test", environ={})
    return config.with_overrides(
        {
            "paths": {
                "catalog": str(catalog.root),
                "cache": str(tmp_path / "cache"),
                "var": str(tmp_path / "var"),
            },
            "serving": {"url": serving_url, "timeout_seconds": 3.0},
            "explainer": {"url": explainer_url, "timeout_seconds": 3.0},
            "web": web,
        }
    )


@pytest.fixture
def make_web_config(
    tmp_path: Path,
    web_catalog: Catalog,
    fake_model: tuple[FakeServing, ServerThread],
    fake_explainer: tuple[FakeExplainer, ServerThread],
) -> Callable[..., Config]:
    """Config factory: `make_web_config(serving_url=..., **web_settings)`."""

    def build(serving_url: str | None = None, **web: Any) -> Config:
        url = serving_url or fake_model[1].url
        return make_config(tmp_path, web_catalog, url, fake_explainer[1].url, **web)

    return build


@pytest.fixture
def web_config(make_web_config: Callable[..., Config]) -> Config:
    return make_web_config()


@pytest.fixture
def dash_client() -> Callable[[Any], DashClient]:
    """`dash_client(app)`: a new browser-like client (own cookies) for an app."""
    return DashClient


@contextmanager
def served_app(
    tmp: Path,
    *,
    build: Callable[[Path], Catalog] = build_catalog,
    make_ai: Callable[[], FakeAI] = fake_ai,
    **overrides: Any,
) -> Iterator[tuple[Any, str]]:
    """The app on the generated catalog (or `build`'s, with `make_ai`'s fake AI) against the
    fakes, served by waitress on a free port: (app, base URL). `overrides` are config sections,
    e.g. `web={"booth": True}`. For scripts and benchmarks; tests use `make_web_config` and
    `dash_duo`."""
    catalog = build(tmp / "catalog")
    ai, overlay = make_ai(), overlay_png()
    explainer = FakeExplainer(ai, lambda photo, label: (overlay, [[0.0]]))
    with ServerThread(FakeServing(ai).app) as serving, ServerThread(explainer.app) as explain:
        config = make_config(tmp, catalog, serving.url, explain.url).with_overrides(overrides)
        app = create_app(config)
        port = free_port()
        server = waitress.create_server(app.server, host="127.0.0.1", port=port, threads=8)
        threading.Thread(target=server.run, daemon=True).start()
        try:
            yield app, f"http://127.0.0.1:{port}"
        finally:
            server.close()


REDIS_PATTERNS = ("cargame*", "LIMITS*")  # games, media, sessions; Flask-Limiter's counters


@pytest.fixture
def scaled_stack(
    make_web_config: Callable[..., Config], redis_url: str, postgres_schema_url: str
) -> Iterator[Callable[..., Config]]:
    """A config factory for PostgreSQL + Redis, as production runs; the Redis keys the test
    added are deleted after it."""
    connection = redis.Redis.from_url(redis_url)
    before = {key for pattern in REDIS_PATTERNS for key in connection.scan_iter(pattern)}

    def build(**web: Any) -> Config:
        config = make_web_config(**{"session_backend": "redis", "redis_url": redis_url, **web})
        return config.with_overrides({"database": {"url": postgres_schema_url}})

    try:
        yield build
    finally:
        after = {key for pattern in REDIS_PATTERNS for key in connection.scan_iter(pattern)}
        if after - before:
            connection.delete(*(after - before))
        connection.close()


@dataclass
class Live:
    """A running app: its config, the Dash app and the base URL."""

    config: Config
    app: Any
    url: str

    def player(self) -> DashClient:
        """A new browser (its own cookie jar) talking to the server over HTTP."""
        return DashClient(self.app, base_url=self.url)


@pytest.fixture
def live_server() -> Iterator[Callable[[Config], Live]]:
    """`live_server(config)`: the app under waitress (the embedded server) on a free local
    port, stopped after the test."""
    running: list[tuple[Any, threading.Event, threading.Thread]] = []

    def start(config: Config) -> Live:
        app = create_app(config)
        server = waitress.create_server(
            app.server,
            host="127.0.0.1",
            port=0,
            asyncore_loop_timeout=0.05,  # notice the shutdown quickly
            **waitress_options(config),
        )
        stopping = threading.Event()

        def run() -> None:
            try:
                server.run()
            except (OSError, ValueError):  # the socket closed under the loop at shutdown
                if not stopping.is_set():
                    raise

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        running.append((server, stopping, thread))
        return Live(config, app, f"http://127.0.0.1:{server.effective_port}")

    yield start
    for server, stopping, thread in running:
        stopping.set()
        server.task_dispatcher.shutdown()
        server.close()
        thread.join(5)
