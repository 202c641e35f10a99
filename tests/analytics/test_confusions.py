"""/analytics/confusions: wrong-answer pairs and make/model matrices in SQL, the charts, roles."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cargame.accounts.db import db_session
from cargame.accounts.models import GameRound
from cargame.analytics import confusions
from cargame.analytics.confusions import Cell
from cargame.analytics.filters import Filters
from cargame.web.components import analytics as filters_ui

from .conftest import NO_FILTERS, Analytics, raw_post_status
from .test_cars import store_game

STATUS = "analytics-confusions-status"
PAIRS = "analytics-confusions-pairs"
MAKES = "analytics-confusions-makes"
MODELS = "analytics-confusions-models"
DRILL = "analytics-confusions-drill"
FILTERS = {
    **NO_FILTERS,
}
ROUNDS = (
    [("Audi/A4", "Audi/Q5", "Audi/A4")] * 3
    + [("Audi/A4", None, "BMW/X5")]
    + [("BMW/X5", "Audi/A4", "BMW/X5")] * 2
    + [("Audi/Q5", "Audi/Q5", "Audi/A4")]
)


def test_pairs_leave_out_right_answers_and_count_no_answer(
    sessions: sessionmaker[Session],  # noqa: F811
) -> None:
    with sessions() as session:
        store_game(session, ROUNDS)
        store_game(session, [("BMW/X5", "BMW/i3", "BMW/i3")], mode="booth")
        solo = Filters(modes=("solo",))
        assert confusions.top_pairs(session, solo, "human") == [
            Cell("Audi/A4", "Audi/Q5", 3),
            Cell("BMW/X5", "Audi/A4", 2),
            Cell("Audi/A4", "no answer", 1),
        ]
        assert confusions.top_pairs(session, solo, "ai") == [
            Cell("Audi/A4", "BMW/X5", 1),
            Cell("Audi/Q5", "Audi/A4", 1),
        ]
        assert confusions.top_pairs(session, Filters(), "human", limit=1) == [
            Cell("Audi/A4", "Audi/Q5", 3)
        ]
        booth = confusions.top_pairs(session, Filters(modes=("booth",)), "ai")
        assert booth == [Cell("BMW/X5", "BMW/i3", 1)]


def test_matrices_by_make_and_within_one_make(
    sessions: sessionmaker[Session],  # noqa: F811
) -> None:
    with sessions() as session:
        store_game(session, ROUNDS)
        everything = Filters()
        assert set(confusions.make_matrix(session, everything, "human")) == {
            Cell("Audi", "Audi", 4),
            Cell("BMW", "Audi", 2),
            Cell("Audi", "no answer", 1),
        }
        assert set(confusions.model_matrix(session, everything, "human", "Audi")) == {
            Cell("Audi/A4", "Audi/Q5", 3),
            Cell("Audi/A4", "no answer", 1),
            Cell("Audi/Q5", "Audi/Q5", 1),
        }
        assert set(confusions.model_matrix(session, everything, "ai", "Audi")) == {
            Cell("Audi/A4", "Audi/A4", 3),
            Cell("Audi/A4", "other make", 1),
            Cell("Audi/Q5", "Audi/A4", 1),
        }
        only_bmw = Filters(makes=("BMW",))
        assert confusions.make_matrix(session, only_bmw, "ai") == [Cell("BMW", "BMW", 2)]
        assert confusions.model_matrix(session, everything, "human", "Tesla") == []


def _show(client, who: str = "human", **changes) -> dict:
    return client.callback({**FILTERS, "analytics-confusions-who.value": who, **changes})


def _drill(client, make: str | None, who: str = "human", **changes) -> dict:
    inputs = {**FILTERS, "analytics-confusions-who.value": who, f"{DRILL}.value": make}
    return client.callback({**inputs, **changes})[MODELS]["figure"]


def _played(app: Analytics, who: str) -> list[tuple[str, str | None]]:
    answer = GameRound.guess if who == "human" else GameRound.ai_guess
    with app.app.server.app_context(), db_session() as session:
        return [tuple(row) for row in session.execute(select(GameRound.truth, answer))]


@pytest.mark.parametrize("who", ["human", "ai"])
def test_the_charts_count_the_games_played(analytics_app: Analytics, who: str) -> None:
    page = json.dumps(analytics_app.analyst.page("/analytics/confusions"))
    assert "Analytics: confusions" in page and MAKES in page
    played = _played(analytics_app, who)
    wrong = Counter(
        f"{truth.replace('/', ' ')} → {(guess or 'no answer').replace('/', ' ')}"
        for truth, guess in played
        if guess != truth
    )
    figures = _show(analytics_app.analyst, who)
    bars = figures[PAIRS]["figure"]["data"]
    if wrong:
        assert dict(zip(bars[0]["y"], bars[0]["x"], strict=True)) == dict(wrong)
    matrix = figures[MAKES]["figure"]
    assert matrix["data"][0]["colorscale"] == "Viridis"
    assert matrix["layout"]["xaxis"]["title"]["text"] == "Guessed make"
    assert matrix["layout"]["yaxis"]["title"]["text"] == "True make"
    assert sum(map(sum, matrix["data"][0]["z"])) == len(played) == 13
    assert matrix["data"][0]["text"] == matrix["data"][0]["z"]


def test_the_ai_confuses_the_q5_with_the_a4(analytics_app: Analytics) -> None:
    """The fake AI names the sibling model for every second car, e.g. the A4 for a Q5."""
    with analytics_app.app.server.app_context(), db_session() as session:
        store_game(session, [("Audi/Q5", "Audi/Q5", "Audi/A4")] * 2)
    old_day = {f"{filters_ui.DATES}.start_date": "2020-01-01"}
    old_day[f"{filters_ui.DATES}.end_date"] = "2020-01-01"
    bars = _show(analytics_app.analyst, "ai", **old_day)[PAIRS]["figure"]["data"][0]
    assert (bars["y"], bars["x"]) == (["Audi Q5 → Audi A4"], [2])
    models = _drill(analytics_app.analyst, "Audi", "ai", **old_day)
    assert models["data"][0]["y"] == ["Audi Q5"] and models["data"][0]["x"] == ["Audi A4"]
    assert models["layout"]["xaxis"]["title"]["text"] == "Guessed model"
    humans = _drill(analytics_app.analyst, "Audi", "human", **old_day)
    assert humans["data"][0]["z"] == [[2]] and humans["data"][0]["x"] == ["Audi Q5"]


def test_clicking_a_matrix_row_drills_down(analytics_app: Analytics) -> None:
    click = {"points": [{"x": "Audi", "y": "BMW", "z": 3}]}
    picked = analytics_app.analyst.callback({f"{MAKES}.clickData": click})
    assert picked[DRILL]["value"] == "BMW"
    assert analytics_app.analyst.callback({f"{MAKES}.clickData": {"points": ["x"]}}) == {}
    prompt = json.dumps(_drill(analytics_app.analyst, None))
    assert "Choose a make" in prompt


def test_empty_range_and_bad_filters(analytics_app: Analytics) -> None:
    booth = _show(analytics_app.analyst, **{f"{filters_ui.MODE}.value": ["booth"]})
    assert "No games in this range" in json.dumps(booth[STATUS]["children"])
    assert booth[MAKES]["figure"]["data"] == []
    assert "No Audi cars were shown in this range" in json.dumps(
        _drill(analytics_app.analyst, "Audi", **{f"{filters_ui.MODE}.value": ["booth"]})
    )
    bad = _show(analytics_app.analyst, **{f"{filters_ui.DATES}.start_date": "yesterday"})
    assert "2026-12-05" in json.dumps(bad[STATUS]["children"])


def test_players_and_guests_get_nothing(analytics_app: Analytics) -> None:
    assert "needs the analyst role" in json.dumps(
        analytics_app.player.page("/analytics/confusions")
    )
    for output_id in (STATUS, MODELS, f"{DRILL}.value"):
        assert raw_post_status(analytics_app.guest, output_id) == 401
        assert raw_post_status(analytics_app.player, output_id) == 403
