"""The one place a finished game is kept: in the signed-in player's history, or for a guest
to keep by pressing "Keep this game" on its final page and then registering or signing in.

A guest's game passes to an account only through that explicit step: the final page hands out a
signed, short-lived keep token bound to the browser session that played the game, and signing
in (which replaces the session) claims just that game.
"""

from __future__ import annotations

from typing import Literal

from flask import current_app, session
from flask_login import current_user
from itsdangerous import BadData, URLSafeTimedSerializer

from cargame.accounts import records
from cargame.accounts.db import db_session
from cargame.accounts.models import Game, utc_now
from cargame.domain.game import GameData

GUEST_GAMES_KEY = "cargame_guest_games"  # in the session: games finished before sign-in
MAX_GUEST_GAMES = 5  # only the last few; older ones are past records.CLAIM_WINDOW anyway
KEEP_SALT = "cargame-keep-game"
KEEP_SECONDS = 15 * 60  # time to fill in the registration form after pressing "Keep this game"

SaveStatus = Literal["saved", "claimable", "unsaved"]


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


def keep_token(game_id: str) -> str:
    """A token that lets this browser session keep its guest game `game_id` by signing in."""
    return _serializer().dumps({"game": game_id, "session": session_key()})


def keep_game(token: str | None, previous_session: str | None, user_id: int) -> bool:
    """Give the guest game in `token` to the user who just signed in, if the token is fresh and
    was issued to the session they signed in from. True when the game was claimed."""
    if not token or not previous_session:
        return False
    try:
        data = _serializer().loads(token, max_age=KEEP_SECONDS)
    except BadData:
        return False
    if not isinstance(data, dict) or data.get("session") != previous_session:
        return False
    with db_session() as database:
        return records.claim_guest_game(database, str(data.get("game")), user_id)


def session_key() -> str | None:
    """The server-side session's id (Flask-Session), which sign-in replaces."""
    return getattr(session, "sid", None)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=KEEP_SALT)


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
