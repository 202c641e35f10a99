"""The export contract: TF Serving layout, serving signature, model.keras, metadata, versions."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import keras
import numpy as np
import pytest
import tensorflow as tf

from model_service.training import export
from model_service.training.models import build_small_cnn
from model_service.training.preprocess import decode_and_resize, decode_and_resize_batch

if TYPE_CHECKING:
    from support_models import TinyExport

pytestmark = pytest.mark.slow


def serve(tiny_export: TinyExport, images: list[bytes]) -> dict[str, np.ndarray]:
    """Call the exported serving signature the way TF Serving does."""
    loaded = tf.saved_model.load(str(tiny_export.version_dir))
    outputs = loaded.signatures["serving_default"](image_bytes=tf.constant(images))
    return {key: value.numpy() for key, value in outputs.items()}


def test_version_folder_has_the_contract_files(tiny_export: TinyExport) -> None:
    names = {path.name for path in tiny_export.version_dir.iterdir()}
    assert {"saved_model.pb", "variables", "model.keras", "metadata.json"} <= names
    assert not any(name.startswith(".tmp-") for name in names)
    hidden = [p.name for p in (tiny_export.models_dir / tiny_export.name).iterdir()]
    assert hidden == [str(tiny_export.version)]


def test_metadata_describes_the_model(tiny_export: TinyExport) -> None:
    metadata = export.read_metadata(tiny_export.version_dir)
    assert metadata["name"] == tiny_export.name
    assert metadata["version"] == tiny_export.version == 1
    assert metadata["labels"] == list(tiny_export.labels)
    assert metadata["image_size"] == list(tiny_export.image_size)
    assert metadata["backbone"] == "small-cnn"
    assert metadata["catalog"] == "tiny-shapes"
    assert "T" in metadata["created"]
    model = keras.models.load_model(tiny_export.version_dir / "model.keras")
    assert len(model.get_layer(metadata["gradcam_layer"]).output.shape) == 4


def test_signature_takes_bytes_and_returns_probabilities_and_labels(
    tiny_export: TinyExport, colour_jpeg: Callable[..., bytes]
) -> None:
    loaded = tf.saved_model.load(str(tiny_export.version_dir))
    signature = loaded.signatures["serving_default"]
    (spec,) = signature.structured_input_signature[1].values()
    assert spec.name == "image_bytes" and spec.dtype == tf.string and spec.shape.as_list() == [None]
    outputs = serve(tiny_export, [colour_jpeg(label, 50) for label in tiny_export.labels])
    assert outputs["probabilities"].shape == (3, 3)
    np.testing.assert_allclose(outputs["probabilities"].sum(axis=1), 1.0, rtol=1e-5)
    assert [[label.decode() for label in row] for row in outputs["labels"]] == [
        list(tiny_export.labels)
    ] * 3
    # The tiny model was fitted on colours, so an unseen shape of each colour gets its class.
    assert list(outputs["probabilities"].argmax(axis=1)) == [0, 1, 2]


def test_signature_decodes_png_and_any_size(
    tiny_export: TinyExport, make_jpeg: Callable[..., bytes]
) -> None:
    rgba = np.zeros((300, 17, 4), dtype=np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 255
    png = tf.io.encode_png(rgba).numpy()
    outputs = serve(tiny_export, [png, make_jpeg((10, 10, 10), size=(640, 480))])
    assert outputs["probabilities"].shape == (2, 3)


def test_keras_model_and_saved_model_agree(
    tiny_export: TinyExport, colour_jpeg: Callable[..., bytes], make_jpeg: Callable[..., bytes]
) -> None:
    """Preprocessing lives in one place: the .keras model fed by decode_and_resize matches."""
    images = [colour_jpeg("Acme/Beta", 7), make_jpeg((90, 90, 200), size=(200, 120), seed=4)]
    served = serve(tiny_export, images)["probabilities"]
    model = keras.models.load_model(tiny_export.version_dir / "model.keras")
    batch = tf.stack(
        [decode_and_resize(tf.constant(image), tiny_export.image_size) for image in images]
    )
    np.testing.assert_allclose(model.predict(batch, verbose=0), served, atol=1e-5)


def test_batched_preprocessing_matches_single_images(make_jpeg: Callable[..., bytes]) -> None:
    images = [make_jpeg((200, 30, 30), size=(64, 48), seed=1), make_jpeg((0, 0, 0), seed=2)]
    batch = decode_and_resize_batch(tf.constant(images), (24, 20)).numpy()
    single = decode_and_resize(tf.constant(images[1]), (24, 20)).numpy()
    assert batch.shape == (2, 24, 20, 3) and batch.dtype == np.float32
    np.testing.assert_array_equal(batch[1], single)
    assert batch.min() >= 0.0 and batch.max() <= 255.0 and batch.max() > 100.0


def test_reexport_makes_the_next_version(tmp_path: Path) -> None:
    built = build_small_cnn(2, (16, 16), filters=(4,))
    labels = ["A/One", "B/Two"]
    kwargs = dict(image_size=(16, 16), gradcam_layer=built.gradcam_layer, backbone="small-cnn")
    assert export.latest_version(tmp_path, "cars") is None
    assert export.next_version(tmp_path, "cars") == 1
    first = export.export_model(built.model, labels, tmp_path, "cars", catalog_name="c", **kwargs)
    evaluation = {"name": "cars", "splits": {}, "samples": {"train": 1}}
    second = export.export_model(
        built.model, labels, tmp_path, "cars", catalog_name="c", evaluation=evaluation, **kwargs
    )
    assert (first.name, second.name) == ("1", "2")
    assert export.latest_version(tmp_path, "cars") == 2
    assert export.read_metadata(second)["version"] == 2
    assert json.loads((second / "evaluation.json").read_text()) == evaluation
    assert (second / "evaluation.md").read_text().startswith("# Evaluation")
    assert sorted(p.name for p in (tmp_path / "cars").iterdir()) == ["1", "2"]


def test_versions_ignore_temporary_folders(tmp_path: Path) -> None:
    for name in ("1", "3", ".tmp-abc", "notes"):
        (tmp_path / "cars" / name).mkdir(parents=True)
    assert export.versions(tmp_path, "cars") == [1, 3]
    assert export.next_version(tmp_path, "cars") == 4


def test_export_refuses_a_model_that_breaks_the_contract(tmp_path: Path) -> None:
    built = build_small_cnn(2, (16, 16), filters=(4,))
    with pytest.raises(ValueError, match="labels"):
        export.export_model(
            built.model, ["A/One", "B/Two", "C/Three"], tmp_path, "cars",
            image_size=(16, 16), gradcam_layer=built.gradcam_layer, backbone="x", catalog_name="c",
        )  # fmt: skip
    with pytest.raises(ValueError):
        export.export_model(
            built.model, ["A/One", "B/Two"], tmp_path, "cars",
            image_size=(16, 16), gradcam_layer="no_such_layer", backbone="x", catalog_name="c",
        )  # fmt: skip
    assert not (tmp_path / "cars").exists()
