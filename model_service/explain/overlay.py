"""The heatmap as people see it: a viridis overlay PNG on the photo, and a small grid.

No TensorFlow here (Pillow and OpenCV only), so benchmarks and tools can draw the same picture.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

# Perceptually uniform and readable without colour vision (ARCHITECTURE.md: never jet/red-green).
COLORMAP = cv2.COLORMAP_VIRIDIS
# Opacity of the colour layer where attention is 0 and 1: the photo stays visible in cold areas.
ALPHA_RANGE = (0.15, 0.6)
# The heatmap grid sent as JSON is at most this many cells a side (the conv grid, area-averaged).
GRID_MAX_SIDE = 14
# The overlay PNG's longest side: the result page shows it at most ~560 px wide.
DISPLAY_MAX_SIDE = 560


def heatmap_grid(heatmap: np.ndarray, max_side: int = GRID_MAX_SIDE) -> np.ndarray:
    """The heatmap at conv-grid resolution, area-averaged down when the grid is large."""
    height, width = heatmap.shape
    scale = max_side / max(height, width)
    if scale >= 1:
        return heatmap
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(heatmap, size, interpolation=cv2.INTER_AREA)


def display_photo(image_bytes: bytes, max_side: int = DISPLAY_MAX_SIDE) -> np.ndarray:
    """The photo at its own aspect ratio (not the model's square input), for the overlay.

    The model stretches the photo to its input size, so stretching the heatmap back onto the
    original proportions puts every cell over the same part of the car.
    """
    with Image.open(io.BytesIO(image_bytes)) as image:
        photo = image.convert("RGB")
    photo.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return np.asarray(photo)


def render_overlay(photo: np.ndarray, heatmap: np.ndarray) -> bytes:
    """PNG of the photo (H x W x 3, 0..255 RGB) with the viridis heatmap blended over it."""
    height, width = photo.shape[:2]
    heat = cv2.resize(heatmap.astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC)
    heat = np.clip(heat, 0.0, 1.0)
    colour_bgr = cv2.applyColorMap(np.uint8(np.round(heat * 255)), COLORMAP)
    colour = cv2.cvtColor(colour_bgr, cv2.COLOR_BGR2RGB).astype(np.float32)
    low, high = ALPHA_RANGE
    alpha = (low + (high - low) * heat)[..., None]
    blended = (1.0 - alpha) * np.clip(photo, 0, 255).astype(np.float32) + alpha * colour
    rgb = np.uint8(np.round(blended))
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError("PNG encoding failed")
    return encoded.tobytes()
