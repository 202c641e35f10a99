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
import gzip
import json
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
import redis
from browser import BROWSER_TIMEOUT, chromium_options, click, guess_with_tiles, start
from dash.testing.browser import Browser
from deploy_support import DEPLOY, load_deploy_module, require_program
from sqlalchemy import create_engine, text
from support import free_port, require_service
from support_models import TinyExport, build_shapes_catalog
from support_web import REDIS_PATTERNS

from cargame.web import ids

pytestmark = [pytest.mark.cluster, pytest.mark.services, pytest.mark.slow]

DATABASE = "cargame_cluster_test"
REDIS_URL = "redis://127.0.0.1:6379/13"
START_SECONDS = 240  # three TensorFlow processes and four app imports on two shared cores
GUESS = ("Acme", "Alpha")


@dataclass
class Running:
    """The cluster while it runs: its settings, honcho's process and its log."""

    settings: Any
    honcho: subprocess.Popen[bytes]
    log: Path

    def https(self, path: str, headers: dict[str, str] | None = None) -> Any:
        """A request through nginx, trusting only the cluster's own certificate."""
        context = ssl.create_default_context(cafile=str(self.settings.certificate))
        request = urllib.request.Request(self.settings.url + path, headers=headers or {})
        return urllib.request.urlopen(request, timeout=20, context=context)

    def web_pid(self, instance: int) -> int:
        return int(self.settings.pid_file(instance).read_text().strip())

    def kill_web(self, instance: int) -> int:
        """SIGKILL a web instance, master and workers, as a crashing container; its old pid."""
        master = psutil.Process(self.web_pid(instance))
        processes = [master, *master.children(recursive=True)]
        for process in processes:
            process.kill()
        psutil.wait_procs(processes, timeout=10)
        return master.pid

    def wait_web(self, instance: int, not_pid: int | None = None) -> None:
        """Until web instance 1 or 2 answers /healthz with 200 (from a new master)."""
        port = self.settings.web_ports[instance - 1]
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            assert self.honcho.poll() is None, self.tail()
            with contextlib.suppress(OSError, ValueError):
                fresh = not_pid is None or self.web_pid(instance) != not_pid
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                    if fresh:
                        return
            time.sleep(0.5)
        raise AssertionError(f"web-{instance} is not healthy:\n{self.tail()}")

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def wait_for_explainer(port: int, model: str, running: Running) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        assert running.honcho.poll() is None, running.tail()
        url = f"http://127.0.0.1:{port}/v1/models/{model}"
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=5):
            return
        time.sleep(0.5)
    raise AssertionError(f"explainer on {port} did not load {model}:\n{running.tail()}")


def stop(honcho: subprocess.Popen[bytes]) -> None:
    """Stop honcho and make sure nothing it started outlives the tests."""
    children = psutil.Process(honcho.pid).children(recursive=True)
    honcho.send_signal(signal.SIGTERM)
    try:
        honcho.wait(timeout=60)
    except subprocess.TimeoutExpired:
        honcho.kill()
        honcho.wait()
    _, alive = psutil.wait_procs(children, timeout=30)
    for process in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()


def forget(settings: Any) -> None:
    """Drop the cluster's test database and its Redis keys."""
    engine = create_engine(
        f"{settings.postgres}/postgres", isolation_level="AUTOCOMMIT", pool_pre_ping=True
    )
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{settings.database}" WITH (FORCE)'))
    engine.dispose()
    client = redis.Redis.from_url(settings.redis_url)
    keys = [key for pattern in REDIS_PATTERNS for key in client.scan_iter(pattern)]
    if keys:
        client.delete(*keys)
    client.close()


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
    module.prepare(settings)
    log = folder / "honcho.log"
    with log.open("wb") as output:
        honcho = subprocess.Popen(module.command(settings), stdout=output, stderr=subprocess.STDOUT)
    running = Running(settings, honcho, log)
    try:
        for instance in (1, 2):
            running.wait_web(instance)
        for port in settings.explainer_ports:
            wait_for_explainer(port, tiny_export.name, running)
        yield running
    finally:
        stop(honcho)
        forget(settings)


def test_nginx_serves_tls_compresses_and_caches_the_fingerprinted_bundles(
    cluster: Running,
) -> None:
    with cluster.https("/") as page:
        html = page.read().decode()
        assert page.headers["Cache-Control"] == "no-cache"
        assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    bundle = re.search(r'src="(/_dash-component-suites/[^"]+\.v[0-9a-z_]+m\d+\.[^"]+\.js)"', html)
    assert bundle, "no fingerprinted Dash bundle on the page"
    statuses = []
    for _ in range(2):
        with cluster.https(bundle.group(1), {"Accept-Encoding": "gzip"}) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            statuses.append(response.headers["X-Cache-Status"])
            assert gzip.decompress(response.read())
    assert statuses[1] == "HIT"  # the second one never reached Python


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
    # A callback in flight on a killed instance may fail once: nginx resends a request only
    # when it never reached the dead instance (a refused connection), not a POST that did.
    proxied = [line for line in lines if " nginx." in line]
    failed = [line for line in proxied if re.search(r'"status":50[234]', line)]
    assert len(failed) <= 1, failed
