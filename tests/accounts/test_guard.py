"""Protected Dash callbacks refuse users without the role, judged by output id on the server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from dash import html
from dash_extensions.enrich import DashProxy, Input, MultiplexerTransform, Output
from flask import Flask
from flask.testing import FlaskClient
from flask_login import login_user
from sqlalchemy.orm import Session, sessionmaker

from cargame.accounts import guard
from cargame.accounts.models import User

from .conftest import AuthActions

SECRET = "guardtest-secret"
PLAYER_ONLY = "guardtest-mine"
PUBLIC = "guardtest-public"
BUTTON = "guardtest-button"
OTHER_BUTTON = "guardtest-other-button"


@pytest.fixture
def dash_app(server: Flask) -> tuple[DashProxy, list[str]]:
    """A Dash app on the accounts server; the list records which callbacks really ran."""
    ran: list[str] = []
    guard.protect_output(server, SECRET, "analyst")
    guard.protect_output(server, PLAYER_ONLY, "player")
    app = DashProxy(__name__, server=server, transforms=[MultiplexerTransform()])
    app.layout = html.Div(
        [html.Button(id=BUTTON), html.Button(id=OTHER_BUTTON)]
        + [html.Div(id=name) for name in (SECRET, PLAYER_ONLY, PUBLIC)]
    )

    @app.callback(Output(SECRET, "children"), Input(BUTTON, "n_clicks"), prevent_initial_call=True)
    def reveal(clicks: int) -> str:
        ran.append("reveal")
        return f"secret figures after {clicks} clicks"

    # A second writer of the same output: the multiplexer gives each its own callback key.
    @app.callback(
        Output(SECRET, "children"), Input(OTHER_BUTTON, "n_clicks"), prevent_initial_call=True
    )
    def reveal_again(clicks: int) -> str:
        ran.append("reveal_again")
        return "more secret figures"

    @app.callback(
        Output(PUBLIC, "children"),
        Output(PLAYER_ONLY, "children"),
        Input(BUTTON, "n_clicks"),
        prevent_initial_call=True,
    )
    def mixed(clicks: int) -> tuple[str, str]:
        ran.append("mixed")
        return "public", "the player's own"

    @app.callback(Output(PUBLIC, "title"), Input(BUTTON, "n_clicks"), prevent_initial_call=True)
    def public(clicks: int) -> str:
        ran.append("public")
        return "anyone may see this"

    server.test_client().get("/_dash-dependencies")  # let Dash register its callbacks
    return app, ran


def _callback_key(app: DashProxy, component_id: str, prop: str, trigger: str) -> str:
    """Dash's own key for the callback writing `component_id.prop` from `trigger`."""
    for key, callback in app.callback_map.items():
        triggers = [item["id"] for item in callback["inputs"]]
        if f"{component_id}.{prop}" in key and triggers == [trigger]:
            return key
    raise AssertionError(f"no callback writes {component_id}.{prop} from {trigger}")


def _post(client: FlaskClient, key: str, trigger: str = BUTTON) -> Any:
    outputs = [
        {"id": output["id"], "property": output["property"].split("@")[0]}
        for output in guard_outputs(key)
    ]
    body = {
        "output": key,
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [{"id": trigger, "property": "n_clicks", "value": 1}],
        "changedPropIds": [f"{trigger}.n_clicks"],
        "state": [],
    }
    return client.post("/_dash-update-component", json=body)


def guard_outputs(key: str) -> list[dict[str, str]]:
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    return [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True)) for part in parts]


@pytest.fixture
def sign_in(
    auth: AuthActions, server_sessions: sessionmaker[Session], make_user: Callable[..., User]
) -> Callable[[str], None]:
    def sign_in_as(role: str) -> None:
        make_user(server_sessions, f"the-{role}", role=role)
        assert auth.login(f"the-{role}").status_code == 302

    return sign_in_as


def test_anonymous_users_get_nothing_from_a_protected_output(
    dash_app: tuple[DashProxy, list[str]], client: FlaskClient
) -> None:
    app, ran = dash_app
    for trigger in (BUTTON, OTHER_BUTTON):
        response = _post(client, _callback_key(app, SECRET, "children", trigger), trigger)
        assert response.status_code == 401  # not signed in
        assert "secret" not in response.text
    mixed = _post(client, _callback_key(app, PUBLIC, "children", BUTTON))
    assert mixed.status_code == 401  # one protected output protects the whole callback
    assert ran == []


def test_a_player_cannot_reach_an_analyst_output(
    dash_app: tuple[DashProxy, list[str]], client: FlaskClient, sign_in: Callable[[str], None]
) -> None:
    app, ran = dash_app
    sign_in("player")
    assert _post(client, _callback_key(app, SECRET, "children", BUTTON)).status_code == 403
    mixed = _post(client, _callback_key(app, PUBLIC, "children", BUTTON))
    assert mixed.status_code == 200
    assert "the player's own" in mixed.text
    assert ran == ["mixed"]


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_an_allowed_role_gets_the_data(
    dash_app: tuple[DashProxy, list[str]],
    client: FlaskClient,
    sign_in: Callable[[str], None],
    role: str,
) -> None:
    app, ran = dash_app
    sign_in(role)
    response = _post(client, _callback_key(app, SECRET, "children", OTHER_BUTTON), OTHER_BUTTON)
    assert response.status_code == 200
    assert response.json["response"][SECRET]["children"] == "more secret figures"
    assert ran == ["reveal_again"]


def test_public_callbacks_still_work_for_everyone(
    dash_app: tuple[DashProxy, list[str]], client: FlaskClient
) -> None:
    app, ran = dash_app
    response = _post(client, _callback_key(app, PUBLIC, "title", BUTTON))
    assert response.status_code == 200
    assert ran == ["public"]


def test_requests_without_an_output_key_are_refused(
    dash_app: tuple[DashProxy, list[str]], client: FlaskClient
) -> None:
    assert client.post("/_dash-update-component", json={"inputs": []}).status_code == 400
    assert client.post("/_dash-update-component", data="output=x").status_code == 400


@pytest.mark.parametrize(
    ("key", "ids"),
    [
        ("a.children", ["a"]),
        ("..a.children...b.style@4f3a..", ["a", "b"]),
        ('{"index":["ALL"],"type":"card"}.children', ["card"]),
        ("..x.data...{bad json.children..", ["x", "{bad json"]),
    ],
)
def test_output_ids(key: str, ids: list[str]) -> None:
    assert guard.output_ids(key) == ids


def test_protected_layouts(
    server: Flask, server_sessions: sessionmaker[Session], make_user: Callable[..., User]
) -> None:
    @guard.require_role("analyst", "/stats")
    def layout(**query: str) -> html.Div:
        return html.Div("the numbers", id="stats")

    assert "Sign in" in str(layout())  # outside a request: denied, the data is never built
    player = make_user(server_sessions, "paula", role="player")
    analyst = make_user(server_sessions, "anna", role="analyst")
    with server.test_request_context():
        denied = layout()
        assert "/login?next=/stats" in str(denied)
        login_user(player)
        assert "needs the analyst role" in str(layout())
    with server.test_request_context():
        login_user(analyst)
        assert layout().id == "stats"


def test_protection_belongs_to_one_app(server: Flask) -> None:
    """An output protected on one app is public on another app in the same process."""
    other = Flask("other")
    guard.register_callback_guard(other)
    guard.protect_output(server, "guardtest-only-here", "admin")
    with server.test_request_context():
        assert guard.required_role("guardtest-only-here.children") == "admin"
    with other.test_request_context():
        assert guard.required_role("guardtest-only-here.children") is None
