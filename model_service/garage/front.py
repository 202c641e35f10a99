"""The front face of a demo-garage car: bumper, lamps, grille, badge and plate."""

from __future__ import annotations

import numpy as np

from model_service.garage import shapes
from model_service.garage.designs import CarDesign
from model_service.garage.paint import CarLook, Colour, Painter, mix, shade

LENS: Colour = (232, 236, 240)
LENS_RIM: Colour = (70, 72, 78)
CHROME: Colour = (205, 208, 212)
GRILLE_DARK: Colour = (26, 27, 30)
PLATE: Colour = (236, 236, 228)
CLADDING: Colour = (52, 53, 56)


def face_points(painter: Painter, outline: np.ndarray, centre: tuple[float, float]) -> np.ndarray:
    """A flat outline (across, up) placed on the front face around a centre."""
    across = outline[:, 0] + centre[0]
    height = outline[:, 1] + centre[1]
    return painter.body.face(across, height)


def face_half_width(painter: Painter, height: float) -> float:
    body = painter.body
    x = np.array([body.front_x(height)])
    return float(body.half_width(x, np.array([height]))[0])


def draw_front(painter: Painter, design: CarDesign, look: CarLook) -> None:
    """Everything on the front face, seen in three-quarter views."""
    body, make = painter.body, design.make
    bottom, lamp_height = float(body.outline[0, 1]), design.model.headlight[1]
    half = face_half_width(painter, (bottom + lamp_height) / 2) - 0.02
    bumper = shapes.rounded_box(2 * half, 0.16, 0.03)
    bumper_colour = CLADDING if make.trim == "cladding" else shade(look.paint, 0.72)
    painter.polygon(face_points(painter, bumper, (0.0, bottom + 0.1)), bumper_colour)
    lamp_reach = draw_front_lamps(painter, design, lamp_height)
    grille_centre = draw_grille(painter, design, look, bottom, lamp_height, lamp_reach)
    outline = shapes.badge(make.badge, 0.08)
    painter.polygon(face_points(painter, outline, grille_centre), CHROME, outline=LENS_RIM)
    plate = shapes.rounded_box(0.46, 0.11, 0.01)
    painter.polygon(face_points(painter, plate, (0.0, bottom + 0.14)), PLATE, outline=LENS_RIM)


def draw_front_lamps(painter: Painter, design: CarDesign, height: float) -> float:
    """Headlamps at both corners; returns how far from the middle their inner edge is."""
    style = design.make.lamp
    width = shapes.LAMP_SIZE[style][0]
    half = face_half_width(painter, height)
    count = 2 if style == "round" else 1  # the round-lamp make has twin lamps
    inner_edge = half - 0.06 - count * width * 1.08
    for side in (-1.0, 1.0):
        outline = shapes.lamp(style) * np.array([side, 1.0])
        for index in range(count):
            across = side * (half - 0.06 - width / 2 - index * width * 1.08)
            painter.polygon(face_points(painter, outline, (across, height)), LENS, LENS_RIM)
    return inner_edge


def draw_grille(
    painter: Painter, design: CarDesign, look: CarLook, bottom: float, lamp_height: float,
    lamp_reach: float,
) -> tuple[float, float]:  # fmt: skip
    """The make's grille between the lamps; returns where the badge goes."""
    style = design.make.grille
    width, height = shapes.GRILLE_SIZE[style]
    if style == "bars":
        width = 2 * lamp_reach
    height = min(height, 0.8 * (lamp_height - bottom))
    centre_height = bottom + 0.28 + height / 2 if style == "hex" else lamp_height - 0.04
    centre = (0.0, centre_height)
    outline = shapes.grille(style, width, height)
    painter.polygon(face_points(painter, outline, centre), GRILLE_DARK)
    painter.line(face_points(painter, outline, centre), CHROME, painter.metres(0.018), closed=True)
    bar_colour = mix(CHROME, look.paint, 0.5) if style == "bars" else CHROME
    bar_width = painter.metres(0.045 if style == "bars" else 0.014)
    for bar in shapes.grille_bars(style, width, height):
        painter.line(face_points(painter, bar, centre), bar_colour, bar_width)
    if style == "hex":
        return (0.0, lamp_height - 0.02)
    return centre
