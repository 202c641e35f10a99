"""What the filters can offer: the model versions, makes and dates that occur in the data."""

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
    first_day: date | None
    last_day: date | None


def filter_options(session: Session) -> FilterOptions:
    """Distinct model versions and makes, and the first and last day with a game."""
    versions = session.scalars(
        select(Game.model_version).where(Game.model_version.is_not(None)).distinct()
    )
    makes = session.scalars(select(GameRound.truth_make).distinct())
    first, last = session.execute(
        select(func.date(func.min(Game.started_at)), func.date(func.max(Game.started_at)))
    ).one()
    return FilterOptions(
        model_versions=sorted(int(version) for version in versions),
        makes=sorted(make for make in makes if make),
        first_day=as_date(first) if first else None,
        last_day=as_date(last) if last else None,
    )
