"""/analytics/ai: calibration and per-version quality from SQL, the page's figures, role checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dash_wire import DashClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cargame.accounts.db import db_session
from cargame.accounts.models import GameRound
from cargame.analytics import model_quality
from cargame.analytics.filters import Filters
from cargame.analytics.stats import expected_calibration_error, wilson
from cargame.web.components import analytics as filters_ui

from .conftest import NO_FILTERS, Analytics, add_game, fire_view, view_payload

SUMMARY = "analytics-ai-summary"
INPUTS = {
    **NO_FILTERS,
}


def _ai(confidence: float | None, right: bool, top5: bool = False) -> dict[str, Any]:
    return {"ai_confidence": confidence, "ai_points": 2 if right else 0, "ai_top5_hit": top5}


def test_calibration_bins_and_their_error(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        add_game(session, "a", [_ai(0.05, False), _ai(0.1, True), _ai(0.15, False)])
        add_game(session, "b", [_ai(0.3, True), _ai(0.95, True), _ai(1.0, True)])
        add_game(session, "c", [_ai(0.99, False), _ai(None, True)])  # no confidence: no bin
        bins = model_quality.calibration(session, Filters())
    assert [(item.low, item.high, item.rounds) for item in bins] == [
        (0.0, 0.1, 1),
        (0.1, 0.2, 2),
        (0.3, 0.4, 1),
        (0.9, 1.0, 3),  # 1.0 falls into the last bin, not an eleventh
    ]
    assert [item.mean_confidence for item in bins] == pytest.approx([0.05, 0.125, 0.3, 0.98])
    assert [item.accuracy for item in bins] == pytest.approx([0, 0.5, 1, 2 / 3])
    # (1 * 0.05 + 2 * 0.375 + 1 * 0.7 + 3 * 0.31333) / 7 rounds
    assert expected_calibration_error(bins) == pytest.approx(2.44 / 7)


def test_accuracy_and_top5_per_version(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        first = [_ai(0.5, True, True), {"ai_points": 1, "ai_top5_hit": True}, _ai(0.5, False)]
        add_game(session, "a", first, model_version=1)
        add_game(session, "b", [_ai(0.5, True, True)] * 1 + [_ai(0.4, False)], model_version=2)
        add_game(session, "c", [_ai(0.9, True, True)], model_version=2, mode="booth")
        rows = model_quality.versions(session, Filters())
        booth = model_quality.versions(session, Filters(modes=("booth",)))
        second = model_quality.calibration(session, Filters(model_versions=(2,)))
        # The levels are separate servables whose versions coincide: never one row.
        add_game(session, "d", [_ai(0.3, False)] * 2, model_version=2, level="rookie")
        add_game(session, "e", [_ai(0.8, True, True)], model_version=2, level="expert")
        by_level = model_quality.versions(session, Filters(model_versions=(2,)))
        rookie = model_quality.versions(session, Filters(levels=("rookie",)))
    assert [(r.version, r.rounds, r.exact, r.make, r.top5) for r in rows] == [
        ("v1", 3, 1, 2, 2),
        ("v2", 3, 2, 2, 2),
    ]
    assert [(r.version, r.rounds, r.exact) for r in by_level] == [
        ("Expert v2", 1, 1),
        ("Rookie v2", 2, 0),
        ("v2", 3, 2),  # games recorded without a level
    ]
    assert [(r.version, r.rounds) for r in rookie] == [("Rookie v2", 2)]
    assert rows[0].rate(rows[0].make) == pytest.approx((2 / 3, *wilson(2, 3)))
    total = model_quality.overall(rows)
    assert (total.rounds, total.exact, total.make, total.top5) == (6, 3, 4, 4)
    assert [(r.version, r.rounds) for r in booth] == [("v2", 1)]
    assert sum(item.rounds for item in second) == 3


def _ai_view(client: DashClient, **changes: Any) -> dict[str, dict[str, Any]]:
    """{component id: {property: value}} from this view's callback with these filters."""
    return fire_view(client, SUMMARY, {**INPUTS, **changes})


def _recorded_rounds(analytics_app: Analytics) -> list[GameRound]:
    with analytics_app.app.server.app_context(), db_session() as session:
        return list(session.scalars(select(GameRound)))


def test_the_ai_view_matches_the_rounds_played(analytics_app: Analytics) -> None:
    page = json.dumps(analytics_app.analyst.page("/analytics/ai"))
    assert "Analytics: the AI" in page and "analytics-dates" in page
    rounds = _recorded_rounds(analytics_app)
    exact = sum(r.ai_points >= 2 for r in rounds)
    figures = _ai_view(analytics_app.analyst)
    reliability = figures["analytics-ai-reliability"]["figure"]
    diagonal, observed = reliability["data"]
    assert diagonal["x"] == [0, 1] and diagonal["line"]["dash"] == "dash"
    assert sum(count for count, _ in observed["customdata"]) == len(rounds) == 13
    weighted = sum(
        accuracy * count
        for accuracy, (count, _) in zip(observed["y"], observed["customdata"], strict=True)
    )
    assert weighted == pytest.approx(exact)
    assert "ECE" in reliability["layout"]["title"]["text"]
    versions = figures["analytics-ai-versions"]["figure"]
    assert [trace["name"] for trace in versions["data"]] == ["Exact model", "Right make"]
    assert versions["data"][0]["x"] == ["Pro v3"]  # the default level's servable, version 3
    assert versions["data"][0]["y"] == pytest.approx([exact / 13])
    assert versions["data"][1]["y"] == pytest.approx([sum(r.ai_points >= 1 for r in rounds) / 13])
    assert versions["data"][0]["error_y"]["array"][0] > 0
    top5 = figures["analytics-ai-top5"]["figure"]
    assert top5["data"][0]["y"] == pytest.approx([sum(r.ai_top5_hit for r in rounds) / 13])
    assert versions["layout"]["yaxis"]["tickformat"] == ".0%"
    summary = json.dumps(figures[SUMMARY]["children"])
    assert "Expected calibration error" in summary and '"13"' in summary
    assert analytics_app.analyst.last_size < 300_000


def test_filters_narrow_the_ai_view(analytics_app: Analytics) -> None:
    rounds = _recorded_rounds(analytics_app)
    makes = [r.truth_make for r in rounds]
    make = min(set(makes), key=makes.count)  # the rarest make: surely not every round
    narrowed = _ai_view(analytics_app.analyst, **{f"{filters_ui.MAKE}.value": [make]})
    observed = narrowed["analytics-ai-reliability"]["figure"]["data"][1]
    shown = sum(r.truth_make == make for r in rounds)
    assert sum(count for count, _ in observed["customdata"]) == shown < len(rounds)
    later = str(datetime.now(UTC).date() + timedelta(days=2))
    for changes in (
        {f"{filters_ui.MODE}.value": ["booth"]},
        {f"{filters_ui.DATES}.start_date": later},
        {f"{filters_ui.LEVEL}.value": ["rookie"]},  # every game here was played against Pro
    ):
        empty = _ai_view(analytics_app.analyst, **changes)
        assert "No games in this range" in json.dumps(empty[SUMMARY]["children"])
        assert empty["analytics-ai-versions"]["figure"]["data"] == []
    bad = _ai_view(analytics_app.analyst, **{f"{filters_ui.VERSION}.value": ["three"]})
    assert "whole numbers" in json.dumps(bad[SUMMARY]["children"])


def test_players_and_guests_cannot_see_the_ai_view(analytics_app: Analytics) -> None:
    assert "needs the analyst role" in json.dumps(analytics_app.player.page("/analytics/ai"))
    assert "Sign in to see this page" in json.dumps(analytics_app.guest.page("/analytics/ai"))
    request = view_payload(analytics_app.analyst, SUMMARY, INPUTS)  # an analyst's, sent by others
    for client, status in ((analytics_app.guest, 401), (analytics_app.player, 403)):
        assert client.http.post("/_dash-update-component", json=request).status_code == status
