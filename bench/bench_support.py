"""Helpers shared by the benchmark scripts (run as `python bench/<script>.py`).

Importing this module puts tests/ on `sys.path`, so the scripts use the test suite's fake model
services (`doubles`) and browser steps (`browser`) instead of copies; import it first.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

TESTS_DIR = Path(__file__).resolve().parents[1] / "tests"
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))  # as pytest does with `pythonpath = ["tests"]`

PHOTO_SIZE = (640, 480)  # a typical web photo of a car, like the Car Connection pictures


def make_photo(rng: np.random.Generator) -> bytes:
    """A photo-like 640x480 JPEG (gradients, shapes, fine noise; quality 90, ~50 kB)."""
    width, height = PHOTO_SIZE
    ramp = np.linspace(0, 1, width)[None, :, None] * rng.uniform(40, 200, 3)
    base = np.broadcast_to(ramp, (height, width, 3)) + rng.normal(0, 18, (height, width, 3))
    image = Image.fromarray(np.uint8(np.clip(base, 0, 255))).filter(ImageFilter.GaussianBlur(1))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = int(rng.integers(0, width - 80)), int(rng.integers(0, height - 60))
        colour = tuple(int(value) for value in rng.integers(0, 255, 3))
        draw.ellipse((x, y, x + int(rng.integers(20, 200)), y + int(rng.integers(20, 150))), colour)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def photo_for_seed(seed: int) -> bytes:
    """`make_photo` from its own seed."""
    return make_photo(np.random.default_rng(seed))
