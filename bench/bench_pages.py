"""Page changes: callback JSON per user action, vs the whole GameData in a browser store.

Headless Chromium (selenium, Debian's /usr/bin/chromium and chromedriver) plays whole 5-round
games against the real app served by waitress, as `cargame web` serves it, with the browser tests'
steps (tests/browser.py). The TF Serving and explainer stand-ins (tests/doubles.py) answer at
once, so the timings are the web tier's. A WSGI wrapper around the
Flask app records every `POST /_dash-update-component` the browser makes: request and response
body bytes (Dash does not compress them) and the server's handling time, from the WSGI call to
the last byte of the body. Records are summed per user action; an action ends when its page is
shown and no request (callbacks, photos) has been in flight for `QUIET_SECONDS`.

The comparison replaces, in the same recorded callbacks, every game-store value (a Serverside
pointer of ~90 bytes) by the JSON of the whole game at that moment, as a `dcc.Store` holding the
GameData would send and receive it: all rounds, the AI's top five, 7x7 heatmap grids, and the
photos and heatmaps (a) as URLs, (b) heatmaps inline as base64 PNG and photos as URLs (the
predecessor's `Item`), (c) both inline. In (b) and (c) the pages show the same data URIs.

    .venv/bin/python bench/bench_pages.py [--games 10] [--seed 1]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import math
import pickle
import platform
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from bench_support import (  # first: it puts tests/ on sys.path for the doubles
    CARS,
    LABELS,
    make_photo,
    serve_app,
)
from browser import chromium_options, click, tap_tile
from dash.testing.browser import Browser
from doubles import FakeAI, FakeExplainer, FakeServing, ServerThread, application

from cargame.app import create_app
from cargame.config import Config, load_config
from cargame.domain.catalog import Catalog, CatalogImage, split_label
from cargame.domain.game import GameData, Round
from cargame.web import ids, state
from cargame.web.media import MediaItem
from cargame.web.runtime import runtime
from model_service.explain import overlay

CALLBACK_PATH = "/_dash-update-component"
MEDIA_PATH = re.compile(r"/media/([A-Za-z0-9_-]{16,128})")
POINTER_PREFIX = "SERVERSIDE_"
GOAL_BYTES = 20_000  # per page change
QUIET_SECONDS = 0.6  # nothing in flight this long: the action's callbacks are all done
TIMEOUT = 20
ROUNDS = 5  # [web] rounds in the default profile
# What shows that each page is on screen, and the header's link back to the start page.
HOME, ATTEMPT, RESULT, FINISH = (
    f"#{ids.HOME_START}",
    f"#{ids.ATTEMPT_MAKE}",
    f"#{ids.RESULT_NEXT}",
    "#finish-you",
)
SUBMIT, PLAY_AGAIN = f"#{ids.ATTEMPT_SUBMIT}", f"#{ids.FINISH_AGAIN}"
PLAY_LINK = "a.nav-link[href='/']"
# The garage of bench_support: 12 models of 4 makes, 3 game photos each.
GAME_PHOTOS_PER_LABEL = 3
GRID_SIDE = 7  # MobileNetV2's last conv grid at 224 px, the explainer's `heatmap`
COMPACT = {"separators": (",", ":"), "ensure_ascii": False}
VARIANTS = ("urls", "heatmaps_inline", "all_inline")


# --- catalog and the fake AI -------------------------------------------------------------


def build_catalog(root: Path, seed: int) -> Catalog:
    """Game photos only (the game never shows the other splits)."""
    rng = np.random.default_rng(seed)
    images = []
    (root / "images").mkdir(parents=True)
    for make, model in CARS:
        for _ in range(GAME_PHOTOS_PER_LABEL):
            data = make_photo(rng)
            image_id = hashlib.sha256(data).hexdigest()[:24]
            (root / "images" / f"{image_id}.jpg").write_bytes(data)
            images.append(CatalogImage(image_id, f"images/{image_id}.jpg", make, model, "game"))
    catalog = Catalog(root, "bench-pages", images)
    catalog.save()
    return catalog


def digest(photo: bytes) -> str:
    return hashlib.sha256(photo).hexdigest()


def fake_ai(catalog: Catalog) -> FakeAI:
    """Right on a third of the photos, the sibling model on a third, another make on the rest.

    So a game needs five to ten heatmaps, like a real one.
    """
    truth = {digest(catalog.path(image).read_bytes()): image.label for image in catalog.images}

    def answer(photo: bytes) -> str:
        index = LABELS.index(truth[digest(photo)])
        rule = index % 3
        if rule == 0:
            return LABELS[index]
        return LABELS[index + 1 if rule == 1 else (index + 3) % len(LABELS)]

    return FakeAI.answering(LABELS, answer, top=0.58, runners_up=(0.12, 0.09, 0.07, 0.05, 0.01))


class Explanations:
    """Seeded 7x7 heatmap grids and their overlays, drawn by the explainer's own renderer.

    All of a catalog's are drawn up front, so that during the games the explainer answers at once.
    """

    def __init__(self, catalog: Catalog, ai: FakeAI) -> None:
        self.drawn: dict[tuple[str, str], tuple[bytes, list[list[float]]]] = {}
        for image in catalog.images:
            photo = catalog.path(image).read_bytes()
            for label in {ai.answer(photo), image.label}:
                self(photo, label)

    def __call__(self, photo: bytes, label: str) -> tuple[bytes, list[list[float]]]:
        """The overlay PNG and heatmap grid for a photo and a class."""
        key = (digest(photo), label)
        if key not in self.drawn:
            rng = np.random.default_rng(int(hashlib.sha256(repr(key).encode()).hexdigest()[:8], 16))
            grid = np.clip(rng.normal(0.4, 0.3, (GRID_SIDE, GRID_SIDE)), 0, 1)
            picture = overlay.render_overlay(overlay.display_photo(photo), grid)
            self.drawn[key] = (picture, np.round(grid, 4).tolist())
        return self.drawn[key]


# --- the game store as the predecessor would have kept it ---------------------------------


class StoreSizer:
    """Bytes of the whole GameData as JSON in a `dcc.Store`, per way of carrying the media."""

    def __init__(self, server: Any, catalog: Catalog, explanations: Explanations) -> None:
        self.server = server
        self.catalog = catalog
        self.explanations = explanations
        with server.app_context():
            self.storage = state.games().storage
        self._sizes: dict[bytes, dict[str, int]] = {}

    def payload(self, pointer: str) -> bytes | None:
        """The stored bytes behind a pointer, read straight from the backend (no session check)."""
        try:
            key = json.loads(pointer[len(POINTER_PREFIX) :])["key"]
        except (ValueError, KeyError, TypeError):
            return None
        return self.storage.read(key)

    def store_bytes(self, payload: bytes) -> dict[str, int]:
        """JSON bytes of the stored game as a store value, in each variant."""
        if payload not in self._sizes:
            game = pickle.loads(payload)[1]
            self._sizes[payload] = {
                variant: len(self.as_json(game, variant)) for variant in VARIANTS
            }
        return self._sizes[payload]

    def call_bytes(self, call: CallRecord) -> dict[str, int]:
        """The call's request plus response bytes if the store held the game, per variant."""
        totals = dict.fromkeys(VARIANTS, call.request_bytes + call.response_bytes)
        for pointer, payload in call.games:
            if payload is None:
                continue
            pointer_bytes = len(json.dumps(pointer, **COMPACT).encode())
            for variant, size in self.store_bytes(payload).items():
                totals[variant] += size - pointer_bytes
        for variant in VARIANTS:
            totals[variant] += self.page_delta(call.response_text, variant)
        return totals

    def as_json(self, game: GameData, variant: str) -> bytes:
        document = {
            "game_id": game.game_id,
            "model_name": game.model_name,
            "model_version": game.model_version,
            "labels": game.labels,
            "current": game.current,
            "stage": game.stage,
            "started_at": iso(game.started_at),
            "finished_at": iso(game.finished_at),
            "rounds": [self.round_document(game_round, variant) for game_round in game.rounds],
        }
        # A store's data is a JSON value inside the callback body, as `JSON.stringify` writes it.
        return json.dumps(document, **COMPACT).encode()

    def round_document(self, game_round: Round, variant: str) -> dict[str, Any]:
        photo = self.catalog.path(self.catalog.get(game_round.image_id)).read_bytes()
        ai_grid = truth_grid = None
        if game_round.heatmap_token and game_round.ai_guess:
            ai_grid = self.explanations(photo, game_round.ai_guess)[1]
        if game_round.truth_heatmap_token:
            truth_grid = self.explanations(photo, game_round.truth)[1]
        return {
            "image_id": game_round.image_id,
            "image": self.media_value(game_round.image_token, variant),
            "truth": game_round.truth,
            "ai_top5": [prediction.as_dict() for prediction in game_round.ai_top5],
            "heatmap": self.media_value(game_round.heatmap_token, variant),
            "truth_heatmap": self.media_value(game_round.truth_heatmap_token, variant),
            "heatmap_grid": ai_grid,
            "truth_heatmap_grid": truth_grid,
            "guess": game_round.guess,
            "shown_at": iso(game_round.shown_at),
            "guessed_at": iso(game_round.guessed_at),
            "heatmap_shown": game_round.heatmap_shown,
        }

    def media_value(self, token: str | None, variant: str) -> str | None:
        """`/media/<token>`, or the data URI when this variant inlines that kind of media."""
        if token is None:
            return None
        url = f"/media/{token}"
        item = self.media_item(token)
        if item is None or not inlined(item, variant):
            return url
        return data_uri(item)

    def media_item(self, token: str) -> MediaItem | None:
        with self.server.app_context():
            return runtime().media.get(token)

    def page_delta(self, text: str, variant: str) -> int:
        """Extra bytes when the page's media URLs are data URIs in this variant."""
        extra = 0
        for match in MEDIA_PATH.finditer(text):
            item = self.media_item(match.group(1))
            if item is not None and inlined(item, variant):
                extra += len(data_uri(item)) - len(match.group(0))
        return extra


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def inlined(item: MediaItem, variant: str) -> bool:
    return variant == "all_inline" or (variant == "heatmaps_inline" and item.kind == "png")


def data_uri(item: MediaItem) -> str:
    if item.kind == "png" and isinstance(item.value, bytes):
        return "data:image/png;base64," + base64.b64encode(item.value).decode()
    data = Path(str(item.value)).read_bytes()
    return "data:image/jpeg;base64," + base64.b64encode(data).decode()


def pointers(value: Any) -> Iterator[str]:
    """Every Serverside pointer string anywhere in a decoded JSON body."""
    if isinstance(value, str):
        if value.startswith(POINTER_PREFIX):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from pointers(item)
    elif isinstance(value, list):
        for item in value:
            yield from pointers(item)


# --- recording the callbacks ---------------------------------------------------------------


@dataclass
class CallRecord:
    """One callback POST: what it updated, its bytes and time, and the games it carried."""

    output: str
    status: str
    request_bytes: int
    response_bytes: int
    header_bytes: int  # request and response headers as waitress sees them (approximate)
    seconds: float
    # (pointer, the stored game's bytes when the pointer was read or written) for every store
    # value in the request (before the call) and the response (after it).
    games: list[tuple[str, bytes | None]] = field(default_factory=list)
    response_text: str = ""
    store_bytes: dict[str, int] = field(default_factory=dict)  # filled in after the games


class Recorder:
    """WSGI middleware: times and measures the callback POSTs, counts media bytes served.

    Only the callback itself is timed; reading the stored games for the comparison happens
    before and after, and the sizes are computed once the games are over.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], sizer: StoreSizer) -> None:
        self.app = app
        self.sizer = sizer
        self.lock = threading.Lock()
        self.calls: list[CallRecord] = []
        self.media_bytes = 0
        self.in_flight = 0
        self.last_activity = time.monotonic()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        # Every request counts as activity: an action ends when its photos have loaded too.
        with self.lock:
            self.in_flight += 1
        try:
            path = environ.get("PATH_INFO", "")
            if path == CALLBACK_PATH and environ.get("REQUEST_METHOD") == "POST":
                return self.callback(environ, start_response)
            body = b"".join(self.app(environ, start_response))
            if path.startswith("/media/"):
                with self.lock:
                    self.media_bytes += len(body)
            return [body]
        finally:
            with self.lock:
                self.in_flight -= 1
                self.last_activity = time.monotonic()

    def callback(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(request)
        sent = json.loads(request)
        games = [(pointer, self.sizer.payload(pointer)) for pointer in pointers(sent)]
        answer: list[Any] = []

        def remember(code: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            answer.extend([code, headers])
            return start_response(code, headers, *rest)

        started = time.perf_counter()
        result = self.app(environ, remember)
        try:
            response = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        seconds = time.perf_counter() - started
        text = response.decode()
        found = pointers(json.loads(text)) if text else iter(())
        games += [(pointer, self.sizer.payload(pointer)) for pointer in found]
        record = CallRecord(
            output=callback_name(sent["output"]),
            status=answer[0].split()[0],
            request_bytes=len(request),
            response_bytes=len(response),
            header_bytes=header_bytes(environ, answer[0], answer[1]),
            seconds=seconds,
            games=games,
            response_text=text,
        )
        with self.lock:
            self.calls.append(record)
        return [response]

    def wait_until_quiet(self, since: float, quiet: float = QUIET_SECONDS) -> None:
        """Until no callback has been in flight for `quiet` seconds, counted from `since`."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            with self.lock:
                latest = max(self.last_activity, since)
                idle = self.in_flight == 0 and time.monotonic() - latest >= quiet
            if idle:
                return
            time.sleep(0.05)
        raise TimeoutError("callbacks did not settle")

    def take(self) -> tuple[list[CallRecord], int]:
        """The records and media bytes since the last take."""
        with self.lock:
            calls, self.calls = self.calls, []
            media, self.media_bytes = self.media_bytes, 0
        return calls, media


CALLBACKS = {  # a distinctive output of each callback, and the function behind it
    "_pages_content.children": "Dash Pages router (page layout)",
    "shell-scoreboard.children": "show_score",
    "attempt-model.options": "offer_models",
    "attempt-message.children": "lock_in",
    "shell-account.children": "account menu (header)",
    "home-error.is_open": "start_game (home page)",
    "finish-error.is_open": "start_game (Play again)",
    "result-ai-heatmap.className": "toggle_truth_heatmap",
    f"{ids.progress_bar(ids.HOME_PROGRESS)}.value": "show_progress (interval)",
    f"{ids.progress_bar(ids.FINISH_PROGRESS)}.value": "show_progress (interval)",
}


def callback_name(output: str) -> str:
    """The callback's function name, from its outputs (dash-extensions' proxy ids stripped)."""
    names = {name.split("@")[0] for name in output.strip(".").split("...")}
    for marker, function in CALLBACKS.items():
        if marker in names:
            return function
    if names == {"shell-game.data", "shell-navigate.href"}:
        return "next_round"
    return "+".join(sorted(names))


def header_bytes(environ: dict[str, Any], status: str, headers: list[tuple[str, str]]) -> int:
    """The request line and headers plus the status line and headers, as HTTP/1.1 text."""
    request = len(f"POST {CALLBACK_PATH} HTTP/1.1\r\n\r\n")
    for key, value in environ.items():
        if key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = key.removeprefix("HTTP_")
            request += len(name) + len(str(value)) + 4
    response = len(f"HTTP/1.1 {status}\r\n\r\n")
    response += sum(len(name) + len(value) + 4 for name, value in headers)
    return request + response


# --- the player ----------------------------------------------------------------------------


@dataclass
class Action:
    name: str
    calls: list[CallRecord]
    media_bytes: int


class Player:
    """Chromium playing through the pages with the mouse and keyboard; one action at a time."""

    def __init__(self, base_url: str, recorder: Recorder, rng: random.Random) -> None:
        self.browser = Browser(
            "Chrome", headless=True, options=[chromium_options()], percy_run=False
        )
        self.driver = self.browser.driver
        self.base_url = base_url
        self.recorder = recorder
        self.rng = rng
        self.actions: list[Action] = []

    def close(self) -> None:
        self.driver.quit()

    def act(self, name: str, do: Callable[[], None], shown: str) -> None:
        """Do one user action, wait for its page (`shown`, a CSS selector) and quiet."""
        self.recorder.take()
        do()
        done = time.monotonic()
        self.browser.wait_for_element(shown, timeout=TIMEOUT)
        self.recorder.wait_until_quiet(done)
        self.actions.append(Action(name, *self.recorder.take()))

    def pick(self, group: str, text: str) -> None:
        """Tap the tile named `text`."""
        tap_tile(self.browser, group, text)

    def play(self, games: int) -> None:
        """Open `/`, then play `games` games, starting them alternately from `/` and the end."""
        self.act("open / (first page load)", lambda: self.driver.get(self.base_url), HOME)
        for number in range(games):
            if number % 2 == 1:
                self.act("play again (/finish → /attempt)", self.clicks(PLAY_AGAIN), ATTEMPT)
            else:
                if number:
                    self.act('"Play" link (/finish → /)', self.clicks(PLAY_LINK), HOME)
                self.act("start game (/ → /attempt)", self.clicks(HOME), ATTEMPT)
            self.play_rounds()

    def play_rounds(self) -> None:
        for number in range(1, ROUNDS + 1):
            make, model = split_label(self.rng.choice(LABELS))
            self.act("choose make", self.picks(ids.ATTEMPT_MAKE, make), ATTEMPT)
            self.act("choose model", self.picks(ids.ATTEMPT_MODEL, model), ATTEMPT)
            self.act("lock in guess (/attempt → /result)", self.clicks(SUBMIT), RESULT)
            last = number == ROUNDS
            name = (
                "see the result (/result → /finish)" if last else "next round (/result → /attempt)"
            )
            self.act(name, self.clicks(RESULT), FINISH if last else ATTEMPT)

    def clicks(self, selector: str) -> Callable[[], None]:
        """A click on an element, for `act`."""
        return lambda: click(self.browser, selector)

    def picks(self, group: str, text: str) -> Callable[[], None]:
        """Picking `text` as a player does, for `act`."""
        return lambda: self.pick(group, text)


# --- summary -------------------------------------------------------------------------------


def p95(values: list[float]) -> float:
    """The 95th percentile, nearest rank (the maximum below 20 samples)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def kilobytes(value: float) -> str:
    return f"{value / 1000:.1f}"


def action_rows(actions: list[Action]) -> list[str]:
    """Per kind of action: callbacks, JSON bytes now and with the game in a store, server time."""
    groups: dict[str, list[Action]] = defaultdict(list)
    for action in actions:
        groups[action.name].append(action)
    rows = [
        "| action (page change) | n | callbacks | request kB | response kB | total kB (max) "
        "| < 20 kB | store, URLs kB | store, heatmaps inline kB | store, all inline kB "
        "| server ms median | server ms p95 | media kB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, group in groups.items():
        totals = [sum(c.request_bytes + c.response_bytes for c in a.calls) for a in group]
        variants = [
            statistics.median(sum(c.store_bytes[variant] for c in a.calls) for a in group)
            for variant in VARIANTS
        ]
        server_ms = [1000 * sum(c.seconds for c in a.calls) for a in group]
        cells = [
            name,
            str(len(group)),
            f"{statistics.median(len(a.calls) for a in group):g}",
            kilobytes(statistics.median(sum(c.request_bytes for c in a.calls) for a in group)),
            kilobytes(statistics.median(sum(c.response_bytes for c in a.calls) for a in group)),
            f"{kilobytes(statistics.median(totals))} ({kilobytes(max(totals))})",
            "yes" if max(totals) < GOAL_BYTES else "NO",
            *(kilobytes(value) for value in variants),
            f"{statistics.median(server_ms):.1f}",
            f"{p95(server_ms):.1f}",
            kilobytes(statistics.median(a.media_bytes for a in group)),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def callback_rows(actions: list[Action]) -> list[str]:
    """Per callback (by its outputs): how often it ran, its bytes and its server time."""
    groups: dict[str, list[CallRecord]] = defaultdict(list)
    for action in actions:
        for call in action.calls:
            groups[call.output].append(call)
    rows = [
        "| callback | calls | HTTP 204 | request B median | response B median (max) "
        "| HTTP headers B | server ms median | server ms p95 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, calls in sorted(groups.items(), key=lambda item: -len(item[1])):
        responses = [call.response_bytes for call in calls]
        ms = [1000 * call.seconds for call in calls]
        cells = [
            f"`{name}`" if " " not in name else name,
            str(len(calls)),
            str(sum(call.status == "204" for call in calls)),
            f"{statistics.median(call.request_bytes for call in calls):.0f}",
            f"{statistics.median(responses):.0f} ({max(responses)})",
            f"{statistics.median(call.header_bytes for call in calls):.0f}",
            f"{statistics.median(ms):.1f}",
            f"{p95(ms):.1f}",
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def store_rows(sizer: StoreSizer, games: list[GameData]) -> list[str]:
    """The whole GameData as one store value at the end of each game, per variant."""
    rows = ["| finished GameData as store JSON | median kB | max kB |", "|---|---|---|"]
    names = {
        "urls": "photos and heatmaps as URLs",
        "heatmaps_inline": "heatmaps base64 inline, photos as URLs (predecessor)",
        "all_inline": "photos and heatmaps base64 inline",
    }
    for variant in VARIANTS:
        sizes = [len(sizer.as_json(game, variant)) for game in games]
        cells = [names[variant], kilobytes(statistics.median(sizes)), kilobytes(max(sizes))]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def finished_games(sizer: StoreSizer) -> list[GameData]:
    """Every finished game in the session backend."""
    cache = sizer.storage._cache  # diskcache.Cache: the bench runs the embedded default
    found = []
    for key in list(cache.iterkeys()):
        payload = sizer.storage.read(key)
        game = pickle.loads(payload)[1] if payload else None
        if isinstance(game, GameData) and game.stage == "finished":
            found.append(game)
    return found


# --- running it ----------------------------------------------------------------------------


def bench_config(folder: Path, catalog: Catalog, services_url: str) -> Config:
    """The embedded default, every path in the temporary folder, the instant services."""
    return load_config("default", environ={}).with_overrides(
        {
            "paths": {
                "catalog": str(catalog.root),
                "cache": str(folder / "cache"),
                "var": str(folder / "var"),
            },
            "serving": {"url": services_url},
            "explainer": {"url": services_url},
        }
    )


def run(games: int, seed: int) -> list[str]:
    """Play `games` games in Chromium; the report as Markdown lines."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        catalog = build_catalog(folder / "catalog", seed)
        ai = fake_ai(catalog)
        explanations = Explanations(catalog, ai)
        fakes = FakeServing(ai), FakeExplainer(ai, explanations)
        with ServerThread(lambda: application(*fakes)) as services:
            app = create_app(bench_config(folder, catalog, services.url))
            sizer = StoreSizer(app.server, catalog, explanations)
            recorder = Recorder(app.server.wsgi_app, sizer)
            app.server.wsgi_app = recorder  # type: ignore[method-assign]
            with serve_app(app.server, threads=16) as url:
                player = Player(url, recorder, random.Random(seed))
                try:
                    player.play(games)
                finally:
                    player.close()
            for action in player.actions:
                for call in action.calls:
                    call.store_bytes = sizer.call_bytes(call)
            finished = finished_games(sizer)
            photos = [catalog.path(image).stat().st_size for image in catalog.images]
            overlays = [len(overlay) for overlay, _ in explanations.drawn.values()]
            return [
                f"{games} games in headless Chromium, {len(player.actions)} actions; "
                f"Python {platform.python_version()} on {platform.machine()}; "
                f"photos {kilobytes(statistics.mean(photos))} kB JPEG, heatmap overlays "
                f"{kilobytes(statistics.mean(overlays))} kB PNG (means)",
                "",
                *action_rows(player.actions),
                "",
                *callback_rows(player.actions),
                "",
                *store_rows(sizer, finished),
            ]


def main(argv: list[str] | None = None) -> None:
    """Print the Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=10, help="games to play (default 10)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    print("\n".join(run(args.games, args.seed)))


if __name__ == "__main__":
    sys.exit(main())
