"""The first answer page, without and with compression: bytes over the wire and time to show it.

Headless Chromium (Debian's /usr/bin/chromium) with a new, empty profile per run opens `/`,
starts a game and locks in the first guess, against the app served by waitress (as `cargame web`
serves it) with `[web] compress` false, then true. The model services are the test doubles
(tests/doubles.py), answering at once. Measured in the browser with the Resource Timing API:
bytes transferred (`transferSize`: headers plus the body as sent) and decoded, for the whole
visit and for the lock-in alone (the answer page: callback JSON, the plotly bundle, photos), and
the time from pressing "Lock in" until the top-five chart has drawn. The machine's network is
loopback, so times show the server's work, not a slow link; bytes are what a phone would wait for.

    .venv/bin/python bench/bench_compression.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import bench_support  # noqa: F401  (puts tests/ on sys.path)
from browser import DriverSteps, chromium_options, click, tap_tile
from selenium import webdriver
from support_web import served_app

from cargame.web import ids

TOTALS = """
var entries = performance.getEntriesByType('resource').concat(
    performance.getEntriesByType('navigation'));
var after = arguments[0];
var sum = function (list, key) { return list.reduce(function (a, e) { return a + e[key]; }, 0); };
var later = entries.filter(function (e) { return e.startTime >= after; });
return [sum(entries, 'transferSize'), sum(entries, 'decodedBodySize'),
        sum(later, 'transferSize'), sum(later, 'decodedBodySize'), later.length];
"""


def visit(url: str) -> dict[str, float]:
    """One cold visit up to the first answer page; bytes and milliseconds."""
    with tempfile.TemporaryDirectory() as profile:
        options = chromium_options()
        for flag in ("--no-sandbox", "--disable-dev-shm-usage", f"--user-data-dir={profile}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(options=options)
        try:
            steps = DriverSteps(driver)
            driver.get(url + "/")
            click(steps, f"#{ids.HOME_START}")
            steps.wait_for_element(f"#{ids.ATTEMPT_MAKE} label")
            tap_tile(steps, ids.ATTEMPT_MAKE, "Audi")
            tap_tile(steps, ids.ATTEMPT_MODEL, "A4")
            pressed = driver.execute_script("return performance.now()")
            click(steps, f"#{ids.ATTEMPT_SUBMIT}")
            steps.wait_for_element(f"#{ids.RESULT_CHART} .main-svg .bars path", 30)
            shown = driver.execute_script("return performance.now()")
            time.sleep(0.5)  # late resources (photos) land in the timing buffer
            total, total_decoded, answer, answer_decoded, requests = driver.execute_script(
                TOTALS, pressed
            )
        finally:
            driver.quit()
    return {
        "visit kB sent": total / 1000,
        "visit kB decoded": total_decoded / 1000,
        "answer page kB sent": answer / 1000,
        "answer page kB decoded": answer_decoded / 1000,
        "answer page requests": requests,
        "lock-in to chart ms": shown - pressed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results: dict[bool, list[dict[str, float]]] = {}
    for compress in (False, True):
        web = {"compress": compress, "round_seconds": 0}
        with tempfile.TemporaryDirectory() as folder, served_app(Path(folder), web=web) as (_, url):
            visit(url)  # warm-up: imports, first catalog load
            results[compress] = [visit(url) for _ in range(args.runs)]
    keys = list(results[False][0])
    print(f"{args.runs} cold visits each (median); Python {sys.version.split()[0]}")
    print("| measure | uncompressed | compressed | ratio |")
    print("|---|---|---|---|")
    for key in keys:
        before = statistics.median(run[key] for run in results[False])
        after = statistics.median(run[key] for run in results[True])
        ratio = f"{after / before:.2f}" if before else "-"
        print(f"| {key} | {before:,.1f} | {after:,.1f} | {ratio} |")


if __name__ == "__main__":
    main()
