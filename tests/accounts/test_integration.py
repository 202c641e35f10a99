"""The accounts inside the real web app, over HTTP: header, saving finished games, booth mode.

Games are played against the fake model servers of `support_web` by firing the callbacks the
way the browser does; sign-in goes through the real forms with their CSRF tokens.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from dash_extensions.enrich import DashProxy
from dash_wire import DashClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from cargame.accounts import records
from cargame.accounts.db import EXTENSION
from cargame.accounts.models import Game, User
from cargame.app import create_app
from cargame.config import Config
from cargame.web import ids
from cargame.web.components.account_menu import ACCOUNT_MENU

from .conftest import AuthActions

ROUNDS = 5


@pytest.fixture
def app(web_config: Config) -> DashProxy:
    return create_app(web_config)


@pytest.fixture
def player(app: DashProxy, dash_client: Callable[[Any], DashClient]) -> DashClient:
    """A browser-like client of the app."""
    return dash_client(app)


def _sessions(app: DashProxy) -> sessionmaker[Session]:
    return app.server.extensions[EXTENSION]


def _play(client: DashClient, rounds: int = ROUNDS) -> str:
    """Start a game and play `rounds` rounds of it, guessing an Audi A4; returns the pointer."""
    return client.play([("Audi", "A4")] * rounds)


def _account_menu(client: DashClient, path: str = "/") -> str:
    return json.dumps(client.callback({f"{ids.NAVIGATE}.pathname": path})[ACCOUNT_MENU])


def _saved_note(client: DashClient, pointer: str) -> str:
    note = client.find(client.page("/finish", pointer), ids.FINISH_SAVED)
    assert note is not None
    return json.dumps(note["props"]["children"])


def _csrf_field(tree: Any) -> str | None:
    """The value of the hidden `csrf_token` input in a layout JSON tree, or None."""
    if isinstance(tree, dict):
        props = tree.get("props", {})
        if props.get("name") == "csrf_token" and props.get("type") == "hidden":
            return props.get("value")
        tree = list(props.values())
    if isinstance(tree, list):
        for child in tree:
            found = _csrf_field(child)
            if found is not None:
                return found
    return None


def _user_id(app: DashProxy, username: str) -> int:
    with _sessions(app)() as session:
        return session.scalars(select(User.id).where(User.username == username)).one()


def test_the_header_names_the_signed_in_player(app: DashProxy, player: DashClient) -> None:
    visitor = _account_menu(player, "/showroom")
    assert "Sign in" in visitor and "/register?next=/showroom" in visitor
    assert AuthActions(player.http).register("alice").status_code == 302
    menu = _account_menu(player)
    assert "alice" in menu and "/logout" in menu and "/profile" in menu
    assert "Sign in" not in menu
    shell = player.http.get("/_dash-layout").get_data(as_text=True)
    assert '"Leaderboard"' in shell and ACCOUNT_MENU in shell


def test_a_finished_game_goes_into_the_players_history_once(
    app: DashProxy, player: DashClient
) -> None:
    AuthActions(player.http).register("alice")
    pointer = _play(player)
    game = player.game(pointer)
    assert game is not None and game.stage == "finished"
    note = _saved_note(player, pointer)
    assert "Saved to your history" in note and '"/profile"' in note
    assert ids.FINISH_NEXT_PLAYER not in json.dumps(player.page("/finish", pointer))
    # Pressing "See the result" again (double click, replay) records nothing more.
    assert player.next_round(pointer) == {"shell-navigate": {"href": "/finish"}}
    with _sessions(app)() as session:
        history = records.player_history(session, _user_id(app, "alice"))
        assert session.scalar(select(Game.mode).where(Game.id == game.game_id)) == "solo"
    assert [(entry.game_id, entry.player_score, entry.ai_score) for entry in history] == [
        (game.game_id, game.player_score, game.ai_score)
    ]
    assert "alice's games" in json.dumps(player.page("/profile"))
    board = json.dumps(player.page("/leaderboard", search="?period=today"))
    assert "alice" in board


def _keep_link(client: DashClient, pointer: str) -> str:
    link = client.find(client.page("/finish", pointer), ids.FINISH_KEEP)
    assert link is not None, "no Keep this game link on the finish page"
    return link["props"]["href"]


def _history_ids(app: DashProxy, username: str) -> list[str]:
    with _sessions(app)() as session:
        return [entry.game_id for entry in records.player_history(session, _user_id(app, username))]


def test_a_guest_keeps_a_game_by_registering_from_its_finish_page(
    app: DashProxy, player: DashClient
) -> None:
    pointer = _play(player)
    game_id = player.game(pointer).game_id
    link = _keep_link(player, pointer)
    assert link.startswith("/register?next=%2Fprofile&keep=")
    assert "Sign in and keep it" in _saved_note(player, pointer)
    with _sessions(app)() as session:
        assert session.get(Game, game_id).user_id is None  # stored as a guest game
    player.http.get(link)  # the link on the finish page: its form carries the keep token
    response = AuthActions(player.http).register("guesty", keep_from=link)
    assert response.status_code == 302 and response.headers["Location"] == "/profile"
    assert _history_ids(app, "guesty") == [game_id]
    assert game_id in json.dumps(player.page("/profile")) or "guesty's games" in json.dumps(
        player.page("/profile")
    )
    # The new session starts clean: the guest's game pointer is not honoured any more.
    assert player.game(pointer) is None


def test_signing_in_never_takes_a_guest_game_or_a_running_game_along(
    app: DashProxy, player: DashClient
) -> None:
    finished = _play(player)
    finished_id = player.game(finished).game_id
    running = player.start_game()  # the guest starts another game and walks away
    assert player.game(running) is not None
    # The next person registers on the same browser, without pressing "Keep this game".
    assert AuthActions(player.http).register("nextperson").status_code == 302
    assert _history_ids(app, "nextperson") == []
    with _sessions(app)() as session:
        assert session.get(Game, finished_id).user_id is None
    assert player.game(running) is None and player.game(finished) is None
    attempt = json.dumps(player.page("/attempt", running))
    assert "No game to show here" in attempt


def test_a_keep_link_from_another_browser_keeps_nothing(
    app: DashProxy, player: DashClient, dash_client: Callable[[Any], DashClient]
) -> None:
    pointer = _play(player)
    game_id = player.game(pointer).game_id
    link = _keep_link(player, pointer)
    thief = dash_client(app)
    thief.http.get(link)
    assert AuthActions(thief.http).register("thief", keep_from=link).status_code == 302
    with _sessions(app)() as session:
        assert session.get(Game, game_id).user_id is None


def test_another_browser_cannot_claim_a_guest_game(
    app: DashProxy, player: DashClient, dash_client: Callable[[Any], DashClient]
) -> None:
    pointer = _play(player)
    game_id = player.game(pointer).game_id
    stranger = dash_client(app)
    AuthActions(stranger.http).register("stranger")
    with _sessions(app)() as session:
        assert session.get(Game, game_id).user_id is None
    # Not its game: the finish page sends it back to the start instead.
    assert stranger.find(stranger.page("/finish", pointer), ids.FINISH_SAVED) is None


def test_a_booth_records_booth_games_and_clears_the_screen_for_the_next_player(
    make_web_config: Callable[..., Config], dash_client: Callable[[Any], DashClient]
) -> None:
    app = create_app(make_web_config(booth=True))
    player = dash_client(app)
    AuthActions(player.http).register("visitor")
    pointer = _play(player)
    game_id = player.game(pointer).game_id
    content = player.page("/finish", pointer)
    finish = json.dumps(content)
    assert ids.FINISH_NEXT_PLAYER in finish and '"action": "/next-player"' in finish
    with _sessions(app)() as session:
        assert session.get(Game, game_id).mode == "booth"
    # Another site cannot clear the screen: the form's CSRF token is required.
    assert player.http.post("/next-player").status_code == 400
    assert "visitor" in _account_menu(player)
    token = _csrf_field(content)
    assert token
    response = player.http.post("/next-player", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    player.http.get("/")
    assert "Sign in" in _account_menu(player)
    assert player.game(pointer) is None  # the game went with the session
    assert "Continue your game" not in json.dumps(player.page("/", pointer))


def test_a_database_failure_does_not_break_the_end_of_the_game(
    app: DashProxy, player: DashClient, caplog: pytest.LogCaptureFixture
) -> None:
    AuthActions(player.http).register("unlucky")
    pointer = _play(player, rounds=ROUNDS - 1)
    player.lock_in(pointer, "Audi", "A4")
    with _sessions(app)() as session:
        session.execute(text("DROP TABLE rounds"))
        session.execute(text("DROP TABLE games"))
        session.commit()
    with caplog.at_level(logging.ERROR):
        response = player.next_round(pointer)
    assert response["shell-navigate"]["href"] == "/finish"
    assert "could not record finished game" in caplog.text
    finish = player.page("/finish", pointer)
    game = player.game(pointer)
    assert player.find(finish, "finish-you")["props"]["children"] == str(game.player_score)
    note = json.dumps(player.find(finish, ids.FINISH_SAVED)["props"]["children"])
    assert "could not be saved to your history" in note


def test_history_and_leaderboard_say_when_the_database_is_down(
    app: DashProxy, player: DashClient, caplog: pytest.LogCaptureFixture
) -> None:
    AuthActions(player.http).register("patient")
    with _sessions(app)() as session:
        session.execute(text("DROP TABLE rounds"))
        session.execute(text("DROP TABLE games"))
        session.commit()
    with caplog.at_level(logging.ERROR):
        for path in ("/leaderboard", "/profile"):
            assert "records are unavailable right now" in json.dumps(player.page(path))
    assert "database unavailable" in caplog.text
