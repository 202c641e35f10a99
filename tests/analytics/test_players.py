"""/analytics/players: time to guess, learning, returning players and guest conversion from SQL,
the page's figures, and role checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dash_wire import DashClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cargame.accounts.db import db_session
from cargame.accounts.models import Game, GameRound, User
from cargame.analytics import players
from cargame.analytics.filters import Filters
from cargame.analytics.stats import wilson
from cargame.web.components import analytics as filters_ui

from .conftest import DAY, NO_FILTERS, Analytics, add_game, fire_view, view_payload

SUMMARY = "analytics-players-summary"
INPUTS = {
    **NO_FILTERS,
}


def add_user(session: Session, username: str) -> int:
    user = User(username=username, password_hash="x")
    session.add(user)
    session.commit()
    return user.id


def _guess(points: int, seconds: float | None = None, looked: bool = False) -> dict[str, Any]:
    return {"player_points": points, "seconds": seconds, "truth_heatmap_shown": looked}


def test_time_to_guess_buckets(sessions: sessionmaker[Session]) -> None:
    timed = [(1, 2), (2.99, 0), (3, 2), (5.9, 1), (6, 2), (10, 0), (19.9, 2), (20, 2), (100, 0)]
    with sessions() as session:
        add_game(session, "a", [_guess(points, seconds) for seconds, points in timed[:5]])
        add_game(session, "b", [_guess(points, seconds) for seconds, points in timed[5:]])
        add_game(session, "c", [_guess(2, None)], mode="booth")  # untimed: in no bucket
        buckets = players.time_to_guess(session, Filters())
        solo_only = players.time_to_guess(session, Filters(modes=("booth",)))
    assert [(b.group, b.rounds, b.exact, b.make) for b in buckets] == [
        ("< 3 s", 2, 1, 1),
        ("3–6 s", 2, 1, 2),
        ("6–10 s", 1, 1, 1),
        ("10–20 s", 2, 1, 1),
        ("20 s and more", 2, 1, 1),
    ]
    assert buckets[1].rate() == pytest.approx((0.5, *wilson(1, 2)))
    assert solo_only == []


def test_learning_split_by_having_seen_where_to_look(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        add_game(session, "a", [_guess(0, looked=True), _guess(2), _guess(1)])
        add_game(session, "b", [_guess(2), _guess(0, looked=True), _guess(2)])
        add_game(session, "c", [_guess(0), _guess(0)])
        rows = players.learning(session, Filters())
        later = players.learning(session, Filters(start=DAY.date() + timedelta(days=1)))
    # Looking in round 2 of game b counts from round 3 on, not for round 2 itself.
    assert [(r.round_number, r.seen_heatmap, r.rounds, r.exact, r.make) for r in rows] == [
        (1, False, 3, 1, 1),
        (2, False, 2, 0, 0),
        (2, True, 1, 1, 1),
        (3, True, 2, 1, 2),
    ]
    assert later == []


def test_returning_players_and_games_per_player(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        once, twice, keen = (add_user(session, name) for name in ("once", "twice", "keen"))
        add_game(session, "o1", [], user_id=once)
        add_game(session, "o2", [], user_id=once, started_at=DAY + timedelta(hours=3))
        add_game(session, "t1", [], user_id=twice)
        add_game(session, "t2", [], user_id=twice, started_at=DAY + timedelta(days=1))
        for number in range(11):
            add_game(session, f"k{number}", [], user_id=keen, status="abandoned")
        add_game(session, "guest", [])  # guests are not players here
        everyone = players.returning(session, Filters())
        first_day = players.returning(session, Filters(end=DAY.date()))
    assert (everyone.one_day, everyone.several_days) == (2, 1)
    assert everyone.games_per_player == {2: 2, players.MOST_GAMES: 1}
    assert (first_day.one_day, first_day.several_days) == (3, 0)
    assert first_day.games_per_player == {1: 1, 2: 1, players.MOST_GAMES: 1}


def test_guest_to_registered_conversion(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        user = add_user(session, "kept")
        add_game(session, "g1", [], status="finished")
        add_game(session, "g2", [], status="finished", mode="booth")
        add_game(session, "g3", [], status="finished", user_id=user, kept_by_guest=True)
        add_game(session, "g4", [], status="abandoned")  # not finished: nothing to keep
        add_game(session, "own", [], status="finished", user_id=user)  # never a guest's
        conversion = players.conversion(session, Filters())
        solo = players.conversion(session, Filters(modes=("solo",)))
    assert (conversion.guest_games, conversion.kept) == (3, 1)
    assert conversion.rate() == pytest.approx((1 / 3, *wilson(1, 3)))
    assert (solo.guest_games, solo.kept) == (2, 1)


def _players_view(client: DashClient, **changes: Any) -> dict[str, dict[str, Any]]:
    """{component id: {property: value}} from this view's callback with these filters."""
    return fire_view(client, SUMMARY, {**INPUTS, **changes})


def _recorded(analytics_app: Analytics) -> tuple[list[Game], list[GameRound]]:
    with analytics_app.app.server.app_context(), db_session() as session:
        return list(session.scalars(select(Game))), list(session.scalars(select(GameRound)))


def test_the_players_view_matches_the_games_played(analytics_app: Analytics) -> None:
    page = json.dumps(analytics_app.analyst.page("/analytics/players"))
    assert "Analytics: players" in page and "analytics-dates" in page
    games, rounds = _recorded(analytics_app)
    figures = _players_view(analytics_app.analyst)
    time = figures["analytics-players-time"]["figure"]["data"][0]
    assert sum(time["customdata"]) == len(rounds) == 13
    hits = sum(rate * count for rate, count in zip(time["y"], time["customdata"], strict=True))
    assert hits == pytest.approx(sum(r.player_points == 2 for r in rounds))
    learning = figures["analytics-players-learning"]["figure"]
    # Nobody opened "where it should have looked": one line, rounds 1..5 of 4, 3, 2, 2, 2 games.
    (not_seen,) = learning["data"]
    assert not_seen["x"] == [1, 2, 3, 4, 5] and not_seen["customdata"] == [4, 3, 2, 2, 2]
    assert not_seen["line"]["dash"] == "solid" and not_seen["error_y"]["array"]
    returning = figures["analytics-players-returning"]["figure"]
    assert returning["data"][0]["x"] == ["1"] and returning["data"][0]["y"] == [1]
    summary = json.dumps(figures[SUMMARY]["children"])
    finished_guest = sum(g.user_id is None and g.status == "finished" for g in games)
    assert finished_guest == 1 and "Guest games finished" in summary
    assert "pete" not in json.dumps(figures)  # counts only, never a name
    assert analytics_app.analyst.last_size < 300_000


def test_filters_narrow_the_players_view(analytics_app: Analytics) -> None:
    _, rounds = _recorded(analytics_app)
    makes = [r.truth_make for r in rounds]
    make = min(set(makes), key=makes.count)  # the rarest make: surely not every round
    narrowed = _players_view(analytics_app.analyst, **{f"{filters_ui.MAKE}.value": [make]})
    time = narrowed["analytics-players-time"]["figure"]["data"][0]
    assert sum(time["customdata"]) == makes.count(make) < len(rounds)
    later = str(datetime.now(UTC).date() + timedelta(days=2))
    for changes in (
        {f"{filters_ui.MODE}.value": ["booth"]},
        {f"{filters_ui.DATES}.start_date": later},
    ):
        empty = _players_view(analytics_app.analyst, **changes)
        assert "No games in this range" in json.dumps(empty[SUMMARY]["children"])
        assert empty["analytics-players-learning"]["figure"]["data"] == []
    bad = _players_view(analytics_app.analyst, **{f"{filters_ui.MODE}.value": ["moon"]})
    assert "unknown mode" in json.dumps(bad[SUMMARY]["children"])


def test_players_and_guests_cannot_see_the_players_view(analytics_app: Analytics) -> None:
    assert "needs the analyst role" in json.dumps(analytics_app.player.page("/analytics/players"))
    guest_page = json.dumps(analytics_app.guest.page("/analytics/players"))
    assert "Sign in to see this page" in guest_page
    request = view_payload(analytics_app.analyst, SUMMARY, INPUTS)  # an analyst's, sent by others
    for client, status in ((analytics_app.guest, 401), (analytics_app.player, 403)):
        assert client.http.post("/_dash-update-component", json=request).status_code == status
