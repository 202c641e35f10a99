"""Helpers shared by the benchmark scripts (run as `python bench/<script>.py`).

Importing this module puts tests/ on `sys.path`, so the scripts use the test suite's fake model
services (`doubles`) and browser steps (`browser`) instead of copies; import it first.
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import waitress
from PIL import Image, ImageDraw, ImageFilter

from cargame.domain.catalog import make_label

TESTS_DIR = Path(__file__).resolve().parents[1] / "tests"
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))  # as pytest does with `pythonpath = ["tests"]`

PHOTO_SIZE = (640, 480)  # a typical web photo of a car, like the Car Connection pictures
# A garage like the demo one: 12 models of 4 makes.
CARS = [
    (make, model)
    for make, models in {
        "Audi": ("A4", "Q5", "TT"),
        "BMW": ("X5", "i3", "M3"),
        "Volvo": ("XC90", "V60", "S60"),
        "Skoda": ("Octavia", "Fabia", "Kodiaq"),
    }.items()
    for model in models
]
LABELS = [make_label(make, model) for make, model in CARS]


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


def write_section(readme: Path, section: str, text: str) -> None:
    """Replace (or append) a benchmark's section of `readme`; other sections stay as they are."""
    existing = readme.read_text(encoding="utf-8") if readme.exists() else "# Benchmarks\n"
    start = existing.find(section)
    if start == -1:
        updated = existing.rstrip("\n") + "\n\n" + text
    else:
        end = existing.find("\n## ", start + len(section))
        tail = "" if end == -1 else "\n" + existing[end:]
        updated = existing[:start] + text + tail
    readme.write_text(updated, encoding="utf-8")


@contextmanager
def serve_app(wsgi_app: Any, threads: int = 8) -> Iterator[str]:
    """waitress on a free port in a thread, as `cargame web` serves the app: its base URL."""
    server = waitress.create_server(wsgi_app, host="127.0.0.1", port=0, threads=threads)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
