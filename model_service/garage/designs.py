"""The demo garage's fictional makes and models, as data.

Every make has its own design cues (grille, lamps, badge, wheel arches, trim, rims), shared by its
models; every model has its own silhouette. A side profile is a closed polygon in metres, traced
clockwise from the bottom of the front bumper (x = 0 is the front, y = 0 the ground); each point
names the surface that starts there (nose, hood, windshield, roof, backlight, deck, bed, cockpit,
tail, floor).
"""

from __future__ import annotations

from dataclasses import dataclass

from cargame.domain.catalog import make_label

Point = tuple[float, float]


@dataclass(frozen=True)
class MakeDesign:
    """Design cues shared by every model of one make."""

    name: str
    grille: str  # oval | bars | hex | waterfall
    lamp: str  # almond | block | slit | round
    badge: str  # circle | shield | triangle | diamond
    arch: str  # round | square | flared | lipped
    trim: str  # chrome | cladding | stripe | two_tone
    rim: str  # mesh | chunky | star | steel
    black_pillars: bool = False
    roof_rails: bool = False


@dataclass(frozen=True)
class ModelDesign:
    """One model's silhouette and proportions (metres)."""

    name: str
    body: str
    width: float
    wheel_radius: float
    axles: tuple[float, float]
    profile: tuple[tuple[float, float, str], ...]
    glass: tuple[Point, ...]  # the side windows' outline (daylight opening)
    pillars: tuple[float, ...]  # x of the pillars that split the side windows
    headlight: Point
    taillight: Point
    windshield_frame: tuple[Point, Point] | None = None  # open cars only
    extras: tuple[str, ...] = ()  # spare_wheel | spoiler

    @property
    def length(self) -> float:
        return max(x for x, _, _ in self.profile)

    @property
    def pillar_foot(self) -> Point:
        """Where the side glass (or an open car's windshield) starts: doors and mirror go here."""
        if self.glass:
            return self.glass[0]
        if self.windshield_frame:
            return self.windshield_frame[0]
        raise ValueError(f"{self.name} has neither side glass nor a windshield frame")


@dataclass(frozen=True)
class CarDesign:
    """A make's cues applied to one of its models: one class of the catalog."""

    make: MakeDesign
    model: ModelDesign

    @property
    def label(self) -> str:
        return make_label(self.make.name, self.model.name)

    @property
    def slug(self) -> str:
        return f"{self.make.name}-{self.model.name}".lower()


AURELIA = MakeDesign("Aurelia", "oval", "almond", "circle", "round", "chrome", "mesh")
BRAKKA = MakeDesign(
    "Brakka", "bars", "block", "shield", "square", "cladding", "chunky", roof_rails=True
)
CORVO = MakeDesign("Corvo", "hex", "slit", "triangle", "flared", "stripe", "star", True)
DUNMORE = MakeDesign("Dunmore", "waterfall", "round", "diamond", "lipped", "two_tone", "steel")

# Hand-laid tables: keep one profile point per column rather than one per line.
# fmt: off
AURELIA_MODELS = (
    ModelDesign(
        "Serena",
        "sedan",
        1.85,
        0.33,
        (0.95, 3.80),
        (
            (0.05, 0.28, "nose"), (0.00, 0.55, "nose"), (0.08, 0.74, "hood"),
            (1.55, 0.95, "windshield"), (2.25, 1.42, "roof"), (3.20, 1.40, "backlight"),
            (3.95, 1.00, "deck"), (4.80, 0.95, "tail"), (4.85, 0.60, "tail"),
            (4.78, 0.30, "floor"),
        ),
        ((1.70, 0.99), (2.30, 1.36), (3.15, 1.35), (3.80, 1.00)),
        (2.78,),
        (0.24, 0.65),
        (4.70, 0.84),
    ),
    ModelDesign(
        "Lumen",
        "hatchback",
        1.78,
        0.31,
        (0.85, 3.30),
        (
            (0.05, 0.28, "nose"), (0.00, 0.55, "nose"), (0.10, 0.76, "hood"),
            (1.20, 0.96, "windshield"), (1.95, 1.47, "roof"), (3.55, 1.44, "backlight"),
            (4.02, 1.02, "tail"), (4.10, 0.60, "tail"), (4.04, 0.30, "floor"),
        ),
        ((1.35, 1.00), (2.00, 1.41), (3.50, 1.38), (3.84, 1.04)),
        (2.55, 3.30),
        (0.25, 0.67),
        (3.98, 0.90),
    ),
    ModelDesign(
        "Vela",
        "coupe",
        1.86,
        0.34,
        (1.15, 3.75),
        (
            (0.04, 0.26, "nose"), (0.00, 0.52, "nose"), (0.10, 0.70, "hood"),
            (1.95, 0.92, "windshield"), (2.65, 1.30, "roof"), (3.20, 1.28, "backlight"),
            (4.25, 0.98, "deck"), (4.55, 0.95, "tail"), (4.60, 0.62, "tail"),
            (4.54, 0.28, "floor"),
        ),
        ((2.10, 0.96), (2.70, 1.25), (3.15, 1.23), (3.85, 0.99)),
        (3.22,),
        (0.26, 0.62),
        (4.50, 0.86),
    ),
)

BRAKKA_MODELS = (
    ModelDesign(
        "Ridgeback",
        "pickup",
        1.98,
        0.42,
        (1.05, 4.35),
        (
            (0.05, 0.45, "nose"), (0.00, 0.80, "nose"), (0.05, 1.15, "hood"),
            (1.65, 1.25, "windshield"), (2.25, 1.88, "roof"), (3.20, 1.88, "backlight"),
            (3.25, 1.25, "bed"), (5.35, 1.25, "tail"), (5.40, 0.85, "tail"),
            (5.33, 0.48, "floor"),
        ),
        ((1.78, 1.30), (2.30, 1.81), (3.12, 1.81), (3.12, 1.30)),
        (2.62,),
        (0.20, 1.00),
        (5.30, 1.08),
    ),
    ModelDesign(
        "Granite",
        "SUV",
        1.95,
        0.40,
        (0.95, 3.85),
        (
            (0.05, 0.42, "nose"), (0.00, 0.80, "nose"), (0.08, 1.12, "hood"),
            (1.30, 1.20, "windshield"), (1.85, 1.88, "roof"), (4.70, 1.86, "backlight"),
            (4.80, 1.20, "tail"), (4.85, 0.85, "tail"), (4.78, 0.45, "floor"),
        ),
        ((1.42, 1.25), (1.90, 1.80), (4.64, 1.78), (4.72, 1.25)),
        (2.72, 3.82),
        (0.20, 0.98),
        (4.74, 1.10),
        extras=("spare_wheel",),
    ),
    ModelDesign(
        "Dromo",
        "van",
        2.00,
        0.36,
        (0.95, 4.20),
        (
            (0.05, 0.38, "nose"), (0.00, 0.75, "nose"), (0.10, 1.05, "hood"),
            (0.60, 1.20, "windshield"), (1.45, 2.30, "roof"), (5.15, 2.38, "tail"),
            (5.20, 1.00, "tail"), (5.16, 0.40, "floor"),
        ),
        ((0.74, 1.26), (1.45, 2.18), (1.95, 2.20), (1.95, 1.26)),
        (),
        (0.18, 0.92),
        (5.10, 1.00),
    ),
)

CORVO_MODELS = (
    ModelDesign(
        "Strale",
        "roadster",
        1.78,
        0.32,
        (0.90, 3.25),
        (
            (0.04, 0.22, "nose"), (0.00, 0.45, "nose"), (0.12, 0.62, "hood"),
            (1.55, 0.86, "cockpit"), (2.65, 0.86, "deck"), (2.95, 1.04, "deck"),
            (3.40, 0.94, "deck"), (3.95, 0.90, "tail"), (4.00, 0.55, "tail"),
            (3.94, 0.24, "floor"),
        ),
        (),
        (),
        (0.30, 0.54),
        (3.92, 0.80),
        windshield_frame=((1.55, 0.86), (1.98, 1.20)),
    ),
    ModelDesign(
        "Falco",
        "supercar",
        1.95,
        0.34,
        (1.05, 3.70),
        (
            (0.03, 0.15, "nose"), (0.00, 0.38, "nose"), (0.20, 0.56, "hood"),
            (1.30, 0.78, "windshield"), (2.20, 1.15, "roof"), (2.70, 1.15, "backlight"),
            (4.30, 0.92, "deck"), (4.45, 0.90, "tail"), (4.50, 0.55, "tail"),
            (4.44, 0.18, "floor"),
        ),
        ((1.45, 0.83), (2.20, 1.11), (2.75, 1.09), (3.25, 0.89)),
        (),
        (0.35, 0.48),
        (4.42, 0.80),
        extras=("spoiler",),
    ),
    ModelDesign(
        "Nebbia",
        "crossover",
        1.90,
        0.37,
        (1.00, 3.72),
        (
            (0.04, 0.36, "nose"), (0.00, 0.70, "nose"), (0.12, 0.95, "hood"),
            (1.40, 1.10, "windshield"), (2.10, 1.62, "roof"), (2.90, 1.60, "backlight"),
            (4.20, 1.15, "deck"), (4.45, 1.10, "tail"), (4.55, 0.75, "tail"),
            (4.48, 0.38, "floor"),
        ),
        ((1.55, 1.14), (2.15, 1.56), (2.95, 1.54), (3.95, 1.16)),
        (2.75,),
        (0.28, 0.84),
        (4.42, 1.00),
    ),
)

DUNMORE_MODELS = (
    ModelDesign(
        "Wayfarer",
        "wagon",
        1.85,
        0.33,
        (0.95, 3.85),
        (
            (0.05, 0.28, "nose"), (0.00, 0.58, "nose"), (0.08, 0.78, "hood"),
            (1.45, 0.96, "windshield"), (2.15, 1.45, "roof"), (4.55, 1.42, "backlight"),
            (4.82, 1.00, "tail"), (4.90, 0.62, "tail"), (4.83, 0.30, "floor"),
        ),
        ((1.58, 1.00), (2.20, 1.39), (4.50, 1.37), (4.68, 1.02)),
        (2.75, 3.72),
        (0.22, 0.66),
        (4.80, 0.90),
    ),
    ModelDesign(
        "Pip",
        "city car",
        1.60,
        0.27,
        (0.50, 2.28),
        (
            (0.04, 0.25, "nose"), (0.00, 0.55, "nose"), (0.10, 0.78, "hood"),
            (0.55, 0.92, "windshield"), (1.05, 1.52, "roof"), (1.80, 1.56, "roof"),
            (2.45, 1.52, "backlight"), (2.70, 1.00, "tail"), (2.75, 0.60, "tail"),
            (2.70, 0.27, "floor"),
        ),
        ((0.68, 0.96), (1.08, 1.46), (2.40, 1.46), (2.55, 0.98)),
        (1.75,),
        (0.18, 0.68),
        (2.68, 0.88),
    ),
    ModelDesign(
        "Harbor",
        "minivan",
        1.90,
        0.33,
        (0.90, 3.90),
        (
            (0.05, 0.28, "nose"), (0.00, 0.60, "nose"), (0.12, 0.85, "hood"),
            (0.75, 1.02, "windshield"), (1.75, 1.76, "roof"), (4.60, 1.74, "backlight"),
            (4.82, 1.05, "tail"), (4.90, 0.65, "tail"), (4.84, 0.30, "floor"),
        ),
        ((0.90, 1.06), (1.80, 1.70), (4.55, 1.68), (4.70, 1.06)),
        (2.10, 3.35),
        (0.22, 0.74),
        (4.82, 0.95),
    ),
)

# fmt: on

GARAGE: tuple[tuple[MakeDesign, tuple[ModelDesign, ...]], ...] = (
    (AURELIA, AURELIA_MODELS),
    (BRAKKA, BRAKKA_MODELS),
    (CORVO, CORVO_MODELS),
    (DUNMORE, DUNMORE_MODELS),
)


def all_designs() -> list[CarDesign]:
    """Every class of the demo garage, sorted by label (the model's class order)."""
    designs = [CarDesign(make, model) for make, models in GARAGE for model in models]
    return sorted(designs, key=lambda design: design.label)
