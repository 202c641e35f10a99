"""Training data: which catalog images train the model, class weights, and the tf.data pipelines.

Every image goes through `preprocess.decode_and_resize`, the function the serving signature and
the explainer use. Augmentation happens on the training split only, in the pipeline, never in the
exported model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

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


def training_dataset(
    catalog: Catalog,
    items: Sequence[CatalogImage],
    classes: Sequence[str],
    image_size: tuple[int, int],
    *,
    batch_size: int,
    seed: int,
) -> tf.data.Dataset:
    """Shuffled, augmented batches of (image, class index); reshuffled every epoch."""

    def load(path: tf.Tensor, label: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        # Cached as uint8 to quarter the memory; rounding is far below the augmentation noise.
        image = tf.cast(tf.round(load_image(path, image_size)), tf.uint8)
        return image, label

    dataset = _paths_and_labels(catalog, items, classes)
    dataset = dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE).cache()
    dataset = dataset.shuffle(len(items), seed=seed, reshuffle_each_iteration=True)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)

    def augmented(
        pair: tuple[tf.Tensor, tf.Tensor], pair_seed: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor]:
        return augment(pair[0], pair_seed), pair[1]

    dataset = tf.data.Dataset.zip((dataset, seeds))
    dataset = dataset.map(augmented, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def augment(image: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Random flip, crop-and-zoom, brightness and contrast; float32 0..255 in and out."""
    flip_seed, scale_seed, crop_seed, brightness_seed, contrast_seed = tf.unstack(
        tf.random.experimental.stateless_split(seed, 5)
    )
    image = tf.cast(image, tf.float32)
    height, width = image.shape[0], image.shape[1]
    image = tf.image.stateless_random_flip_left_right(image, flip_seed)
    scale = tf.random.stateless_uniform([], scale_seed, MIN_CROP, 1.0)
    crop_size = tf.cast(tf.round(scale * [height, width]), tf.int32)
    image = tf.image.stateless_random_crop(image, tf.concat([crop_size, [3]], 0), crop_seed)
    image = tf.image.resize(image, [height, width])
    image = tf.image.stateless_random_brightness(image, MAX_BRIGHTNESS_DELTA, brightness_seed)
    image = tf.image.stateless_random_contrast(image, *CONTRAST_RANGE, contrast_seed)
    return tf.clip_by_value(image, 0.0, 255.0)
