"""Opponent levels on the web: the start page's picker, a game against the chosen level's own
servable (predict and explain), the level recorded with the game and remembered for next time.

Over HTTP as the browser fires the callbacks, against the fake model services.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from browser import BROWSER_TIMEOUT, press
from dash.testing.wait import until
from selenium.webdriver.common.keys import Keys
from support_heatmaps import wait_for_heatmaps
from support_web import MODEL_VERSION

from cargame.accounts.db import EXTENSION
from cargame.accounts.models import Game
from cargame.app import create_app
from cargame.web import ids

MEASURED = {"cars-rookie": 0.571, "cars-pro": 0.784}  # the expert has no report here


def write_reports(models_dir: Path) -> None:
    """Evaluation reports as `cargame train` writes them, for the rookie and pro levels."""
    for servable, top1 in MEASURED.items():
        version = models_dir / servable / "2"
        version.mkdir(parents=True)
        report = {"name": servable, "splits": {"game": {"count": 240, "top1": top1}}}
        (version / "evaluation.json").write_text(json.dumps(report))


@pytest.fixture
def app(web_config, tmp_path):
    write_reports(tmp_path / "models")
    return create_app(web_config.with_overrides({"paths": {"models": str(tmp_path / "models")}}))


@pytest.fixture
def client(app, dash_client):
    return dash_client(app)


def start_at(client, level: object) -> dict:
    return client.callback(
        {ids.HOME_START + ".n_clicks": 1, ids.HOME_RETRY + ".n_clicks": None},
        {ids.HOME_STARTER.level + ".value": level},
    )


def picker(client, path: str = "/", pointer: object = None) -> dict:
    found = client.find(client.page(path, pointer), ids.HOME_STARTER.level)
    assert found is not None, "the start page has no level picker"
    return found["props"]


def test_the_start_page_offers_every_level_with_its_measured_accuracy(client) -> None:
    props = picker(client)
    assert [option["value"] for option in props["options"]] == ["rookie", "pro", "expert"]
    assert props["value"] == "pro"  # [levels] default
    assert props["name"] == ids.HOME_STARTER.level  # one radio group: arrow keys move along
    labels = json.dumps([option["label"] for option in props["options"]])
    assert "Rookie" in labels and "about 57% right" in labels
    assert "Pro" in labels and "about 78% right" in labels
    assert "Expert" in labels  # no report: no number made up


def test_a_game_at_rookie_asks_the_rookie_servable_and_records_the_level(
    app, client, fake_model, fake_explainer
) -> None:
    serving, explainer = fake_model[0], fake_explainer[0]
    response = start_at(client, "rookie")
    assert response["shell-navigate"]["href"] == "/attempt"
    pointer = response[ids.GAME_STORE]["data"]

    game = client.game(pointer)
    assert (game.level, game.model_name, game.model_version) == ("rookie", "cars-rookie", 3)
    predicted = [path for _, path, _ in serving.requests if path.endswith(":predict")]
    assert predicted == [f"/v1/models/cars-rookie/versions/{MODEL_VERSION}:predict"]
    wait_for_heatmaps(client, pointer)  # asked in the background after the start
    explained = {path for _, path, _ in explainer.requests}
    assert explained == {f"/v1/models/cars-rookie/versions/{MODEL_VERSION}:explain"}
    with app.server.app_context():
        stored = app.server.extensions[EXTENSION]().get(Game, game.game_id)
        assert (stored.level, stored.model_name) == ("rookie", "cars-rookie")

    # The next start page (home, or "Play again") offers the level played last.
    assert picker(client)["value"] == "rookie"


def test_another_browser_still_gets_the_default_level(app, client, dash_client) -> None:
    start_at(client, "expert")
    assert picker(client)["value"] == "expert"
    assert picker(dash_client(app))["value"] == "pro"


def test_an_unknown_level_plays_the_default_one(client, fake_model) -> None:
    pointer = start_at(client, "godlike")[ids.GAME_STORE]["data"]
    assert client.game(pointer).model_name == "cars-pro"
    pointer = start_at(client, ["rookie"])[ids.GAME_STORE]["data"]  # not a browser's value
    assert client.game(pointer).level == "pro"


def test_a_start_without_a_picked_level_plays_the_last_one(client) -> None:
    start_at(client, "rookie")
    assert client.game(client.start_game()).level == "rookie"  # the state left out


@pytest.mark.browser
def test_the_opponent_is_picked_with_the_keyboard(dash_duo, app, fake_model) -> None:
    """The level tiles are one radio group: focus the chosen tile, an arrow key moves to the
    next level, Tab reaches "Let's play", Enter starts the game against that level."""
    dash_duo.start_server(app)
    chosen = f"#{ids.HOME_STARTER.level} input:checked"
    dash_duo.wait_for_element(chosen, timeout=BROWSER_TIMEOUT)
    assert dash_duo.find_element(chosen).get_attribute("value") == "pro"
    assert "about 57% right" in dash_duo.find_element(f"#{ids.HOME_STARTER.level}").text
    dash_duo.driver.execute_script("document.querySelector(arguments[0]).focus()", chosen)
    press(dash_duo, Keys.ARROW_LEFT)  # Pro -> Rookie
    until(lambda: dash_duo.find_element(chosen).get_attribute("value") == "rookie", 5)
    press(dash_duo, Keys.TAB)
    assert dash_duo.driver.switch_to.active_element.get_attribute("id") == ids.HOME_START
    press(dash_duo, Keys.ENTER)
    dash_duo.wait_for_element(f"#{ids.ATTEMPT_MAKE}", timeout=BROWSER_TIMEOUT)
    predicted = [path for _, path, _ in fake_model[0].requests if path.endswith(":predict")]
    assert predicted == [f"/v1/models/cars-rookie/versions/{MODEL_VERSION}:predict"]
