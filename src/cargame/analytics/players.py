"""The players: time to guess vs correctness, learning within a game, returning players and
guests who keep their game by registering or signing in. Counts only, never a player's name."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, case, cast, func, literal, select
from sqlalchemy.orm import Session

from cargame.accounts.models import Game, GameRound
from cargame.analytics.filters import Filters
from cargame.analytics.stats import wilson

# Upper bounds (seconds, exclusive) of the time-to-guess buckets; the last bucket is open.
SECONDS_BOUNDS = (3, 6, 10, 20)
SECONDS_LABELS = ("< 3 s", "3–6 s", "6–10 s", "10–20 s", "20 s and more")
MOST_GAMES = 10  # players with this many games or more share one bar of the distribution


@dataclass(frozen=True)
class Hits:
    """Human answers in one group of rounds: how many, how many exact, how many right make."""

    group: str
    rounds: int
    exact: int
    make: int

    def rate(self, hits: int | None = None) -> tuple[float, float, float]:
        """(rate, low, high) of `hits` (exact by default), with a 95 % Wilson interval."""
        hits = self.exact if hits is None else hits
        low, high = wilson(hits, self.rounds)
        return (hits / self.rounds if self.rounds else 0.0), low, high


@dataclass(frozen=True)
class RoundHits(Hits):
    """Hits in round `round_number`, for players who had (not) seen the AI's truth heatmap."""

    round_number: int = 0
    seen_heatmap: bool = False


@dataclass(frozen=True)
class Returning:
    """Registered players by days played, and how many games each played (capped bar)."""

    one_day: int
    several_days: int
    games_per_player: dict[int, int]  # games (MOST_GAMES means "that many or more") -> players


@dataclass(frozen=True)
class Conversion:
    """Finished guest games, and how many of them a player kept by registering or signing in."""

    guest_games: int
    kept: int

    def rate(self) -> tuple[float, float, float]:
        """(rate, low, high) of kept games, with a 95 % Wilson interval."""
        low, high = wilson(self.kept, self.guest_games)
        return (self.kept / self.guest_games if self.guest_games else 0.0), low, high


def _count(condition: object) -> object:
    """Rows where `condition` holds: count(*) FILTER (WHERE ...), cheaper than sum(CASE ...)."""
    return func.count().filter(condition)


def _human_hits() -> tuple[object, object, object]:
    return func.count(), _count(GameRound.player_points >= 2), _count(GameRound.player_points >= 1)


def seconds_bucket(seconds: object) -> object:
    """The index of a time-to-guess bucket (0..4), as a CASE both databases understand."""
    steps = [(seconds < bound, index) for index, bound in enumerate(SECONDS_BOUNDS)]
    return case(*steps, else_=literal(len(SECONDS_BOUNDS)))


def time_to_guess(session: Session, filters: Filters) -> list[Hits]:
    """Per time-to-guess bucket (rounds with a time only): rounds and human hits."""
    bucket = seconds_bucket(GameRound.seconds).label("bucket")
    query = (
        select(bucket, *_human_hits())
        .select_from(GameRound)
        .where(GameRound.seconds.is_not(None))
        .group_by(bucket)
        .order_by(bucket)
    )
    rows = session.execute(filters.on_rounds(query)).all()
    return [Hits(SECONDS_LABELS[int(row[0])], *(int(v or 0) for v in row[1:])) for row in rows]


def learning(session: Session, filters: Filters) -> list[RoundHits]:
    """Per round number, split by whether the player had opened "where it should have looked"
    in an earlier round of the same game (stored with each round when it is played)."""
    query = (
        select(
            GameRound.round_number,
            GameRound.after_truth_heatmap,
            func.count(),
            _count(GameRound.player_points >= 2),
            _count(GameRound.player_points >= 1),
        )
        .select_from(GameRound)
        .group_by(GameRound.round_number, GameRound.after_truth_heatmap)
        .order_by(GameRound.round_number, GameRound.after_truth_heatmap)
    )
    query = filters.on_rounds(query)
    return [
        RoundHits(
            group=f"round {row[0]}",
            rounds=int(row[2]),
            exact=int(row[3] or 0),
            make=int(row[4] or 0),
            round_number=int(row[0]),
            seen_heatmap=bool(row[1]),
        )
        for row in session.execute(query).all()
    ]


def returning(session: Session, filters: Filters) -> Returning:
    """Registered players with games on one day vs on two or more, and games per player."""
    per_player = filters.on_games(
        select(
            func.count(func.distinct(func.date(Game.started_at))).label("days"),
            func.count(Game.id).label("games"),
        )
        .where(Game.user_id.is_not(None))
        .group_by(Game.user_id)
    ).subquery()
    one_day, several = session.execute(
        select(_count(per_player.c.days == 1), _count(per_player.c.days >= 2))
    ).one()
    capped = case((per_player.c.games >= MOST_GAMES, MOST_GAMES), else_=per_player.c.games)
    games = cast(capped, Integer).label("games")
    distribution = session.execute(
        select(games, func.count()).group_by(games).order_by(games)
    ).all()
    return Returning(
        int(one_day or 0), int(several or 0), {int(row[0]): int(row[1]) for row in distribution}
    )


def conversion(session: Session, filters: Filters) -> Conversion:
    """Finished games played as a guest (still a guest's, or kept since) and how many were kept."""
    played_as_guest = Game.user_id.is_(None) | Game.kept_by_guest.is_(True)
    query = select(_count(played_as_guest), _count(Game.kept_by_guest.is_(True))).where(
        Game.status == "finished"
    )
    guest_games, kept = session.execute(filters.on_games(query)).one()
    return Conversion(int(guest_games or 0), int(kept or 0))
