"""The Grad-CAM explainer: heatmap maths, overlays, the HTTP service, its cache and precompute."""

from __future__ import annotations

import asyncio
import base64
import io
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import diskcache
import numpy as np
import pytest
import pytest_asyncio
from PIL import Image
from support import b64

from cargame.domain.catalog import Catalog
from model_service.explain import gradcam, overlay
from model_service.explain import server as explainer

LIMITS = {"max_body_bytes": 2_000_000, "max_image_pixels": 1_000_000}


class TestHeatmapMaths:
    def test_weighted_sum_of_filters_then_relu(self) -> None:
        conv = np.zeros((2, 2, 2), dtype=np.float32)
        conv[..., 0] = [[1.0, 0.0], [0.0, 0.0]]
        conv[..., 1] = [[0.0, 0.0], [0.0, 2.0]]
        grads = np.zeros_like(conv)
        grads[..., 0] = 1.0  # filter 0 raises the class score
        grads[..., 1] = -1.0  # filter 1 lowers it: its region must not light up
        heatmap = gradcam.make_heatmap(conv, grads)
        np.testing.assert_allclose(heatmap, [[1.0, 0.0], [0.0, 0.0]])

    @pytest.mark.parametrize(
        ("conv_value", "grad_value", "expected"),
        [(0.0, 0.0, 0.0), (3.0, 1.0, 1.0), (3.0, -1.0, 0.0), (np.nan, 1.0, 0.0)],
        ids=["all-zero", "flat-positive", "all-negative", "nan"],
    )
    def test_flat_maps_do_not_divide_by_zero(
        self, conv_value: float, grad_value: float, expected: float
    ) -> None:
        conv = np.full((7, 7, 4), conv_value, dtype=np.float32)
        grads = np.full((7, 7, 4), grad_value, dtype=np.float32)
        heatmap = gradcam.make_heatmap(conv, grads)
        assert heatmap.shape == (7, 7)
        assert not np.isnan(heatmap).any()
        np.testing.assert_allclose(heatmap, expected)

    def test_large_grids_are_averaged_down(self) -> None:
        heatmap = np.zeros((28, 28), dtype=np.float32)
        heatmap[:14, :14] = 1.0
        grid = overlay.heatmap_grid(heatmap)
        assert grid.shape == (14, 14)
        assert grid[:7, :7].min() == pytest.approx(1.0) and grid[7:, 7:].max() == 0.0
        assert overlay.heatmap_grid(np.ones((7, 7))).shape == (7, 7)


class TestOverlay:
    def test_png_of_the_photo_in_viridis(self) -> None:
        photo = np.zeros((40, 60, 3), dtype=np.float32)
        heatmap = np.zeros((4, 6), dtype=np.float32)
        heatmap[:2, :3] = 1.0  # hot top-left
        png = overlay.render_overlay(photo, heatmap)
        with Image.open(io.BytesIO(png)) as image:
            assert image.format == "PNG" and image.size == (60, 40)
            pixels = np.asarray(image.convert("RGB"), dtype=int)
        hot, cold = pixels[2, 2], pixels[-2, -2]
        # Viridis runs from purple (cold: blue above green) to yellow (hot: red+green, little
        # blue); jet would end in red with little green.
        assert cold[2] > cold[1]
        assert hot[1] > 2 * hot[2] and hot[0] > hot[2]
        assert hot.sum() > cold.sum()  # brighter where the model looked


@pytest_asyncio.fixture
async def client(aiohttp_client: Any, tiny_export: Any, tmp_path: Path) -> Any:
    app = explainer.create_app(
        tiny_export.models_dir, tmp_path / "cache", cache_size_bytes=10**8, **LIMITS
    )
    return await aiohttp_client(app)


async def explain(client: Any, instances: list[Any], path: str = "/v1/models/tiny") -> Any:
    response = await client.post(f"{path}:explain", json={"instances": instances})
    assert response.status == 200, await response.text()
    return await response.json()


@pytest.mark.slow
@pytest.mark.asyncio
class TestExplainerService:
    async def test_overlays_and_grids_for_predicted_class(
        self, client: Any, colour_jpeg: Callable[..., bytes], tiny_export: Any
    ) -> None:
        labels = list(tiny_export.labels)
        result = await explain(client, [b64(colour_jpeg(label, 60)) for label in labels])
        assert result["model_spec"] == {"name": "tiny", "version": str(tiny_export.version)}
        for item, label in zip(result["explanations"], labels, strict=True):
            assert item["label"] == label == labels[item["class_index"]]
            assert 1 / len(labels) < item["probability"] <= 1.0
            with Image.open(io.BytesIO(base64.b64decode(item["overlay_png_b64"]))) as overlay:
                assert overlay.format == "PNG"
                # The photo's own proportions (48x40), not the model's square input.
                assert overlay.size == (48, 40)
            grid = np.array(item["heatmap"])
            assert list(grid.shape) == item["grid_size"]
            assert grid.min() >= 0.0 and grid.max() <= 1.0
            assert item["cached"] is False

    async def test_requested_class_by_label_or_index(
        self, client: Any, colour_jpeg: Callable[..., bytes], tiny_export: Any
    ) -> None:
        photo = b64(colour_jpeg("Acme/Alpha", 61))
        instances = [
            {"image_bytes": photo, "class": "Zeta/Gamma"},
            {"image_bytes": photo, "class": 1},
            photo,
        ]
        by_label, by_index, default = (await explain(client, instances))["explanations"]
        assert (by_label["class_index"], by_label["label"]) == (2, "Zeta/Gamma")
        assert (by_index["class_index"], by_index["label"]) == (1, "Acme/Beta")
        assert default["label"] == "Acme/Alpha"
        total = by_label["probability"] + by_index["probability"] + default["probability"]
        assert total == pytest.approx(1.0, abs=1e-4)

    async def test_cache_hit_runs_no_model(
        self,
        client: Any,
        colour_jpeg: Callable[..., bytes],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        calls = {"gradcam": 0, "forward": 0}
        gradients, probabilities = (
            gradcam.gradients_and_filters,
            explainer.ExplainerModel.probabilities,
        )

        def counted_gradients(*args: Any) -> Any:
            calls["gradcam"] += 1
            return gradients(*args)

        def counted_probabilities(self: explainer.ExplainerModel, photos: Any) -> Any:
            calls["forward"] += 1
            return probabilities(self, photos)

        monkeypatch.setattr(gradcam, "gradients_and_filters", counted_gradients)
        monkeypatch.setattr(explainer.ExplainerModel, "probabilities", counted_probabilities)
        instances = [b64(colour_jpeg("Acme/Beta", seed)) for seed in (70, 71, 72)]
        first = await explain(client, instances)
        assert calls == {"gradcam": 1, "forward": 1}  # one batch: same predicted class
        second = await explain(client, instances)
        assert calls == {"gradcam": 1, "forward": 1}
        assert [item["cached"] for item in second["explanations"]] == [True] * 3
        for hit, miss in zip(second["explanations"], first["explanations"], strict=True):
            assert {**hit, "cached": False} == miss


@pytest.mark.slow
def test_precompute_warms_top1_and_true_class(
    shapes_catalog: Catalog, tiny_export: Any, tmp_path: Path
) -> None:
    messages: list[str] = []
    cache_dir = tmp_path / "cache"
    count = explainer.precompute(
        shapes_catalog,
        tiny_export.models_dir,
        tiny_export.name,
        cache_dir,
        cache_size_bytes=10**8,
        progress=messages.append,
    )
    game = shapes_catalog.split("game")
    assert count == len(game) > 0
    assert messages and messages[-1].endswith(f"{len(game)}/{len(game)}")
    model = explainer.load_explainer_model(
        tiny_export.name, tiny_export.version, tiny_export.version_dir
    )
    with diskcache.Cache(str(cache_dir)) as cache:
        service = explainer.Explainer(cache)
        for image in game:
            data = shapes_catalog.path(image).read_bytes()
            truth = model.labels.index(image.label)
            targets = [explainer.Target(data), explainer.Target(data, truth)]
            assert all(item["cached"] for item in service.explain(model, targets))


@pytest.mark.slow
@pytest.mark.asyncio
async def test_explainer_picks_up_a_new_version(
    aiohttp_client: Any, tiny_export: Any, tmp_path: Path, colour_jpeg: Callable[..., bytes]
) -> None:
    models_dir = tmp_path / "models" / tiny_export.name
    shutil.copytree(tiny_export.version_dir, models_dir / "1")
    app = explainer.create_app(
        models_dir.parent, tmp_path / "cache", cache_size_bytes=10**7, poll_seconds=0.1, **LIMITS
    )
    client = await aiohttp_client(app)
    photo = b64(colour_jpeg("Acme/Beta", 80))
    assert (await explain(client, [photo]))["model_spec"]["version"] == "1"
    shutil.copytree(tiny_export.version_dir, models_dir / ".staging")
    os.rename(models_dir / ".staging", models_dir / "2")
    for _ in range(100):
        result = await explain(client, [photo])
        if result["model_spec"]["version"] == "2":
            break
        await asyncio.sleep(0.1)
    assert result["model_spec"]["version"] == "2"
    # A new version means new cache keys: nothing stale is served for it.
    assert result["explanations"][0]["cached"] is False


# The pointing game on the demo garage: a model trained (cheaply) on drawn cars should look at
# the car. Small on purpose: 12 classes x 40 photos, a capped number of epochs.
DEMO_PER_CLASS = 40
DEMO_EPOCHS = 15


@pytest.fixture(scope="session")
def demo_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Catalog, Path]:
    """The demo garage and a small CNN trained on it, exported once per session."""
    from model_service.garage import build as garage
    from model_service.training import train

    root = tmp_path_factory.mktemp("demo-garage")
    catalog = garage.build_demo_catalog(root / "catalog", per_class=DEMO_PER_CLASS)
    version_dir = train.train(
        catalog, root / "models", "cars", backbone="small-cnn", weights="none",
        epochs=DEMO_EPOCHS, batch_size=32, seed=42, patience=4, progress=lambda _: None,
    )  # fmt: skip
    return catalog, version_dir


def near_box(
    grid_shape: tuple[int, int], box: tuple[int, int, int, int], photo_size: tuple[int, int]
) -> np.ndarray:
    """Grid cells whose centre lies within half a cell of the box (given in photo pixels).

    A Grad-CAM map is only as sharp as its conv grid (one cell spans 28 photo pixels here), so
    a cell straddling the box edge, e.g. under a wheel, counts as on the car.
    """
    rows, columns = grid_shape
    width, height = photo_size
    x0, y0, x1, y1 = box
    centre_y, centre_x = np.mgrid[0:rows, 0:columns] + 0.5
    inside_x = (centre_x >= x0 / width * columns - 0.5) & (centre_x <= x1 / width * columns + 0.5)
    inside_y = (centre_y >= y0 / height * rows - 0.5) & (centre_y <= y1 / height * rows + 0.5)
    return inside_x & inside_y


@pytest.mark.slow
def test_pointing_game_on_demo_garage(demo_export: tuple[Catalog, Path]) -> None:
    catalog, version_dir = demo_export
    model = explainer.load_explainer_model("cars", int(version_dir.name), version_dir)
    on_car, chance = [], []
    for image in catalog.split("game"):
        assert image.bbox is not None
        data = catalog.path(image).read_bytes()
        with Image.open(io.BytesIO(data)) as photo:
            photo_size = photo.size
        (heatmap,) = model.heatmaps(model.photos([data]), model.labels.index(image.label))
        mask = near_box(heatmap.shape, image.bbox, photo_size)
        on_car.append(float(heatmap[mask].sum()) / max(float(heatmap.sum()), 1e-9))
        chance.append(float(mask.mean()))  # what an evenly spread heatmap would score
    # Most photos: more than half of the heatmap on the car, and far better than chance.
    assert np.mean(np.array(on_car) > 0.5) > 0.5
    assert np.mean(on_car) > 1.5 * np.mean(chance)
