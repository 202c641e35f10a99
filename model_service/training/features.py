"""Frozen-backbone features, computed once per photo and view and cached on disk.

The frozen stage of transfer learning only trains the head, so the backbone's output for a photo
never changes: it is run once per (photo, view) and stored as `.npy` under
`<cache>/features/<backbone>-<weights>/<image id>.<view>.<H>x<W>.npy`. Training the head then
takes seconds per epoch. Photos go through `preprocess.load_image`, the serving decode path.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from cargame.domain.catalog import Catalog, CatalogImage
from model_service.training.preprocess import load_image

ORIGINAL = "original"
MIRROR = "mirror"
ZOOM = "zoom"  # the central 80 % of each side, scaled back up: a tighter framing of the car
ZOOM_MIRROR = "zoom-mirror"
VIEWS = (ORIGINAL, MIRROR, ZOOM, ZOOM_MIRROR)
TRAIN_VIEWS = (ORIGINAL, MIRROR)  # what the head learns from by default
ZOOM_FRACTION = 0.8
PROGRESS_EVERY_SECONDS = 10.0  # one progress line at most this often during extraction

Progress = Callable[[str], None]


def view_image(image: tf.Tensor, view: str) -> tf.Tensor:
    """One augmentation view of a decoded [H, W, 3] float image (same size out)."""
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; choose from {', '.join(VIEWS)}")
    if view in (ZOOM, ZOOM_MIRROR):
        height, width = image.shape[0], image.shape[1]
        image = tf.image.resize(tf.image.central_crop(image, ZOOM_FRACTION), [height, width])
    if view in (MIRROR, ZOOM_MIRROR):
        image = tf.image.flip_left_right(image)
    return image


def weights_key(weights: str, seed: int) -> str:
    """How the weights appear in the cache key: a file by its content, random weights by seed."""
    if weights.lower() in ("imagenet", "none"):
        return weights.lower() if weights.lower() == "imagenet" else f"none-seed{seed}"
    digest = hashlib.sha256(Path(weights).expanduser().read_bytes()).hexdigest()
    return f"file-{digest[:16]}"


class FeatureCache:
    """Pooled backbone features on disk, one small `.npy` file per (image id, view, input size)."""

    def __init__(self, root: Path, backbone: str, weights: str, image_size: tuple[int, int]):
        self.folder = Path(root) / "features" / f"{backbone}-{weights}"
        self.size = f"{image_size[0]}x{image_size[1]}"

    def path(self, image_id: str, view: str) -> Path:
        """Where one photo's view is stored."""
        return self.folder / f"{image_id}.{view}.{self.size}.npy"

    def load(self, image_id: str, view: str) -> np.ndarray | None:
        """The cached features, or None when missing or unreadable."""
        try:
            return np.load(self.path(image_id, view))
        except (OSError, ValueError):
            return None

    def store(self, image_id: str, view: str, features: np.ndarray) -> None:
        """Write atomically (temporary file, then rename): a killed run leaves no half file."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.path(image_id, view)
        temporary = target.with_suffix(f".{id(features)}.tmp")
        with temporary.open("wb") as handle:
            np.save(handle, np.asarray(features, dtype=np.float32))
        temporary.replace(target)


def extract(
    extractor: keras.Model,
    catalog: Catalog,
    items: Sequence[CatalogImage],
    views: Sequence[str],
    cache: FeatureCache,
    image_size: tuple[int, int],
    *,
    batch_size: int,
    progress: Progress,
) -> np.ndarray:
    """Features of every item and view, [len(items), len(views), dim]; only misses hit the
    backbone, and every computed feature is cached."""
    found = {
        (item.image_id, view): cache.load(item.image_id, view) for item in items for view in views
    }
    missing = [
        (item, view) for item in items for view in views if found[item.image_id, view] is None
    ]
    if missing:
        _compute(extractor, catalog, missing, cache, image_size, batch_size, progress, found)
    return np.stack(
        [np.stack([found[item.image_id, view] for view in views]) for item in items]
    ).astype(np.float32)


def _compute(
    extractor: keras.Model,
    catalog: Catalog,
    missing: list[tuple[CatalogImage, str]],
    cache: FeatureCache,
    image_size: tuple[int, int],
    batch_size: int,
    progress: Progress,
    found: dict[tuple[str, str], np.ndarray | None],
) -> None:
    """Run the backbone over the missing (photo, view) pairs in batches, caching each result."""
    paths = [str(catalog.path(item)) for item, _ in missing]
    view_numbers = [VIEWS.index(view) for _, view in missing]

    def load(path: tf.Tensor, view_number: tf.Tensor) -> tf.Tensor:
        image = load_image(path, image_size)
        branches = [lambda view=view: view_image(image, view) for view in VIEWS]
        return tf.switch_case(view_number, branches)

    dataset = tf.data.Dataset.from_tensor_slices((paths, view_numbers))
    dataset = dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    photos = len({item.image_id for item, _ in missing})
    progress(f"features: {len(missing)} views of {photos} photos to compute (the rest cached)")
    started = last_report = time.monotonic()
    done = 0
    for batch in dataset:
        # Compiled, unlike calling the model eagerly: about 3x the photos per second here.
        features = np.asarray(extractor.predict_on_batch(batch))
        for (item, view), row in zip(missing[done : done + len(features)], features, strict=True):
            cache.store(item.image_id, view, row)
            found[item.image_id, view] = row
        done += len(features)
        now = time.monotonic()
        if now - last_report >= PROGRESS_EVERY_SECONDS or done == len(missing):
            last_report = now
            rate = done / max(now - started, 1e-9)
            progress(f"features: {done}/{len(missing)} views ({rate:.0f}/s, {now - started:.0f} s)")
