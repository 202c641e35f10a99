"""Fixtures for the accounts tests: databases (SQLite and PostgreSQL), users, games, a web app."""

from __future__ import annotations

import functools
import html
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from cargame.accounts import migrations, passwords
from cargame.accounts.auth import register_accounts
from cargame.accounts.db import EXTENSION, create_db_engine, session_factory
from cargame.accounts.models import User, utc_now
from cargame.app import configure_sessions
from cargame.config import Config, load_config
from cargame.domain.game import GameData, Prediction, Round, new_game

PASSWORD = "correct horse battery"
LABELS = ["Audi/A4", "Audi/TT", "BMW/M3", "Ford/Focus"]
_hash = functools.cache(passwords.hash_password)  # scrypt is slow on purpose; tests reuse hashes
CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
KEEP_PATTERN = re.compile(r'name="keep" type="hidden" value="([^"]+)"')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'accounts.db'}"


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)],
)
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database: a SQLite file, then the real PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_schema_url")


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a migrated database."""
    migrations.upgrade(database_url)
    engine = create_db_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def make_user() -> Callable[..., User]:
    """`make_user(sessions, username, role=..., password=...)` stores a user and returns it."""

    def make(
        sessions: sessionmaker[Session],
        username: str,
        role: str = "player",
        password: str = PASSWORD,
    ) -> User:
        with sessions() as session:
            user = User(username=username, password_hash=_hash(password), role=role)
            session.add(user)
            session.commit()
            return user

    return make


@pytest.fixture
def make_game() -> Callable[..., GameData]:
    """`make_game(guesses=..., truths=..., ai_labels=..., finished_at=...)`: a finished game."""
    return finished_game


def finished_game(
    guesses: list[str] | None = None,
    truths: list[str] | None = None,
    ai_labels: list[str] | None = None,
    finished_at: datetime | None = None,
) -> GameData:
    """A game played to the end: each round shown 4 s before its guess."""
    truths = truths or ["Audi/A4", "BMW/M3", "Ford/Focus"]
    guesses = guesses or truths
    ai_labels = ai_labels or ["Audi/TT"] * len(truths)
    end = finished_at or utc_now()
    start = end - timedelta(seconds=10 * len(truths))
    rounds = [
        Round(
            image_id=f"img-{uuid.uuid4().hex[:8]}",
            image_token=f"token-{index}",
            truth=truth,
            ai_top5=[Prediction(ai_label, 0.7), Prediction("Ford/Focus", 0.2)],
        )
        for index, (truth, ai_label) in enumerate(zip(truths, ai_labels, strict=True))
    ]
    game = new_game(rounds, LABELS, "cars", 3, now=start)
    for index, guess in enumerate(guesses):
        shown = start + timedelta(seconds=10 * index)
        game.rounds[index].shown_at = shown
        game.guess(guess, now=shown + timedelta(seconds=4))
        if index == 0:
            game.show_heatmap()
        game.next_round(now=end if index == len(guesses) - 1 else shown + timedelta(seconds=9))
    return game


@pytest.fixture
def config(tmp_path: Path, sqlite_url: str) -> Config:
    """The test profile, isolated from the environment, with its database in `tmp_path`."""
    return load_config("test", environ={}).with_overrides(
        {
            "paths": {"var": str(tmp_path / "var"), "cache": str(tmp_path / "cache")},
            "database": {"url": sqlite_url},
        }
    )


@pytest.fixture
def server(config: Config) -> Flask:
    server = Flask(__name__)
    server.config["TESTING"] = True
    configure_sessions(server, config)
    register_accounts(server, config)
    return server


@pytest.fixture
def server_sessions(server: Flask) -> sessionmaker[Session]:
    return server.extensions[EXTENSION]


@pytest.fixture
def client(server: Flask) -> FlaskClient:
    return server.test_client()


class AuthActions:
    """Sign in, register and sign out through the real forms, CSRF tokens included."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def csrf_token(self, path: str) -> str:
        page = self.client.get(path)
        match = CSRF_PATTERN.search(page.get_data(as_text=True))
        assert match, f"no CSRF token on {path} ({page.status_code})"
        return match.group(1)

    def login(
        self,
        username: str,
        password: str = PASSWORD,
        next_path: str = "",
        address: str = "127.0.0.1",
    ) -> TestResponse:
        """Sign in through the form, from the client address `address`."""
        token = self.csrf_token(f"/login?next={next_path}" if next_path else "/login")
        form = {"csrf_token": token, "username": username, "password": password}
        return self.client.post("/login", data=form, environ_base={"REMOTE_ADDR": address})

    def register(
        self, username: str, password: str = PASSWORD, confirm: str = "", keep_from: str = ""
    ) -> TestResponse:
        """Register through the form; `keep_from` is a "Keep this game" link whose form to use."""
        page = self.client.get(keep_from or "/register").get_data(as_text=True)
        match = CSRF_PATTERN.search(page)
        assert match, "no CSRF token on the registration page"
        form = {
            "csrf_token": match.group(1),
            "username": username,
            "password": password,
            "confirm": confirm or password,
        }
        keep = KEEP_PATTERN.search(page)
        if keep:
            form["keep"] = html.unescape(keep.group(1))
        return self.client.post("/register", data=form)

    def logout(self) -> TestResponse:
        token = self.csrf_token("/logout")
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)
