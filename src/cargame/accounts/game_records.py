"""The one place the visitor's games are recorded: started, each round, finished or abandoned,
for the signed-in player, or as a guest game that the guest may keep by pressing "Keep this
game" on its final page and then registering or signing in.

A guest's game passes to an account only through that explicit step: the final page hands out a
signed, short-lived keep token bound to the browser session that played the game, and signing
in (which replaces the session) claims just that game.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
from datetime import timedelta
from typing import Literal

from flask import current_app, session
from flask_login import current_user
from itsdangerous import BadData, URLSafeTimedSerializer

from cargame.accounts import game_log
from cargame.accounts.db import db_session
from cargame.accounts.models import Game, utc_now
from cargame.domain.game import GameData

GUEST_GAMES_KEY = "cargame_guest_games"  # in the session: games finished before sign-in
CURRENT_GAME_KEY = "cargame_current_game"  # in the session: the game a new start abandons
MAX_GUEST_GAMES = 5  # only the last few; older ones are past game_log.CLAIM_WINDOW anyway
KEEP_SALT = "cargame-keep-game"
KEEP_SECONDS = 15 * 60  # time to fill in the registration form after pressing "Keep this game"
# Sweeping stale games on every start cost an UPDATE on the start's path; once a minute is plenty.
STALE_SWEEP_SECONDS = 60.0
STALE_SWEEP_EXTENSION = "cargame.stale_sweep"
_SWEEP_LOCK = threading.Lock()

SaveStatus = Literal["saved", "claimable", "unsaved"]


def game_started(game: GameData, mode: str, stale_after: timedelta) -> None:
    """Record a new game, in one commit. The visitor's previous game, if still open, becomes
    "abandoned", and so, at most once a `STALE_SWEEP_SECONDS` per app, does every game still
    open after `stale_after` (its session has expired; the analytics sweep before counting)."""
    previous = session.get(CURRENT_GAME_KEY)
    with db_session() as database:
        if isinstance(previous, str) and previous != game.game_id:
            game_log.abandon(database, previous, commit=False)
        if _stale_sweep_due():
            game_log.abandon_stale(database, stale_after, commit=False)
        if not game_log.start(database, game, _user_id(), mode):  # it commits a new game
            database.commit()  # recorded already: the abandons above still count
    session[CURRENT_GAME_KEY] = game.game_id


def _stale_sweep_due() -> bool:
    """True at an app's first game start and then once a `STALE_SWEEP_SECONDS` at most."""
    now = time.monotonic()
    with _SWEEP_LOCK:
        if now - current_app.extensions.get(STALE_SWEEP_EXTENSION, -math.inf) < STALE_SWEEP_SECONDS:
            return False
        current_app.extensions[STALE_SWEEP_EXTENSION] = now
    return True


def round_played(game: GameData, number: int, mode: str) -> None:
    """Record round `number` (1-based) of the game after its guess, or its heatmap flags."""
    with db_session() as database:
        game_log.start(database, game, _user_id(), mode)  # no-op unless its start was missed
        game_log.record_round(database, game, number)


def game_decided(game: GameData, mode: str) -> bool:
    """Record a game whose last round is guessed as "finished" (once); True for that call."""
    with db_session() as database:
        stored = game_log.record_finished_game(database, game, _user_id(), mode)
    if _user_id() is None:
        earlier = [other for other in session.get(GUEST_GAMES_KEY, []) if other != game.game_id]
        session[GUEST_GAMES_KEY] = [*earlier, game.game_id][-MAX_GUEST_GAMES:]
    if session.get(CURRENT_GAME_KEY) == game.game_id:
        session.pop(CURRENT_GAME_KEY)
    return stored


def abandon_current_game() -> bool:
    """The visitor leaves (sign-out, "Next player", booth reset): their open game is abandoned."""
    current = session.pop(CURRENT_GAME_KEY, None)
    if not isinstance(current, str):
        return False
    with db_session() as database:
        return game_log.abandon(database, current)


def _user_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def keep_token(game_id: str) -> str:
    """A token that lets this browser session keep its guest game `game_id` by signing in."""
    return _serializer().dumps({"game": game_id, "session": _session_tag(session_key())})


def keep_game(token: str | None, previous_session: str | None, user_id: int) -> bool:
    """Give the guest game in `token` to the user who just signed in, if the token is fresh and
    was issued to the session they signed in from. True when the game was claimed."""
    if not token or not previous_session:
        return False
    try:
        data = _serializer().loads(token, max_age=KEEP_SECONDS)
    except BadData:
        return False
    expected = _session_tag(previous_session)
    if not isinstance(data, dict) or not hmac.compare_digest(str(data.get("session")), expected):
        return False
    with db_session() as database:
        return game_log.claim_guest_game(database, str(data.get("game")), user_id)


def session_key() -> str | None:
    """The server-side session's id (Flask-Session), which sign-in replaces."""
    return getattr(session, "sid", None)


def _session_tag(sid: str | None) -> str:
    # The token travels in a URL (history, logs) and is only signed, not encrypted: it carries
    # a keyed hash of the session id, never the id itself, which is the session cookie's value.
    key = (current_app.secret_key or "").encode()
    return hmac.new(key, f"keep:{sid}".encode(), hashlib.sha256).hexdigest()


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
    if game.status != "finished":
        return "unsaved"
    if current_user.is_authenticated:
        return "saved" if game.user_id == current_user.id else "unsaved"
    claimable = (
        game.user_id is None
        and game_id in session.get(GUEST_GAMES_KEY, [])
        and game.status == "finished"
        and game.finished_at is not None
        and game.finished_at >= utc_now() - game_log.CLAIM_WINDOW
    )
    return "claimable" if claimable else "unsaved"
