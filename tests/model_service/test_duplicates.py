"""Leakage guard: near-duplicate photos across the catalog, found by perceptual hash."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from model_service.catalog import duplicates, importers


def smooth_photo(seed: int, size: tuple[int, int] = (160, 120)) -> Image.Image:
    """A photo-like picture: random colour regions blended smoothly, different per seed."""
    rng = np.random.default_rng(seed)
    coarse = Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8))
    return coarse.resize(size, Image.Resampling.BICUBIC)


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_groups_link_near_hashes_transitively() -> None:
    base = np.zeros(256, dtype=bool)
    near = base.copy()
    near[:10] = True  # 10 bits from base
    nearer_still = near.copy()
    nearer_still[10:25] = True  # 15 bits from `near`, 25 from base
    far = np.random.default_rng(1).integers(0, 2, 256).astype(bool)
    groups = duplicates.near_duplicate_groups([far, base, near, nearer_still], max_distance=20)
    assert groups == [[1, 2, 3]]
    assert duplicates.near_duplicate_groups([base, near], max_distance=5) == []
    assert duplicates.near_duplicate_groups([base], max_distance=20) == []


def test_reencoded_and_recropped_copies_are_near_and_other_photos_far(tmp_path: Path) -> None:
    original = smooth_photo(1)
    write(tmp_path / "a.jpg", jpeg(original))
    write(tmp_path / "b.jpg", jpeg(original.resize((120, 90)), quality=60))
    write(tmp_path / "c.jpg", jpeg(original.crop((3, 2, 157, 118))))
    write(tmp_path / "d.jpg", jpeg(smooth_photo(2)))
    hashes = [duplicates.perceptual_hash(tmp_path / f"{name}.jpg") for name in "abcd"]
    distance = [int(np.sum(hashes[0] != other)) for other in hashes]
    assert max(distance[1:3]) <= duplicates.NEAR_DUPLICATE_DISTANCE < distance[3]


def test_import_drops_conflicting_copies_and_keeps_same_label_copies_in_one_split(
    tmp_path: Path,
) -> None:
    source = tmp_path / "photos"
    for seed in range(12):
        write(source / "Audi" / "A5" / f"{seed:02d}.jpg", jpeg(smooth_photo(100 + seed)))
        write(source / "BMW" / "X5" / f"{seed:02d}.jpg", jpeg(smooth_photo(200 + seed)))
        write(source / "Ford" / "GT" / f"{seed:02d}.jpg", jpeg(smooth_photo(300 + seed)))
    # The same photo twice in Audi A5, re-encoded smaller; one photo labelled BMW X5 and Ford GT.
    shared = smooth_photo(7)
    write(source / "Audi" / "A5" / "copy-1.jpg", jpeg(shared))
    write(source / "Audi" / "A5" / "copy-2.jpg", jpeg(shared.resize((128, 96)), quality=70))
    write(source / "Audi" / "A5" / "copy-3.jpg", jpeg(shared.crop((2, 2, 158, 118)), quality=80))
    write(source / "BMW" / "X5" / "twin.jpg", jpeg(smooth_photo(8)))
    write(source / "Ford" / "GT" / "twin.jpg", jpeg(smooth_photo(8), quality=75))
    lines: list[str] = []
    catalog = importers.import_catalog(
        source, tmp_path / "catalog", seed=1, min_images_per_class=1,
        validation_fraction=0.25, game_fraction=0.25, progress=lines.append,
    )  # fmt: skip
    sources = {image.source: image for image in catalog.images}
    assert "BMW/X5/twin.jpg" not in sources and "Ford/GT/twin.jpg" not in sources
    assert (
        len(catalog.images) == 39 and len(list((tmp_path / "catalog" / "images").iterdir())) == 39
    )
    near = catalog.report["near_duplicates"]
    assert near["conflicting"] == [
        {"files": ["BMW/X5/twin.jpg", "Ford/GT/twin.jpg"], "labels": ["BMW/X5", "Ford/GT"]}
    ]
    copies = ["Audi/A5/copy-1.jpg", "Audi/A5/copy-2.jpg", "Audi/A5/copy-3.jpg"]
    assert len({sources[name].split for name in copies}) == 1
    assert near["same_label"] == [
        {"files": copies, "label": "Audi/A5", "split": sources[copies[0]].split}
    ]
    assert any("conflicting labels (BMW/X5, Ford/GT)" in line for line in lines)
