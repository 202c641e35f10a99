"""What the booth kiosk's pages need: the idle reset form, tiles, the take-home link and QR."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import segno
from flask import request
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import SQLAlchemyError

from cargame.accounts import booth_claims
from cargame.accounts.db import db_session
from cargame.accounts.models import BoothName
from cargame.booth.board import Tally
from cargame.booth.settings import BoothSettings
from cargame.domain.catalog import split_label
from cargame.domain.game import GameData
from cargame.web import booth_board
from cargame.web.media import media_url
from cargame.web.runtime import runtime

logger = logging.getLogger(__name__)

QR_SCALE = 6  # module size in px: ~250 px for a typical link, readable from arm's length


@dataclass(frozen=True)
class BoardEntry:
    """One line of today's booth board on the attract screen."""

    name: str
    player_score: int
    ai_score: int


@dataclass(frozen=True)
class PhotoSlide:
    """A car on the attract screen: today's sample round, or today's hardest car."""

    car: str  # "Make Model"
    photo_url: str | None
    heatmap_url: str | None = None
    shown: int = 0
    hits: int = 0


@dataclass(frozen=True)
class AttractView:
    """What the attract screen's slides show, from the shared board snapshot."""

    tally: Tally
    top: list[BoardEntry]
    sample: PhotoSlide | None
    hardest: PhotoSlide | None
    available: bool = True  # False: the records are down, so no figures are shown


@dataclass(frozen=True)
class TakeHome:
    """The one-time link of a finished guest booth game, and its QR code as an SVG data URI."""

    url: str
    qr_data_uri: str
    lifetime: str


ATTRACT_TOP = 5  # board lines on the attract screen (the wall shows more)


def attract_view() -> AttractView:
    """Today's figures for the attract screen, from the board snapshot every viewer shares."""
    snap = booth_board.snapshot()
    if not snap.available:
        return AttractView(Tally(), [], None, None, available=False)
    top = [
        BoardEntry(line.nickname or "Anonymous", line.player_score, line.ai_score)
        for line in snap.top[:ATTRACT_TOP]
    ]
    sample = next(
        (
            PhotoSlide(played.truth, played.photo_url, played.heatmap_url)
            for played in snap.recent
            if played.photo_url and played.heatmap_url
        ),
        None,
    )
    hard = snap.hardest
    hardest = (
        PhotoSlide(hard.car, hard.photo_url, shown=hard.shown, hits=hard.hits)
        if hard is not None and hard.photo_url
        else None
    )
    return AttractView(snap.tally, top, sample, hardest)


def settings() -> BoothSettings:
    return runtime().booth_settings


def reset_token() -> str:
    """The CSRF token of the idle reset form (it posts to /next-player)."""
    return generate_csrf()


def take_home(game: GameData) -> TakeHome:
    """A claim link for `game` (finished, played as a guest) and its QR code."""
    base = settings().public_url or request.host_url.rstrip("/")
    url = f"{base}/claim/{booth_claims.claim_token(game.game_id)}"
    qr = segno.make(url, error="m")
    return TakeHome(url, qr.svg_data_uri(scale=QR_SCALE, border=2), booth_claims.link_lifetime())


def model_tiles(game: GameData | None, make: str | None) -> list[tuple[str, str | None]]:
    """(model, showroom picture URL or None) for each of the game's models of `make`."""
    if game is None or not make:
        return []
    try:
        tokens = runtime().shelf.showroom_tokens()
    except (OSError, ValueError):
        logger.exception("no showroom pictures for the model tiles")
        tokens = {}
    models = []
    for label in sorted(game.labels):
        brand, model = split_label(label)
        if brand == make:
            token = tokens.get(label)
            models.append((model, media_url(token) if token else None))
    return models


def nickname_for(game_id: str) -> str | None:
    """The nickname this game already has on today's board, if any."""
    try:
        with db_session() as database:
            found = database.get(BoothName, game_id)
            return found.name if found else None
    except SQLAlchemyError:
        logger.exception("could not read the nickname of game %s", game_id)
        return None
