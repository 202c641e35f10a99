"""Round 1 shows as soon as the predict is back; heatmaps follow in the background, shared by
every worker, and an answer page waits only for its own (issue 13, "First photo in a blink").

The fake explainer (tests/doubles.py) answers slowly here, so each test sees the state a real
cold explainer leaves a game in: the photo is up, the heatmaps are still being drawn.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from doubles import FakeExplainer
from support import free_port
from support_heatmaps import pending_rounds, wait_for_heatmaps
from support_web import overlay_png

from cargame.app import create_app
from cargame.config import Config
from cargame.web import heatmaps, ids, media
from cargame.web.runtime import runtime_of

SLOW_EXPLAIN_SECONDS = 4.0
EXPLAINER_TIMEOUT = 20.0  # well above the slow answers, also on a busy machine
POLL = f"{ids.RESULT_HEATMAP_POLL}.n_intervals"
STORE = f"{ids.GAME_STORE}.data"

# A web worker of its own: the app of the given config under waitress, until it is killed.
WORKER = """
import json, sys, waitress
from cargame.app import create_app
from cargame.config import PROJECT_ROOT, Config
config = Config(json.loads(sys.argv[1]), "test", PROJECT_ROOT)
waitress.serve(create_app(config).server, host="127.0.0.1", port=int(sys.argv[2]), threads=4)
"""


@pytest.fixture
def slow_explainer(fake_explainer) -> FakeExplainer:
    explainer = fake_explainer[0]
    explainer.delay_seconds = SLOW_EXPLAIN_SECONDS
    return explainer


def patient(config: Config) -> Config:
    return config.with_overrides({"explainer": {"timeout_seconds": EXPLAINER_TIMEOUT}})


@pytest.fixture
def app(web_config: Config) -> Any:
    return create_app(patient(web_config))


@pytest.fixture
def client(app: Any, dash_client: Callable[[Any], Any]) -> Any:
    return dash_client(app)


def explained_photos(explainer: FakeExplainer) -> list[bytes]:
    """The photo of each explain request, in the order they arrived."""
    return [
        base64.b64decode(request.body["instances"][0]["image_bytes"]["b64"])
        for request in explainer.requests
    ]


def round_photo(web_catalog: Any, game: Any, index: int) -> bytes:
    return web_catalog.path(web_catalog.get(game.rounds[index].image_id)).read_bytes()


def poll(client: Any, pointer: str, ticks: int = 1) -> dict[str, Any]:
    """One tick of the answer page's heatmap poll; {} while they are still coming."""
    return client.callback({POLL: ticks}, {STORE: pointer})


def test_round_one_shows_before_the_explainer_answers(client, slow_explainer, web_catalog) -> None:
    started = time.monotonic()
    pointer = client.start_game()
    assert time.monotonic() - started < SLOW_EXPLAIN_SECONDS  # not waiting for any heatmap
    game = client.game(pointer)
    assert game.stage == "attempt" and game.current_round.heatmap_token is None
    content = json.dumps(client.page("/attempt", pointer))
    assert f"/media/{game.current_round.image_token}" in content
    assert client.http.get(f"/media/{game.current_round.image_token}").status_code == 200
    assert pending_rounds(client.app, game) == [0, 1, 2, 3, 4]

    wait_for_heatmaps(client, pointer, timeout=4 * SLOW_EXPLAIN_SECONDS)
    wanted = sum(1 if r.ai_guess == r.truth else 2 for r in game.rounds)
    photos = explained_photos(slow_explainer)
    assert len(photos) == wanted
    # Round 1 first, on its own: its answer page is the first to need a heatmap.
    first = 1 if game.rounds[0].ai_guess == game.rounds[0].truth else 2
    assert set(photos[:first]) == {round_photo(web_catalog, game, 0)}
    assert round_photo(web_catalog, game, 0) not in photos[first:]


def test_round_one_photo_is_encoded_during_the_start(client) -> None:
    """Its re-encoded bytes wait in the media cache before the page asks; later rounds' photos
    are encoded when their pages ask (the start does not wait for them)."""
    game = client.game(client.start_game())
    server = client.app.server

    def photos_in_cache() -> list[bytes | None]:
        with server.app_context():
            cache = runtime_of(server).media.cache
            return [cache.get(media.PHOTO_PREFIX + r.image_token) for r in game.rounds]

    deadline = time.monotonic() + 10
    while photos_in_cache()[0] is None and time.monotonic() < deadline:  # no page has asked for it
        time.sleep(0.02)
    encoded = photos_in_cache()
    assert isinstance(encoded[0], bytes) and encoded[0][:2] == b"\xff\xd8"  # a JPEG
    assert encoded[1:] == [None] * (len(game.rounds) - 1)
    served = client.http.get(f"/media/{game.rounds[0].image_token}")
    assert served.status_code == 200 and served.data == encoded[0]


def test_the_answer_page_spins_then_shows_its_heatmap(client, slow_explainer) -> None:
    pointer = client.start_game()
    client.lock_in(pointer, "Audi", "A4")
    content = client.page("/result", pointer)
    text = json.dumps(content)
    assert "heatmap-waiting" in text and "Drawing where the AI looked" in text
    assert client.find(content, ids.RESULT_HEATMAP_POLL) is not None
    assert client.find(content, ids.RESULT_AI_HEATMAP) is None
    assert poll(client, pointer) == {}  # still drawing: the page keeps its spinner

    wait_for_heatmaps(client, pointer, timeout=4 * SLOW_EXPLAIN_SECONDS)
    shown = poll(client, pointer, ticks=6)
    assert shown[ids.RESULT_HEATMAP_POLL]["disabled"] is True
    panel = client.find(shown[ids.RESULT_AI_PICTURE]["children"], ids.RESULT_AI_HEATMAP)
    token = json.dumps(panel).split("/media/")[1].split('"')[0]
    served = client.http.get(f"/media/{token}")
    assert served.status_code == 200 and served.data == overlay_png()
    # Reloaded now, the page has the heatmap at once and no poll.
    content = client.page("/result", pointer)
    assert client.find(content, ids.RESULT_AI_HEATMAP) is not None
    assert client.find(content, ids.RESULT_HEATMAP_POLL) is None
    # Going on keeps the heatmap with the round, counted as shown.
    client.next_round(pointer)
    played = client.game(pointer).rounds[0]
    assert played.heatmap_token == token and played.heatmap_shown is True


def test_a_heatmap_ready_at_the_lock_in_opens_with_the_page(client) -> None:
    pointer = client.start_game()
    wait_for_heatmaps(client, pointer)
    client.lock_in(pointer, "Audi", "A4")
    game = client.game(pointer)
    assert game.current_round.heatmap_token is not None and game.current_round.heatmap_shown
    content = client.page("/result", pointer)
    assert client.find(content, ids.RESULT_HEATMAP_POLL) is None
    assert client.find(content, ids.RESULT_AI_HEATMAP) is not None


def test_an_explainer_outage_ends_the_wait_with_explanation_unavailable(
    client, slow_explainer
) -> None:
    slow_explainer.fail = True
    pointer = client.start_game()
    client.lock_in(pointer, "Audi", "A4")
    assert "heatmap-waiting" in json.dumps(client.page("/result", pointer))
    # The client asks again once after a 5xx: round 1, then the rest, each twice the delay.
    wait_for_heatmaps(client, pointer, timeout=8 * SLOW_EXPLAIN_SECONDS)
    shown = poll(client, pointer)
    assert "Explanation unavailable" in json.dumps(shown[ids.RESULT_AI_PICTURE])
    assert ids.RESULT_TRUTH_SWITCH not in json.dumps(shown[ids.RESULT_TRUTH_PICTURE])
    client.next_round(pointer)
    assert client.game(pointer).rounds[0].heatmap_shown is False


def test_the_poll_gives_up_after_its_wait(client, slow_explainer) -> None:
    slow_explainer.delay_seconds = 6.0  # still drawing round 1 when the page gives up
    pointer = client.start_game()
    client.lock_in(pointer, "Audi", "A4")
    assert poll(client, pointer) == {}
    waited = 2 * EXPLAINER_TIMEOUT + 2 * heatmaps.LEASE_SECONDS  # the page's patience
    assert poll(client, pointer, ticks=int(waited / 0.5) - 2) == {}
    shown = poll(client, pointer, ticks=int(waited / 0.5))
    assert "Explanation unavailable" in json.dumps(shown[ids.RESULT_AI_PICTURE])
    wait_for_heatmaps(client, pointer, timeout=30)  # nothing left in flight at the teardown


def test_the_poll_reveals_nothing_before_the_guess(client) -> None:
    pointer = client.start_game()
    wait_for_heatmaps(client, pointer)
    response = poll(client, pointer)
    assert response[ids.RESULT_HEATMAP_POLL]["disabled"] is True
    assert "/media/" not in json.dumps(response)


@pytest.fixture
def worker() -> Iterator[Callable[[Config], tuple[subprocess.Popen, str]]]:
    """`worker(config)`: a separate web worker process on a free port, killed afterwards."""
    started: list[subprocess.Popen] = []

    def start(config: Config) -> tuple[subprocess.Popen, str]:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-c", WORKER, json.dumps(config.as_dict()), str(port)],
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        started.append(process)
        deadline = time.monotonic() + 60
        while not _listening(port):
            assert process.poll() is None, "the worker process ended"
            assert time.monotonic() < deadline, "the worker never listened"
            time.sleep(0.1)
        return process, f"http://127.0.0.1:{port}"

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("backend", ["diskcache", "redis"])
def test_a_heatmap_whose_worker_died_is_made_by_the_next_one(
    backend, request, make_web_config, worker, dash_client, slow_explainer, web_catalog
) -> None:
    """Worker A starts the game and is SIGKILLed while its heatmaps are being drawn; worker B
    serves the rest of the game, and its answer page explains its own round once A's lease
    has run out."""
    scaled = backend == "redis"
    config = patient(request.getfixturevalue("scaled_stack")() if scaled else make_web_config())
    process, url = worker(config)
    app_b = create_app(config)
    player = dash_client(app_b)  # in process: worker B
    on_a = type(player)(app_b, base_url=url)
    pointer = on_a.start_game()
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    player.http.set_cookie("cargame_session", on_a.http.get_cookie("cargame_session").value)

    game = player.game(pointer)
    assert pending_rounds(app_b, game) == [0, 1, 2, 3, 4]
    player.lock_in(pointer, "Audi", "A4")
    assert "heatmap-waiting" in json.dumps(player.page("/result", pointer))
    assert poll(player, pointer) == {}  # A's lease still runs: B does not double the work
    deadline = time.monotonic() + 30
    while not (shown := poll(player, pointer, ticks=2)):
        assert time.monotonic() < deadline, "worker B never made the heatmap"
        time.sleep(0.5)
    assert player.find(shown[ids.RESULT_AI_PICTURE]["children"], ids.RESULT_AI_HEATMAP)
    # B asked for round 1 only (A, killed within its first-page pause or its round-1 wait,
    # may have asked for round 1 too, never for another round).
    photos = explained_photos(slow_explainer)
    assert photos and set(photos) == {round_photo(web_catalog, game, 0)}
    # B made only its own round; the others wait for their pages.
    assert pending_rounds(app_b, game) == [1, 2, 3, 4]
