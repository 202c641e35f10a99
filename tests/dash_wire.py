"""Dash over HTTP: fire callbacks as the browser's renderer does, without a browser.

`DashClient(app)` reads `/_dash-dependencies`, builds `POST /_dash-update-component` bodies for
the given inputs and state, and keeps one cookie jar (one player). It talks to the app in
process (Flask's test client), or over real sockets with `DashClient(app, base_url=...)` to a
running server. `find_component` looks up a component in the serialised layouts the router returns.

The protocol itself (`select_callback`, `callback_payload`, `callback_outputs`,
`initial_callbacks`) is plain functions without an HTTP client, so the load test's simulated
players (bench/locust/) speak it through Locust's client with the same code.
"""

from __future__ import annotations

from collections.abc import Iterator
from http.cookiejar import Cookie
from typing import Any
from urllib.parse import urlsplit

import requests

from cargame.domain.game import GameData

ROUTER_OUTPUT = "_pages_content"  # Dash Pages' router renders the page into this component


def find_component(tree: Any, component_id: str) -> dict[str, Any] | None:
    """The serialised component with this id in a layout JSON tree, or None."""
    if isinstance(tree, dict):
        props = tree.get("props", {})
        if props.get("id") == component_id:
            return tree
        return find_component(list(props.values()), component_id)
    if isinstance(tree, list):
        for child in tree:
            found = find_component(child, component_id)
            if found is not None:
                return found
    return None


def iter_components(tree: Any) -> Iterator[dict[str, Any]]:
    """Every serialised component (with a `type`) in a layout JSON tree, depth first."""
    if isinstance(tree, dict):
        if "type" in tree:
            yield tree
        for value in tree.get("props", {}).values():
            yield from iter_components(value)
    elif isinstance(tree, list):
        for child in tree:
            yield from iter_components(child)


def select_callback(
    dependencies: list[dict[str, Any]], inputs: set[str], state: set[str], output: str = ""
) -> dict[str, Any]:
    """The one callback with exactly these `id.prop` inputs, whose state includes `state` and
    whose outputs name `output` (needed where several callbacks share their inputs)."""
    found = []
    for spec in dependencies:
        names = {f"{item['id']}.{item['property']}" for item in spec["inputs"]}
        states = {f"{item['id']}.{item['property']}" for item in spec["state"]}
        if names == inputs and state <= states and output in spec["output"]:
            found.append(spec)
    if len(found) != 1:
        raise AssertionError(
            f"{len(found)} callbacks with inputs {inputs}, state {state} and an "
            f"output {output!r}: name the output to fire"
        )
    return found[0]


def callback_payload(
    spec: dict[str, Any],
    inputs: dict[str, Any],
    state: dict[str, Any] | None = None,
    changed: list[str] | None = None,
) -> dict[str, Any]:
    """The body of `POST /_dash-update-component` for one callback, as the renderer sends it:
    every input and state by `id.prop` (missing ones as None); `changed` names the inputs that
    triggered it (default: the first one given)."""
    state = state or {}
    described = [{"id": i, "property": p} for i, p in map(_split, _outputs(spec["output"]))]
    return {
        "output": spec["output"],
        # The renderer sends a single output as an object, several as a list.
        "outputs": described if spec["output"].startswith("..") else described[0],
        "inputs": [_dependency(item, inputs) for item in spec["inputs"]],
        "state": [_dependency(item, state) for item in spec["state"]],
        "changedPropIds": list(inputs)[:1] if changed is None else changed,
    }


def callback_outputs(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A callback's JSON answer as {id: {prop: value}} (without the outputs' hash suffixes)."""
    return {
        key: {prop.split("@")[0]: value for prop, value in props.items()}
        for key, props in body["response"].items()
    }


def initial_callbacks(
    dependencies: list[dict[str, Any]], content: Any
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The server callbacks the renderer fires when `content` (a page the router returned)
    appears, each with its input values from the layout: (spec, {id.prop: value}).

    Those whose inputs all live in the new content and that either allow an initial call or
    write an output outside it (`prevent_initial_call` only holds for outputs in the same new
    content: the game store is in the shell, so the lock-in and "Next" callbacks fire with
    nothing clicked and answer 204)."""
    props = {
        component["props"]["id"]: component["props"]
        for component in iter_components(content)
        if isinstance(component.get("props", {}).get("id"), str)
    }
    fired = []
    for spec in dependencies:
        if spec.get("clientside_function") or not spec["inputs"]:
            continue
        if not all(item["id"] in props for item in spec["inputs"]):
            continue
        outputs = [_split(item)[0] for item in _outputs(spec["output"])]
        if spec.get("prevent_initial_call") and all(name in props for name in outputs):
            continue
        values = {
            f"{item['id']}.{item['property']}": props[item["id"]].get(item["property"])
            for item in spec["inputs"]
        }
        fired.append((spec, values))
    return fired


class DashClient:
    """Calls Dash callbacks over HTTP like the browser does, with one cookie jar."""

    find = staticmethod(find_component)

    def __init__(self, app: Any, base_url: str | None = None) -> None:
        self.app = app
        self.http = HttpClient(base_url) if base_url else app.server.test_client()
        self.dependencies = self.http.get("/_dash-dependencies").get_json()
        self.last_size = 0

    def callback(
        self, inputs: dict[str, Any], state: dict[str, Any] | None = None, output: str = ""
    ) -> dict[str, dict[str, Any]]:
        """Fire the callback with exactly these `id.prop` inputs (and, where several callbacks
        share them, the one whose outputs name `output`); returns {id: {prop: value}}."""
        spec = self._find(set(inputs), set(state or {}), output)
        payload = callback_payload(spec, inputs, state)
        response = self.http.post("/_dash-update-component", json=payload)
        if response.status_code == 204:
            return {}
        assert response.status_code == 200, response.get_data(as_text=True)
        self.last_size = len(response.data)
        return callback_outputs(response.get_json())

    def page(self, path: str, pointer: Any = None, search: str = "") -> Any:
        """The page content the router renders for a path, given the game store's value."""
        response = self.callback(
            {"_pages_location.pathname": path, "_pages_location.search": search},
            {"shell-game.data": pointer},
        )
        return response[ROUTER_OUTPUT]["children"]

    def start_game(self) -> str:
        """Press "Let's play"; returns the store's pointer."""
        response = self.callback({"home-start.n_clicks": 1, "home-retry.n_clicks": None})
        assert response["shell-navigate"]["href"] == "/attempt", response
        return response["shell-game"]["data"]

    def play(self, guesses: list[tuple[str, str]], rounds: int = 5, finish: bool = True) -> str:
        """Start a game and lock in these guesses, going on after each (after the last round
        only when `finish`); returns the store's pointer."""
        pointer = self.start_game()
        for number, (make, model) in enumerate(guesses, start=1):
            self.lock_in(pointer, make, model)
            if number < rounds or finish:
                self.next_round(pointer)
        return pointer

    def lock_in(
        self, pointer: str, make: str | None, model: str | None, timed_out: bool = False
    ) -> dict[str, Any]:
        """Press "Lock in" (or, with `timed_out`, let the round's countdown reach zero)."""
        inputs: dict[str, Any] = {"attempt-submit.n_clicks": 1, "attempt-timed-out.data": None}
        if timed_out:
            inputs = {"attempt-timed-out.data": 1, "attempt-submit.n_clicks": None}
        return self.callback(
            inputs,
            {"attempt-make.value": make, "attempt-model.value": model, "shell-game.data": pointer},
        )

    def next_round(self, pointer: str) -> dict[str, Any]:
        return self.callback({"result-next.n_clicks": 1}, {"shell-game.data": pointer})

    def game(self, pointer: Any) -> GameData | None:
        """The game behind a pointer as the server sees it for this client's session."""
        from cargame.web import state  # the app's own module: only for in-process checks

        cookie = self.http.get_cookie("cargame_session")
        headers = {"Cookie": f"cargame_session={cookie.value}"} if cookie else {}
        with self.app.server.test_request_context(headers=headers):
            return state.load_game(pointer)

    def _find(self, inputs: set[str], given_state: set[str], output: str) -> dict[str, Any]:
        return select_callback(self.dependencies, inputs, given_state, output)


def _outputs(output: str) -> list[str]:
    return output[2:-2].split("...") if output.startswith("..") else [output]


def _split(item: str) -> tuple[str, str]:
    component, prop = item.split(".", 1)
    return component, prop


def _dependency(item: dict[str, str], values: dict[str, Any]) -> dict[str, Any]:
    key = f"{item['id']}.{item['property']}"
    return {"id": item["id"], "property": item["property"], "value": values.get(key)}


class LiveResponse:
    """A `requests` response with the parts of Flask's test response the tests use."""

    def __init__(self, response: requests.Response) -> None:
        self.raw = response
        self.status_code = response.status_code
        self.headers = response.headers
        self.data = response.content
        self.text = response.text

    def get_json(self) -> Any:
        return self.raw.json()

    def get_data(self, as_text: bool = False) -> str | bytes:
        return self.text if as_text else self.data


class HttpClient:
    """Flask-test-client-like calls over real HTTP to `base_url`, with one cookie jar."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.timeout = timeout

    def get(self, path: str, **options: Any) -> LiveResponse:
        return self.request("GET", path, **options)

    def post(self, path: str, **options: Any) -> LiveResponse:
        return self.request("POST", path, **options)

    def request(self, method: str, path: str, **options: Any) -> LiveResponse:
        options.setdefault("allow_redirects", False)
        options.setdefault("timeout", self.timeout)
        response = self.session.request(method, self.base_url + path, **options)
        return LiveResponse(response)

    def get_cookie(self, name: str) -> Cookie | None:
        return next((cookie for cookie in self.session.cookies if cookie.name == name), None)

    def set_cookie(self, name: str, value: str) -> None:
        host = urlsplit(self.base_url).hostname or ""
        self.session.cookies.set(name, value, domain=host, path="/")

    def close(self) -> None:
        self.session.close()
