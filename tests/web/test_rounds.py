"""Game preparation against fake TF Serving and explainer servers speaking the real protocols."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from cachelib import SimpleCache
from doubles import PNG_SIGNATURE, FakeAI, FakeExplainer, FakeServing, application

from cargame.clients.serving import ServingError
from cargame.config import load_config
from cargame.domain.catalog import Catalog, CatalogImage
from cargame.domain.rounds import (
    GamePreparationError,
    GameSettings,
    pick_images,
    prepare_game,
    prepare_rounds,
)
from cargame.web.media import MediaStore

LABELS = ["Audi/A4", "BMW/X5", "Ford/Fiesta", "Tesla/Model S", "Volvo/XC90", "VW/Golf"]
EXPLAIN_SECONDS = 0.3


def photo_bytes(label: str, index: int) -> bytes:
    return f"photo|{label}|{index}".encode()


def ai_answer(photo: bytes) -> str:
    """The fake model: right on even-numbered photos, a different make on odd ones."""
    _, label, index = photo.decode().split("|")
    return label if int(index) % 2 == 0 else LABELS[(LABELS.index(label) + 1) % len(LABELS)]


def fake_ai() -> FakeAI:
    return FakeAI.answering(LABELS, ai_answer, top=0.75, runners_up=[0.05])


def overlay_naming(photo: bytes, label: str) -> tuple[bytes, list[list[float]]]:
    """A PNG that names the class it explains, so a test can tell the heatmaps apart."""
    return PNG_SIGNATURE + label.encode(), [[0.5]]


def build_catalog(root: Path, game_photos: int = 6) -> Catalog:
    images = []
    for index in range(game_photos):
        label = LABELS[index % len(LABELS)]
        make, model = label.split("/")
        path = root / f"game{index}.jpg"
        path.write_bytes(photo_bytes(label, index))
        images.append(CatalogImage(f"id{index:02d}", path.name, make, model, "game"))
    (root / "train0.jpg").write_bytes(b"train")
    images.append(CatalogImage("train0", "train0.jpg", "Audi", "A4", "train"))
    catalog = Catalog(root, "test", images)
    catalog.save()
    return Catalog.load(root)


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    return build_catalog(tmp_path)


@pytest.fixture
def serving() -> FakeServing:
    return FakeServing(fake_ai(), versions={2: "AVAILABLE", 1: "END"})


@pytest.fixture
def explainer() -> FakeExplainer:
    return FakeExplainer(fake_ai(), overlay_naming, delay_seconds=EXPLAIN_SECONDS)


@pytest_asyncio.fixture
async def settings(
    serving: FakeServing, explainer: FakeExplainer, aiohttp_server: Callable[..., Any]
) -> GameSettings:
    """TF Serving and the explainer at one URL."""
    server = await aiohttp_server(application(serving, explainer))
    url = str(server.make_url("")).rstrip("/")
    return GameSettings(url, url, "cars", rounds=5, serving_timeout=5, explainer_timeout=5)


@pytest.fixture
def media() -> MediaStore:
    return MediaStore(SimpleCache(), ttl_seconds=60)


async def prepare(catalog: Catalog, settings: GameSettings, media: MediaStore, **kwargs: Any):
    """prepare_game runs its own event loop, so it runs in a thread beside the test servers."""
    return await asyncio.to_thread(
        prepare_game, catalog, settings, media=media, rng=random.Random(7), **kwargs
    )


@pytest.mark.asyncio
async def test_five_rounds_from_one_predict(catalog, settings, media, serving) -> None:
    steps: list[tuple[int, int]] = []
    game = await prepare(catalog, settings, media, progress=lambda *step: steps.append(step))
    assert serving.predict_calls == 1
    assert len({game_round.image_id for game_round in game.rounds}) == 5
    assert all(catalog.get(r.image_id).split == "game" for r in game.rounds)
    assert (game.model_name, game.model_version, game.stage) == ("cars", 2, "attempt")
    assert steps == [(done, 7) for done in range(1, 8)]
    assert game.labels == catalog.labels
    for game_round in game.rounds:
        image = catalog.get(game_round.image_id)
        assert game_round.truth == image.label
        assert media.get(game_round.image_token) == ("image", str(catalog.path(image)))
        assert game_round.image_id not in game_round.image_token


class WarmingMedia(MediaStore):
    """Records each `warm` and how often the model had been asked by then."""

    def __init__(self, serving: FakeServing) -> None:
        super().__init__(SimpleCache(), ttl_seconds=60)
        self.serving = serving
        self.warmed: list[tuple[str, int]] = []

    def warm(self, token: str) -> None:
        self.warmed.append((token, self.serving.predict_calls))


@pytest.mark.asyncio
async def test_round_one_photo_is_warmed_once_the_model_answered(catalog, settings, serving):
    media = WarmingMedia(serving)
    prepared = await asyncio.to_thread(
        prepare_rounds, catalog, settings, media=media, rng=random.Random(7)
    )
    assert media.warmed == [(prepared.game.rounds[0].image_token, 1)]
    assert prepared.game.stage == "attempt" and len(prepared.game.rounds) == 5


@pytest.mark.asyncio
async def test_heatmaps_for_ai_answer_and_truth_when_wrong(catalog, settings, media) -> None:
    game = await prepare(catalog, settings, media)
    for game_round in game.rounds:
        ai_label = game_round.ai_top5[0].label
        assert media.get(game_round.heatmap_token).value == PNG_SIGNATURE + ai_label.encode()
        if ai_label == game_round.truth:
            assert game_round.truth_heatmap_token is None
        else:
            truth_png = media.get(game_round.truth_heatmap_token).value
            assert truth_png == PNG_SIGNATURE + game_round.truth.encode()
    assert {r.ai_top5[0].label == r.truth for r in game.rounds} == {True, False}


@pytest.mark.asyncio
async def test_explanations_run_concurrently(catalog, settings, media, explainer) -> None:
    started = time.monotonic()
    game = await prepare(catalog, settings, media)
    elapsed = time.monotonic() - started
    wanted = sum(1 if r.ai_top5[0].label == r.truth else 2 for r in game.rounds)
    assert len(explainer.requests) == wanted > 5
    assert explainer.max_in_flight == wanted
    assert elapsed < EXPLAIN_SECONDS * 3  # one after another would take `wanted` * 0.3 s


@pytest.mark.asyncio
async def test_explainer_down_still_gives_a_game(catalog, settings, media, explainer) -> None:
    explainer.fail = True
    game = await prepare(catalog, settings, media)
    assert len(game.rounds) == 5
    assert all(r.heatmap_token is None and r.truth_heatmap_token is None for r in game.rounds)
    assert all(len(r.ai_top5) == 5 for r in game.rounds)


@pytest.mark.asyncio
async def test_one_failed_heatmap_only_marks_that_one(catalog, settings, media, explainer) -> None:
    game = await prepare(catalog, settings, media)
    victim = game.rounds[0].ai_top5[0].label
    explainer.failing_labels.add(victim)
    game = await prepare(catalog, settings, media)
    for game_round in game.rounds:
        failed = game_round.ai_top5[0].label == victim
        assert (game_round.heatmap_token is None) == failed


@pytest.mark.asyncio
async def test_serving_down_raises(catalog, media, unused_tcp_port: int) -> None:
    url = f"http://127.0.0.1:{unused_tcp_port}"
    settings = GameSettings(url, url, "cars", serving_timeout=2, explainer_timeout=2)
    with pytest.raises(ServingError, match="cannot reach"):
        await prepare(catalog, settings, media)


@pytest.mark.asyncio
async def test_too_few_game_photos(tmp_path: Path, settings, media) -> None:
    catalog = build_catalog(tmp_path, game_photos=3)
    with pytest.raises(GamePreparationError, match="3 game photos; a game needs 5"):
        await prepare(catalog, settings, media)


def test_pick_images_distinct_and_seeded(catalog: Catalog) -> None:
    first = pick_images(catalog, 5, random.Random(1))
    assert len({image.image_id for image in first}) == 5
    assert all(image.split == "game" for image in first)
    assert first == pick_images(catalog, 5, random.Random(1))
    games = {tuple(i.image_id for i in pick_images(catalog, 5, random.Random(s))) for s in range(9)}
    assert len(games) > 1


def test_settings_from_config() -> None:
    config = load_config("default", environ={}).with_overrides(
        {"serving": {"url": "http://tf:8501"}, "web": {"rounds": 3}}
    )
    settings = GameSettings.from_config(config)
    assert (settings.serving_url, settings.rounds, settings.model_name) == (
        "http://tf:8501",
        3,
        "cars",
    )
    assert settings.serving_timeout == 15.0
