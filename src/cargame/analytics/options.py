"""What the filters can offer: the model versions, levels, makes and dates in the data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cargame.accounts.models import Game, GameRound
from cargame.analytics.overview import as_date


@dataclass(frozen=True)
class FilterOptions:
    """The choices of the filter bar."""

    model_versions: list[int]
    makes: list[str]
    levels: list[str]
    first_day: date | None
    last_day: date | None


def filter_options(session: Session) -> FilterOptions:
    """Distinct model versions, makes and levels, and the first and last day with a game."""
    versions = session.scalars(
        select(Game.model_version).where(Game.model_version.is_not(None)).distinct()
    )
    makes = _makes(session)
    levels = session.scalars(select(Game.level).where(Game.level.is_not(None)).distinct())
    first, last = session.execute(
        select(func.date(func.min(Game.started_at)), func.date(func.max(Game.started_at)))
    ).one()
    return FilterOptions(
        model_versions=sorted(int(version) for version in versions),
        makes=sorted(make for make in makes if make),
        levels=sorted(levels),
        first_day=as_date(first) if first else None,
        last_day=as_date(last) if last else None,
    )


def _makes(session: Session) -> list[str]:
    """The distinct makes shown, one index probe per make (a recursive CTE: the next make after
    the last one found) instead of a pass over every round."""
    makes = select(func.min(GameRound.truth_make).label("make")).cte("makes", recursive=True)
    after = select(func.min(GameRound.truth_make)).where(GameRound.truth_make > makes.c.make)
    makes = makes.union_all(
        select(after.scalar_subquery()).select_from(makes).where(makes.c.make.is_not(None))
    )
    return list(session.scalars(select(makes.c.make).where(makes.c.make.is_not(None))))
