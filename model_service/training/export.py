"""Export a trained Keras model in the TF Serving layout `<models>/<name>/<version>/`.

A version folder holds the SavedModel (`saved_model.pb`, `variables/`) with a `serving_default`
signature that takes encoded image bytes, `model.keras` for the explainer, `metadata.json`, and
the evaluation report when training produced one. An opponent level's export also names the
`view_size` its photos are shrunk to, inside the signature and for the explainer alike. Versions
are written into a hidden temporary folder and renamed into place, so a server polling the
folder never sees half a version.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from cargame.domain.exports import EVALUATION_FILE, model_versions
from model_service.training import evaluation as evaluation_report
from model_service.training.preprocess import ViewSize, decode_and_resize_batch

SIGNATURE_NAME = "serving_default"
INPUT_NAME = "image_bytes"
KERAS_FILE = "model.keras"
METADATA_FILE = "metadata.json"
EVALUATION_MARKDOWN = "evaluation.md"
TEMP_PREFIX = ".tmp-"
# Two exports racing for the same version number: the loser retries with the next one.
RENAME_ATTEMPTS = 5
VERSION_MODE = 0o755


def versions(models_dir: Path, name: str) -> list[int]:
    """The complete versions of a model, ascending (temporary folders are ignored)."""
    return model_versions(models_dir, name)


def latest_version(models_dir: Path, name: str) -> int | None:
    """The highest exported version, or None when the model has none."""
    found = versions(models_dir, name)
    return found[-1] if found else None


def next_version(models_dir: Path, name: str) -> int:
    """The version number the next export of this model will get (1 for the first)."""
    return (latest_version(models_dir, name) or 0) + 1


def read_metadata(version_dir: Path) -> dict[str, Any]:
    """The `metadata.json` of an exported version."""
    return json.loads((Path(version_dir) / METADATA_FILE).read_text(encoding="utf-8"))


def serving_archive(
    model: keras.Model,
    labels: Sequence[str],
    image_size: tuple[int, int],
    view_size: ViewSize = None,
) -> keras.export.ExportArchive:
    """An ExportArchive whose `serving_default` maps encoded images to probabilities and labels."""
    label_row = tf.constant(list(labels), dtype=tf.string)

    def serve(image_bytes: tf.Tensor) -> dict[str, tf.Tensor]:
        images = decode_and_resize_batch(image_bytes, image_size, view_size)
        probabilities = model(images, training=False)
        batch = tf.shape(image_bytes)[0]
        tiled = tf.tile(tf.expand_dims(label_row, 0), tf.stack([batch, 1]))
        return {"probabilities": probabilities, "labels": tiled}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        name=SIGNATURE_NAME,
        fn=serve,
        input_signature=[tf.TensorSpec([None], tf.string, name=INPUT_NAME)],
    )
    return archive


def export_model(
    model: keras.Model,
    labels: Sequence[str],
    models_dir: Path,
    name: str,
    *,
    image_size: tuple[int, int],
    gradcam_layer: str,
    backbone: str,
    catalog_name: str,
    evaluation: dict[str, Any] | None = None,
    view_size: ViewSize = None,
    extra_metadata: dict[str, Any] | None = None,
) -> Path:
    """Write the next version of `name` under `models_dir` and return its folder.

    `view_size` makes it an opponent level (photos shrunk first); `extra_metadata` (e.g. the
    level and the version it was derived from) goes into `metadata.json` as well."""
    _check_model(model, labels, image_size, gradcam_layer)
    model_root = Path(models_dir) / name
    model_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=model_root))
    # mkdtemp makes the folder private (0700); a server running as another user (the
    # tensorflow/serving container) must be able to read the published version.
    staging.chmod(VERSION_MODE)
    try:
        archive = serving_archive(model, labels, image_size, view_size)
        archive.write_out(str(staging), verbose=False)
        model.save(staging / KERAS_FILE)
        if evaluation is not None:
            _write_evaluation(staging, evaluation)
        metadata = {
            "name": name,
            "labels": list(labels),
            "image_size": list(image_size),
            "gradcam_layer": gradcam_layer,
            "backbone": backbone,
            "catalog": catalog_name,
            "view_size": list(view_size) if view_size else None,
            **(extra_metadata or {}),
        }
        return _publish(staging, model_root, metadata)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def _check_model(
    model: keras.Model, labels: Sequence[str], image_size: tuple[int, int], gradcam_layer: str
) -> None:
    """Refuse exports that would break the contract servers and the explainer rely on."""
    expected_input = (None, *image_size, 3)
    if tuple(model.input_shape) != expected_input:
        raise ValueError(f"model input {model.input_shape} is not {expected_input}")
    if tuple(model.output_shape) != (None, len(labels)):
        raise ValueError(f"model output {model.output_shape} does not fit {len(labels)} labels")
    model.get_layer(gradcam_layer)  # raises ValueError when the layer is not top-level


def _write_evaluation(folder: Path, evaluation: dict[str, Any]) -> None:
    """The report twice: JSON for programs, Markdown for people."""
    (folder / EVALUATION_FILE).write_text(json.dumps(evaluation, indent=2), encoding="utf-8")
    markdown = evaluation_report.render_markdown(evaluation)
    (folder / EVALUATION_MARKDOWN).write_text(markdown, encoding="utf-8")


def _publish(staging: Path, model_root: Path, metadata: dict[str, Any]) -> Path:
    """Rename the staging folder to the next free version number, retrying if one is taken."""
    for _ in range(RENAME_ATTEMPTS):
        version = next_version(model_root.parent, model_root.name)
        stamped = {**metadata, "version": version, "created": datetime.now(UTC).isoformat()}
        (staging / METADATA_FILE).write_text(json.dumps(stamped, indent=2), encoding="utf-8")
        target = model_root / str(version)
        try:
            # os.rename is atomic on one file system and fails if the target folder exists
            # and is not empty, i.e. when another export took this number first.
            os.rename(staging, target)
        except OSError:
            if target.is_dir():
                continue
            raise
        return target
    raise RuntimeError(f"could not claim a version folder under {model_root}")
