"""Registration, sign-in and sign-out through the real forms, with their security rules."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from cargame.accounts import passwords
from cargame.accounts.auth import safe_next
from cargame.accounts.models import User
from cargame.app import configure_sessions
from cargame.config import Config, ConfigError, load_config

from .conftest import PASSWORD, AuthActions


def _signed_in_as(client: FlaskClient) -> str | None:
    """Who the server thinks is signed in: /logout greets them, or sends anonymous users home."""
    page = client.get("/logout")
    if page.status_code == 302:
        return None
    text = page.get_data(as_text=True)
    return text.split("<strong>", 1)[1].split("</strong>", 1)[0]


def test_register_signs_in_and_stores_a_salted_hash(
    client: FlaskClient, auth: AuthActions, server_sessions: sessionmaker[Session]
) -> None:
    response = auth.register("Alice")
    assert response.status_code == 302
    assert _signed_in_as(client) == "alice"  # usernames are case-insensitive, kept in lower case
    with server_sessions() as session:
        user = session.scalars(select(User)).one()
    assert user.role == "player"
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "at least 10 characters"),
        ("password123", "most common passwords"),
        ("aaaaabbbbbaaaaa", "at least 5 different characters"),
        ("my-name-is-alice", "username in your password"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(
    client: FlaskClient,
    auth: AuthActions,
    server_sessions: sessionmaker[Session],
    password: str,
    message: str,
) -> None:
    response = auth.register("alice", password)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _signed_in_as(client) is None
    with server_sessions() as session:
        assert session.scalars(select(User)).all() == []


def test_mismatched_confirmation_and_bad_usernames_are_refused(auth: AuthActions) -> None:
    assert "two passwords differ" in auth.register("alice", PASSWORD, "another one").text
    assert "3 to 32 characters" in auth.register("a b<script>").text


def test_a_taken_username_is_refused_in_any_case(
    server_sessions: sessionmaker[Session], make_user: Callable[..., User], auth: AuthActions
) -> None:
    make_user(server_sessions, "alice")
    response = auth.register("ALICE", "another good passphrase")
    assert response.status_code == 409
    assert "That username is taken." in response.text


def test_login_and_logout(
    client: FlaskClient,
    auth: AuthActions,
    server_sessions: sessionmaker[Session],
    make_user: Callable[..., User],
) -> None:
    make_user(server_sessions, "bob")
    wrong = auth.login("bob", "not the password")
    assert wrong.status_code == 401
    assert "Wrong username or password." in wrong.text
    assert _signed_in_as(client) is None

    assert auth.login("BOB").status_code == 302
    assert _signed_in_as(client) == "bob"
    assert "remember_token" not in {cookie.key for cookie in client._cookies.values()}

    assert client.post("/logout").status_code == 400  # no CSRF token: not signed out
    assert _signed_in_as(client) == "bob"
    assert auth.logout().headers["Location"] == "/"
    assert _signed_in_as(client) is None


def test_login_returns_to_the_page_that_asked(
    auth: AuthActions, server_sessions: sessionmaker[Session], make_user: Callable[..., User]
) -> None:
    make_user(server_sessions, "carol")
    response = auth.login("carol", next_path="/profile?tab=games")
    assert response.headers["Location"] == "/profile?tab=games"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/profile",
        "/\\evil.example",
        "/%09/evil.example",
        "javascript:alert(1)",
        "profile",
    ],
)
def test_login_never_redirects_off_site(
    auth: AuthActions,
    server_sessions: sessionmaker[Session],
    make_user: Callable[..., User],
    target: str,
) -> None:
    make_user(server_sessions, "dave")
    response = auth.login("dave", next_path=target)
    assert response.headers["Location"] == "/"


def test_safe_next(server: Flask) -> None:
    with server.test_request_context():
        assert safe_next("/result?round=2") == "/result?round=2"
        assert safe_next("/\tevil.example") is None
        assert safe_next("/login") is None  # no loop back to the form
        assert safe_next(None) is None


def test_a_forged_csrf_token_is_refused(
    client: FlaskClient,
    auth: AuthActions,
    server_sessions: sessionmaker[Session],
    make_user: Callable[..., User],
) -> None:
    make_user(server_sessions, "erin")
    auth.csrf_token("/login")  # a real session exists; the token sent is not its token
    form = {"username": "erin", "password": PASSWORD}
    forged = client.post("/login", data={**form, "csrf_token": "forged-token"})
    missing = client.post("/login", data=form)
    registered = client.post(
        "/register", data={"username": "frank", "password": PASSWORD, "confirm": PASSWORD}
    )
    for response in (forged, missing, registered):
        assert response.status_code == 400
        assert "did not come from this site" in response.text
    assert _signed_in_as(client) is None


def test_repeated_failures_pause_that_account_from_that_address_only(
    server: Flask,
    client: FlaskClient,
    auth: AuthActions,
    server_sessions: sessionmaker[Session],
    make_user: Callable[..., User],
) -> None:
    make_user(server_sessions, "gina")
    make_user(server_sessions, "hugo")
    attacker = "203.0.113.9"
    responses = [auth.login("gina", f"guess number {n}", address=attacker) for n in range(5)]
    assert [response.status_code for response in responses] == [401] * 5

    refused = auth.login("gina", address=attacker)  # even the right password waits
    assert refused.status_code == 429
    assert "Sign-in is paused: try again in 1 minute" in refused.text
    assert int(refused.headers["Retry-After"]) <= 60
    assert _signed_in_as(client) is None
    assert auth.login("hugo", address=attacker).status_code == 302  # other accounts are not
    auth.logout()
    # The owner, elsewhere, is never refused because someone else guessed wrong.
    owner = server.test_client()
    assert AuthActions(owner).login("gina", address="198.51.100.20").status_code == 302
    assert _signed_in_as(owner) == "gina"


def test_many_failures_from_one_address_pause_that_address(
    server: Flask, auth: AuthActions, server_sessions: sessionmaker[Session], make_user
) -> None:
    make_user(server_sessions, "ivan")
    busy = "203.0.113.50"
    for number in range(30):  # 30 different usernames: below each account's limit
        assert auth.login(f"user{number}", "wrong password", address=busy).status_code == 401
    paused = auth.login("ivan", address=busy)
    assert paused.status_code == 429 and "Sign-in is paused" in paused.text
    assert (
        AuthActions(server.test_client()).login("ivan", address="198.51.100.7").status_code == 302
    )


def test_unknown_usernames_cost_the_same_password_work(
    auth: AuthActions,
    server_sessions: sessionmaker[Session],
    make_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_user(server_sessions, "julia")
    checks: list[str] = []
    real_check = passwords.check_password_hash

    def counted(pwhash: str, password: str) -> bool:
        checks.append(pwhash.split("$", 1)[0])
        return real_check(pwhash, password)

    monkeypatch.setattr(passwords, "check_password_hash", counted)
    assert auth.login("julia", "not her password").status_code == 401
    assert auth.login("nobody-by-this-name", "not her password").status_code == 401
    assert len(checks) == 2 and checks[0] == checks[1]  # one scrypt check each, same method

    # And over HTTP: an unknown name answers no faster than a known one (medians of 3).
    def median_seconds(username: str) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            assert auth.login(username, "wrong again", address="192.0.2.77").status_code == 401
            times.append(time.perf_counter() - start)
        return sorted(times)[1]

    known, unknown = median_seconds("julia"), median_seconds("nobody-at-all")
    assert unknown > 0.5 * known, (known, unknown)


def test_session_cookie_flags(client: FlaskClient, auth: AuthActions, config: Config) -> None:
    auth.csrf_token("/login")
    cookie = client.get_cookie("cargame_session")
    assert cookie is not None
    assert cookie.http_only and cookie.same_site == "Lax" and not cookie.secure

    secure = Flask(__name__)
    configure_sessions(secure, config.with_overrides({"web": {"https": True}}))
    assert secure.config["SESSION_COOKIE_SECURE"] is True
    assert client.application.config["USE_SESSION_FOR_NEXT"] is True


def test_production_refuses_to_start_without_a_secret_key() -> None:
    production = load_config("production", environ={})
    with pytest.raises(ConfigError, match="secret_key"):
        configure_sessions(Flask(__name__), production)
    with pytest.raises(ConfigError, match="at least 16 characters"):
        configure_sessions(Flask(__name__), production.with_overrides({"web": {"secret_key": "x"}}))
    keyed = production.with_overrides({"web": {"secret_key": "k" * 40}})
    server = Flask(__name__)
    configure_sessions(server, keyed)
    assert server.secret_key == "k" * 40


def test_sign_in_while_the_database_is_down_says_so(
    server: Flask, client: FlaskClient, auth: AuthActions, server_sessions, make_user
) -> None:
    make_user(server_sessions, "lena")
    token = auth.csrf_token("/login")
    with server_sessions() as session:  # the accounts database breaks
        session.execute(text("DROP TABLE games"))
        session.execute(text("DROP TABLE users"))
        session.commit()
    form = {"csrf_token": token, "username": "lena", "password": PASSWORD}
    response = client.post("/login", data=form)
    assert response.status_code == 503 and "unavailable right now" in response.text
