"""/analytics/cars: per-car figures in SQL, presets, example photos with heatmaps, role checks."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cargame.accounts.db import db_session
from cargame.accounts.models import Game, GameRound
from cargame.analytics import cars
from cargame.analytics.filters import Filters
from cargame.web.components import analytics as filters_ui

from .conftest import NO_FILTERS, Analytics, raw_post_status

TABLE = "analytics-cars-table"
STATUS = "analytics-cars-status"
EXAMPLES = "analytics-cars-examples"
INPUTS = {
    **NO_FILTERS,
    "analytics-cars-preset.value": "all",
}
OLD_DAY = date(2020, 1, 1)  # before any game the fixture plays


def _points(answer: str | None, truth: str) -> int:
    if answer is None:
        return 0
    return 2 if answer == truth else int(answer.split("/")[0] == truth.split("/")[0])


def store_game(
    session: Session,
    rounds: list[tuple[str, str | None, str | None]],
    *,
    mode: str = "solo",
    version: int = 3,
    day: date = OLD_DAY,
    confidence: float = 0.5,
) -> None:
    """A finished game whose rounds are (truth, human answer, AI answer) labels."""
    game = Game(
        id=uuid.uuid4().hex,
        mode=mode,
        model_name="cars",
        model_version=version,
        status="finished",
        started_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
        rounds_total=len(rounds),
        rounds_played=len(rounds),
    )
    for number, (truth, guess, ai_guess) in enumerate(rounds, start=1):
        game.rounds.append(
            GameRound(
                round_number=number,
                image_id=f"image{number}",
                truth=truth,
                truth_make=truth.split("/")[0],
                guess=guess,
                guess_make=guess.split("/")[0] if guess else None,
                ai_top5=[],
                ai_guess=ai_guess,
                ai_make=ai_guess.split("/")[0] if ai_guess else None,
                ai_confidence=confidence,
                player_points=_points(guess, truth),
                ai_points=_points(ai_guess, truth),
            )
        )
    session.add(game)
    session.commit()


# Shown 4: humans never right, the AI always; shown 3: humans right, the AI never; shown 3:
# nobody right; shown 2 (too few for presets): fools humans; shown 3: both fine.
PRESET_ROUNDS = (
    [("Audi/A4", "BMW/X5", "Audi/A4")] * 4
    + [("BMW/X5", "BMW/X5", "Volvo/V60")] * 3
    + [("Volvo/XC90", None, "Volvo/V60")] * 3
    + [("BMW/i3", "Audi/A4", "BMW/i3")] * 2
    + [("Audi/Q5", "Audi/Q5", "Audi/Q5")] * 3
)


def test_car_stats_count_in_sql(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        store_game(session, PRESET_ROUNDS, confidence=0.8)
        store_game(session, [("Audi/A4", "Audi/A4", "Audi/Q5")], mode="booth", confidence=0.2)
        stats = {car.label: car for car in cars.car_stats(session, Filters())}
        assert [car.label for car in cars.car_stats(session, Filters())][0] == "Audi/A4"
        audi = stats["Audi/A4"]
        assert (audi.make, audi.shown, audi.human_exact, audi.ai_exact) == ("Audi", 5, 1, 4)
        assert audi.human_accuracy == pytest.approx(0.2)
        assert audi.ai_mean_confidence == pytest.approx((4 * 0.8 + 0.2) / 5)
        assert stats["Volvo/XC90"].human_exact == 0  # no answer is not right
        booth = cars.car_stats(session, Filters(modes=("booth",)))
        assert [(car.label, car.shown, car.human_exact) for car in booth] == [("Audi/A4", 1, 1)]
        bmw = cars.car_stats(session, Filters(makes=("BMW",)))
        assert {car.label for car in bmw} == {"BMW/X5", "BMW/i3"}
        assert cars.car_stats(session, Filters(start=date(2021, 1, 1))) == []


def test_presets_keep_cars_shown_often_enough(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        store_game(session, PRESET_ROUNDS)

        def labels(preset: cars.Preset) -> list[str]:
            return [car.label for car in cars.car_stats(session, Filters(), preset)]

        assert labels("fools_humans") == ["Audi/A4"]  # BMW/i3 fits but was shown twice only
        assert labels("fools_ai") == ["BMW/X5"]
        assert labels("hard_for_both") == ["Volvo/XC90"]
        assert len(labels("all")) == 5


def _cars(client, **changes) -> dict:
    return client.callback({**INPUTS, **changes})


def test_the_table_counts_the_games_played(analytics_app: Analytics) -> None:
    page = json.dumps(analytics_app.analyst.page("/analytics/cars"))
    assert "Analytics: cars" in page and TABLE in page and "at least 3 times" in page
    with analytics_app.app.server.app_context(), db_session() as session:
        played = session.execute(select(GameRound.truth, GameRound.player_points)).all()
    shown = Counter(truth for truth, _ in played)
    exact = Counter(truth for truth, points in played if points == 2)
    rows = _cars(analytics_app.analyst)[TABLE]["data"]
    assert {row["id"]: row["shown"] for row in rows} == dict(shown)
    assert sum(row["shown"] for row in rows) == 13  # 5 + 5 + 2 + 1 rounds guessed
    for row in rows:
        assert row["human"] == pytest.approx(exact[row["id"]] / shown[row["id"]], abs=1e-4)
        assert row["confidence"] == pytest.approx(0.62)  # the fake AI's top probability
    assert [row["shown"] for row in rows] == sorted((row["shown"] for row in rows), reverse=True)


def test_filters_and_presets_narrow_the_table(analytics_app: Analytics) -> None:
    analyst = analytics_app.analyst
    booth = _cars(analyst, **{f"{filters_ui.MODE}.value": ["booth"]})
    assert booth[TABLE]["data"] == []
    assert "No games in this range" in json.dumps(booth[STATUS]["children"])
    audi = _cars(analyst, **{f"{filters_ui.MAKE}.value": ["Audi"]})[TABLE]["data"]
    assert audi and {row["make"] for row in audi} == {"Audi"}
    with analytics_app.app.server.app_context(), db_session() as session:
        store_game(session, PRESET_ROUNDS)
    old_day = {f"{filters_ui.DATES}.start_date": "2020-01-01"}
    old_day[f"{filters_ui.DATES}.end_date"] = "2020-01-01"
    for preset, label in (("fools_humans", "Audi/A4"), ("fools_ai", "BMW/X5")):
        chosen = _cars(analyst, **old_day, **{"analytics-cars-preset.value": preset})
        assert [row["id"] for row in chosen[TABLE]["data"]] == [label]
    none_fit = _cars(
        analyst,
        **{"analytics-cars-preset.value": "hard_for_both"},
        **{f"{filters_ui.MAKE}.value": ["Audi"], **old_day},
    )
    assert "No car fits this preset" in json.dumps(none_fit[STATUS]["children"])


def _examples(client, label: object) -> str:
    cell = {"row": 0, "column": 0, "row_id": label, "column_id": "car"}
    return json.dumps(client.callback({f"{TABLE}.active_cell": cell})[EXAMPLES]["children"])


def test_selecting_a_car_shows_its_photos_and_heatmaps(
    analytics_app: Analytics, fake_explainer
) -> None:
    analyst = analytics_app.analyst
    shown = _examples(analyst, "Volvo/V60")
    photos = re.findall(r'"src": "([^"]+)"', shown)
    assert len(photos) == 6 and all(url.startswith("/media/") for url in photos)
    assert "heatmap unavailable" not in shown and "Volvo V60" in shown
    responses = [analyst.http.get(url) for url in photos]
    assert {response.mimetype for response in responses} == {"image/jpeg", "image/png"}
    assert all(response.status_code == 200 for response in responses)
    fake_explainer[0].fail = True
    broken = _examples(analyst, "Volvo/V60")
    assert len(re.findall(r'"src": "/media/', broken)) == 3
    assert broken.count("heatmap unavailable") == 3
    assert "No photos of the Tesla Model S" in _examples(analyst, "Tesla/Model S")
    assert "Select a row" in _examples(analyst, None)


def test_players_and_guests_get_nothing(analytics_app: Analytics) -> None:
    assert "needs the analyst role" in json.dumps(analytics_app.player.page("/analytics/cars"))
    assert "Sign in to see this page" in json.dumps(analytics_app.guest.page("/analytics/cars"))
    for output_id in (STATUS, EXAMPLES):
        assert raw_post_status(analytics_app.guest, output_id) == 401
        assert raw_post_status(analytics_app.player, output_id) == 403
