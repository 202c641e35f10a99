"""Game preparation: pick the photos, ask the model once, fetch every heatmap at once.

`prepare_game` is synchronous for the Dash callback that calls it; inside it runs one
`asyncio.run()` with its own `ClientSession`: one batched predict for all rounds, then all the
explanations in parallel. A broken explainer costs only heatmaps; a broken model server raises
`ServingError`, which the page turns into "Try again".
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import aiohttp

from cargame.clients import explainer, serving
from cargame.config import Config
from cargame.domain.catalog import Catalog, CatalogImage
from cargame.domain.game import GameData, Prediction, Round, new_game
from cargame.domain.levels import Levels

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
HeatmapPair = tuple[explainer.Explanation | None, explainer.Explanation | None]


class MediaSink(Protocol):
    """Where a game's photos and heatmaps get their opaque tokens (the web tier's media store)."""

    def add_image(self, path: Path | str) -> str: ...

    def add_png(self, data: bytes) -> str: ...


class GamePreparationError(RuntimeError):
    """The catalog cannot supply a game (too few game photos, unreadable files)."""


@dataclass(frozen=True)
class GameSettings:
    """Where the services are, how long to wait for them, and which AI plays.

    `model_name` is the servable a game asks: from the config, the trained model itself (the
    strongest level); `at_level` gives the settings of a game against another level.
    """

    serving_url: str
    explainer_url: str
    model_name: str
    rounds: int = 5
    serving_timeout: float = 15.0
    explainer_timeout: float = 30.0
    level: str | None = None  # the opponent level recorded with the game
    levels: Levels | None = None  # every level on offer (None: just `model_name`)

    @classmethod
    def from_config(cls, config: Config) -> GameSettings:
        """The settings from the [serving], [explainer], [model], [levels] and [web] sections."""
        levels = Levels.from_config(config)
        return cls(
            serving_url=str(config.get("serving", "url")),
            explainer_url=str(config.get("explainer", "url")),
            model_name=levels.strongest.servable,
            rounds=int(config.get("web", "rounds")),
            serving_timeout=float(config.get("serving", "timeout_seconds")),
            explainer_timeout=float(config.get("explainer", "timeout_seconds")),
            level=levels.strongest.name,
            levels=levels,
        )

    def at_level(self, name: object) -> GameSettings:
        """These settings for a game against level `name` (the default level when it is None
        or not on offer): its servable answers and explains."""
        if self.levels is None:
            return self
        chosen = self.levels.resolve(name)
        return dataclasses.replace(self, model_name=chosen.servable, level=chosen.name)


def pick_images(catalog: Catalog, count: int, rng: random.Random) -> list[CatalogImage]:
    """`count` different photos from the game split (which the model never trained on)."""
    pool = sorted(catalog.split("game"), key=lambda image: image.image_id)
    if count < 1:
        raise GamePreparationError(f"a game needs at least one round, not {count}")
    if len(pool) < count:
        raise GamePreparationError(
            f"the catalog {catalog.name!r} has {len(pool)} game photos; a game needs {count}"
        )
    return rng.sample(pool, count)


def read_images(catalog: Catalog, images: Sequence[CatalogImage]) -> list[bytes]:
    """The encoded bytes of each photo (read before the event loop starts)."""
    try:
        return [catalog.path(image).read_bytes() for image in images]
    except OSError as error:
        raise GamePreparationError(f"cannot read a game photo: {error}") from error


def prepare_game(
    catalog: Catalog,
    settings: GameSettings,
    *,
    media: MediaSink,
    rng: random.Random,
    progress: Progress | None = None,
) -> GameData:
    """A ready game: photos, the AI's top-5 and heatmaps for every round, media tokens."""
    report = _progress_reporter(progress, settings.rounds + 2)
    images = pick_images(catalog, settings.rounds, rng)
    photos = read_images(catalog, images)
    report()
    result, heatmaps = asyncio.run(fetch_answers(settings, photos, images, report))
    rounds = [
        _build_round(catalog, media, image, top5, pair)
        for image, top5, pair in zip(images, result.top5, heatmaps, strict=True)
    ]
    game = new_game(
        rounds, catalog.labels, settings.model_name, result.model_version, level=settings.level
    )
    game.ai_seconds = result.seconds / len(photos)  # one batched predict: its share per photo
    return game


async def fetch_answers(
    settings: GameSettings,
    photos: Sequence[bytes],
    images: Sequence[CatalogImage],
    report: Callable[[], None] = lambda: None,
) -> tuple[serving.PredictResult, list[HeatmapPair]]:
    """One predict for all photos, then every round's heatmaps concurrently."""
    async with aiohttp.ClientSession() as session:
        result = await serving.predict(
            session,
            settings.serving_url,
            settings.model_name,
            photos,
            timeout=settings.serving_timeout,
        )
        report()
        known = set(result.labels)
        tasks = [
            _round_heatmaps(session, settings, result.model_version, photo, top5, image, known)
            for photo, top5, image in zip(photos, result.top5, images, strict=True)
        ]
        heatmaps = await asyncio.gather(*(_reporting(task, report) for task in tasks))
    return result, list(heatmaps)


async def _round_heatmaps(
    session: aiohttp.ClientSession,
    settings: GameSettings,
    version: int,
    photo: bytes,
    top5: Sequence[Prediction],
    image: CatalogImage,
    known_labels: set[str],
) -> HeatmapPair:
    """The heatmap of the AI's answer and, when the AI was wrong, of the true class."""
    ai_label = top5[0].label
    # A class the model does not know has no gradient to explain.
    want_truth = image.label != ai_label and image.label in known_labels
    requests = [explain_or_none(session, settings, version, photo, ai_label)]
    if want_truth:
        requests.append(explain_or_none(session, settings, version, photo, image.label))
    explanations = await asyncio.gather(*requests)
    return explanations[0], explanations[1] if want_truth else None


async def explain_or_none(
    session: aiohttp.ClientSession,
    settings: GameSettings,
    version: int | None,
    photo: bytes,
    label: str | None,
) -> explainer.Explanation | None:
    """An explanation (of `label`, else of the AI's answer), or None when the explainer fails:
    the round plays, or the example shows, without a heatmap."""
    try:
        return await explainer.explain(
            session,
            settings.explainer_url,
            settings.model_name,
            photo,
            class_label=label,
            timeout=settings.explainer_timeout,
            version=version,
        )
    except explainer.ExplainerError as error:
        logger.warning("heatmap unavailable for %s: %s", label or "the AI's answer", error)
        return None


async def _reporting(task: Awaitable[HeatmapPair], report: Callable[[], None]) -> HeatmapPair:
    pair = await task
    report()
    return pair


def _build_round(
    catalog: Catalog,
    media: MediaSink,
    image: CatalogImage,
    top5: list[Prediction],
    heatmaps: HeatmapPair,
) -> Round:
    ai_explanation, truth_explanation = heatmaps
    return Round(
        image_id=image.image_id,
        image_token=media.add_image(catalog.path(image)),
        truth=image.label,
        ai_top5=top5,
        heatmap_token=media.add_png(ai_explanation.overlay_png) if ai_explanation else None,
        truth_heatmap_token=(
            media.add_png(truth_explanation.overlay_png) if truth_explanation else None
        ),
    )


def _progress_reporter(progress: Progress | None, total: int) -> Callable[[], None]:
    """A step counter that calls `progress(done, total)` after each step."""
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    return step
