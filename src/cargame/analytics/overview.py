"""The overview: games started, finished and abandoned, players, who wins, per day; human and
AI accuracy over time by mode or by model (opponent level and version)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import Integer, Row, cast, func, select
from sqlalchemy.orm import Session

from cargame.accounts.models import Game, GameRound
from cargame.analytics.filters import Filters
from cargame.analytics.model_quality import model_name
from cargame.analytics.stats import wilson

GroupBy = Literal["mode", "model_version"]


@dataclass(frozen=True)
class Day:
    """One day's games (by start time, UTC)."""

    day: date
    started: int
    finished: int
    abandoned: int
    players: int  # distinct registered players
    guest_games: int
    human_wins: int
    ai_wins: int
    draws: int


@dataclass(frozen=True)
class Accuracy:
    """Human and AI accuracy on one day for one group, with 95 % Wilson intervals."""

    day: date
    group: str
    rounds: int
    human_exact: int
    human_make: int
    ai_exact: int
    ai_make: int

    def rate(self, hits: int) -> tuple[float, float, float]:
        """(rate, low, high) of `hits` among the rounds."""
        low, high = wilson(hits, self.rounds)
        return (hits / self.rounds if self.rounds else 0.0), low, high


def _count(condition: object) -> object:
    """Rows where `condition` holds: count(*) FILTER (WHERE ...), cheaper than sum(CASE ...)."""
    return func.count().filter(condition)


def as_date(value: object) -> date:
    """`date()` comes back as a date (PostgreSQL) or an ISO string (SQLite)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def days(session: Session, filters: Filters) -> list[Day]:
    """Per day: games by status, players, guest games and winners of finished games."""
    day = func.date(Game.started_at).label("day")
    query = (
        select(
            day,
            func.count(Game.id),
            _count(Game.status == "finished"),
            _count(Game.status == "abandoned"),
            func.count(func.distinct(Game.user_id)),
            _count(Game.user_id.is_(None)),
            _count((Game.status == "finished") & (Game.winner == "player")),
            _count((Game.status == "finished") & (Game.winner == "ai")),
            _count((Game.status == "finished") & (Game.winner == "draw")),
        )
        .group_by(day)
        .order_by(day)
    )
    rows = session.execute(filters.on_games(query)).all()
    return [Day(as_date(row[0]), *(int(value or 0) for value in row[1:])) for row in rows]


def registered_players(session: Session, filters: Filters) -> int:
    """Distinct registered players in the range (a player on two days counts once)."""
    query = select(func.count(func.distinct(Game.user_id))).where(Game.user_id.is_not(None))
    return int(session.scalar(filters.on_games(query)) or 0)


def accuracy(session: Session, filters: Filters, by: GroupBy = "mode") -> list[Accuracy]:
    """Per day and mode (or model version): rounds and exact/make hits of human and AI.

    Without a make filter the games' own tallies are summed (one row per game, not per round);
    a make filter needs the rounds of that make.
    """
    if filters.makes:
        return accuracy_from_rounds(session, filters, by)
    day = func.date(Game.started_at).label("day")
    groups = _groups(by, Game.mode, Game.level, Game.model_version)
    query = (
        select(
            day,
            *groups,
            func.sum(Game.rounds_played),
            func.sum(Game.human_exact),
            func.sum(Game.human_make),
            func.sum(Game.ai_exact),
            func.sum(Game.ai_make),
        )
        .where(Game.rounds_played > 0)
        .group_by(day, *groups)
        .order_by(day, *groups)
    )
    return _accuracy_rows(session.execute(filters.on_games(query)).all(), by)


def accuracy_from_rounds(
    session: Session, filters: Filters, by: GroupBy = "mode"
) -> list[Accuracy]:
    """`accuracy` counted round by round (what a make filter needs)."""
    day = GameRound.game_day.label("day")
    groups = _groups(by, GameRound.mode, GameRound.level, GameRound.model_version)
    query = (
        select(
            day,
            *groups,
            func.count(),
            _count(GameRound.player_points >= 2),
            _count(GameRound.player_points >= 1),
            _count(GameRound.ai_points >= 2),
            _count(GameRound.ai_points >= 1),
        )
        .select_from(GameRound)
        .group_by(day, *groups)
        .order_by(day, *groups)
    )
    return _accuracy_rows(session.execute(filters.on_rounds(query)).all(), by)


def _groups(by: GroupBy, mode: Any, level: Any, version: Any) -> list[Any]:
    """The group columns: the mode, or the model as its level and version (the levels are
    separate servables whose version numbers coincide)."""
    return [mode] if by == "mode" else [level, cast(version, Integer)]


def _accuracy_rows(rows: Sequence[Row[Any]], by: GroupBy) -> list[Accuracy]:
    """(day, group column(s), rounds, human exact, human make, AI exact, AI make) rows."""
    width = 1 if by == "mode" else 2
    return [
        Accuracy(
            as_date(row[0]),
            str(row[1]) if by == "mode" else model_name(row[1], row[2]),
            *(int(v or 0) for v in row[1 + width :]),
        )
        for row in rows
    ]
