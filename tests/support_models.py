"""Model-service test fixtures (a tiny exported model, tiny catalogs), importable from any test."""

from __future__ import annotations

import io
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from PIL import Image, ImageDraw

from cargame.domain.catalog import Catalog, CatalogImage, assign_splits, make_label

if TYPE_CHECKING:
    from model_service.training.models import BuiltModel

TINY_LABELS = ("Acme/Alpha", "Acme/Beta", "Zeta/Gamma")
TINY_SIZE = (32, 32)
# One colour per tiny label: the tiny model learns colour -> class within a few epochs.
TINY_COLOURS = {
    "Acme/Alpha": (220, 40, 40),
    "Acme/Beta": (40, 200, 40),
    "Zeta/Gamma": (40, 60, 220),
}

# Offline ImageNet weights (`KERAS_HOME`), for the tests that need a real pretrained backbone.
KERAS_MODELS = Path(os.environ.get("KERAS_HOME", "~/.keras")).expanduser() / "models"
IMAGENET_035 = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5"
SMALL_SIZE = (64, 96)  # fast, and still a few positions wide after the backbone's 32x downsampling


@dataclass(frozen=True)
class TinyExport:
    """Where the tiny test model was exported and what it knows."""

    models_dir: Path
    name: str
    version: int
    labels: tuple[str, ...]
    image_size: tuple[int, int]

    @property
    def version_dir(self) -> Path:
        return self.models_dir / self.name / str(self.version)


def shape_jpeg(
    colour: tuple[int, int, int], *, size: tuple[int, int] = (48, 40), seed: int = 0
) -> bytes:
    """A JPEG of a coloured ellipse on a noisy grey background (width, height = size)."""
    generator = random.Random(seed)
    noise = np.random.default_rng(seed).integers(90, 160, (size[1], size[0], 3), dtype=np.uint8)
    image = Image.fromarray(noise)
    width, height = size
    left, top = generator.randint(0, width // 4), generator.randint(0, height // 4)
    right = generator.randint(3 * width // 4, width - 1)
    bottom = generator.randint(3 * height // 4, height - 1)
    ImageDraw.Draw(image).ellipse((left, top, right, bottom), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def make_jpeg() -> Callable[..., bytes]:
    """The `shape_jpeg` helper: a JPEG of a coloured ellipse, any colour and size."""
    return shape_jpeg


@pytest.fixture(scope="session")
def colour_jpeg() -> Callable[[str, int], bytes]:
    """Make a JPEG the tiny model should classify as the given label."""
    return lambda label, seed=0: shape_jpeg(TINY_COLOURS[label], seed=seed)


def build_shapes_catalog(root: Path, per_class: dict[str, int], *, seed: int = 1) -> Catalog:
    """A catalog of coloured-shape photos with stratified train/validation/game splits."""
    palette = [(220, 40, 40), (40, 200, 40), (40, 60, 220), (230, 200, 30), (200, 40, 200)]
    labels = [label for label, count in per_class.items() for _ in range(count)]
    splits = assign_splits(labels, seed=seed, validation_fraction=0.2, game_fraction=0.2)
    images = []
    for index, (label, split) in enumerate(zip(labels, splits, strict=True)):
        colour = palette[list(per_class).index(label) % len(palette)]
        image_id = f"{index:04d}{seed:04d}"
        (root / "images").mkdir(parents=True, exist_ok=True)
        (root / "images" / f"{image_id}.jpg").write_bytes(shape_jpeg(colour, seed=index))
        make, model = label.split("/")
        images.append(CatalogImage(image_id, f"images/{image_id}.jpg", make, model, split))
    catalog = Catalog(root, "shapes", images, report={"generator": "test-shapes"})
    catalog.save()
    return catalog


@pytest.fixture
def two_quick_heads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Head selection between the first two candidates, 20 epochs at most."""
    from model_service.training import heads

    monkeypatch.setattr(heads, "CANDIDATES", heads.CANDIDATES[:2])
    monkeypatch.setattr(heads, "HEAD_EPOCHS", 20)


@pytest.fixture
def gainful_fine_tuning(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real ImageNet weights, one weak frozen head and a quick, eager fine-tuning: so that on the
    shapes catalog fine-tuning gains on validation and is kept."""
    from model_service.training import fine_tune, heads

    # ImageNet weights: random ones shrink the maps towards 1e-10, which float16 rounds to 0.
    if not (KERAS_MODELS / IMAGENET_035).is_file():
        pytest.skip(f"no offline weights {IMAGENET_035} under $KERAS_HOME/models")
    monkeypatch.setattr(heads, "CANDIDATES", heads.CANDIDATES[:1])
    monkeypatch.setattr(heads, "HEAD_EPOCHS", 2)  # a weak frozen head, so fine-tuning can gain
    monkeypatch.setattr(fine_tune, "LEARNING_RATE", 1e-3)
    monkeypatch.setattr(fine_tune, "EPOCHS", 4)


@pytest.fixture(scope="session")
def shapes_catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """Three unbalanced classes of coloured shapes, 40 images in all."""
    counts = {make_label("Acme", "Alpha"): 18, "Acme/Beta": 12, "Zeta/Gamma": 10}
    return build_shapes_catalog(tmp_path_factory.mktemp("shapes-catalog"), counts)


def _train_tiny_model(image_size: tuple[int, int]) -> BuiltModel:
    """A tiny CNN fitted for a few epochs on coloured shapes (a couple of seconds)."""
    # TensorFlow is imported here, not at module level, so collecting tests that do not use
    # these fixtures stays fast.
    import keras
    import tensorflow as tf

    from model_service.training.models import build_small_cnn
    from model_service.training.preprocess import decode_and_resize

    keras.utils.set_random_seed(3)
    built = build_small_cnn(len(TINY_LABELS), image_size, filters=(8, 16), dropout=0.0)
    images, targets = [], []
    for index, label in enumerate(TINY_LABELS):
        for seed in range(8):
            encoded = tf.constant(shape_jpeg(TINY_COLOURS[label], seed=seed))
            images.append(decode_and_resize(encoded, image_size))
            targets.append(index)
    built.model.compile(
        optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy"
    )
    built.model.fit(tf.stack(images), np.array(targets), epochs=15, batch_size=8, verbose=0)
    return built


@pytest.fixture(scope="session")
def tiny_export(tmp_path_factory: pytest.TempPathFactory) -> TinyExport:
    """A tiny 32x32 three-class model exported once per session in the TF Serving layout."""
    from model_service.training.export import export_model

    built = _train_tiny_model(TINY_SIZE)
    models_dir = tmp_path_factory.mktemp("models")
    version_dir = export_model(
        built.model,
        list(TINY_LABELS),
        models_dir,
        "tiny",
        image_size=TINY_SIZE,
        gradcam_layer=built.gradcam_layer,
        backbone=built.backbone,
        catalog_name="tiny-shapes",
    )
    return TinyExport(models_dir, "tiny", int(version_dir.name), TINY_LABELS, TINY_SIZE)
