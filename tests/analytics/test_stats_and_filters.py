"""The maths against published values, the filters' day boundaries in UTC, the filter choices."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cargame.accounts.models import Game, GameRound
from cargame.analytics.filters import FilterError, Filters
from cargame.analytics.options import FilterOptions, filter_options
from cargame.analytics.stats import CalibrationBin, expected_calibration_error, wilson

from .conftest import DAY, add_game

LATER = DAY + timedelta(days=3)


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        (0, 10, 0.0, 0.2775),
        (5, 10, 0.2366, 0.7634),
        (81, 263, 0.2553, 0.3662),
        (10, 10, 0.7225, 1.0),
    ],
)
def test_wilson_intervals_match_the_textbook(successes, trials, low, high) -> None:
    assert wilson(successes, trials) == pytest.approx((low, high), abs=1e-4)


def test_no_trials_means_no_knowledge() -> None:
    assert wilson(0, 0) == (0.0, 1.0)


def test_expected_calibration_error_weighs_bins_by_rounds() -> None:
    bins = [CalibrationBin(0.5, 0.6, 30, 0.55, 0.45), CalibrationBin(0.9, 1.0, 10, 0.95, 0.95)]
    assert expected_calibration_error(bins) == pytest.approx(30 * 0.10 / 40)
    assert expected_calibration_error([]) == 0.0


def test_the_end_day_is_included_to_its_last_microsecond(sessions: sessionmaker[Session]) -> None:
    end = date(2026, 3, 2)
    last = datetime(2026, 3, 2, 23, 59, 59, 999999, tzinfo=UTC)
    next_midnight = datetime(2026, 3, 3, tzinfo=UTC)
    plus_two = datetime(2026, 3, 3, 1, 30, tzinfo=timezone(timedelta(hours=2)))  # 23:30 UTC
    with sessions() as session:
        for game_id, started in (("last", last), ("next", next_midnight), ("tz", plus_two)):
            add_game(session, game_id, [{}], started_at=started)
        only_that_day = Filters(start=end, end=end)
        kept = session.scalar(only_that_day.on_games(select(func.count(Game.id))))
        assert kept == 2  # "last" and "tz"; not the next day's midnight
        # Rounds are filtered by the copy of their game's start day, without games.
        rounds = select(func.count()).select_from(GameRound)
        assert session.scalar(only_that_day.on_rounds(rounds)) == 2


def test_filter_options_list_what_occurs(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert filter_options(session) == FilterOptions([], [], [], None, None)
        add_game(session, "a", [{"truth": "Volvo/V60", "truth_make": "Volvo"}], model_version=3)
        add_game(
            session, "b", [{}, {"truth": "?", "truth_make": ""}], started_at=LATER, level="pro"
        )
        add_game(session, "c", [], model_version=None)
        assert filter_options(session) == FilterOptions(
            model_versions=[1, 3],
            makes=["Audi", "Volvo"],
            levels=["pro"],
            first_day=DAY.date(),
            last_day=LATER.date(),
        )


@pytest.mark.parametrize(
    "values",
    [("2026-13-01",), ("2026-12-05garbage",), (None, None, ["party"]), (None, None, None, ["v2"])],
)
def test_bad_filter_values_are_refused(values) -> None:
    with pytest.raises(FilterError):
        Filters.from_values(*values)
