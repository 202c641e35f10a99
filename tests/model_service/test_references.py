"""Showroom references: sharp, big enough, typical training photos, chosen at import or later."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter
from support import shared_path

from cargame import cli
from cargame.domain.catalog import Catalog
from cargame.web.runtime import reference_paths
from model_service.catalog import importers, references
from model_service.catalog.references import PhotoTraits

SPLIT_SETTINGS = {"seed": 42, "validation_fraction": 0.2, "game_fraction": 0.2}
SIZE = (480, 320)


def car_scene(seed: int, size: tuple[int, int] = SIZE) -> Image.Image:
    """A car-like side view (body, cabin, wheels) on a textured background; varied per seed."""
    rng = np.random.default_rng(seed)
    width, height = SIZE
    noise = rng.integers(90, 200, (height // 8, width // 8, 3), dtype=np.uint8)
    image = Image.fromarray(noise).resize(SIZE, Image.Resampling.NEAREST)
    draw = ImageDraw.Draw(image)
    shift_x, shift_y = (int(value) for value in rng.integers(-40, 40, 2))
    colour = tuple(int(value) for value in rng.integers(0, 256, 3))
    body = (70 + shift_x, 160 + shift_y, 410 + shift_x, 240 + shift_y)
    draw.rounded_rectangle(body, radius=20, fill=colour)
    draw.rounded_rectangle((150 + shift_x, 105 + shift_y, 330 + shift_x, 170 + shift_y), 18, colour)
    draw.rectangle((170 + shift_x, 118 + shift_y, 310 + shift_x, 160 + shift_y), (200, 220, 235))
    for x in (140, 340):
        draw.ellipse((x + shift_x - 34, 210 + shift_y, x + shift_x + 34, 278 + shift_y), (20,) * 3)
    return image.resize(size, Image.Resampling.LANCZOS) if size != SIZE else image


def close_up(seed: int) -> Image.Image:
    """An odd shot: a few big blobs filling the frame (a wheel, an interior)."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", SIZE, (40, 40, 40))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = (int(value) for value in rng.integers(0, SIZE[0], 2))
        radius = int(rng.integers(60, 160))
        fill = tuple(int(value) for value in rng.integers(0, 256, 3))
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=fill)
    return image


def save(image: Image.Image, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=95)
    return path


def traits(
    image_id: str,
    thumbnail: np.ndarray,
    sharpness: float = 1.0,
    size: tuple[int, int] = (480, 320),
) -> PhotoTraits:
    unit = thumbnail.astype(np.float32).ravel()
    unit = unit - unit.mean()
    return PhotoTraits(image_id, *size, sharpness, unit / np.linalg.norm(unit))


def thumbnails(count: int, seed: int = 0) -> list[np.ndarray]:
    """`count` similar thumbnails (a shared pattern plus a little noise each)."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=references.THUMBNAIL[::-1])
    return [base + 0.3 * rng.normal(size=base.shape) for _ in range(count)]


# --- the choice -----------------------------------------------------------------------------


def test_the_most_typical_photo_wins_and_an_odd_shot_loses() -> None:
    similar = thumbnails(5)
    mean = np.mean(similar, axis=0)
    odd = np.random.default_rng(9).normal(size=mean.shape)
    candidates = [traits(f"similar-{n}", item) for n, item in enumerate(similar)]
    candidates.append(traits("odd", odd, sharpness=5.0, size=(1024, 700)))
    candidates.append(traits("typical", mean))
    assert references.choose(candidates).image_id == "typical"


def test_a_blurred_photo_is_not_chosen_even_when_most_typical() -> None:
    similar = thumbnails(6)
    mean = np.mean(similar, axis=0)
    candidates = [
        traits(f"similar-{n}", item, sharpness=1.0 + n / 10) for n, item in enumerate(similar)
    ]
    candidates.append(traits("blurred", mean, sharpness=0.05))
    chosen = references.choose(candidates)
    assert chosen.image_id != "blurred" and chosen.image_id.startswith("similar-")


def test_a_tiny_or_badly_framed_photo_is_not_chosen_when_a_big_one_exists() -> None:
    similar = thumbnails(4)
    mean = np.mean(similar, axis=0)
    candidates = [traits(f"similar-{n}", item) for n, item in enumerate(similar)]
    candidates.append(traits("tiny", mean, sharpness=9.0, size=(78, 52)))
    candidates.append(traits("portrait", mean, sharpness=9.0, size=(320, 480)))
    candidates.append(traits("panorama", mean, sharpness=9.0, size=(1000, 300)))
    assert references.choose(candidates).image_id.startswith("similar-")


def test_without_a_big_photo_the_largest_is_chosen() -> None:
    similar = thumbnails(3)
    candidates = [
        traits("small", similar[0], size=(120, 80)),
        traits("larger", similar[1], size=(200, 150)),
        traits("smallest", similar[2], size=(78, 60)),
    ]
    assert references.choose(candidates).image_id == "larger"


# --- measuring photos -----------------------------------------------------------------------


def test_sharpness_falls_with_blur_but_not_with_size_or_contrast(tmp_path: Path) -> None:
    scene = car_scene(1)
    sharp = references.measure("a", save(scene, tmp_path / "sharp.jpg"))
    blurred = references.measure(
        "b", save(scene.filter(ImageFilter.GaussianBlur(4)), tmp_path / "blurred.jpg")
    )
    bigger = references.measure(
        "c", save(scene.resize((960, 640), Image.Resampling.LANCZOS), tmp_path / "big.jpg")
    )
    faint = Image.blend(scene, Image.new("RGB", SIZE, (128, 128, 128)), 0.6)
    low_contrast = references.measure("d", save(faint, tmp_path / "faint.jpg"))
    assert blurred.sharpness < sharp.sharpness / 3
    assert bigger.sharpness == pytest.approx(sharp.sharpness, rel=0.35)
    assert low_contrast.sharpness == pytest.approx(sharp.sharpness, rel=0.35)
    assert (sharp.width, sharp.height, bigger.long_side) == (480, 320, 960)


def test_a_mirrored_view_is_as_typical_as_the_original(tmp_path: Path) -> None:
    scenes = [car_scene(seed) for seed in range(4)]
    measured = [
        references.measure(str(n), save(s, tmp_path / f"{n}.jpg")) for n, s in enumerate(scenes)
    ]
    mirrored = scenes[0].transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    measured.append(references.measure("mirror", save(mirrored, tmp_path / "mirror.jpg")))
    distance = references.typicality(measured)
    assert distance[-1] == pytest.approx(distance[0], abs=0.02)


# --- at import, and again later -------------------------------------------------------------


def crafted_source(root: Path) -> Path:
    """Per class: sharp photos, a blurred copy of each, a tiny copy of some, and an odd shot."""
    for offset, label in ((0, "Audi/A5"), (100, "Ford/GT")):
        for number in range(6):
            scene = car_scene(offset + number)
            save(scene, root / label / f"sharp-{number}.jpg")
            blurred = scene.filter(ImageFilter.GaussianBlur(5))
            save(blurred, root / label / f"blurred-{number}.jpg")
            if number % 2 == 0:
                save(
                    scene.resize((72, 48), Image.Resampling.LANCZOS),
                    root / label / f"tiny-{number}.jpg",
                )
        save(close_up(offset), root / label / "odd.jpg")
    return root


def test_import_chooses_a_sharp_big_training_photo_per_model(tmp_path: Path) -> None:
    source = crafted_source(tmp_path / "photos")
    messages: list[str] = []
    catalog = importers.import_catalog(
        source,
        tmp_path / "catalog",
        min_images_per_class=1,
        progress=messages.append,
        **SPLIT_SETTINGS,
    )
    assert sorted(catalog.references) == catalog.labels == ["Audi/A5", "Ford/GT"]
    for label, image_id in catalog.references.items():
        image = catalog.get(image_id)
        assert image is not None and image.label == label and image.split == "train"
        assert Path(image.source).name.startswith("sharp-"), image.source
        trains = {
            Path(item.source).name.split("-")[0]
            for item in catalog.split("train")
            if item.label == label
        }
        assert {"blurred", "tiny"} <= trains  # they had their chance
    saved = json.loads((tmp_path / "catalog" / "catalog.json").read_text())
    assert saved["references"] == catalog.references
    assert saved["report"]["references"]["chosen"] == 2
    assert any(message.startswith("showroom references: 2 models") for message in messages)
    paths = reference_paths(Catalog.load(tmp_path / "catalog"))
    assert paths == {
        label: catalog.path(catalog.get(image_id)) for label, image_id in catalog.references.items()
    }


def test_cli_chooses_references_for_an_existing_catalog(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = crafted_source(tmp_path / "photos")
    dest = tmp_path / "catalog"
    chosen = importers.import_catalog(
        source, dest, min_images_per_class=1, **SPLIT_SETTINGS
    ).references
    # A catalog imported before references existed: the showroom falls back to a training photo.
    metadata = json.loads((dest / "catalog.json").read_text())
    metadata["references"] = {}
    del metadata["report"]["references"]
    (dest / "catalog.json").write_text(json.dumps(metadata))
    old = Catalog.load(dest)
    for label, path in reference_paths(old).items():
        assert old.get(path.stem).split == "train" and old.get(path.stem).label == label
    assert cli.main(["data", "references", "--catalog", str(dest)]) == 0
    assert "showroom references: 2 models" in capsys.readouterr().out
    again = Catalog.load(dest)
    assert again.references == chosen and again.report["references"]["chosen"] == 2
    assert again.images == old.images


def test_real_stanford_cars_references(tmp_path: Path) -> None:
    source = shared_path("data", "stanford-cars-dev")
    catalog = importers.import_catalog(
        source, tmp_path / "catalog", min_images_per_class=10, **SPLIT_SETTINGS
    )
    assert sorted(catalog.references) == catalog.labels
    for label, image_id in catalog.references.items():
        image = catalog.get(image_id)
        assert image is not None and image.split == "train" and image.label == label
        with Image.open(catalog.path(image)) as opened:
            assert max(opened.size) >= references.MIN_SIDE
            assert opened.height <= opened.width <= references.MAX_ASPECT * opened.height


def test_the_summary_names_models_without_a_big_or_any_training_photo() -> None:
    report = {
        "chosen": 2,
        "min_side": 320,
        "smaller": ["Ford/GT"],
        "without_training_photos": ["Audi/R8"],
    }
    assert references.summary(report) == (
        "showroom references: 2 models, each a sharp, typical training photo of at least 320 px "
        "where there is one; only smaller photos for Ford/GT; no training photo (the showroom "
        "uses another photo) for Audi/R8"
    )
