"""The scaled topology started here from its one description (deploy/cluster.py, honcho,
deploy/Procfile.cluster): nginx with TLS, two gunicorn web instances, the local model server,
two explainer replicas, this machine's Redis and PostgreSQL. Full games in Chromium through
nginx, and a game that goes on while the web instances die under it one after the other.

The model is the tests' tiny trained model (tests/support_models.py: three coloured shapes),
served by the real `cargame serve model` and explained by real `cargame serve explainer`s; the
cluster derives its opponent levels first, as `cargame run` would.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil
import pytest
from browser import BROWSER_TIMEOUT, chromium_options, click, guess_with_tiles, start
from dash.testing.browser import Browser
from deploy_support import DEPLOY, load_deploy_module, require_program
from sqlalchemy import create_engine, text
from support import free_port, require_service
from support_cluster import Running, forget, launch, stop
from support_models import TinyExport, build_shapes_catalog

from cargame.web import ids
from cargame.web.components.account_menu import ACCOUNT_MENU

pytestmark = [pytest.mark.cluster, pytest.mark.services, pytest.mark.slow]

DATABASE = "cargame_cluster_test"
REDIS_URL = "redis://127.0.0.1:6379/13"
GUESS = ("Acme", "Alpha")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, tiny_export: TinyExport) -> Iterator[Running]:
    require_service("127.0.0.1", 5432, "PostgreSQL")
    require_service("127.0.0.1", 6379, "Redis")
    require_program("nginx", "apt-get install nginx; scripts/test installs it")
    for program in ("honcho", "gunicorn"):
        if not (Path(sys.executable).parent / program).is_file():
            require_program(f"{Path(sys.executable).parent}/{program}", "pip install -e .[deploy]")
    module = load_deploy_module("cluster_under_test", DEPLOY / "cluster.py")
    folder = tmp_path_factory.mktemp("cluster")
    shutil.copytree(
        tiny_export.version_dir, folder / "models" / tiny_export.name / str(tiny_export.version)
    )
    catalog = build_shapes_catalog(folder / "catalog", dict.fromkeys(tiny_export.labels, 10))
    settings = module.Cluster(
        folder=folder,
        https_port=free_port(),
        web_ports=(free_port(), free_port()),
        serving_port=free_port(),
        explainer_port=free_port(),
        explainer_ports=(free_port(), free_port()),
        database=DATABASE,
        redis_url=REDIS_URL,
        models=folder / "models",
        catalog=catalog.root,
        model_name=tiny_export.name,
        workers=1,  # per instance: two cores are shared by everything here
    )
    forget(settings)
    running = launch(module, settings, folder / "honcho.log")
    try:
        yield running
    finally:
        stop(running.honcho)
        forget(settings)


def test_nginx_serves_tls_compresses_and_caches_the_fingerprinted_bundles(
    cluster: Running,
) -> None:
    cookies = []
    for _ in range(2):  # two browsers, each with its own session
        with cluster.https("/") as page:
            html = page.read().decode()
            assert page.headers["Cache-Control"] == "no-cache"
            assert page.headers["Strict-Transport-Security"].startswith("max-age=")
            cookies.append(page.headers["Set-Cookie"].split(";", 1)[0])
    assert cookies[0] != cookies[1]
    bundle = re.search(r'src="(/_dash-component-suites/[^"]+\.v[0-9a-z_]+m\d+\.[^"]+\.js)"', html)
    assert bundle, "no fingerprinted Dash bundle on the page"
    statuses = []
    for cookie in cookies:
        headers = {"Accept-Encoding": "gzip", "Cookie": cookie}
        with cluster.https(bundle.group(1), headers) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            statuses.append(response.headers["X-Cache-Status"])
            assert gzip.decompress(response.read())
    assert statuses[1] == "HIT"  # the second browser's copy never reached Python


def new_browser() -> Any:
    options = chromium_options()
    options.add_argument("--ignore-certificate-errors")  # the cluster's self-signed certificate
    return Browser("Chrome", headless=True, options=[options], percy_run=False)


@contextlib.contextmanager
def player(cluster: Running) -> Iterator[Any]:
    browser = new_browser()
    try:
        browser.driver.get(cluster.settings.url + "/")
        yield browser
    finally:
        browser.driver.quit()


def play_round(browser: Any, number: int) -> None:
    browser.wait_for_contains_text("h1", f"Round {number} of 5", BROWSER_TIMEOUT)
    guess_with_tiles(browser, *GUESS)
    browser.wait_for_element(f"#{ids.RESULT_NEXT}", timeout=BROWSER_TIMEOUT)


def next_round(browser: Any) -> None:
    click(browser, f"#{ids.RESULT_NEXT}")


def finished_games(cluster: Running) -> int:
    engine = create_engine(cluster.settings.database_url)
    with engine.connect() as connection:
        count = connection.execute(
            text("SELECT count(*) FROM games WHERE status = 'finished'")
        ).scalar_one()
    engine.dispose()
    return int(count)


def final_score(browser: Any) -> tuple[int, int]:
    browser.wait_for_element("#finish-you", timeout=BROWSER_TIMEOUT)
    return int(browser.find_element("#finish-you").text), int(
        browser.find_element("#finish-ai").text
    )


def test_a_full_game_through_nginx(cluster: Running) -> None:
    before = finished_games(cluster)
    with player(cluster) as browser:
        start(browser)
        for number in range(1, 6):
            play_round(browser, number)
            next_round(browser)
        you, ai = final_score(browser)
    assert ai > 0  # the tiny model was trained on exactly these colours
    assert finished_games(cluster) == before + 1


def test_a_game_goes_on_while_each_web_instance_dies_in_turn(cluster: Running) -> None:
    """Whichever instance started the game, it is killed mid-game, and the game goes on: the
    session and the game live in Redis, nginx sends the next requests to the other instance,
    and the dead one comes back (as compose's restart policy would) and is used again."""
    before = finished_games(cluster)
    log_start = len(cluster.log.read_text(errors="replace").splitlines())
    with player(cluster) as browser:
        start(browser)
        play_round(browser, 1)
        killed = cluster.kill_web(1)
        next_round(browser)
        play_round(browser, 2)
        next_round(browser)
        play_round(browser, 3)
        cluster.wait_web(1, not_pid=killed)
        restarted = {process.pid for process in psutil.Process(cluster.web_pid(1)).children()}
        cluster.kill_web(2)
        # Rounds 4 and 5 and the final page: web-1, restarted, is the only instance left.
        next_round(browser)
        play_round(browser, 4)
        next_round(browser)
        play_round(browser, 5)
        next_round(browser)
        final_score(browser)
    assert finished_games(cluster) == before + 1
    cluster.wait_web(2)  # back again too
    assert cluster.honcho.poll() is None
    lines = cluster.log.read_text(errors="replace").splitlines()[log_start:]
    callbacks = [json.loads(line.split("| ", 1)[1]) for line in lines if "gunicorn.access" in line]
    assert any(
        entry["pid"] in restarted and entry["path"] == "/_dash-update-component"
        for entry in callbacks
    ), "the restarted web-1 was not used again"
    # A callback in flight on a killed instance is sent to the other one: no 502 reaches the
    # browser (test_callbacks_in_flight_on_a_dying_instance_are_answered_by_the_other).
    proxied = [line for line in lines if " nginx." in line]
    failed = [line for line in proxied if re.search(r'"status":50[234]', line)]
    assert not failed, failed


def post_callback(cluster: Running, payload: dict[str, Any]) -> int:
    """A Dash callback request through nginx, as the browser sends it; its HTTP status."""
    body, headers = json.dumps(payload).encode(), {"Content-Type": "application/json"}
    try:
        with cluster.https("/_dash-update-component", headers, body, timeout=60) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_callbacks_in_flight_on_a_dying_instance_are_answered_by_the_other(
    cluster: Running,
) -> None:
    """web-1 hangs with callbacks queued on it, then dies: nginx sends each of them to web-2
    (`proxy_next_upstream ... non_idempotent`), so no player sees a 502."""
    payload = {
        "output": f"{ACCOUNT_MENU}.children",
        "outputs": {"id": ACCOUNT_MENU, "property": "children"},
        "inputs": [{"id": ids.NAVIGATE, "property": "pathname", "value": "/"}],
        "changedPropIds": [f"{ids.NAVIGATE}.pathname"],
    }
    cluster.wait_web(1)
    log_start = len(cluster.log.read_text(errors="replace").splitlines())
    master = psutil.Process(cluster.web_pid(1))
    frozen = [master, *master.children(recursive=True)]
    for process in frozen:
        process.suspend()
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            sent = [pool.submit(post_callback, cluster, payload) for _ in range(4)]
            time.sleep(2)  # nginx has passed every one on; those on web-1 wait there
            assert sum(not future.done() for future in sent) >= 1, "none reached web-1"
            killed = cluster.kill_web(1)
            statuses = [future.result() for future in sent]
    finally:
        for process in frozen:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.resume()
    assert statuses == [200] * 4
    lines = cluster.log.read_text(errors="replace").splitlines()[log_start:]
    web_1, web_2 = (f"127.0.0.1:{port}" for port in cluster.settings.web_ports)
    retried = [line for line in lines if f'"upstream":"{web_1}, {web_2}"' in line]
    assert retried, "no callback went to web-1 and then to web-2"
    cluster.wait_web(1, not_pid=killed)  # back, for the tests after this one


LOCUSTFILE = Path(__file__).resolve().parents[2] / "bench" / "locust" / "locustfile.py"
LOAD_SECONDS = 150  # two players, one game each, with a twentieth of a person's think time


def test_the_load_test_players_finish_their_games_through_nginx(
    cluster: Running, tmp_path: Path
) -> None:
    """bench/locust/locustfile.py against the cluster: two simulated players (one registers
    through the form) play a whole game each over the Dash protocol, without an error."""
    locust = Path(sys.executable).parent / "locust"
    if not locust.is_file():
        require_program(str(locust), "pip install -e .[test]")
    before = finished_games(cluster)
    events = tmp_path / "events.jsonl"
    environment = {
        **os.environ,
        "CARGAME_LOAD_STEPS": "2",
        "CARGAME_LOAD_STEP_SECONDS": str(LOAD_SECONDS),
        "CARGAME_LOAD_SPAWN_RATE": "2",
        "CARGAME_LOAD_GAMES": "1",
        "CARGAME_LOAD_THINK_SCALE": "0.05",
        "CARGAME_LOAD_CA": str(cluster.settings.certificate),
        "CARGAME_LOAD_EVENTS": str(events),
    }
    command = [str(locust), "-f", str(LOCUSTFILE), "--headless", "--only-summary"]
    command += ["--host", cluster.settings.url, "--csv", str(tmp_path / "load")]
    run = subprocess.run(
        command, env=environment, capture_output=True, text=True, timeout=LOAD_SECONDS + 60
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    games = [line["outcome"] for line in lines if line["kind"] == "game"]
    assert sorted(games) == ["finished", "finished", "started", "started"], games
    actions = {line["name"] for line in lines if line["kind"] == "action" and line["ok"]}
    assert actions == {"sign-in", "open", "start", "make", "lock-in", "next", "finish"}
    with (tmp_path / "load_stats.csv").open() as stats:
        rows = {(row["Type"], row["Name"]): row for row in csv.DictReader(stats)}
    assert rows[("ACTION", "lock-in")]["Request Count"] == "10"  # five rounds, two players
    assert rows[("", "Aggregated")]["Failure Count"] == "0"
    assert finished_games(cluster) == before + 2
