"""Share a finished game: `/share/<token>` (a small public page with Open Graph tags, so chat apps
preview it) and `/share/<token>.png` (the result card, `share_card.render_card`).

The token names one finished game and nothing else. It is the game id under a deterministic
authenticated encryption (SIV built from HMAC, keys derived from the app's secret key): one
stable URL per game, unforgeable, and it shows neither the game id nor anything about other
games. What a stranger sees is the card: the totals, the photos with the AI's heatmaps, each
round's points and the opponent level. No username, no time, and no car names, so that shared
cards cannot be collected into an answer key for the game photos.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import hashlib
import hmac
import logging
import re
from collections.abc import Sequence

import aiohttp
from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from cargame.accounts import game_history
from cargame.accounts.db import db_session
from cargame.accounts.game_history import PastGame
from cargame.domain import rounds
from cargame.domain.catalog import CatalogError
from cargame.domain.game import EXACT_MODEL_POINTS, RIGHT_MAKE_POINTS
from cargame.domain.rounds import GameSettings
from cargame.web import share_card
from cargame.web.components.widgets import count_word
from cargame.web.extensions import media_cache
from cargame.web.runtime import runtime

logger = logging.getLogger(__name__)
blueprint = Blueprint("share", __name__)

TAG_BYTES = 16  # 128-bit tag: forging a token means guessing it
MAX_ID_BYTES = 64  # Game.id is at most 64 characters
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{24,200}")
KEY_LABEL = b"cargame-share-card"
CACHE_PREFIX = "cargame-share-card:1:"  # bump the number when the card's drawing changes
CARD_CACHE_SECONDS = 7 * 24 * 3600  # a re-render costs the explainer's cache hits only
RETRY_SECONDS = 300  # a card missing a photo or heatmap is drawn again after this
FULL_CARD_MAX_AGE = 365 * 24 * 3600  # a finished game's card never changes
LINES = {
    "player": "I beat the AI at naming cars!",
    "ai": "The AI beat me at naming cars this time.",
    "draw": "A draw with the AI at naming cars.",
}
TITLES = {
    "player": "I beat the AI, {you} to {ai}",
    "ai": "The AI beat me, {ai} to {you}",
    "draw": "A draw with the AI, {you} to {ai}",
}


def share_token(game_id: str) -> str:
    """The share token of a game: the same every time, meaningless without the secret key."""
    plain = game_id.encode("utf-8")
    if not plain or len(plain) > MAX_ID_BYTES:
        raise ValueError("not a game id")
    tag = _keyed(b"tag", plain)[:TAG_BYTES]
    return _encode(tag + _xor(plain, _keyed(b"mask", tag)))


def game_id_of(token: str) -> str | None:
    """The game id inside a token this app made, else None (garbled, forged, other key)."""
    if not TOKEN_PATTERN.fullmatch(token):
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    tag, masked = raw[:TAG_BYTES], raw[TAG_BYTES:]
    if not masked or len(masked) > MAX_ID_BYTES:
        return None
    plain = _xor(masked, _keyed(b"mask", tag))
    if not hmac.compare_digest(_keyed(b"tag", plain)[:TAG_BYTES], tag):
        return None
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _keyed(purpose: bytes, message: bytes) -> bytes:
    secret = str(current_app.secret_key or "").encode("utf-8")
    key = hmac.new(secret, KEY_LABEL + b":" + purpose, hashlib.sha256).digest()
    return hmac.new(key, message, hashlib.sha512).digest()  # 64 bytes: masks any game id


def _xor(data: bytes, mask: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, mask[: len(data)], strict=True))


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def share_url(game_id: str) -> str | None:
    """The absolute share link of a finished game; None when it is not (yet) recorded as
    finished or the records are down. The finish page shows it with `share_button`."""
    try:
        with db_session() as database:
            finished = game_history.is_finished(database, game_id)
    except SQLAlchemyError:
        logger.exception("could not look up game %s for its share link", game_id)
        return None
    if not finished:
        return None
    # A booth's phones reach the app at its public address, not the kiosk's own.
    base = runtime().booth_settings.public_url or request.host_url.rstrip("/")
    return base + url_for("share.page", token=share_token(game_id))


def _shared_game(token: str) -> PastGame | None:
    game_id = game_id_of(token)
    if game_id is None:
        return None
    with db_session() as database:
        return game_history.finished_game(database, game_id)


@blueprint.errorhandler(SQLAlchemyError)
def _records_down(error: SQLAlchemyError) -> ResponseReturnValue:
    logger.exception("records unavailable for a share link", exc_info=error)
    return render_template("accounts/share.html", game=None, unavailable=True), 503


@blueprint.get("/share/<token>")
def page(token: str) -> ResponseReturnValue:
    """The public page of a shared game, with the card and its Open Graph tags."""
    game = _shared_game(token)
    if game is None:
        return render_template("accounts/share.html", game=None), 404
    scores = {"you": game.player_score, "ai": game.ai_score}
    level = f" Opponent: {game.level}." if game.level else ""
    photos = count_word(len(game.rounds)).capitalize()
    return render_template(
        "accounts/share.html",
        game=game,
        title=TITLES[game.winner].format(**scores),
        photos=photos,
        description=f"{photos} car photos, a person and a neural network naming make and "
        f"model; the heatmaps show where the AI looked.{level} Can you beat it?",
        page_url=url_for("share.page", token=token, _external=True),
        image_url=url_for("share.image", token=token, _external=True),
        width=share_card.WIDTH,
        height=share_card.HEIGHT,
        points_words=points_words,
    )


def points_words(points: int) -> str:
    """A round's points as the card's pills say them."""
    if points >= EXACT_MODEL_POINTS:
        return f"+{points}, exact model"
    return f"+{points}, right make" if points >= RIGHT_MAKE_POINTS else "0, missed"


@blueprint.get("/share/<token>.png")
def image(token: str) -> ResponseReturnValue:
    """The result card as PNG; cached for a year by browsers and proxies once it is complete."""
    game = _shared_game(token)
    if game is None:
        return Response("no such card", status=404, mimetype="text/plain")
    png, complete = card_png(game)
    response = Response(png, mimetype="image/png")
    max_age = FULL_CARD_MAX_AGE if complete else RETRY_SECONDS
    response.headers["Cache-Control"] = f"public, max-age={max_age}" + (
        ", immutable" if complete else ""
    )
    return response


def card_png(game: PastGame) -> tuple[bytes, bool]:
    """The card of a finished game and whether it shows every photo and heatmap; kept in the
    media cache (files, or Redis), so each card is drawn once for every worker."""
    key = CACHE_PREFIX + game.game_id
    cached = media_cache.get(key)
    if isinstance(cached, tuple) and len(cached) == 2:
        return cached
    photos = _photos(game)
    overlays = _overlays(game, photos)
    facts = share_card.CardFacts(
        player_score=game.player_score,
        ai_score=game.ai_score,
        line=LINES[game.winner],
        level=game.level,
        rounds=[
            share_card.CardRound(photo, overlay, played.player_points, played.ai_points)
            for photo, overlay, played in zip(photos, overlays, game.rounds, strict=True)
        ],
    )
    png = share_card.render_card(facts)
    complete = all(photos) and all(overlays)
    media_cache.set(key, (png, complete), timeout=CARD_CACHE_SECONDS if complete else RETRY_SECONDS)
    return png, complete


def _photos(game: PastGame) -> list[bytes | None]:
    try:
        catalog = runtime().shelf.catalog()
    except CatalogError:
        logger.warning("no catalog for the share card of game %s", game.game_id)
        return [None] * len(game.rounds)
    photos: list[bytes | None] = []
    for played in game.rounds:
        image = catalog.get(played.image_id)
        try:
            photos.append(catalog.path(image).read_bytes() if image else None)
        except OSError:
            logger.warning("cannot read catalog photo %s", played.image_id)
            photos.append(None)
    return photos


def _overlays(game: PastGame, photos: Sequence[bytes | None]) -> list[bytes | None]:
    if not any(photos):
        return [None] * len(photos)
    current = runtime().settings
    played_on = dataclasses.replace(current, model_name=game.model_name)
    labels = [played.ai_guess for played in game.rounds]
    return asyncio.run(_explain_all(played_on, current, game.model_version, photos, labels))


async def _explain_all(
    played_on: GameSettings,
    current: GameSettings,
    version: int | None,
    photos: Sequence[bytes | None],
    labels: Sequence[str | None],
) -> list[bytes | None]:
    async with aiohttp.ClientSession() as session:
        tasks = [
            _overlay(session, played_on, current, version, photo, label)
            for photo, label in zip(photos, labels, strict=True)
        ]
        return list(await asyncio.gather(*tasks))


async def _overlay(
    session: aiohttp.ClientSession,
    played_on: GameSettings,
    current: GameSettings,
    version: int | None,
    photo: bytes | None,
    label: str | None,
) -> bytes | None:
    """The heatmap the player saw (the game's model and version, the AI's answer); when the
    explainer no longer has that model, the current model's view of the photo."""
    if photo is None:
        return None
    explanation = await rounds.explain_or_none(session, played_on, version, photo, label)
    if explanation is None:
        explanation = await rounds.explain_or_none(session, current, None, photo, None)
    return explanation.overlay_png if explanation else None
