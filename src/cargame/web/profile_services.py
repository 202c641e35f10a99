"""What /profile and /profile/game/<n> show: the signed-in player's record in their own time zone,
and one of their past games round by round.

The browser says its time zone (`Intl...resolvedOptions().timeZone`, kept in the cookie
TIME_ZONE_COOKIE by the profile page); only names in the server's zone database are used.
"""

from __future__ import annotations

import functools
import logging
import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from urllib.parse import unquote

from flask import request
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from cargame.accounts import game_history, records
from cargame.accounts.db import db_session
from cargame.accounts.game_history import NumberedGame, PastGame
from cargame.domain.catalog import CatalogError
from cargame.web.media import media_url
from cargame.web.runtime import runtime
from cargame.web.services import RECORDS_UNAVAILABLE, RecordsUnavailable

logger = logging.getLogger(__name__)

TIME_ZONE_COOKIE = "cargame_tz"
ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-/]{1,64}")
HISTORY_LIMIT = 100


@dataclass(frozen=True)
class Profile:
    """The signed-in player's record: name, figures and their latest games, numbered."""

    username: str
    stats: records.ProfileStats
    history: list[NumberedGame]


@dataclass(frozen=True)
class PastGameView:
    """One past game with a photo URL per round (None when the photo is gone)."""

    game: PastGame
    photo_urls: list[str | None]


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def zone_of(name: object) -> tzinfo | None:
    """The time zone called `name` (e.g. "Europe/Berlin"), or None for anything else."""
    if not isinstance(name, str) or not ZONE_NAME.fullmatch(name):
        return None
    if name == "UTC":
        return UTC
    return zoneinfo.ZoneInfo(name) if name in _zone_names() else None


def time_zone() -> tzinfo:
    """This browser's time zone, from its cookie; UTC until the browser has said."""
    return zone_of(unquote(request.cookies.get(TIME_ZONE_COOKIE, ""))) or UTC


def zone_name(zone: tzinfo) -> str:
    """How pages name a time zone: "Europe/Berlin", "UTC"."""
    return str(getattr(zone, "key", None) or zone.tzname(None) or "UTC")


def period_start(
    period: records.Period, zone: tzinfo, now: datetime | None = None
) -> datetime | None:
    """The start of today or of this week (Monday) in `zone`, as UTC; None for all time."""
    if period == "all":
        return None
    local = (now or datetime.now(UTC)).astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        midnight -= timedelta(days=midnight.weekday())
    # Rebuild from the date, so that a DST change between now and then gets its own offset.
    start = datetime(midnight.year, midnight.month, midnight.day, tzinfo=zone)
    return start.astimezone(UTC)


def profile(zone: tzinfo) -> Profile:
    """The signed-in player's profile (RecordsUnavailable when the database fails)."""
    try:
        with db_session() as database:
            stats = records.profile_stats(database, current_user.id)
            history = game_history.history(database, current_user.id, limit=HISTORY_LIMIT)
    except SQLAlchemyError as error:
        logger.exception("database unavailable for the profile")
        raise RecordsUnavailable(RECORDS_UNAVAILABLE) from error
    return Profile(current_user.username, stats, history)


def history(period: records.Period, zone: tzinfo) -> list[NumberedGame]:
    """The signed-in player's games in `period`, days counted in `zone`."""
    since = period_start(period, zone)
    try:
        with db_session() as database:
            return game_history.history(database, current_user.id, since, HISTORY_LIMIT)
    except SQLAlchemyError as error:
        logger.exception("database unavailable for the game history")
        raise RecordsUnavailable(RECORDS_UNAVAILABLE) from error


def past_game(number: int) -> PastGameView | None:
    """The signed-in player's own game `number`, with fresh photo URLs; None when they have no
    such game. Nobody else's game can be named this way."""
    try:
        with db_session() as database:
            game = game_history.player_game(database, current_user.id, number)
    except SQLAlchemyError as error:
        logger.exception("database unavailable for a past game")
        raise RecordsUnavailable(RECORDS_UNAVAILABLE) from error
    if game is None:
        return None
    return PastGameView(game, _photo_urls(game))


def _photo_urls(game: PastGame) -> list[str | None]:
    current = runtime()
    try:
        catalog = current.shelf.catalog()
    except CatalogError:
        logger.warning("no catalog for the photos of a past game")
        return [None] * len(game.rounds)
    urls: list[str | None] = []
    for played in game.rounds:
        image = catalog.get(played.image_id)
        path = catalog.path(image) if image else None
        # A new token per view, re-encoded as in a game: the bytes never name the catalog file.
        urls.append(media_url(current.media.add_image(path)) if path and path.is_file() else None)
    return urls


def stats() -> records.ProfileStats:
    """The signed-in player's figures (RecordsUnavailable when the database fails)."""
    try:
        with db_session() as database:
            return records.profile_stats(database, current_user.id)
    except SQLAlchemyError as error:
        logger.exception("database unavailable for the profile chart")
        raise RecordsUnavailable(RECORDS_UNAVAILABLE) from error
