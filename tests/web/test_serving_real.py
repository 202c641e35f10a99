"""The web tier's clients and game preparation against the real local model servers (slow).

This module is the only web test that loads TensorFlow (through model_service); the web tier
itself never imports it.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import support_models as fixtures
from cachelib import SimpleCache

from cargame.clients import serving
from cargame.clients.serving import ServingError
from cargame.domain.rounds import GameSettings, prepare_game
from cargame.web.media import MediaStore

pytestmark = pytest.mark.slow

LIMITS = {"max_body_bytes": 20_000_000, "max_image_pixels": 40_000_000}


@pytest_asyncio.fixture
async def serving_url(tiny_export: Any, aiohttp_server: Any) -> str:
    from model_service.serving.server import create_app

    server = await aiohttp_server(create_app(tiny_export.models_dir, poll_seconds=60, **LIMITS))
    return str(server.make_url("")).rstrip("/")


@pytest_asyncio.fixture
async def explainer_url(tiny_export: Any, aiohttp_server: Any, tmp_path: Path) -> str:
    from model_service.explain.server import create_app

    app = create_app(
        tiny_export.models_dir, tmp_path / "heatmaps", cache_size_bytes=50_000_000, **LIMITS
    )
    server = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/")


@pytest.mark.asyncio
async def test_predict_against_local_server(tiny_export: Any, serving_url: str) -> None:
    photos = [fixtures.shape_jpeg(fixtures.TINY_COLOURS[label]) for label in tiny_export.labels]
    async with aiohttp.ClientSession() as session:
        result = await serving.predict(session, serving_url, tiny_export.name, photos, timeout=30)
    assert result.model_version == tiny_export.version
    assert result.labels == list(tiny_export.labels)
    assert [top5[0].label for top5 in result.top5] == list(tiny_export.labels)
    for top5 in result.top5:
        assert len(top5) == len(tiny_export.labels)
        assert sum(p.probability for p in top5) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.asyncio
async def test_local_server_errors_become_serving_errors(tiny_export, serving_url) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ServingError, match="HTTP 404"):
            await serving.predict(session, serving_url, "no-such-model", [b"x"], timeout=30)
        with pytest.raises(ServingError, match="HTTP 400"):
            await serving.predict(session, serving_url, tiny_export.name, [b"jpeg?"], timeout=30)


@pytest.mark.asyncio
async def test_prepare_game_end_to_end(tiny_export, serving_url, explainer_url, tmp_path) -> None:
    counts = dict.fromkeys(tiny_export.labels, 10)
    catalog = fixtures.build_shapes_catalog(tmp_path / "catalog", counts)
    settings = GameSettings(serving_url, explainer_url, tiny_export.name, rounds=5)
    media = MediaStore(SimpleCache())
    game = await asyncio.to_thread(
        prepare_game, catalog, settings, media=media, rng=random.Random(5)
    )
    assert (len(game.rounds), game.model_version) == (5, tiny_export.version)
    for game_round in game.rounds:
        assert game_round.heatmap_token is not None
        assert media.get(game_round.heatmap_token).value.startswith(b"\x89PNG")
        wrong = game_round.ai_top5[0].label != game_round.truth
        assert (game_round.truth_heatmap_token is not None) == wrong
