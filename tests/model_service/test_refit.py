"""The refit: what validation chose, trained again on train + validation; validation is scored
(and the levels calibrated) by the model as it was before."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from support_models import SMALL_SIZE

from cargame.domain.catalog import Catalog
from cargame.domain.levels import Level
from model_service.training import levels, models, train
from model_service.training.export import read_metadata


def served(version_dir: Path, catalog: Catalog, split: str) -> tuple[np.ndarray, np.ndarray]:
    """The exported SavedModel's probabilities for a split's photos, and their true labels."""
    items = catalog.split(split)
    signature = tf.saved_model.load(str(version_dir)).signatures["serving_default"]
    photos = tf.constant([catalog.path(item).read_bytes() for item in items])
    probabilities = signature(image_bytes=photos)["probabilities"].numpy()
    labels = read_metadata(version_dir)["labels"]
    truth = np.array([labels.index(item.label) for item in items])
    return probabilities, truth


def top1(probabilities: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean(probabilities.argmax(axis=1) == truth))


@pytest.mark.slow
@pytest.mark.usefixtures("two_quick_heads")
def test_refit_trains_the_chosen_head_again_on_train_and_validation(
    shapes_catalog: Catalog, tmp_path: Path
) -> None:
    lines: list[str] = []

    def run(refit: bool) -> Path:
        return train.train(
            shapes_catalog, tmp_path / "models", "cars", backbone="mobilenet_v2",
            weights="none", epochs=2, batch_size=16, seed=1, patience=2,
            progress=lines.append, cache_dir=tmp_path / "cache", image_size=SMALL_SIZE,
            refit=refit,
        )  # fmt: skip

    chosen_only, refitted = run(refit=False), run(refit=True)
    photos = len(shapes_catalog.split("train")) + len(shapes_catalog.split("validation"))
    assert any(line.startswith(f"refit on train + validation ({photos} photos)") for line in lines)
    report = json.loads((refitted / "evaluation.json").read_text())
    refit = report["head"]["refit"]
    assert refit["photos"] == photos and refit["fine_tune_epochs"] is None
    assert 1 <= refit["head_epochs"] <= max(1, report["head"]["chosen"]["best_epoch"])
    # Validation is scored by the head as chosen, before it saw the validation photos.
    before = json.loads((chosen_only / "evaluation.json").read_text())
    seconds = {"seconds": 0}
    assert {**report["head"]["chosen"], **seconds} == {**before["head"]["chosen"], **seconds}
    assert report["splits"]["validation"] == before["splits"]["validation"]
    assert report["splits"]["validation"]["top1"] == report["head"]["chosen"]["validation_top1"]
    # Both views of every validation photo were learned from.
    cached = {path.name for path in (tmp_path / "cache" / "features").rglob("*.mirror.*.npy")}
    validation_ids = {item.image_id for item in shapes_catalog.split("validation")}
    assert {name.split(".")[0] for name in cached} >= validation_ids
    # The export is the refit head (not the chosen one), and it scored the game split.
    game, truth = served(refitted, shapes_catalog, "game")
    assert top1(game, truth) == pytest.approx(report["splits"]["game"]["top1"])
    assert not np.allclose(game, served(chosen_only, shapes_catalog, "game")[0], atol=1e-4)
    # `cargame levels` on a refit export says its calibration is no longer on held-out photos.
    lines.clear()
    rookie = Level("rookie", "Rookie", "cars-rookie", target_top1=0.5)
    levels.derive_from_export(
        shapes_catalog, tmp_path / "models", "cars", [rookie], batch_size=16,
        progress=lines.append,
    )  # fmt: skip
    assert any("was trained again on the validation split (refit)" in line for line in lines)


@pytest.mark.slow
@pytest.mark.usefixtures("gainful_fine_tuning")
def test_refit_after_kept_fine_tuning_trains_head_and_top_again(
    shapes_catalog: Catalog, tmp_path: Path
) -> None:
    lines: list[str] = []
    version_dir = train.train(
        shapes_catalog, tmp_path / "models", "cars", backbone="mobilenet_v2",
        weights="imagenet", epochs=2, batch_size=16, seed=1, patience=2,
        progress=lines.append, cache_dir=tmp_path / "cache", fine_tune=True,
        image_size=SMALL_SIZE, refit=True,
    )  # fmt: skip
    report = json.loads((version_dir / "evaluation.json").read_text())
    tuned, refit = report["head"]["fine_tuning"], report["head"]["refit"]
    assert tuned["kept"] and refit["fine_tune_epochs"] == tuned["best_epoch"] >= 1
    steps = [line for line in lines if line.startswith("refit fine-tune epoch ")]
    assert len(steps) == tuned["best_epoch"]
    # Validation: the fine-tuned model before the refit; the game split: the export.
    assert report["splits"]["validation"]["top1"] == pytest.approx(tuned["validation_top1_after"])
    game, truth = served(version_dir, shapes_catalog, "game")
    assert top1(game, truth) == pytest.approx(report["splits"]["game"]["top1"])
    # The exported top is the refit one: trained again from the backbone as built, it differs
    # from the built backbone's layers.
    keras_model = keras.models.load_model(version_dir / "model.keras")
    built = models.build_model("mobilenet_v2", 3, weights="imagenet", image_size=SMALL_SIZE)
    assert not np.allclose(
        keras_model.get_layer("Conv_1").get_weights()[0],
        built.model.get_layer("Conv_1").get_weights()[0],
    )
    np.testing.assert_array_equal(  # the bottom stays as built
        keras_model.get_layer("Conv1").get_weights()[0],
        built.model.get_layer("Conv1").get_weights()[0],
    )


def test_levels_score_validation_with_the_weights_before_the_refit(
    shapes_catalog: Catalog,
) -> None:
    size = (32, 32)
    inputs = keras.Input((*size, 3))
    outputs = keras.layers.Dense(3, activation="softmax")(
        keras.layers.GlobalAveragePooling2D()(inputs)
    )
    model = keras.Model(inputs, outputs)
    labels = shapes_catalog.labels

    def always(index: int) -> list[np.ndarray]:
        bias = np.full(3, -10.0, np.float32)
        bias[index] = 10.0
        return [np.zeros((3, 3), np.float32), bias]

    model.set_weights(always(1))
    trained = levels.TrainedModel(model, labels, size, "dense", "test")
    scorer = levels.SplitScorer(trained, shapes_catalog, 8, lambda line: None, held_out=always(0))

    def share(split: str, index: int) -> float:
        items = shapes_catalog.split(split)
        return sum(item.label == labels[index] for item in items) / len(items)

    assert scorer.score("validation", None)["top1"] == pytest.approx(share("validation", 0))
    assert scorer.score("game", None)["top1"] == pytest.approx(share("game", 1))
    for kept, expected in zip(model.get_weights(), always(1), strict=True):
        np.testing.assert_array_equal(kept, expected)  # the trained weights are back
