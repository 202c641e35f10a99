"""Model builders: flat functional Keras models that take 0..255 pixels and output softmax.

Normalisation is a layer inside each model, so every caller feeds the output of
`preprocess.decode_and_resize` unchanged. Backbone layers sit in the top-level model (no nested
sub-model), so `model.get_layer(gradcam_layer)` works for Grad-CAM.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import keras

SMALL_CNN = "small-cnn"
MOBILENET_V2 = "mobilenet_v2"
BACKBONES = (SMALL_CNN, MOBILENET_V2)
SMALL_CNN_SIZE = (128, 128)
SMALL_CNN_STEM_FILTERS = 24
SMALL_CNN_FILTERS = (32, 64, 128, 192)  # ~80 M multiply-adds per 128 px image: ~5 s per epoch
MOBILENET_SIZE = (224, 224)  # the only input size with published ImageNet weights offline here
MOBILENET_ALPHA = 0.35  # 410k backbone parameters: trains on two CPU cores in minutes
MOBILENET_GRADCAM_LAYER = "out_relu"  # the activation of MobileNetV2's last convolution
MOBILENET_FINE_TUNE_FROM = "block_15_expand"  # fine-tuning unfreezes this block and later ones


@dataclass
class BuiltModel:
    """A freshly built model and what export needs to know about it."""

    model: keras.Model
    backbone: str
    image_size: tuple[int, int]
    gradcam_layer: str


def build_small_cnn(
    num_classes: int,
    image_size: tuple[int, int] = SMALL_CNN_SIZE,
    *,
    filters: Sequence[int] = SMALL_CNN_FILTERS,
    dropout: float = 0.3,
) -> BuiltModel:
    """A small from-scratch CNN: a strided stem, conv/BatchNorm/ReLU blocks, pooling, softmax."""
    inputs = keras.Input((*image_size, 3), name="image")
    x = keras.layers.Rescaling(1.0 / 255.0, name="rescale")(inputs)
    # The stride-2 stem halves the resolution first: most of the compute budget then goes to the
    # deeper blocks, which see the whole car silhouette.
    x = _conv_block(x, SMALL_CNN_STEM_FILTERS, "stem", strides=2)
    for block, width in enumerate(filters, start=1):
        if block > 1:
            x = keras.layers.MaxPooling2D(name=f"block{block}_pool")(x)
        x = _conv_block(x, width, f"block{block}")
    gradcam_layer = f"block{len(filters)}_relu"
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs, outputs, name="small_cnn")
    return BuiltModel(model, SMALL_CNN, tuple(image_size), gradcam_layer)


def _conv_block(x: keras.KerasTensor, width: int, name: str, strides: int = 1) -> keras.KerasTensor:
    """3x3 convolution, BatchNorm, ReLU (the ReLU is named `<name>_relu`)."""
    x = keras.layers.Conv2D(
        width, 3, strides=strides, padding="same", use_bias=False, name=f"{name}_conv"
    )(x)
    # momentum 0.9 (Keras default 0.99): with ~25 steps per epoch the moving statistics must
    # follow the weights within an epoch, or validation scores lag far behind training.
    x = keras.layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def resolve_weights(weights: str) -> str | None:
    """`imagenet`, `none` or a path to a weights file, as keras.applications expects it."""
    if weights.lower() == "none":
        return None
    if weights.lower() == "imagenet":
        return "imagenet"
    path = Path(weights).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"MobileNetV2 weights file not found: {path}")
    return str(path)


def build_mobilenet_v2(
    num_classes: int,
    *,
    weights: str = "imagenet",
    alpha: float = MOBILENET_ALPHA,
    image_size: tuple[int, int] = MOBILENET_SIZE,
    dropout: float = 0.2,
) -> BuiltModel:
    """Transfer learning: a frozen MobileNetV2 backbone under a new softmax head."""
    inputs = keras.Input((*image_size, 3), name="image")
    # The same mapping as mobilenet_v2.preprocess_input (0..255 to -1..1), as a saveable layer.
    x = keras.layers.Rescaling(1.0 / 127.5, offset=-1.0, name="mobilenet_v2_preprocess")(inputs)
    backbone = keras.applications.MobileNetV2(
        input_shape=(*image_size, 3),
        input_tensor=x,
        include_top=False,
        weights=resolve_weights(weights),
        alpha=alpha,
    )
    for layer in backbone.layers:
        layer.trainable = False
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(backbone.output)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs, outputs, name="mobilenet_v2_cars")
    return BuiltModel(model, MOBILENET_V2, tuple(image_size), MOBILENET_GRADCAM_LAYER)


def unfreeze_top(model: keras.Model, first_layer: str = MOBILENET_FINE_TUNE_FROM) -> int:
    """Make the backbone layers from `first_layer` on trainable (BatchNorm stays frozen)."""
    names = [layer.name for layer in model.layers]
    start = names.index(first_layer)
    count = 0
    for layer in model.layers[start:]:
        if not isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = True
            count += 1
    return count


def build_model(backbone: str, num_classes: int, *, weights: str = "imagenet") -> BuiltModel:
    """A model for a named backbone (`small-cnn` or `mobilenet_v2`)."""
    if backbone == SMALL_CNN:
        return build_small_cnn(num_classes)
    if backbone == MOBILENET_V2:
        return build_mobilenet_v2(num_classes, weights=weights)
    raise ValueError(f"unknown backbone {backbone!r}; choose one of {', '.join(BACKBONES)}")
