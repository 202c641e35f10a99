"""Take your score home: a one-time link from the booth's final page to the player's own phone.

The kiosk shows the link as a QR code. It is signed (the app's secret key), expires after
`[booth] claim_link_seconds`, names one game and nothing else, and claims it once: the guest
game passes to the account that registers or signs in through it, after which the link refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from flask import current_app
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from cargame.accounts import game_log
from cargame.accounts.db import db_session
from cargame.accounts.models import Game

CLAIM_SALT = "cargame-booth-claim"
MAX_AGE_KEY = "CARGAME_CLAIM_LINK_SECONDS"  # in the Flask config, from [booth] claim_link_seconds
TOKEN_CHARS = 512  # a claim token is ~90 characters; anything far longer is not one

ClaimProblem = Literal["invalid", "expired", "used"]
PROBLEMS: dict[ClaimProblem, str] = {
    "invalid": "This link is not valid. Scan the code on the booth screen again.",
    "expired": "This link has expired: it works for {minutes} after the game. "
    "Play another game at the booth to get a new one.",
    "used": "This game has already been kept. The link works only once.",
}


@dataclass(frozen=True)
class ClaimableGame:
    """What the claim page shows of the game behind a valid link: its score, nothing else."""

    game_id: str
    player_score: int
    ai_score: int
    winner: str | None
    finished_at: datetime | None


class ClaimRefused(ValueError):
    """A claim link that cannot be used; `problem` says why, `str()` is for the player."""

    def __init__(self, problem: ClaimProblem) -> None:
        super().__init__(PROBLEMS[problem].format(minutes=link_lifetime()))
        self.problem = problem


def link_lifetime() -> str:
    """How long a link works, for people: "15 minutes"."""
    seconds = max_age()
    if seconds % 60:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    minutes = seconds // 60
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def max_age() -> int:
    """Seconds a claim link works (`[booth] claim_link_seconds`)."""
    return int(current_app.config.get(MAX_AGE_KEY, 900))


def claim_token(game_id: str) -> str:
    """A signed, timestamped token naming one finished guest booth game."""
    return _serializer().dumps({"claim": game_id})


def claimable_game(token: str | None) -> ClaimableGame:
    """The game a link may still claim; raises ClaimRefused (invalid, expired or used)."""
    game_id = _game_id(token)
    with db_session() as database:
        game = database.get(Game, game_id)
        if game is None or game.mode != "booth" or game.status != "finished":
            raise ClaimRefused("invalid")
        if game.user_id is not None:
            raise ClaimRefused("used")
        return ClaimableGame(
            game.id, game.player_score, game.ai_score, game.winner, game.finished_at
        )


def claim(token: str | None, user_id: int) -> bool:
    """Give the link's game to `user_id`; True once, False for any refused or reused link."""
    try:
        game_id = _game_id(token)
    except ClaimRefused:
        return False
    with db_session() as database:
        game = database.get(Game, game_id)
        if game is None or game.mode != "booth":
            return False
        # Only a finished game without an owner passes, in one UPDATE: the link works once.
        return game_log.claim_guest_game(database, game_id, user_id)


def is_claim_token(token: str | None) -> bool:
    """True for a token this app signed as a claim link, expired or not."""
    if not token or len(token) > TOKEN_CHARS:
        return False
    try:
        _serializer().loads(token)
    except BadData:
        return False
    return True


def _game_id(token: str | None) -> str:
    if not token or len(token) > TOKEN_CHARS:
        raise ClaimRefused("invalid")
    try:
        data = _serializer().loads(token, max_age=max_age())
    except SignatureExpired as error:
        raise ClaimRefused("expired") from error
    except BadData as error:
        raise ClaimRefused("invalid") from error
    if not isinstance(data, dict) or not isinstance(data.get("claim"), str):
        raise ClaimRefused("invalid")
    return str(data["claim"])


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=CLAIM_SALT)
