"""Headless Chromium at a booth-configured app, as strangers at a trade fair meet it: the attract
screen, a whole game with tiles, a nickname that the wall shows, the idle reset, and the QR link
that takes the score home."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from browser import (
    BROWSER_TIMEOUT,
    click,
    fill_form,
    guess_with_tiles,
    play_at_the_booth,
    tap_tile,
)
from dash.testing.wait import until
from sqlalchemy import select

from cargame.accounts.db import EXTENSION
from cargame.accounts.models import Game, User
from cargame.app import create_app
from cargame.config import Config
from cargame.web import ids

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"


def booth_app(make_web_config: Callable[..., Config], **booth: Any) -> Any:
    settings = {"wall_refresh_seconds": 1, "attract_seconds": 2, **booth}
    return create_app(make_web_config(booth=True).with_overrides({"booth": settings}))


def games(app: Any) -> list[Game]:
    with app.server.extensions[EXTENSION]() as session:
        return list(session.scalars(select(Game).order_by(Game.started_at)))


def test_attract_tap_play_nickname_and_the_wall_shows_it(
    dash_duo: Any, make_web_config: Callable[..., Config]
) -> None:
    app = booth_app(make_web_config)
    dash_duo.start_server(app)
    driver = dash_duo.driver
    # The wall runs in a second window beside the kiosk, opened before anyone plays.
    kiosk = driver.current_window_handle
    driver.switch_to.new_window("window")
    driver.get(dash_duo.server_url + "/wall")
    dash_duo.wait_for_contains_text("body", "No games yet today", BROWSER_TIMEOUT)
    wall = driver.current_window_handle
    driver.switch_to.window(kiosk)

    dash_duo.wait_for_element(f"#{ids.ATTRACT_SCREEN}", timeout=BROWSER_TIMEOUT)
    assert "Touch anywhere to play" in dash_duo.find_element(f"#{ids.ATTRACT_SCREEN}").text
    # No way out of the game on the kiosk: no showroom, leaderboard or sign-in links.
    hrefs = [link.get_attribute("href") or "" for link in driver.find_elements("css selector", "a")]
    assert not [href for href in hrefs if href.rstrip("/") != dash_duo.server_url.rstrip("/")]
    # The slides cycle by themselves.
    until(
        lambda: "show-1" in dash_duo.find_element(f"#{ids.ATTRACT_DECK}").get_attribute("class"), 6
    )

    you, ai = play_at_the_booth(dash_duo)
    # Every control on the final page is a comfortable touch target.
    controls = [
        control
        for control in driver.find_elements(
            "css selector", "main .btn, main input:not([type=radio]), main .form-check label"
        )
        if control.is_displayed()
    ]
    assert controls and all(control.size["height"] >= 48 for control in controls), [
        (control.text, control.size) for control in controls
    ]
    field = dash_duo.wait_for_element(f"#{ids.FINISH_NICKNAME}", timeout=BROWSER_TIMEOUT)
    field.send_keys("Speedy")
    click(dash_duo, f"#{ids.FINISH_NICKNAME_SAVE}")
    dash_duo.wait_for_contains_text(".booth-nickname, .booth-extras", "Speedy", BROWSER_TIMEOUT)

    driver.switch_to.window(wall)  # no reload: the wall updates by itself
    dash_duo.wait_for_contains_text("body", "Speedy", BROWSER_TIMEOUT)
    assert f"{you}" in driver.find_element("css selector", "body").text
    assert driver.execute_script("return performance.getEntriesByType('navigation').length") == 1


def test_an_idle_game_resets_to_the_attract_screen_and_keeps_nothing(
    dash_duo: Any, make_web_config: Callable[..., Config]
) -> None:
    app = booth_app(make_web_config, idle_seconds=3, countdown_seconds=3)
    dash_duo.start_server(app)
    click(dash_duo, f"#{ids.ATTRACT_SCREEN}")
    guess_with_tiles(dash_duo, "Audi", "A4")
    dash_duo.wait_for_element(f"#{ids.RESULT_NEXT}", timeout=BROWSER_TIMEOUT)
    # A touch during the countdown carries on with the same game.
    dash_duo.wait_for_element(f"#{ids.BOOTH_IDLE_PROMPT}:not([hidden])", timeout=8)
    assert "Still playing?" in dash_duo.find_element(f"#{ids.BOOTH_IDLE_PROMPT}").text
    click(dash_duo, f"#{ids.BOOTH_IDLE_PROMPT} button")
    dash_duo.wait_for_element(f"#{ids.BOOTH_IDLE_PROMPT}[hidden]", timeout=2)
    cookie = dash_duo.driver.get_cookie("cargame_session")["value"]
    click(dash_duo, f"#{ids.RESULT_NEXT}")
    dash_duo.wait_for_element(f"#{ids.ATTEMPT_MAKE}", timeout=BROWSER_TIMEOUT)
    # Half a guess typed in, then the player walks away: prompt, countdown, reset.
    tap_tile(dash_duo, ids.ATTEMPT_MAKE, "BMW")
    dash_duo.wait_for_element(f"#{ids.BOOTH_IDLE_PROMPT}:not([hidden])", timeout=8)
    dash_duo.wait_for_element(f"#{ids.ATTRACT_SCREEN}", timeout=10)
    driver = dash_duo.driver
    assert driver.current_url.rstrip("/") == dash_duo.server_url.rstrip("/")
    assert driver.execute_script("return window.sessionStorage.length") == 0
    new_cookie = driver.get_cookie("cargame_session")
    assert new_cookie is None or new_cookie["value"] != cookie
    [game] = games(app)
    assert game.status == "abandoned" and game.rounds_played == 1
    # The next stranger finds nothing of it: no game to continue on any game page.
    for path in ("/attempt", "/result", "/finish"):
        driver.get(dash_duo.server_url + path)
        dash_duo.wait_for_element(f"#{ids.ATTRACT_SCREEN}", timeout=BROWSER_TIMEOUT)
        dash_duo.wait_for_text_to_equal(f"#{ids.SCOREBOARD}", "No game in progress")


def test_the_qr_link_claims_the_game_once_then_refuses(
    dash_duo: Any, make_web_config: Callable[..., Config]
) -> None:
    app = booth_app(make_web_config)
    dash_duo.start_server(app)
    play_at_the_booth(dash_duo)
    qr = dash_duo.wait_for_element(f"#{ids.FINISH_CLAIM_QR}", timeout=BROWSER_TIMEOUT)
    link = qr.get_attribute("data-claim-url")
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    driver = dash_duo.driver
    driver.delete_all_cookies()  # the player's phone: another browser
    driver.get(link)
    dash_duo.wait_for_contains_text("main", "Take your score home", BROWSER_TIMEOUT)
    click(dash_duo, "a[href^='/register']")
    fill_form(dash_duo, username="fairvisitor", password=PASSWORD, confirm=PASSWORD)
    until(lambda: driver.current_url.endswith("/profile"), BROWSER_TIMEOUT)
    [game] = [game for game in games(app) if game.status == "finished"]
    with app.server.extensions[EXTENSION]() as session:
        user = session.scalars(select(User).where(User.username == "fairvisitor")).one()
    assert game.user_id == user.id
    driver.get(link)
    dash_duo.wait_for_contains_text("main", "already been kept", BROWSER_TIMEOUT)


def test_an_expired_qr_link_refuses_with_a_clear_message(
    dash_duo: Any, make_web_config: Callable[..., Config]
) -> None:
    app = booth_app(make_web_config, claim_link_seconds=2)
    dash_duo.start_server(app)
    play_at_the_booth(dash_duo)
    link = dash_duo.wait_for_element(f"#{ids.FINISH_CLAIM_QR}").get_attribute("data-claim-url")
    time.sleep(3)
    dash_duo.driver.delete_all_cookies()
    dash_duo.driver.get(link)
    dash_duo.wait_for_contains_text("main", "This link has expired", BROWSER_TIMEOUT)
    assert "Register and keep it" not in dash_duo.find_element("main").text
