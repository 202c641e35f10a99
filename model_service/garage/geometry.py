"""3-D geometry of a demo-garage car: the side profile extruded across the car's width.

Car coordinates are metres: x from the front bumper backwards, y up from the ground, z across the
car (the near side is +z). The camera looks at the near side; a positive yaw turns the front
towards the camera (a front three-quarter view), a positive pitch looks down from above.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from model_service.garage.designs import ModelDesign

TUMBLEHOME = 0.14  # the roof is this fraction of the width narrower than the body
CORNER_ROUNDING = 0.12  # metres taken off the half-width at the very ends, in plan view
CORNER_LENGTH = 0.45  # metres over which that rounding fades out


@dataclass(frozen=True)
class Camera:
    """A yawed, pitched camera with mild perspective, then a scale and offset to pixels."""

    yaw: float
    pitch: float
    centre: float  # x of the car's middle, the point the camera turns around
    distance: float = 14.0  # metres to the camera: sets the strength of the perspective
    scale: float = 1.0  # pixels per metre
    offset: tuple[float, float] = (0.0, 0.0)  # pixel position of the car's middle on the ground

    def project(self, points: np.ndarray) -> np.ndarray:
        """Pixel positions (N, 2) of car points (N, 3)."""
        x, y, z = points[:, 0] - self.centre, points[:, 1], points[:, 2]
        cos_yaw, sin_yaw = math.cos(self.yaw), math.sin(self.yaw)
        cos_pitch, sin_pitch = math.cos(self.pitch), math.sin(self.pitch)
        toward = z * cos_yaw - x * sin_yaw
        screen_x = x * cos_yaw + z * sin_yaw
        screen_up = y * cos_pitch - toward * sin_pitch
        factor = self.distance / (self.distance - self.depth(points))
        pixel_x = self.offset[0] + self.scale * screen_x * factor
        pixel_y = self.offset[1] - self.scale * screen_up * factor
        return np.stack([pixel_x, pixel_y], axis=1)

    def depth(self, points: np.ndarray) -> np.ndarray:
        """How near each point is to the camera (larger is nearer)."""
        x, y, z = points[:, 0] - self.centre, points[:, 1], points[:, 2]
        toward = z * math.cos(self.yaw) - x * math.sin(self.yaw)
        return toward * math.cos(self.pitch) + y * math.sin(self.pitch)

    def facing(self, normal: np.ndarray) -> float:
        """Cosine between a surface normal and the direction to the camera."""
        towards_camera = np.array(
            [
                -math.sin(self.yaw) * math.cos(self.pitch),
                math.sin(self.pitch),
                math.cos(self.yaw) * math.cos(self.pitch),
            ]
        )
        return float(normal @ towards_camera)

    def placed(self, scale: float, offset: tuple[float, float]) -> Camera:
        return replace(self, scale=scale, offset=offset)


class CarBody:
    """The extruded profile of one model, with the half-width narrowing at the roof and ends."""

    def __init__(self, model: ModelDesign) -> None:
        self.model = model
        self.outline = np.array([(x, y) for x, y, _ in model.profile], dtype=float)
        self.roles = [role for _, _, role in model.profile]
        self.length = float(self.outline[:, 0].max())
        self.roof = float(self.outline[:, 1].max())
        glass_floor = min(y for _, y in model.glass) if model.glass else self.roof
        self.belt = min(glass_floor, self.roof - 0.2)

    def half_width(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Half the car's width at side-profile points: narrower over the roof and at the ends."""
        rise = np.clip((y - self.belt) / max(self.roof - self.belt, 1e-6), 0.0, 1.0)
        end_distance = np.minimum(x, self.length - x)
        rounding = CORNER_ROUNDING * np.clip(1.0 - end_distance / CORNER_LENGTH, 0.0, 1.0) ** 2
        return self.model.width / 2 - TUMBLEHOME * self.model.width * rise - rounding

    def side(self, points: np.ndarray, outward: float = 0.0, far: bool = False) -> np.ndarray:
        """Side-profile points (N, 2) placed on the near (or far) side of the body in 3-D."""
        points = np.asarray(points, dtype=float).reshape(-1, 2)
        z = self.half_width(points[:, 0], points[:, 1]) + outward
        return np.column_stack([points, -z if far else z])

    def front_x(self, y: float) -> float:
        """x of the front face at a height, following the nose's rake."""
        chain = self.chain("nose")
        return float(np.interp(y, chain[:, 1], chain[:, 0]))

    def rear_x(self, y: float) -> float:
        """x of the rear face at a height."""
        chain = self.chain("tail")[::-1]
        return float(np.interp(y, chain[:, 1], chain[:, 0]))

    def chain(self, role: str) -> np.ndarray:
        """The outline points along the consecutive edges of one role."""
        indices = [index for index, name in enumerate(self.roles) if name == role]
        return self.outline[indices[0] : indices[-1] + 2]

    def nose_top(self) -> float:
        """Height of the front face's upper edge."""
        last_nose = max(index for index, role in enumerate(self.roles) if role == "nose")
        return float(self.outline[last_nose + 1, 1])

    def segments(self) -> list[tuple[int, int, str, np.ndarray]]:
        """Each outline edge: start index, end index, role, outward normal (3-D)."""
        result = []
        count = len(self.outline)
        for start in range(count):
            end = (start + 1) % count
            dx, dy = self.outline[end] - self.outline[start]
            size = math.hypot(dx, dy) or 1.0
            result.append((start, end, self.roles[start], np.array([-dy / size, dx / size, 0])))
        return result

    def face(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Points on the front face from (across, height) coordinates in metres."""
        x = np.array([self.front_x(float(height)) - 0.01 for height in v])
        return np.column_stack([x, v, u])


def circle(centre: tuple[float, float], radius: float, count: int = 28) -> np.ndarray:
    """Points (count, 2) around a circle in the side plane."""
    angles = np.linspace(0.0, 2 * math.pi, count, endpoint=False)
    return np.column_stack(
        [centre[0] + radius * np.cos(angles), centre[1] + radius * np.sin(angles)]
    )


def vertical_span(polygon: np.ndarray, x: float) -> tuple[float, float] | None:
    """Lowest and highest y where a vertical line at x crosses a polygon's edges."""
    crossings = []
    for start, end in zip(polygon, np.roll(polygon, -1, axis=0), strict=True):
        low, high = sorted((start[0], end[0]))
        if low <= x <= high and high > low:
            t = (x - start[0]) / (end[0] - start[0])
            crossings.append(start[1] + t * (end[1] - start[1]))
    return (min(crossings), max(crossings)) if crossings else None
