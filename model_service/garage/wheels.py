"""Wheels of a demo-garage car: tyres with depth, the make's rims, and the wheel arches."""

from __future__ import annotations

import math

import numpy as np

from model_service.garage.designs import CarDesign
from model_service.garage.front import CHROME, CLADDING
from model_service.garage.geometry import circle
from model_service.garage.paint import CarLook, Colour, Painter, shade

TYRE: Colour = (24, 24, 26)
WHEEL_WELL: Colour = (14, 14, 15)
WHITEWALL: Colour = (226, 224, 214)
RIM_STYLES = {  # radius as a fraction of the tyre, metal colour, spoke count, spoke half-angles
    "mesh": (0.66, (196, 199, 204), 10, (0.09, 0.05)),
    "chunky": (0.60, (112, 113, 116), 6, (0.22, 0.13)),
    "star": (0.72, (62, 63, 68), 5, (0.20, 0.07)),
    "steel": (0.52, (58, 58, 60), 0, (0.0, 0.0)),
}


def on_plane(points: np.ndarray, depth: float) -> np.ndarray:
    """Side-plane points (N, 2) at one fixed z: a wheel's face is flat, unlike the body."""
    return np.column_stack([points, np.full(len(points), depth)])


def draw_wheel(
    painter: Painter, design: CarDesign, look: CarLook, axle: float, *, far: bool
) -> None:
    """A tyre drawn as stacked discs for depth, then (near side only) the make's rim."""
    model = design.model
    centre = (axle, model.wheel_radius)
    outer = model.width / 2 - 0.04
    tread = np.linspace(outer - 0.24, outer, 4)
    if far:
        tread = -tread
    for depth in tread:
        painter.polygon(on_plane(circle(centre, model.wheel_radius), float(depth)), TYRE)
    if far:
        hub = circle(centre, model.wheel_radius * 0.55)
        painter.polygon(on_plane(hub, float(tread[-1])), (40, 40, 42))
    else:
        draw_rim(painter, design, look, centre, outer + 0.01)


def draw_rim(
    painter: Painter, design: CarDesign, look: CarLook, centre: tuple[float, float], depth: float
) -> None:
    """The make's rim on the near tyre's outer face."""
    style = design.make.rim
    size, metal, spokes, widths = RIM_STYLES[style]
    radius = design.model.wheel_radius
    if style == "steel":
        ring = on_plane(circle(centre, radius * 0.8), depth)
        painter.line(ring, WHITEWALL, painter.metres(0.06), closed=True)
    painter.polygon(on_plane(circle(centre, radius * size), depth), metal)
    painter.polygon(on_plane(circle(centre, radius * size * 0.86), depth), (30, 30, 33))
    for index in range(spokes):
        angle = look.wheel_turn + 2 * math.pi * index / spokes
        outline = spoke(centre, radius * 0.14, radius * size * 0.9, angle, widths)
        painter.polygon(on_plane(outline, depth), metal)
    hub_colour = CHROME if style == "steel" else shade(metal, 0.8)
    hub_size = 0.4 if style == "steel" else 0.16
    painter.polygon(on_plane(circle(centre, radius * hub_size), depth), hub_colour)


def spoke(
    centre: tuple[float, float], inner: float, outer: float, angle: float,
    widths: tuple[float, float],
) -> np.ndarray:  # fmt: skip
    """One spoke: a quad from the hub to the rim, narrowing as given (half-angles)."""
    hub_width, rim_width = widths
    angles = (angle - hub_width, angle - rim_width, angle + rim_width, angle + hub_width)
    radii = (inner, outer, outer, inner)
    return np.array(
        [(centre[0] + r * math.cos(theta), centre[1] + r * math.sin(theta))
         for theta, r in zip(angles, radii, strict=True)]
    )  # fmt: skip


def floor_height(painter: Painter, x: float) -> float:
    """Height of the body's underside at x (the profile's closing edge)."""
    rear, front = painter.body.outline[-1], painter.body.outline[0]
    return float(np.interp(x, [front[0], rear[0]], [front[1], rear[1]]))


def arch_outline(painter: Painter, axle: float, radius: float, square: bool) -> np.ndarray:
    """A wheel-arch opening, down to the body's underside."""
    wheel = painter.body.model.wheel_radius
    floor = floor_height(painter, axle)
    start = math.asin(float(np.clip((floor - wheel) / radius, -0.9, 0.9)))
    if square:
        angles = np.array([start, math.pi * 0.3, math.pi * 0.7, math.pi - start])
    else:
        angles = np.linspace(start, math.pi - start, 18)
    points = np.column_stack([axle + radius * np.cos(angles), wheel + radius * np.sin(angles)])
    points[[0, -1], 1] = floor
    return points


def draw_arch(painter: Painter, design: CarDesign, look: CarLook, axle: float) -> None:
    """The dark wheel opening, with the make's flare, cladding or chrome lip around it."""
    body, make = painter.body, design.make
    radius = design.model.wheel_radius * 1.17
    square = make.arch == "square"
    if make.arch in ("flared", "square"):
        surround = CLADDING if make.trim == "cladding" else shade(look.paint, 0.78)
        painter.polygon(body.side(arch_outline(painter, axle, radius * 1.13, square)), surround)
    opening = body.side(arch_outline(painter, axle, radius, square), 0.002)
    painter.polygon(opening, WHEEL_WELL)
    if make.arch == "lipped":
        painter.line(opening[1:-1], CHROME, painter.metres(0.025))


def draw_spare_wheel(painter: Painter, look: CarLook) -> None:
    """A spare wheel hung on the tailgate, under a body-coloured cover."""
    body = painter.body
    radius, height = body.model.wheel_radius * 0.95, body.belt - 0.05
    back = body.rear_x(height)
    angles = np.linspace(0.0, 2 * math.pi, 24, endpoint=False)
    across, up = radius * np.cos(angles), height + radius * np.sin(angles)
    for x in np.linspace(back, back + 0.22, 4):
        painter.polygon(np.column_stack([np.full(len(angles), x), up, across]), TYRE)
    cover = np.column_stack([np.full(len(angles), back + 0.23), height + 0.75 * (up - height),
                             0.75 * across])  # fmt: skip
    painter.polygon(cover, shade(look.paint, 0.8))
