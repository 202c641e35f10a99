"""Every page that names a car says "Make Model", never the `Make/Model` label, on a 60-model
catalog with long names (tests/support_big_catalog.py): the game, the player's pages, the
analytics views, the booth's attract screen and the wall."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from analytics.conftest import NO_FILTERS, add_user, sign_in
from dash_extensions.enrich import DashProxy
from dash_wire import DashClient
from doubles import FakeExplainer, FakeServing, ServerThread
from support_big_catalog import FAVOURITES, LABELS, build_catalog, fake_ai, top_five
from support_web import make_config, overlay_png

from cargame.app import create_app
from cargame.domain.catalog import display_name, split_label
from cargame.web import ids
from cargame.web.booth_board_view import WALL_BOARD, WALL_TICK, WALL_VERSION

GUESSES = [
    ("Chevrolet", "Silverado 1500"),
    ("Bentley", "Continental Supersports"),
    ("Dodge", "Ram Pickup 3500 Crew Cab"),
    ("Audi", "R8"),
    ("Rolls-Royce", "Phantom Drophead Coupe"),
]


def raw_labels(content: Any) -> list[str]:
    """The `Make/Model` labels that appear anywhere in a page or callback response."""
    text = json.dumps(content, ensure_ascii=False)
    return [label for label in LABELS if label in text]


def shown(content: Any) -> str:
    text = json.dumps(content, ensure_ascii=False)
    assert not raw_labels(content), f"raw labels shown: {raw_labels(content)}"
    return text


@pytest.fixture
def big_app(tmp_path: Path) -> Iterator[Callable[..., DashProxy]]:
    """`big_app(**web)`: an app on the 60-model catalog against its fake AI."""
    catalog = build_catalog(tmp_path / "catalog")
    ai, overlay = fake_ai(), overlay_png()
    explainer = FakeExplainer(ai, lambda photo, label: (overlay, [[0.0, 1.0]]))
    with ServerThread(FakeServing(ai).app) as serving, ServerThread(explainer.app) as explain:
        config = make_config(tmp_path, catalog, serving.url, explain.url)

        def build(**web: Any) -> DashProxy:
            return create_app(config.with_overrides({"web": web}))

        yield build


def play_and_check_each_round(client: DashClient) -> str:
    """A whole game, checking the guess and answer pages of every round; the pointer."""
    pointer = client.start_game()
    for make, model in GUESSES:
        shown(client.page("/attempt", pointer))
        offered = client.callback({f"{ids.ATTEMPT_MAKE}.value": make}, {"shell-game.data": pointer})
        # A model tile may name the model alone: its make is the chosen tile and the heading.
        assert offered[ids.ATTEMPT_MODEL_HINT]["children"] == f"Which {make}?"
        tiles = [option["value"] for option in offered[ids.ATTEMPT_MODEL]["options"]]
        assert tiles == sorted(
            split_label(label)[1] for label in LABELS if label.startswith(f"{make}/")
        )
        client.lock_in(pointer, make, model)
        truth = client.game(pointer).current_round.truth
        text = shown(client.page("/result", pointer))
        assert display_name(truth) in text and f"{make} {model}" in text
        chart = client.find(client.page("/result", pointer), ids.RESULT_CHART)
        titles = json.dumps(chart["props"]["figure"]["layout"]["annotations"])
        assert all(display_name(label).split()[0] in titles for label in top_five(truth))
        client.next_round(pointer)
    return pointer


def test_the_game_and_the_players_pages_say_make_model(big_app, dash_client) -> None:
    app = big_app()
    add_user(app, "pete", "player")
    player = dash_client(app)
    sign_in(player, "pete")
    pointer = play_and_check_each_round(player)
    final = shown(player.page("/finish", pointer))
    for make, model in GUESSES:
        assert f"{make} {model}" in final
    assert display_name(FAVOURITES[0]) in final  # the AI's answer every round
    shown(player.page("/profile"))
    past = shown(player.page("/profile/game/1"))
    assert f"{GUESSES[0][0]} {GUESSES[0][1]}" in past
    shown(player.page("/leaderboard"))
    showroom = player.page("/showroom")
    assert "Chevrolet Silverado 2500HD Regular Cab" in shown(
        player.callback({f"{ids.SHOWROOM_MAKES}.value": "Chevrolet"})
    )
    shown(showroom)


def test_the_analytics_views_say_make_model(big_app, dash_client) -> None:
    app = big_app()
    add_user(app, "ana", "analyst")
    player, analyst = dash_client(app), dash_client(app)
    sign_in(analyst, "ana")
    play_and_check_each_round(player)
    cars = analyst.callback({**NO_FILTERS, "analytics-cars-preset.value": "all"})
    rows = cars["analytics-cars-table"]["data"]
    assert {row["car"] for row in rows} == {display_name(row["id"]) for row in rows}
    shown([{key: value for key, value in row.items() if key != "id"} for row in rows])  # row ids
    example = analyst.callback({"analytics-cars-table.active_cell": {"row_id": rows[0]["id"]}})
    assert display_name(rows[0]["id"]) in shown(example)
    confusions = analyst.callback({**NO_FILTERS, "analytics-confusions-who.value": "ai"})
    assert display_name(FAVOURITES[0]) in shown(confusions)
    drill = {**NO_FILTERS, "analytics-confusions-who.value": "ai"}
    drilled = analyst.callback({**drill, "analytics-confusions-drill.value": "Bentley"})
    shown(drilled)
    for path in ("/analytics", "/analytics/cars", "/analytics/confusions", "/analytics/ai"):
        shown(analyst.page(path))
    add_user(app, "ada", "admin")
    admin = dash_client(app)
    sign_in(admin, "ada")
    assert "sixty" in shown(admin.page("/admin"))  # the catalog in use


def test_the_booth_attract_screen_and_wall_say_make_model(big_app, dash_client) -> None:
    app = big_app(booth=True)
    player = dash_client(app)
    play_and_check_each_round(player)
    attract = shown(dash_client(app).page("/"))
    wall = dash_client(app)
    shown(wall.page("/wall"))
    board = wall.callback({f"{WALL_TICK}.n_intervals": 1}, {f"{WALL_VERSION}.data": None})
    text = shown(board[WALL_BOARD]["children"])
    assert display_name(FAVOURITES[0]) in text  # the AI's answer on the latest rounds
    assert "Chevrolet Silverado 1500" in text or "Rolls-Royce Phantom Drophead Coupe" in text
    assert attract
