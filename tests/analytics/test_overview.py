"""/analytics overview: real figures from played games, filters, and role checks."""

from __future__ import annotations

import json

from cargame.web.components import analytics as filters_ui

from .conftest import NO_FILTERS, Analytics

SUMMARY = "analytics-overview-summary"
INPUTS = {
    **NO_FILTERS,
    "analytics-overview-group.value": "mode",
}


def _overview(client, **changes) -> dict:
    return client.callback({**INPUTS, **changes})


def test_the_overview_counts_the_games_played(analytics_app: Analytics) -> None:
    page = json.dumps(analytics_app.analyst.page("/analytics"))
    assert "Analytics: overview" in page and "analytics-dates" in page
    figures = _overview(analytics_app.analyst)
    summary = json.dumps(figures[SUMMARY]["children"])
    # 4 started, 2 finished (player + guest), 1 abandoned, 1 still open; 3 guest games.
    assert '"4"' in summary and '"2 / 1"' in summary and '"3"' in summary
    games = figures["analytics-overview-games"]["figure"]
    assert [trace["name"] for trace in games["data"]] == ["Finished", "Abandoned", "In progress"]
    assert [sum(trace["y"]) for trace in games["data"]] == [2, 1, 1]
    accuracy = figures["analytics-overview-accuracy"]["figure"]
    assert {trace["name"] for trace in accuracy["data"]} == {"Humans (solo)", "AI (solo)"}
    assert all(trace["error_y"]["array"] for trace in accuracy["data"])
    assert analytics_app.analyst.last_size < 300_000


def test_filters_narrow_the_figures(analytics_app: Analytics) -> None:
    booth_only = _overview(analytics_app.analyst, **{f"{filters_ui.MODE}.value": ["booth"]})
    assert "No games in this range" in json.dumps(booth_only[SUMMARY]["children"])
    bad = _overview(analytics_app.analyst, **{f"{filters_ui.DATES}.start_date": "yesterday"})
    assert "2026-12-05" in json.dumps(bad[SUMMARY]["children"])  # says how a date looks


def test_players_and_guests_get_nothing(analytics_app: Analytics) -> None:
    assert "needs the analyst role" in json.dumps(analytics_app.player.page("/analytics"))
    assert "Sign in to see this page" in json.dumps(analytics_app.guest.page("/analytics"))
    spec = next(spec for spec in analytics_app.analyst.dependencies if SUMMARY in spec["output"])
    for client, status in ((analytics_app.guest, 401), (analytics_app.player, 403)):
        body = {
            "output": spec["output"],
            "outputs": [],
            "inputs": [
                {"id": item["id"], "property": item["property"], "value": None}
                for item in spec["inputs"]
            ],
            "changedPropIds": [],
            "state": [],
        }
        assert client.http.post("/_dash-update-component", json=body).status_code == status


def test_accuracy_from_game_tallies_equals_counting_rounds(analytics_app: Analytics) -> None:
    """The overview sums each game's tallies; counting the rounds one by one gives the same."""
    from cargame.accounts.db import db_session
    from cargame.analytics import overview
    from cargame.analytics.filters import Filters

    with analytics_app.app.server.app_context(), db_session() as session:
        for by in ("mode", "model_version"):
            fast = overview.accuracy(session, Filters(), by)
            slow = overview.accuracy_from_rounds(session, Filters(), by)
            assert fast == slow and sum(row.rounds for row in fast) == 13
