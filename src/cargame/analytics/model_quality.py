"""The AI's quality: calibration of its top-1 confidence, accuracy and top-5 hits per model
(opponent level and version: the levels are separate servables whose versions coincide)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, case, cast, func, literal, select
from sqlalchemy.orm import Session

from cargame.accounts.models import GameRound
from cargame.analytics.filters import Filters
from cargame.analytics.stats import CalibrationBin, wilson

BINS = 10  # equal-width confidence bins: [0, 0.1), [0.1, 0.2), ..., [0.9, 1.0]


@dataclass(frozen=True)
class VersionQuality:
    """The AI's answers under one model (level and version): exact and right-make hits, top-5
    hits. `version` names it on the charts, e.g. "Expert v3"."""

    version: str
    rounds: int
    exact: int
    make: int
    top5: int

    def rate(self, hits: int) -> tuple[float, float, float]:
        """(rate, low, high) of `hits` among the rounds, with a 95 % Wilson interval."""
        low, high = wilson(hits, self.rounds)
        return (hits / self.rounds if self.rounds else 0.0), low, high


def _count(condition: object) -> object:
    """Rows where `condition` holds: count(*) FILTER (WHERE ...), cheaper than sum(CASE ...)."""
    return func.count().filter(condition)


def confidence_bin(confidence: object) -> object:
    """floor(confidence * 10) clamped to 0..9, as a CASE ladder that SQLite and PostgreSQL share
    (SQLite may lack floor(), and PostgreSQL's cast to integer rounds instead of truncating)."""
    steps = [(confidence < round(step / BINS, 1), step - 1) for step in range(1, BINS)]
    return case(*steps, else_=literal(BINS - 1))


def calibration(session: Session, filters: Filters) -> list[CalibrationBin]:
    """Per non-empty confidence bin: rounds, mean top-1 confidence and the AI's exact accuracy."""
    number = confidence_bin(GameRound.ai_confidence).label("bin")
    query = (
        select(
            number,
            func.count(),
            func.avg(GameRound.ai_confidence),
            _count(GameRound.ai_points >= 2),
        )
        .select_from(GameRound)
        .where(GameRound.ai_confidence.is_not(None))
        .group_by(number)
        .order_by(number)
    )
    rows = session.execute(filters.on_rounds(query)).all()
    return [
        CalibrationBin(
            low=int(row[0]) / BINS,
            high=(int(row[0]) + 1) / BINS,
            rounds=int(row[1]),
            mean_confidence=float(row[2]),
            accuracy=int(row[3] or 0) / int(row[1]),
        )
        for row in rows
    ]


def versions(session: Session, filters: Filters) -> list[VersionQuality]:
    """Per model (level and version): rounds, the AI's exact and right-make hits and its top-5
    hits; ordered by version, then level."""
    version = cast(GameRound.model_version, Integer)
    query = (
        select(
            GameRound.level,
            version,
            func.count(),
            _count(GameRound.ai_points >= 2),
            _count(GameRound.ai_points >= 1),
            _count(GameRound.ai_top5_hit.is_(True)),
        )
        .select_from(GameRound)
        .group_by(GameRound.level, version)
        # unknown versions and levels last, on every database
        .order_by(version.is_(None), version, GameRound.level.is_(None), GameRound.level)
    )
    rows = session.execute(filters.on_rounds(query)).all()
    return [
        VersionQuality(model_name(row[0], row[1]), *(int(value or 0) for value in row[2:]))
        for row in rows
    ]


def overall(rows: list[VersionQuality]) -> VersionQuality:
    """All models together (a sum of the per-model counts)."""
    return VersionQuality(
        "all models",
        sum(row.rounds for row in rows),
        sum(row.exact for row in rows),
        sum(row.make for row in rows),
        sum(row.top5 for row in rows),
    )


def model_name(level: str | None, version: object) -> str:
    """ "Expert v3"; "v3" without a level; "Expert, unknown version" without a version."""
    named = level.capitalize() if level else ""
    if version is None:
        return f"{named}, unknown version" if named else "unknown version"
    return f"{named} v{version}" if named else f"v{version}"
