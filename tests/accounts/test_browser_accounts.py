"""Headless Chromium with accounts: register, play, see the game in the history and leaderboard.

Run with `pytest --headless tests/accounts/test_browser_accounts.py`. Each full game takes a
browser about ten seconds, so the journeys are few and long.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from browser import BROWSER_TIMEOUT, click, fill_form, play_at_the_booth, play_to_the_end
from selenium.webdriver.common.by import By

from cargame.app import create_app
from cargame.config import Config
from cargame.web import ids
from cargame.web.components.account_menu import ACCOUNT_MENU

from .conftest import PASSWORD

pytestmark = pytest.mark.browser


def history_scores(browser: Any) -> list[tuple[str, str]]:
    """(you, AI) of each game in the profile's history table, newest first."""
    browser.wait_for_element("#profile-history", timeout=BROWSER_TIMEOUT)
    rows = browser.driver.find_elements(By.CSS_SELECTOR, "#profile-history tbody tr")
    cells = [row.find_elements(By.TAG_NAME, "td") for row in rows]
    return [(row[1].text, row[2].text) for row in cells]


def test_register_play_and_find_the_game_in_the_history_and_on_the_leaderboard(
    dash_duo: Any, web_config: Config
) -> None:
    dash_duo.start_server(create_app(web_config))
    dash_duo.wait_for_contains_text(f"#{ACCOUNT_MENU}", "Register", BROWSER_TIMEOUT)
    click(dash_duo, f"#{ACCOUNT_MENU} a[href^='/register']")
    fill_form(dash_duo, username="alice", password="short", confirm="short")
    dash_duo.wait_for_contains_text(".field-error", "at least 10 characters", BROWSER_TIMEOUT)
    fill_form(dash_duo, password=PASSWORD, confirm=PASSWORD)
    dash_duo.wait_for_contains_text(f"#{ACCOUNT_MENU}", "Signed in as alice", BROWSER_TIMEOUT)

    final = play_to_the_end(dash_duo)
    dash_duo.wait_for_contains_text(f"#{ids.FINISH_SAVED}", "Saved to your history")
    assert not dash_duo.driver.find_elements(By.ID, ids.FINISH_NEXT_PLAYER)  # not a booth
    click(dash_duo, f"#{ids.FINISH_SAVED} a[href='/profile']")
    assert history_scores(dash_duo) == [final]
    click(dash_duo, "a[href='/leaderboard']")
    dash_duo.wait_for_contains_text("#leaderboard-by-points", "alice", BROWSER_TIMEOUT)
    assert final[0] in dash_duo.find_element("#leaderboard-by-points tbody tr").text

    click(dash_duo, f"#{ACCOUNT_MENU} a[href='/logout']")
    fill_form(dash_duo)  # "Sign out" on the confirmation page
    dash_duo.wait_for_contains_text(f"#{ACCOUNT_MENU}", "Sign in", BROWSER_TIMEOUT)
    click(dash_duo, f"#{ACCOUNT_MENU} a[href^='/login']")
    fill_form(dash_duo, username="alice", password=PASSWORD)
    dash_duo.wait_for_contains_text(f"#{ACCOUNT_MENU}", "Signed in as alice", BROWSER_TIMEOUT)
    click(dash_duo, f"#{ACCOUNT_MENU} a[href='/profile']")
    assert history_scores(dash_duo) == [final]


def test_a_guest_at_the_booth_keeps_the_game_by_registering_then_clears_the_screen(
    dash_duo: Any, make_web_config: Callable[..., Config]
) -> None:
    # A kiosk that offers accounts on its own screen too ([booth] accounts).
    config = make_web_config(booth=True).with_overrides({"booth": {"accounts": True}})
    dash_duo.start_server(create_app(config))
    final = play_at_the_booth(dash_duo)
    dash_duo.wait_for_contains_text(f"#{ids.FINISH_SAVED}", "Keep this game")
    click(dash_duo, f"#{ids.FINISH_SAVED} a[href^='/register']")
    fill_form(dash_duo, username="visitor", password=PASSWORD, confirm=PASSWORD)
    assert history_scores(dash_duo) == [final]
    assert dash_duo.driver.current_url.endswith("/profile")

    # Signing in started a fresh session: the guest's game is not on this screen any more.
    dash_duo.driver.get(dash_duo.server_url + "/finish")
    dash_duo.wait_for_element(f"#{ids.ATTRACT_SCREEN}", timeout=BROWSER_TIMEOUT)
    # The player hands the screen to the next stranger.
    dash_duo.driver.get(dash_duo.server_url + "/next-player")
    click(dash_duo, "main form button[type='submit']")
    dash_duo.wait_for_contains_text(f"#{ACCOUNT_MENU}", "Sign in", BROWSER_TIMEOUT)
    dash_duo.wait_for_text_to_equal(f"#{ids.SCOREBOARD}", "No game in progress")
    dash_duo.wait_for_element(f"#{ids.ATTRACT_SCREEN}")  # the attract screen is back
    assert dash_duo.driver.current_url.rstrip("/") == dash_duo.server_url.rstrip("/")
    dash_duo.driver.get(dash_duo.server_url + "/profile")
    dash_duo.wait_for_contains_text("#_pages_content", "Sign in to see this page")
