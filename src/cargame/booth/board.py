"""Today's booth boards: top scores, the humans-against-AI tally, the hardest car, last rounds.

Each is one SQL aggregate over booth games (`mode = "booth"`); times are aware datetimes, and a
day is the [start, end) interval `BoothSettings.day_bounds` gives for the fair's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Float, case, cast, func, select
from sqlalchemy.orm import Session

from cargame.accounts.models import BoothName, Game, GameRound
from cargame.domain.game import EXACT_MODEL_POINTS

BOOTH = "booth"


@dataclass(frozen=True)
class TopScore:
    """One leaderboard line; `nickname` is None for a game that was not named."""

    rank: int
    nickname: str | None
    player_score: int
    ai_score: int
    winner: str
    finished_at: datetime


@dataclass(frozen=True)
class Tally:
    """Games won by each side, draws, games, and the points each side scored."""

    human_wins: int = 0
    ai_wins: int = 0
    draws: int = 0
    games: int = 0
    human_points: int = 0
    ai_points: int = 0


@dataclass(frozen=True)
class HardestCar:
    """The car people named exactly least often; `image_id` is one of its photos shown."""

    truth: str
    shown: int
    hits: int
    image_id: str


@dataclass(frozen=True)
class RecentRound:
    """A guessed round; `when` is its game's time (finished, else started): rounds keep none."""

    image_id: str
    truth: str
    guess: str | None
    ai_guess: str | None
    player_points: int
    ai_points: int
    nickname: str | None
    when: datetime


def _finished_between(start: datetime, end: datetime) -> tuple[ColumnElement[bool], ...]:
    """Booth games finished in [start, end)."""
    return (
        Game.mode == BOOTH,
        Game.status == "finished",
        Game.finished_at >= start,
        Game.finished_at < end,
    )


def top_scores(session: Session, start: datetime, end: datetime, limit: int = 10) -> list[TopScore]:
    """Finished booth games in [start, end): most points, then widest lead, then earliest."""
    query = (
        select(Game.player_score, Game.ai_score, Game.winner, Game.finished_at, BoothName.name)
        .outerjoin(BoothName, BoothName.game_id == Game.id)
        .where(*_finished_between(start, end))
        .order_by(
            Game.player_score.desc(),
            (Game.player_score - Game.ai_score).desc(),
            Game.finished_at,
            Game.id,
        )
        .limit(limit)
    )
    return [
        TopScore(rank, name, player, ai, winner, finished_at)
        for rank, (player, ai, winner, finished_at, name) in enumerate(session.execute(query), 1)
    ]


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def tally(session: Session, start: datetime, end: datetime) -> Tally:
    """Humans' wins, the AI's wins, draws, games and both sides' points in [start, end)."""
    row = session.execute(
        select(
            _count(Game.winner == "player"),
            _count(Game.winner == "ai"),
            _count(Game.winner == "draw"),
            func.count(),
            func.coalesce(func.sum(Game.player_score), 0),
            func.coalesce(func.sum(Game.ai_score), 0),
        ).where(*_finished_between(start, end))
    ).one()
    return Tally(*(int(value) for value in row))


def hardest_car(
    session: Session, start: datetime, end: datetime, min_shown: int = 3
) -> HardestCar | None:
    """The truth people named exactly least often among booth rounds of games started in
    [start, end) and shown at least `min_shown` times; ties: the one shown more. None if none."""
    hits = _count(GameRound.player_points >= EXACT_MODEL_POINTS)
    shown = func.count()
    query = (
        select(GameRound.truth, shown, hits, func.min(GameRound.image_id))
        .join(Game, Game.id == GameRound.game_id)
        .where(Game.mode == BOOTH, Game.started_at >= start, Game.started_at < end)
        .group_by(GameRound.truth)
        .having(shown >= min_shown)
        .order_by((cast(hits, Float) / shown).asc(), shown.desc(), GameRound.truth)
        .limit(1)
    )
    row = session.execute(query).first()
    if row is None:
        return None
    truth, shown_count, hit_count, image_id = row
    return HardestCar(truth, int(shown_count), int(hit_count), image_id)


def recent_rounds(
    session: Session, limit: int = 4, since: datetime | None = None
) -> list[RecentRound]:
    """The last guessed booth rounds, newest first (by their game's start, then round number);
    with `since`, only rounds of games started then or later."""
    query = (
        select(
            GameRound.image_id,
            GameRound.truth,
            GameRound.guess,
            GameRound.ai_guess,
            GameRound.player_points,
            GameRound.ai_points,
            BoothName.name,
            func.coalesce(Game.finished_at, Game.started_at),
        )
        .join(Game, Game.id == GameRound.game_id)
        .outerjoin(BoothName, BoothName.game_id == Game.id)
        .where(Game.mode == BOOTH)
        .order_by(Game.started_at.desc(), Game.id, GameRound.round_number.desc())
        .limit(limit)
    )
    if since is not None:
        query = query.where(Game.started_at >= since)
    return [RecentRound(*row) for row in session.execute(query)]
