"""Finished games read back round by round: a player's numbered history, one of their games, and
any finished game for its share card.

A player's games are numbered 1, 2, 3, ... in the order they finished, so a page can name
"your game 3" without an id that could point at someone else's game.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from cargame.accounts.models import Game

FINISHED = Game.status == "finished"


@dataclass(frozen=True)
class PastRound:
    """One guessed photo of a finished game, as the player saw its answer."""

    number: int
    image_id: str
    truth: str
    guess: str | None  # None: no answer (the round timer ran out)
    ai_guess: str | None
    player_points: int
    ai_points: int


@dataclass(frozen=True)
class PastGame:
    """A finished game with its rounds; `number` is its place in its player's history."""

    game_id: str
    number: int | None
    finished_at: datetime
    player_score: int
    ai_score: int
    winner: str
    model_name: str
    model_version: int | None
    level: str | None  # the opponent level as titled ("Rookie"), when the game has one
    rounds: list[PastRound]

    @classmethod
    def of(cls, game: Game, number: int | None = None) -> PastGame:
        """The stored game (rounds loaded) as a PastGame."""
        rounds = [
            PastRound(
                played.round_number,
                played.image_id,
                played.truth,
                played.guess,
                played.ai_guess,
                played.player_points,
                played.ai_points,
            )
            for played in game.rounds
        ]
        return cls(
            game_id=game.id,
            number=number,
            finished_at=game.finished_at or game.started_at,
            player_score=game.player_score,
            ai_score=game.ai_score,
            winner=game.winner or "draw",
            model_name=game.model_name,
            model_version=game.model_version,
            level=_level_title(getattr(game, "level", None)),
            rounds=rounds,
        )


def _level_title(level: object) -> str | None:
    """The level as players read it ("rookie" -> "Rookie"); None when the game has none."""
    return str(level).replace("_", " ").title() if level else None


@dataclass(frozen=True)
class NumberedGame:
    """A line of a player's history: the game's number and its totals."""

    number: int
    finished_at: datetime
    player_score: int
    ai_score: int
    winner: str
    model_name: str
    model_version: int | None


def _numbered(user_id: int) -> Select[Any]:
    number = func.row_number().over(order_by=(Game.finished_at, Game.id)).label("number")
    return select(Game.id, number).where(Game.user_id == user_id, FINISHED)


def history(
    session: Session, user_id: int, since: datetime | None = None, limit: int = 100
) -> list[NumberedGame]:
    """The player's finished games since `since` (all when None), newest first, numbered."""
    numbered = _numbered(user_id).subquery()
    query = (
        select(Game, numbered.c.number)
        .join(numbered, numbered.c.id == Game.id)
        .order_by(numbered.c.number.desc())
        .limit(limit)
    )
    if since is not None:
        query = query.where(Game.finished_at >= since)
    return [
        NumberedGame(
            number,
            game.finished_at,
            game.player_score,
            game.ai_score,
            game.winner or "draw",
            game.model_name,
            game.model_version,
        )
        for game, number in session.execute(query)
    ]


def player_game(session: Session, user_id: int, number: int) -> PastGame | None:
    """The player's own finished game `number` (1 = their first), or None."""
    numbered = _numbered(user_id).subquery()
    game = session.scalar(
        select(Game)
        .join(numbered, numbered.c.id == Game.id)
        .where(numbered.c.number == number)
        .options(selectinload(Game.rounds))
    )
    return PastGame.of(game, number) if game is not None else None


def finished_game(session: Session, game_id: str) -> PastGame | None:
    """Any finished game by id, without its player's number or name; None if not finished."""
    game = session.scalar(
        select(Game).where(Game.id == game_id, FINISHED).options(selectinload(Game.rounds))
    )
    return PastGame.of(game) if game is not None else None


def is_finished(session: Session, game_id: str) -> bool:
    """True when the game is recorded as finished."""
    return session.scalar(select(Game.id).where(Game.id == game_id, FINISHED)) is not None
