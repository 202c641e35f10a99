"""Training: data selection, class weights, augmentation, evaluation maths, a tiny full run."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from cargame.domain.catalog import Catalog, CatalogImage
from cargame.domain.levels import Level
from model_service.training import data, evaluation, models, train
from model_service.training.export import read_metadata
from model_service.training.preprocess import decode_and_resize


def image(image_id: str, label: str, split: str) -> CatalogImage:
    make, model = label.split("/")
    return CatalogImage(image_id, f"{image_id}.jpg", make, model, split)


def test_training_items_exclude_validation_and_game() -> None:
    images = [
        image("t1", "A/One", "train"),
        image("g1", "A/One", "game"),
        image("v1", "B/Two", "validation"),
        image("t2", "B/Two", "train"),
    ]
    catalog = Catalog(Path("."), "c", images)
    assert [item.image_id for item in data.training_items(catalog)] == ["t1", "t2"]
    assert [item.image_id for item in data.validation_items(catalog)] == ["v1"]


def test_class_weights_balance_unbalanced_classes() -> None:
    labels = ["A/One"] * 6 + ["B/Two"] * 2
    weights = data.class_weights(labels, ["A/One", "B/Two", "C/Three"])
    assert weights == pytest.approx({0: 8 / 12, 1: 2.0, 2: 1.0})
    # Each present class contributes the same total weight.
    assert 6 * weights[0] == pytest.approx(2 * weights[1])


def test_class_weights_are_one_when_balanced() -> None:
    weights = data.class_weights(["A/One", "B/Two"] * 3, ["A/One", "B/Two"])
    assert weights == pytest.approx({0: 1.0, 1: 1.0})


def test_auto_backbone_depends_on_the_catalog() -> None:
    demo = Catalog(Path("."), "demo", [], report={"generator": "demo-garage"})
    photos = Catalog(Path("."), "stanford", [], report={})
    assert train.choose_backbone(demo, "auto") == "small-cnn"
    assert train.choose_backbone(photos, "auto") == "mobilenet_v2"
    assert train.choose_backbone(demo, "mobilenet_v2") == "mobilenet_v2"


def test_augment_batch_is_seeded_and_keeps_range_at_the_output_size() -> None:
    pictures = tf.cast(
        tf.random.stateless_uniform([6, 20, 24, 3], [1, 2], 0, 256, tf.int32), tf.uint8
    )
    first = data.augment_batch(pictures, tf.constant([5, 6], tf.int64), (20, 24)).numpy()
    again = data.augment_batch(pictures, tf.constant([5, 6], tf.int64), (20, 24)).numpy()
    other = data.augment_batch(pictures, tf.constant([7, 8], tf.int64), (20, 24)).numpy()
    assert first.shape == (6, 20, 24, 3) and first.dtype == np.float32
    assert first.min() >= 0.0 and first.max() <= 255.0
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    # Each photo draws its own crop: no two come out alike.
    assert not np.allclose(first[0], first[1])
    smaller = data.augment_batch(pictures, tf.constant([5, 6], tf.int64), (10, 12)).numpy()
    assert smaller.shape == (6, 10, 12, 3)


def test_augment_batch_without_crop_keeps_each_photo_or_its_mirror(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(data, "MIN_CROP", 1.0)
    pictures = np.random.default_rng(3).integers(0, 256, (16, 12, 16, 3)).astype(np.uint8)
    out = data.augment_batch(pictures, tf.constant([1, 2], tf.int64), (12, 16)).numpy()
    mirrored = 0
    for picture, augmented in zip(pictures.astype(np.float32), out, strict=True):
        unclipped = ((augmented > 0.5) & (augmented < 254.5)).all(axis=-1)
        candidates = {False: picture, True: picture[:, ::-1]}
        # Brightness and contrast are a shift and a stretch per channel: correlation stays 1.
        matches = [
            flip
            for flip, candidate in candidates.items()
            if all(
                np.corrcoef(candidate[unclipped][:, c], augmented[unclipped][:, c])[0, 1] > 0.999
                for c in range(3)
            )
        ]
        assert len(matches) == 1
        mirrored += matches[0]
    assert 0 < mirrored < len(pictures)


def test_evaluate_split_metrics() -> None:
    labels = ["A/One", "A/Two", "B/Three"]
    probabilities = np.array(
        [
            [0.7, 0.2, 0.1],  # A/One right
            [0.6, 0.3, 0.1],  # A/Two taken for A/One: right make
            [0.5, 0.1, 0.4],  # B/Three taken for A/One: wrong make, right in top 2
            [0.1, 0.1, 0.8],  # B/Three right
        ]
    )
    result = evaluation.evaluate_split(probabilities, [0, 1, 2, 2], labels)
    assert result["count"] == 4
    assert result["top1"] == pytest.approx(0.5)
    assert result["top1_interval"] == pytest.approx([0.150, 0.850], abs=1e-3)  # Wilson, 95 %
    assert result["top5"] == pytest.approx(1.0)
    assert result["make_top1"] == pytest.approx(0.75)
    assert result["per_class"] == {
        "A/One": {"count": 1, "top1": 1.0},
        "A/Two": {"count": 1, "top1": 0.0},
        "B/Three": {"count": 2, "top1": 0.5},
    }
    assert result["confused_pairs"] == [
        {"true": "A/Two", "predicted": "A/One", "count": 1},
        {"true": "B/Three", "predicted": "A/One", "count": 1},
    ]
    assert evaluation.top_k_accuracy(probabilities[2:3], np.array([1]), 2) == 0.0


def test_format_epoch_line() -> None:
    logs = {"loss": 0.5123, "accuracy": 0.84, "val_loss": 0.6, "val_accuracy": 0.8}
    line = train.format_epoch("train", 3, 40, logs, started=0.0)
    assert line.startswith("train epoch 3/40: loss 0.512 accuracy 84.0% val_loss 0.600")
    assert "val_accuracy 80.0%" in line


@pytest.mark.slow
def test_tiny_training_run_exports_a_model_with_an_evaluation(
    shapes_catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trained_on: list[str] = []
    original = data.decoded_dataset

    def recording_dataset(catalog, items, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        trained_on.extend(item.image_id for item in items)
        return original(catalog, items, *args, **kwargs)

    monkeypatch.setattr(data, "decoded_dataset", recording_dataset)
    lines: list[str] = []
    levels = [Level("rookie", "Rookie", "cars-rookie", 0.5), Level("expert", "Expert", "cars")]
    version_dir = train.train(
        shapes_catalog, tmp_path, "cars", backbone="small-cnn", weights="none", epochs=3,
        batch_size=8, seed=1, patience=2, progress=lines.append, opponent_levels=levels,
    )  # fmt: skip

    game_ids = {item.image_id for item in shapes_catalog.split("game")}
    assert trained_on and not game_ids & set(trained_on)
    assert set(trained_on) == {item.image_id for item in shapes_catalog.split("train")}
    assert version_dir == tmp_path / "cars" / "1"
    metadata = read_metadata(version_dir)
    assert metadata["labels"] == shapes_catalog.labels
    assert metadata["backbone"] == "small-cnn"
    assert metadata["image_size"] == list(models.SMALL_CNN_SIZE)
    report = json.loads((version_dir / "evaluation.json").read_text())
    assert {"samples", "splits", "training_seconds", "epochs_run", "backbone"} <= set(report)
    assert report["samples"] == {"train": 24, "validation": 8, "game": 8}
    for split in ("validation", "game"):
        scores = report["splits"][split]
        assert {"top1", "top5", "make_top1", "per_class", "confused_pairs"} <= set(scores)
        assert scores["count"] == 8 and scores["top5"] == 1.0  # three classes: always in top 5
    # Progressive resizing: the first epochs on smaller photos, the rest at the model's size.
    assert any(line.startswith("train 80x80 epoch 1/3: loss") for line in lines)
    assert any(line.startswith("train 128x128 epoch 3/3: loss") for line in lines)
    assert report["epochs_run"] == 3
    assert "| game |" in (version_dir / "evaluation.md").read_text()
    _assert_keras_file_matches_serving(version_dir, shapes_catalog)
    # The rookie level is exported beside it; both reports list both levels' game top-1.
    rookie_dir = tmp_path / "cars-rookie" / "1"
    assert read_metadata(rookie_dir)["derived_from"] == ["cars", 1]
    for folder in (version_dir, rookie_dir):
        levels_table = json.loads((folder / "evaluation.json").read_text())["levels"]
        assert [row["servable"] for row in levels_table] == ["cars-rookie", "cars"]
        assert all(len(row["game_top1_interval"]) == 2 for row in levels_table)
    assert levels_table[1]["game_top1"] == report["splits"]["game"]["top1"]


def _assert_keras_file_matches_serving(version_dir: Path, catalog: Catalog) -> None:
    """The trained model.keras reloads and agrees with the SavedModel."""
    photo = catalog.path(catalog.split("game")[0]).read_bytes()
    served = tf.saved_model.load(str(version_dir)).signatures["serving_default"](
        image_bytes=tf.constant([photo])
    )["probabilities"]
    model = keras.models.load_model(version_dir / "model.keras")
    size = tuple(read_metadata(version_dir)["image_size"])
    pixels = tf.expand_dims(decode_and_resize(tf.constant(photo), size), 0)
    np.testing.assert_allclose(model.predict(pixels, verbose=0), served.numpy(), atol=1e-5)


def test_learning_rate_warms_up_then_decays() -> None:
    schedule = train.learning_rate_schedule(0.01, epochs=10, steps_per_epoch=5, warmup_epochs=2)
    rates = [float(schedule(step)) for step in (0, 5, 10, 30, 49)]
    assert rates[0] == pytest.approx(0.0)
    assert rates[1] == pytest.approx(0.005)
    assert rates[2] == pytest.approx(0.01)
    assert rates[2] > rates[3] > rates[4] and rates[4] < 0.0002
    no_warmup = train.learning_rate_schedule(0.01, epochs=4, steps_per_epoch=5)
    assert float(no_warmup(0)) == pytest.approx(0.01)


@pytest.mark.slow
def test_mobilenet_is_flat_with_a_frozen_backbone_and_unfreezes_its_top() -> None:
    built = models.build_mobilenet_v2(4, weights="none")
    model = built.model
    assert built.image_size == (224, 224)
    assert model.output_shape == (None, 4)
    assert not any(isinstance(layer, tf.keras.Model) for layer in model.layers[1:])
    assert len(model.get_layer(built.gradcam_layer).output.shape) == 4
    trainable = {layer.name for layer in model.layers if layer.trainable and layer.weights}
    assert trainable == {"predictions"}
    _, top = models.split_at(model, models.MOBILENET_FINE_TUNE_FROM)
    models.unfreeze(top)  # the top's layers are the model's own
    assert model.get_layer("Conv_1").trainable and model.get_layer("block_16_project").trainable
    assert not model.get_layer("Conv_1_bn").trainable
    assert model.get_layer("block_14_expand").trainable
    assert not model.get_layer("block_13_project").trainable


def test_weights_option_is_resolved(tmp_path: Path) -> None:
    assert models.resolve_weights("none") is None
    assert models.resolve_weights("imagenet") == "imagenet"
    weights = tmp_path / "backbone.h5"
    weights.write_bytes(b"")
    assert models.resolve_weights(str(weights)) == str(weights)
    with pytest.raises(FileNotFoundError):
        models.resolve_weights(str(tmp_path / "missing.h5"))


def test_training_refuses_a_catalog_with_one_trained_class(tmp_path: Path) -> None:
    images = [image("t1", "A/One", "train"), image("g1", "B/Two", "game")]
    with pytest.raises(ValueError, match="at least 2 classes"):
        train.train(
            Catalog(tmp_path, "one", images), tmp_path / "models", "cars", backbone="auto",
            weights="none", epochs=1, batch_size=2, seed=1, patience=1, progress=print,
        )  # fmt: skip
    assert not (tmp_path / "models").exists()
