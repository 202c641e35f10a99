"""Web fixtures for every test folder (a pytest plugin, see tests/conftest.py).

A small generated catalog, the fake model services (tests/doubles.py) serving in a thread, the
web config and `dash_client`. The fake AI reads the label from the photo's background colour and
answers by a fixed rule, so games are varied but deterministic.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dash_wire import DashClient
from doubles import FakeAI, FakeExplainer, FakeServing, ServerThread
from PIL import Image, ImageDraw
from support import free_port

from cargame.config import Config, load_config
from cargame.domain.catalog import Catalog, CatalogImage, make_label

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
