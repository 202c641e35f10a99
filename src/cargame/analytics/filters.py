"""The filters every analytics view shares: date range, mode, model version, make, level."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, select

from cargame.accounts.models import Game, GameRound

MODES = ("solo", "booth")
MAX_CHOICES = 200  # more selected values than any catalog has makes is not a real filter

Query = TypeVar("Query", bound=Select[Any])


class FilterError(ValueError):
    """A filter value that cannot be used; the message says which."""


@dataclass(frozen=True)
class Filters:
    """Which games and rounds a view covers. Empty choices mean "all"; dates are UTC days."""

    start: date | None = None
    end: date | None = None  # inclusive
    modes: tuple[str, ...] = ()
    model_versions: tuple[int, ...] = ()
    makes: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()  # the opponent levels (rookie, pro, expert, ...)

    @classmethod
    def from_values(
        cls,
        start: object = None,
        end: object = None,
        modes: object = None,
        model_versions: object = None,
        makes: object = None,
        levels: object = None,
    ) -> Filters:
        """From the filter bar's values (ISO date strings, lists); raises FilterError."""
        first, last = _day(start, "start"), _day(end, "end")
        if first and last and first > last:
            first, last = last, first
        chosen_modes = _choices(modes, "mode")
        unknown = set(chosen_modes) - set(MODES)
        if unknown:
            raise FilterError(f"unknown mode {sorted(unknown)[0]!r}")
        try:
            versions = tuple(int(value) for value in _choices(model_versions, "model version"))
        except ValueError as error:
            raise FilterError("model versions are whole numbers") from error
        chosen_levels = _choices(levels, "level")
        return cls(first, last, chosen_modes, versions, _choices(makes, "make"), chosen_levels)

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> Filters:
        """From an export URL's query string: `start`, `end`, and repeated `mode`, `version`,
        `make`, `level` (a werkzeug MultiDict, or a plain dict of lists)."""
        return cls.from_values(
            args.get("start"),
            args.get("end"),
            _many(args, "mode"),
            _many(args, "version"),
            _many(args, "make"),
            _many(args, "level"),
        )

    def to_args(self) -> list[tuple[str, str]]:
        """The query string pairs that `from_args` reads back."""
        pairs = [("start", str(self.start))] if self.start else []
        pairs += [("end", str(self.end))] if self.end else []
        pairs += [("mode", mode) for mode in self.modes]
        pairs += [("version", str(version)) for version in self.model_versions]
        pairs += [("make", make) for make in self.makes]
        return pairs + [("level", level) for level in self.levels]

    def on_games(self, query: Query) -> Query:
        """`query` (which selects from or joins `games`) restricted to these filters."""
        if self.start:
            query = query.where(Game.started_at >= _midnight(self.start))
        if self.end:
            query = query.where(Game.started_at < _midnight(self.end + timedelta(days=1)))
        if self.modes:
            query = query.where(Game.mode.in_(self.modes))
        if self.model_versions:
            query = query.where(Game.model_version.in_(self.model_versions))
        if self.levels:
            query = query.where(Game.level.in_(self.levels))
        if self.makes:
            # A game counts for a make when one of its rounds showed that make.
            shown = select(GameRound.game_id).where(GameRound.truth_make.in_(self.makes))
            query = query.where(Game.id.in_(shown))
        return query

    def on_rounds(self, query: Query) -> Query:
        """`query` (which selects from rounds) restricted to these filters. Each round carries
        its game's mode, level, model version and start day, so no join to games is needed."""
        if self.start:
            query = query.where(GameRound.game_day >= self.start)
        if self.end:
            query = query.where(GameRound.game_day <= self.end)
        if self.modes:
            query = query.where(GameRound.mode.in_(self.modes))
        if self.model_versions:
            query = query.where(GameRound.model_version.in_(self.model_versions))
        if self.levels:
            query = query.where(GameRound.level.in_(self.levels))
        if self.makes:
            query = query.where(GameRound.truth_make.in_(self.makes))
        return query


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _day(value: object, name: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise FilterError(f"the {name} date must be a date")
    if len(value) > 10 and value[10] not in "T ":
        raise FilterError(f"the {name} date must look like 2026-12-05")
    try:
        return date.fromisoformat(value[:10])
    except ValueError as error:
        raise FilterError(f"the {name} date must look like 2026-12-05") from error


def _choices(value: object, name: str) -> tuple[str, ...]:
    if value in (None, "", []):
        return ()
    values: Iterable[object] = value if isinstance(value, list | tuple) else [value]
    chosen = tuple(dict.fromkeys(str(item) for item in values if item not in (None, "")))
    if len(chosen) > MAX_CHOICES or any(len(item) > 200 for item in chosen):
        raise FilterError(f"too many or too long {name} values")
    if not all(isinstance(item, str | int) for item in values):
        raise FilterError(f"{name} values must be text")
    return chosen


def _many(args: Mapping[str, Any], key: str) -> list[str]:
    getlist = getattr(args, "getlist", None)
    if getlist is not None:
        return list(getlist(key))
    value = args.get(key)
    return list(value) if isinstance(value, list | tuple) else ([value] if value else [])
