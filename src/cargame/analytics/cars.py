"""Cars: per car model shown, how often humans and the AI named it exactly, and how sure the
AI was; preset views of the cars that fool humans, fool the AI, or are hard for both."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Float, cast, func, select
from sqlalchemy.orm import Session

from cargame.accounts.models import GameRound
from cargame.analytics.filters import Filters

Preset = Literal["all", "fools_humans", "fools_ai", "hard_for_both"]
PRESETS: tuple[Preset, ...] = ("all", "fools_humans", "fools_ai", "hard_for_both")
MIN_SHOWN = 3  # fewer rounds than this say nothing about a car, so presets leave them out
LOW = 0.4  # exact accuracy below 40 % is "low" for the presets
HIGH = 0.6  # and 60 % or more is "high"


@dataclass(frozen=True)
class CarStats:
    """One car model (the truth label) over the filtered rounds."""

    label: str
    make: str
    shown: int
    human_exact: int
    ai_exact: int
    ai_mean_confidence: float | None  # None when no round recorded a confidence

    @property
    def human_accuracy(self) -> float:
        return self.human_exact / self.shown if self.shown else 0.0

    @property
    def ai_accuracy(self) -> float:
        return self.ai_exact / self.shown if self.shown else 0.0


def car_stats(session: Session, filters: Filters, preset: Preset = "all") -> list[CarStats]:
    """Per truth label: rounds shown, exact hits of humans and AI, the AI's mean confidence.

    Presets keep cars shown at least MIN_SHOWN times and order them by how strongly they fit.
    """
    shown = func.count()
    human = func.count().filter(GameRound.player_points >= 2)
    ai = func.count().filter(GameRound.ai_points >= 2)
    query = (
        select(
            GameRound.truth,
            GameRound.truth_make,
            shown,
            human,
            ai,
            func.avg(GameRound.ai_confidence),
        )
        .select_from(GameRound)
        .group_by(GameRound.truth_make, GameRound.truth)
    )
    query = _preset(query, preset, shown, human, ai)
    rows = session.execute(filters.on_rounds(query)).all()
    return [
        CarStats(
            label=str(row[0]),
            make=str(row[1] or ""),
            shown=int(row[2]),
            human_exact=int(row[3] or 0),
            ai_exact=int(row[4] or 0),
            ai_mean_confidence=float(row[5]) if row[5] is not None else None,
        )
        for row in rows
    ]


def _preset(query: Any, preset: Preset, shown: Any, human: Any, ai: Any) -> Any:
    """The HAVING and ORDER BY of a preset; "all" is every car, most shown first."""
    if preset == "all":
        return query.order_by(shown.desc(), GameRound.truth)
    human_rate = cast(human, Float) / shown
    ai_rate = cast(ai, Float) / shown
    query = query.having(shown >= MIN_SHOWN)
    if preset == "fools_humans":
        query = query.having(human_rate < LOW, ai_rate >= HIGH)
        order = (ai_rate - human_rate).desc()
    elif preset == "fools_ai":
        query = query.having(ai_rate < LOW, human_rate >= HIGH)
        order = (human_rate - ai_rate).desc()
    elif preset == "hard_for_both":
        query = query.having(human_rate < LOW, ai_rate < LOW)
        order = (human_rate + ai_rate).asc()
    else:
        raise ValueError(f"unknown preset {preset!r}")
    return query.order_by(order, shown.desc(), GameRound.truth)
