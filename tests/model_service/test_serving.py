"""The local model server over real HTTP: predictions, batching, and hot-swapping versions."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from support import b64

from model_service.serving import server as serving

pytestmark = [pytest.mark.slow, pytest.mark.asyncio]

LIMITS = {"max_body_bytes": 2_000_000, "max_image_pixels": 1_000_000}


def publish_version(source: Path, models_dir: Path, name: str, version: int) -> Path:
    """Copy an exported version under a new number, renamed into place as exports do."""
    staging = models_dir / name / f".tmp-{version}"
    shutil.copytree(source, staging)
    target = models_dir / name / str(version)
    os.rename(staging, target)
    return target


@pytest.fixture
def models_dir(tiny_export: Any, tmp_path: Path) -> Path:
    """A private models folder holding version 1 of the tiny model (tests may add versions)."""
    publish_version(tiny_export.version_dir, tmp_path / "models", tiny_export.name, 1)
    return tmp_path / "models"


@pytest_asyncio.fixture
async def client(aiohttp_client: Any, models_dir: Path) -> Any:
    app = serving.create_app(models_dir, poll_seconds=0.1, **LIMITS)
    return await aiohttp_client(app)


async def predict(client: Any, body: dict[str, Any], path: str = "/v1/models/tiny") -> Any:
    response = await client.post(f"{path}:predict", json=body)
    assert response.status == 200, await response.text()
    return await response.json()


def top_label(probabilities: list[float], labels: list[str]) -> str:
    return labels[max(range(len(probabilities)), key=probabilities.__getitem__)]


async def test_row_format_predicts_each_photo(
    client: Any, colour_jpeg: Callable[..., bytes], tiny_export: Any
) -> None:
    labels = list(tiny_export.labels)
    body = {"instances": [b64(colour_jpeg(label, 40 + i)) for i, label in enumerate(labels)]}
    result = await predict(client, body)
    rows = result["predictions"]
    assert len(rows) == 3
    for row, expected in zip(rows, labels, strict=True):
        assert row["labels"] == labels
        assert sum(row["probabilities"]) == pytest.approx(1.0, abs=1e-4)
        assert top_label(row["probabilities"], row["labels"]) == expected


async def test_columnar_format_matches_row_format(
    client: Any, colour_jpeg: Callable[..., bytes]
) -> None:
    photos = [b64(colour_jpeg("Acme/Beta", 50)), b64(colour_jpeg("Zeta/Gamma", 51))]
    row = await predict(client, {"instances": photos})
    columnar = await predict(client, {"inputs": {"image_bytes": photos}})
    outputs = columnar["outputs"]
    assert outputs["probabilities"] == [item["probabilities"] for item in row["predictions"]]
    assert outputs["labels"] == [item["labels"] for item in row["predictions"]]


async def test_five_photos_run_as_one_forward_pass(
    client: Any, colour_jpeg: Callable[..., bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    original = serving.Servable.run

    def counting_run(self: serving.Servable, signature: str, inputs: dict[str, Any]) -> Any:
        calls.append(len(inputs["image_bytes"]))
        return original(self, signature, inputs)

    monkeypatch.setattr(serving.Servable, "run", counting_run)
    body = {"instances": [b64(colour_jpeg("Acme/Alpha", seed)) for seed in range(5)]}
    result = await predict(client, body)
    assert len(result["predictions"]) == 5
    assert calls == [5]


async def test_new_version_is_served_without_restart(
    client: Any, models_dir: Path, tiny_export: Any, colour_jpeg: Callable[..., bytes]
) -> None:
    body = {"instances": [b64(colour_jpeg("Acme/Alpha", 3))]}
    before = await predict(client, body)
    publish_version(tiny_export.version_dir, models_dir, tiny_export.name, 2)
    for _ in range(100):
        status = await (await client.get("/v1/models/tiny")).json()
        if (
            status["model_version_status"][0]["state"] == "AVAILABLE"
            and len(status["model_version_status"]) == 2
        ):
            break
        # Meanwhile version 1 keeps answering.
        assert (await predict(client, body)) == before
        await asyncio.sleep(0.1)
    states = {item["version"]: item["state"] for item in status["model_version_status"]}
    assert states == {"2": "AVAILABLE", "1": "UNLOADING"}
    assert await predict(client, body, "/v1/models/tiny/versions/2") == before
    # A game that pinned version 1 just before the swap can still finish its calls.
    assert await predict(client, body, "/v1/models/tiny/versions/1") == before
    metadata = await (await client.get("/v1/models/tiny/metadata")).json()
    assert metadata["model_spec"]["version"] == "2"
    publish_version(tiny_export.version_dir, models_dir, tiny_export.name, 3)
    for _ in range(100):
        status = await (await client.get("/v1/models/tiny")).json()
        newest = status["model_version_status"][0]
        if newest["version"] == "3" and newest["state"] == "AVAILABLE":
            break
        await asyncio.sleep(0.1)
    states = {item["version"]: item["state"] for item in status["model_version_status"]}
    assert states == {"3": "AVAILABLE", "2": "UNLOADING", "1": "END"}
    gone = await client.post("/v1/models/tiny/versions/1:predict", json=body)
    assert gone.status == 404


async def test_broken_new_version_keeps_the_old_one_serving(
    client: Any, models_dir: Path, colour_jpeg: Callable[..., bytes]
) -> None:
    (models_dir / "tiny" / "3").mkdir()  # a numbered folder without a SavedModel
    for _ in range(100):
        status = await (await client.get("/v1/models/tiny")).json()
        newest = status["model_version_status"][0]
        if newest["version"] == "3" and newest["state"] == "AVAILABLE":
            break
        await asyncio.sleep(0.1)
    broken, current = status["model_version_status"]
    assert broken["state"] == "END" and broken["status"]["error_code"] != "OK"
    assert current == {
        "version": "1",
        "state": "AVAILABLE",
        "status": {"error_code": "OK", "error_message": ""},
    }
    await predict(client, {"instances": [b64(colour_jpeg("Acme/Beta", 1))]})
