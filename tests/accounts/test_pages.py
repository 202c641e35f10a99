"""The profile and leaderboard pages, loaded by the real app with the accounts registered."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dash
import pytest
from dash_extensions.enrich import DashProxy
from flask_login import login_user
from sqlalchemy.orm import Session, sessionmaker

from cargame.accounts import game_log
from cargame.accounts.db import EXTENSION
from cargame.accounts.models import User
from cargame.app import create_app
from cargame.config import Config
from cargame.domain.game import GameData
from cargame.web.components.account_menu import account_links


@pytest.fixture
def web_app(config: Config, tmp_path: Path) -> Iterator[DashProxy]:
    app_config = config.with_overrides(
        {"paths": {"cache": str(tmp_path / "cache"), "catalog": str(tmp_path / "no-catalog")}}
    )
    yield create_app(app_config)  # the factory registers the accounts


@pytest.fixture
def app_sessions(web_app: DashProxy) -> sessionmaker[Session]:
    return web_app.server.extensions[EXTENSION]


def _page_layout(path: str) -> Callable[..., Any]:
    for page in dash.page_registry.values():
        if page["path"] == path:
            return page["layout"]
    raise AssertionError(f"no page at {path}")


def _render(web_app: DashProxy, path: str, user: User | None = None, **query: str) -> str:
    with web_app.server.test_request_context(path):
        if user is not None:
            login_user(user)
        return str(_page_layout(path)(**query))


def _record(
    sessions: sessionmaker[Session], game: GameData, user: User | None, model_name: str = "cars"
) -> None:
    game.model_name = model_name
    with sessions() as session:
        game_log.record_finished_game(session, game, user.id if user else None, "solo")


def test_profile_needs_a_signed_in_player(web_app: DashProxy) -> None:
    page = _render(web_app, "/profile")
    assert "/login?next=/profile" in page
    assert "Points per game" not in page


def test_profile_shows_only_the_players_own_games(
    web_app: DashProxy,
    app_sessions: sessionmaker[Session],
    make_user: Callable[..., User],
    make_game: Callable[..., GameData],
) -> None:
    alice, bob = make_user(app_sessions, "alice"), make_user(app_sessions, "bob")
    _record(app_sessions, make_game(guesses=["Audi/A4"], truths=["Audi/A4"]), alice, "alices-model")
    _record(app_sessions, make_game(["BMW/M3"], ["Ford/Focus"], ["Ford/Focus"]), bob, "bobs-model")

    alice_page = _render(web_app, "/profile", alice)
    assert "alice's games" in alice_page
    assert "alices-model v3" in alice_page and "Points per game" in alice_page
    assert "Won" in alice_page and "100%" in alice_page  # one game, one win
    assert "bobs-model" not in alice_page and "Ford" not in alice_page

    bob_page = _render(web_app, "/profile", bob)
    assert "bobs-model v3" in bob_page and "Lost" in bob_page
    assert "alices-model" not in bob_page


def test_profile_of_a_new_player_invites_them_to_play(
    web_app: DashProxy, app_sessions: sessionmaker[Session], make_user: Callable[..., User]
) -> None:
    page = _render(web_app, "/profile", make_user(app_sessions, "newbie"))
    assert "No finished games yet." in page


def test_leaderboard_is_public_and_follows_the_period(
    web_app: DashProxy,
    app_sessions: sessionmaker[Session],
    make_user: Callable[..., User],
    make_game: Callable[..., GameData],
) -> None:
    champion = make_user(app_sessions, "champion")
    _record(app_sessions, make_game(guesses=["Audi/A4"], truths=["Audi/A4"]), champion)
    _record(app_sessions, make_game(guesses=["Audi/A4"], truths=["Audi/A4"]), None)  # a guest

    page = _render(web_app, "/leaderboard", period="today")
    assert "champion" in page
    assert "Most wins against the AI" in page and "Most points" in page
    assert page.count("champion") == 2  # one row in each table, and no guest row

    fallback = _render(web_app, "/leaderboard", period="'; drop table users")
    assert "champion" in fallback  # an unknown period falls back to this week
    assert "href='/leaderboard?period=week', active=True" in fallback


def test_leaderboard_filters_by_opponent_level(
    web_app: DashProxy,
    app_sessions: sessionmaker[Session],
    make_user: Callable[..., User],
    make_game: Callable[..., GameData],
) -> None:
    for name, level in (("rookie_fan", "rookie"), ("expert_fan", "expert")):
        game = make_game(guesses=["Audi/A4"], truths=["Audi/A4"])
        game.level = level
        _record(app_sessions, game, make_user(app_sessions, name))

    everyone = _render(web_app, "/leaderboard", period="all")
    assert "rookie_fan" in everyone and "expert_fan" in everyone
    for label in ("All levels", "Rookie", "Pro", "Expert"):
        assert f"children='{label}'" in everyone
    assert "href='/leaderboard?period=all&level=rookie'" in everyone

    rookie = _render(web_app, "/leaderboard", period="all", level="rookie")
    assert "rookie_fan" in rookie and "expert_fan" not in rookie
    assert "Most wins against the AI · Rookie" in rookie
    assert "href='/leaderboard?period=today&level=rookie'" in rookie  # the level stays
    pro = _render(web_app, "/leaderboard", period="all", level="pro")
    assert "No Pro games by registered players yet" in pro
    unknown = _render(web_app, "/leaderboard", period="all", level="<b>boss</b>")
    assert "rookie_fan" in unknown and "expert_fan" in unknown and "boss" not in unknown


def test_account_links_for_visitors_and_players() -> None:
    visitor = str(account_links(None, "/result"))
    assert "/login?next=/result" in visitor and "/register?next=/result" in visitor
    assert "external_link=True" in visitor  # Flask pages: the browser must really load them
    player = str(account_links("alice", "/result"))
    assert "alice" in player and "/logout" in player and "/profile" in player
    assert "/login" not in player
