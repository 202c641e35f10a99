"""/admin: users and roles (role changes by CSRF-protected form, never the last admin), the
served model versions from (fake) TF Serving and the catalog in use; admins only."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from dash_extensions.enrich import DashProxy
from dash_wire import DashClient
from doubles import FakeServing, ServerThread
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cargame.accounts.admin import set_role
from cargame.accounts.db import EXTENSION
from cargame.accounts.models import Game, User, utc_now
from cargame.app import create_app
from cargame.config import Config
from cargame.domain.catalog import MANIFEST, Catalog
from cargame.web.components import admin_tables

from .conftest import AuthActions

LOCK_WAIT_SECONDS = 1.0  # long enough for a second demotion to reach the lock it must wait on


@pytest.fixture
def app(web_config: Config) -> DashProxy:
    return create_app(web_config)


def _sessions(app: DashProxy) -> sessionmaker[Session]:
    return app.server.extensions[EXTENSION]


def _signed_in(
    app: DashProxy, make_user: Callable[..., User], username: str, role: str
) -> DashClient:
    """A browser-like client signed in as a new user with `role`."""
    make_user(_sessions(app), username, role=role)
    client = DashClient(app)
    assert AuthActions(client.http).login(username).status_code == 302
    return client


def _role(sessions: sessionmaker[Session], username: str) -> str:
    with sessions() as session:
        return session.scalars(select(User.role).where(User.username == username)).one()


def _add_game(sessions: sessionmaker[Session], user_id: int, status: str) -> None:
    now = utc_now()
    with sessions() as session:
        session.add(
            Game(
                id=uuid.uuid4().hex,
                user_id=user_id,
                mode="solo",
                model_name="cars",
                model_version=3,
                status=status,
                started_at=now - timedelta(minutes=2),
                finished_at=now if status == "finished" else None,
            )
        )
        session.commit()


def _role_form(page: Any, user_id: int) -> tuple[str, str]:
    """The (action, csrf token) of the role form for `user_id` in the /admin layout."""
    forms: list[dict[str, Any]] = []

    def walk(tree: Any) -> None:
        if isinstance(tree, dict):
            if tree.get("type") == "Form":
                forms.append(tree)
            walk(list(tree.get("props", {}).values()))
        elif isinstance(tree, list):
            for child in tree:
                walk(child)

    walk(page)
    action = f"/admin/users/{user_id}/role"
    form = next(form for form in forms if form["props"]["action"] == action)
    assert form["props"]["method"] == "post"
    fields = form["props"]["children"]
    token = next(
        field["props"]["value"] for field in fields if field["props"].get("name") == "csrf_token"
    )
    return action, token


def _text(component: Any) -> str:
    return json.dumps(component)


def test_an_admin_sees_every_user_and_changes_a_role_through_the_form(
    app: DashProxy, make_user: Callable[..., User]
) -> None:
    sessions = _sessions(app)
    bob = make_user(sessions, "bob")
    _add_game(sessions, bob.id, "finished")
    _add_game(sessions, bob.id, "finished")
    _add_game(sessions, bob.id, "abandoned")  # started, never finished: not a game played
    admin = _signed_in(app, make_user, "root", "admin")

    page = admin.page("/admin")
    table = admin.find(page, admin_tables.USERS)
    assert table is not None
    rows = {row["props"]["children"][0]["props"]["children"]: row for row in _rows(table)}
    assert set(rows) == {"bob", "root"}
    cells = [cell["props"]["children"] for cell in rows["bob"]["props"]["children"][:4]]
    assert cells[1] == "player" and cells[3] == "2"

    action, token = _role_form(page, bob.id)
    response = admin.http.post(action, data={"csrf_token": token, "role": "analyst"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin?notice=role-changed"
    assert _role(sessions, "bob") == "analyst"
    notice = admin.find(admin.page("/admin", search="?notice=role-changed"), admin_tables.NOTICE)
    assert notice is not None and "The role was changed." in _text(notice)


def _rows(table: dict[str, Any]) -> list[dict[str, Any]]:
    body = next(part for part in table["props"]["children"] if part["type"] == "Tbody")
    return body["props"]["children"]


def test_a_missing_or_forged_csrf_token_changes_nothing(
    app: DashProxy, make_user: Callable[..., User]
) -> None:
    sessions = _sessions(app)
    bob = make_user(sessions, "bob")
    admin = _signed_in(app, make_user, "root", "admin")
    action, token = _role_form(admin.page("/admin"), bob.id)
    assert admin.http.post(action, data={"role": "admin"}).status_code == 400
    forged = {"csrf_token": token[:-4] + "AAAA", "role": "admin"}
    response = admin.http.post(action, data=forged)
    assert response.status_code == 400 and "did not come from this site" in response.text
    # A token from another browser's session is no good either.
    other = _signed_in(app, make_user, "other", "admin")
    assert other.http.post(action, data={"csrf_token": token, "role": "admin"}).status_code == 400
    assert _role(sessions, "bob") == "player"
    # A role that does not exist is refused too.
    assert admin.http.post(action, data={"csrf_token": token, "role": "root"}).status_code == 400


def test_the_last_admin_cannot_be_demoted(app: DashProxy, make_user: Callable[..., User]) -> None:
    sessions = _sessions(app)
    admin = _signed_in(app, make_user, "root", "admin")
    with sessions() as session:
        root_id = session.scalars(select(User.id).where(User.username == "root")).one()
    action, token = _role_form(admin.page("/admin"), root_id)
    response = admin.http.post(action, data={"csrf_token": token, "role": "player"})
    assert response.headers["Location"] == "/admin?notice=last-admin"
    assert _role(sessions, "root") == "admin"
    notice = admin.find(admin.page("/admin", search="?notice=last-admin"), admin_tables.NOTICE)
    assert "last admin" in _text(notice)
    # With a second admin, the first may step down.
    second = make_user(sessions, "second", role="admin")
    response = admin.http.post(action, data={"csrf_token": token, "role": "analyst"})
    assert response.headers["Location"] == "/admin?notice=role-changed"
    assert _role(sessions, "root") == "analyst" and _role(sessions, second.username) == "admin"


def test_the_page_never_echoes_its_query(app: DashProxy, make_user: Callable[..., User]) -> None:
    admin = _signed_in(app, make_user, "root", "admin")
    page = admin.page("/admin", search="?notice=%3Cscript%3Ealert(1)%3C/script%3E")
    assert "script" not in _text(page) and admin.find(page, admin_tables.NOTICE) is None


@pytest.mark.parametrize("role", ["player", "analyst", None])
def test_only_admins_see_the_page(
    app: DashProxy, make_user: Callable[..., User], role: str | None
) -> None:
    make_user(_sessions(app), "bob")
    visitor = _signed_in(app, make_user, "someone", role) if role else DashClient(app)
    page = _text(visitor.page("/admin"))
    expected = "This page needs the admin role." if role else "Sign in to see this page."
    assert expected in page
    assert admin_tables.USERS not in page and "bob" not in page and "csrf_token" not in page


def test_the_role_route_refuses_anonymous_visitors_and_non_admins(
    server_sessions: sessionmaker[Session],
    client: FlaskClient,
    auth: AuthActions,
    make_user: Callable[..., User],
) -> None:
    bob = make_user(server_sessions, "bob")
    action = f"/admin/users/{bob.id}/role"
    assert client.post(action, data={"role": "admin"}).status_code == 401
    for username, role in (("pat", "player"), ("ann", "analyst")):
        make_user(server_sessions, username, role=role)
        auth.login(username)
        token = auth.csrf_token("/logout")  # a valid token of this session: still not enough
        response = client.post(action, data={"csrf_token": token, "role": "admin"})
        assert response.status_code == 403, username
        auth.logout()
    assert _role(server_sessions, "bob") == "player"
    assert client.get(action).status_code == 405


def test_the_served_model_versions_come_from_tf_serving(
    app: DashProxy,
    make_user: Callable[..., User],
    fake_model: tuple[FakeServing, ServerThread],
) -> None:
    fake_model[0].versions[4] = "LOADING"
    admin = _signed_in(app, make_user, "root", "admin")
    models = _text(admin.find(admin.page("/admin"), admin_tables.MODELS))
    assert '"3"' in models and "AVAILABLE" in models
    assert '"4"' in models and "LOADING" in models
    # Every opponent level's servable is listed; the fake serves only the trained model.
    assert "Expert: model 'cars'" in models and "Rookie: model 'cars-rookie'" in models


def test_an_unreachable_model_server_is_reported_not_a_500(
    make_web_config: Callable[..., Config], make_user: Callable[..., User], closed_url: str
) -> None:
    app = create_app(make_web_config(serving_url=closed_url))
    admin = _signed_in(app, make_user, "root", "admin")
    page = admin.page("/admin")
    assert "The model server is unreachable right now" in _text(
        admin.find(page, admin_tables.MODELS)
    )
    assert admin.find(page, admin_tables.USERS) is not None  # the rest of the page still shows


def test_the_catalog_in_use_or_no_catalog(
    app: DashProxy, make_user: Callable[..., User], web_catalog: Catalog
) -> None:
    admin = _signed_in(app, make_user, "root", "admin")
    shown = _text(admin.find(admin.page("/admin"), admin_tables.CATALOG))
    assert "web-test" in shown and str(web_catalog.root) in shown
    facts = _facts(admin.find(admin.page("/admin"), admin_tables.CATALOG))
    assert facts["Classes"] == "6"
    assert facts["Images (train)"] == "6" and facts["Images (game)"] == "18"
    assert facts["Images (validation)"] == "0"
    (web_catalog.root / MANIFEST).unlink()
    shown = _text(admin.find(admin.page("/admin"), admin_tables.CATALOG))
    assert "No catalog" in shown


def _facts(definitions: dict[str, Any]) -> dict[str, Any]:
    parts = definitions["props"]["children"]
    labels = [part["props"]["children"] for part in parts[0::2]]
    return dict(zip(labels, [part["props"]["children"] for part in parts[1::2]], strict=True))


def test_set_role_reports_a_missing_user(
    sessions: sessionmaker[Session], make_user: Callable[..., User]
) -> None:
    make_user(sessions, "root", role="admin")
    with sessions() as session, session.begin():
        assert set_role(session, 999_999, "analyst") == "no-user"
    with pytest.raises(ValueError), sessions() as session, session.begin():
        set_role(session, 1, "superuser")


def test_two_admins_demoting_each_other_at_once_leave_one_admin(
    sessions: sessionmaker[Session], make_user: Callable[..., User]
) -> None:
    first = make_user(sessions, "first", role="admin")
    second = make_user(sessions, "second", role="admin")
    # The first demotion is under way (not committed) when the second one starts.
    pending = sessions()
    pending.begin()
    assert set_role(pending, first.id, "player") == "changed"
    outcome: list[str] = []

    def demote_second() -> None:
        with sessions() as session, session.begin():
            outcome.append(set_role(session, second.id, "player"))

    racer = threading.Thread(target=demote_second)
    racer.start()
    racer.join(LOCK_WAIT_SECONDS)
    assert racer.is_alive(), "the second demotion did not wait for the first"
    pending.commit()
    pending.close()
    racer.join(30)
    assert outcome == ["last-admin"]
    with sessions() as session:
        assert session.scalars(select(User.username).where(User.role == "admin")).all() == [
            "second"
        ]
