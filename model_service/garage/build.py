"""The offline demo garage: a deterministic, licence-clean catalog of drawn car photos.

Twelve fictional models from four makes, drawn with Pillow so a fresh machine needs no
downloads. The same seed and size always give byte-identical images and manifest.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from cargame.domain.catalog import Catalog, CatalogError, CatalogImage, assign_splits, exists
from model_service.garage.designs import CarDesign, all_designs
from model_service.garage.paint import BoundingBox
from model_service.garage.render import render_photo, render_reference

GENERATOR = "demo-garage"
GENERATOR_VERSION = 1  # bump whenever the drawings change, so existing catalogs are rebuilt
VALIDATION_FRACTION = 0.15
GAME_FRACTION = 0.2
JPEG_QUALITY = 90
PROGRESS_EVERY = 100  # images between progress messages
MAX_WORKERS = 8  # drawing processes; each renders whole photos on its own
MIN_PARALLEL_PHOTOS = 200  # below this, starting the processes costs more than it saves


def image_rng(seed: int, label: str, index: int) -> np.random.Generator:
    """The generator for one photo: depends only on the seed, the class and the photo's number."""
    digest = hashlib.sha256(f"{seed}:{label}:{index}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def encode_jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def expected_report(seed: int, per_class: int) -> dict[str, object]:
    return {
        "generator": GENERATOR,
        "version": GENERATOR_VERSION,
        "seed": seed,
        "per_class": per_class,
    }


def build_demo_catalog(
    root: Path,
    *,
    seed: int = 7,
    per_class: int = 100,
    progress: Callable[[str], None] = lambda message: None,
) -> Catalog:
    """Generate the demo garage into `root` (or return it when it is already there, complete)."""
    root = Path(root)
    previous = Catalog.load(root) if exists(root) else None
    if previous is not None and previous.report.get("generator") != GENERATOR:
        raise CatalogError(
            f"{root} holds a catalog the demo garage did not build; not replacing it"
        )
    if previous is not None and is_complete(previous, seed, per_class):
        progress(f"demo garage: already built in {root}")
        return previous
    designs = all_designs()
    photos = write_photos(root, designs, seed, per_class, progress)
    labels = [design.label for design, _, _ in photos]
    splits = assign_splits(
        labels, seed=seed, validation_fraction=VALIDATION_FRACTION, game_fraction=GAME_FRACTION
    )
    images = [
        CatalogImage(image_id, f"images/{image_id}.jpg", design.make.name, design.model.name,
                     split, box, GENERATOR)
        for (design, image_id, box), split in zip(photos, splits, strict=True)
    ]  # fmt: skip
    references = write_references(root, designs)
    catalog = Catalog(root, GENERATOR, images, references, expected_report(seed, per_class))
    catalog.save()
    if previous is not None:
        remove_stale_images(previous, catalog)
    progress(f"demo garage: {len(images)} images of {len(designs)} models in {root}")
    return catalog


def is_complete(catalog: Catalog, seed: int, per_class: int) -> bool:
    """Whether a catalog on disk is this generator's output for this seed and size."""
    if catalog.report != expected_report(seed, per_class):
        return False
    if len(catalog.images) != per_class * len(all_designs()):
        return False
    files = [catalog.path(image) for image in catalog.images]
    files += [catalog.root / file for file in catalog.references.values()]
    return all(path.is_file() for path in files)


def write_photos(
    root: Path,
    designs: list[CarDesign],
    seed: int,
    per_class: int,
    progress: Callable[[str], None],
) -> list[tuple[CarDesign, str, BoundingBox]]:
    """Render and save every photo, on every core; returns (design, image id, box) in catalog
    order. Each photo depends only on (seed, class, number), so the result is the same on any
    number of cores."""
    folder = root / "images"
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [(design, index) for design in designs for index in range(per_class)]
    draw = functools.partial(write_photo, folder, seed)
    workers = min(available_cores(), MAX_WORKERS) if len(jobs) >= MIN_PARALLEL_PHOTOS else 1
    photos = []
    with contextlib.ExitStack() as stack:
        results: Iterable[tuple[str, BoundingBox]] = map(draw, jobs)
        if workers > 1:
            # spawn, not fork: the calling process may hold TensorFlow's threads.
            context = multiprocessing.get_context("spawn")
            pool = stack.enter_context(ProcessPoolExecutor(workers, mp_context=context))
            results = pool.map(draw, jobs, chunksize=PROGRESS_EVERY // (2 * workers))
        for (design, _), (image_id, box) in zip(jobs, results, strict=True):
            photos.append((design, image_id, box))
            if len(photos) % PROGRESS_EVERY == 0:
                progress(f"demo garage: {len(photos)}/{len(jobs)} images")
    return photos


def write_photo(folder: Path, seed: int, job: tuple[CarDesign, int]) -> tuple[str, BoundingBox]:
    """Render one photo, save it under its content hash; returns (image id, box)."""
    design, index = job
    image, box = render_photo(design, image_rng(seed, design.label, index))
    data = encode_jpeg(image)
    image_id = hashlib.sha256(data).hexdigest()[:16]
    (folder / f"{image_id}.jpg").write_bytes(data)
    return image_id, box


def available_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def write_references(root: Path, designs: list[CarDesign]) -> dict[str, str]:
    """Save the showroom picture of every model; returns label -> file relative to the root."""
    folder = root / "references"
    folder.mkdir(parents=True, exist_ok=True)
    references = {}
    for design in designs:
        image, _ = render_reference(design)
        file = f"references/{design.slug}.png"
        image.save(root / file, format="PNG")
        references[design.label] = file
    return references


def remove_stale_images(previous: Catalog, current: Catalog) -> None:
    """Delete the photos of an earlier build that the new manifest no longer lists."""
    keep = {image.file for image in current.images}
    folder = previous.root / "images"
    for image in previous.images:
        path = previous.path(image)
        if image.file not in keep and path.parent == folder:
            path.unlink(missing_ok=True)
