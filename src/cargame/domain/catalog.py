"""The image catalog: a folder of images plus `manifest.csv` and `catalog.json`.

Pure Python (no TensorFlow): the web tier reads it to pick game photos, the model service writes it.
Image ids are opaque (a hash of the original bytes), never the file name: imported file names
can contain the answer.
"""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SPLITS = ("train", "validation", "game")
LABEL_SEPARATOR = "/"
MANIFEST = "manifest.csv"
METADATA = "catalog.json"
FIELDS = ("image_id", "file", "make", "model", "split", "x0", "y0", "x1", "y1", "source")


class CatalogError(ValueError):
    """The catalog folder is missing or its manifest is malformed."""


def make_label(make: str, model: str) -> str:
    """The class label the model is trained on: `Make/Model`."""
    return f"{make}{LABEL_SEPARATOR}{model}"


def split_label(label: str) -> tuple[str, str]:
    """`Make/Model` back into (make, model)."""
    make, separator, model = label.partition(LABEL_SEPARATOR)
    if not separator:
        raise CatalogError(f"not a Make/Model label: {label!r}")
    return make, model


def display_name(label: str) -> str:
    """`Make/Model` as a person reads it: `Make Model`."""
    make, model = split_label(label)
    return f"{make} {model}"


@dataclass(frozen=True)
class CatalogImage:
    """One photo: opaque id, file relative to the catalog root, class, split, optional box."""

    image_id: str
    file: str
    make: str
    model: str
    split: str
    bbox: tuple[int, int, int, int] | None = None
    source: str = ""

    @property
    def label(self) -> str:
        return make_label(self.make, self.model)

    def to_row(self) -> dict[str, str]:
        box = [str(value) for value in self.bbox] if self.bbox else ["", "", "", ""]
        values = [self.image_id, self.file, self.make, self.model, self.split, *box, self.source]
        return dict(zip(FIELDS, values, strict=True))

    @classmethod
    def from_row(cls, row: dict[str, str]) -> CatalogImage:
        missing = [name for name in FIELDS[:5] if not row.get(name)]
        if missing:
            raise CatalogError(f"manifest row lacks {', '.join(missing)}: {row}")
        if row["split"] not in SPLITS:
            raise CatalogError(f"unknown split {row['split']!r} for {row['image_id']}")
        box = None
        if row.get("x0"):
            box = (int(row["x0"]), int(row["y0"]), int(row["x1"]), int(row["y1"]))
        return cls(
            row["image_id"],
            row["file"],
            row["make"],
            row["model"],
            row["split"],
            box,
            row.get("source") or "",
        )


@dataclass
class Catalog:
    """A loaded catalog; `references` maps a label to its reference picture (showroom)."""

    root: Path
    name: str
    images: list[CatalogImage]
    references: dict[str, str] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        """Every class in the catalog, sorted (the model's class order)."""
        return sorted({image.label for image in self.images})

    def split(self, name: str) -> list[CatalogImage]:
        return [image for image in self.images if image.split == name]

    def get(self, image_id: str) -> CatalogImage | None:
        return self._by_id().get(image_id)

    def path(self, image: CatalogImage) -> Path:
        return self.root / image.file

    def counts(self) -> dict[str, Counter[str]]:
        """Images per label, per split."""
        result: dict[str, Counter[str]] = {split: Counter() for split in SPLITS}
        for image in self.images:
            result[image.split][image.label] += 1
        return result

    def _by_id(self) -> dict[str, CatalogImage]:
        cached = getattr(self, "_index", None)
        if cached is None or len(cached) != len(self.images):
            cached = {image.image_id: image for image in self.images}
            self._index = cached
        return cached

    def save(self) -> None:
        """Write manifest.csv and catalog.json into the root folder."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / MANIFEST).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(image.to_row() for image in self.images)
        metadata = {"name": self.name, "references": self.references, "report": self.report}
        (self.root / METADATA).write_text(json.dumps(metadata, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, root: Path | str) -> Catalog:
        root = Path(root)
        manifest = root / MANIFEST
        if not manifest.is_file():
            raise CatalogError(f"no catalog at {root} (missing {MANIFEST})")
        with manifest.open(newline="", encoding="utf-8") as handle:
            images = [CatalogImage.from_row(row) for row in csv.DictReader(handle)]
        metadata: dict[str, Any] = {}
        if (root / METADATA).is_file():
            metadata = json.loads((root / METADATA).read_text(encoding="utf-8"))
        return cls(
            root,
            metadata.get("name", root.name),
            images,
            dict(metadata.get("references", {})),
            dict(metadata.get("report", {})),
        )


def exists(root: Path | str) -> bool:
    return (Path(root) / MANIFEST).is_file()


def assign_splits(
    labels: Sequence[str],
    *,
    seed: int,
    validation_fraction: float,
    game_fraction: float,
) -> list[str]:
    """Split names for items with these labels: stratified per class, deterministic for a seed.

    Each class with at least three items gets at least one validation and one game item.
    """
    by_label: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        by_label.setdefault(label, []).append(index)
    splits = ["train"] * len(labels)
    for label in sorted(by_label):
        indices = by_label[label]
        random.Random(f"{seed}:{label}").shuffle(indices)
        count = len(indices)
        n_game = round(count * game_fraction)
        n_validation = round(count * validation_fraction)
        if count >= 3:
            n_game, n_validation = max(n_game, 1), max(n_validation, 1)
        for position, index in enumerate(indices):
            if position < n_game:
                splits[index] = "game"
            elif position < n_game + n_validation:
                splits[index] = "validation"
    return splits
