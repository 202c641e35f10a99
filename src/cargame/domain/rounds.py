"""Game preparation: pick the photos, ask the model once, then the heatmaps.

`prepare_rounds` is what a game start waits for: one batched predict for all rounds, run by one
`asyncio.run()` with its own `ClientSession`, and the `HeatmapJob` of each round, which the web
tier fills in the background (`fetch_heatmaps`, or `job_heatmaps` for one round).
`prepare_game` does both at once and returns a game with every heatmap, as game starts did before
heatmaps moved to the background (the benchmark's baseline). A broken explainer costs only
heatmaps; a broken model server raises `ServingError`, which the page turns into "Try again".
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
from cargame.domain.game import GameData, Round, new_game
from cargame.domain.levels import Levels

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
HeatmapPair = tuple[explainer.Explanation | None, explainer.Explanation | None]


class MediaSink(Protocol):
    """Where a game's photos and heatmaps get their opaque tokens (the web tier's media store)."""

    def add_image(self, path: Path | str) -> str: ...

    def add_png(self, data: bytes) -> str: ...

    def warm(self, token: str) -> None:
        """Start preparing a photo token's bytes in the background; returns at once."""
        ...


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


@dataclass(frozen=True)
class HeatmapJob:
    """What one round's heatmaps need: its photo and the classes to explain (the AI's answer,
    and the true car when the AI was wrong and the model knows that class)."""

    image_id: str
    ai_label: str | None
    truth_label: str | None = None


@dataclass
class PreparedGame:
    """A game ready for round 1 without heatmaps, with what its heatmaps need."""

    game: GameData
    photos: list[bytes]  # the encoded photo of each round, as the explainer takes it
    jobs: list[HeatmapJob]


def prepare_rounds(
    catalog: Catalog,
    settings: GameSettings,
    *,
    media: MediaSink,
    rng: random.Random,
    progress: Progress | None = None,
) -> PreparedGame:
    """A game with photos, the AI's top-5 and media tokens, after one predict; no heatmaps yet.

    Once the model has answered, round 1's photo is re-encoded for the browser in the background
    (`MediaSink.warm`) while the page changes, so it is ready when the page asks for it."""
    report = _progress_reporter(progress, 2)
    images = pick_images(catalog, settings.rounds, rng)
    photos = read_images(catalog, images)
    report()
    result, tokens = asyncio.run(_predict_with_tokens(settings, photos, media, catalog, images))
    # Round 1's photo, encoded for the browser while the page changes (not during the predict:
    # in this process it would slow the reply's handling more than it saves).
    media.warm(tokens[0])
    report()
    return _prepared(catalog, settings, images, photos, result, tokens)


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
    tokens = [media.add_image(catalog.path(image)) for image in images]
    prepared = _prepared(catalog, settings, images, photos, result, tokens)
    for game_round, pair in zip(prepared.game.rounds, heatmaps, strict=True):
        game_round.heatmap_token, game_round.truth_heatmap_token = heatmap_tokens(media, pair)
    return prepared.game


async def fetch_answers(
    settings: GameSettings,
    photos: Sequence[bytes],
    images: Sequence[CatalogImage],
    report: Callable[[], None] = lambda: None,
) -> tuple[serving.PredictResult, list[HeatmapPair]]:
    """One predict for all photos, then every round's heatmaps concurrently."""
    async with aiohttp.ClientSession() as session:
        result = await _predict(settings, photos, session)
        report()
        jobs = heatmap_jobs(result, images)
        tasks = [
            job_heatmaps(session, settings, result.model_version, photo, job)
            for photo, job in zip(photos, jobs, strict=True)
        ]
        heatmaps = await asyncio.gather(*(_reporting(task, report) for task in tasks))
    return result, list(heatmaps)


async def fetch_heatmaps(
    settings: GameSettings,
    version: int | None,
    photos: Sequence[bytes],
    jobs: Sequence[HeatmapJob],
    done: Callable[[int, HeatmapPair], None] = lambda index, pair: None,
) -> list[HeatmapPair]:
    """Every round's heatmaps, round 1 first (its answer page comes first), then the rest
    concurrently; `done(index, pair)` is called as each round's pair arrives."""
    pairs: list[HeatmapPair] = [(None, None)] * len(jobs)

    async def one(session: aiohttp.ClientSession, index: int) -> None:
        pairs[index] = await job_heatmaps(session, settings, version, photos[index], jobs[index])
        done(index, pairs[index])

    async with aiohttp.ClientSession() as session:
        if jobs:
            await one(session, 0)
        await asyncio.gather(*(one(session, index) for index in range(1, len(jobs))))
    return pairs


def heatmap_jobs(result: serving.PredictResult, images: Sequence[CatalogImage]) -> list[HeatmapJob]:
    """Each round's heatmap job from the predict's answers."""
    known = set(result.labels)
    jobs = []
    for image, top5 in zip(images, result.top5, strict=True):
        ai_label = top5[0].label if top5 else None
        # A class the model does not know has no gradient to explain.
        wrong = image.label != ai_label and image.label in known
        jobs.append(HeatmapJob(image.image_id, ai_label, image.label if wrong else None))
    return jobs


async def job_heatmaps(
    session: aiohttp.ClientSession,
    settings: GameSettings,
    version: int | None,
    photo: bytes,
    job: HeatmapJob,
) -> HeatmapPair:
    """The heatmap of the AI's answer and, when the AI was wrong, of the true class."""
    requests = [explain_or_none(session, settings, version, photo, job.ai_label)]
    if job.truth_label is not None:
        requests.append(explain_or_none(session, settings, version, photo, job.truth_label))
    explanations = await asyncio.gather(*requests)
    return explanations[0], explanations[1] if job.truth_label is not None else None


def heatmap_tokens(media: MediaSink, pair: HeatmapPair) -> tuple[str | None, str | None]:
    """Media tokens for a round's two overlays (None where there is no explanation)."""
    ai_explanation, truth_explanation = pair
    return (
        media.add_png(ai_explanation.overlay_png) if ai_explanation else None,
        media.add_png(truth_explanation.overlay_png) if truth_explanation else None,
    )


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


async def _predict(
    settings: GameSettings,
    photos: Sequence[bytes],
    session: aiohttp.ClientSession | None = None,
) -> serving.PredictResult:
    if session is None:
        async with aiohttp.ClientSession() as own:
            return await _predict(settings, photos, own)
    return await serving.predict_newest(
        session,
        settings.serving_url,
        settings.model_name,
        photos,
        timeout=settings.serving_timeout,
    )


async def _predict_with_tokens(
    settings: GameSettings,
    photos: Sequence[bytes],
    media: MediaSink,
    catalog: Catalog,
    images: Sequence[CatalogImage],
) -> tuple[serving.PredictResult, list[str]]:
    """The predict, and meanwhile in a thread the photos' media tokens (file or Redis writes
    that need not wait for the model)."""

    def tokens() -> list[str]:
        return [media.add_image(catalog.path(image)) for image in images]

    predicted, made = await asyncio.gather(_predict(settings, photos), asyncio.to_thread(tokens))
    return predicted, made


def _prepared(
    catalog: Catalog,
    settings: GameSettings,
    images: Sequence[CatalogImage],
    photos: list[bytes],
    result: serving.PredictResult,
    tokens: Sequence[str],
) -> PreparedGame:
    rounds = [
        Round(image_id=image.image_id, image_token=token, truth=image.label, ai_top5=top5)
        for image, token, top5 in zip(images, tokens, result.top5, strict=True)
    ]
    game = new_game(
        rounds, catalog.labels, settings.model_name, result.model_version, level=settings.level
    )
    game.ai_seconds = result.seconds / len(photos)  # one batched predict: its share per photo
    return PreparedGame(game, photos, heatmap_jobs(result, images))


def _progress_reporter(progress: Progress | None, total: int) -> Callable[[], None]:
    """A step counter that calls `progress(done, total)` after each step."""
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    return step
