"""In Chromium: the answer page shows a spinner while the explainer draws, then the heatmap."""

from __future__ import annotations

import pytest
from browser import BROWSER_TIMEOUT as TIMEOUT
from browser import guess_with_keyboard, start
from dash.testing.wait import until

from cargame.app import create_app
from cargame.web import ids

pytestmark = pytest.mark.browser

EXPLAIN_SECONDS = 5.0  # each explanation: round 1's arrive 5 s after the predict


def test_the_answer_page_spins_until_its_heatmap_arrives(
    dash_duo, web_config, fake_explainer
) -> None:
    fake_explainer[0].delay_seconds = EXPLAIN_SECONDS
    patient = web_config.with_overrides({"explainer": {"timeout_seconds": 4 * EXPLAIN_SECONDS}})
    dash_duo.start_server(create_app(patient))
    start(dash_duo)
    explainer = fake_explainer[0]
    assert len(explainer.requests) == explainer.in_flight  # round 1 up, no heatmap answered
    guess_with_keyboard(dash_duo, "Audi", "A4")
    dash_duo.wait_for_contains_text(".heatmap-waiting", "Drawing where the AI looked", TIMEOUT)
    assert dash_duo.driver.find_elements("css selector", f"#{ids.RESULT_AI_HEATMAP}") == []
    overlay = dash_duo.wait_for_element(f"#{ids.RESULT_AI_HEATMAP} img", timeout=TIMEOUT)
    until(lambda: overlay.get_attribute("naturalWidth") not in ("", "0"), TIMEOUT)
    assert dash_duo.driver.find_elements("css selector", ".heatmap-waiting") == []
    assert dash_duo.get_logs() == []
