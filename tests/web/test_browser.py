"""Headless Chromium plays the game as a person would: keyboard and mouse, page by page.

Run with `pytest --headless tests/web/test_browser.py` (tests/browser.py makes Chromium
headless anyway). Set CARGAME_SCREENSHOTS=/some/dir to keep a screenshot of every page.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import BROWSER_TIMEOUT as TIMEOUT
from browser import click, guess_with_keyboard, start
from dash.testing.browser import Browser
from dash.testing.wait import until
from selenium.webdriver.common.by import By

from cargame.app import create_app
from cargame.web import ids

pytestmark = pytest.mark.browser

GUESSES = [("Audi", "A4"), ("BMW", "X5"), ("Volvo", "V60"), ("Audi", "Q5"), ("BMW", "i3")]


def screenshot(browser, name: str) -> None:
    """A full-page screenshot into $CARGAME_SCREENSHOTS, when set."""
    folder = os.environ.get("CARGAME_SCREENSHOTS")
    if not folder:
        return
    driver = browser.driver
    height = driver.execute_script("return document.documentElement.scrollHeight")
    width = driver.execute_script("return window.outerWidth")
    driver.set_window_size(width, max(height + 120, 800))
    time.sleep(0.4)
    Path(folder).mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(Path(folder) / f"{name}.png"))


def points(badge_text: str) -> int:
    match = re.search(r"\+(\d+)", badge_text)
    return int(match.group(1)) if match else 0


def scoreboard(browser) -> str:
    """The header's score as one line, e.g. `Round 2/5 You 3 vs 2 AI`."""
    return " ".join(browser.find_element(f"#{ids.SCOREBOARD}").text.split())


def round_points(browser) -> tuple[int, int]:
    """The player's and the AI's points as the result page states them."""
    badges = browser.driver.find_elements(By.CSS_SELECTOR, ".list-group .points-badge")
    assert len(badges) == 2, [badge.text for badge in badges]
    return points(badges[0].text), points(badges[1].text)


def test_a_whole_game_played_with_the_keyboard_adds_up(dash_duo, web_config) -> None:
    dash_duo.start_server(create_app(web_config))
    dash_duo.wait_for_text_to_equal(f"#{ids.SCOREBOARD}", "No game in progress")
    screenshot(dash_duo, "home")
    start(dash_duo)
    you = ai = 0
    per_round = []
    for number, (make, model) in enumerate(GUESSES, start=1):
        heading = f"Round {number} of 5: which car is this?"
        dash_duo.wait_for_text_to_equal("h1", heading, TIMEOUT)
        dash_duo.wait_for_contains_text(f"#{ids.SCOREBOARD}", f"Round {number}/5", TIMEOUT)
        photo = dash_duo.find_element(".car-photo")
        assert photo.get_attribute("alt") == f"Round {number} photo: the car to identify"
        if number == 1:
            screenshot(dash_duo, "attempt")
        guess_with_keyboard(dash_duo, make, model)
        dash_duo.wait_for_element(f"#{ids.RESULT_NEXT}", timeout=TIMEOUT)
        assert f"You said\n{make} {model}" in dash_duo.find_element(".list-group").text
        gained = round_points(dash_duo)
        per_round.append(gained)
        you, ai = you + gained[0], ai + gained[1]
        expected = f"You {you} vs {ai} AI"
        until(lambda expected=expected: expected in scoreboard(dash_duo), TIMEOUT)
        if number == 1:
            screenshot(dash_duo, "result")
        label = "See the result →" if number == 5 else "Next round →"
        assert dash_duo.find_element(f"#{ids.RESULT_NEXT}").text == label
        click(dash_duo, f"#{ids.RESULT_NEXT}")
    dash_duo.wait_for_element("#finish-you", timeout=TIMEOUT)
    assert dash_duo.find_element("#finish-you").text == str(you)
    assert dash_duo.find_element("#finish-ai").text == str(ai)
    lines = dash_duo.driver.find_elements(By.CSS_SELECTOR, ".round-guess")
    strip = [int(line.get_attribute("data-points")) for line in lines]
    assert strip == [points for pair in per_round for points in pair]
    assert len(dash_duo.driver.find_elements(By.CSS_SELECTOR, ".round-thumb")) == 5
    screenshot(dash_duo, "finish")
    assert dash_duo.get_logs() == []


def test_typing_the_url_of_a_later_stage_sends_the_player_back(dash_duo, web_config) -> None:
    dash_duo.start_server(create_app(web_config))
    dash_duo.driver.get(dash_duo.server_url + "/finish")
    dash_duo.wait_for_contains_text(".alert-warning", "no game in progress", TIMEOUT)
    assert dash_duo.driver.current_url.endswith("/?notice=missing")
    start(dash_duo)
    dash_duo.driver.get(dash_duo.server_url + "/result")
    dash_duo.wait_for_element(f"#{ids.ATTEMPT_MAKE}", timeout=TIMEOUT)
    assert dash_duo.driver.current_url.endswith("/attempt")
    click(dash_duo, f"#{ids.ATTEMPT_SUBMIT}")
    dash_duo.wait_for_contains_text(f"#{ids.ATTEMPT_MESSAGE}", "Choose a make and a model")
    assert dash_duo.driver.current_url.endswith("/attempt")


@pytest.fixture
def second_browser(pytestconfig, tmp_path) -> Iterator[Browser]:
    """Another Chromium with its own cookies and session storage: a second player."""
    options = pytestconfig.hook.pytest_setup_options()
    with Browser(
        browser="Chrome", headless=True, options=options, download_path=str(tmp_path / "second")
    ) as browser:
        yield browser


def test_two_browsers_play_separate_games(dash_duo, second_browser, web_config) -> None:
    dash_duo.start_server(create_app(web_config))
    other = second_browser
    other.server_url = dash_duo.server_url
    start(dash_duo)
    other.driver.get(dash_duo.server_url)
    start(other)
    guess_with_keyboard(dash_duo, "Audi", "A4")
    dash_duo.wait_for_element(f"#{ids.RESULT_NEXT}", timeout=TIMEOUT)
    # The other player is still guessing round 1, with a score of its own.
    other.driver.refresh()
    other.wait_for_element(f"#{ids.ATTEMPT_MAKE}", timeout=TIMEOUT)
    assert other.driver.current_url.endswith("/attempt")
    other.wait_for_contains_text(f"#{ids.SCOREBOARD}", "Round 1/5", TIMEOUT)
    # Replaying the first player's pointer in the second browser is refused.
    pointer = dash_duo.driver.execute_script(
        f"return window.sessionStorage.getItem('{ids.GAME_STORE}')"
    )
    assert pointer and "SERVERSIDE_" in pointer
    other.driver.execute_script(
        f"window.sessionStorage.setItem('{ids.GAME_STORE}', arguments[0])", pointer
    )
    other.driver.get(dash_duo.server_url + "/result")
    other.wait_for_contains_text(".alert-warning", "another browser", TIMEOUT)
    assert other.driver.current_url.endswith("/?notice=expired")
    # The first player's game carries on.
    click(dash_duo, f"#{ids.RESULT_NEXT}")
    dash_duo.wait_for_contains_text(f"#{ids.SCOREBOARD}", "Round 2/5", TIMEOUT)


def test_model_server_down_shows_try_again_and_the_game_recovers(
    dash_duo, web_config, fake_model
) -> None:
    model, server = fake_model
    dash_duo.start_server(create_app(web_config))
    server.stop()
    click(dash_duo, f"#{ids.HOME_START}")
    dash_duo.wait_for_contains_text(f"#{ids.HOME_ERROR}", "model server is not answering", TIMEOUT)
    assert dash_duo.find_element(f"#{ids.HOME_RETRY}").text == "Try again"
    screenshot(dash_duo, "home-error")
    assert dash_duo.driver.current_url.rstrip("/") == dash_duo.server_url.rstrip("/")
    server.start()
    click(dash_duo, f"#{ids.HOME_RETRY}")
    dash_duo.wait_for_element(f"#{ids.ATTEMPT_MAKE}", timeout=TIMEOUT)
    # Stopped mid-game: the prepared game goes on, only a new game has to wait.
    server.stop()
    for make, model_name in GUESSES:
        guess_with_keyboard(dash_duo, make, model_name)
        click(dash_duo, f"#{ids.RESULT_NEXT}")
    click(dash_duo, f"#{ids.FINISH_AGAIN}")
    dash_duo.wait_for_contains_text(
        f"#{ids.FINISH_ERROR}", "model server is not answering", TIMEOUT
    )
    click(dash_duo, "a[href='/showroom']")
    dash_duo.wait_for_contains_text("h1", "Showroom", TIMEOUT)
    assert model.predict_calls == 1


def test_the_showroom_and_a_missing_heatmap(dash_duo, web_config, fake_explainer) -> None:
    fake_explainer[0].fail = True
    dash_duo.start_server(create_app(web_config))
    click(dash_duo, "a[href='/showroom']")
    dash_duo.wait_for_contains_text("h1", "Showroom", TIMEOUT)
    names = [e.text for e in dash_duo.driver.find_elements(By.CSS_SELECTOR, ".card .fw-semibold")]
    assert names == ["Audi A4", "Audi Q5", "BMW X5", "BMW i3", "Volvo V60", "Volvo XC90"]
    images = dash_duo.driver.find_elements(By.CSS_SELECTOR, "img.showroom-img")
    assert all(image.get_attribute("naturalWidth") != "0" for image in images)
    screenshot(dash_duo, "showroom")
    click(dash_duo, "a[href='/']")
    start(dash_duo)
    guess_with_keyboard(dash_duo, "Volvo", "XC90")
    dash_duo.wait_for_contains_text(".heatmap-unavailable", "Explanation unavailable", TIMEOUT)
    screenshot(dash_duo, "result-no-heatmap")


def test_starting_a_game_shows_progress_while_the_ai_studies_the_photos(
    dash_duo, web_config, fake_model
) -> None:
    fake_model[0].delay_seconds = 2.0
    dash_duo.start_server(create_app(web_config))
    click(dash_duo, f"#{ids.HOME_START}")
    dash_duo.wait_for_contains_text(f"#{ids.HOME_PROGRESS}", "Picking five photos", TIMEOUT)
    assert dash_duo.find_element(f"#{ids.HOME_PROGRESS}").is_displayed()
    assert not dash_duo.find_element(f"#{ids.HOME_START}").is_enabled()
    # The photos are read before the (slow) predict: the bar moves while the AI still thinks.
    bar = f"#{ids.progress_bar(ids.HOME_PROGRESS)} .progress-bar"
    dash_duo.wait_for_element(bar, timeout=TIMEOUT)
    deadline = time.monotonic() + 1.8
    while int(dash_duo.find_element(bar).get_attribute("aria-valuenow") or 0) == 0:
        assert time.monotonic() < deadline, "the progress bar did not move during the predict"
        time.sleep(0.1)
    dash_duo.wait_for_element(f"#{ids.ATTEMPT_MAKE}", timeout=TIMEOUT)


def cut_off_once(app, suffix: str) -> list[str]:
    """The next response for a path ending in `suffix` breaks off halfway, as when the web
    instance sending it dies; returns the list the cut-off path goes into."""
    cut: list[str] = []
    inner = app.server.wsgi_app

    def middleware(environ, start_response):
        if cut or not environ["PATH_INFO"].endswith(suffix):
            return inner(environ, start_response)
        cut.append(environ["PATH_INFO"])
        answer: list[tuple[str, list[tuple[str, str]]]] = []
        body = b"".join(inner(environ, lambda *started: answer.append(started[:2])))
        status, headers = answer[0]
        headers = [(name, value) for name, value in headers if name.lower() != "content-length"]

        def half():
            yield body[: len(body) // 2]
            raise ConnectionAbortedError("the web instance died")

        # The app's own status and headers, and the length of the whole body: only half comes.
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return half()

    app.server.wsgi_app = middleware
    return cut


def test_a_bundle_cut_off_mid_game_costs_a_reload_not_the_game(dash_duo, web_config) -> None:
    """Plotly arrives only halfway for the first answer page: the page loads itself again
    (assets/bundle-recovery.js) and the game goes on from the same answer."""
    app = create_app(web_config)
    cut = cut_off_once(app, "/plotly.min.js")
    dash_duo.start_server(app)
    start(dash_duo)
    guess_with_keyboard(dash_duo, *GUESSES[0])
    dash_duo.wait_for_element(f"#{ids.RESULT_NEXT}", timeout=TIMEOUT)
    until(lambda: cut, TIMEOUT)
    # The chart draws after the reload, on the same answer page.
    dash_duo.wait_for_element(".js-plotly-plot", timeout=TIMEOUT)
    assert dash_duo.driver.current_url.endswith("/result")
    click(dash_duo, f"#{ids.RESULT_NEXT}")
    dash_duo.wait_for_text_to_equal("h1", "Round 2 of 5: which car is this?", TIMEOUT)
