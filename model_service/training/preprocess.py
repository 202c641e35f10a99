"""The one image preprocessing step: encoded bytes to a resized float32 RGB tensor.

The serving signature, training's tf.data pipeline and the explainer all call these functions, so
a photo is decoded and resized the same way everywhere. Normalisation (e.g. to -1..1) is not done
here: it is a layer inside the model, so the model itself takes 0..255 pixels.

A weaker opponent level has a `view_size`: the photo is shrunk to it first and then scaled up to
the model's input size, so the same network sees less detail (the framing stays the same).
"""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf

# Antialiasing matters when large photos shrink to model size: without it, fine edges alias and
# the model sees a different texture than it was trained on.
ANTIALIAS = True

ViewSize = tuple[int, int] | None  # (height, width) a weaker level shrinks photos to; None: full


def decode_and_resize(
    image_bytes: tf.Tensor, image_size: tuple[int, int], view_size: ViewSize = None
) -> tf.Tensor:
    """Decode one encoded image (scalar string) into float32 [H, W, 3] with values 0..255."""
    image = tf.io.decode_image(image_bytes, channels=3, expand_animations=False)
    image = tf.ensure_shape(image, [None, None, 3])
    height, width = image_size
    if view_size is not None and tuple(view_size) != tuple(image_size):
        small = tf.image.resize(image, list(view_size), antialias=ANTIALIAS)
        # Scaling up needs no antialiasing; bilinear keeps it smooth, as a blurry photo is.
        resized = tf.image.resize(small, [height, width])
    else:
        resized = tf.image.resize(image, [height, width], antialias=ANTIALIAS)
    # Antialiased resampling can overshoot slightly past the input range.
    return tf.clip_by_value(resized, 0.0, 255.0)


def decode_and_resize_batch(
    image_bytes: tf.Tensor, image_size: tuple[int, int], view_size: ViewSize = None
) -> tf.Tensor:
    """Decode a batch of encoded images ([N] strings) into float32 [N, H, W, 3], values 0..255."""
    height, width = image_size

    def one_image(encoded: tf.Tensor) -> tf.Tensor:
        return decode_and_resize(encoded, image_size, view_size)

    return tf.map_fn(
        one_image,
        image_bytes,
        fn_output_signature=tf.TensorSpec([height, width, 3], tf.float32),
    )


def load_image(
    path: Path | str | tf.Tensor, image_size: tuple[int, int], view_size: ViewSize = None
) -> tf.Tensor:
    """Read an image file and preprocess it with `decode_and_resize`."""
    return decode_and_resize(
        tf.io.read_file(path if isinstance(path, tf.Tensor) else str(path)), image_size, view_size
    )
