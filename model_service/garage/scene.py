"""Backgrounds for demo-garage photos: sky, ground and simple scenery, independent of the car."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from model_service.garage.paint import Colour, mix, shade, vertical_gradient

SKIES: list[tuple[Colour, Colour]] = [  # (top, horizon)
    ((70, 130, 200), (180, 210, 235)),  # clear
    ((150, 160, 172), (205, 208, 212)),  # overcast
    ((60, 70, 120), (235, 160, 110)),  # sunset
    ((110, 160, 215), (225, 230, 235)),  # hazy
    ((35, 45, 80), (120, 110, 140)),  # dusk
]
GROUNDS: list[tuple[Colour, Colour]] = [  # (far, near)
    ((110, 110, 112), (70, 70, 72)),  # asphalt
    ((120, 150, 90), (70, 105, 50)),  # grass
    ((200, 180, 140), (165, 140, 100)),  # sand
    ((175, 175, 170), (140, 140, 136)),  # concrete
    ((125, 105, 85), (90, 72, 58)),  # dirt
]


def jitter(colour: Colour, rng: np.random.Generator, amount: int = 14) -> Colour:
    """A colour nudged a little in each channel."""
    shifted = np.clip(np.array(colour) + rng.integers(-amount, amount + 1, 3), 0, 255)
    return (int(shifted[0]), int(shifted[1]), int(shifted[2]))


def draw_background(size: tuple[int, int], horizon: int, rng: np.random.Generator) -> Image.Image:
    """A random outdoor background with the horizon at the given row."""
    width, height = size
    sky_top, sky_low = (jitter(colour, rng) for colour in SKIES[rng.integers(len(SKIES))])
    far, near = (jitter(colour, rng) for colour in GROUNDS[rng.integers(len(GROUNDS))])
    image = Image.new("RGB", size)
    image.paste(vertical_gradient(horizon, width, [(0.0, sky_top), (1.0, sky_low)]), (0, 0))
    ground = vertical_gradient(height - horizon, width, [(0.0, far), (1.0, near)])
    image.paste(ground, (0, horizon))
    draw = ImageDraw.Draw(image)
    if rng.random() < 0.6:
        draw_clouds(draw, size, horizon, sky_low, rng)
    scenery = [draw_hills, draw_skyline, draw_trees, None][rng.integers(4)]  # None: open plain
    if scenery is not None:
        scenery(draw, size, horizon, sky_low, rng)
    if rng.random() < 0.5:
        draw_road_marks(draw, size, horizon, far, rng)
    return image


def draw_clouds(
    draw: ImageDraw.ImageDraw, size: tuple[int, int], horizon: int, haze: Colour,
    rng: np.random.Generator,
) -> None:  # fmt: skip
    """A few puffy clouds in the sky."""
    width = size[0]
    for _ in range(rng.integers(1, 5)):
        x, y = rng.uniform(0, width), rng.uniform(0.05, 0.7) * horizon
        colour = mix(haze, (245, 245, 248), rng.uniform(0.4, 0.9))
        for _ in range(rng.integers(3, 7)):
            rx, ry = rng.uniform(0.03, 0.09) * width, rng.uniform(0.015, 0.04) * width
            cx, cy = x + rng.uniform(-1.5, 1.5) * rx, y + rng.uniform(-0.5, 0.5) * ry
            draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=colour)


def draw_hills(
    draw: ImageDraw.ImageDraw, size: tuple[int, int], horizon: int, haze: Colour,
    rng: np.random.Generator,
) -> None:  # fmt: skip
    """One or two ranges of rolling hills behind the horizon."""
    width = size[0]
    for layer in range(rng.integers(1, 3)):
        colour = mix(jitter((80, 110, 90), rng, 25), haze, 0.55 - 0.25 * layer)
        columns = np.linspace(0, width, 40)
        profile = np.zeros_like(columns)
        for _ in range(3):
            frequency, phase = rng.uniform(1.0, 5.0), rng.uniform(0, 2 * math.pi)
            profile += np.sin(columns / width * frequency * math.pi + phase)
        heights = horizon - (0.5 + 0.2 * profile) * rng.uniform(0.1, 0.3) * horizon
        outline = [(float(x), float(y)) for x, y in zip(columns, heights, strict=True)]
        draw.polygon([*outline, (width, horizon), (0, horizon)], fill=colour)


def draw_skyline(
    draw: ImageDraw.ImageDraw, size: tuple[int, int], horizon: int, haze: Colour,
    rng: np.random.Generator,
) -> None:  # fmt: skip
    """Blocks of distant buildings, some with lit windows."""
    width = size[0]
    x = rng.uniform(-0.05, 0.05) * width
    base = jitter((120, 125, 135), rng, 30)
    while x < width:
        block_width = rng.uniform(0.04, 0.12) * width
        top = horizon - rng.uniform(0.1, 0.55) * horizon
        colour = mix(shade(base, rng.uniform(0.7, 1.1)), haze, rng.uniform(0.2, 0.5))
        draw.rectangle((x, top, x + block_width, horizon), fill=colour)
        if rng.random() < 0.5:
            window = mix(colour, (240, 230, 190), 0.35)
            for row in np.arange(top + 6, horizon - 6, 12):
                draw.line((x + 4, row, x + block_width - 4, row), fill=window, width=2)
        x += block_width + rng.uniform(0, 0.03) * width


def draw_trees(
    draw: ImageDraw.ImageDraw, size: tuple[int, int], horizon: int, haze: Colour,
    rng: np.random.Generator,
) -> None:  # fmt: skip
    """A row of trees on the horizon."""
    width = size[0]
    leaves = jitter((55, 95, 55), rng, 25)
    for x in np.sort(rng.uniform(0, width, rng.integers(4, 14))):
        crown = rng.uniform(0.03, 0.07) * width
        trunk_top = horizon - rng.uniform(0.6, 1.4) * crown
        colour = mix(shade(leaves, rng.uniform(0.75, 1.15)), haze, rng.uniform(0.1, 0.4))
        draw.rectangle((x - crown * 0.12, trunk_top, x + crown * 0.12, horizon), fill=(70, 55, 45))
        draw.ellipse(
            (x - crown, trunk_top - 1.8 * crown, x + crown, trunk_top + 0.3 * crown), colour
        )


def draw_road_marks(
    draw: ImageDraw.ImageDraw, size: tuple[int, int], horizon: int, ground: Colour,
    rng: np.random.Generator,
) -> None:  # fmt: skip
    """A kerb line and a dashed lane marking across the ground."""
    width, height = size
    kerb = horizon + rng.uniform(0.05, 0.25) * (height - horizon)
    draw.line((0, kerb, width, kerb), fill=shade(ground, 1.3), width=max(2, height // 100))
    row = horizon + rng.uniform(0.6, 0.95) * (height - horizon)
    dash, offset = rng.uniform(0.06, 0.12) * width, rng.uniform(0, 0.2) * width
    for start in np.arange(-offset, width, dash * 2):
        draw.line((start, row, start + dash, row), fill=(225, 222, 205), width=height // 80)


def studio_background(size: tuple[int, int]) -> Image.Image:
    """The showroom's plain backdrop: a light wall fading into a floor."""
    width, height = size
    horizon = int(height * 0.62)
    image = Image.new("RGB", size)
    wall = vertical_gradient(horizon, width, [(0.0, (238, 238, 240)), (1.0, (214, 215, 218))])
    image.paste(wall, (0, 0))
    floor = vertical_gradient(
        height - horizon, width, [(0.0, (200, 201, 204)), (1.0, (228, 228, 230))]
    )
    image.paste(floor, (0, horizon))
    return image
