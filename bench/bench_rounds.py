"""Game preparation: five rounds concurrently (one predict, gathered heatmaps) vs one by one.

Runs fake TF Serving and explainer servers with realistic latency in a background thread, then
times `cargame.rounds.prepare_game` against (a) the same work done round after round and (b) the
slowest single round on its own. Goal: five concurrent rounds within 1.3x of the slowest round.

    .venv/bin/python bench/bench_rounds.py [--repeats 5] [--explain-ms 350] [--predict-ms 80]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from bench_support import serve_in_thread
from cachelib import SimpleCache

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
PNG = b"\x89PNG\r\n\x1a\n" + bytes(40_000)  # a typical overlay
GOAL_RATIO = 1.3


class LatencyServices:
    """TF Serving and explainer stand-ins that answer after a realistic, seeded delay."""

    def __init__(self, predict_ms: float, per_image_ms: float, explain_ms: float) -> None:
        self.predict_seconds = predict_ms / 1000
        self.per_image_seconds = per_image_ms / 1000
        self.explain_seconds = explain_ms / 1000
        self.jitter = random.Random(0)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=20_000_000)
        app.router.add_get("/v1/models/{name}", self.status)
        app.router.add_post("/v1/models/{name}/versions/{version}:predict", self.predict)
        app.router.add_post("/v1/models/{name}/versions/{version}:explain", self.explain)
        return app

    async def status(self, request: web.Request) -> web.Response:
        await asyncio.sleep(0.005)
        return web.json_response({"model_version_status": [{"version": "1", "state": "AVAILABLE"}]})

    async def predict(self, request: web.Request) -> web.Response:
        instances = (await request.json())["instances"]
        await asyncio.sleep(self.predict_seconds + self.per_image_seconds * len(instances))
        rows = [self._row(base64.b64decode(item["b64"])) for item in instances]
        return web.json_response({"predictions": rows})

    async def explain(self, request: web.Request) -> web.Response:
        label = (await request.json())["instances"][0]["class"]
        await asyncio.sleep(self.explain_seconds * self.jitter.uniform(0.8, 1.2))
        item = {"label": label, "probability": 0.5, "class_index": LABELS.index(label)}
        item |= {"overlay_png_b64": base64.b64encode(PNG).decode(), "heatmap": [[0.5] * 7] * 7}
        return web.json_response({"model_spec": {"name": "cars"}, "explanations": [item]})

    @staticmethod
    def _row(photo: bytes) -> dict[str, Any]:
        """A deterministic answer per photo: right class for some, wrong for others."""
        digest = hashlib.sha256(photo).digest()
        probabilities = [byte / 255 for byte in digest] * 2
        return {"probabilities": probabilities[: len(LABELS)], "labels": LABELS}


def build_catalog(root: Path, photos: int = 12) -> Catalog:
    """Game photos of typical size whose (fake) classes the fake model sometimes gets right."""
    generator = random.Random(1)
    images = []
    for index in range(photos):
        data = generator.randbytes(PHOTO_BYTES)
        answer = top1_label(LatencyServices._row(data))
        # Every other photo is labelled with the fake model's answer, so some rounds are won.
        label = answer if index % 2 == 0 else LABELS[index]
        (root / f"{index}.jpg").write_bytes(data)
        make, model = label.split("/")
        images.append(CatalogImage(f"id{index}", f"{index}.jpg", make, model, "game"))
    return Catalog(root, "bench", images)


def top1_label(row: dict[str, Any]) -> str:
    """The fake model's answer in a predict row."""
    ranked = sorted(zip(row["labels"], row["probabilities"], strict=True), key=lambda p: -p[1])
    return ranked[0][0]


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
    services = LatencyServices(predict_ms, per_image_ms=25, explain_ms=explain_ms)
    with tempfile.TemporaryDirectory() as folder, serve_in_thread(services.app()) as url:
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
    print(f"predict {args.predict_ms:g} ms + 25 ms/image, explain {args.explain_ms:g} ms ±20%")
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
