"""Feature caching, head selection by validation, pretrained backbones, the frozen training run."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from support_models import IMAGENET_035, KERAS_MODELS, SMALL_SIZE

from cargame import cli
from cargame.domain.catalog import Catalog
from model_service.training import evaluation, features, heads, models, train
from model_service.training import fine_tune as fine_tuning
from model_service.training.export import read_metadata
from model_service.training.preprocess import decode_and_resize


def test_views_mirror_and_zoom_keep_the_shape() -> None:
    image = tf.reshape(tf.range(4 * 6 * 3, dtype=tf.float32), [4, 6, 3])
    mirrored = features.view_image(image, features.MIRROR).numpy()
    np.testing.assert_array_equal(mirrored, image.numpy()[:, ::-1])
    np.testing.assert_array_equal(features.view_image(image, features.ORIGINAL), image)
    for view in (features.ZOOM, features.ZOOM_MIRROR):
        assert features.view_image(image, view).shape == (4, 6, 3)
    with pytest.raises(ValueError, match="unknown view"):
        features.view_image(image, "upside-down")


def test_cache_is_keyed_by_backbone_weights_image_view_and_size(tmp_path: Path) -> None:
    cache = features.FeatureCache(tmp_path, "mobilenet_v2", "imagenet", (224, 224))
    assert cache.load("abc", "mirror") is None
    cache.store("abc", "mirror", np.arange(3.0))
    np.testing.assert_array_equal(cache.load("abc", "mirror"), [0.0, 1.0, 2.0])
    assert cache.path("abc", "mirror") == (
        tmp_path / "features" / "mobilenet_v2-imagenet" / "abc.mirror.224x224.npy"
    )
    other_size = features.FeatureCache(tmp_path, "mobilenet_v2", "imagenet", (160, 160))
    other_weights = features.FeatureCache(tmp_path, "mobilenet_v2", "none-seed1", (224, 224))
    assert other_size.load("abc", "mirror") is None and other_weights.load("abc", "mirror") is None
    assert features.weights_key("none", 3) == "none-seed3"  # random weights differ by seed
    maps = features.FeatureCache(
        tmp_path, "mobilenet_v2", "imagenet", (224, 224), "block_15_expand"
    )
    maps.store("abc", "mirror", np.full((2, 3, 4), 1 / 3))
    assert maps.path("abc", "mirror") == (
        tmp_path / "maps" / "mobilenet_v2-imagenet" / "block_15_expand" / "abc.mirror.224x224.npy"
    )
    assert maps.load("abc", "mirror").dtype == np.float16  # half the disk and memory of float32
    np.testing.assert_array_equal(cache.load("abc", "mirror"), [0.0, 1.0, 2.0])  # not mixed up
    other_cut = features.FeatureCache(tmp_path, "mobilenet_v2", "imagenet", (224, 224), "Conv_1")
    assert other_cut.load("abc", "mirror") is None
    weights = tmp_path / "w.h5"
    weights.write_bytes(b"one")
    first = features.weights_key(str(weights), 3)
    weights.write_bytes(b"two")
    assert first.startswith("file-") and features.weights_key(str(weights), 3) != first


class CountingExtractor:
    """Mean colour per channel as 'features', counting the photos it sees."""

    def __init__(self) -> None:
        self.seen = 0

    def predict_on_batch(self, batch: tf.Tensor) -> tf.Tensor:
        self.seen += int(batch.shape[0])
        left = tf.reduce_mean(batch[:, :, : batch.shape[2] // 2], axis=[1, 2])
        return tf.concat([tf.reduce_mean(batch, axis=[1, 2]), left], axis=1)


def test_extract_runs_the_backbone_once_per_photo_and_view(
    shapes_catalog: Catalog, tmp_path: Path
) -> None:
    cache = features.FeatureCache(tmp_path, "test", "none-seed1", (32, 32))
    items = shapes_catalog.split("train")[:5]
    extractor = CountingExtractor()
    lines: list[str] = []
    views = [features.ORIGINAL, features.MIRROR]
    first = features.extract(
        extractor, shapes_catalog, items, views, cache, (32, 32), batch_size=4,
        progress=lines.append,
    )  # fmt: skip
    assert first.shape == (5, 2, 6) and extractor.seen == 10
    assert any("10 views of 5 photos" in line for line in lines)
    # Mirroring keeps the mean colour but moves what is on the left.
    np.testing.assert_allclose(first[:, 0, :3], first[:, 1, :3], atol=1e-3)
    assert not np.allclose(first[:, 0, 3:], first[:, 1, 3:])
    again = features.extract(
        extractor, shapes_catalog, items + shapes_catalog.split("game")[:1], views, cache,
        (32, 32), batch_size=4, progress=lines.append,
    )  # fmt: skip
    assert extractor.seen == 12  # only the new photo's two views were computed
    np.testing.assert_array_equal(again[:5], first)


def _blobs(seed: int, per_class: int) -> tuple[np.ndarray, np.ndarray]:
    generator = np.random.default_rng(seed)
    centres = 5.0 * np.eye(3, 4)
    labels = np.repeat(np.arange(3), per_class)
    rows = centres[labels] + generator.normal(size=(len(labels), 4))
    return rows.astype(np.float32), labels


def test_head_is_chosen_by_validation() -> None:
    train_rows, validation_rows = _blobs(1, 300), _blobs(2, 30)
    crippled = models.HeadSpec(hidden=0, dropout=0.0, l2=10.0)  # the penalty flattens everything
    sound = models.HeadSpec(hidden=0, dropout=0.0, l2=1e-4)
    lines: list[str] = []
    best, results = heads.select_head(
        train_rows, validation_rows, 3, {0: 1.0, 1: 1.0, 2: 1.0}, seed=1,
        progress=lines.append, candidates=[crippled, sound], epochs=40,
    )  # fmt: skip
    assert best.spec == sound and len(results) == 2
    # Equal top-1 on well separated classes: the lower validation loss decides.
    assert best.validation_top1 >= 0.9
    assert (best.validation_top1, -best.validation_loss) > (
        results[0].validation_top1,
        -results[0].validation_loss,
    )
    assert best.row()["validation_top1"] == best.validation_top1
    assert lines[-1] == f"chosen head: {sound.describe()}"
    # Without a validation split there is nothing to choose by: the first candidate is trained.
    only, tried = heads.select_head(
        train_rows, None, 3, {}, seed=1, progress=lines.append, candidates=[sound, crippled],
        epochs=5,
    )  # fmt: skip
    assert only.spec == sound and len(tried) == 1


@pytest.mark.parametrize(
    ("name", "family", "alpha"),
    [
        ("mobilenet_v2", "mobilenet_v2", 0.35),
        ("mobilenet_v2_0.5", "mobilenet_v2", 0.5),
        ("mobilenet_0.25", "mobilenet", 0.25),
        ("efficientnet_b0", "efficientnet_b0", None),
        ("efficientnet_v2_b0", "efficientnet_v2_b0", None),
    ],
)
def test_backbone_names(name: str, family: str, alpha: float | None) -> None:
    spec = models.backbone_spec(name)
    assert (spec.family, spec.alpha) == (family, alpha)


@pytest.mark.parametrize("name", ["resnet50", "mobilenet_v2_big", "efficientnet_b0_2", "small"])
def test_unknown_backbones_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unknown backbone"):
        models.backbone_spec(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["efficientnet_b0", "efficientnet_v2_b0", "mobilenet_0.25"])
def test_other_backbones_build_flat_with_their_layers(name: str) -> None:
    built = models.build_model(name, 5, weights="none")
    model = built.model
    assert model.output_shape == (None, 5) and built.image_size == models.PRETRAINED_SIZE
    assert not any(isinstance(layer, keras.Model) for layer in model.layers[1:])
    assert len(model.get_layer(built.gradcam_layer).output.shape) == 4
    assert {layer.name for layer in model.layers if layer.trainable and layer.weights} == {
        "predictions"
    }
    # Each takes 0..255 pixels: its own preprocessing is inside the model.
    pixels = np.full((1, *built.image_size, 3), 255.0, np.float32)
    assert np.isfinite(model.predict(pixels, verbose=0)).all()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "weights_file"),
    [
        ("mobilenet_v2_0.5", "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224_no_top.h5"),
        ("mobilenet_0.25", "mobilenet_2_5_224_tf_no_top.h5"),
    ],
)
def test_offline_imagenet_backbones_load(name: str, weights_file: str) -> None:
    if not (KERAS_MODELS / weights_file).is_file():
        pytest.skip(f"no offline weights {weights_file} under $KERAS_HOME/models")
    built = models.build_model(name, 3, weights="imagenet")
    pixels = np.zeros((1, *built.image_size, 3))
    pooled = models.feature_model(built.model).predict(pixels, verbose=0)
    assert pooled.shape[0] == 1 and np.abs(pooled).sum() > 0


@pytest.mark.slow
@pytest.mark.usefixtures("two_quick_heads")
def test_frozen_training_caches_features_and_exports_the_chosen_head(
    shapes_catalog: Catalog, tmp_path: Path
) -> None:
    lines: list[str] = []
    version_dir = train.train(
        shapes_catalog, tmp_path / "models", "cars", backbone="mobilenet_v2", weights="none",
        epochs=2, batch_size=16, seed=1, patience=2, progress=lines.append,
        cache_dir=tmp_path / "cache",
    )  # fmt: skip
    cached = list((tmp_path / "cache" / "features" / "mobilenet_v2-none-seed1").glob("*.npy"))
    train_ids = {item.image_id for item in shapes_catalog.split("train")}
    views = {(path.name.split(".")[0], path.name.split(".")[1]) for path in cached}
    assert {(image_id, "mirror") for image_id in train_ids} <= views
    assert not any(view == "mirror" and image_id not in train_ids for image_id, view in views)
    report = json.loads((version_dir / "evaluation.json").read_text())
    assert len(report["head"]["candidates"]) == 2 and report["head"]["fine_tune"] is False
    chosen = report["head"]["chosen"]
    assert chosen["validation_top1"] == report["splits"]["validation"]["top1"]
    assert any(line.startswith("head 1/2") for line in lines)
    assert any(line.startswith("features: 48 views of 24 photos") for line in lines)
    # The exported model gives the game split the report's predictions (through serving).
    game = shapes_catalog.split("game")
    signature = tf.saved_model.load(str(version_dir)).signatures["serving_default"]
    photos = tf.constant([shapes_catalog.path(item).read_bytes() for item in game])
    served = signature(image_bytes=photos)["probabilities"].numpy()
    truth = [shapes_catalog.labels.index(item.label) for item in game]
    labels = read_metadata(version_dir)["labels"]
    served_top1 = np.mean([labels[i] == shapes_catalog.labels[t] for i, t in zip(
        served.argmax(axis=1), truth, strict=True)])  # fmt: skip
    assert served_top1 == pytest.approx(report["splits"]["game"]["top1"])
    # A second run computes no features again.
    lines.clear()
    train.train(
        shapes_catalog, tmp_path / "models", "cars", backbone="mobilenet_v2", weights="none",
        epochs=2, batch_size=16, seed=1, patience=2, progress=lines.append,
        cache_dir=tmp_path / "cache",
    )  # fmt: skip
    assert not any(line.startswith("features: ") and "to compute" in line for line in lines)
    keras_model = keras.models.load_model(version_dir / "model.keras")
    size = tuple(read_metadata(version_dir)["image_size"])
    assert size == models.PRETRAINED_SIZE  # the default input of a pretrained backbone
    pixels = tf.expand_dims(decode_and_resize(photos[0], size), 0)
    np.testing.assert_allclose(keras_model.predict(pixels, verbose=0), served[:1], atol=1e-5)


def test_report_shows_intervals_and_the_heads_tried() -> None:
    labels = ["A/One", "A/Two", "B/Three"]
    probabilities = np.eye(3)[[0, 1, 2, 0]]
    split = evaluation.evaluate_split(probabilities, [0, 1, 2, 2], labels)
    assert split["top5_interval"][1] == 1.0 and split["make_top1_interval"][0] < 0.75
    chosen = {"hidden": 0, "dropout": 0.0, "l2": 1e-4, "validation_top1": 0.75,
              "validation_loss": 0.5, "epochs": 40, "seconds": 1.0}  # fmt: skip
    other = {**chosen, "hidden": 512, "validation_top1": None, "validation_loss": None}
    report = {
        "name": "cars", "splits": {"game": split},
        "head": {"chosen": chosen, "candidates": [chosen, other], "views": ["original", "mirror"],
                 "feature_seconds": 12.0, "fine_tune": False},
    }  # fmt: skip
    text = evaluation.render_markdown(report)
    assert "| game | 4 | 75.0% (30%-95%) | 100.0% (51%-100%) | 75.0% (30%-95%) |" in text
    assert "| linear | 0 | 0.0001 | 75.0% | 0.500 | 40 | yes |" in text
    assert "| hidden 512 | 0 | 0.0001 | ? | ? | 40 |  |" in text
    assert "views original, mirror" in text
    assert "Fine-tuning" not in text
    report["head"]["fine_tuning"] = {
        "cut_layer": "block_15_expand", "layers": 8, "validation_top1_before": 0.75,
        "validation_loss_before": 0.9, "validation_top1_after": 0.7, "validation_loss_after": 0.8,
        "epochs": 12, "best_epoch": 7, "seconds": 95.0, "kept": False, "head_dropout": 0.5,
    }  # fmt: skip
    text = evaluation.render_markdown(report)
    assert "| frozen head | 75.0% | 0.900 |\n| fine-tuned | 70.0% | 0.800 |" in text
    assert "Refit" not in text
    report["head"]["refit"] = {
        "photos": 279, "head_epochs": 56, "fine_tune_epochs": None, "seconds": 4.6,
    }  # fmt: skip
    text = evaluation.render_markdown(report)
    assert "validation photos (279, both views): the head for 56 epochs (5 s)." in text
    assert "12 epochs (best 7), 95 s. Kept: the frozen weights (no gain)." in text


FAMILIES = ["mobilenet_v2", "mobilenet_0.25", "efficientnet_b0", "efficientnet_v2_b0"]


def _sharpened(name: str, pixels: np.ndarray) -> keras.Model:
    """A `--weights none` model with outputs that tell: each BatchNorm's moving statistics are
    set to its input's on `pixels` (random weights otherwise shrink the activations towards
    1e-10, below float16), and the head is steep."""
    keras.utils.set_random_seed(5)
    model = models.build_model(name, 3, weights="none", image_size=SMALL_SIZE).model
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            values = np.asarray(keras.Model(model.input, layer.input)(pixels))
            layer.moving_mean.assign(values.mean(axis=(0, 1, 2)))
            layer.moving_variance.assign(values.var(axis=(0, 1, 2)))
    kernel = model.get_layer("predictions").kernel
    kernel.assign(np.random.default_rng(2).normal(0.0, 3.0, kernel.shape).astype(np.float32))
    return model


def _pixels(count: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 255, (count, *SMALL_SIZE, 3)).astype(np.float32)


@pytest.mark.slow
@pytest.mark.parametrize("name", FAMILIES)
def test_the_model_cut_at_its_fine_tuning_layer_is_the_same_model_in_two_halves(name: str) -> None:
    pixels = _pixels(4)
    model = _sharpened(name, pixels)
    cut_layer = models.backbone_spec(name).fine_tune_from
    bottom, top = models.split_at(model, cut_layer)
    whole = np.asarray(model(pixels))
    assert whole.max() > 0.6  # not a flat softmax: the comparison below means something
    np.testing.assert_allclose(np.asarray(top(bottom(pixels))), whole, atol=1e-5)
    unfrozen = models.unfreeze(top)
    assert model.get_layer(cut_layer) in unfrozen and model.get_layer("predictions") in unfrozen
    assert not any(layer.trainable for layer in bottom.layers if layer.weights)
    assert not any(
        layer.trainable
        for layer in model.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    )
    # The top's layers are the model's: changing one changes the whole model the same way.
    layer = top.get_layer(cut_layer)
    layer.set_weights([-weight for weight in layer.get_weights()])
    changed = np.asarray(model(pixels))
    assert not np.allclose(changed, whole, atol=1e-3)
    np.testing.assert_allclose(np.asarray(top(bottom(pixels))), changed, atol=1e-5)


@pytest.mark.slow
def test_fine_tuning_that_does_not_beat_the_frozen_head_leaves_the_weights_as_they_were(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pixels = _pixels(24)
    model = _sharpened("mobilenet_v2", pixels)
    cut_layer = models.MOBILENET_FINE_TUNE_FROM
    bottom, _ = models.split_at(model, cut_layer)
    maps = np.asarray(bottom(pixels)).astype(np.float16)
    assert np.abs(maps).mean() > 0.01
    # The frozen model is right on every validation photo: nothing can beat it there.
    labels = np.concatenate(
        [np.random.default_rng(4).integers(0, 3, 16), np.asarray(model(pixels[16:])).argmax(1)]
    )
    before = [weight.copy() for weight in model.get_weights()]
    monkeypatch.setattr(fine_tuning, "LEARNING_RATE", 50.0)  # every step wrecks the model
    lines: list[str] = []
    result = fine_tuning.fine_tune(
        model, cut_layer, (maps[:16], labels[:16]), (maps[16:], labels[16:]), {},
        seed=1, progress=lines.append, epochs=2,
    )  # fmt: skip
    assert result.validation_top1_before == 1.0
    assert not result.kept and result.best_epoch == 0
    for kept, original in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(kept, original)
    assert lines[-1].endswith("kept the frozen weights")
    assert not model.get_layer("Conv_1").trainable and model.get_layer("predictions").trainable


@pytest.mark.slow
@pytest.mark.usefixtures("gainful_fine_tuning")
def test_fine_tuning_trains_the_top_on_cached_maps_and_exports_what_it_scored(
    shapes_catalog: Catalog, tmp_path: Path
) -> None:
    lines: list[str] = []

    def run() -> Path:
        return train.train(
            shapes_catalog, tmp_path / "models", "cars", backbone="mobilenet_v2",
            weights="imagenet", epochs=2, batch_size=16, seed=1, patience=2,
            progress=lines.append, cache_dir=tmp_path / "cache", fine_tune=True,
            image_size=SMALL_SIZE,
        )  # fmt: skip

    version_dir = run()
    assert any(line.startswith("fine-tuning 11 layers from block_14_expand") for line in lines)
    assert any(line.startswith("fine-tune epoch 1/4: loss ") for line in lines)
    report = json.loads((version_dir / "evaluation.json").read_text())
    tuned = report["head"]["fine_tuning"]
    assert tuned["kept"] and tuned["validation_top1_after"] > tuned["validation_top1_before"]
    assert tuned["head_dropout"] == fine_tuning.HEAD_DROPOUT > report["head"]["chosen"]["dropout"]
    assert report["splits"]["validation"]["top1"] == pytest.approx(tuned["validation_top1_after"])
    # The maps of every train view, validation and game photo are cached, as float16.
    folder = tmp_path / "cache" / "maps" / "mobilenet_v2-imagenet" / "block_14_expand"
    cached = {tuple(path.name.split(".")[:2]) for path in folder.glob("*.npy")}
    train_ids = {item.image_id for item in shapes_catalog.split("train")}
    assert {(image_id, "mirror") for image_id in train_ids} <= cached
    game = shapes_catalog.split("game")
    assert {(item.image_id, "original") for item in game} <= cached
    cache = features.FeatureCache(
        tmp_path / "cache", "mobilenet_v2", "imagenet", SMALL_SIZE, "block_14_expand"
    )
    maps = np.stack([cache.load(item.image_id, "original") for item in game])
    assert maps.dtype == np.float16
    # The exported model (through serving, and the explainer's .keras) gives what the fine-tuned
    # top gives on the maps: the trained layers are the exported model's own.
    keras_model = keras.models.load_model(version_dir / "model.keras")
    _, top = models.split_at(keras_model, "block_14_expand")
    on_maps = heads.predict(top, maps)
    signature = tf.saved_model.load(str(version_dir)).signatures["serving_default"]
    photos = tf.constant([shapes_catalog.path(item).read_bytes() for item in game])
    served = signature(image_bytes=photos)["probabilities"].numpy()
    assert on_maps.max(axis=1).min() > 0.4  # confident enough for the comparison to tell
    np.testing.assert_allclose(served, on_maps, atol=5e-3)  # float16 maps: a rounding apart
    truth = np.array([shapes_catalog.labels.index(item.label) for item in game])
    assert np.mean(served.argmax(axis=1) == truth) == pytest.approx(
        report["splits"]["game"]["top1"]
    )
    # The served model is the one that was scored: on validation it gives the fine-tuned top-1,
    # which differs from the frozen head's on the same photos.
    validation = shapes_catalog.split("validation")
    served_validation = signature(
        image_bytes=tf.constant([shapes_catalog.path(item).read_bytes() for item in validation])
    )["probabilities"].numpy()
    validation_truth = np.array([shapes_catalog.labels.index(item.label) for item in validation])
    served_top1 = np.mean(served_validation.argmax(axis=1) == validation_truth)
    assert served_top1 == pytest.approx(tuned["validation_top1_after"])
    # A re-run computes no maps or features again.
    lines.clear()
    run()
    assert not any(line.startswith("features: ") and "to compute" in line for line in lines)

    # The pooled-feature cache holds only the frozen backbone's features (nothing computed
    # through the fine-tuned top under its key): a frozen run on it scores as on a fresh cache.
    def frozen(cache: Path) -> dict:
        version = train.train(
            shapes_catalog, tmp_path / "frozen-models", "cars", backbone="mobilenet_v2",
            weights="imagenet", epochs=2, batch_size=16, seed=1, patience=2,
            progress=lambda line: None, cache_dir=cache, fine_tune=False, image_size=SMALL_SIZE,
        )  # fmt: skip
        return json.loads((version / "evaluation.json").read_text())["splits"]["game"]

    assert frozen(tmp_path / "cache") == frozen(tmp_path / "fresh-cache")


def test_cli_refuses_an_unknown_backbone_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--catalog", str(tmp_path), "--backbone", "resnet50"])
    assert exit_info.value.code == 2
    assert "unknown backbone 'resnet50'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "size"), [("224x416", (224, 416)), ("320", (320, 320)), (" 64 X 96 ", (64, 96))]
)
def test_image_size_is_height_by_width_or_one_side(text: str, size: tuple[int, int]) -> None:
    assert models.parse_image_size(text) == size


@pytest.mark.parametrize("text", ["", "224x", "x416", "224*416", "16x416", "big"])
def test_unusable_image_sizes_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="image size"):
        models.parse_image_size(text)


def test_cli_refuses_an_unusable_image_size_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--catalog", str(tmp_path), "--image-size", "224x"])
    assert exit_info.value.code == 2
    assert "image size '224x'" in capsys.readouterr().err


@pytest.mark.slow
def test_pretrained_backbones_take_wide_inputs_with_the_224_weights() -> None:
    if not (KERAS_MODELS / IMAGENET_035).is_file():
        pytest.skip(f"no offline weights {IMAGENET_035} under $KERAS_HOME/models")
    square = models.build_model("mobilenet_v2", 3, image_size=(224, 224)).model
    wide = models.build_model("mobilenet_v2", 3)  # the default size, no warning (errors here)
    assert wide.image_size == models.PRETRAINED_SIZE and wide.image_size[1] > wide.image_size[0]
    assert wide.model.input_shape == (None, *models.PRETRAINED_SIZE, 3)
    # The same ImageNet convolution weights, whatever the input size.
    for layer in ("Conv1", "block_16_project", "Conv_1"):
        for ours, theirs in zip(
            wide.model.get_layer(layer).get_weights(),
            square.get_layer(layer).get_weights(),
            strict=True,
        ):
            np.testing.assert_array_equal(ours, theirs)


@pytest.mark.slow
def test_fine_tuning_is_skipped_without_a_validation_split(
    shapes_catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(heads, "HEAD_EPOCHS", 2)
    images = [
        dataclasses.replace(item, split="train") if item.split == "validation" else item
        for item in shapes_catalog.images
    ]
    catalog = Catalog(shapes_catalog.root, shapes_catalog.name, images)
    lines: list[str] = []
    version_dir = train.train(
        catalog, tmp_path / "models", "cars", backbone="mobilenet_v2", weights="none", epochs=2,
        batch_size=16, seed=1, patience=2, progress=lines.append, cache_dir=tmp_path / "cache",
        fine_tune=True, image_size=SMALL_SIZE,
    )  # fmt: skip
    assert "fine-tuning skipped: no validation split to judge it by" in lines
    report = json.loads((version_dir / "evaluation.json").read_text())
    assert "fine_tuning" not in report["head"] and report["splits"]["game"]["count"] == 8


@pytest.mark.parametrize(
    ("setting", "environment", "flags", "expected"),
    [
        ("fine_tune", {}, [], True),  # [train] fine_tune in default.toml
        ("fine_tune", {"CARGAME_TRAIN_FINE_TUNE": "false"}, [], False),
        ("fine_tune", {"CARGAME_TRAIN_FINE_TUNE": "false"}, ["--fine-tune"], True),
        ("fine_tune", {}, ["--no-fine-tune"], False),
        ("refit", {}, [], True),  # [train] refit in default.toml
        ("refit", {"CARGAME_TRAIN_REFIT": "false"}, [], False),
        ("refit", {"CARGAME_TRAIN_REFIT": "false"}, ["--refit"], True),
        ("refit", {}, ["--no-refit"], False),
    ],
)
def test_fine_tuning_and_refit_come_from_the_config_unless_the_command_line_says(
    shapes_catalog: Catalog,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    environment: dict[str, str],
    flags: list[str],
    expected: bool,
) -> None:
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    asked: list[object] = []

    def fake_train(*args: object, **kwargs: object) -> Path:
        asked.append(kwargs[setting])
        return tmp_path

    monkeypatch.setattr(train, "train", fake_train)
    arguments = ["train", "--catalog", str(shapes_catalog.root), "--models", str(tmp_path)]
    assert cli.main([*arguments, *flags]) == 0
    assert asked == [expected]
