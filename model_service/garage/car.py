"""Drawing one demo-garage car: the shell, the near side, the wheels."""

from __future__ import annotations

import numpy as np
from PIL import Image

from model_service.garage import details, front, wheels
from model_service.garage.designs import CarDesign
from model_service.garage.geometry import Camera, CarBody
from model_service.garage.paint import BoundingBox, CarLook, Colour, Painter, mix, shade

GLASS: Colour = (38, 48, 60)
SKY_REFLECTION: Colour = (170, 190, 210)
INTERIOR: Colour = (34, 31, 30)
BED: Colour = (58, 58, 60)
FRONT = np.array([-1.0, 0.0, 0.0])
FRONT_VISIBLE = 0.12  # below this the front face is a sliver: skip its details


def draw_car(image: Image.Image, design: CarDesign, look: CarLook, camera: Camera) -> BoundingBox:
    """Draw the car onto the image; return its bounding box in pixels."""
    painter = Painter(image, camera, CarBody(design.model))
    if "spare_wheel" in design.model.extras:
        wheels.draw_spare_wheel(painter, look)
    for axle in design.model.axles:
        wheels.draw_wheel(painter, design, look, axle, far=True)
    draw_shell(painter, design, look)
    if camera.facing(FRONT) > FRONT_VISIBLE:
        front.draw_front(painter, design, look)
    draw_near_side(painter, design, look)
    details.draw_panel_lines(painter, design, look)
    for axle in design.model.axles:
        wheels.draw_arch(painter, design, look, axle)
        wheels.draw_wheel(painter, design, look, axle, far=False)
    details.draw_fittings(painter, design, look)
    return painter.bbox()


def lit(colour: Colour, normal: np.ndarray, look: CarLook) -> Colour:
    """A surface colour under the photo's light."""
    brightness = 0.55 + 0.55 * max(0.0, float(normal @ np.array(look.light)))
    return shade(colour, brightness)


def surface_colour(role: str, normal: np.ndarray, design: CarDesign, look: CarLook) -> Colour:
    """Colour of one extruded surface of the shell."""
    if role in ("windshield", "backlight"):
        return mix(GLASS, SKY_REFLECTION, 0.35 * max(0.0, float(normal[1])))
    if role == "cockpit":
        return INTERIOR
    if role == "bed":
        return BED
    if role == "roof" and design.make.trim == "two_tone":
        return lit(look.accent, normal, look)
    return lit(look.paint, normal, look)


def draw_shell(painter: Painter, design: CarDesign, look: CarLook) -> None:
    """The extruded profile's visible surfaces (hood, roof, front...), far ones first."""
    body, camera = painter.body, painter.camera
    surfaces = []
    for start, end, role, normal in body.segments():
        if role == "floor" or camera.facing(normal) <= 0.01:
            continue
        edge = body.outline[[start, end]]
        corners = np.vstack([body.side(edge), body.side(edge[::-1], far=True)])
        colour = surface_colour(role, normal, design, look)
        surfaces.append((float(camera.depth(corners).mean()), corners, colour))
    for _, corners, colour in sorted(surfaces, key=lambda surface: surface[0]):
        painter.polygon(corners, colour)
    frame = design.model.windshield_frame
    if frame:
        edge = np.array(frame)
        corners = np.vstack([body.side(edge, -0.1), body.side(edge[::-1], -0.1, far=True)])
        painter.polygon(corners, mix(GLASS, SKY_REFLECTION, 0.3), outline=(20, 20, 22))


def draw_near_side(painter: Painter, design: CarDesign, look: CarLook) -> None:
    """The near side's panel with its light-to-dark gradient, then the greenhouse and glass."""
    body = painter.body
    side_light = 0.8 + 0.3 * max(0.0, look.light[2])
    paint = shade(look.paint, side_light)
    stops = [(0.0, shade(paint, 1.12)), (0.45, shade(paint, 1.04)), (0.55, shade(paint, 0.9))]
    painter.gradient_polygon(body.side(body.outline), [*stops, (1.0, shade(paint, 0.62))])
    if design.make.trim == "two_tone" and design.model.glass:
        painter.polygon(body.side(greenhouse(body)), shade(look.accent, side_light))
    if design.model.glass:
        glass = body.side(np.array(design.model.glass), 0.003)
        painter.gradient_polygon(
            glass, [(0.0, mix(GLASS, SKY_REFLECTION, 0.45)), (0.6, GLASS), (1.0, shade(GLASS, 0.8))]
        )
        details.draw_pillars(painter, design, look)


def greenhouse(body: CarBody) -> np.ndarray:
    """The side-profile outline above the belt: from the windshield's foot to the backlight's."""
    first = body.roles.index("windshield")
    last = max(index for index, role in enumerate(body.roles) if role == "backlight")
    return body.outline[first : last + 2]
