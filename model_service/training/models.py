"""Model builders: flat functional Keras models that take 0..255 pixels and output softmax.

Normalisation is a layer inside each model, so every caller feeds the output of
`preprocess.decode_and_resize` unchanged. Backbone layers sit in the top-level model (no nested
sub-model), so `model.get_layer(gradcam_layer)` works for Grad-CAM.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import keras

SMALL_CNN = "small-cnn"
MOBILENET_V2 = "mobilenet_v2"
SMALL_CNN_SIZE = (128, 128)
SMALL_CNN_STEM_FILTERS = 24
SMALL_CNN_FILTERS = (32, 64, 128, 192)  # ~80 M multiply-adds per 128 px image, ~30 M at 80 px
MOBILENET_SIZE = (224, 224)  # the input size the published ImageNet weights were trained at
# The convolutions load those weights at any input size. Tight car crops are about twice as wide
# as high: 224x416 (height x width) keeps their detail where 224x224 squeezed the width to half.
PRETRAINED_SIZE = (224, 416)
MOBILENET_ALPHA = 0.35  # 410k backbone parameters: trains on two CPU cores in minutes
MOBILENET_GRADCAM_LAYER = "out_relu"  # the activation of MobileNetV2's last convolution
# Fine-tuning trains this block and the later ones. On cars-60 (bench/README.md, Training):
# from block_15 validation top-1 87.7 %, from block_14 88.3 % for about the same time per epoch.
MOBILENET_FINE_TUNE_FROM = "block_14_expand"
MOBILENET_V1 = "mobilenet"  # MobileNet v1; `mobilenet_0.25` has offline weights here
EFFICIENTNET_B0 = "efficientnet_b0"
EFFICIENTNET_V2_B0 = "efficientnet_v2_b0"
PRETRAINED_EXAMPLES = ("mobilenet_v2", "mobilenet_v2_0.5", "mobilenet_0.25", EFFICIENTNET_B0,
                       EFFICIENTNET_V2_B0)  # fmt: skip
POOLED_LAYER = "avg_pool"  # the backbone's pooled features: what the feature cache stores
MIN_PRETRAINED_SIDE = 32  # the backbones downsample 32x: a smaller side leaves no feature map


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
    dropout: float = 0.1,
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


def resizable(model: keras.Model) -> keras.Model:
    """A copy of a fully convolutional model (own weights, copied) that takes any photo size."""
    inputs = keras.Input((None, None, model.input_shape[-1]), name=model.inputs[0].name)
    copy = keras.models.clone_model(model, input_tensors=inputs)
    copy.set_weights(model.get_weights())
    return copy


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
        raise FileNotFoundError(f"backbone weights file not found: {path}")
    return str(path)


@dataclass(frozen=True)
class HeadSpec:
    """The classifier on top of a backbone's pooled features, and how strongly it is regularised."""

    hidden: int = 0  # units of an optional ReLU layer before the softmax; 0: linear head
    dropout: float = 0.2
    l2: float = 0.0  # L2 penalty on the head's kernels

    def describe(self) -> str:
        """`linear, dropout 0.2, L2 1e-03` or `hidden 256, dropout 0.5, L2 0`."""
        shape = f"hidden {self.hidden}" if self.hidden else "linear"
        return f"{shape}, dropout {self.dropout:g}, L2 {self.l2:g}"


@dataclass(frozen=True)
class BackboneSpec:
    """A pretrained keras.applications backbone: builder, its preprocessing, its named layers."""

    name: str
    family: str
    alpha: float | None
    gradcam_layer: str
    fine_tune_from: str


# family: (Grad-CAM layer, first layer fine-tuning unfreezes)
_FAMILIES = {
    MOBILENET_V2: (MOBILENET_GRADCAM_LAYER, MOBILENET_FINE_TUNE_FROM),
    MOBILENET_V1: ("conv_pw_13_relu", "conv_dw_12"),
    EFFICIENTNET_B0: ("top_activation", "block7a_expand_conv"),
    EFFICIENTNET_V2_B0: ("top_activation", "block6h_expand_conv"),
}


def backbone_spec(name: str) -> BackboneSpec:
    """Parse `mobilenet_v2` (alpha 0.35), `mobilenet_v2_0.5`, `mobilenet_0.25`, `efficientnet_b0`,
    `efficientnet_v2_b0`; raises ValueError for anything else."""
    for family in (EFFICIENTNET_V2_B0, EFFICIENTNET_B0, MOBILENET_V2, MOBILENET_V1):
        if name == family or name.startswith(f"{family}_"):
            suffix = name[len(family) + 1 :]
            alpha: float | None = None
            if family in (MOBILENET_V2, MOBILENET_V1):
                default = MOBILENET_ALPHA if family == MOBILENET_V2 else 1.0
                try:
                    alpha = float(suffix) if suffix else default
                except ValueError:
                    break
            elif suffix:
                break
            gradcam_layer, fine_tune_from = _FAMILIES[family]
            return BackboneSpec(name, family, alpha, gradcam_layer, fine_tune_from)
    choices = f"{SMALL_CNN}, {', '.join(PRETRAINED_EXAMPLES)}"
    raise ValueError(f"unknown backbone {name!r}; choose one of {choices}")


def parse_image_size(text: str) -> tuple[int, int]:
    """`224x416` (height x width) or `320` (square) as (height, width); ValueError otherwise."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:[xX]\s*(\d+)\s*)?", str(text))
    if not match:
        raise ValueError(f"image size {text!r}: give HEIGHTxWIDTH (e.g. 224x416) or one side")
    height = int(match.group(1))
    width = int(match.group(2) or height)
    if min(height, width) < MIN_PRETRAINED_SIDE:
        raise ValueError(f"image size {text!r}: each side needs at least {MIN_PRETRAINED_SIDE} px")
    return height, width


def _backbone_layers(
    spec: BackboneSpec, inputs: keras.KerasTensor, weights: str | None
) -> keras.Model:
    """The backbone built onto `inputs` (0..255 pixels), with its own preprocessing first."""
    with warnings.catch_warnings():
        # keras.applications warns that it loads the 224x224 weights at any other input size:
        # intended here (the weights are those of convolutions; see PRETRAINED_SIZE).
        warnings.filterwarnings("ignore", message=".*will be loaded as the default")
        return _backbone_builder(spec, inputs, weights)


def _backbone_builder(
    spec: BackboneSpec, inputs: keras.KerasTensor, weights: str | None
) -> keras.Model:
    """`_backbone_layers` without the warning filter."""
    shape = tuple(inputs.shape[1:])
    if spec.family == EFFICIENTNET_B0:
        # EfficientNets rescale and normalise 0..255 pixels themselves, inside the model.
        return keras.applications.EfficientNetB0(
            input_shape=shape, input_tensor=inputs, include_top=False, weights=weights
        )
    if spec.family == EFFICIENTNET_V2_B0:
        return keras.applications.EfficientNetV2B0(
            input_shape=shape,
            input_tensor=inputs,
            include_top=False,
            weights=weights,
            include_preprocessing=True,
        )
    # The same mapping as mobilenet(_v2).preprocess_input (0..255 to -1..1), as a saveable layer.
    x = keras.layers.Rescaling(1.0 / 127.5, offset=-1.0, name=f"{spec.family}_preprocess")(inputs)
    builder = (
        keras.applications.MobileNetV2
        if spec.family == MOBILENET_V2
        else keras.applications.MobileNet
    )
    return builder(
        input_shape=shape, input_tensor=x, include_top=False, weights=weights, alpha=spec.alpha
    )


def add_head(features: keras.KerasTensor, num_classes: int, head: HeadSpec) -> keras.KerasTensor:
    """Dropout, an optional hidden layer, softmax: the same layer names on features or backbone."""
    regularizer = keras.regularizers.L2(head.l2) if head.l2 else None
    x = keras.layers.Dropout(head.dropout, name="dropout")(features)
    if head.hidden:
        x = keras.layers.Dense(
            head.hidden, activation="relu", kernel_regularizer=regularizer, name="head_hidden"
        )(x)
    return keras.layers.Dense(
        num_classes, activation="softmax", kernel_regularizer=regularizer, name="predictions"
    )(x)


def build_pretrained(
    backbone: str,
    num_classes: int,
    *,
    weights: str = "imagenet",
    image_size: tuple[int, int] = PRETRAINED_SIZE,
    head: HeadSpec = HeadSpec(),
) -> BuiltModel:
    """Transfer learning: a frozen pretrained backbone, global average pooling, a new head."""
    spec = backbone_spec(backbone)
    inputs = keras.Input((*image_size, 3), name="image")
    network = _backbone_layers(spec, inputs, resolve_weights(weights))
    for layer in network.layers:
        layer.trainable = False
    pooled = keras.layers.GlobalAveragePooling2D(name=POOLED_LAYER)(network.output)
    outputs = add_head(pooled, num_classes, head)
    model = keras.Model(inputs, outputs, name=f"{spec.family}_cars")
    return BuiltModel(model, backbone, tuple(image_size), spec.gradcam_layer)


def build_mobilenet_v2(
    num_classes: int,
    *,
    weights: str = "imagenet",
    alpha: float = MOBILENET_ALPHA,
    image_size: tuple[int, int] = MOBILENET_SIZE,
    dropout: float = 0.2,
) -> BuiltModel:
    """Transfer learning: a frozen MobileNetV2 backbone under a new softmax head."""
    name = MOBILENET_V2 if alpha == MOBILENET_ALPHA else f"{MOBILENET_V2}_{alpha:g}"
    return build_pretrained(
        name, num_classes, weights=weights, image_size=image_size, head=HeadSpec(dropout=dropout)
    )


def feature_model(model: keras.Model, cut_layer: str | None = None) -> keras.Model:
    """The backbone of a built pretrained model, up to its pooled features (shares the layers);
    with `cut_layer`, also the maps that layer takes in: outputs [pooled, maps]."""
    pooled = model.get_layer(POOLED_LAYER).output
    if cut_layer is None:
        return keras.Model(model.input, pooled)
    return keras.Model(model.input, [pooled, model.get_layer(cut_layer).input])


def with_head(model: keras.Model, num_classes: int, head: HeadSpec) -> keras.Model:
    """The same backbone (shared layers) under a freshly built head."""
    outputs = add_head(model.get_layer(POOLED_LAYER).output, num_classes, head)
    # One input tensor, not a list of one: callers pass a bare batch, as to the built model.
    return keras.Model(model.input, outputs, name=model.name)


def split_at(model: keras.Model, cut_layer: str) -> tuple[keras.Model, keras.Model]:
    """The model cut where `cut_layer` takes its input: (photos -> maps, maps -> probabilities).

    Both halves share the model's layers, so training the top trains the model itself. The cut
    must be one tensor that every later layer depends on through (as at the start of a
    MobileNetV2 block: its residual add takes the same tensor)."""
    maps = model.get_layer(cut_layer).input
    return keras.Model(model.input, maps), keras.Model(maps, model.output, name="top")


def unfreeze(top: keras.Model) -> list[keras.layers.Layer]:
    """Make every layer of `top` with weights trainable except BatchNorm (which stays frozen,
    so it also keeps running in inference mode); the layers unfrozen."""
    unfrozen = []
    for layer in top.layers:
        if layer.weights and not isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = True
            unfrozen.append(layer)
    return unfrozen


def build_model(
    backbone: str,
    num_classes: int,
    *,
    weights: str = "imagenet",
    image_size: tuple[int, int] | None = None,
) -> BuiltModel:
    """A model for a named backbone: `small-cnn` or a pretrained one (see `backbone_spec`).

    `image_size` is a pretrained backbone's input (default `PRETRAINED_SIZE`); the small CNN
    keeps its own."""
    if backbone == SMALL_CNN:
        return build_small_cnn(num_classes)
    return build_pretrained(
        backbone, num_classes, weights=weights, image_size=image_size or PRETRAINED_SIZE
    )


def is_pretrained(backbone: str) -> bool:
    """Whether the backbone is a pretrained keras.applications network (not the small CNN)."""
    return backbone != SMALL_CNN
