"""The accounts database of the running Flask app, and the current visitor's finished games."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, Literal

from flask import Flask, current_app, session
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from cargame.accounts import migrations, records
from cargame.accounts.db import create_db_engine, database_url, session_factory
from cargame.accounts.models import Game, utc_now
from cargame.config import Config
from cargame.domain.game import GameData

logger = logging.getLogger(__name__)
RECORDS_UNAVAILABLE = "The records are unavailable right now. Please try again in a minute."

EXTENSION = "cargame.accounts"
GUEST_GAMES_KEY = "cargame_guest_games"  # in the signed session: games finished before sign-in
MAX_GUEST_GAMES = 5  # only the last few; older ones are past records.CLAIM_WINDOW anyway

SaveStatus = Literal["saved", "claimable", "unsaved"]


def init_database(server: Flask, config: Config) -> None:
    """Migrate the accounts database to the latest schema and keep its sessions on `server`."""
    url = database_url(config)
    migrations.upgrade(url)
    server.extensions[EXTENSION] = session_factory(create_db_engine(url))


def db_session() -> Session:
    """A new database session of the current app; use it as `with db_session() as session:`."""
    factory: sessionmaker[Session] = current_app.extensions[EXTENSION]
    return factory()


def save_finished_game(game: GameData, mode: str) -> bool:
    """Record the game for the signed-in player, or as a guest game they can claim by signing in.

    Call it when a game reaches the "finished" stage; calling it again for the same game (reload,
    double click, another worker) stores nothing. Returns True when this call stored the game.
    """
    user_id = current_user.id if current_user.is_authenticated else None
    with db_session() as database:
        stored = records.record_finished_game(database, game, user_id, mode)
    if user_id is None:
        earlier = [other for other in session.get(GUEST_GAMES_KEY, []) if other != game.game_id]
        session[GUEST_GAMES_KEY] = [*earlier, game.game_id][-MAX_GUEST_GAMES:]
    return stored


def claim_guest_games(user_id: int) -> int:
    """Move the guest games finished in this browser session to the user; returns how many."""
    game_ids = session.pop(GUEST_GAMES_KEY, [])
    with db_session() as database:
        return sum(records.claim_guest_game(database, game_id, user_id) for game_id in game_ids)


def save_status(game_id: str) -> SaveStatus:
    """Where this visitor's finished game stands, for the final score page.

    "saved": in the signed-in player's history; "claimable": a guest game of this browser that
    signing in would claim; "unsaved": not stored, or stored for someone else.
    """
    with db_session() as database:
        game = database.get(Game, game_id)
    if game is None:
        return "unsaved"
    if current_user.is_authenticated:
        return "saved" if game.user_id == current_user.id else "unsaved"
    claimable = (
        game.user_id is None
        and game_id in session.get(GUEST_GAMES_KEY, [])
        and game.finished_at >= utc_now() - records.CLAIM_WINDOW
    )
    return "claimable" if claimable else "unsaved"


def when_records_unavailable(fallback: Callable[[str], Any]) -> Callable[..., Any]:
    """Decorate a page layout: a database failure shows `fallback(message)`, not a 500."""

    def decorate(layout: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(layout)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return layout(*args, **kwargs)
            except SQLAlchemyError:
                logger.exception("database unavailable for %s", layout.__module__)
                return fallback(RECORDS_UNAVAILABLE)

        return guarded

    return decorate
