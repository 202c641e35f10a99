"""Frozen-backbone features, computed once per photo and view and cached on disk.

The frozen stage of transfer learning only trains the head, so the backbone's output for a photo
never changes: it is run once per (photo, view) and stored as `.npy` under
`<cache>/features/<backbone>-<weights>/<image id>.<view>.<H>x<W>.npy`. Training the head then
takes seconds per epoch. Fine-tuning the top blocks caches, in the same pass, the maps the first
fine-tuned layer takes in (float16, `<cache>/maps/<backbone>-<weights>/<layer>/...`). Photos go
through `preprocess.load_image`, the serving decode path.
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
    """Backbone outputs on disk, one small `.npy` file per (image id, view, input size): pooled
    features (float32), or with `layer` the maps that layer takes in (float16: half the disk and
    memory, for values that only feed a few more blocks)."""

    def __init__(
        self,
        root: Path,
        backbone: str,
        weights: str,
        image_size: tuple[int, int],
        layer: str | None = None,
    ):
        model_key = f"{backbone}-{weights}"
        if layer is None:
            self.folder, self.dtype = Path(root) / "features" / model_key, np.float32
        else:
            self.folder, self.dtype = Path(root) / "maps" / model_key / layer, np.float16
        self.size = f"{image_size[0]}x{image_size[1]}"

    def path(self, image_id: str, view: str) -> Path:
        """Where one photo's view is stored."""
        return self.folder / f"{image_id}.{view}.{self.size}.npy"

    def load(self, image_id: str, view: str) -> np.ndarray | None:
        """The cached values, or None when missing or unreadable."""
        try:
            return np.load(self.path(image_id, view))
        except (OSError, ValueError):
            return None

    def store(self, image_id: str, view: str, values: np.ndarray) -> None:
        """Write atomically (temporary file, then rename): a killed run leaves no half file."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.path(image_id, view)
        temporary = target.with_suffix(f".{id(values)}.tmp")
        with temporary.open("wb") as handle:
            np.save(handle, np.asarray(values, dtype=self.dtype))
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
    return extract_outputs(
        extractor, catalog, items, views, [cache], image_size,
        batch_size=batch_size, progress=progress,
    )[0]  # fmt: skip


def extract_outputs(
    extractor: keras.Model,
    catalog: Catalog,
    items: Sequence[CatalogImage],
    views: Sequence[str],
    caches: Sequence[FeatureCache],
    image_size: tuple[int, int],
    *,
    batch_size: int,
    progress: Progress,
) -> list[np.ndarray]:
    """`extract` for an extractor with one output per cache (one backbone pass fills them all):
    per cache, [len(items), len(views), *shape] in the cache's dtype."""
    found = [
        {(item.image_id, view): cache.load(item.image_id, view) for item in items for view in views}
        for cache in caches
    ]
    missing = [
        (item, view)
        for item in items
        for view in views
        if any(values[item.image_id, view] is None for values in found)
    ]
    if missing:
        _compute(extractor, catalog, missing, caches, image_size, batch_size, progress, found)
    return [
        np.stack(
            [np.stack([values[item.image_id, view] for view in views]) for item in items]
        ).astype(cache.dtype)
        for cache, values in zip(caches, found, strict=True)
    ]


def _compute(
    extractor: keras.Model,
    catalog: Catalog,
    missing: list[tuple[CatalogImage, str]],
    caches: Sequence[FeatureCache],
    image_size: tuple[int, int],
    batch_size: int,
    progress: Progress,
    found: list[dict[tuple[str, str], np.ndarray | None]],
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
        outputs = extractor.predict_on_batch(batch)
        outputs = outputs if isinstance(outputs, list | tuple) else [outputs]
        pairs = missing[done : done + len(outputs[0])]
        for cache, values, output in zip(caches, found, outputs, strict=True):
            for (item, view), row in zip(pairs, np.asarray(output), strict=True):
                cache.store(item.image_id, view, row)
                # As a re-run loads it (maps rounded to float16): the same numbers either way.
                values[item.image_id, view] = row.astype(cache.dtype)
        done += len(pairs)
        now = time.monotonic()
        if now - last_report >= PROGRESS_EVERY_SECONDS or done == len(missing):
            last_report = now
            rate = done / max(now - started, 1e-9)
            progress(f"features: {done}/{len(missing)} views ({rate:.0f}/s, {now - started:.0f} s)")
