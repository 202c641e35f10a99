"""Finished games written straight into an app's database, on the photos of the web test
catalog (support_web), for the pages that read games back: share cards, the profile."""

from __future__ import annotations

from datetime import datetime

from dash_extensions.enrich import DashProxy
from support_web import LABELS, TOP_PROBABILITY, ai_answer

from cargame.accounts import game_log
from cargame.accounts.db import EXTENSION
from cargame.domain.catalog import Catalog
from cargame.domain.game import GameData, Prediction, Round, new_game


def record_game(
    app: DashProxy,
    catalog: Catalog,
    user_id: int | None = None,
    right: int = 0,
    finished_at: datetime | None = None,
    rounds: int = 5,
) -> GameData:
    """A finished game on one game photo of each of the first `rounds` cars: the first `right`
    named exactly, the rest as a car of another make (0 points); the AI as the fake AI."""
    photos = [
        next(
            image
            for image in sorted(catalog.split("game"), key=lambda i: i.image_id)
            if image.label == label
        )
        for label in LABELS[:rounds]
    ]
    played = [
        Round(
            image_id=photo.image_id,
            image_token=f"token-{number}",
            truth=photo.label,
            ai_top5=[Prediction(LABELS[ai_answer(LABELS.index(photo.label))], TOP_PROBABILITY)],
        )
        for number, photo in enumerate(photos)
    ]
    game = new_game(played, LABELS, "cars", 3, now=finished_at)
    for number, current in enumerate(game.rounds):
        game.guess(current.truth if number < right else _wrong(current.truth), now=finished_at)
        game.next_round(now=finished_at)
    with app.server.extensions[EXTENSION]() as session:
        game_log.record_finished_game(session, game, user_id, "solo")
    return game


def _wrong(truth: str) -> str:
    return "BMW/X5" if truth.startswith("Audi/") else "Audi/A4"
