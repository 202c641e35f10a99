"""Finding 7: malformed requests to the web tier get a short 4xx JSON error, never a 500, and
the app keeps serving."""

from __future__ import annotations

import json
from typing import Any

import pytest

UPDATE = "/_dash-update-component"
SCORE = {"id": "shell-scoreboard", "property": "children"}
GAME = {"id": "shell-game", "property": "data", "value": None}


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "output": "shell-scoreboard.children",
        "outputs": SCORE,
        "inputs": [GAME],
        "changedPropIds": ["shell-game.data"],
        "state": [],
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not ...}


def _deep(levels: int) -> bytes:
    return b'{"output": "shell-scoreboard.children", "x": ' + b"[" * levels + b"]" * levels + b"}"


START = {"id": "home-start", "property": "n_clicks"}
MALFORMED: list[tuple[str, dict[str, Any]]] = [
    ("empty body", {"data": b"", "headers": {"Content-Type": "application/json"}}),
    ("not JSON", {"data": b"{nope", "headers": {"Content-Type": "application/json"}}),
    ("a JSON list", {"json": [1, 2, 3]}),
    ("a JSON string", {"json": "output"}),
    ("a JSON number", {"json": 7}),
    ("no output", {"json": _body(output=...)}),
    ("output not a string", {"json": _body(output=["x"])}),
    ("empty output", {"json": _body(output="")}),
    ("huge output", {"json": _body(output="x" * 10_000)}),
    ("unknown callback", {"json": _body(output="nope.children")}),
    ("junk pattern key", {"json": _body(output='..{"bad.children...x.y..')}),
    ("inputs missing", {"json": _body(inputs=...)}),
    ("inputs not a list", {"json": _body(inputs="shell-game.data")}),
    ("too few inputs", {"json": _body(inputs=[])}),
    ("too many inputs", {"json": _body(inputs=[GAME, GAME])}),
    ("input not an object", {"json": _body(inputs=[1])}),
    ("input without property", {"json": _body(inputs=[{"id": "shell-game", "value": None}])}),
    ("input without id", {"json": _body(inputs=[{"property": "data", "value": None}])}),
    ("state not a list", {"json": _body(state={"a": 1})}),
    ("extra state", {"json": _body(state=[GAME])}),
    ("outputs missing", {"json": _body(outputs=...)}),
    ("outputs a string", {"json": _body(outputs="x")}),
    ("outputs empty", {"json": _body(outputs={})}),
    ("outputs too many", {"json": _body(outputs=[SCORE, SCORE])}),
    ("a callback that runs in the browser", {"json": _body(output="_pages_dummy.children")}),
    ("changedPropIds not a list", {"json": _body(changedPropIds=5)}),
    ("changedPropIds of numbers", {"json": _body(changedPropIds=[1, 2])}),
    ("store holds an object", {"json": _body(inputs=[{**GAME, "value": {"stage": "finished"}}])}),
    ("store holds a list", {"json": _body(inputs=[{**GAME, "value": [1, 2]}])}),
    (
        "pathname as an object",
        {
            "json": _body(
                output="shell-account.children",
                outputs={"id": "shell-account", "property": "children"},
                inputs=[{"id": "shell-navigate", "property": "pathname", "value": {"a": 1}}],
            )
        },
    ),
    (
        "dropdown value as objects",
        {
            "json": _body(
                output="..attempt-model.options...attempt-model.value...attempt-model-hint.children..",
                inputs=[{"id": "attempt-make", "property": "value", "value": [{"a": 1}]}],
                state=[GAME],
            )
        },
    ),
    (
        "nested 100,000 deep",
        {"data": _deep(100_000), "headers": {"Content-Type": "application/json"}},
    ),
    ("nested 40 deep", {"data": _deep(40), "headers": {"Content-Type": "application/json"}}),
    ("a forged pointer", {"json": _body(inputs=[{**GAME, "value": "SERVERSIDE_" + "[" * 5000}])}),
]


STARTS_OVER = {"a forged pointer", "store holds an object", "store holds a list"}


@pytest.mark.parametrize(("what", "request_options"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_callbacks_get_a_short_json_error(live, what, request_options) -> None:
    response = live.player().http.post(UPDATE, **request_options)
    if what in STARTS_OVER:  # well-formed requests with a forged game: the page starts over
        assert response.status_code == 200, response.text
        assert "No game in progress" in response.text
        return
    assert response.status_code == 400, (what, response.status_code, response.text[:200])
    assert response.headers["Content-Type"] == "application/json"
    assert set(json.loads(response.text)) == {"error"} and len(response.text) < 200


def test_values_of_the_wrong_type_for_a_real_callback(live) -> None:
    """The lock-in callback (its key found as the browser finds it), with forged values."""
    client = live.player()
    spec = next(
        spec
        for spec in client.dependencies
        if [item["id"] for item in spec["inputs"]] == ["attempt-submit", "attempt-timed-out"]
    )
    outputs = [part.split("@")[0].rsplit(".", 1) for part in spec["output"][2:-2].split("...")]
    for clicks, make in [("many", "Audi"), (1, {"$ne": None}), (1, ["Audi", {"x": 1}])]:
        body = {
            "output": spec["output"],
            "outputs": [{"id": i, "property": p} for i, p in outputs],
            "inputs": [
                {"id": "attempt-submit", "property": "n_clicks", "value": clicks},
                {"id": "attempt-timed-out", "property": "data", "value": None},
            ],
            "state": [
                {"id": "attempt-make", "property": "value", "value": make},
                {"id": "attempt-model", "property": "value", "value": "A4"},
                GAME,
            ],
            "changedPropIds": ["attempt-submit.n_clicks"],
        }
        response = client.http.post(UPDATE, json=body)
        assert response.status_code == 400, response.text[:200]
        assert "unexpected value" in response.text


def test_a_huge_body_is_refused_before_it_is_read(live) -> None:
    body = b'{"output": "' + b"a" * (8 * 1024 * 1024) + b'"}'
    response = live.player().http.post(
        UPDATE, data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    "path",
    [
        "/_dash-component-suites/no_such_package/x.js",
        "/_dash-component-suites/dash/no-such-file.js",
        "/_dash-component-suites/dash/..%2F..%2Fetc%2Fpasswd",
    ],
)
def test_unknown_component_files_are_404(live, path) -> None:
    assert live.player().http.get(path).status_code == 404


def test_the_app_keeps_serving_after_all_of_it(live) -> None:
    attacker = live.player()
    for _what, options in MALFORMED:
        assert attacker.http.post(UPDATE, **options).status_code < 500
    player = live.player()
    pointer = player.start_game()
    assert player.lock_in(pointer, "Audi", "A4")["shell-navigate"]["href"] == "/result"
