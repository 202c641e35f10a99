"""Game preparation: five rounds concurrently (one predict, gathered heatmaps) vs one by one.

Runs the fake TF Serving and explainer (tests/doubles.py) with realistic latency in a thread,
then times `cargame.domain.rounds.prepare_game` against (a) the same work done round after round
and (b) the slowest single round on its own. Goal: five concurrent rounds within 1.3x of the
slowest round.

    .venv/bin/python bench/bench_rounds.py [--repeats 5] [--explain-ms 350] [--predict-ms 80]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import bench_support  # noqa: F401 (first: it puts tests/ on sys.path for the doubles)
from cachelib import SimpleCache
from doubles import PNG_SIGNATURE, FakeAI, FakeExplainer, FakeServing, ServerThread, application

from cargame.clients import explainer, serving
from cargame.domain.catalog import Catalog, CatalogImage
from cargame.domain.rounds import (
    GameSettings,
    fetch_answers,
    pick_images,
    prepare_game,
    read_images,
)
from cargame.web.media import MediaStore

LABELS = [f"Make{make}/Model{model}" for make in range(8) for model in range(6)]
PHOTO_BYTES = 150_000  # a typical game JPEG
PNG = PNG_SIGNATURE + bytes(40_000)  # a typical overlay
PER_IMAGE_MS = 25  # a predict's extra time per photo in the batch
GOAL_RATIO = 1.3


def probabilities(photo: bytes) -> list[float]:
    """The fake model's deterministic answer per photo: right class for some, wrong for others."""
    digest = hashlib.sha256(photo).digest()
    return ([byte / 255 for byte in digest] * 2)[: len(LABELS)]


FAKE_AI = FakeAI(LABELS, probabilities)


def fake_services(predict_ms: float, explain_ms: float) -> tuple[FakeServing, FakeExplainer]:
    """TF Serving and explainer stand-ins that answer after a realistic, seeded delay."""
    serving = FakeServing(
        FAKE_AI,
        status_delay_seconds=0.005,
        delay_seconds=predict_ms / 1000,
        seconds_per_image=PER_IMAGE_MS / 1000,
    )
    explanation = (PNG, [[0.5] * 7] * 7)
    explainer = FakeExplainer(
        FAKE_AI, lambda photo, label: explanation, delay_seconds=explain_ms / 1000, jitter=0.2
    )
    return serving, explainer


def build_catalog(root: Path, photos: int = 12) -> Catalog:
    """Game photos of typical size whose (fake) classes the fake model sometimes gets right."""
    generator = random.Random(1)
    images = []
    for index in range(photos):
        data = generator.randbytes(PHOTO_BYTES)
        answer = FAKE_AI.answer(data)
        # Every other photo is labelled with the fake model's answer, so some rounds are won.
        label = answer if index % 2 == 0 else LABELS[index]
        (root / f"{index}.jpg").write_bytes(data)
        make, model = label.split("/")
        images.append(CatalogImage(f"id{index}", f"{index}.jpg", make, model, "game"))
    return Catalog(root, "bench", images)


async def prepare_one_by_one(
    settings: GameSettings, photos: Sequence[bytes], images: Sequence[CatalogImage]
) -> int:
    """The predecessor's shape: per round a predict, then each heatmap, each awaited in turn."""
    explained = 0
    async with aiohttp.ClientSession() as session:
        for photo, image in zip(photos, images, strict=True):
            result = await serving.predict(
                session, settings.serving_url, settings.model_name, [photo], timeout=30
            )
            ai_label = result.top5[0][0].label
            for label in dict.fromkeys([ai_label, image.label]):
                await explainer.explain(
                    session,
                    settings.explainer_url,
                    settings.model_name,
                    photo,
                    class_label=label,
                    timeout=30,
                    version=result.model_version,
                )
                explained += 1
    return explained


def timed(action: Callable[[], Any], repeats: int) -> float:
    """Median wall-clock seconds of `action` over `repeats` runs."""
    durations = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations)


def run(repeats: int, predict_ms: float, explain_ms: float) -> dict[str, float]:
    """Time the three ways of preparing a game; seconds per game."""
    fakes = fake_services(predict_ms, explain_ms)
    with (
        tempfile.TemporaryDirectory() as folder,
        ServerThread(lambda: application(*fakes)) as server,
    ):
        url = server.url
        catalog = build_catalog(Path(folder))
        settings = GameSettings(url, url, "cars", rounds=5, serving_timeout=30)
        media = MediaStore(SimpleCache())
        images = pick_images(catalog, 5, random.Random(3))
        photos = read_images(catalog, images)

        def single(index: int) -> Callable[[], Any]:
            return lambda: asyncio.run(fetch_answers(settings, [photos[index]], [images[index]]))

        def concurrent_game() -> Any:
            # The same five photos as below: pick_images with the same seed.
            return prepare_game(catalog, settings, media=media, rng=random.Random(3))

        concurrent = timed(concurrent_game, repeats)
        singles = [timed(single(index), repeats) for index in range(5)]
        sequential = timed(lambda: asyncio.run(prepare_one_by_one(settings, photos, images)), 1)
    return {"concurrent": concurrent, "slowest_single": max(singles), "sequential": sequential}


def main(argv: Sequence[str] | None = None) -> None:
    """Print a Markdown table of the timings and whether the goal is met."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--predict-ms", type=float, default=80.0)
    parser.add_argument("--explain-ms", type=float, default=350.0)
    args = parser.parse_args(argv)
    results = run(args.repeats, args.predict_ms, args.explain_ms)
    ratio = results["concurrent"] / results["slowest_single"]
    print(
        f"predict {args.predict_ms:g} ms + {PER_IMAGE_MS} ms/image, "
        f"explain {args.explain_ms:g} ms ±20%"
    )
    print("| preparation | seconds per game |\n|---|---|")
    print(f"| five rounds concurrently (prepare_game) | {results['concurrent']:.3f} |")
    print(f"| slowest single round alone | {results['slowest_single']:.3f} |")
    print(f"| five rounds one after another | {results['sequential']:.3f} |")
    verdict = "met" if ratio <= GOAL_RATIO else "NOT met"
    print(f"\nconcurrent / slowest single = {ratio:.2f} (goal <= {GOAL_RATIO}: {verdict})")
    speedup = results["sequential"] / results["concurrent"]
    print(f"one after another / concurrent = {speedup:.1f}x")


if __name__ == "__main__":
    main()
