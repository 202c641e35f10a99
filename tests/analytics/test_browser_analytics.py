"""Headless Chromium: a game played in the browser shows up in the analyst's figures, filters
narrow them, the export's rows match the database; a player cannot get in."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import pytest
import requests
from browser import BROWSER_TIMEOUT, click, fill_form, play_to_the_end, type_into_dropdown
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from cargame.accounts.db import db_session
from cargame.accounts.models import GameRound
from cargame.app import create_app
from cargame.config import Config
from cargame.web.components import analytics as filters_ui
from cargame.web.components.account_menu import ACCOUNT_MENU

from .conftest import PASSWORD, add_user

pytestmark = pytest.mark.browser
SUMMARY = "#analytics-overview-summary"


def sign_in(browser: Any, username: str) -> None:
    browser.driver.get(browser.server_url + "/login")
    fill_form(browser, username=username, password=PASSWORD)
    browser.wait_for_contains_text(f"#{ACCOUNT_MENU}", username, BROWSER_TIMEOUT)


def choose(browser: Any, selector: str, option: str, attempts: int = 3) -> None:
    """Pick an option of a multi-select dropdown by typing it, as a keyboard user would; try
    again if the list had not opened yet when the keys arrived."""
    for _ in range(attempts):
        click(browser, selector)
        type_into_dropdown(browser, option)
        browser.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
        if option in browser.find_element(selector).text:
            return
        time.sleep(0.5)
    raise AssertionError(f"could not choose {option!r} in {selector}")


def test_an_analyst_sees_filters_and_exports_the_games_played(
    dash_duo: Any, web_config: Config
) -> None:
    app = create_app(web_config)
    add_user(app, "ana", "analyst")
    add_user(app, "pete", "player")
    dash_duo.start_server(app)
    play_to_the_end(dash_duo)  # a guest's game

    sign_in(dash_duo, "ana")
    click(dash_duo, f"#{ACCOUNT_MENU} a[href='/analytics']")
    dash_duo.wait_for_contains_text(SUMMARY, "Games started", BROWSER_TIMEOUT)
    cards = dash_duo.find_element(SUMMARY).text
    assert "Games started\n1" in cards and "Finished / abandoned\n1 / 0" in cards
    assert "Guest games\n1" in cards

    choose(dash_duo, f"#{filters_ui.MODE}", "booth")
    dash_duo.wait_for_contains_text(SUMMARY, "No games in this range", BROWSER_TIMEOUT)

    click(dash_duo, "a[href='/analytics/export']")
    dash_duo.wait_for_element("#analytics-export-csv", timeout=BROWSER_TIMEOUT)
    # The mode filter came along to the export page (kept for the session).
    dash_duo.wait_for_contains_text(f"#{filters_ui.MODE}", "booth", BROWSER_TIMEOUT)
    link = dash_duo.find_element("#analytics-export-csv").get_attribute("href")
    assert link.endswith("/analytics/export.csv?mode=booth")
    cookies = {c["name"]: c["value"] for c in dash_duo.driver.get_cookies()}
    everything = requests.get(link.split("?")[0], cookies=cookies, timeout=30)
    rows = list(csv.DictReader(io.StringIO(everything.text)))
    with app.server.app_context(), db_session() as session:
        stored = {(r.game_id, r.round_number, r.truth, r.guess) for r in session.query(GameRound)}
    assert {(r["game_id"], int(r["round_number"]), r["truth"], r["guess"]) for r in rows} == stored
    assert len(rows) == 5 and {row["player"] for row in rows} == {"guest"}
    assert requests.get(link, cookies=cookies, timeout=30).text.count("\n") == 1  # header only

    dash_duo.driver.get(dash_duo.server_url + "/logout")
    click(dash_duo, "main form button[type='submit']")
    # Signed out and back on the start page before the next person signs in.
    dash_duo.wait_for_contains_text(f"#{ACCOUNT_MENU}", "Sign in", BROWSER_TIMEOUT)
    sign_in(dash_duo, "pete")
    dash_duo.driver.get(dash_duo.server_url + "/analytics")
    dash_duo.wait_for_contains_text("#_pages_content", "needs the analyst role", BROWSER_TIMEOUT)
    assert not dash_duo.driver.find_elements(
        By.CSS_SELECTOR, f"#{ACCOUNT_MENU} a[href='/analytics']"
    )
