"""The demo garage: deterministic, complete, opaque, and its cars drawn where their boxes say."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cargame.domain.catalog import Catalog, CatalogError, CatalogImage, split_label
from model_service.garage import build as garage
from model_service.garage.car import draw_car
from model_service.garage.designs import all_designs
from model_service.garage.geometry import Camera
from model_service.garage.render import PHOTO_SIZE, make_look, place, render_photo

PER_CLASS = 3


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """A small demo garage, built once for the read-only tests."""
    return garage.build_demo_catalog(tmp_path_factory.mktemp("garage"), per_class=PER_CLASS)


def folder_bytes(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*")
            if path.is_file()}  # fmt: skip


def test_same_seed_gives_byte_identical_catalog(built: Catalog, tmp_path: Path) -> None:
    again = garage.build_demo_catalog(tmp_path, per_class=PER_CLASS)
    assert folder_bytes(again.root) == folder_bytes(built.root)


def test_drawing_on_several_cores_gives_the_same_catalog(
    built: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pools: list[int] = []
    original = garage.ProcessPoolExecutor

    def recording_pool(workers: int, **kwargs: object) -> object:
        pools.append(workers)
        return original(workers, **kwargs)

    monkeypatch.setattr(garage, "MIN_PARALLEL_PHOTOS", 0)
    monkeypatch.setattr(garage, "available_cores", lambda: 2)
    monkeypatch.setattr(garage, "ProcessPoolExecutor", recording_pool)
    again = garage.build_demo_catalog(tmp_path, per_class=PER_CLASS)
    assert pools == [2]
    assert folder_bytes(again.root) == folder_bytes(built.root)


def test_other_seed_gives_other_photos(built: Catalog, tmp_path: Path) -> None:
    other = garage.build_demo_catalog(tmp_path, seed=8, per_class=PER_CLASS)
    assert {image.image_id for image in other.images}.isdisjoint(
        {image.image_id for image in built.images}
    )
    assert other.labels == built.labels


def test_four_makes_with_three_models_each(built: Catalog) -> None:
    models_per_make = Counter(split_label(label)[0] for label in built.labels)
    assert len(models_per_make) >= 4
    assert set(models_per_make.values()) == {3}
    assert len(built.images) == PER_CLASS * len(built.labels) == PER_CLASS * 12


def test_every_photo_has_a_sizeable_box_inside_it(built: Catalog) -> None:
    for image in built.images:
        with Image.open(built.path(image)) as photo:
            assert photo.format == "JPEG" and photo.size == PHOTO_SIZE
        assert image.bbox is not None
        x0, y0, x1, y1 = image.bbox
        assert 0 <= x0 < x1 <= PHOTO_SIZE[0] and 0 <= y0 < y1 <= PHOTO_SIZE[1]
        assert (x1 - x0) >= 0.4 * PHOTO_SIZE[0] and (y1 - y0) >= 0.15 * PHOTO_SIZE[1]


def test_splits_are_stratified_with_game_photos_for_every_model(built: Catalog) -> None:
    counts = built.counts()
    for split in ("train", "validation", "game"):
        assert counts[split] == dict.fromkeys(built.labels, 1)


def test_a_showroom_picture_per_model(built: Catalog) -> None:
    assert sorted(built.references) == built.labels
    for file in built.references.values():
        with Image.open(built.root / file) as picture:
            assert picture.format == "PNG"


def test_image_ids_are_opaque_content_hashes(built: Catalog) -> None:
    names = {part.lower() for label in built.labels for part in label.split("/")}
    for image in built.images:
        assert image.file == f"images/{image.image_id}.jpg"
        digest = hashlib.sha256(built.path(image).read_bytes()).hexdigest()
        assert image.image_id == digest[:16]
        assert not any(name in image.file.lower() for name in names)


def test_rerun_returns_the_catalog_without_drawing(
    built: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {path: path.stat().st_mtime_ns for path in built.root.rglob("*")}

    def refuse(*args: object) -> None:
        raise AssertionError("the complete catalog was drawn again")

    monkeypatch.setattr(garage, "render_photo", refuse)
    monkeypatch.setattr(garage, "render_reference", refuse)
    again = garage.build_demo_catalog(built.root, per_class=PER_CLASS)
    assert again.images == built.images
    assert {path: path.stat().st_mtime_ns for path in built.root.rglob("*")} == before


def test_rebuild_with_another_seed_removes_the_old_photos(tmp_path: Path) -> None:
    first = garage.build_demo_catalog(tmp_path, seed=1, per_class=1)
    second = garage.build_demo_catalog(tmp_path, seed=2, per_class=1)
    on_disk = {path.name for path in (tmp_path / "images").iterdir()}
    assert on_disk == {Path(image.file).name for image in second.images}
    assert Catalog.load(tmp_path).report["seed"] == 2 != first.report["seed"]


def test_an_imported_catalog_is_never_overwritten(tmp_path: Path) -> None:
    image = CatalogImage("abc", "images/abc.jpg", "Make", "Model", "game")
    Catalog(tmp_path, "imported", [image], report={"generator": "import"}).save()
    with pytest.raises(CatalogError):
        garage.build_demo_catalog(tmp_path, per_class=1)
    assert Catalog.load(tmp_path).images == [image]


@pytest.mark.parametrize("yaw", [0.0, 0.6])
def test_the_box_is_tight_around_the_drawn_car(yaw: float) -> None:
    for design in all_designs():
        canvas = Image.new("RGB", (400, 300), (255, 255, 255))
        camera = place(
            Camera(yaw, 0.1, design.model.length / 2), design, canvas.size, 0.8, (0.5, 0.5)
        )
        box = draw_car(canvas, design, make_look((200, 30, 30), np.ones(3), 0.0), camera)
        drawn = np.argwhere((np.asarray(canvas) != 255).any(axis=2))
        (top, left), (bottom, right) = drawn.min(axis=0), drawn.max(axis=0)
        tight = np.array([left, top, right + 1, bottom + 1])
        # Pillow may or may not fill the pixel a vertex (or a thick line's edge) falls in.
        assert np.abs(np.array(box) - tight).max() <= 2, (design.label, box, tight)


def test_photos_are_told_apart_by_the_car_not_by_chance() -> None:
    """Nearest class centroid on the boxed car's edges: far above 1-in-12 chance."""
    designs, train, test = all_designs(), 5, 3
    features = [
        [edge_features(*render_photo(design, garage.image_rng(0, design.label, index)))
         for index in range(train + test)]
        for design in designs
    ]  # fmt: skip
    centroids = np.array([np.mean(rows[:train], axis=0) for rows in features])
    predictions = [
        int(np.argmin(((centroids - feature) ** 2).sum(axis=1)))
        for rows in features for feature in rows[train:]
    ]  # fmt: skip
    truth = [label for label in range(len(designs)) for _ in range(test)]
    accuracy = np.mean(np.array(predictions) == np.array(truth))
    assert accuracy >= 0.4


def edge_features(photo: Image.Image, box: tuple[int, int, int, int]) -> np.ndarray:
    """Normalised gradient magnitudes of the boxed car, shrunk to 48x24 grey pixels."""
    pixels = np.asarray(photo.crop(box).convert("L").resize((48, 24)), dtype=np.float32)
    rows, columns = np.gradient(pixels)
    magnitude = np.hypot(rows, columns).ravel()
    return magnitude / (np.linalg.norm(magnitude) + 1e-6)
