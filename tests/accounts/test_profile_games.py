"""The profile's past games: numbered per player, opened round by round only by their owner;
dates in the browser's time zone; the chart's ticks. Over HTTP as the browser fires callbacks."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dash_extensions.enrich import DashProxy
from dash_wire import DashClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from support_games import record_game

from cargame.accounts import game_history, game_log
from cargame.accounts.db import EXTENSION
from cargame.accounts.models import Game, User
from cargame.accounts.records import ProfileStats
from cargame.app import create_app
from cargame.config import Config
from cargame.domain.catalog import Catalog, display_name
from cargame.domain.game import GameData
from cargame.web import profile_services
from cargame.web.components import player_record

from .conftest import AuthActions

JANUARY_NIGHT = datetime(2025, 1, 15, 23, 30, tzinfo=UTC)  # 16 Jan 08:30 in Tokyo


@pytest.fixture
def app(web_config: Config) -> DashProxy:
    return create_app(web_config)


def signed_in(app: DashProxy, dash_client: Callable[[Any], DashClient], name: str) -> DashClient:
    client = dash_client(app)
    assert AuthActions(client.http).register(name).status_code == 302
    return client


def user_id(app: DashProxy, name: str) -> int:
    with app.server.extensions[EXTENSION]() as session:
        return session.scalars(select(User.id).where(User.username == name)).one()


def page_text(client: DashClient, path: str) -> str:
    return json.dumps(client.page(path))


def test_history_numbers_each_players_games_in_the_order_they_finished(
    sessions: sessionmaker[Session],
    make_user: Callable[..., User],
    make_game: Callable[..., GameData],
) -> None:
    alice, bob = make_user(sessions, "alice"), make_user(sessions, "bob")
    days = [JANUARY_NIGHT + timedelta(days=offset) for offset in (2, 0, 1)]
    with sessions() as session:
        for day in days:
            game_log.record_finished_game(session, make_game(finished_at=day), alice.id, "solo")
        bobs = make_game(truths=["Ford/Focus"], finished_at=JANUARY_NIGHT)
        game_log.record_finished_game(session, bobs, bob.id, "solo")
        history = game_history.history(session, alice.id)
        assert [game.number for game in history] == [3, 2, 1]
        assert [game.finished_at for game in history] == sorted(days, reverse=True)
        since = game_history.history(session, alice.id, since=days[2])
        assert [game.number for game in since] == [3, 2]

        first = game_history.player_game(session, alice.id, 1)
        assert first is not None and first.finished_at == days[1] and first.number == 1
        assert [played.number for played in first.rounds] == [1, 2, 3]
        assert game_history.player_game(session, bob.id, 2) is None  # bob has one game
        bobs_first = game_history.player_game(session, bob.id, 1)
        assert bobs_first is not None and bobs_first.game_id == bobs.game_id

        session.execute(update(Game).where(Game.id == bobs.game_id).values(status="abandoned"))
        session.commit()
        assert game_history.finished_game(session, bobs.game_id) is None
        assert game_history.player_game(session, bob.id, 1) is None


def test_a_player_opens_their_own_game_round_by_round(
    app: DashProxy, web_catalog: Catalog, dash_client: Callable[[Any], DashClient]
) -> None:
    alice = signed_in(app, dash_client, "alice")
    game = record_game(app, web_catalog, user_id(app, "alice"), right=2)

    page = alice.page("/profile/game/1")
    text = json.dumps(page)
    for played in game.rounds:
        assert display_name(played.truth) in text
    assert text.count('"data-who": "you"') == 5
    assert "/share/" in text  # the game's share link
    photos = [
        node["props"]["src"]
        for node in _components(page)
        if node.get("type") == "CardImg" and str(node["props"].get("src", "")).startswith("/media/")
    ]
    assert len(photos) == 5
    assert alice.http.get(photos[0]).headers["Content-Type"] == "image/jpeg"
    assert "No such game" in page_text(alice, "/profile/game/2")
    for bad in ["0", "-1", "1e3", "abc", "99999999999999999999"]:
        assert "No such game" in page_text(alice, f"/profile/game/{bad}")


def test_nobody_else_can_open_a_players_games(
    app: DashProxy, web_catalog: Catalog, dash_client: Callable[[Any], DashClient]
) -> None:
    alice = signed_in(app, dash_client, "alice")
    for offset in range(2):
        finished = JANUARY_NIGHT + timedelta(hours=offset)
        record_game(app, web_catalog, user_id(app, "alice"), right=5, finished_at=finished)
    bob = signed_in(app, dash_client, "bob")
    bobs = record_game(app, web_catalog, user_id(app, "bob"), right=0, rounds=3)

    assert "Sign in to see this page" in page_text(dash_client(app), "/profile/game/1")
    bobs_first = bob.page("/profile/game/1")
    assert bobs_first is not None
    assert json.dumps(bobs_first).count('"data-who": "you"') == len(bobs.rounds)
    assert "No such game" in page_text(bob, "/profile/game/2")  # alice has a second, bob not
    # The profile's own callbacks answer only to a signed-in player, with their own games.
    stranger = dash_client(app)
    inputs = {f"{player_record.HISTORY_PERIOD}.value": "all"}
    zone = {f"{player_record.TIME_ZONE}.data": "UTC"}
    for fire in (lambda: stranger.callback(inputs, zone), lambda: stranger.callback(zone)):
        with pytest.raises(AssertionError, match="sign in first"):
            fire()
    bobs_history = json.dumps(bob.callback(inputs, zone))
    assert "/profile/game/1" in bobs_history and "/profile/game/2" not in bobs_history
    assert "alice" not in json.dumps(bob.page("/profile"))
    assert json.dumps(alice.callback(inputs, zone)).count("/profile/game/") == 2
    assert json.dumps(alice.callback(zone)).count("/profile/game/") == 2


def test_dates_follow_the_browsers_time_zone(
    app: DashProxy, web_catalog: Catalog, dash_client: Callable[[Any], DashClient]
) -> None:
    alice = signed_in(app, dash_client, "alice")
    record_game(app, web_catalog, user_id(app, "alice"), finished_at=JANUARY_NIGHT)
    assert "15 Jan 2025, 23:30" in page_text(alice, "/profile")  # UTC until the browser says
    alice.http.set_cookie(profile_services.TIME_ZONE_COOKIE, "Asia%2FTokyo")
    profile = page_text(alice, "/profile")
    assert "16 Jan 2025, 08:30" in profile and "Finished (Asia/Tokyo)" in profile
    assert "Finished 16 Jan 2025, 08:30" in page_text(alice, "/profile/game/1")

    # The page's store names the zone its dates were drawn in; a new zone redraws them.
    redrawn = alice.callback({f"{player_record.TIME_ZONE}.data": "America/New_York"})
    assert redrawn[player_record.CHART]["figure"]["data"][0]["customdata"] == ["15 Jan 2025, 18:30"]
    for nonsense in ["../../etc/passwd", "Not/AZone", "", "x" * 200]:
        alice.http.set_cookie(profile_services.TIME_ZONE_COOKIE, nonsense)
        assert "Finished (UTC)" in page_text(alice, "/profile")


def test_today_and_this_week_start_at_local_midnight() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # Monday 31 March 2025, 00:30 in Berlin (summer time since Sunday 02:00) is 30 March in UTC.
    now = datetime(2025, 3, 30, 22, 30, tzinfo=UTC)
    assert profile_services.period_start("today", berlin, now) == datetime(
        2025, 3, 30, 22, 0, tzinfo=UTC
    )
    assert profile_services.period_start("week", berlin, now) == datetime(
        2025, 3, 30, 22, 0, tzinfo=UTC
    )
    sunday = datetime(2025, 3, 30, 12, 0, tzinfo=UTC)  # the week began on the 24th, winter time
    assert profile_services.period_start("week", berlin, sunday) == datetime(
        2025, 3, 23, 23, 0, tzinfo=UTC
    )
    assert profile_services.period_start("all", berlin, now) is None


def test_the_chart_of_one_game_has_one_whole_tick_with_its_date() -> None:
    stats = _stats([(JANUARY_NIGHT, 6, 4)])
    figure = player_record.figure(stats, ZoneInfo("Asia/Tokyo"))
    xaxis = figure["layout"]["xaxis"]
    assert xaxis["tickvals"] == [1] and xaxis["ticktext"] == ["1<br>16 Jan"]
    assert xaxis["range"] == [0.5, 1.5]
    assert figure["layout"]["title"]["text"] == "Points per game"
    assert figure["layout"]["yaxis"]["title"]["text"] == "Points"
    many = player_record.figure(_stats([(JANUARY_NIGHT, 1, 1)] * 40), UTC)
    assert "tickvals" not in many["layout"]["xaxis"]
    assert many["layout"]["xaxis"]["tickformat"] == "d"


def _stats(points: list[tuple[datetime, int, int]]) -> ProfileStats:
    return ProfileStats(len(points), 0, 0, len(points), 0, points, [])


def _components(tree: Any) -> list[dict[str, Any]]:
    """Every serialised component in a layout JSON tree."""
    found: list[dict[str, Any]] = []
    if isinstance(tree, dict):
        if "type" in tree and "props" in tree:
            found.append(tree)
        for value in tree.get("props", {}).values():
            found += _components(value)
    elif isinstance(tree, list):
        for child in tree:
            found += _components(child)
    return found
