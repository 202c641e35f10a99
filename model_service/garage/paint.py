"""Drawing projected car parts with Pillow, keeping track of the car's bounding box."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from model_service.garage.geometry import Camera, CarBody

Colour = tuple[int, int, int]
BoundingBox = tuple[int, int, int, int]


@dataclass(frozen=True)
class CarLook:
    """How one photo shows a car: paint, second colour, light and wheel rotation."""

    paint: Colour
    accent: Colour
    light: tuple[float, float, float]  # unit direction towards the light, car coordinates
    wheel_turn: float  # radians


def shade(colour: Colour, factor: float) -> Colour:
    """A colour made lighter (factor > 1) or darker (factor < 1)."""
    return (
        min(255, round(colour[0] * factor)),
        min(255, round(colour[1] * factor)),
        min(255, round(colour[2] * factor)),
    )


def mix(first: Colour, second: Colour, amount: float) -> Colour:
    """`amount` of the way from the first colour to the second."""
    return (
        round(first[0] + (second[0] - first[0]) * amount),
        round(first[1] + (second[1] - first[1]) * amount),
        round(first[2] + (second[2] - first[2]) * amount),
    )


def vertical_gradient(height: int, width: int, stops: list[tuple[float, Colour]]) -> Image.Image:
    """An RGB image whose rows run through colour stops placed at fractions of its height."""
    rows = np.linspace(0.0, 1.0, max(height, 1))
    positions = [position for position, _ in stops]
    channels = [
        np.interp(rows, positions, [colour[channel] for _, colour in stops]) for channel in range(3)
    ]
    column = np.stack(channels, axis=1).astype(np.uint8)[:, None, :]
    return Image.fromarray(np.ascontiguousarray(np.broadcast_to(column, (height, width, 3))))


class Painter:
    """Projects 3-D car parts through the camera onto an image and tracks what was drawn."""

    def __init__(self, image: Image.Image, camera: Camera, body: CarBody) -> None:
        self.image = image
        self.draw = ImageDraw.Draw(image)
        self.camera = camera
        self.body = body
        self.low = [math.inf, math.inf]
        self.high = [-math.inf, -math.inf]

    def pixels(self, points: np.ndarray, margin: float = 0.0) -> list[tuple[float, float]]:
        """Project points and grow the drawn extent by them (plus a margin, for thick lines)."""
        projected = self.camera.project(points)
        low, high = projected.min(axis=0) - margin, projected.max(axis=0) + margin
        self.low = [min(self.low[0], low[0]), min(self.low[1], low[1])]
        self.high = [max(self.high[0], high[0]), max(self.high[1], high[1])]
        return [(float(x), float(y)) for x, y in projected]

    def polygon(self, points: np.ndarray, fill: Colour, outline: Colour | None = None) -> None:
        self.draw.polygon(self.pixels(points), fill=fill, outline=outline)

    def line(self, points: np.ndarray, fill: Colour, width: float, closed: bool = False) -> None:
        width = max(1, round(width))
        pixels = self.pixels(points, width / 2)
        if closed:
            pixels.append(pixels[0])
        self.draw.line(pixels, fill=fill, width=width, joint="curve")

    def gradient_polygon(self, points: np.ndarray, stops: list[tuple[float, Colour]]) -> None:
        """Fill a polygon with a top-to-bottom gradient."""
        pixels = np.array(self.pixels(points))
        left, top = np.floor(pixels.min(axis=0)).astype(int)
        right, bottom = np.ceil(pixels.max(axis=0)).astype(int) + 1
        width, height = right - left, bottom - top
        if width <= 0 or height <= 0:
            return
        mask = Image.new("L", (width, height), 0)
        shifted = [(float(x - left), float(y - top)) for x, y in pixels]
        ImageDraw.Draw(mask).polygon(shifted, fill=255)
        self.image.paste(vertical_gradient(height, width, stops), (left, top), mask)

    def metres(self, length: float) -> float:
        """An on-screen width in pixels for a length in metres."""
        return self.camera.scale * length

    def bbox(self) -> BoundingBox:
        """The box around everything drawn, clipped to the image."""
        width, height = self.image.size
        return (
            max(0, math.floor(self.low[0])),
            max(0, math.floor(self.low[1])),
            min(width, math.ceil(self.high[0]) + 1),
            min(height, math.ceil(self.high[1]) + 1),
        )
