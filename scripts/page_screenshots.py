"""Screenshots of every player-facing page at 1920x1080, 1366x768 and 390x844, for docs/pages/.

    .venv/bin/python scripts/page_screenshots.py [--out docs/pages]

Runs the app on a free port against the test suite's fake model services and generated catalog
(synthetic car pictures; see scripts/kiosk_screenshots.py), registers a player, plays a game and
drives Debian's Chromium through the pages as that player: start, guess, answer, final score,
profile, leaderboard, showroom, and the sign-in and register forms. Each screenshot is the first
screen a visitor sees at that size (what is above the fold), as a 256-colour PNG.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "scripts"))

from browser import DriverSteps, click, fill_form, tap_tile  # noqa: E402
from kiosk_screenshots import browser, shoot  # noqa: E402
from support_web import served_app  # noqa: E402

from cargame.web import ids  # noqa: E402

SIZES = {"1920x1080": (1920, 1080), "1366x768": (1366, 768), "390x844": (390, 844)}
GUESSES = [("Audi", "A4"), ("BMW", "X5"), ("Volvo", "V60"), ("Audi", "Q5"), ("BMW", "i3")]
PASSWORD = "correct horse battery staple"


def tour(url: str, out: Path, size: str, user: str) -> None:
    width, height = SIZES[size]
    driver = browser(width, height)
    steps = DriverSteps(driver)
    try:
        driver.get(url + "/register")
        shoot(driver, out, f"register-{size}")
        fill_form(steps, username=user, password=PASSWORD, confirm=PASSWORD)
        steps.wait_for_element(f"#{ids.HOME_START}")
        shoot(driver, out, f"home-{size}")
        click(steps, f"#{ids.HOME_START}")
        for number, (make, model) in enumerate(GUESSES, start=1):
            steps.wait_for_element(f"#{ids.ATTEMPT_MAKE} label")
            tap_tile(steps, ids.ATTEMPT_MAKE, make)
            steps.wait_for_contains_text(f"#{ids.ATTEMPT_MODEL_HINT}", make)
            tap_tile(steps, ids.ATTEMPT_MODEL, model)
            if number == 1:
                driver.execute_script("window.scrollTo(0, 0)")
                shoot(driver, out, f"guess-{size}")
            click(steps, f"#{ids.ATTEMPT_SUBMIT}")
            steps.wait_for_element(f"#{ids.RESULT_NEXT}")
            if number == 1:
                shoot(driver, out, f"answer-{size}")
            click(steps, f"#{ids.RESULT_NEXT}")
        steps.wait_for_element("#finish-you")
        shoot(driver, out, f"final-{size}")
        for page in ("profile", "leaderboard", "showroom"):
            driver.get(f"{url}/{page}")
            steps.wait_for_element("h1")
            shoot(driver, out, f"{page}-{size}")
        driver.delete_all_cookies()
        driver.get(url + "/login")
        shoot(driver, out, f"sign-in-{size}")
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "pages")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as folder,
        served_app(Path(folder), web={"round_seconds": 600}) as (_app, url),
    ):
        for number, size in enumerate(SIZES):
            print(f"{size}:", flush=True)
            tour(url, args.out, size, f"player{number + 1}")
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
