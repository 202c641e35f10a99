"""Headless Chromium watches /wall while a game is recorded: it appears without a reload."""

from __future__ import annotations

import pytest
from browser import BROWSER_TIMEOUT
from dash.testing.wait import until

from cargame.app import create_app
from cargame.config import Config
from cargame.web import booth_board_view as view

from .test_wall import AUDI_A4, add_games, name_game, photo_round

pytestmark = pytest.mark.browser


def test_the_wall_shows_a_game_recorded_after_it_opened(dash_duo, web_config: Config) -> None:
    app = create_app(web_config.with_overrides({"booth": {"wall_refresh_seconds": 1}}))
    dash_duo.start_server(app)
    dash_duo.driver.get(f"{dash_duo.server_url}/wall")
    dash_duo.wait_for_text_to_equal(f"#{view.WALL_BOARD}", view.EMPTY_DAY, BROWSER_TIMEOUT)
    # The app's header, navigation and footer are hidden; the wall has no links of its own.
    for element in dash_duo.driver.find_elements("css selector", "nav, header, footer"):
        assert not element.is_displayed()
    assert dash_duo.driver.find_elements("css selector", ".wall-page a, .wall-page button") == []
    dash_duo.driver.execute_script("window.wallNeverReloaded = true")

    add_games(app, ("won", [photo_round(AUDI_A4, "Audi/A4", "Audi/A4", "Audi/Q5", (2, 1))]))
    name_game(app, "won", "Alex")

    dash_duo.wait_for_contains_text(f"#{view.WALL_BOARD}", "Alex", BROWSER_TIMEOUT)
    tally = dash_duo.find_element(".booth-board-tally").text.split()
    assert tally == ["HUMANS", "1", ":", "AI", "0"]  # uppercase by the style sheet
    photo = dash_duo.find_element(".booth-board-round .booth-board-photo")
    assert photo.get_attribute("alt") == "Photo of the Audi A4"
    until(lambda: dash_duo.driver.execute_script("return arguments[0].naturalWidth", photo), 5)
    assert dash_duo.driver.execute_script("return window.wallNeverReloaded") is True
    assert dash_duo.get_logs() == []
