"""The play experience at 1920x1080, 1366x768 and 390x844 in headless Chromium: pages open at
the top, the answer's verdict and "Next" are in the first screen, tiles are comfortable touch
targets, and a round whose timer runs out is scored."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import dash
import pytest
from browser import BROWSER_TIMEOUT, click, tap_tile
from dash.testing.wait import until

from cargame.app import create_app
from cargame.config import Config
from cargame.web import ids

pytestmark = pytest.mark.browser

SIZES = [(1920, 1080), (1366, 768), (390, 844)]


def viewport(browser: Any, width: int, height: int) -> None:
    """Exactly this viewport, whatever the headless window's frame takes."""
    browser.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def scroll_y(browser: Any) -> float:
    return browser.driver.execute_script("return window.scrollY")


def in_first_screen(browser: Any, selector: str) -> bool:
    return browser.driver.execute_script(
        "var box = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return box.top >= 0 && box.bottom <= window.innerHeight;",
        selector,
    )


@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_pages_open_at_the_top_and_the_verdict_fits_the_first_screen(
    dash_duo: Any, web_config: Config, width: int, height: int
) -> None:
    dash_duo.start_server(create_app(web_config))
    viewport(dash_duo, width, height)
    dash_duo.driver.get(dash_duo.server_url + "/")
    click(dash_duo, f"#{ids.HOME_START}")
    for number in (1, 2):
        dash_duo.wait_for_element(f"#{ids.ATTEMPT_MAKE} label", timeout=BROWSER_TIMEOUT)
        until(lambda: scroll_y(dash_duo) == 0, 3)
        heights = [
            label.size["height"]
            for label in dash_duo.driver.find_elements("css selector", f"#{ids.ATTEMPT_MAKE} label")
        ]
        assert heights and min(heights) >= 48, heights
        tap_tile(dash_duo, ids.ATTEMPT_MAKE, "Audi")
        tap_tile(dash_duo, ids.ATTEMPT_MODEL, "A4")
        assert dash_duo.find_element(f"#{ids.ATTEMPT_SUBMIT}").size["height"] >= 48
        click(dash_duo, f"#{ids.ATTEMPT_SUBMIT}")  # scrolls down to the button first
        dash_duo.wait_for_element(f"#{ids.RESULT_NEXT}", timeout=BROWSER_TIMEOUT)
        until(lambda: scroll_y(dash_duo) == 0, 3)
        assert in_first_screen(dash_duo, "h1.verdict"), f"verdict below the fold, round {number}"
        assert in_first_screen(dash_duo, f"#{ids.RESULT_NEXT}"), "Next below the fold"
        dash_duo.driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
        click(dash_duo, f"#{ids.RESULT_NEXT}")
    assert dash_duo.get_logs() == []


def test_a_round_whose_timer_runs_out_is_scored(
    dash_duo: Any, make_web_config: Callable[..., Config]
) -> None:
    config = make_web_config().with_overrides({"web": {"round_seconds": 8}})
    dash_duo.start_server(create_app(config))
    click(dash_duo, f"#{ids.HOME_START}")
    dash_duo.wait_for_contains_text(f"#{ids.ATTEMPT_TIMER_TEXT}", "s", BROWSER_TIMEOUT)
    tap_tile(dash_duo, ids.ATTEMPT_MAKE, "BMW")  # a make but no model: nothing to lock in
    dash_duo.wait_for_element(f"#{ids.RESULT_NEXT}", timeout=15)
    assert "Time's up" in dash_duo.find_element("h1.verdict").text
    assert "You 0 vs" in dash_duo.find_element(f"#{ids.SCOREBOARD}").text.replace("\n", " ")
    click(dash_duo, f"#{ids.RESULT_NEXT}")
    # The next round: a whole answer chosen in time is locked in when the time runs out.
    dash_duo.wait_for_element(f"#{ids.ATTEMPT_MAKE} label", timeout=BROWSER_TIMEOUT)
    tap_tile(dash_duo, ids.ATTEMPT_MAKE, "Audi")
    tap_tile(dash_duo, ids.ATTEMPT_MODEL, "A4")
    dash_duo.wait_for_element(f"#{ids.RESULT_NEXT}", timeout=15)
    assert "Audi A4" in dash_duo.find_element(".answer-facts").text


def test_many_makes_get_a_filter_box_that_narrows_the_tiles(
    dash_duo: Any, web_config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(web_config)
    # The test garage has three makes; the filter appears from FILTER_FROM makes on.
    attempt = next(
        page["module"] for page in dash.page_registry.values() if page["path"] == "/attempt"
    )
    monkeypatch.setattr(sys.modules[attempt], "FILTER_FROM", 2)
    dash_duo.start_server(app)
    click(dash_duo, f"#{ids.HOME_START}")
    field = dash_duo.wait_for_element(f"#{ids.ATTEMPT_MAKE_FILTER}", timeout=BROWSER_TIMEOUT)
    field.send_keys("vol")
    until(
        lambda: (
            [label.text for label in dash_duo.find_elements(f"#{ids.ATTEMPT_MAKE} label")]
            == ["Volvo"]
        ),
        5,
    )
    tap_tile(dash_duo, ids.ATTEMPT_MAKE, "Volvo")
    dash_duo.wait_for_contains_text(f"#{ids.ATTEMPT_MODEL_HINT}", "Volvo", BROWSER_TIMEOUT)
    field.clear()
    field.send_keys(" ")  # an emptied filter shows every make again, the choice kept
    until(lambda: len(dash_duo.find_elements(f"#{ids.ATTEMPT_MAKE} label")) == 3, 5)
    tap_tile(dash_duo, ids.ATTEMPT_MODEL, "V60")
    click(dash_duo, f"#{ids.ATTEMPT_SUBMIT}")
    dash_duo.wait_for_element(f"#{ids.RESULT_NEXT}", timeout=BROWSER_TIMEOUT)
    assert "Volvo V60" in dash_duo.find_element(".answer-facts").text
