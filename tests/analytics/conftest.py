"""An app with recorded games and an analyst, a player and a guest to ask for them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from dash_extensions.enrich import DashProxy
from dash_wire import DashClient

from cargame.accounts import passwords
from cargame.accounts.db import db_session
from cargame.accounts.models import User
from cargame.app import create_app
from cargame.config import Config

PASSWORD = "correct horse battery"
ROUNDS = 5


@dataclass
class Analytics:
    """The app, its clients by role, and the games they played."""

    app: DashProxy
    analyst: DashClient
    player: DashClient
    guest: DashClient


def add_user(app: DashProxy, username: str, role: str) -> None:
    with app.server.app_context(), db_session() as session:
        user = User(username=username, password_hash=passwords.hash_password(PASSWORD), role=role)
        session.add(user)
        session.commit()


def sign_in(client: DashClient, username: str) -> None:
    from accounts.conftest import AuthActions

    assert AuthActions(client.http).login(username, PASSWORD).status_code == 302


def play(client: DashClient, guesses: list[tuple[str, str]], finish: bool = True) -> str:
    """A game with these guesses (fewer than five: left unfinished)."""
    pointer = client.start_game()
    for number, (make, model) in enumerate(guesses, start=1):
        client.lock_in(pointer, make, model)
        if number < ROUNDS or finish:
            client.next_round(pointer)
    return pointer


@pytest.fixture
def analytics_app(web_config: Config, dash_client: Callable[[Any], DashClient]) -> Analytics:
    app = create_app(web_config)
    add_user(app, "ana", "analyst")
    add_user(app, "pete", "player")
    analyst, player, guest = dash_client(app), dash_client(app), dash_client(app)
    sign_in(analyst, "ana")
    sign_in(player, "pete")
    play(player, [("Audi", "A4")] * ROUNDS)
    play(guest, [("BMW", "X5")] * ROUNDS)
    play(guest, [("Volvo", "XC90")] * 2)  # abandoned by the next start
    play(guest, [("Audi", "A4")])
    return Analytics(app, analyst, player, guest)
