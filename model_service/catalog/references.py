"""Choose each model's showroom reference: a sharp, big enough, typical training photo.

Only training photos are candidates: validation photos choose the model and game photos are what
players are asked about, so neither may be held up as "this is an Audi A5". Per class:

1. Big enough and framed for a card: the longest side at least `MIN_SIDE` (the tiles and the
   showroom show ~300 px), landscape and at most `MAX_ASPECT` wide (cards crop to 4:3, which cuts
   the ends off a panorama). A class with no such photo keeps its largest ones.
2. Sharp: the variance of the Laplacian of a grayscale copy scaled to `WORK_SIDE` (so photos of
   any size are measured alike), divided by the copy's own variance (so a dim, low-contrast photo
   is not mistaken for a blurred one). The sharper half of the big-enough photos stays.
3. Typical: among those, the medoid of the class: the photo whose small grayscale thumbnail is
   nearest, on average, to every training photo of its class (each compared as is and mirrored,
   so a car facing left and one facing right count as the same view). Odd shots (a close-up of a
   wheel, an interior, a car half out of the frame) are far from the rest and lose.

Ties go to the larger photo, then to the image id, so the choice is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from cargame.domain.catalog import Catalog, CatalogImage

MIN_SIDE = 320  # longest side a showroom picture needs: tiles and cards show it at ~300 px
WORK_SIDE = 256  # sharpness is measured on a copy with this longest side
THUMBNAIL = (32, 16)  # typicality descriptor (width, height): the median photo is ~1.85:1
MAX_ASPECT = 2.0  # wider photos lose more than a third of their width in a 4:3 card
SHARP_FRACTION = 0.5  # the sharper half of the big-enough photos stays in the running
PROGRESS_EVERY = 500  # photos measured between progress lines


@dataclass(frozen=True)
class PhotoTraits:
    """What the choice needs to know about one training photo."""

    image_id: str
    width: int
    height: int
    sharpness: float
    thumbnail: np.ndarray  # THUMBNAIL grayscale, zero mean, unit norm (float32, flattened)

    @property
    def long_side(self) -> int:
        return max(self.width, self.height)


def measure(image_id: str, path: Path) -> PhotoTraits:
    """Size, sharpness and the typicality thumbnail of one stored photo."""
    with Image.open(path) as opened:
        width, height = opened.size
        opened.draft("L", (WORK_SIDE * 2, WORK_SIDE * 2))  # JPEG: decode at a reduced scale
        gray = opened.convert("L")
    scale = WORK_SIDE / max(gray.size)
    work_size = (max(1, round(gray.width * scale)), max(1, round(gray.height * scale)))
    work = np.asarray(gray.resize(work_size, Image.Resampling.BOX), dtype=np.float32)
    return PhotoTraits(image_id, width, height, sharpness(work), _thumbnail(gray))


def sharpness(gray: np.ndarray) -> float:
    """Variance of the Laplacian relative to the photo's variance (0 for a flat photo)."""
    variance = float(gray.var())
    if variance < 1e-6:
        return 0.0
    return float(cv2.Laplacian(gray, cv2.CV_32F).var()) / variance


def _thumbnail(gray: Image.Image) -> np.ndarray:
    pixels = np.asarray(gray.resize(THUMBNAIL, Image.Resampling.BOX), dtype=np.float32).ravel()
    pixels -= pixels.mean()
    norm = float(np.linalg.norm(pixels))
    return pixels / norm if norm > 0 else pixels


def typicality(traits: Sequence[PhotoTraits]) -> np.ndarray:
    """Each photo's mean distance to all of `traits` (mirror-invariant); lower is more typical."""
    width, height = THUMBNAIL
    plain = np.stack([item.thumbnail for item in traits])
    mirrored = plain.reshape(-1, height, width)[:, :, ::-1].reshape(len(traits), -1)
    # Unit vectors: squared distance is 2 - 2 cos; take the nearer of as-is and mirrored.
    cosine = np.maximum(plain @ plain.T, plain @ mirrored.T)
    return np.sqrt(np.maximum(0.0, 2.0 - 2.0 * cosine)).mean(axis=1)


def choose(traits: Sequence[PhotoTraits], min_side: int = MIN_SIDE) -> PhotoTraits:
    """The showroom reference among one class's training photos (see the module docstring)."""
    if not traits:
        raise ValueError("no training photos to choose a reference from")
    distances = dict(zip((item.image_id for item in traits), typicality(traits), strict=True))
    big = [item for item in traits if item.long_side >= min_side and _framed(item)]
    if not big:
        largest = max(item.long_side for item in traits)
        big = [item for item in traits if item.long_side == largest]
    by_sharpness = sorted((item.sharpness for item in big), reverse=True)
    threshold = by_sharpness[max(1, round(len(big) * SHARP_FRACTION)) - 1]
    sharp = [item for item in big if item.sharpness >= threshold]  # ties stay in
    return min(sharp, key=lambda item: (distances[item.image_id], -item.long_side, item.image_id))


def _framed(item: PhotoTraits) -> bool:
    return item.height <= item.width <= MAX_ASPECT * item.height


def choose_references(
    catalog: Catalog,
    progress: Callable[[str], None] = lambda message: None,
    min_side: int = MIN_SIDE,
) -> tuple[dict[str, str], dict[str, Any]]:
    """A reference image id per label from its training photos, and a report of the choice."""
    by_label: dict[str, list[CatalogImage]] = {}
    for image in catalog.split("train"):
        by_label.setdefault(image.label, []).append(image)
    total = sum(len(images) for images in by_label.values())
    progress(f"  choosing showroom references from {total} training photos")
    references: dict[str, str] = {}
    small: list[str] = []
    measured = 0
    for label in sorted(by_label):
        traits = []
        for image in by_label[label]:
            traits.append(measure(image.image_id, catalog.path(image)))
            measured += 1
            if measured % PROGRESS_EVERY == 0:
                progress(f"  {measured}/{total} training photos measured")
        chosen = choose(traits, min_side)
        references[label] = chosen.image_id
        if chosen.long_side < min_side:
            small.append(label)
    missing = sorted(set(catalog.labels) - set(references))
    report = {"chosen": len(references), "min_side": min_side, "smaller": small}
    report["without_training_photos"] = missing
    return references, report


def summary(report: dict[str, Any]) -> str:
    """One line for the import summary."""
    line = (
        f"showroom references: {report['chosen']} models, each a sharp, typical training photo "
        f"of at least {report['min_side']} px where there is one"
    )
    if report["smaller"]:
        line += f"; only smaller photos for {', '.join(report['smaller'])}"
    if report["without_training_photos"]:
        missing = ", ".join(report["without_training_photos"])
        line += f"; no training photo (the showroom uses another photo) for {missing}"
    return line
