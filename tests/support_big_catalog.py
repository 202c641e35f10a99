"""A 60-model catalog with long names and a fake AI for it: the game at real-catalog scale.

The photos are flat PNGs whose background colour encodes the model (red and green in steps of
25, so re-encoding cannot confuse two models). The fake AI always ranks the same long-named
cars with the truth among its top five, so every answer page shows long names in the chart.
"""

from __future__ import annotations

import io
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from doubles import FakeAI
from PIL import Image, ImageDraw
from support_web import served_app

from cargame.domain.catalog import Catalog, CatalogImage, make_label

MODELS_BY_MAKE = {
    "AM General": ["Hummer"],
    "Acura": ["Integra", "RL", "TL", "TSX"],
    "Aston Martin": ["Virage Convertible", "V8 Vantage"],
    "Audi": ["A5 Coupe", "R8", "S4", "TT RS"],
    "BMW": ["1 Series Convertible", "M5", "X3"],
    "Bentley": ["Continental Supersports", "Continental Flying Spur", "Mulsanne"],
    "Bugatti": ["Veyron 16.4"],
    "Buick": ["Enclave", "Verano"],
    "Cadillac": ["CTS-V", "Escalade EXT"],
    "Chevrolet": ["Silverado 1500", "Silverado 2500HD Regular Cab", "Impala", "TrailBlazer"],
    "Chrysler": ["Town and Country", "300", "Sebring Convertible"],
    "Dodge": ["Ram Pickup 3500 Crew Cab", "Challenger", "Journey"],
    "Ford": ["F-150", "Expedition", "Mustang Convertible"],
    "GMC": ["Savana Van", "Yukon Hybrid"],
    "Honda": ["Odyssey", "Accord"],
    "Hyundai": ["Elantra Touring", "Santa Fe", "Veloster"],
    "Jeep": ["Grand Cherokee", "Patriot", "Compass"],
    "Lamborghini": ["Aventador", "Gallardo LP 570-4 Superleggera"],
    "Land Rover": ["Range Rover", "LR2"],
    "Mercedes-Benz": ["SL-Class", "Sprinter Van", "E-Class"],
    "Nissan": ["Juke", "NV Passenger"],
    "Rolls-Royce": ["Phantom Drophead Coupe", "Ghost"],
    "Suzuki": ["Kizashi", "SX4"],
    "Volvo": ["XC90"],
    "smart": ["fortwo Convertible"],
}
CARS = [(make, model) for make, models in MODELS_BY_MAKE.items() for model in models]
LABELS = sorted(make_label(make, model) for make, model in CARS)
# Ranked first to fifth on every photo (the truth takes the second place when it is not here).
FAVOURITES = [
    "Bentley/Continental Supersports",
    "Chevrolet/Silverado 2500HD Regular Cab",
    "Chevrolet/Silverado 1500",
    "Lamborghini/Gallardo LP 570-4 Superleggera",
    "Chrysler/Town and Country",
]
PROBABILITIES = (0.41, 0.23, 0.12, 0.07, 0.004)
PHOTO_SIZE = (320, 240)
STEP = 25  # colour step per model: JPEG or resampling moves a flat colour far less


def background(index: int) -> tuple[int, int, int]:
    return (30 + STEP * (index % 8), 30 + STEP * (index // 8), 170)


def label_index(photo: bytes) -> int:
    red, green, _ = Image.open(io.BytesIO(photo)).convert("RGB").getpixel((2, 2))
    return round((red - 30) / STEP) + 8 * round((green - 30) / STEP)


def top_five(truth: str) -> list[str]:
    """The AI's ranking for a photo of `truth`: the favourites, the truth second if absent."""
    if truth in FAVOURITES:
        return FAVOURITES
    return [FAVOURITES[0], truth, *FAVOURITES[1:4]]


def probabilities(photo: bytes) -> list[float]:
    ranked = top_five(LABELS[label_index(photo)])
    rest = (1 - sum(PROBABILITIES)) / (len(LABELS) - len(ranked))
    chances = dict(zip(ranked, PROBABILITIES, strict=True))
    return [chances.get(label, rest) for label in LABELS]


def fake_ai() -> FakeAI:
    return FakeAI(LABELS, probabilities)


def build_catalog(root: Path, game_photos: int = 2) -> Catalog:
    """Per model one training photo (its showroom picture) and `game_photos` game photos."""
    (root / "images").mkdir(parents=True, exist_ok=True)
    images = []
    for index, label in enumerate(LABELS):
        make, model = label.split("/", 1)
        for variant in range(1 + game_photos):
            image_id = f"{index:03d}{variant:02d}" + "5eed" * 6 + "ab"
            file = f"images/{image_id}.png"
            (root / file).write_bytes(_photo(index, variant))
            images.append(
                CatalogImage(image_id, file, make, model, "train" if variant == 0 else "game")
            )
    references = {image.label: image.image_id for image in images if image.split == "train"}
    catalog = Catalog(root, "sixty", images, references)
    catalog.save()
    return catalog


def _photo(index: int, variant: int) -> bytes:
    image = Image.new("RGB", PHOTO_SIZE, background(index))
    draw = ImageDraw.Draw(image)
    body = (200 - 30 * variant, 60 + (7 * index) % 150, 90)
    draw.rounded_rectangle((50, 120, 270, 175), radius=18, fill=body)
    draw.rounded_rectangle((95, 85, 220, 130), radius=14, fill=body)
    for x in (95, 225):
        draw.ellipse((x - 22, 155, x + 22, 199), fill=(30, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def served_big_app(tmp: Path, **overrides: Any) -> AbstractContextManager[tuple[Any, str]]:
    """The app on the 60-model catalog against its fakes, under waitress: (app, base URL)."""
    return served_app(tmp, build=build_catalog, make_ai=fake_ai, **overrides)
