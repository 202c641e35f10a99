"""Import real photos into a catalog: CSV, `<Make>/<Model>/` folders, or Car Connection names.

Each photo is read once, identified by the sha256 of its original bytes (the opaque image id),
normalised by `catalog.images` and stored as `images/<image_id>.jpg`. One bad file never
stops an import: it is listed in `report["skipped"]` with the reason. Near-duplicates (the same
photo re-encoded or re-cropped, `catalog.duplicates`) are found across the whole catalog: copies
with conflicting labels are all dropped, copies with one label all go to the same split; both are
listed in `report["near_duplicates"]`. Each model's showroom reference is chosen from its
training photos (`catalog.references`: sharp, big enough, typical) and summarised in
`report["references"]`. The catalog is built in a
staging folder next to `dest` and renamed into place, so a failed import leaves `dest` untouched.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cargame.domain import catalog as catalog_format
from cargame.domain.catalog import Catalog, CatalogImage
from model_service.catalog import duplicates, images, references
from model_service.catalog.sources import (
    CarConnectionName,
    CarConnectionNameError,
    ImportSourceError,
    SourceListing,
    SourcePhoto,
    detect_source_kind,
    list_source,
    parse_car_connection_name,
)

__all__ = [
    "CarConnectionName",
    "CarConnectionNameError",
    "ImportSourceError",
    "detect_source_kind",
    "import_catalog",
    "list_source",
    "parse_car_connection_name",
]

IMAGES_FOLDER = "images"
PROGRESS_EVERY = 50  # files between progress lines
SKIPPED_SHOWN = 20  # skipped files named in the summary; catalog.json lists them all


@dataclass(frozen=True)
class ImportedPhoto:
    """A photo stored in the staging catalog under its opaque id."""

    image_id: str
    photo: SourcePhoto


@dataclass(frozen=True)
class ImportSettings:
    """How to split, filter and normalise; stored in the report."""

    seed: int
    min_images_per_class: int
    validation_fraction: float
    game_fraction: float
    max_side: int
    max_pixels: int
    near_duplicate_distance: int = duplicates.NEAR_DUPLICATE_DISTANCE
    reference_min_side: int = references.MIN_SIDE

    def check(self) -> None:
        """Raise ValueError on settings that cannot produce a usable catalog."""
        if self.min_images_per_class < 1:
            raise ValueError(f"min_images_per_class must be >= 1: {self.min_images_per_class}")
        fractions = (self.validation_fraction, self.game_fraction)
        if any(fraction < 0 for fraction in fractions) or sum(fractions) >= 1:
            raise ValueError(f"split fractions must be >= 0 and leave room for train: {fractions}")


def import_catalog(
    source: Path,
    dest: Path,
    *,
    seed: int,
    min_images_per_class: int,
    validation_fraction: float,
    game_fraction: float,
    progress: Callable[[str], None] = lambda message: None,
    max_side: int = images.MAX_SIDE,
    max_pixels: int = images.MAX_PIXELS,
    near_duplicate_distance: int = duplicates.NEAR_DUPLICATE_DISTANCE,
) -> Catalog:
    """Import the photos of `source` into a new catalog at `dest`, replacing any catalog there."""
    settings = ImportSettings(
        seed,
        min_images_per_class,
        validation_fraction,
        game_fraction,
        max_side,
        max_pixels,
        near_duplicate_distance,
    )
    settings.check()
    source, dest = source.expanduser().absolute(), dest.expanduser().absolute()
    _check_destination(source, dest)
    listing = list_source(source)
    progress(f"{listing.kind} source {source}: {len(listing.photos)} photo files")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.importing-", dir=dest.parent))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; the web server or nginx reads the catalog
        catalog = _build_catalog(listing, staging, dest.name, settings, progress)
        catalog.save()
        _move_into_place(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    catalog.root = dest
    _summarise(catalog.report, progress)
    return catalog


def _build_catalog(
    listing: SourceListing,
    staging: Path,
    name: str,
    settings: ImportSettings,
    progress: Callable[[str], None],
) -> Catalog:
    """Store the photos in `staging`, drop small classes, assign splits, write the report."""
    (staging / IMAGES_FOLDER).mkdir()
    imported, skipped = _store_photos(listing.photos, staging, settings, progress)
    groups = _near_duplicate_groups(imported, staging, settings, progress)
    imported, conflicting = _drop_conflicting(imported, groups, staging)
    kept, dropped = _drop_small_classes(imported, settings.min_images_per_class, staging)
    splits = catalog_format.assign_splits(
        [item.photo.label for item in kept],
        seed=settings.seed,
        validation_fraction=settings.validation_fraction,
        game_fraction=settings.game_fraction,
    )
    same_label = _one_split_per_group(kept, splits, groups)
    entries = [_catalog_image(item, split) for item, split in zip(kept, splits, strict=True)]
    catalog = Catalog(staging, name, entries)
    catalog.report = _report(listing, skipped, dropped, catalog)
    catalog.report["settings"] = dataclasses.asdict(settings)
    catalog.report["near_duplicates"] = {"conflicting": conflicting, "same_label": same_label}
    catalog.references, catalog.report["references"] = references.choose_references(
        catalog, progress, settings.reference_min_side
    )
    return catalog


def _near_duplicate_groups(
    imported: list[ImportedPhoto],
    staging: Path,
    settings: ImportSettings,
    progress: Callable[[str], None],
) -> list[list[str]]:
    """Groups of image ids whose stored photos are near-duplicates (perceptual hash)."""
    progress(f"  looking for near-duplicates among {len(imported)} photos")
    hashes = [
        duplicates.perceptual_hash(staging / IMAGES_FOLDER / f"{item.image_id}.jpg")
        for item in imported
    ]
    groups = duplicates.near_duplicate_groups(hashes, settings.near_duplicate_distance)
    return [[imported[index].image_id for index in group] for group in groups]


def _drop_conflicting(
    imported: list[ImportedPhoto], groups: list[list[str]], staging: Path
) -> tuple[list[ImportedPhoto], list[dict[str, Any]]]:
    """Drop every copy of a photo that carries more than one label: which one is right is
    unknown. Returns the photos kept and one report entry per dropped group."""
    by_id = {item.image_id: item for item in imported}
    dropped_ids: set[str] = set()
    report = []
    for group in groups:
        labels = {by_id[image_id].photo.label for image_id in group}
        if len(labels) > 1:
            dropped_ids.update(group)
            files = [by_id[image_id].photo.source for image_id in group]
            report.append({"files": files, "labels": sorted(labels)})
    for image_id in dropped_ids:
        (staging / IMAGES_FOLDER / f"{image_id}.jpg").unlink()
    return [item for item in imported if item.image_id not in dropped_ids], report


def _one_split_per_group(
    kept: list[ImportedPhoto], splits: list[str], groups: list[list[str]]
) -> list[dict[str, Any]]:
    """Put every copy of a same-label photo in the split of its first copy (changes `splits`)."""
    position = {item.image_id: index for index, item in enumerate(kept)}
    report = []
    for group in groups:
        members = [position[image_id] for image_id in group if image_id in position]
        if len(members) < 2:
            continue  # the group was dropped (conflicting labels or a small class)
        split = splits[members[0]]
        for member in members:
            splits[member] = split
        files = [kept[member].photo.source for member in members]
        report.append({"files": files, "label": kept[members[0]].photo.label, "split": split})
    return report


def _check_destination(source: Path, dest: Path) -> None:
    """Refuse a destination that would be imported from or that holds something else."""
    if source.is_dir() and dest.is_relative_to(source):
        raise ImportSourceError(f"the catalog {dest} must not be inside the source {source}")
    if dest.exists() and not dest.is_dir():
        raise ImportSourceError(f"{dest} exists and is not a folder")
    if dest.is_dir() and any(dest.iterdir()) and not catalog_format.exists(dest):
        # Replacing means deleting: only ever delete a previous catalog, never other files.
        raise ImportSourceError(f"{dest} is not empty and holds no catalog; choose another folder")


def _store_photos(
    photos: Sequence[SourcePhoto],
    staging: Path,
    settings: ImportSettings,
    progress: Callable[[str], None],
) -> tuple[list[ImportedPhoto], list[dict[str, str]]]:
    """Normalise and store every photo in order; identical bytes are kept once (the first)."""
    kept_by_digest: dict[str, SourcePhoto] = {}
    imported: list[ImportedPhoto] = []
    skipped: list[dict[str, str]] = []
    for number, photo in enumerate(photos, start=1):
        try:
            digest, jpeg = _read_photo(photo, kept_by_digest, settings)
        except images.ImageRejected as error:
            skipped.append({"file": photo.source, "reason": str(error)})
        except Exception as error:  # one odd file must never stop the import
            reason = f"unexpected {type(error).__name__}: {error}"
            skipped.append({"file": photo.source, "reason": reason})
        else:
            image_id = digest[:16]
            (staging / IMAGES_FOLDER / f"{image_id}.jpg").write_bytes(jpeg)
            kept_by_digest[digest] = photo
            imported.append(ImportedPhoto(image_id, photo))
        if number % PROGRESS_EVERY == 0:
            stored = f"{len(imported)} stored, {len(skipped)} skipped"
            progress(f"  {number}/{len(photos)} photo files: {stored}")
    return imported, skipped


def _read_photo(
    photo: SourcePhoto, kept_by_digest: dict[str, SourcePhoto], settings: ImportSettings
) -> tuple[str, bytes]:
    """The sha256 of the original bytes and the normalised JPEG; raises ImageRejected."""
    try:
        data = photo.path.read_bytes()
    except OSError as error:
        raise images.ImageRejected(f"unreadable: {error.strerror or error}") from error
    digest = hashlib.sha256(data).hexdigest()
    original = kept_by_digest.get(digest)
    if original is not None:
        labelled = "" if original.label == photo.label else f", labelled {original.label} there"
        raise images.ImageRejected(f"duplicate of {original.source} (identical bytes{labelled})")
    jpeg = images.normalise_image(data, max_side=settings.max_side, max_pixels=settings.max_pixels)
    return digest, jpeg


def _drop_small_classes(
    imported: list[ImportedPhoto], min_images: int, staging: Path
) -> tuple[list[ImportedPhoto], list[dict[str, Any]]]:
    """Photos of classes with at least `min_images` photos, and the classes dropped."""
    counts = Counter(item.photo.label for item in imported)
    dropped = [
        {"label": label, "count": count}
        for label, count in sorted(counts.items())
        if count < min_images
    ]
    kept = [item for item in imported if counts[item.photo.label] >= min_images]
    for item in imported:
        if counts[item.photo.label] < min_images:
            (staging / IMAGES_FOLDER / f"{item.image_id}.jpg").unlink()
    if not kept:
        raise ImportSourceError(
            f"no class has at least {min_images} photos: {len(imported)} photos stored "
            f"in {len(counts)} classes, all dropped"
        )
    return kept, dropped


def _catalog_image(item: ImportedPhoto, split: str) -> CatalogImage:
    photo = item.photo
    file = f"{IMAGES_FOLDER}/{item.image_id}.jpg"
    return CatalogImage(item.image_id, file, photo.make, photo.model, split, None, photo.source)


def _report(
    listing: SourceListing,
    skipped: list[dict[str, str]],
    dropped: list[dict[str, Any]],
    catalog: Catalog,
) -> dict[str, Any]:
    """What the import did, stored in catalog.json."""
    counts = catalog.counts()
    return {
        "source": listing.kind,
        "source_path": str(listing.root),
        "photo_files": len(listing.photos),
        "images": len(catalog.images),
        "classes": len(catalog.labels),
        "splits": {split: sum(counts[split].values()) for split in catalog_format.SPLITS},
        "skipped": sorted(listing.skipped + skipped, key=lambda entry: entry["file"]),
        "dropped_classes": dropped,
        "ignored": listing.ignored,
    }


def _move_into_place(staging: Path, dest: Path) -> None:
    """Rename the finished staging folder to `dest`, then delete the catalog it replaces."""
    if not dest.exists():
        staging.rename(dest)
        return
    previous = dest.with_name(f".{dest.name}.replaced-{uuid.uuid4().hex[:8]}")
    dest.rename(previous)
    try:
        staging.rename(dest)
    except OSError:
        previous.rename(dest)
        raise
    shutil.rmtree(previous)


def _summarise(report: dict[str, Any], progress: Callable[[str], None]) -> None:
    """The skipped files and dropped classes (first few), then one line of totals."""
    skipped = report["skipped"]
    for entry in skipped[:SKIPPED_SHOWN]:
        progress(f"  skipped {entry['file']}: {entry['reason']}")
    if len(skipped) > SKIPPED_SHOWN:
        progress(f"  ... and {len(skipped) - SKIPPED_SHOWN} more skipped (see catalog.json)")
    minimum = report["settings"]["min_images_per_class"]
    for entry in report["dropped_classes"]:
        progress(f"  dropped class {entry['label']}: {entry['count']} of {minimum} photos needed")
    near = report["near_duplicates"]
    for entry in near["conflicting"]:
        progress(
            f"  dropped near-duplicates with conflicting labels ({', '.join(entry['labels'])}): "
            f"{', '.join(entry['files'])}"
        )
    if near["same_label"]:
        progress(f"  {len(near['same_label'])} groups of same-label near-duplicates, each kept "
                 "in one split (see catalog.json)")  # fmt: skip
    progress(references.summary(report["references"]))
    splits = ", ".join(f"{split} {count}" for split, count in report["splits"].items())
    progress(
        f"imported {report['images']} images in {report['classes']} classes "
        f"from {report['photo_files']} photo files (skipped {len(skipped)}, "
        f"dropped classes {len(report['dropped_classes'])}, "
        f"other files ignored {len(report['ignored'])}); splits: {splits}"
    )
