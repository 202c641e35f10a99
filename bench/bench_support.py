"""Helpers shared by the benchmark scripts (run as `python bench/<script>.py`)."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from aiohttp import web
from PIL import Image, ImageDraw, ImageFilter

PHOTO_SIZE = (640, 480)  # a typical web photo of a car, like the Car Connection pictures


@contextmanager
def serve_in_thread(app: web.Application) -> Iterator[str]:
    """Run an aiohttp app on a free port in a background event loop; yield its base URL."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runner = web.AppRunner(app)

    async def start() -> str:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    try:
        yield asyncio.run_coroutine_threadsafe(start(), loop).result()
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


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
