"""The server-rendered pages (sign-in, register, sign-out, claim, share) in the app's look: the
same dark header as the Dash shell, Bootstrap and the app's stylesheets, served by the app."""

from __future__ import annotations

import re
from collections.abc import Callable

from dash_extensions.enrich import DashProxy

from cargame.app import create_app
from cargame.config import Config

PAGES = ["/login", "/register", "/next-player", "/share/not-a-real-token-at-all-xxxxxx"]
STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)">')


def test_each_page_has_the_header_and_the_apps_stylesheets(
    make_web_config: Callable[..., Config],
) -> None:
    app: DashProxy = create_app(make_web_config())
    client = app.server.test_client()
    for path in PAGES:
        page = client.get(path).get_data(as_text=True)
        assert 'class="navbar navbar-expand-lg navbar-dark bg-dark' in page, path
        assert 'href="/showroom"' in page and 'href="/leaderboard"' in page, path
        assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
        sheets = STYLESHEET.findall(page)
        assert sheets[:2] == ["/assets/00-bootstrap-5.3.8.min.css", "/assets/cargame.css"]
        for sheet in sheets:  # Dash serves every one of them
            served = client.get(sheet)
            assert served.status_code == 200 and served.mimetype == "text/css", sheet


def test_on_a_booth_screen_the_header_leads_nowhere_else(
    make_web_config: Callable[..., Config],
) -> None:
    app: DashProxy = create_app(
        make_web_config(booth=True).with_overrides({"booth": {"accounts": True}})
    )
    client = app.server.test_client()
    for path in PAGES:
        page = client.get(path).get_data(as_text=True)
        assert "navbar-brand" in page, path
        assert "/showroom" not in page and "/leaderboard" not in page, path
