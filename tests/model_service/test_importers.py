"""Catalog importers: file-name parsing, source detection, image normalisation, whole imports."""

from __future__ import annotations

import csv
import hashlib
import io
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile
from support import shared_path

from cargame import cli
from cargame.domain.catalog import Catalog
from model_service.catalog import images, importers, sources
from model_service.catalog.sources import (
    CarConnectionNameError,
    ImportSourceError,
    parse_car_connection_name,
)

SPLIT_SETTINGS = {"seed": 42, "validation_fraction": 0.25, "game_fraction": 0.25}
RLX = "Acura_RLX_2017_65_19_370_35_6_74_57_196_29_AWD_5_4_4dr_CrM.jpg"


def car_connection_name(make: str, model: str, year: str = "2020", tag: str = "Abc") -> str:
    """A Car Connection file name with plausible spec fields."""
    return f"{make}_{model}_{year}_67_17_230_17_4_73_46_157_24_RWD_2_2_Convertible_{tag}.jpg"


def photo_bytes(seed: int, size: tuple[int, int] = (48, 32), fmt: str = "JPEG") -> bytes:
    """A small noisy photo whose bytes differ for every seed."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, fmt)
    return buffer.getvalue()


def half_a_jpeg() -> bytes:
    """The first half of a real JPEG: a download or copy cut short."""
    data = photo_bytes(3, size=(128, 128))
    return data[: len(data) // 2]


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares huge dimensions in a few dozen bytes (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def make_model_tree(root: Path, counts: dict[str, int], start_seed: int = 0) -> Path:
    """`<root>/<Make>/<Model>/NN.jpg` with distinct generated photos."""
    seed = start_seed
    for label, count in counts.items():
        for number in range(count):
            write(root / label / f"{number:02d}.jpg", photo_bytes(seed))
            seed += 1
    return root


def run_import(source: Path, dest: Path, min_images: int = 1, **options: object) -> Catalog:
    return importers.import_catalog(
        source, dest, min_images_per_class=min_images, **SPLIT_SETTINGS, **options
    )


def skipped_reasons(catalog: Catalog) -> dict[str, str]:
    return {entry["file"]: entry["reason"] for entry in catalog.report["skipped"]}


# --- Car Connection file names ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (RLX, ("Acura", "RLX", 2017)),
        (car_connection_name("Alfa Romeo", "4C Spider"), ("Alfa Romeo", "4C Spider", 2020)),
        (car_connection_name("Mercedes-Benz", "A Class"), ("Mercedes-Benz", "A Class", 2020)),
        (car_connection_name("BMW", "2-Series", "2014"), ("BMW", "2-Series", 2014)),
        (car_connection_name("Porsche", "718", "2017"), ("Porsche", "718", 2017)),
        (
            "Acura_MDX_2013_43_18_300_37_6_78_68_191_nan_AWD_7_4_SUV_JAi.jpg",
            ("Acura", "MDX", 2013),
        ),
        (RLX.removesuffix(".jpg"), ("Acura", "RLX", 2017)),
        (RLX.replace(".jpg", ".JPG"), ("Acura", "RLX", 2017)),
        (car_connection_name("Volvo", "XC90", "nan"), ("Volvo", "XC90", None)),
    ],
)
def test_parse_car_connection_name(name: str, expected: tuple[str, str, int | None]) -> None:
    assert tuple(parse_car_connection_name(name)) == expected


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Acura_RLX_2017.jpg", "expected 17 '_'-separated fields"),
        ("Acura_RLX_2017_65_19_370_35_6_74_57_196_29_AWD_5_4_4dr.jpg", "found 16"),
        ("Acura_R_LX_2017_65_19_370_35_6_74_57_196_29_AWD_5_4_4dr_CrM.jpg", "found 18"),
        ("photo.jpg", "found 1"),
        (car_connection_name("nan", "RLX"), "make is missing"),
        (car_connection_name("Acura", "NaN"), "model is missing"),
        (car_connection_name(" ", "RLX"), "missing make"),
        (car_connection_name("Acura", "RLX", "17"), "not a 4-digit year"),
    ],
)
def test_malformed_car_connection_names_are_refused(name: str, message: str) -> None:
    with pytest.raises(CarConnectionNameError, match=message):
        parse_car_connection_name(name)


def test_clean_name_refuses_the_label_separator_and_tidies_spaces() -> None:
    assert sources.clean_name("  Alfa   Romeo ", "make") == "Alfa Romeo"
    with pytest.raises(ValueError, match="label separator"):
        sources.clean_name("A/C", "model")


# --- source detection ---------------------------------------------------------------------------


def test_detects_each_layout(tmp_path: Path) -> None:
    folders = make_model_tree(tmp_path / "folders", {"Audi/A5": 1})
    write(folders / "cover.jpg", photo_bytes(1))  # a stray picture does not change the layout
    flat = tmp_path / "flat"
    write(flat / RLX, photo_bytes(2))
    (flat / "thumbnails").mkdir()  # nor does a stray folder
    table = write(tmp_path / "list.CSV", b"path,make,model\n")
    assert importers.detect_source_kind(folders) == "make-model-folders"
    assert importers.detect_source_kind(flat) == "car-connection"
    assert importers.detect_source_kind(table) == "csv"


@pytest.mark.parametrize("kind", ["empty folder", "missing", "text file"])
def test_unusable_sources_are_refused(tmp_path: Path, kind: str) -> None:
    source = {"empty folder": tmp_path, "missing": tmp_path / "nothing"}.get(kind)
    if source is None:
        source = write(tmp_path / "notes.txt", b"hello")
    with pytest.raises(ImportSourceError):
        importers.detect_source_kind(source)


# --- image normalisation ------------------------------------------------------------------------


def test_cmyk_becomes_rgb() -> None:
    stored = decode(
        images.normalise_image(encode(Image.new("CMYK", (8, 8), (0, 255, 255, 0)), "JPEG"))
    )
    assert stored.mode == "RGB"
    assert stored.getpixel((4, 4)) == pytest.approx((255, 0, 0), abs=6)


def test_grayscale_becomes_rgb() -> None:
    stored = decode(images.normalise_image(encode(Image.new("L", (8, 8), 100), "PNG")))
    assert stored.mode == "RGB"
    assert stored.getpixel((4, 4)) == pytest.approx((100, 100, 100), abs=3)


def test_sixteen_bit_is_scaled_not_clipped() -> None:
    bands = np.repeat(np.array([0, 32896, 65535], dtype=np.uint16), 16)
    image = Image.fromarray(np.tile(bands, (16, 1)))
    assert image.mode == "I;16"
    stored = np.asarray(decode(images.normalise_image(encode(image, "PNG"))))
    means = [stored[:, start + 4 : start + 12].mean() for start in (0, 16, 32)]
    assert means == pytest.approx([0, 128, 255], abs=3)


def test_thirty_two_bit_outside_sixteen_bits_is_stretched() -> None:
    image = Image.fromarray(np.array([[-1000, 0, 1_000_000]], dtype=np.int32))
    assert image.mode == "I"
    assert list(np.asarray(images.high_depth_to_gray(image))[0]) == [0, 0, 255]


@pytest.mark.parametrize(
    ("image", "fmt", "options"),
    [
        (Image.new("RGBA", (8, 8), (255, 0, 0, 0)), "PNG", {}),
        (Image.new("LA", (8, 8), (0, 0)), "PNG", {}),
        (Image.new("P", (8, 8), 1), "PNG", {"transparency": 1}),
    ],
    ids=["RGBA", "LA", "P"],
)
def test_transparent_pixels_become_white(image: Image.Image, fmt: str, options: dict) -> None:
    if image.mode == "P":
        image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    stored = decode(images.normalise_image(encode(image, fmt, **options)))
    assert stored.mode == "RGB"
    assert stored.getpixel((4, 4)) == pytest.approx((255, 255, 255), abs=2)


def test_palette_and_opaque_alpha_keep_their_colours() -> None:
    palette = Image.new("P", (8, 8), 1)
    palette.putpalette([0, 0, 0, 0, 0, 255] + [0] * 762)
    opaque = Image.new("RGBA", (8, 8), (0, 200, 0, 255))
    assert decode(images.normalise_image(encode(palette, "GIF"))).getpixel((4, 4)) == (
        pytest.approx((0, 0, 255), abs=4)
    )
    assert decode(images.normalise_image(encode(opaque, "PNG"))).getpixel((4, 4)) == (
        pytest.approx((0, 200, 0), abs=4)
    )


def test_exif_orientation_is_applied_and_dropped() -> None:
    image = Image.new("RGB", (60, 30), (255, 0, 0))
    image.paste((0, 0, 255), (30, 0, 60, 30))  # left red, right blue
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    stored = decode(images.normalise_image(encode(image, "JPEG", exif=exif)))
    assert stored.size == (30, 60)
    assert stored.getpixel((15, 5)) == pytest.approx((255, 0, 0), abs=8)
    assert stored.getpixel((15, 55)) == pytest.approx((0, 0, 255), abs=8)
    assert 0x0112 not in stored.getexif()


def test_large_images_are_capped_on_the_longest_side() -> None:
    stored = decode(images.normalise_image(photo_bytes(0, size=(1500, 600)), max_side=500))
    assert stored.size == (500, 200)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"this is a text file, not a photo\n", "not an image"),
        (half_a_jpeg(), "truncated"),
        (png_header_only(20_000, 20_000), "decompression bomb"),
        (png_header_only(10_000, 10_000), "decompression bomb"),  # where Pillow only warns
        (png_header_only(7_000, 7_000), "decompression bomb"),  # over our 40 MP limit
    ],
    ids=["empty", "text", "truncated", "bomb-error", "bomb-warning", "bomb-own-limit"],
)
def test_bad_files_are_rejected_without_global_changes(data: bytes, reason: str) -> None:
    limit = Image.MAX_IMAGE_PIXELS
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(images.ImageRejected, match=reason):
            images.normalise_image(data)
    assert [str(warning.message) for warning in caught] == []
    assert limit == Image.MAX_IMAGE_PIXELS
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_pixel_limit_is_a_parameter() -> None:
    with pytest.raises(images.ImageRejected, match="48x32 = 1536 pixels exceeds the limit of 1000"):
        images.normalise_image(photo_bytes(0), max_pixels=1000)
    assert decode(images.normalise_image(photo_bytes(0), max_pixels=2000)).size == (48, 32)


# --- whole imports ------------------------------------------------------------------------------


def test_make_model_folders_import(tmp_path: Path) -> None:
    source = make_model_tree(tmp_path / "photos", {"Audi/A5": 4, "BMW/3 Series": 4})
    write(source / "README.md", b"# about these photos")
    write(source / ".git" / "Audi" / "A5" / "blob.jpg", photo_bytes(98))
    write(source / "Audi" / "cover.jpg", photo_bytes(99))
    catalog = run_import(source, tmp_path / "catalog")
    assert catalog.labels == ["Audi/A5", "BMW/3 Series"]
    assert catalog.report["source"] == "make-model-folders"
    assert catalog.report["ignored"] == ["README.md"]
    assert skipped_reasons(catalog) == {
        "Audi/cover.jpg": "photo not inside a <Make>/<Model>/ folder"
    }
    original = (source / "Audi" / "A5" / "00.jpg").read_bytes()
    image = catalog.get(hashlib.sha256(original).hexdigest()[:16])
    assert image is not None and image.source == "Audi/A5/00.jpg"
    assert image.file == f"images/{image.image_id}.jpg"
    assert decode((tmp_path / "catalog" / image.file).read_bytes()).format == "JPEG"
    loaded = Catalog.load(tmp_path / "catalog")
    assert loaded.images == catalog.images and loaded.report == catalog.report


def test_car_connection_import(tmp_path: Path) -> None:
    source = tmp_path / "cars"
    for number in range(3):
        write(
            source / car_connection_name("Alfa Romeo", "4C Spider", tag=f"Ab{number}"),
            photo_bytes(number),
        )
        write(
            source / car_connection_name("BMW", "2-Series", tag=f"Cd{number}"),
            photo_bytes(10 + number),
        )
    write(source / "Acura_RLX.jpg", photo_bytes(20))
    catalog = run_import(source, tmp_path / "catalog")
    assert catalog.report["source"] == "car-connection"
    assert catalog.labels == ["Alfa Romeo/4C Spider", "BMW/2-Series"]
    assert "expected 17" in skipped_reasons(catalog)["Acura_RLX.jpg"]
    assert all(image.image_id not in image.source for image in catalog.images)


def test_csv_import(tmp_path: Path) -> None:
    write(tmp_path / "photos" / "a.jpg", photo_bytes(1))
    write(tmp_path / "photos" / "b.png", photo_bytes(2, fmt="PNG"))
    outside = write(tmp_path / "elsewhere" / "c.jpg", photo_bytes(3))
    rows = [
        ["path", "make", "model", "note"],
        ["photos/a.jpg", "Toyota", "Camry", "relative"],
        [str(outside), " Toyota ", "Camry", "absolute"],
        ["photos/b.png", "Ford", "Mustang", ""],
        ["photos/a.jpg", "", "Camry", "no make"],
        ["photos/b.png", "Ford", "F-150/F-250", "separator"],
        ["", "Ford", "Focus", "no path"],
        ["photos/missing.jpg", "Ford", "Focus", "no file"],
    ]
    table = tmp_path / "list.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    catalog = run_import(table, tmp_path / "catalog")
    assert catalog.report["source"] == "csv"
    assert sorted(image.label for image in catalog.images) == [
        "Ford/Mustang",
        "Toyota/Camry",
        "Toyota/Camry",
    ]
    reasons = skipped_reasons(catalog)
    assert "line 5: missing make" in reasons["photos/a.jpg"]
    assert "label separator" in reasons["photos/b.png"]
    assert "line 7: missing path" in reasons["line 7"]
    assert reasons["photos/missing.jpg"].startswith("unreadable")


def test_csv_without_the_required_header_is_refused(tmp_path: Path) -> None:
    table = write(tmp_path / "list.csv", b"file,brand\na.jpg,Audi\n")
    with pytest.raises(ImportSourceError, match="missing path, make, model"):
        run_import(table, tmp_path / "catalog")


def test_bad_files_are_skipped_with_reasons(tmp_path: Path) -> None:
    source = make_model_tree(tmp_path / "photos", {"Audi/A5": 3})
    folder = source / "Audi" / "A5"
    write(folder / "cut.jpg", half_a_jpeg())
    write(folder / "notes.jpg", b"not a photo")
    write(folder / "empty.jpg", b"")
    write(folder / "bomb.png", png_header_only(20_000, 20_000))
    write(folder / "zz-copy.jpg", (folder / "01.jpg").read_bytes())
    (folder / "gone.jpg").symlink_to(tmp_path / "nowhere.jpg")
    write(folder / "cmyk.jpg", encode(Image.new("CMYK", (8, 8), (0, 255, 255, 0)), "JPEG"))
    write(folder / "deep.png", encode(Image.fromarray(np.full((8, 8), 40000, np.uint16)), "PNG"))
    catalog = run_import(source, tmp_path / "catalog")
    reasons = {Path(file).name: reason for file, reason in skipped_reasons(catalog).items()}
    assert "truncated" in reasons.pop("cut.jpg")
    assert "not an image" in reasons.pop("notes.jpg")
    assert "empty file" in reasons.pop("empty.jpg")
    assert "decompression bomb" in reasons.pop("bomb.png")
    assert reasons.pop("zz-copy.jpg") == "duplicate of Audi/A5/01.jpg (identical bytes)"
    assert reasons.pop("gone.jpg").startswith("unreadable")
    assert reasons == {}
    assert sorted(Path(image.source).name for image in catalog.images) == [
        "00.jpg",
        "01.jpg",
        "02.jpg",
        "cmyk.jpg",
        "deep.png",
    ]
    assert len(list((tmp_path / "catalog" / "images").iterdir())) == 5


def test_duplicates_keep_the_first_in_sorted_order_even_across_classes(tmp_path: Path) -> None:
    source = tmp_path / "photos"
    write(source / "BMW" / "X5" / "b.jpg", photo_bytes(1))
    write(source / "Audi" / "R8" / "z.jpg", photo_bytes(1))
    write(source / "Audi" / "R8" / "y.jpg", photo_bytes(2))
    catalog = run_import(source, tmp_path / "catalog")
    assert [image.source for image in catalog.images] == ["Audi/R8/y.jpg", "Audi/R8/z.jpg"]
    assert skipped_reasons(catalog) == {
        "BMW/X5/b.jpg": "duplicate of Audi/R8/z.jpg (identical bytes, labelled Audi/R8 there)"
    }


def test_small_classes_are_dropped_and_their_files_removed(tmp_path: Path) -> None:
    source = make_model_tree(tmp_path / "photos", {"Audi/A5": 5, "Ford/GT": 2})
    catalog = run_import(source, tmp_path / "catalog", min_images=3)
    assert catalog.labels == ["Audi/A5"]
    assert catalog.report["dropped_classes"] == [{"label": "Ford/GT", "count": 2}]
    stored = sorted(path.name for path in (tmp_path / "catalog" / "images").iterdir())
    assert stored == sorted(f"{image.image_id}.jpg" for image in catalog.images)


def test_import_is_deterministic_stratified_and_reports_progress(tmp_path: Path) -> None:
    source = make_model_tree(tmp_path / "photos", {"Audi/A5": 40, "Audi/R8": 40, "Ford/GT": 40})
    messages: list[str] = []
    first = run_import(source, tmp_path / "one", progress=messages.append)
    second = run_import(source, tmp_path / "two")
    assert (tmp_path / "one" / "manifest.csv").read_bytes() == (
        tmp_path / "two" / "manifest.csv"
    ).read_bytes()
    for label_counts in first.counts().values():
        assert sorted(label_counts) == ["Audi/A5", "Audi/R8", "Ford/GT"]
    assert first.counts()["game"]["Ford/GT"] == 10
    assert first.report["splits"] == {"train": 60, "validation": 30, "game": 30}
    assert [message.strip()[:7] for message in messages[1:3]] == ["50/120 ", "100/120"]
    assert messages[-1].startswith("imported 120 images in 3 classes")
    assert second.images == first.images


def test_reimport_replaces_the_previous_catalog_cleanly(tmp_path: Path) -> None:
    dest = tmp_path / "catalogs" / "cars"
    run_import(make_model_tree(tmp_path / "old", {"Audi/A5": 3}), dest)
    write(dest / "images" / "leftover.jpg", b"old")
    catalog = run_import(make_model_tree(tmp_path / "new", {"Ford/GT": 3}, start_seed=10), dest)
    assert Catalog.load(dest).labels == ["Ford/GT"] == catalog.labels
    assert catalog.root == dest
    assert not (dest / "images" / "leftover.jpg").exists()
    assert [path.name for path in dest.parent.iterdir()] == ["cars"]
    assert dest.stat().st_mode & 0o777 == 0o755


def test_failed_import_leaves_the_previous_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "catalogs" / "cars"
    before = run_import(make_model_tree(tmp_path / "old", {"Audi/A5": 3}), dest)
    manifest = (dest / "manifest.csv").read_bytes()
    new_source = make_model_tree(tmp_path / "new", {"Ford/GT": 3}, start_seed=10)
    with pytest.raises(ImportSourceError, match="no class has at least 5 photos"):
        run_import(new_source, dest, min_images=5)

    def failing_save(self: Catalog) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(Catalog, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        run_import(new_source, dest)
    assert (dest / "manifest.csv").read_bytes() == manifest
    assert len(list((dest / "images").iterdir())) == len(before.images)
    assert [path.name for path in dest.parent.iterdir()] == ["cars"]


def test_refuses_destinations_that_would_lose_or_mix_data(tmp_path: Path) -> None:
    source = make_model_tree(tmp_path / "photos", {"Audi/A5": 3})
    write(tmp_path / "documents" / "thesis.txt", b"precious")
    with pytest.raises(ImportSourceError, match="holds no catalog"):
        run_import(source, tmp_path / "documents")
    with pytest.raises(ImportSourceError, match="must not be inside the source"):
        run_import(source, source / "catalog")
    assert (tmp_path / "documents" / "thesis.txt").read_bytes() == b"precious"


def test_cli_imports_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = make_model_tree(tmp_path / "photos", {"Audi/A5": 3, "Ford/GT": 1})
    argv = ["data", "import", str(source), "--out", str(tmp_path / "catalog"), "--min-images", "2"]
    assert cli.main(argv) == 0
    output = capsys.readouterr()
    assert "imported 3 images in 1 classes" in output.out
    assert "dropped class Ford/GT: 1 of 2 photos needed" in output.err


# --- the real samples in ../shared --------------------------------------------------------------


def test_real_car_connection_sample(tmp_path: Path) -> None:
    source = shared_path("data", "car-connection-sample")
    listing = importers.list_source(source)
    assert len({photo.label for photo in listing.photos}) == 13
    assert {"Alfa Romeo/4C Spider", "Mercedes-Benz/A Class", "BMW/2-Series", "Porsche/718"} <= {
        photo.label for photo in listing.photos
    }
    catalog = run_import(source, tmp_path / "catalog", min_images=10)
    reasons = list(skipped_reasons(catalog).values())
    assert len(reasons) == 6 and all(reason.startswith("duplicate of") for reason in reasons)
    assert [entry["count"] for entry in catalog.report["dropped_classes"]] == [1] * 6
    assert len(catalog.labels) == 7 and len(catalog.images) == 167 - 6 - 6
    assert catalog.report["ignored"] == ["README.md"]


def test_real_stanford_cars_sample(tmp_path: Path) -> None:
    source = shared_path("data", "stanford-cars-dev")
    catalog = run_import(source, tmp_path / "catalog", min_images=10)
    assert catalog.report["source"] == "make-model-folders"
    assert len(catalog.labels) == 8
    assert len(catalog.images) + len(catalog.report["skipped"]) == 349
    assert len(catalog.images) >= 340
    for label_counts in catalog.counts().values():
        assert len(label_counts) == 8
