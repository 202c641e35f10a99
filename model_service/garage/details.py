"""The near side's make-specific details: pillars, trim, door lines, lamps and fittings."""

from __future__ import annotations

import numpy as np

from model_service.garage import shapes
from model_service.garage.designs import CarDesign
from model_service.garage.front import CHROME, CLADDING, LENS, LENS_RIM
from model_service.garage.geometry import vertical_span
from model_service.garage.paint import CarLook, Colour, Painter, shade
from model_service.garage.wheels import floor_height

TAIL_LENS: Colour = (178, 26, 30)
TAIL_RIM: Colour = (70, 14, 16)
BLACK_TRIM: Colour = (22, 22, 24)
DOOR_LENGTH = 1.15  # metres: a two-door car's door, when no pillar marks its end
SIDE_LAMP_SCALE = 0.8  # lamps wrap round the corner, so less of them shows from the side


def draw_pillars(painter: Painter, design: CarDesign, look: CarLook) -> None:
    """Pillars splitting the side glass, black or body-coloured by make; chrome surround."""
    glass = np.array(design.model.glass)
    colour = shade(look.accent if design.make.trim == "two_tone" else look.paint, 0.92)
    if design.make.black_pillars:
        colour = BLACK_TRIM
    for x in design.model.pillars:
        span = vertical_span(glass, x)
        if span is None:
            continue
        low, high = span[0] - 0.01, span[1] + 0.01
        quad = np.array([(x - 0.06, low), (x + 0.06, low), (x + 0.05, high), (x - 0.05, high)])
        painter.polygon(painter.body.side(quad, 0.004), colour)
    if design.make.trim == "chrome":
        painter.line(painter.body.side(glass, 0.005), CHROME, painter.metres(0.03), closed=True)


def door_edges(design: CarDesign) -> list[float]:
    """x of every door's edges, front to back."""
    model = design.model
    front = model.pillar_foot[0] + 0.05
    glass_end = max((x for x, _ in model.glass), default=front + DOOR_LENGTH)
    rear_limit = min(model.axles[1] - 1.25 * model.wheel_radius, glass_end)
    if not model.pillars:
        return [front, min(front + DOOR_LENGTH, rear_limit)]
    edges = [front, *model.pillars]
    if rear_limit > edges[-1] + 0.4:
        edges.append(rear_limit)
    return edges


def draw_panel_lines(painter: Painter, design: CarDesign, look: CarLook) -> None:
    """The make's side trim, then door shut lines and handles."""
    draw_trim(painter, design, look)
    body, glass = painter.body, np.array(design.model.glass)
    edges = door_edges(design)
    line_colour = shade(look.paint, 0.45)
    for x in edges:
        span = vertical_span(glass, x) if len(glass) else None
        top = span[0] if span else body.belt
        line = np.array([(x, top), (x + 0.02, floor_height(painter, x) + 0.05)])
        painter.line(body.side(line, 0.004), line_colour, painter.metres(0.014))
    handle_colour = CHROME if design.make.trim in ("chrome", "two_tone") else shade(look.paint, 0.6)
    for x in edges[1:]:
        handle = shapes.rounded_box(0.17, 0.04, 0.015) + (x - 0.3, body.belt - 0.1)
        painter.polygon(body.side(handle, 0.008), handle_colour)


def draw_trim(painter: Painter, design: CarDesign, look: CarLook) -> None:
    """Cladding along the sills, a side stripe and intake, or a chrome rocker line."""
    body, trim = painter.body, design.make.trim
    start, end = body.outline[0, 0] + 0.12, body.outline[-1, 0] - 0.12
    floor_start, floor_end = floor_height(painter, start), floor_height(painter, end)
    if trim == "cladding":
        band = [(start, floor_start), (end, floor_end), (end, floor_end + 0.2)]
        painter.polygon(body.side(np.array([*band, (start, floor_start + 0.2)]), 0.004), CLADDING)
    elif trim == "stripe":
        height = (floor_start + body.belt) / 2 + 0.04
        stripe = [(start + 0.25, height), (end - 0.2, height + 0.03), (end - 0.25, height + 0.09)]
        painter.polygon(
            body.side(np.array([*stripe, (start + 0.3, height + 0.06)]), 0.004), look.accent
        )
        rear = design.model.axles[1] - 1.3 * design.model.wheel_radius
        intake = np.array(
            [(rear - 0.5, height - 0.02), (rear, height - 0.02), (rear, height - 0.22)]
        )
        painter.polygon(body.side(intake, 0.004), BLACK_TRIM)
    elif trim == "chrome":
        rocker = np.array([(start + 0.3, floor_start + 0.07), (end - 0.3, floor_end + 0.07)])
        painter.line(body.side(rocker, 0.004), CHROME, painter.metres(0.025))


def draw_fittings(painter: Painter, design: CarDesign, look: CarLook) -> None:
    """Side views of the lamps, the door mirror and the roof rails."""
    body, model = painter.body, design.model
    draw_side_lamps(painter, design)
    mirror = np.array([(0.0, 0.0), (0.16, 0.0), (0.16, 0.1), (0.03, 0.11)]) + model.pillar_foot
    mirror_colour = BLACK_TRIM if design.make.black_pillars else shade(look.paint, 0.95)
    painter.polygon(body.side(mirror + (0.1, 0.03), 0.1), mirror_colour, outline=BLACK_TRIM)
    if design.make.roof_rails:
        draw_roof_rails(painter)
    if "spoiler" in model.extras:
        draw_spoiler(painter, look)


def draw_side_lamps(painter: Painter, design: CarDesign) -> None:
    """The headlamp and tail lamp where they wrap round onto the side, kept off the ends."""
    body, model, style = painter.body, design.model, design.make.lamp
    headlamp = shapes.lamp(style, SIDE_LAMP_SCALE) * np.array([-1.0, 1.0])
    head_x, head_y = model.headlight
    head_x = max(head_x, body.front_x(head_y) + headlamp[:, 0].max() + 0.03)
    painter.polygon(body.side(headlamp + (head_x, head_y), 0.006), LENS, LENS_RIM)
    taillamp = shapes.lamp(style, SIDE_LAMP_SCALE * 0.8)
    tail_x, tail_y = model.taillight
    tail_x = min(tail_x, body.rear_x(tail_y) - taillamp[:, 0].max() - 0.03)
    painter.polygon(body.side(taillamp + (tail_x, tail_y), 0.006), TAIL_LENS, TAIL_RIM)


def draw_roof_rails(painter: Painter) -> None:
    """Two rails along the roof, on short posts."""
    body = painter.body
    roof = [index for index, role in enumerate(body.roles) if role == "roof"]
    front, rear = body.outline[roof[0], 0] + 0.15, body.outline[roof[-1] + 1, 0] - 0.15
    height = body.roof + 0.07
    for far in (True, False):
        rail = body.side(np.array([(front, height), (rear, height)]), -0.06, far=far)
        painter.line(rail, BLACK_TRIM, painter.metres(0.04))
        for x in (front + 0.05, rear - 0.05):
            post = body.side(np.array([(x, body.roof - 0.02), (x, height)]), -0.06, far=far)
            painter.line(post, BLACK_TRIM, painter.metres(0.05))


def draw_spoiler(painter: Painter, look: CarLook) -> None:
    """A rear wing on two posts above the deck."""
    body = painter.body
    front, rear = body.length - 0.75, body.length - 0.12
    deck = vertical_span(body.outline, (front + rear) / 2)
    top = (deck[1] if deck else body.belt) + 0.16
    for far in (True, False):
        post = np.array([(front + 0.3, top - 0.2), (front + 0.36, top - 0.03)])
        painter.line(body.side(post, -0.3, far=far), BLACK_TRIM, painter.metres(0.04))
    blade = np.array([(front, top), (rear, top + 0.04)])
    surface = np.vstack([body.side(blade, -0.05), body.side(blade[::-1], -0.05, far=True)])
    painter.polygon(surface, shade(look.paint, 1.05))
    plate = np.array([*blade, (rear, top - 0.02), (front, top - 0.05)])
    painter.polygon(body.side(plate, -0.05), shade(look.paint, 0.75))
