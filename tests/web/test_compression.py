"""Compression and caching as a browser meets them: gzip'd bundles and callback JSON, bundles
cached for a year (their URLs change with their content), compressed bundles kept, callbacks not."""

from __future__ import annotations

import gzip
import json
import re

import pytest
from dash_wire import DashClient

from cargame.app import create_app
from cargame.web import compression, ids


@pytest.fixture
def app(web_config):
    return create_app(web_config)


@pytest.fixture
def client(app, dash_client):
    return dash_client(app)


def bundle_paths(client: DashClient) -> list[str]:
    page = client.http.get("/").get_data(as_text=True)
    return re.findall(r'src="(/_dash-component-suites/[^"]+\.js)"', page)


def test_bundles_are_compressed_and_cached_for_a_year(client) -> None:
    path = next(path for path in bundle_paths(client) if "dash_renderer" in path)
    response = client.http.get(path, headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "max-age=31536000" in response.headers["Cache-Control"]
    body = gzip.decompress(response.data)
    assert len(response.data) < len(body) / 2
    css = client.http.get("/").get_data(as_text=True)
    asset = re.search(r'href="(/assets/cargame\.css\?m=[^"]+)"', css).group(1)
    cached = client.http.get(asset, headers={"Accept-Encoding": "gzip"})
    assert "immutable" in cached.headers["Cache-Control"]
    assert "max-age" not in client.http.get("/assets/cargame.css").headers.get("Cache-Control", "")


def test_static_files_are_the_same_for_every_browser(app, client, dash_client) -> None:
    """A browser with a session gets bundles, assets and photos that do not vary by its cookie
    (else nginx keeps one copy per browser) and never a cookie with them."""
    client.start_game()  # a session with a game in it
    assert client.http.get_cookie("cargame_session") is not None
    other = dash_client(app)
    other.start_game()
    page = client.http.get("/").get_data(as_text=True)
    asset = re.search(r'href="(/assets/cargame\.css\?m=[^"]+)"', page).group(1)
    for path in [*bundle_paths(client)[:3], asset]:
        for browser in (client, other):
            response = browser.http.get(path, headers={"Accept-Encoding": "gzip"})
            assert response.status_code == 200, path
            assert "Cookie" not in response.headers.get("Vary", ""), path
            assert "Set-Cookie" not in response.headers, path
    # Pages and callbacks do depend on the session.
    assert "Cookie" in client.http.get("/").headers.get("Vary", "")


def test_callback_json_is_compressed(client) -> None:
    pointer = client.start_game()
    spec = client._find({"_pages_location.pathname", "_pages_location.search"}, set(), "")
    payload = {
        "output": spec["output"],
        "outputs": [
            {"id": item.split(".")[0], "property": item.split(".")[1].split("@")[0]}
            for item in spec["output"].strip(".").split("...")
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": "/attempt"},
            {"id": "_pages_location", "property": "search", "value": ""},
        ],
        "state": [{"id": ids.GAME_STORE, "property": "data", "value": pointer}],
        "changedPropIds": ["_pages_location.pathname"],
    }
    response = client.http.post(
        "/_dash-update-component", json=payload, headers={"Accept-Encoding": "gzip"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Encoding"] == "gzip"
    assert (
        "round"
        in json.loads(gzip.decompress(response.data))["response"]["_pages_content"]["children"]
        .__repr__()
        .lower()
    )


def test_only_fingerprinted_bundles_are_kept(app) -> None:
    cache = compression.BundleCache(size=2)
    with app.server.test_request_context("/_dash-component-suites/dash/x.v4_4_1m1.js"):
        from flask import request

        key = compression.bundle_key(request)
    assert key == "/_dash-component-suites/dash/x.v4_4_1m1.js?"
    with app.server.test_request_context("/_dash-update-component", method="POST"):
        from flask import request

        assert compression.bundle_key(request) == compression.NOT_KEPT
    cache.set(f"gzip;{compression.NOT_KEPT}", b"callback")
    assert cache.get(f"gzip;{compression.NOT_KEPT}") is None
    for name in ("a", "b", "c"):
        cache.set(f"gzip;/{name}", name.encode())
    assert cache.get("gzip;/a") is None and cache.get("gzip;/c") == b"c"
