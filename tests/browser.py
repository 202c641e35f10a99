"""Chromium playing the game: its options and the mouse and keyboard steps of a round.

A pytest plugin (tests/conftest.py) for `pytest_setup_options`, dash_duo's Chromium options;
the steps take a `dash.testing` browser (dash_duo, or `dash.testing.browser.Browser`) and are
shared by tests/web, tests/accounts, tests/test_runner.py and bench/bench_pages.py.
"""

from __future__ import annotations

import time
from typing import Any

from selenium.common.exceptions import (
    ElementClickInterceptedException,
    StaleElementReferenceException,
)
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from cargame.web import ids

CHROMIUM = "/usr/bin/chromium"  # Debian's build, with /usr/bin/chromedriver beside it
BROWSER_TIMEOUT = 15  # seconds; a game start makes one predict (heatmaps follow in the background)


def chromium_options() -> Options:
    """Headless Chromium with a desktop-sized window, Debian's binary."""
    options = Options()
    options.binary_location = CHROMIUM
    options.add_argument("--headless=new")
    options.add_argument("--window-size=1366,1000")
    return options


def pytest_setup_options() -> Options:
    """The Chromium options dash_duo starts the browser with."""
    return chromium_options()


def type_into_dropdown(browser: Any, text: str) -> None:
    """Type into the focused dropdown's search and pick the match with Enter."""
    active = browser.driver.switch_to.active_element
    active.send_keys(text)
    time.sleep(0.2)
    active.send_keys(Keys.ENTER)


def press(browser: Any, key: str) -> None:
    browser.driver.switch_to.active_element.send_keys(key)
    time.sleep(0.15)


def click(browser: Any, selector: str, seconds: float = BROWSER_TIMEOUT) -> None:
    """Scroll the element to the middle of the window, then click it like a mouse would.

    A callback may replace the element meanwhile (the header's account menu is rendered again
    on every page change), or a late layout shift may move it; then it is found and clicked
    again, for up to `seconds` (a mouse would simply hit the new element).
    """
    deadline = time.monotonic() + seconds
    while True:
        element = browser.wait_for_element(selector, timeout=BROWSER_TIMEOUT)
        try:
            browser.driver.execute_script(
                "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element
            )
            time.sleep(0.2)
            element.click()
            return
        except (StaleElementReferenceException, ElementClickInterceptedException):
            # Replaced meanwhile, or moved by a late layout shift (a chart that finished
            # rendering): find it again, scroll again, click again.
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)  # let the re-render settle before looking again


def start(browser: Any) -> None:
    """Press "Let's play" and wait for the first round."""
    click(browser, f"#{ids.HOME_START}")
    browser.wait_for_element(f"#{ids.ATTEMPT_MAKE}", timeout=BROWSER_TIMEOUT)


def guess_with_keyboard(browser: Any, make: str, model: str) -> None:
    """Keyboard only: Tab into the make tiles, arrows (and Space) to the make; the same for the
    model; Tab to the button, Enter."""
    browser.wait_for_element(f"#{ids.ATTEMPT_MAKE}", timeout=BROWSER_TIMEOUT)
    # Start the Tab order at the photo, the element before the guess form.
    browser.driver.execute_script(
        "document.activeElement.blur(); window.scrollTo(0, 0);"
        "var photo = document.querySelector('.guess-photo');"
        "var range = document.createRange(); range.selectNode(photo);"
        "var selection = window.getSelection(); selection.removeAllRanges();"
        "selection.addRange(range);"
    )
    press(browser, Keys.TAB)
    choose_with_arrows(browser, ids.ATTEMPT_MAKE, make)
    browser.wait_for_contains_text(f"#{ids.ATTEMPT_MODEL_HINT}", make, BROWSER_TIMEOUT)
    browser.wait_for_element(f"#{ids.ATTEMPT_MODEL} input[type=radio]", BROWSER_TIMEOUT)
    press(browser, Keys.TAB)
    choose_with_arrows(browser, ids.ATTEMPT_MODEL, model)
    press(browser, Keys.TAB)
    assert browser.driver.switch_to.active_element.get_attribute("id") == ids.ATTEMPT_SUBMIT
    press(browser, Keys.ENTER)


def choose_with_arrows(browser: Any, group: str, text: str) -> None:
    """With focus in a radio group: Space checks the focused tile, arrows move to the next."""
    for _ in range(40):
        active = browser.driver.switch_to.active_element
        inside, checked, label = browser.driver.execute_script(
            "var input = arguments[0], group = document.getElementById(arguments[1]);"
            "var label = input.labels && input.labels.length ? input.labels[0].innerText : '';"
            "return [group.contains(input), input.checked, label];",
            active,
            group,
        )
        assert inside, (
            f"the keyboard focus left #{group}: " + str(active.get_attribute("outerHTML"))[:200]
        )
        if not checked:
            press(browser, Keys.SPACE)
        elif label.strip().endswith(text):
            return
        else:
            press(browser, Keys.ARROW_RIGHT)
    raise AssertionError(f"no {text!r} tile reached with the arrow keys in #{group}")


GUESSES = [("Audi", "A4"), ("BMW", "X5"), ("Volvo", "V60"), ("Audi", "Q5"), ("BMW", "i3")]


def fill_form(browser: Any, **fields: str) -> None:
    """Type into a sign-in or registration form's fields (by id) and submit it."""
    for name, value in fields.items():
        field = browser.wait_for_element(f"#{name}", timeout=BROWSER_TIMEOUT)
        field.clear()
        field.send_keys(value)
    browser.find_element("button[type=submit]").click()


def play_to_the_end(browser: Any) -> tuple[str, str]:
    """Start a game, guess every round, and return the final score (you, AI) as shown."""
    start(browser)
    for make, model in GUESSES:
        guess_with_keyboard(browser, make, model)
        click(browser, f"#{ids.RESULT_NEXT}")
    browser.wait_for_element("#finish-you", timeout=BROWSER_TIMEOUT)
    return browser.find_element("#finish-you").text, browser.find_element("#finish-ai").text


def tap_tile(browser: Any, group: str, text: str) -> None:
    """Tap the tile labelled `text` in a booth tile group (`group` is the radio group's id)."""
    selector = f"#{group} label"

    def find() -> Any:
        for label in browser.driver.find_elements("css selector", selector):
            if label.text.strip().endswith(text):
                return label
        return None

    deadline = time.monotonic() + BROWSER_TIMEOUT
    while True:
        while (label := find()) is None:
            assert time.monotonic() < deadline, f"no {text!r} tile in #{group}"
            time.sleep(0.1)
        try:
            browser.driver.execute_script(
                "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", label
            )
            label.click()
            return
        except StaleElementReferenceException:
            # The tiles were drawn again meanwhile (new options): tap the new one.
            assert time.monotonic() < deadline, f"the {text!r} tile kept changing"


def guess_with_tiles(browser: Any, make: str, model: str) -> None:
    """The booth's touch-first guess: tap the make tile, the model tile, then lock in."""
    browser.wait_for_element(f"#{ids.ATTEMPT_MAKE}", timeout=BROWSER_TIMEOUT)
    tap_tile(browser, ids.ATTEMPT_MAKE, make)
    browser.wait_for_contains_text(f"#{ids.ATTEMPT_MODEL_HINT}", make, BROWSER_TIMEOUT)
    tap_tile(browser, ids.ATTEMPT_MODEL, model)
    click(browser, f"#{ids.ATTEMPT_SUBMIT}")


def play_at_the_booth(browser: Any) -> tuple[str, str]:
    """Touch the attract screen, guess every round with tiles; the final score (you, AI)."""
    click(browser, f"#{ids.ATTRACT_SCREEN}")
    for make, model in GUESSES:
        guess_with_tiles(browser, make, model)
        click(browser, f"#{ids.RESULT_NEXT}")
    browser.wait_for_element("#finish-you", timeout=BROWSER_TIMEOUT)
    return browser.find_element("#finish-you").text, browser.find_element("#finish-ai").text


class DriverSteps:
    """The few `dash.testing` browser calls the steps here use, on a plain selenium driver (for
    the screenshot scripts and benchmarks, which start Chromium themselves)."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    def wait_for_element(self, selector: str, timeout: float = BROWSER_TIMEOUT) -> Any:
        return WebDriverWait(self.driver, timeout).until(
            lambda driver: driver.find_element(By.CSS_SELECTOR, selector)
        )

    def wait_for_contains_text(
        self, selector: str, text: str, timeout: float = BROWSER_TIMEOUT
    ) -> None:
        WebDriverWait(self.driver, timeout).until(
            lambda driver: text in driver.find_element(By.CSS_SELECTOR, selector).text
        )

    def find_element(self, selector: str) -> Any:
        return self.driver.find_element(By.CSS_SELECTOR, selector)
