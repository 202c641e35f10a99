"""One browser tab of cargame, as Dash's renderer drives it, over Locust's HTTP client.

What a real Chromium sends during a game (recorded once from its network log) is what a tab here
sends, with the protocol from tests/dash_wire.py:

- opening a page: the HTML, `/_dash-layout`, `/_dash-dependencies` (and, for a new visitor, the
  bundles and stylesheets the HTML names), then the shell's callbacks and the Dash Pages router;
- a page change (a callback writes `shell-navigate.href`): in parallel the router (the new page),
  the header's account menu (the path changed) and the scoreboard (the game store was written);
  then the pictures of the new page (and plotly's bundle when a browser shows its first chart),
  and the callbacks the renderer fires when content appears (`dash_wire.initial_callbacks`;
  the lock-in and "Next" answer 204 then);
- an enabled `dcc.Interval` in a page with a server callback (the answer page while its
  heatmaps are made) is polled at its interval until the callback disables it, the page
  changes or `max_intervals` runs out, in the background as in a browser;
- choosing a make fires its callback and loads the model tiles' pictures; choosing a model sends
  nothing (its value is State of the lock-in).

Each request is named `<action> <part>` in Locust's statistics. A failed request (status 400 or
more, or no connection) raises `RequestFailed`: the page did not react, and the player decides
what to do (`locustfile.Player.act`).
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable
from typing import Any

import gevent
import gevent.pool
from dash_wire import (
    ROUTER_OUTPUT,
    callback_outputs,
    callback_payload,
    find_component,
    initial_callbacks,
    iter_components,
    select_callback,
)

from cargame.web import ids

UPDATE = "/_dash-update-component"
REQUEST_SECONDS = 95  # above nginx's 90 s for callbacks: nginx answers first
MEDIA = re.compile(r"/media/[A-Za-z0-9_-]+")
STATIC = re.compile(r'(?:src|href)="(/(?:_dash-component-suites|assets)/[^"]+)"')
# Loaded by dcc on demand when the first dcc.Graph of a browser renders (as recorded).
GRAPH_BUNDLES = (
    "/_dash-component-suites/dash/dcc/async-graph.js",
    "/_dash-component-suites/plotly/package_data/plotly.min.js",
)
CONNECTIONS = 6  # a browser's parallel HTTP/1.1 connections to one host
POLL_LIMIT_SECONDS = 120  # a page polling longer than this has failed the player anyway


class RequestFailed(RuntimeError):
    """A request of an action failed: an error status or no connection."""


class UnexpectedPage(RuntimeError):
    """The app showed something other than what the action leads to (e.g. "start over")."""


class BrowserTab:
    """One tab with its own cookie jar (Locust's client): the page shown, the game store's
    value, and the pictures already in the browser's cache."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.dependencies: list[dict[str, Any]] = []
        self.pathname = "/"
        self.pointer: Any = None  # the game store's value (a Serverside pointer)
        self.content: Any = None  # the page the router rendered last
        self.cached: set[str] = set()  # media and bundles this browser has loaded
        self.polls: list[gevent.Greenlet] = []
        self.polled = False  # the page shown polls for something (its heatmaps)
        self.heatmaps_at: float | None = None  # when the page was complete (monotonic)

    # -- HTTP ------------------------------------------------------------------------------

    def request(self, method: str, path: str, name: str, **options: Any) -> Any:
        """One request, named for Locust's statistics; RequestFailed unless it succeeded."""
        options.setdefault("timeout", REQUEST_SECONDS)
        options.setdefault("allow_redirects", False)
        response = self.client.request(method, path, name=name, **options)
        if not response.status_code or response.status_code >= 400:
            raise RequestFailed(f"{name}: {response.status_code or response.error}")
        return response

    def fire(
        self,
        name: str,
        inputs: dict[str, Any],
        state: dict[str, Any] | None = None,
        output: str = "",
        changed: list[str] | None = None,
    ) -> dict[str, dict[str, Any]]:
        """POST one callback; its outputs ({} for 204: nothing to update)."""
        spec = select_callback(self.dependencies, set(inputs), set(state or {}), output)
        payload = callback_payload(spec, inputs, state, changed)
        response = self.request("POST", UPDATE, name, json=payload)
        return {} if response.status_code == 204 else callback_outputs(response.json())

    def load_media(self, action: str, tree: Any) -> None:
        """The pictures in `tree` this browser has not loaded yet, in parallel."""
        urls = sorted(set(MEDIA.findall(json.dumps(tree))) - self.cached)
        together(*(lambda url=url: self.request("GET", url, f"{action} picture") for url in urls))
        self.cached.update(urls)

    def load_bundles(self, action: str, urls: Any) -> None:
        """Scripts and stylesheets this browser has not loaded yet (from nginx's cache)."""
        missing = [url for url in dict.fromkeys(urls) if url not in self.cached]
        together(*(lambda url=url: self.request("GET", url, f"{action} bundle") for url in missing))
        self.cached.update(missing)

    # -- pages -----------------------------------------------------------------------------

    def open(self, action: str, path: str = "/") -> Any:
        """Load a page from its URL as a browser does; returns the page content."""
        self.stop_polls()
        html = self.request("GET", path, f"{action} html").text
        together(
            lambda: self.request("GET", "/_dash-layout", f"{action} layout"),
            lambda: self._load_dependencies(action),
            lambda: self.load_bundles(action, STATIC.findall(html)),
        )
        self.pathname = path
        return self._show(action, path, store_written=True)

    def navigate(self, action: str, outputs: dict[str, dict[str, Any]]) -> Any:
        """Follow a callback's answer: store the game, go where `shell-navigate` says."""
        store = outputs.get(ids.GAME_STORE, {})
        if "data" in store:
            self.pointer = store["data"]
        href = outputs.get(ids.NAVIGATE, {}).get("href")
        if not href:
            raise UnexpectedPage(f"{action}: the page did not move on: {outputs}")
        self.stop_polls()
        self.pathname = href.split("?")[0]
        return self._show(action, href, store_written="data" in store)

    def _load_dependencies(self, action: str) -> None:
        response = self.request("GET", "/_dash-dependencies", f"{action} dependencies")
        self.dependencies = response.json()

    def _show(self, action: str, href: str, store_written: bool) -> Any:
        path, _, search = href.partition("?")
        rendered: dict[str, Any] = {}

        def router() -> None:
            rendered.update(
                self.fire(
                    f"{action} page",
                    {"_pages_location.pathname": path, "_pages_location.search": search},
                    {ids.GAME_STORE + ".data": self.pointer},
                    changed=["_pages_location.pathname"],
                )
            )

        parts: list[Callable[[], object]] = [
            router,
            lambda: self.fire(f"{action} header", {ids.NAVIGATE + ".pathname": path}),
        ]
        if store_written:
            store = {ids.GAME_STORE + ".data": self.pointer}
            parts.append(lambda: self.fire(f"{action} scoreboard", store))
        together(*parts)
        self.content = rendered[ROUTER_OUTPUT]["children"]
        if find_component(self.content, ids.REDIRECT_LINK) is not None:
            raise UnexpectedPage(f"{action}: {path} redirected the player")
        self.load_media(action, self.content)
        if any(item.get("type") == "Graph" for item in iter_components(self.content)):
            self.load_bundles(action, GRAPH_BUNDLES)
        self.heatmaps_at, self.polled = time.monotonic(), False
        # Callbacks of the new content and its polls run while the player looks at the page.
        for spec, values in initial_callbacks(self.dependencies, self.content):
            self.polls.append(gevent.spawn(self._quietly, self._initial, action, spec, values))
        self._start_polls(action)
        return self.content

    def _initial(self, action: str, spec: dict[str, Any], values: dict[str, Any]) -> None:
        state = self._state_values(spec)
        payload = callback_payload(spec, values, state, changed=list(values))
        self.request("POST", UPDATE, f"{action} page callbacks", json=payload)

    def _state_values(self, spec: dict[str, Any]) -> dict[str, Any]:
        values = {}
        for item in spec["state"]:
            key = f"{item['id']}.{item['property']}"
            if item["id"] == ids.GAME_STORE:
                values[key] = self.pointer
            else:
                found = find_component(self.content, item["id"])
                values[key] = found["props"].get(item["property"]) if found else None
        return values

    # -- polls -----------------------------------------------------------------------------

    def _start_polls(self, action: str) -> None:
        for component in iter_components(self.content):
            props = component.get("props", {})
            if component.get("type") != "Interval" or props.get("disabled"):
                continue
            for spec in self.dependencies:
                names = {f"{item['id']}.{item['property']}" for item in spec["inputs"]}
                if spec.get("clientside_function") or f"{props['id']}.n_intervals" not in names:
                    continue
                poll = gevent.spawn(self._quietly, self._poll, action, spec, props)
                self.polls.append(poll)
                self.polled, self.heatmaps_at = True, None

    def _poll(self, action: str, spec: dict[str, Any], interval: dict[str, Any]) -> None:
        """Fire an interval's callback every tick until it disables the interval."""
        seconds = float(interval.get("interval", 1000)) / 1000
        limit = interval.get("max_intervals", -1)
        started, ticks = time.monotonic(), 0
        while time.monotonic() - started < POLL_LIMIT_SECONDS and (limit < 0 or ticks < limit):
            gevent.sleep(seconds)
            ticks += 1
            key = f"{interval['id']}.n_intervals"
            payload = callback_payload(spec, {key: ticks}, self._state_values(spec), [key])
            response = self.request("POST", UPDATE, f"{action} poll", json=payload)
            if response.status_code == 204:
                continue
            outputs = callback_outputs(response.json())
            self.load_media(action, outputs)
            if outputs.get(interval["id"], {}).get("disabled"):
                self.heatmaps_at = time.monotonic()
                return

    def poll_until_done(self, timeout: float) -> bool:
        """Wait for this page's polls (the heatmaps); False if they outlast `timeout`."""
        running = [poll for poll in self.polls if not poll.dead]
        gevent.joinall(running, timeout=timeout)
        return all(poll.dead for poll in running)

    def stop_polls(self) -> None:
        """The page changes: its intervals and pending callbacks stop, as in a browser."""
        gevent.killall([poll for poll in self.polls if not poll.dead], block=False)
        self.polls = []

    @staticmethod
    def _quietly(work: Callable[..., None], *args: Any) -> None:
        # Background work of a page: its failures are in Locust's statistics; the player
        # only notices them through the next action.
        with contextlib.suppress(RequestFailed, ValueError, KeyError):
            work(*args)


def together(*work: Callable[[], object]) -> None:
    """Run these requests in parallel, at most six at a time as a browser does with one host;
    the first failure is raised."""
    pool = gevent.pool.Pool(CONNECTIONS)
    greenlets = [pool.spawn(item) for item in work]
    gevent.joinall(greenlets)
    for greenlet in greenlets:
        if greenlet.exception is not None:
            raise greenlet.exception
