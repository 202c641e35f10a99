"""Queries for players: a player's history and stats, and the leaderboard (finished games only)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from cargame.accounts.models import Game, GameRound, User, utc_now
from cargame.domain.catalog import split_label

Period = Literal["today", "week", "all"]
Ranking = Literal["wins", "points"]
PERIODS: tuple[Period, ...] = ("today", "week", "all")
FINISHED = Game.status == "finished"


@dataclass(frozen=True)
class GameSummary:
    """One finished game as a player's history shows it."""

    game_id: str
    finished_at: datetime
    mode: str
    model_name: str
    model_version: int | None
    player_score: int
    ai_score: int
    winner: str
    level: str | None = None  # the opponent level played

    @classmethod
    def of(cls, game: Game) -> GameSummary:
        """The summary of a stored game."""
        copied = {field.name: getattr(game, field.name) for field in fields(cls)[1:]}
        return cls(game_id=game.id, **copied)


@dataclass(frozen=True)
class MakeAccuracy:
    """How often the player named a make's cars right (exactly, or at least the make)."""

    make: str
    rounds: int
    exact: int
    right_make: int

    @property
    def exact_rate(self) -> float:
        return self.exact / self.rounds


@dataclass(frozen=True)
class ProfileStats:
    """A player's record against the AI."""

    games: int
    wins: int
    draws: int
    losses: int
    best_streak: int
    points_over_time: list[tuple[datetime, int, int]]  # (finished_at, player, AI)
    make_accuracy: list[MakeAccuracy]

    @property
    def win_rate(self) -> float:
        return self.wins / self.games if self.games else 0.0


@dataclass(frozen=True)
class LeaderboardRow:
    """A place on the leaderboard: the username only, never anything else about the player."""

    rank: int
    username: str
    wins: int
    points: int
    games: int


def player_history(
    session: Session, user_id: int, limit: int = 100, period: Period = "all"
) -> list[GameSummary]:
    """The player's own finished games in `period`, newest first."""
    query = select(Game).where(Game.user_id == user_id, FINISHED)
    start = period_start(period)
    if start is not None:
        query = query.where(Game.finished_at >= start)
    games = session.scalars(query.order_by(Game.finished_at.desc()).limit(limit))
    return [GameSummary.of(game) for game in games]


def best_streak(winners: list[str]) -> int:
    """The longest run of consecutive wins against the AI (a draw or a loss ends a run)."""
    best = current = 0
    for winner in winners:
        current = current + 1 if winner == "player" else 0
        best = max(best, current)
    return best


def _make_accuracy(session: Session, user_id: int) -> list[MakeAccuracy]:
    rows = session.execute(
        select(GameRound.truth, GameRound.guess).join(Game).where(Game.user_id == user_id, FINISHED)
    )
    counts: dict[str, list[int]] = {}
    for truth, guess in rows:
        make = split_label(truth)[0]
        tally = counts.setdefault(make, [0, 0, 0])
        tally[0] += 1
        tally[1] += guess == truth
        tally[2] += guess is not None and split_label(guess)[0] == make
    return [
        MakeAccuracy(make, rounds, exact, right_make)
        for make, (rounds, exact, right_make) in sorted(counts.items())
    ]


def profile_stats(session: Session, user_id: int) -> ProfileStats:
    """Win rate, best streak, points over time and accuracy per make for one player."""
    rows = session.execute(
        select(Game.finished_at, Game.player_score, Game.ai_score, Game.winner)
        .where(Game.user_id == user_id, FINISHED)
        .order_by(Game.finished_at)
    ).all()
    winners = [row.winner for row in rows]
    return ProfileStats(
        games=len(rows),
        wins=winners.count("player"),
        draws=winners.count("draw"),
        losses=winners.count("ai"),
        best_streak=best_streak(winners),
        points_over_time=[(row.finished_at, row.player_score, row.ai_score) for row in rows],
        make_accuracy=_make_accuracy(session, user_id),
    )


def period_start(period: Period, now: datetime | None = None) -> datetime | None:
    """Start of today or of this week (Monday), in UTC; None for all time."""
    now = now or utc_now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "today":
        return midnight
    if period == "week":
        return midnight - timedelta(days=midnight.weekday())
    if period == "all":
        return None
    raise ValueError(f"unknown period {period!r}; expected one of {', '.join(PERIODS)}")


def leaderboard(
    session: Session,
    period: Period = "all",
    by: Ranking = "wins",
    limit: int = 10,
    now: datetime | None = None,
    level: str | None = None,
) -> list[LeaderboardRow]:
    """Top registered players by wins against the AI or by points; ties share a rank.

    With `level`, only games against that opponent level count (None: every level)."""
    if by not in ("wins", "points"):
        raise ValueError(f"unknown ranking {by!r}; expected wins or points")
    wins = func.sum(case((Game.winner == "player", 1), else_=0)).label("wins")
    points = func.sum(Game.player_score).label("points")
    primary, secondary = (wins, points) if by == "wins" else (points, wins)
    query = (
        select(User.username, wins, points, func.count(Game.id).label("games"))
        .join(Game, (Game.user_id == User.id) & FINISHED)
        .group_by(User.id, User.username)
        .order_by(primary.desc(), secondary.desc(), User.username)
        .limit(limit)
    )
    start = period_start(period, now)
    if start is not None:
        query = query.where(Game.finished_at >= start)
    if level is not None:
        query = query.where(Game.level == level)
    rows = session.execute(query).all()
    ranked: list[LeaderboardRow] = []
    for position, row in enumerate(rows, start=1):
        key = (row.wins, row.points)
        tied = ranked and (ranked[-1].wins, ranked[-1].points) == key
        rank = ranked[-1].rank if tied else position
        ranked.append(LeaderboardRow(rank, row.username, int(row.wins), int(row.points), row.games))
    return ranked
