"""An attacker's view: the app served by waitress on a real socket, on both stacks.

`stack` is the embedded default (SQLite, diskcache) or the scaled set-up (PostgreSQL, Redis);
`live` serves the app built from it; `browser_client()` is a new player over real HTTP.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis
import waitress
from dash_wire import DashClient, HttpClient, LiveResponse

from cargame.app import create_app
from cargame.config import Config
from cargame.web.server import waitress_options

REDIS_PATTERNS = ("cargame*", "LIMITS*")  # games, media, sessions; Flask-Limiter's counters


@dataclass
class Live:
    """A running app: its config, the Dash app and the base URL."""

    config: Config
    app: Any
    url: str

    def player(self) -> DashClient:
        """A new browser (its own cookie jar) talking to the server over HTTP."""
        return DashClient(self.app, base_url=self.url)


@pytest.fixture(params=["embedded", pytest.param("scaled", marks=pytest.mark.services)])
def stack(request: pytest.FixtureRequest, make_web_config: Callable[..., Config]) -> Iterator[Any]:
    """A config factory for SQLite + diskcache, or PostgreSQL + Redis (cleaned up after)."""
    if request.param == "embedded":
        yield make_web_config
        return
    redis_url = request.getfixturevalue("redis_url")
    database = request.getfixturevalue("postgres_schema_url")
    connection = redis.Redis.from_url(redis_url)
    before = {key for pattern in REDIS_PATTERNS for key in connection.scan_iter(pattern)}

    def scaled(**web: Any) -> Config:
        config = make_web_config(session_backend="redis", redis_url=redis_url, **web)
        return config.with_overrides({"database": {"url": database}})

    try:
        yield scaled
    finally:
        after = {key for pattern in REDIS_PATTERNS for key in connection.scan_iter(pattern)}
        if after - before:
            connection.delete(*(after - before))
        connection.close()


@pytest.fixture
def serve() -> Iterator[Callable[[Config], Live]]:
    """`serve(config)`: the app under waitress (the embedded server) on a free local port."""
    running: list[tuple[Any, threading.Event, threading.Thread]] = []

    def start(config: Config) -> Live:
        app = create_app(config)
        server = waitress.create_server(
            app.server,
            host="127.0.0.1",
            port=0,
            asyncore_loop_timeout=0.05,  # notice the shutdown quickly
            **waitress_options(config),
        )
        stopping = threading.Event()

        def run() -> None:
            try:
                server.run()
            except (OSError, ValueError):  # the socket closed under the loop at shutdown
                if not stopping.is_set():
                    raise

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        running.append((server, stopping, thread))
        return Live(config, app, f"http://127.0.0.1:{server.effective_port}")

    yield start
    for server, stopping, thread in running:
        stopping.set()
        server.task_dispatcher.shutdown()
        server.close()
        thread.join(5)


CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
KEEP_PATTERN = re.compile(r'name="keep" type="hidden" value="([^"]+)"')
PASSWORD = "correct horse battery"


def submit(
    http: HttpClient, path: str, fields: dict[str, str], headers: dict[str, str] | None = None
) -> LiveResponse:
    """Fill in the form on `path` (its CSRF token, and a keep token if the page has one)."""
    page = http.get(path, headers=headers).text
    token = CSRF_PATTERN.search(page)
    assert token, f"no form on {path}"
    data = {"csrf_token": token.group(1), **fields}
    keep = KEEP_PATTERN.search(page)
    if keep:
        data["keep"] = html.unescape(keep.group(1))
    return http.post(path.split("?", 1)[0], data=data, headers=headers)


def register(http: HttpClient, username: str, path: str = "/register") -> LiveResponse:
    fields = {"username": username, "password": PASSWORD, "confirm": PASSWORD}
    return submit(http, path, fields)


def login(
    http: HttpClient, username: str, password: str = PASSWORD, address: str | None = None
) -> LiveResponse:
    """Sign in; `address` is sent as X-Forwarded-For (honoured behind a trusted proxy)."""
    headers = {"X-Forwarded-For": address} if address else None
    return submit(http, "/login", {"username": username, "password": password}, headers)


def signed_in_as(http: HttpClient) -> str | None:
    """Who the server thinks is signed in (the sign-out page greets them)."""
    page = http.get("/logout")
    if page.status_code == 302:
        return None
    return page.text.split("<strong>", 1)[1].split("</strong>", 1)[0]


@pytest.fixture
def live(stack: Callable[..., Config], serve: Callable[[Config], Live]) -> Live:
    """The default app on this stack, served over HTTP."""
    return serve(stack())
