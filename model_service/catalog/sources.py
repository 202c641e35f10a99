"""Find the photos of an import source and their make and model, without opening any image.

Three layouts: a CSV with `path,make,model`; `<root>/<Make>/<Model>/*.jpg` folders; a flat folder
of Car Connection Picture Dataset files named `Make_Model_Year_..._ID.jpg`. Problems with single
entries are collected (`skipped`, `ignored`); only a source that cannot be read at all raises.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from cargame.domain.catalog import LABEL_SEPARATOR, CatalogError, make_label
from model_service.catalog.images import IMAGE_SUFFIXES, is_image_name

CSV = "csv"
MAKE_MODEL_FOLDERS = "make-model-folders"
CAR_CONNECTION = "car-connection"
CSV_COLUMNS = ("path", "make", "model")
# Make_Model_Year_MSRP_Wheel_HP_Displ_Cyl_Width_Height_Length_MPG_Drive_Seats_Doors_Body_ID
CAR_CONNECTION_FIELD_COUNT = 17
MISSING_VALUE = "nan"  # how the Car Connection scraper wrote a missing value


class ImportSourceError(CatalogError):
    """The source as a whole cannot be imported (not one bad file, which is only reported)."""


class CarConnectionNameError(ValueError):
    """A file name that does not follow the Car Connection `Make_Model_Year_..._ID` format."""


class CarConnectionName(NamedTuple):
    """What a Car Connection file name says about its photo (the year may be missing)."""

    make: str
    model: str
    year: int | None


@dataclass(frozen=True)
class SourcePhoto:
    """One photo file to import: where it is, its name relative to the source, its class."""

    path: Path
    source: str
    make: str
    model: str

    @property
    def label(self) -> str:
        return make_label(self.make, self.model)


@dataclass
class SourceListing:
    """The photos of a source (sorted by `source`), entries skipped with a reason, files ignored."""

    kind: str
    root: Path
    photos: list[SourcePhoto] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def skip(self, file: str, reason: str) -> None:
        self.skipped.append({"file": file, "reason": reason})


def clean_name(value: str | None, what: str) -> str:
    """A make or model with whitespace tidied; raises ValueError when empty or containing `/`."""
    cleaned = " ".join((value or "").split())
    if not cleaned:
        raise ValueError(f"missing {what}")
    if LABEL_SEPARATOR in cleaned:
        raise ValueError(f"{what} {cleaned!r} contains {LABEL_SEPARATOR!r}, the label separator")
    return cleaned


def parse_car_connection_name(name: str) -> CarConnectionName:
    """Make, model and year from a Car Connection file name (with or without its image ending)."""
    stem = name
    if Path(name).suffix.lower() in IMAGE_SUFFIXES:
        stem = name[: -len(Path(name).suffix)]
    fields = stem.split("_")
    if len(fields) != CAR_CONNECTION_FIELD_COUNT:
        raise CarConnectionNameError(
            f"{name!r} is not a Car Connection name: expected {CAR_CONNECTION_FIELD_COUNT} "
            f"'_'-separated fields (Make_Model_Year_..._ID), found {len(fields)}"
        )
    make, model, year = (value.strip() for value in fields[:3])
    for what, value in (("make", make), ("model", model)):
        if value.lower() == MISSING_VALUE:
            raise CarConnectionNameError(f"{name!r}: the {what} is missing ({value!r})")
    try:
        make, model = clean_name(make, "make"), clean_name(model, "model")
    except ValueError as error:
        raise CarConnectionNameError(f"{name!r}: {error}") from error
    return CarConnectionName(make, model, _parse_year(name, year))


def _parse_year(name: str, year: str) -> int | None:
    if year.lower() == MISSING_VALUE:
        return None
    if len(year) != 4 or not year.isdigit():
        raise CarConnectionNameError(f"{name!r}: the year {year!r} is not a 4-digit year")
    return int(year)


def is_car_connection_name(name: str) -> bool:
    """Whether `parse_car_connection_name` accepts the name."""
    try:
        parse_car_connection_name(name)
    except CarConnectionNameError:
        return False
    return True


def detect_source_kind(source: Path) -> str:
    """`csv`, `make-model-folders` or `car-connection`; raises ImportSourceError otherwise."""
    if source.is_file():
        if source.suffix.lower() == ".csv":
            return CSV
        raise ImportSourceError(f"{source}: a source file must be a .csv with {CSV_COLUMNS}")
    if not source.is_dir():
        raise ImportSourceError(f"{source}: no such file or folder")
    children = [child for child in source.iterdir() if not child.name.startswith(".")]
    folders = [child for child in children if child.is_dir()]
    photos = [child for child in children if not child.is_dir() and is_image_name(child.name)]
    named = sum(is_car_connection_name(photo.name) for photo in photos)
    # A stray picture next to <Make>/ folders must not turn the tree into a Car Connection folder.
    if photos and (not folders or 2 * named >= len(photos)):
        return CAR_CONNECTION
    if folders:
        return MAKE_MODEL_FOLDERS
    raise ImportSourceError(f"{source}: neither photos nor <Make>/<Model>/ folders found")


def list_source(source: Path) -> SourceListing:
    """Every photo of the source with its class, sorted by its name relative to the source."""
    kind = detect_source_kind(source)
    readers = {
        CSV: list_csv,
        MAKE_MODEL_FOLDERS: list_make_model_folders,
        CAR_CONNECTION: list_car_connection,
    }
    listing = readers[kind](source)
    listing.photos.sort(key=lambda photo: photo.source)
    listing.skipped.sort(key=lambda entry: entry["file"])
    listing.ignored.sort()
    return listing


def list_csv(path: Path) -> SourceListing:
    """Rows `path,make,model` (paths relative to the CSV's folder, or absolute)."""
    listing = SourceListing(CSV, path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [(name or "").strip().lower() for name in reader.fieldnames or []]
            missing = [column for column in CSV_COLUMNS if column not in header]
            if missing:
                raise ImportSourceError(
                    f"{path}: the CSV header must name {', '.join(CSV_COLUMNS)}; "
                    f"missing {', '.join(missing)} (found {header})"
                )
            reader.fieldnames = header
            for row in reader:
                _add_csv_row(listing, path.parent, row, reader.line_num)
    except UnicodeDecodeError as error:
        raise ImportSourceError(f"{path}: not a UTF-8 CSV ({error})") from error
    return listing


def _add_csv_row(
    listing: SourceListing, folder: Path, row: dict[str, str | None], line: int
) -> None:
    written = (row.get("path") or "").strip()
    file = PurePosixPath(written.replace("\\", "/")).as_posix() if written else f"line {line}"
    try:
        if not written:
            raise ValueError("missing path")
        make = clean_name(row.get("make"), "make")
        model = clean_name(row.get("model"), "model")
    except ValueError as error:
        listing.skip(file, f"CSV line {line}: {error}")
        return
    listing.photos.append(SourcePhoto(folder / file, file, make, model))


def list_make_model_folders(root: Path) -> SourceListing:
    """Photos at `<root>/<Make>/<Model>/<file>`; other files are ignored or skipped."""
    listing = SourceListing(MAKE_MODEL_FOLDERS, root)
    for relative in _walk_files(root):
        parts = relative.parts
        if any(part.startswith(".") for part in parts) or not is_image_name(relative.name):
            listing.ignored.append(relative.as_posix())
        elif len(parts) != 3:
            listing.skip(relative.as_posix(), "photo not inside a <Make>/<Model>/ folder")
        else:
            _add_photo(listing, root / relative, relative.as_posix(), parts[0], parts[1])
    return listing


def list_car_connection(root: Path) -> SourceListing:
    """Photos directly in `root`, labelled by their Car Connection file names."""
    listing = SourceListing(CAR_CONNECTION, root)
    for child in sorted(root.iterdir(), key=lambda entry: entry.name):
        if child.name.startswith(".") or child.is_dir() or not is_image_name(child.name):
            listing.ignored.append(child.name + ("/" if child.is_dir() else ""))
            continue
        try:
            make, model, _year = parse_car_connection_name(child.name)
        except CarConnectionNameError as error:
            listing.skip(child.name, str(error))
            continue
        listing.photos.append(SourcePhoto(child, child.name, make, model))
    return listing


def _add_photo(listing: SourceListing, path: Path, file: str, make: str, model: str) -> None:
    try:
        listing.photos.append(
            SourcePhoto(path, file, clean_name(make, "make"), clean_name(model, "model"))
        )
    except ValueError as error:
        listing.skip(file, str(error))


def _walk_files(root: Path) -> list[PurePosixPath]:
    """Every file under root, relative, sorted; hidden and symlinked folders are not entered."""
    found: list[PurePosixPath] = []
    for folder, folders, files in os.walk(root):
        folders[:] = [name for name in folders if not name.startswith(".")]  # .git, .cache, ...
        relative_folder = PurePosixPath(Path(folder).relative_to(root).as_posix())
        found.extend(relative_folder / name for name in files)
    return sorted(found, key=lambda path: path.as_posix())
