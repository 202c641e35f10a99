"""`cargame train`: fit a classifier on a catalog's train split, evaluate it, export it.

The validation split steers early stopping and chooses the head; the game split is only
predicted once, after training, for the evaluation report (the AI plays on photos it has never
learned from). A pretrained backbone stays frozen: its pooled features are computed once per photo
and view and cached (`training.features`), several heads are trained on them in seconds and the
best by validation is kept (`training.heads`); with `fine_tune` (`[train] fine_tune`, on by
default) the backbone's top blocks and that head then train on cached maps
(`training.fine_tune`). Then the
weaker opponent levels are calibrated from the trained model and exported beside it
(`training.levels`): seconds, not another training run.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from cargame.domain.catalog import SPLITS, Catalog, CatalogImage
from cargame.domain.levels import Level
from model_service.training import data, evaluation, features, heads, levels, models
from model_service.training import fine_tune as fine_tuning
from model_service.training.export import export_model
from model_service.training.models import BuiltModel

AUTO = "auto"
DEMO_GENERATOR = "demo-garage"
LEARNING_RATE = 3e-3  # peak of the small CNN's cosine schedule
WARMUP_EPOCHS = 2  # a fresh BatchNorm network diverges easily at the peak rate from step one
LABEL_SMOOTHING = 0.1  # the small CNN: fewer over-confident answers, faster to a plateau
# Progressive resizing: the small CNN sees the photos at 80x80 for its first two thirds of the
# epochs (40 % of the compute of an epoch at 128x128), then at its own size, so it learns
# coarse shapes cheaply and the details (and BatchNorm's statistics) at the size it serves at.
EARLY_SIZE = (80, 80)
EARLY_SHARE = 2 / 3
# The small CNN's photos per step, whatever [train] batch_size (which sizes a pretrained
# backbone's feature extraction and fine-tuning): in 24 epochs, 16 reached 95-96 % game top-1
# where 32 reached 91-93 % (two seeds each, bench/README.md).
SMALL_CNN_BATCH_SIZE = 16
WEIGHT_DECAY = 1e-4

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainOptions:
    """The `[train]` settings of one run."""

    backbone: str
    weights: str
    epochs: int
    batch_size: int
    seed: int
    patience: int
    fine_tune: bool = False
    cache_dir: Path | None = None  # feature cache root; None: a temporary folder for the run
    image_size: tuple[int, int] | None = None  # a pretrained backbone's input; None: its default
    refit: bool = False  # then the choice trained again on train + validation


@dataclass
class FitPlan:
    """Everything one training run needs, resolved from the catalog and the options."""

    catalog: Catalog
    classes: list[str]
    built: BuiltModel
    options: TrainOptions
    train: tf.data.Dataset
    validation: tf.data.Dataset | None
    class_weight: dict[int, float]
    steps_per_epoch: int
    progress: Progress
    head_report: dict[str, Any] | None = None
    # Predictions from cached features while the backbone is the frozen one that made them.
    predict_from_features: Callable[[Sequence[CatalogImage]], np.ndarray] | None = None
    # The decoded train split (model size, in memory) that `train` augments.
    train_images: tf.data.Dataset | None = None
    # After a refit on train + validation: the model as chosen, before the refit, which alone
    # can score the validation split (the report and the levels' calibration use it).
    held_out: HeldOut | None = None


@dataclass
class HeldOut:
    """The model before its refit: its weights and its validation predictions."""

    weights: list[np.ndarray]
    validation_probabilities: np.ndarray


def choose_backbone(catalog: Catalog, backbone: str) -> str:
    """`auto` means the small CNN for the generated demo garage and MobileNetV2 for photos."""
    if backbone != AUTO:
        return backbone
    if catalog.report.get("generator") == DEMO_GENERATOR:
        return models.SMALL_CNN
    return models.MOBILENET_V2


def train(
    catalog: Catalog,
    models_dir: Path,
    name: str,
    *,
    backbone: str,
    weights: str,
    epochs: int,
    batch_size: int,
    seed: int,
    patience: int,
    progress: Callable[[str], None],
    opponent_levels: Sequence[Level] = (),
    fine_tune: bool = False,
    cache_dir: Path | None = None,
    image_size: tuple[int, int] | None = None,
    refit: bool = False,
) -> Path:
    """Train on the catalog's train split, evaluate, export the next version; return its folder.

    With `opponent_levels`, each weaker level is calibrated from the trained model and exported
    as its own servable after it; every export's report lists every level. `image_size` (height,
    width) is a pretrained backbone's input (default `models.PRETRAINED_SIZE`); the export's
    metadata carries it to the servers, the explainer and the levels. With `refit`, a pretrained
    backbone's head (and top blocks, when fine-tuning was kept) is trained again on the train and
    validation splits, as chosen on validation; validation is then scored by the model before
    that refit."""
    options = TrainOptions(
        backbone, weights, epochs, batch_size, seed, patience, fine_tune, cache_dir, image_size,
        refit,
    )  # fmt: skip
    keras.utils.set_random_seed(seed)
    started = time.monotonic()
    plan = _plan(catalog, options, progress)
    with tempfile.TemporaryDirectory(prefix="cargame-features-") as scratch:
        epochs_run = _fit(plan, Path(cache_dir) if cache_dir else Path(scratch))
    training_seconds = time.monotonic() - started
    progress(f"trained in {training_seconds:.0f} s; evaluating on validation and game splits")
    report = _evaluate(plan)
    report.update(
        name=name,
        backbone=plan.built.backbone,
        image_size=list(plan.built.image_size),
        catalog=catalog.name,
        seed=seed,
        epochs_run=epochs_run,
        training_seconds=round(training_seconds, 1),
    )
    if plan.head_report:
        report["head"] = plan.head_report
    _report_summary(report, progress)
    trained = levels.TrainedModel(
        plan.built.model,
        plan.classes,
        plan.built.image_size,
        plan.built.gradcam_layer,
        plan.built.backbone,
    )
    calibrated = _calibrate_levels(trained, plan, report, opponent_levels)
    version_dir = export_model(
        plan.built.model,
        plan.classes,
        models_dir,
        name,
        image_size=plan.built.image_size,
        gradcam_layer=plan.built.gradcam_layer,
        backbone=plan.built.backbone,
        catalog_name=catalog.name,
        evaluation=report,
    )
    base_report = {key: value for key, value in report.items() if key not in ("splits", "levels")}
    levels.export_levels(
        trained,
        calibrated,
        models_dir,
        base_report=base_report,
        table=report.get("levels", []),
        derived_from=(name, int(version_dir.name)),
        catalog_name=catalog.name,
    )
    return version_dir


def _calibrate_levels(
    trained: levels.TrainedModel,
    plan: FitPlan,
    report: dict[str, Any],
    opponent_levels: Sequence[Level],
) -> list[levels.LevelModel]:
    """The weaker levels' photo sizes and scores; adds the levels table to `report`."""
    if all(level.full_strength for level in opponent_levels):
        return []
    held_out = plan.held_out.weights if plan.held_out else None
    scorer = levels.SplitScorer(
        trained, plan.catalog, plan.options.batch_size, plan.progress, held_out=held_out
    )
    scorer.remember(None, report["splits"])
    calibrated = levels.calibrate(scorer, opponent_levels, plan.progress)
    strongest = next((level for level in opponent_levels if level.full_strength), None)
    report["levels"] = levels.levels_table(strongest, report["splits"], calibrated)
    return calibrated


def _plan(catalog: Catalog, options: TrainOptions, progress: Progress) -> FitPlan:
    """Resolve the backbone, build the model and the datasets."""
    classes = catalog.labels
    train_items = _training_items(catalog, progress)
    validation_items = data.validation_items(catalog)
    chosen = choose_backbone(catalog, options.backbone)
    built = models.build_model(
        chosen, len(classes), weights=options.weights, image_size=options.image_size
    )
    size = built.image_size
    batch_size = options.batch_size if models.is_pretrained(chosen) else SMALL_CNN_BATCH_SIZE
    progress(
        f"training {chosen} ({size[0]}x{size[1]}) on {len(train_items)} images of "
        f"{len(classes)} classes, validating on {len(validation_items)}"
    )
    train_images = data.decoded_dataset(catalog, train_items, classes, size)
    train = data.training_dataset(train_images, size, batch_size=batch_size, seed=options.seed)
    validation = None
    if validation_items:
        validation = data.evaluation_dataset(catalog, validation_items, classes, size, batch_size)
    class_weight = data.class_weights([item.label for item in train_items], classes)
    steps_per_epoch = math.ceil(len(train_items) / batch_size)
    return FitPlan(
        catalog, classes, built, options, train, validation, class_weight, steps_per_epoch,
        progress, train_images=train_images,
    )  # fmt: skip


def _training_items(catalog: Catalog, progress: Progress) -> list[CatalogImage]:
    """The train split, refusing catalogs the model cannot learn anything from."""
    items = data.training_items(catalog)
    trained_labels = {item.label for item in items}
    if len(trained_labels) < 2:
        raise ValueError(f"catalog {catalog.name!r} needs training images of at least 2 classes")
    untrained = set(catalog.labels) - trained_labels
    if untrained:
        progress(f"warning: no training images for {', '.join(sorted(untrained))}")
    return items


def _fit(plan: FitPlan, cache_root: Path) -> int:
    """Train the whole small CNN; or a head on cached features of a frozen pretrained backbone,
    then, with `fine_tune`, its top blocks and that head on cached maps. Epochs run."""
    if not models.is_pretrained(plan.built.backbone):
        return _fit_small_cnn(plan)
    return _fit_frozen(plan, cache_root)


def _fit_small_cnn(plan: FitPlan) -> int:
    """The small CNN from scratch: `EARLY_SHARE` of the epochs on photos shrunk to `EARLY_SIZE`,
    the rest at the model's size with early stopping on the validation loss; epochs run."""
    options, size = plan.options, plan.built.image_size
    early_epochs = math.floor(options.epochs * EARLY_SHARE)
    # The same layers on any photo size (fully convolutional); the weights go back at the end.
    trainer = models.resizable(plan.built.model)
    schedule = learning_rate_schedule(
        LEARNING_RATE, options.epochs, plan.steps_per_epoch, WARMUP_EPOCHS
    )
    trainer.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=WEIGHT_DECAY),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=LABEL_SMOOTHING),
        metrics=["accuracy"],
    )

    def one_hot(image: tf.Tensor, label: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        return image, tf.one_hot(label, len(plan.classes))

    def progress(shape: tuple[int, int]) -> ProgressCallback:
        return ProgressCallback(plan.progress, f"train {shape[0]}x{shape[1]}", options.epochs)

    if early_epochs:
        early = data.training_dataset(
            plan.train_images, EARLY_SIZE, batch_size=SMALL_CNN_BATCH_SIZE, seed=options.seed
        )
        trainer.fit(
            early.map(one_hot), epochs=early_epochs, class_weight=plan.class_weight,
            callbacks=[progress(EARLY_SIZE)], shuffle=False, verbose=0,
        )  # fmt: skip
    validation = plan.validation.map(one_hot) if plan.validation is not None else None
    stopping = keras.callbacks.EarlyStopping(
        monitor="val_loss" if validation is not None else "loss",
        patience=options.patience,
        restore_best_weights=True,
    )
    history = trainer.fit(
        plan.train.map(one_hot), validation_data=validation, initial_epoch=early_epochs,
        epochs=options.epochs, class_weight=plan.class_weight,
        callbacks=[stopping, progress(size)], shuffle=False, verbose=0,
    )  # fmt: skip
    plan.built.model.set_weights(trainer.get_weights())
    return early_epochs + len(history.history.get("loss", []))


@dataclass
class CachedOutputs:
    """The frozen backbone's cached outputs: pooled features, and with a cut layer also the maps
    that layer takes in (for fine-tuning), both from one backbone pass per photo and view."""

    plan: FitPlan
    cache_root: Path
    cut_layer: str | None

    def __post_init__(self) -> None:
        options, built = self.plan.options, self.plan.built
        key = features.weights_key(options.weights, options.seed)
        layers = [None] if self.cut_layer is None else [None, self.cut_layer]
        self.caches = [
            features.FeatureCache(self.cache_root, built.backbone, key, built.image_size, layer)
            for layer in layers
        ]
        self.extractor = models.feature_model(built.model, self.cut_layer)

    def rows(self, items: Sequence[CatalogImage], views: Sequence[str]) -> list[heads.Split]:
        """Per cache, (one row per item and view, labels)."""
        plan = self.plan
        outputs = features.extract_outputs(
            self.extractor, plan.catalog, items, views, self.caches, plan.built.image_size,
            batch_size=plan.options.batch_size, progress=plan.progress,
        )  # fmt: skip
        labels = np.repeat(data.label_indices(items, plan.classes), len(views))
        return [(values.reshape(-1, *values.shape[2:]), labels) for values in outputs]

    def maps(self, items: Sequence[CatalogImage], views: Sequence[str]) -> np.ndarray:
        """Only the maps at the cut, through the bottom half alone: that half stays frozen, so
        these are right after fine-tuning too, when the pooled features no longer are (and must
        not be cached under the frozen backbone's key)."""
        assert self.cut_layer is not None
        bottom, _ = models.split_at(self.plan.built.model, self.cut_layer)
        values = features.extract_outputs(
            bottom, self.plan.catalog, items, views, self.caches[1:],
            self.plan.built.image_size, batch_size=self.plan.options.batch_size,
            progress=self.plan.progress,
        )[0]  # fmt: skip
        return values.reshape(-1, *values.shape[2:])


def _fit_frozen(plan: FitPlan, cache_root: Path) -> int:
    """Cache the frozen backbone's features, choose a head by validation, put it on the backbone;
    with `fine_tune`, then fine-tune the top blocks and that head on cached maps."""
    options, classes = plan.options, plan.classes
    cut_layer = models.backbone_spec(plan.built.backbone).fine_tune_from
    outputs = CachedOutputs(plan, cache_root, cut_layer if options.fine_tune else None)
    started = time.monotonic()
    train_rows = outputs.rows(data.training_items(plan.catalog), features.TRAIN_VIEWS)
    validation_items = data.validation_items(plan.catalog)
    validation_rows = (
        outputs.rows(validation_items, [features.ORIGINAL]) if validation_items else None
    )
    feature_seconds = time.monotonic() - started
    plan.progress(f"features ready in {feature_seconds:.0f} s; choosing the head by validation")
    best, results = heads.select_head(
        train_rows[0], validation_rows[0] if validation_rows else None, len(classes),
        plan.class_weight, seed=options.seed, progress=plan.progress,
        epochs=max(options.epochs, heads.HEAD_EPOCHS),
    )  # fmt: skip
    # Fine-tuning adds dropout before the head (no weights: the chosen head's carry over).
    spec = fine_tuning.head_spec(best.spec) if options.fine_tune else best.spec
    plan.built.model = models.with_head(plan.built.model, len(classes), spec)
    _put_head(plan, outputs, best.model)
    plan.head_report = {
        "chosen": best.row(),
        "candidates": [result.row() for result in results],
        "views": list(features.TRAIN_VIEWS),
        "feature_seconds": round(feature_seconds, 1),
        "fine_tune": options.fine_tune,
    }
    epochs_run = best.epochs
    tuned: fine_tuning.FineTuneResult | None = None
    # The backbone as built and the chosen head: where a refit starts from.
    built_weights = plan.built.model.get_weights() if options.refit else []
    if options.fine_tune and validation_rows is None:
        plan.progress("fine-tuning skipped: no validation split to judge it by")
    elif options.fine_tune:
        assert validation_rows is not None
        tuned = _fine_tune(plan, outputs, train_rows[1], validation_rows[1])
        epochs_run += tuned.epochs
    if options.refit and validation_items:
        epochs_run += _refit(plan, outputs, best, tuned, built_weights)
    return epochs_run


def _fine_tune(
    plan: FitPlan, outputs: CachedOutputs, train_maps: heads.Split, validation_maps: heads.Split
) -> fine_tuning.FineTuneResult:
    """Fine-tune the top blocks and the head on cached maps (in the exported model's own
    layers); when kept, the evaluation predicts from maps too."""
    assert outputs.cut_layer is not None
    result = fine_tuning.fine_tune(
        plan.built.model, outputs.cut_layer, train_maps, validation_maps, plan.class_weight,
        seed=plan.options.seed, progress=plan.progress,
    )  # fmt: skip
    assert plan.head_report is not None
    plan.head_report["fine_tuning"] = result.row()
    if result.kept:
        _use_maps_for_predictions(plan, outputs)
    return result


def _put_head(plan: FitPlan, outputs: CachedOutputs, head: keras.Model) -> None:
    """A head trained on cached features, its weights copied into the model's head layers (same
    names); the evaluation predicts with it from the cached features."""
    for layer in head.layers:
        if layer.weights:
            plan.built.model.get_layer(layer.name).set_weights(layer.get_weights())

    def predict(items: Sequence[CatalogImage]) -> np.ndarray:
        return heads.predict(head, outputs.rows(items, [features.ORIGINAL])[0][0])

    plan.predict_from_features = predict


def _use_maps_for_predictions(plan: FitPlan, outputs: CachedOutputs) -> None:
    """The evaluation's predictions through the fine-tuned top, from the frozen bottom's maps."""
    assert outputs.cut_layer is not None
    _, top = models.split_at(plan.built.model, outputs.cut_layer)

    def predict(items: Sequence[CatalogImage]) -> np.ndarray:
        return heads.predict(top, outputs.maps(items, [features.ORIGINAL]))

    plan.predict_from_features = predict


def _refit(
    plan: FitPlan,
    outputs: CachedOutputs,
    chosen: heads.HeadResult,
    tuned: fine_tuning.FineTuneResult | None,
    built_weights: list[np.ndarray],
) -> int:
    """Train what validation chose again on the train and validation splits together (both
    views of each photo), for the epochs early stopping found best: the chosen head, then, if
    fine-tuning was kept, the top blocks, from the backbone as built (`built_weights`). The
    model as chosen scores validation first. Epochs run."""
    assert plan.predict_from_features is not None and plan.head_report is not None
    validation_items = data.validation_items(plan.catalog)
    plan.held_out = HeldOut(
        plan.built.model.get_weights(), plan.predict_from_features(validation_items)
    )
    plan.built.model.set_weights(built_weights)
    started = time.monotonic()
    items = [*data.training_items(plan.catalog), *validation_items]
    rows = outputs.rows(items, features.TRAIN_VIEWS)
    class_weight = data.class_weights([item.label for item in items], plan.classes)
    head_epochs = max(1, chosen.best_epoch)
    plan.progress(
        f"refit on train + validation ({len(items)} photos): the chosen head for {head_epochs} "
        "epochs" + (f", then the top blocks for {tuned.best_epoch}" if tuned and tuned.kept else "")
    )
    head = heads.fit_head(
        chosen.spec, rows[0], None, len(plan.classes), class_weight, seed=plan.options.seed,
        epochs=head_epochs,
    )  # fmt: skip
    _put_head(plan, outputs, head.model)
    epochs = head.epochs
    tuned_epochs = None
    if tuned is not None and tuned.kept:
        assert outputs.cut_layer is not None
        tuned_epochs = tuned.best_epoch
        fine_tuning.refit(
            plan.built.model, outputs.cut_layer, rows[1], class_weight,
            seed=plan.options.seed, epochs=tuned_epochs, progress=plan.progress,
        )  # fmt: skip
        _use_maps_for_predictions(plan, outputs)
        epochs += tuned_epochs
    plan.head_report["refit"] = {
        "photos": len(items),
        "head_epochs": head.epochs,
        "fine_tune_epochs": tuned_epochs,
        "seconds": round(time.monotonic() - started, 1),
    }
    return epochs


def learning_rate_schedule(
    peak: float, epochs: int, steps_per_epoch: int, warmup_epochs: int = 0
) -> keras.optimizers.schedules.LearningRateSchedule:
    """Linear warm-up to `peak`, then cosine decay towards zero by the last planned epoch."""
    warmup_steps = min(warmup_epochs, max(epochs - 1, 0)) * steps_per_epoch
    decay_steps = max(epochs * steps_per_epoch - warmup_steps, 1)
    if not warmup_steps:
        return keras.optimizers.schedules.CosineDecay(peak, decay_steps)
    return keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps, warmup_target=peak, warmup_steps=warmup_steps
    )


class ProgressCallback(keras.callbacks.Callback):
    """Reports one line per epoch (loss, accuracy, validation scores, time) to `progress`."""

    def __init__(self, progress: Progress, stage: str, epochs: int) -> None:
        super().__init__()
        self.progress, self.stage, self.epochs = progress, stage, epochs
        self.started = time.monotonic()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.started = time.monotonic()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.progress(format_epoch(self.stage, epoch + 1, self.epochs, logs or {}, self.started))


def format_epoch(stage: str, epoch: int, epochs: int, logs: dict[str, Any], started: float) -> str:
    """`train epoch 3/40: loss 0.512 accuracy 84.0% val_loss 0.611 val_accuracy 80.0% (9.1 s)`."""
    parts = []
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        if key in logs:
            value = float(logs[key])
            parts.append(f"{key} {value:.1%}" if key.endswith("accuracy") else f"{key} {value:.3f}")
    elapsed = time.monotonic() - started
    return f"{stage} epoch {epoch}/{epochs}: {' '.join(parts)} ({elapsed:.1f} s)"


def _evaluate(plan: FitPlan) -> dict[str, Any]:
    """The evaluation report's metrics for the validation and game splits."""
    catalog, size = plan.catalog, plan.built.image_size
    splits: dict[str, Any] = {}
    for split in (data.VALIDATION_SPLIT, data.GAME_SPLIT):
        items = catalog.split(split)
        truth = data.label_indices(items, plan.classes)
        probabilities = np.zeros((0, len(plan.classes)))
        if split == data.VALIDATION_SPLIT and plan.held_out is not None:
            # Refit on validation photos: only the model before the refit can score them.
            probabilities = plan.held_out.validation_probabilities
        elif items and plan.predict_from_features is not None:
            # The same numbers as the exported model's (same decode, same frozen backbone).
            probabilities = plan.predict_from_features(items)
        elif items:
            # The validation split was already decoded (and cached) for early stopping.
            dataset = plan.validation if split == data.VALIDATION_SPLIT else None
            if dataset is None:
                dataset = data.evaluation_dataset(
                    catalog, items, plan.classes, size, plan.options.batch_size
                )
            probabilities = plan.built.model.predict(dataset, verbose=0)  # labels ignored
        splits[split] = evaluation.evaluate_split(probabilities, truth, plan.classes)
    samples = {split: len(catalog.split(split)) for split in SPLITS}
    return {"classes": len(plan.classes), "samples": samples, "splits": splits}


def _report_summary(report: dict[str, Any], progress: Progress) -> None:
    """One progress line per evaluated split."""
    for split, result in report["splits"].items():
        progress(
            f"{split}: top-1 {result['top1']:.1%}, top-5 {result['top5']:.1%}, "
            f"make {result['make_top1']:.1%} on {result['count']} images"
        )
