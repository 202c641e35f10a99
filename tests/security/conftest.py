"""An attacker's view: the app served by waitress on a real socket, on both stacks.

`stack` is the embedded default (SQLite, diskcache) or the scaled set-up (PostgreSQL, Redis);
`live` serves the app built from it; `browser_client()` is a new player over real HTTP.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from dash_wire import HttpClient, LiveResponse
from support_web import Live

from cargame.config import Config


@pytest.fixture(params=["embedded", pytest.param("scaled", marks=pytest.mark.services)])
def stack(request: pytest.FixtureRequest, make_web_config: Callable[..., Config]) -> Any:
    """A config factory for SQLite + diskcache, or PostgreSQL + Redis (cleaned up after)."""
    if request.param == "embedded":
        return make_web_config
    return request.getfixturevalue("scaled_stack")


@pytest.fixture
def serve(live_server: Callable[[Config], Live]) -> Callable[[Config], Live]:
    """`serve(config)`: the app under waitress (the embedded server) on a free local port."""
    return live_server


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
