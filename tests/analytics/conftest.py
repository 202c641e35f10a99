"""An app with recorded games and an analyst, a player and a guest to ask for them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from dash_extensions.enrich import DashProxy
from dash_wire import DashClient
from sqlalchemy.orm import Session, sessionmaker

from cargame.accounts import migrations, passwords
from cargame.accounts.db import create_db_engine, db_session, session_factory
from cargame.accounts.models import Game, GameRound, User
from cargame.app import create_app
from cargame.config import Config
from cargame.web.components import analytics as filters_ui

PASSWORD = "correct horse battery"
ROUNDS = 5
DAY = datetime(2026, 3, 2, 12, tzinfo=UTC)
NO_FILTERS = {
    f"{filters_ui.DATES}.start_date": None,
    f"{filters_ui.DATES}.end_date": None,
    f"{filters_ui.MODE}.value": None,
    f"{filters_ui.VERSION}.value": None,
    f"{filters_ui.MAKE}.value": None,
    f"{filters_ui.LEVEL}.value": None,
}


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
    return client.play(guesses, ROUNDS, finish)


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


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """Sessions on a migrated, empty database: a SQLite file, then the real PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'analytics.db'}"
    else:
        url = request.getfixturevalue("postgres_schema_url")
    migrations.upgrade(url)
    engine = create_db_engine(url)
    yield session_factory(engine)
    engine.dispose()


def add_game(session: Session, game_id: str, rounds: list[dict[str, Any]], **game: Any) -> None:
    """A game with these rounds (numbered from 1); unspecified facts get plain defaults."""
    values = {"mode": "solo", "model_name": "cars", "model_version": 1, "started_at": DAY}
    session.add(Game(id=game_id, **{**values, **game}))
    looked = False  # as the game log stores it: opened "should have looked" in an earlier round
    for number, facts in enumerate(rounds, start=1):
        defaults = {"image_id": f"{game_id}-{number}", "truth": "Audi/A4", "truth_make": "Audi"}
        defaults |= {"ai_top5": [], "player_points": 0, "ai_points": 0}
        defaults["after_truth_heatmap"] = looked
        session.add(GameRound(game_id=game_id, round_number=number, **{**defaults, **facts}))
        looked = looked or bool(facts.get("truth_heatmap_shown"))
    session.commit()


def view_payload(client: DashClient, output_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """The request the renderer sends for the callback writing `output_id` (several views share
    the filter inputs, so the callback is picked by its output)."""
    spec = next(spec for spec in client.dependencies if output_id in spec["output"])
    key = spec["output"]
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    outputs = [part.split("@")[0].rsplit(".", 1) for part in parts]
    described = [{"id": component, "property": prop} for component, prop in outputs]
    return {
        "output": key,
        "outputs": described if key.startswith("..") else described[0],
        "inputs": [
            {**item, "value": values.get(f"{item['id']}.{item['property']}")}
            for item in spec["inputs"]
        ],
        "state": [],
        "changedPropIds": [],
    }


def fire_view(client: DashClient, output_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """{component id: {property: value}} from the callback writing `output_id`."""
    response = client.http.post(
        "/_dash-update-component", json=view_payload(client, output_id, values)
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    client.last_size = len(response.data)
    body = response.get_json()["response"]
    return {key: {p.split("@")[0]: v for p, v in value.items()} for key, value in body.items()}


def raw_post_status(client: DashClient, output_id: str) -> int:
    """The status a raw request for the callback writing `output_id` gets from this client."""
    response = client.http.post("/_dash-update-component", json=view_payload(client, output_id, {}))
    return response.status_code
