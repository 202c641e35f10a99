"""Opponent levels from a trained model: the same network, looking at smaller photos.

A weaker level is a real model, never a faked answer: the trained network exported as its own
servable (`<name>-<level>`), whose serving signature (and the explainer, through the export's
metadata) shrinks every photo to the level's `view_size` before scaling it back up to the
model's input size. Less detail, more mistakes, the same kind of mistakes a person makes on a
blurry photo.

The size is calibrated on the validation split, never the game split: the side whose top-1 is
nearest the level's `target_top1`, found by bisection since fewer pixels mean fewer right
answers. The game split then measures every level once, for the evaluation report and the
start page. No training is repeated: calibrating and exporting the levels takes seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from cargame.domain.catalog import SPLITS, Catalog, CatalogError
from cargame.domain.exports import latest_report, model_versions
from cargame.domain.levels import Level
from model_service.training import data, evaluation
from model_service.training.export import KERAS_FILE, export_model, read_metadata
from model_service.training.preprocess import ViewSize

MIN_SIDE = 8  # the smallest photo side tried: below it a car is a few blobs of colour
Progress = Callable[[str], None]


@dataclass(frozen=True)
class LevelModel:
    """A calibrated weaker level: the photo size it sees and its scores per split."""

    level: Level
    view_size: ViewSize
    splits: dict[str, Any]


@dataclass(frozen=True)
class TrainedModel:
    """What exporting a level needs to know about the model it is derived from."""

    model: keras.Model
    labels: list[str]
    image_size: tuple[int, int]
    gradcam_layer: str
    backbone: str


class SplitScorer:
    """The model's predictions on the validation and game splits at any photo size, memoised."""

    def __init__(
        self,
        trained: TrainedModel,
        catalog: Catalog,
        batch_size: int,
        progress: Progress,
        held_out: list[np.ndarray] | None = None,
    ) -> None:
        """`held_out`: the model's weights before a refit on the validation split; they score
        that split (and so calibrate the levels), the trained weights every other."""
        self.trained, self.catalog, self.batch_size = trained, catalog, batch_size
        self.held_out = held_out
        self.calibration_split = data.VALIDATION_SPLIT
        if not catalog.split(data.VALIDATION_SPLIT):
            # Without held-out photos the train split stands in (the levels come out stronger).
            progress("levels: no validation photos; calibrating on the train split")
            self.calibration_split = data.TRAIN_SPLIT
        self._scores: dict[tuple[str, ViewSize], dict[str, Any]] = {}

    def score(self, split: str, view_size: ViewSize) -> dict[str, Any]:
        """`evaluation.evaluate_split` of one split at one photo size."""
        key = (split, view_size)
        if key not in self._scores:
            items = self.catalog.split(split)
            labels, size = self.trained.labels, self.trained.image_size
            probabilities = np.zeros((0, len(labels)))
            if items:
                dataset = data.evaluation_dataset(
                    self.catalog, items, labels, size, self.batch_size, view_size
                )
                probabilities = self._predict(split, dataset)
            truth = data.label_indices(items, labels)
            self._scores[key] = evaluation.evaluate_split(probabilities, truth, labels)
        return self._scores[key]

    def _predict(self, split: str, dataset: Any) -> np.ndarray:
        model = self.trained.model
        if split != data.VALIDATION_SPLIT or self.held_out is None:
            return model.predict(dataset, verbose=0)
        trained = model.get_weights()
        model.set_weights(self.held_out)
        try:
            return model.predict(dataset, verbose=0)
        finally:
            model.set_weights(trained)

    def remember(self, view_size: ViewSize, splits: dict[str, Any]) -> None:
        """Scores computed elsewhere (training's own evaluation at full size)."""
        for split, result in splits.items():
            self._scores[(split, view_size)] = result

    def calibration_top1(self, side: int) -> float:
        """Top-1 on the calibration split with photos of longer side `side`."""
        size = view_size(self.trained.image_size, side)
        return float(self.score(self.calibration_split, size)["top1"])

    def splits(self, view_size: ViewSize) -> dict[str, Any]:
        """The report's splits (validation, game) at one photo size."""
        splits = (data.VALIDATION_SPLIT, data.GAME_SPLIT)
        return {split: self.score(split, view_size) for split in splits}


def view_size(image_size: tuple[int, int], side: int) -> ViewSize:
    """The photo size whose longer side is `side`, in the model's aspect ratio (None: full)."""
    longest = max(image_size)
    if side >= longest:
        return None
    height, width = image_size
    return max(1, round(side * height / longest)), max(1, round(side * width / longest))


def nearest_side(top1_at: Callable[[int], float], target: float, low: int, high: int) -> int:
    """The side in [low, high] whose top-1 is nearest `target`, by bisection (top-1 grows with
    the side; where it does not quite, the answer is still a side near the target)."""
    if top1_at(high) <= target:
        return high
    if top1_at(low) >= target:
        return low
    while high - low > 1:  # top1_at(low) < target <= top1_at(high)
        middle = (low + high) // 2
        if top1_at(middle) < target:
            low = middle
        else:
            high = middle
    return min((low, high), key=lambda side: abs(top1_at(side) - target))


def calibrate(scorer: SplitScorer, levels: Sequence[Level], progress: Progress) -> list[LevelModel]:
    """Each weaker level's photo size and scores, weakest first."""
    image_size = scorer.trained.image_size
    calibrated = []
    for level in levels:
        if level.target_top1 is None:
            continue
        side = nearest_side(scorer.calibration_top1, level.target_top1, MIN_SIDE, max(image_size))
        size = view_size(image_size, side)
        splits = scorer.splits(size)
        progress(
            f"level {level.name}: photos at {side} px, {scorer.calibration_split} top-1 "
            f"{scorer.calibration_top1(side):.1%} (target {level.target_top1:.0%}), "
            f"game top-1 {splits[data.GAME_SPLIT]['top1']:.1%}"
        )
        calibrated.append(LevelModel(level, size, splits))
    return calibrated


def levels_table(
    strongest: Level | None, full_splits: dict[str, Any], calibrated: Sequence[LevelModel]
) -> list[dict[str, Any]]:
    """Every level's report line, weakest first, the trained model itself last."""
    rows = [
        evaluation.level_row(level.name, level.title, level.servable, item.view_size, item.splits)
        for item in calibrated
        for level in [item.level]
    ]
    if strongest is not None:
        name, title, servable = strongest.name, strongest.title, strongest.servable
        rows.append(evaluation.level_row(name, title, servable, None, full_splits))
    return rows


def export_levels(
    trained: TrainedModel,
    calibrated: Sequence[LevelModel],
    models_dir: Path,
    *,
    base_report: dict[str, Any],
    table: list[dict[str, Any]],
    derived_from: tuple[str, int],
    catalog_name: str,
) -> list[Path]:
    """Export each calibrated level as its own servable; return the version folders."""
    folders = []
    for item in calibrated:
        report = {
            **base_report,
            "name": item.level.servable,
            "level": item.level.name,
            "target_top1": item.level.target_top1,
            "view_size": list(item.view_size) if item.view_size else None,
            "splits": item.splits,
            "levels": table,
        }
        name, version = derived_from
        folders.append(
            export_model(
                trained.model,
                trained.labels,
                models_dir,
                item.level.servable,
                image_size=trained.image_size,
                gradcam_layer=trained.gradcam_layer,
                backbone=trained.backbone,
                catalog_name=catalog_name,
                evaluation=report,
                view_size=item.view_size,
                extra_metadata={"level": item.level.name, "derived_from": [name, version]},
            )
        )
    return folders


def load_trained(version_dir: Path, catalog: Catalog) -> TrainedModel:
    """An exported version's Keras model and metadata, checked against the catalog's classes."""
    metadata = read_metadata(version_dir)
    if sorted(metadata["labels"]) != sorted(catalog.labels):
        raise CatalogError(f"catalog {catalog.name!r} does not have the classes of {version_dir}")
    height, width = metadata["image_size"]
    return TrainedModel(
        keras.models.load_model(version_dir / KERAS_FILE, compile=False),
        list(metadata["labels"]),
        (height, width),
        metadata["gradcam_layer"],
        metadata["backbone"],
    )


def derive_from_export(
    catalog: Catalog,
    models_dir: Path,
    name: str,
    levels: Sequence[Level],
    *,
    batch_size: int,
    progress: Progress,
) -> list[Path]:
    """`cargame levels`: calibrate and export the weaker levels of `name`'s newest version."""
    versions = model_versions(models_dir, name)
    if not versions:
        raise FileNotFoundError(f"no exported version of model {name!r} in {models_dir}")
    trained = load_trained(Path(models_dir) / name / str(versions[-1]), catalog)
    weaker = [level.name for level in levels if not level.full_strength]
    progress(f"levels: deriving {', '.join(weaker)} from {name} version {versions[-1]}")
    report = latest_report(models_dir, name) or {}
    if report.get("head", {}).get("refit"):
        progress(
            "levels: warning: this version was trained again on the validation split (refit), "
            "so the levels calibrated on it come out weaker than their targets; `cargame train` "
            "calibrates them on the model before its refit"
        )
    scorer = SplitScorer(trained, catalog, batch_size, progress)
    calibrated = calibrate(scorer, levels, progress)
    strongest = next((level for level in levels if level.full_strength), None)
    base_report = {
        "classes": len(trained.labels),
        "backbone": trained.backbone,
        "catalog": catalog.name,
        "samples": {split: len(catalog.split(split)) for split in SPLITS},
    }
    return export_levels(
        trained,
        calibrated,
        models_dir,
        base_report=base_report,
        table=levels_table(strongest, scorer.splits(None), calibrated),
        derived_from=(name, versions[-1]),
        catalog_name=catalog.name,
    )
