"""Normalise one photo for the catalog: upright, 8-bit RGB, capped in size, re-encoded as JPEG.

Pure Pillow + numpy. Every problem with a file becomes `ImageRejected` with a reason a person can
act on; no global Pillow setting (`LOAD_TRUNCATED_IMAGES`, `MAX_IMAGE_PIXELS`) is changed.
"""

from __future__ import annotations

import io
import struct
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# File name endings taken for photos; anything else in a source folder is ignored and reported.
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
MAX_SIDE = 1024  # longest stored side: the model sees 224 px, the game shows ~800 px
MAX_PIXELS = 40_000_000  # decompression-bomb guard: a 40-megapixel photo is plenty
JPEG_QUALITY = 92  # visually lossless for photos, about a third of the size of quality 100
BACKGROUND = (255, 255, 255)  # transparent areas are composited on white
SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})
ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})


class ImageRejected(ValueError):
    """The file cannot become a catalog image; the message says why."""


def is_image_name(name: str) -> bool:
    """Whether a file name has one of the photo endings (case-insensitive)."""
    return any(name.lower().endswith(suffix) for suffix in IMAGE_SUFFIXES)


def normalise_image(
    data: bytes,
    *,
    max_side: int = MAX_SIDE,
    max_pixels: int = MAX_PIXELS,
    quality: int = JPEG_QUALITY,
) -> bytes:
    """Encoded photo bytes in, normalised JPEG bytes out; raises `ImageRejected`."""
    if not data:
        raise ImageRejected("empty file (0 bytes)")
    image = _open_guarded(data, max_pixels)
    try:
        image.draft(image.mode, (max_side, max_side))  # JPEG only: decode at a reduced scale
        image.load()  # decode here, so every decoding error is turned into a reason
        image = ImageOps.exif_transpose(image)
        image = to_rgb(image)
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    except Image.DecompressionBombError as error:
        raise ImageRejected(f"decompression bomb: {error}") from error
    except OSError as error:
        # Pillow reports a cut-off file as "image file is truncated (N bytes not processed)".
        raise ImageRejected(f"cannot decode: {error}") from error
    except (ValueError, SyntaxError, struct.error) as error:
        # Corrupt data deep in a file, or a mode Pillow cannot convert (e.g. "LAB").
        raise ImageRejected(f"cannot decode: {error}") from error
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _open_guarded(data: bytes, max_pixels: int) -> Image.Image:
    """Open (header only) and refuse images over `max_pixels` before any pixel is decoded."""
    try:
        # Pillow only warns between its limit and twice its limit: make that a rejection too.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageRejected(f"decompression bomb: {error}") from error
    except UnidentifiedImageError as error:
        raise ImageRejected("not an image (Pillow cannot identify the format)") from error
    except (OSError, ValueError, SyntaxError, struct.error) as error:
        raise ImageRejected(f"corrupt image header: {error}") from error
    width, height = image.size
    if width * height > max_pixels:
        raise ImageRejected(
            f"decompression bomb: {width}x{height} = {width * height} pixels "
            f"exceeds the limit of {max_pixels}"
        )
    if width == 0 or height == 0:
        raise ImageRejected(f"empty image ({width}x{height})")
    return image


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode as 8-bit RGB: alpha on white, 16/32-bit scaled down, CMYK and palettes."""
    if image.mode in SIXTEEN_BIT_MODES or image.mode in {"I", "F"}:
        image = high_depth_to_gray(image)
    if image.mode in ALPHA_MODES or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*BACKGROUND, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image if image.mode == "RGB" else image.convert("RGB")


def high_depth_to_gray(image: Image.Image) -> Image.Image:
    """A 16-bit, 32-bit integer or float grayscale image as 8-bit "L", scaled, never clipped."""
    values = np.asarray(image).astype(np.float64)
    low, high = float(values.min()), float(values.max())
    if image.mode in SIXTEEN_BIT_MODES or (image.mode == "I" and low >= 0 and high <= 65535):
        scaled = values / 257.0  # 65535 / 257 = 255: the full 16-bit range onto 8 bits
    elif high > low:
        scaled = (values - low) * (255.0 / (high - low))  # unknown range: stretch min..max
    else:
        scaled = np.zeros_like(values)
    return Image.fromarray(np.rint(scaled).astype(np.uint8))
