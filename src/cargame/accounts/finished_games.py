"""The one place a finished game is kept: in the signed-in player's history, or for a guest
to claim by signing in from the same browser soon after."""

from __future__ import annotations

from typing import Literal

from flask import session
from flask_login import current_user

from cargame.accounts import records
from cargame.accounts.db import db_session
from cargame.accounts.models import Game, utc_now
from cargame.domain.game import GameData

GUEST_GAMES_KEY = "cargame_guest_games"  # in the session: games finished before sign-in
MAX_GUEST_GAMES = 5  # only the last few; older ones are past records.CLAIM_WINDOW anyway

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
