"""Opponent levels in the model service: calibration, the exports, and both local servers
serving and explaining every level under its own name."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest
import pytest_asyncio
import tensorflow as tf
from support import b64
from support_models import TinyExport, build_shapes_catalog

from cargame.config import load_config
from cargame.domain.catalog import CatalogError
from cargame.domain.levels import Levels
from model_service.explain import server as explainer
from model_service.serving import server as serving
from model_service.training import levels as training_levels
from model_service.training import train
from model_service.training.export import read_metadata
from model_service.training.preprocess import decode_and_resize

pytestmark = pytest.mark.slow

LIMITS = {"max_body_bytes": 2_000_000, "max_image_pixels": 1_000_000}


def test_nearest_side_bisects_to_the_side_nearest_the_target() -> None:
    asked: list[int] = []

    def top1(side: int) -> float:  # grows with the side, 60 % at 50 px
        asked.append(side)
        return min(1.0, side / 100 + 0.1)

    assert training_levels.nearest_side(top1, 0.6, 8, 128) == 50
    assert len(set(asked)) <= 9  # bisection, not every side from 8 to 128
    assert training_levels.nearest_side(top1, 0.05, 8, 128) == 8  # never weaker than 8 px
    assert training_levels.nearest_side(lambda side: 0.5, 0.9, 8, 128) == 128  # full size


def test_view_size_keeps_the_aspect_ratio() -> None:
    assert training_levels.view_size((128, 128), 48) == (48, 48)
    assert training_levels.view_size((96, 128), 64) == (48, 64)
    assert training_levels.view_size((128, 128), 128) is None


@pytest.fixture(scope="module")
def levelled(tiny_export: TinyExport, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder with the tiny model and its rookie level derived from it."""
    root = tmp_path_factory.mktemp("levels")
    models_dir = root / "models"
    shutil.copytree(tiny_export.version_dir, models_dir / "tiny" / ".tmp-1")
    os.rename(models_dir / "tiny" / ".tmp-1", models_dir / "tiny" / "1")
    catalog = build_shapes_catalog(root / "catalog", dict.fromkeys(tiny_export.labels, 10))
    config = load_config("test", environ={}).with_overrides({"model": {"name": "tiny"}})
    entries = [
        {"name": "rookie", "title": "Rookie", "target_top1": 0.5},
        {"name": "expert", "title": "Expert"},
    ]
    levels = Levels.parse(entries, "rookie", config)
    lines: list[str] = []
    folders = training_levels.derive_from_export(
        catalog, models_dir, "tiny", levels.levels, batch_size=8, progress=lines.append
    )
    assert folders == [models_dir / "tiny-rookie" / "1"]
    assert any(line.startswith("level rookie: photos at ") for line in lines)
    return models_dir


def test_levels_refuse_a_catalog_of_other_classes(levelled: Path, tmp_path: Path) -> None:
    other = build_shapes_catalog(tmp_path / "other", {"Acme/Alpha": 6, "Other/Car": 6})
    with pytest.raises(CatalogError, match="does not have the classes"):
        training_levels.derive_from_export(
            other, levelled, "tiny", [], batch_size=8, progress=lambda line: None
        )


def test_a_level_is_its_own_servable_with_a_report_listing_every_level(levelled: Path) -> None:
    version_dir = levelled / "tiny-rookie" / "1"
    metadata = read_metadata(version_dir)
    side = metadata["view_size"][0]
    assert metadata["level"] == "rookie" and metadata["derived_from"] == ["tiny", 1]
    assert 8 <= side < 32 and metadata["view_size"] == [side, side]
    assert metadata["image_size"] == read_metadata(levelled / "tiny" / "1")["image_size"]
    report = json.loads((version_dir / "evaluation.json").read_text())
    rows = {row["level"]: row for row in report["levels"]}
    assert list(rows) == ["rookie", "expert"]
    assert rows["rookie"]["servable"] == "tiny-rookie" and rows["expert"]["servable"] == "tiny"
    assert rows["expert"]["view_size"] is None
    for row in rows.values():
        low, high = row["game_top1_interval"]
        assert row["game_count"] == 6 and low <= row["game_top1"] <= high
    assert report["splits"]["game"]["top1"] == rows["rookie"]["game_top1"]
    markdown = (version_dir / "evaluation.md").read_text()
    assert "## Opponent levels" in markdown
    assert f"| Rookie | tiny-rookie | {side}x{side} |" in markdown


@pytest_asyncio.fixture
async def model_client(aiohttp_client: Any, levelled: Path) -> Any:
    return await aiohttp_client(serving.create_app(levelled, poll_seconds=60, **LIMITS))


@pytest.mark.asyncio
async def test_the_local_server_serves_every_level_with_its_own_photo_size(
    model_client: Any, levelled: Path, colour_jpeg: Callable[..., bytes]
) -> None:
    photo = colour_jpeg("Acme/Beta", 5)
    served = {}
    for name in ("tiny", "tiny-rookie"):
        status = await (await model_client.get(f"/v1/models/{name}")).json()
        assert status["model_version_status"][0]["state"] == "AVAILABLE"
        body = {"instances": [b64(photo)]}
        response = await model_client.post(f"/v1/models/{name}:predict", json=body)
        assert response.status == 200, await response.text()
        served[name] = np.array((await response.json())["predictions"][0]["probabilities"])
    # The rookie is the same network looking at a smaller photo, inside its serving signature.
    metadata = read_metadata(levelled / "tiny-rookie" / "1")
    model = keras.models.load_model(levelled / "tiny-rookie" / "1" / "model.keras", compile=False)
    pixels = decode_and_resize(tf.constant(photo), (32, 32), tuple(metadata["view_size"]))
    expected = model.predict(tf.expand_dims(pixels, 0), verbose=0)[0]
    np.testing.assert_allclose(served["tiny-rookie"], expected, atol=1e-5)
    assert not np.allclose(served["tiny-rookie"], served["tiny"], atol=1e-4)


@pytest.mark.asyncio
async def test_the_explainer_explains_every_level(
    aiohttp_client: Any, levelled: Path, tmp_path: Path, colour_jpeg: Callable[..., bytes]
) -> None:
    app = explainer.create_app(
        levelled, tmp_path / "cache", cache_size_bytes=10_000_000, poll_seconds=60, **LIMITS
    )
    client = await aiohttp_client(app)
    body = {"instances": [{"image_bytes": b64(colour_jpeg("Zeta/Gamma", 2))}]}
    overlays = {}
    for name in ("tiny", "tiny-rookie"):
        response = await client.post(f"/v1/models/{name}:explain", json=body)
        assert response.status == 200, await response.text()
        result = await response.json()
        assert result["model_spec"] == {"name": name, "version": "1"}
        overlays[name] = result["explanations"][0]["overlay_png_b64"]
    assert overlays["tiny"] != overlays["tiny-rookie"]  # each level's own view of the photo


@pytest.fixture(scope="module")
def wide_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """`train` with a pretrained backbone at a wide input size and a rookie level; (models
    folder, catalog folder)."""
    root = tmp_path_factory.mktemp("wide")
    catalog = build_shapes_catalog(root / "catalog", {"Acme/Alpha": 10, "Acme/Beta": 10})
    config = load_config("test", environ={}).with_overrides({"model": {"name": "wide"}})
    entries = [
        # Nearly any top-1 is above this target: the rookie sees the smallest photos tried.
        {"name": "rookie", "title": "Rookie", "target_top1": 0.01},
        {"name": "expert", "title": "Expert"},
    ]
    train.train(
        catalog, root / "models", "wide", backbone="mobilenet_v2", weights="none", epochs=2,
        batch_size=8, seed=1, patience=2, progress=lambda line: None, cache_dir=root / "cache",
        opponent_levels=Levels.parse(entries, "rookie", config).levels, image_size=(64, 96),
    )  # fmt: skip
    return root / "models", root / "catalog"


def test_the_input_size_travels_in_the_export_to_the_levels(wide_export: tuple[Path, Path]) -> None:
    models_dir, _ = wide_export
    expert, rookie = (
        read_metadata(models_dir / "wide" / "1"),
        read_metadata(models_dir / "wide-rookie" / "1"),
    )
    assert expert["image_size"] == rookie["image_size"] == [64, 96]
    height, width = rookie["view_size"]
    assert width < 96 and abs(height / width - 64 / 96) < 0.1  # smaller, in the model's aspect
    model = keras.models.load_model(models_dir / "wide" / "1" / "model.keras", compile=False)
    assert model.input_shape == (None, 64, 96, 3)
    cached = {path.name.split(".")[-2] for path in wide_export[0].parent.rglob("*.npy")}
    assert cached == {"64x96"}


@pytest.mark.asyncio
async def test_servers_and_explainer_take_the_exports_input_size(
    aiohttp_client: Any,
    wide_export: tuple[Path, Path],
    tmp_path: Path,
    make_jpeg: Callable[..., bytes],
) -> None:
    models_dir, _ = wide_export
    photo = make_jpeg((220, 40, 40), size=(120, 60), seed=3)
    model = keras.models.load_model(models_dir / "wide" / "1" / "model.keras", compile=False)
    pixels = tf.expand_dims(decode_and_resize(tf.constant(photo), (64, 96)), 0)
    expected = model.predict(pixels, verbose=0)[0]
    served_client = await aiohttp_client(serving.create_app(models_dir, poll_seconds=60, **LIMITS))
    response = await served_client.post("/v1/models/wide:predict", json={"instances": [b64(photo)]})
    assert response.status == 200, await response.text()
    served = (await response.json())["predictions"][0]["probabilities"]
    np.testing.assert_allclose(served, expected, atol=1e-5)
    app = explainer.create_app(
        models_dir, tmp_path / "cache", cache_size_bytes=10_000_000, poll_seconds=60, **LIMITS
    )
    explain_client = await aiohttp_client(app)
    body = {"instances": [{"image_bytes": b64(photo)}]}
    explanations = {}
    for name in ("wide", "wide-rookie"):
        response = await explain_client.post(f"/v1/models/{name}:explain", json=body)
        assert response.status == 200, await response.text()
        explanations[name] = (await response.json())["explanations"][0]
        # MobileNetV2's last convolution grid of a 64x96 input: 2x3, wider than high.
        assert explanations[name]["grid_size"] == [2, 3]
    assert explanations["wide"]["class_index"] == int(np.argmax(expected))
    assert explanations["wide"]["probability"] == pytest.approx(float(np.max(expected)), abs=1e-5)
