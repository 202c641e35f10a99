"""Example photos of one car for the analysts, each with the AI's heatmap from the explainer.

Photos come from the catalog's game split and are served like game photos, by opaque
`/media/<token>` URLs. The web tier cannot compute Grad-CAM, so the heatmaps come from the
explainer service; when it fails, the photos are shown without them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp

from cargame.domain import rounds
from cargame.domain.catalog import CatalogError
from cargame.domain.rounds import GameSettings
from cargame.web.media import media_url
from cargame.web.runtime import runtime

logger = logging.getLogger(__name__)

EXAMPLES = 3  # enough to see what the AI looks at; each one costs an explainer call


@dataclass(frozen=True)
class Example:
    """One photo's URL and, when the explainer answered, its heatmap overlay's URL."""

    photo_url: str
    heatmap_url: str | None


def examples(label: str, count: int = EXAMPLES) -> list[Example]:
    """Up to `count` game photos of `label` with heatmaps; [] for a car without photos."""
    current = runtime()
    try:
        catalog = current.shelf.catalog()
    except CatalogError:
        logger.warning("no catalog for the car examples")
        return []
    images = sorted(
        (image for image in catalog.split("game") if image.label == label),
        key=lambda image: image.image_id,
    )[:count]
    paths, photos = [], []
    for image in images:
        path = catalog.path(image)
        try:
            photos.append(path.read_bytes())
        except OSError:
            logger.warning("cannot read catalog photo %s", image.image_id)
            continue
        paths.append(path)
    overlays = asyncio.run(heatmaps(current.settings, photos)) if photos else []
    media = current.media
    return [
        Example(
            photo_url=media_url(media.add_image(path)),
            heatmap_url=media_url(media.add_png(overlay)) if overlay else None,
        )
        for path, overlay in zip(paths, overlays, strict=True)
    ]


async def heatmaps(settings: GameSettings, photos: Sequence[bytes]) -> list[bytes | None]:
    """The overlay PNG of the AI's own answer for each photo, None where the explainer failed."""
    async with aiohttp.ClientSession() as session:
        return list(await asyncio.gather(*(_overlay(session, settings, p) for p in photos)))


async def _overlay(
    session: aiohttp.ClientSession, settings: GameSettings, photo: bytes
) -> bytes | None:
    explanation = await rounds.explain_or_none(session, settings, None, photo, None)
    return explanation.overlay_png if explanation else None
