"""Screenshots of the booth kiosk and the wall for docs/kiosk/, at 1920x1080 and 1080x1920.

    .venv/bin/python scripts/kiosk_screenshots.py [--out docs/kiosk]

Runs a booth-configured app on a free port against the test suite's fake model services and
generated catalog (tests/doubles.py, tests/support_web.py: synthetic car pictures, an AI that is
right on most of them), plays a few games to fill today's board, then drives Debian's Chromium
(/usr/bin/chromium with /usr/bin/chromedriver) through the attract screen, a round, the final
page, the "Still playing?" prompt and the wall.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the fakes and browser steps of the test suite

from browser import DriverSteps, chromium_options, click, guess_with_tiles, tap_tile  # noqa: E402
from dash_wire import DashClient  # noqa: E402
from PIL import Image  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from support_web import served_app  # noqa: E402

from cargame.web import booth_board, ids  # noqa: E402

SIZES = {"landscape": (1920, 1080), "portrait": (1080, 1920)}
BOARD = [  # (nickname, guesses): today's earlier players
    ("Mira", [("Audi", "A4"), ("BMW", "X5"), ("Volvo", "V60"), ("Audi", "Q5"), ("BMW", "i3")]),
    ("Jonas", [("Audi", "A4"), ("BMW", "X5"), ("Volvo", "V60"), ("Audi", "A4"), ("BMW", "X5")]),
    ("Kim", [("BMW", "X5")] * 5),
    (None, [("Volvo", "V60")] * 5),
]
GUESSES = [("Audi", "A4"), ("BMW", "X5"), ("Volvo", "V60"), ("Audi", "Q5"), ("BMW", "i3")]


def seed_board(app: Any) -> None:
    """Earlier games of the day, some with nicknames."""
    for name, guesses in BOARD:
        client = DashClient(app)
        game = client.game(client.play(guesses))
        if name and game is not None:
            with app.server.test_request_context():
                booth_board.set_nickname(game.game_id, name)


def browser(width: int, height: int) -> webdriver.Chrome:
    options = chromium_options()
    options.add_argument("--no-sandbox")
    options.add_argument("--disable-dev-shm-usage")
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(options=options)
    # Exactly this viewport, whatever the headless window's frame takes.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    return driver


def shoot(driver: webdriver.Chrome, out: Path, name: str) -> None:
    """A screenshot as a 256-colour PNG: a few hundred kB instead of megabytes in git."""
    time.sleep(1.0)  # transitions and images settle
    image = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
        out / f"{name}.png", optimize=True
    )
    print(f"  {name}.png", flush=True)


def tour(url: str, out: Path, orientation: str, idle_seconds: int) -> None:
    width, height = SIZES[orientation]
    driver = browser(width, height)
    steps = DriverSteps(driver)
    try:
        driver.get(url + "/")
        deck = steps.wait_for_element(f"#{ids.ATTRACT_DECK}")
        slides = len(deck.find_elements(By.CSS_SELECTOR, ".attract-slide"))
        for index in range(slides):
            driver.execute_script(
                "arguments[0].className = 'attract-deck show-' + arguments[1]", deck, index
            )
            shoot(driver, out, f"{orientation}-attract-{index + 1}")
        steps.find_element(f"#{ids.ATTRACT_SCREEN}").click()
        for number, (make, model) in enumerate(GUESSES, start=1):
            steps.wait_for_element(f"#{ids.ATTEMPT_MAKE}")
            if number == 1:
                tap_tile(steps, ids.ATTEMPT_MAKE, make)
                steps.wait_for_contains_text(f"#{ids.ATTEMPT_MODEL_HINT}", make)
                tap_tile(steps, ids.ATTEMPT_MODEL, model)
                shoot(driver, out, f"{orientation}-guess")
                click(steps, f"#{ids.ATTEMPT_SUBMIT}")
            else:
                guess_with_tiles(steps, make, model)
            steps.wait_for_element(f"#{ids.RESULT_NEXT}")
            if number == 1:
                shoot(driver, out, f"{orientation}-answer")
            click(steps, f"#{ids.RESULT_NEXT}")
        steps.wait_for_element(f"#{ids.FINISH_CLAIM_QR}")
        driver.execute_script("window.scrollTo(0, 0)")
        shoot(driver, out, f"{orientation}-final")
        steps.wait_for_element(f"#{ids.BOOTH_IDLE_PROMPT}:not([hidden])", idle_seconds + 5)
        shoot(driver, out, f"{orientation}-still-playing")
        driver.get(url + "/wall")
        steps.wait_for_contains_text("body", "Mira")
        shoot(driver, out, f"{orientation}-wall")
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "kiosk")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    idle_seconds = 6
    booth = {
        "idle_seconds": idle_seconds,
        "countdown_seconds": 10,
        "attract_seconds": 60,
        "wall_refresh_seconds": 1,
    }
    with (
        tempfile.TemporaryDirectory() as folder,
        served_app(Path(folder), web={"booth": True}, booth=booth) as (app, url),
    ):
        seed_board(app)
        for orientation in SIZES:
            print(f"{orientation}:", flush=True)
            tour(url, args.out, orientation, idle_seconds)
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
