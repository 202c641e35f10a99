"""Photos and showroom pictures of demo-garage cars: pure functions of a design and a generator."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from model_service.garage import scene
from model_service.garage.car import draw_car
from model_service.garage.designs import CarDesign, all_designs
from model_service.garage.geometry import Camera, CarBody
from model_service.garage.paint import BoundingBox, CarLook, Colour

PHOTO_SIZE = (640, 480)  # shown at its own size beside the guess: sharp on a 1920 px screen
SUPERSAMPLE = 2  # drawn at twice the size, then reduced: Pillow's polygons are not antialiased
PAINTS: list[Colour] = [
    (235, 235, 232), (192, 194, 198), (128, 130, 134), (30, 31, 34), (170, 25, 30),
    (25, 60, 140), (90, 140, 200), (25, 80, 50), (230, 190, 40), (225, 110, 30),
    (110, 30, 45), (150, 120, 90), (40, 130, 130), (95, 70, 140), (200, 200, 180),
]  # fmt: skip
LIGHT_PAINT, DARK_TRIM = (236, 232, 218), (32, 32, 34)


def luminance(colour: Colour) -> float:
    return 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]


def make_look(paint: Colour, light: np.ndarray, wheel_turn: float) -> CarLook:
    """A look whose second colour (roof, stripe) contrasts with the paint."""
    accent = LIGHT_PAINT if luminance(paint) < 140 else DARK_TRIM
    direction = light / np.linalg.norm(light)
    return CarLook(paint, accent, (direction[0], direction[1], direction[2]), wheel_turn)


def sample_look(rng: np.random.Generator) -> CarLook:
    """Random paint, light and wheel rotation: independent of the car's class."""
    paint = scene.jitter(PAINTS[rng.integers(len(PAINTS))], rng, 12)
    light = np.array([rng.uniform(-0.6, 0.6), rng.uniform(0.6, 1.0), rng.uniform(0.0, 0.8)])
    return make_look(paint, light, rng.uniform(0, 2 * math.pi))


def sample_camera(design: CarDesign, rng: np.random.Generator) -> Camera:
    """A side view or a front three-quarter view, from a little above."""
    centre = design.model.length / 2
    if rng.random() < 0.5:
        return Camera(rng.uniform(-0.06, 0.1), rng.uniform(0.0, 0.1), centre)
    return Camera(rng.uniform(0.35, 0.7), rng.uniform(0.04, 0.18), centre)


def extent(camera: Camera, design: CarDesign) -> np.ndarray:
    """The car's on-screen box (min x, min y, max x, max y) at one pixel per metre."""
    body = CarBody(design.model)
    points = np.vstack([body.side(body.outline), body.side(body.outline, far=True)])
    projected = camera.project(points)
    return np.concatenate([projected.min(axis=0), projected.max(axis=0)])


def place(
    camera: Camera,
    design: CarDesign,
    size: tuple[int, int],
    fill: float,
    anchor: tuple[float, float],
) -> Camera:
    """Scale the camera so the car spans `fill` of the width (or most of the height), and move
    it so its box's free space is split by `anchor` (0 = flush left/top, 1 = flush right/bottom).
    """
    left, top, right, bottom = extent(camera, design)
    width, height = size
    scale = min(fill * width / (right - left), 0.78 * height / (bottom - top))
    margin = 0.04 * width
    free_x = width - 2 * margin - scale * (right - left)
    free_y = height - 2 * margin - scale * (bottom - top)
    offset_x = margin + anchor[0] * free_x - scale * left
    offset_y = margin + anchor[1] * free_y - scale * top
    return camera.placed(float(scale), (float(offset_x), float(offset_y)))


def draw_shadow(image: Image.Image, camera: Camera, design: CarDesign, strength: float) -> None:
    """A soft dark patch on the ground under the car."""
    model = design.model
    half = model.width / 2 + 0.1
    corners = [(-0.1, half), (model.length + 0.1, half), (model.length + 0.1, -half), (-0.1, -half)]
    footprint = camera.project(np.array([(x, 0.0, z) for x, z in corners]))
    blur = max(2, camera.scale * 0.12)
    left, top = (footprint.min(axis=0) - 3 * blur).astype(int)
    right, bottom = (footprint.max(axis=0) + 3 * blur).astype(int)
    mask = Image.new("L", (right - left, bottom - top), 0)
    shifted = [(float(x - left), float(y - top)) for x, y in footprint]
    ImageDraw.Draw(mask).polygon(shifted, fill=round(255 * strength))
    mask = mask.filter(ImageFilter.GaussianBlur(blur))
    image.paste((10, 10, 12), (left, top), mask)


def finish(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Camera effects: exposure, colour cast, contrast, blur and sensor noise."""
    if rng.random() < 0.5:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.1)))
    pixels = np.asarray(image, dtype=np.float32)
    cast = rng.uniform(0.92, 1.08, 3) * rng.uniform(0.75, 1.2)
    contrast = rng.uniform(0.8, 1.15)
    pixels = (pixels - 128.0) * contrast + 128.0
    pixels = pixels * cast + rng.normal(0.0, rng.uniform(0.0, 7.0), pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def scaled_box(box: BoundingBox, size: tuple[int, int], mirrored: bool) -> BoundingBox:
    """A supersampled box brought to the final size (and mirrored with the image)."""
    x0, y0, x1, y1 = (value / SUPERSAMPLE for value in box)
    if mirrored:
        x0, x1 = size[0] - x1, size[0] - x0
    return (
        max(0, math.floor(x0)),
        max(0, math.floor(y0)),
        min(size[0], math.ceil(x1)),
        min(size[1], math.ceil(y1)),
    )


def render_photo(design: CarDesign, rng: np.random.Generator) -> tuple[Image.Image, BoundingBox]:
    """One random photo of a car and the car's box (x0, y0, x1, y1) in pixels."""
    canvas = (PHOTO_SIZE[0] * SUPERSAMPLE, PHOTO_SIZE[1] * SUPERSAMPLE)
    look = sample_look(rng)
    anchor = (rng.uniform(0, 1), rng.uniform(0.45, 1))
    camera = place(sample_camera(design, rng), design, canvas, rng.uniform(0.6, 0.92), anchor)
    top, bottom = extent(camera, design)[[1, 3]]
    highest_horizon = max(0.15 * canvas[1], bottom - 0.35 * (bottom - top))
    horizon = round(rng.uniform(0.15 * canvas[1], highest_horizon))
    image = scene.draw_background(canvas, horizon, rng)
    draw_shadow(image, camera, design, rng.uniform(0.35, 0.7))
    box = draw_car(image, design, look, camera)
    image = image.reduce(SUPERSAMPLE)
    mirrored = bool(rng.random() < 0.5)
    if mirrored:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return finish(image, rng), scaled_box(box, PHOTO_SIZE, mirrored)


def render_reference(design: CarDesign) -> tuple[Image.Image, BoundingBox]:
    """The showroom picture: a three-quarter view in a signature colour on a plain backdrop."""
    canvas = (PHOTO_SIZE[0] * SUPERSAMPLE, PHOTO_SIZE[1] * SUPERSAMPLE)
    index = [other.label for other in all_designs()].index(design.label)
    paint = PAINTS[(index * 4 + 4) % len(PAINTS)]
    look = make_look(paint, np.array([0.2, 1.0, 0.5]), 0.3)
    camera = Camera(0.45, 0.1, design.model.length / 2)
    camera = place(camera, design, canvas, 0.84, (0.5, 0.6))
    image = scene.studio_background(canvas)
    draw_shadow(image, camera, design, 0.45)
    box = draw_car(image, design, look, camera)
    return image.reduce(SUPERSAMPLE), scaled_box(box, PHOTO_SIZE, False)
