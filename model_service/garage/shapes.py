"""Flat outlines of the make-specific parts: lamps, badges, grilles (centred, in metres)."""

from __future__ import annotations

import math

import numpy as np

LAMP_SIZE = {  # (width, height) in metres on the front face
    "almond": (0.40, 0.15),
    "block": (0.34, 0.20),
    "slit": (0.48, 0.075),
    "round": (0.17, 0.17),
}
GRILLE_SIZE = {  # (width, height) in metres
    "oval": (0.56, 0.24),
    "bars": (0.0, 0.30),  # as wide as the space between the lamps
    "hex": (0.86, 0.22),
    "waterfall": (0.34, 0.36),
}


def ellipse(width: float, height: float, count: int = 24) -> np.ndarray:
    angles = np.linspace(0.0, 2 * math.pi, count, endpoint=False)
    return np.column_stack([width / 2 * np.cos(angles), height / 2 * np.sin(angles)])


def rounded_box(width: float, height: float, radius: float) -> np.ndarray:
    """A rectangle with rounded corners (radius in metres)."""
    radius = min(radius, width / 2, height / 2)
    points = []
    corners = ((1, 1), (-1, 1), (-1, -1), (1, -1))
    for quarter, (sign_x, sign_y) in enumerate(corners):
        centre = (sign_x * (width / 2 - radius), sign_y * (height / 2 - radius))
        for step in range(5):
            angle = math.pi / 2 * (quarter + step / 4)
            points.append(
                (centre[0] + radius * math.cos(angle), centre[1] + radius * math.sin(angle))
            )
    return np.array(points)


def lamp(style: str, scale: float = 1.0) -> np.ndarray:
    """A lamp outline; the outer end (towards the car's corner) is at +x."""
    width, height = (size * scale for size in LAMP_SIZE[style])
    if style == "almond":
        angles = np.linspace(0.0, 2 * math.pi, 24, endpoint=False)
        taper = 0.55 + 0.45 * np.cos(angles)
        return np.column_stack([width / 2 * np.cos(angles), height / 2 * np.sin(angles) * taper])
    if style == "block":
        return rounded_box(width, height, height * 0.15)
    if style == "slit":
        return np.array(
            [(-width / 2, height / 2), (width / 2, height), (width / 2, -height / 2),
             (-width / 2 + height, -height / 2)]
        )  # fmt: skip
    return ellipse(width, height)


def badge(style: str, size: float) -> np.ndarray:
    """A make's badge outline, `size` metres across."""
    half = size / 2
    if style == "shield":
        return np.array(
            [(-half, half), (half, half), (half, 0.0), (0.0, -half * 1.3), (-half, 0.0)]
        )
    if style == "triangle":
        return np.array([(-half * 1.2, half), (half * 1.2, half), (0.0, -half * 1.1)])
    if style == "diamond":
        return np.array(
            [(0.0, half * 1.2), (half * 1.3, 0.0), (0.0, -half * 1.2), (-half * 1.3, 0.0)]
        )
    return ellipse(size, size, 16)


def grille(style: str, width: float, height: float) -> np.ndarray:
    """A grille outline of the make's shape."""
    if style == "oval":
        return ellipse(width, height)
    if style == "hex":
        return np.array(
            [(-width / 2, 0.0), (-width * 0.38, height / 2), (width * 0.38, height / 2),
             (width / 2, 0.0), (width * 0.42, -height / 2), (-width * 0.42, -height / 2)]
        )  # fmt: skip
    if style == "waterfall":
        return rounded_box(width, height, width * 0.3)
    return rounded_box(width, height, 0.03)


def grille_bars(style: str, width: float, height: float) -> list[np.ndarray]:
    """Straight bars across (or, for a waterfall grille, down) a grille: pairs of end points."""
    if style == "waterfall":
        positions = np.linspace(-width * 0.36, width * 0.36, 7)
        return [np.array([(x, -height * 0.44), (x, height * 0.44)]) for x in positions]
    count = {"oval": 3, "bars": 2, "hex": 0}[style]
    positions = np.linspace(-height / 2, height / 2, count + 2)[1:-1]
    reach = 0.42 if style == "oval" else 0.5
    return [np.array([(-width * reach, y), (width * reach, y)]) for y in positions]
