"""Training data: which catalog images train the model, class weights, and the tf.data pipelines.

Every image goes through `preprocess.decode_and_resize`, the function the serving signature and
the explainer use. Augmentation happens on the training split only, in the pipeline, never in the
exported model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import keras
import tensorflow as tf

from cargame.domain.catalog import Catalog, CatalogImage
from model_service.training.preprocess import ViewSize, load_image

TRAIN_SPLIT = "train"
VALIDATION_SPLIT = "validation"
GAME_SPLIT = "game"  # photos the AI plays on: never used for training or early stopping
MIN_CROP = 0.75  # random crops keep at least 75% of each side: the car stays recognisable
MAX_BRIGHTNESS_DELTA = 0.15 * 255.0
CONTRAST_RANGE = (0.75, 1.3)


def training_items(catalog: Catalog) -> list[CatalogImage]:
    """The images the model learns from: the train split only."""
    return catalog.split(TRAIN_SPLIT)


def validation_items(catalog: Catalog) -> list[CatalogImage]:
    """The images that steer early stopping: the validation split only."""
    return catalog.split(VALIDATION_SPLIT)


def class_weights(item_labels: Sequence[str], classes: Sequence[str]) -> dict[int, float]:
    """Balanced weights (total / (classes present * count)): rare classes weigh more.

    A class with no training items gets weight 1.0; it never occurs in a batch anyway.
    """
    counts = Counter(item_labels)
    present = [label for label in classes if counts[label]]
    total = sum(counts[label] for label in present)
    return {
        index: total / (len(present) * counts[label]) if counts[label] else 1.0
        for index, label in enumerate(classes)
    }


def label_indices(items: Sequence[CatalogImage], classes: Sequence[str]) -> list[int]:
    """The class index of each item, in the model's class order."""
    position = {label: index for index, label in enumerate(classes)}
    return [position[item.label] for item in items]


def _paths_and_labels(
    catalog: Catalog, items: Sequence[CatalogImage], classes: Sequence[str]
) -> tf.data.Dataset:
    paths = [str(catalog.path(item)) for item in items]
    return tf.data.Dataset.from_tensor_slices((paths, label_indices(items, classes)))


def evaluation_dataset(
    catalog: Catalog,
    items: Sequence[CatalogImage],
    classes: Sequence[str],
    image_size: tuple[int, int],
    batch_size: int,
    view_size: ViewSize = None,
) -> tf.data.Dataset:
    """Batches of (image, class index) exactly as the serving signature would see the photos
    (at a weaker level's `view_size` when one is given)."""

    def load(path: tf.Tensor, label: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        return load_image(path, image_size, view_size), label

    dataset = _paths_and_labels(catalog, items, classes)
    dataset = dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.cache().batch(batch_size).prefetch(tf.data.AUTOTUNE)


def decoded_dataset(
    catalog: Catalog,
    items: Sequence[CatalogImage],
    classes: Sequence[str],
    image_size: tuple[int, int],
) -> tf.data.Dataset:
    """(uint8 image, class index) at the model's input size, decoded on the first pass and then
    kept in memory: later epochs, and every pipeline built on it, do no JPEG work."""

    def load(path: tf.Tensor, label: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        # uint8 quarters the memory; the rounding is far below the augmentation noise.
        return tf.cast(tf.round(load_image(path, image_size)), tf.uint8), label

    dataset = _paths_and_labels(catalog, items, classes)
    return dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE).cache()


def training_dataset(
    images: tf.data.Dataset,
    output_size: tuple[int, int],
    *,
    batch_size: int,
    seed: int,
) -> tf.data.Dataset:
    """Shuffled, augmented batches of (image, class index) from `decoded_dataset`, at
    `output_size`; shuffled and augmented anew every epoch, reproducibly for the seed."""
    count = int(images.cardinality())
    dataset = images.shuffle(count, seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)

    def augmented(
        pair: tuple[tf.Tensor, tf.Tensor], batch_seed: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor]:
        return augment_batch(pair[0], batch_seed, output_size), pair[1]

    dataset = tf.data.Dataset.zip((dataset, seeds))
    dataset = dataset.map(augmented, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def augment_batch(images: tf.Tensor, seed: tf.Tensor, output_size: tuple[int, int]) -> tf.Tensor:
    """Per photo: random flip, crop-and-zoom, brightness and contrast, then resized to
    `output_size`; uint8 or float [N, H, W, 3] in, float32 0..255 out.

    One affine transform per batch does every photo's flip and crop, which is cheaper on two
    cores than a map over single photos."""
    images = tf.cast(images, tf.float32)
    count = tf.shape(images)[0]
    height, width = images.shape[1], images.shape[2]
    flip_seed, scale_seed, x_seed, y_seed, brightness_seed, contrast_seed = tf.unstack(
        tf.random.experimental.stateless_split(seed, 6)
    )
    scale = tf.random.stateless_uniform([count], scale_seed, MIN_CROP, 1.0)
    left = tf.random.stateless_uniform([count], x_seed) * (1.0 - scale) * (width - 1)
    top = tf.random.stateless_uniform([count], y_seed) * (1.0 - scale) * (height - 1)
    flip = tf.random.stateless_uniform([count], flip_seed) < 0.5
    # Output pixel (x, y) reads input (x_scale * x + x_offset, scale * y + top): a crop of
    # `scale` of each side, zoomed back to full size, read right to left when flipped.
    x_scale = tf.where(flip, -scale, scale)
    x_offset = tf.where(flip, left + scale * (width - 1), left)
    zeros = tf.zeros_like(scale)
    transform = tf.stack([x_scale, zeros, x_offset, zeros, scale, top, zeros, zeros], axis=1)
    images = keras.ops.image.affine_transform(images, transform, fill_mode="nearest")
    if (height, width) != tuple(output_size):
        images = tf.image.resize(images, output_size, antialias=True)
    shape = [count, 1, 1, 1]
    brightness = tf.random.stateless_uniform(
        shape, brightness_seed, -MAX_BRIGHTNESS_DELTA, MAX_BRIGHTNESS_DELTA
    )
    contrast = tf.random.stateless_uniform(shape, contrast_seed, *CONTRAST_RANGE)
    mean = tf.reduce_mean(images, axis=[1, 2], keepdims=True)
    # tf.image's brightness then contrast: a shift, then a stretch about the (shifted) mean.
    images = (images - mean) * contrast + mean + brightness
    return tf.clip_by_value(images, 0.0, 255.0)
