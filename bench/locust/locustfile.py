"""Simulated cargame players for Locust, through nginx, over the real Dash callback protocol.

    .venv/bin/locust -f bench/locust/locustfile.py --headless --host https://127.0.0.1:8443

bench/bench_load.py runs it against the local cluster; tests/deploy/test_cluster.py plays one
game per player with it. Each simulated user is a line of visitors at one screen: a visitor
arrives (a new browser: no cookies, no cached bundles), every second one registers through the
real form with its CSRF token (signing in by password would be paused by the per-address
sign-in throttle: every player here comes from 127.0.0.1), opens the start page, plays one to
three games ("Play again" on the final score) and leaves; the next visitor arrives.

A game, as a person plays it (think times in seconds, uniform, times CARGAME_LOAD_THINK_SCALE):

    open     the start page (HTML, layout, callbacks; bundles on a new browser)   reads 2-5
    start    "Let's play" / "Play again": the start callback, progress polled every 0.3 s,
             round 1 with its photo                                             looks 2-5
    make     taps a make: its models' tiles and pictures                        finds 1-3
    model    taps a model: nothing goes to the server (State of the lock-in)     checks 0.5-1.5
    lock-in  the answer page with its pictures; heatmaps still being made are
             polled as the page does                                            reads 3-8
    next     round n+1 (`finish` after round 5: the final page with the score)
then the final score is read for 3-8 s. Actions are recorded as Locust requests of type ACTION
(click to page shown, pictures included); their requests as `<action> <part>`.

When a request of an action fails (an error status, no connection), the page does not react; the
person waits 1-3 s and clicks again, once, or, when the address had already changed (the
action's callback answered, its page did not show), reloads the page. The action's time then
runs from the first click. A second failure loses the game and the visitor leaves. A game counts as
finished when its final page shows the score.

Environment: CARGAME_LOAD_STEPS (users per step, "10,20,30,40,50"), CARGAME_LOAD_STEP_SECONDS
(each step, 120), CARGAME_LOAD_LAST_STEP_SECONDS (the last step, default the same),
CARGAME_LOAD_SPAWN_RATE (players arriving per second, 1), CARGAME_LOAD_GAMES (games per simulated
user, then it idles; 0: no limit), CARGAME_LOAD_THINK_SCALE (1), CARGAME_LOAD_CA (the server's
certificate to trust), CARGAME_LOAD_EVENTS (a JSON-lines file of every action and game).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import re
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

HERE = Path(__file__).resolve().parent
for folder in (HERE, HERE.parents[1] / "tests"):  # browser_tab; dash_wire, as bench_support does
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import gevent  # noqa: E402
from browser_tab import BrowserTab, RequestFailed, UnexpectedPage  # noqa: E402
from dash_wire import find_component  # noqa: E402
from locust import HttpUser, LoadTestShape, constant, events, task  # noqa: E402

from cargame.web import ids  # noqa: E402

THINK_SECONDS = {
    "home": (2.0, 5.0),  # reads the start page, presses "Let's play"
    "make": (2.0, 5.0),  # looks at the photo, taps a make
    "model": (1.0, 3.0),  # finds the model among the make's tiles
    "lock-in": (0.5, 1.5),  # checks the choice, presses "Lock in"
    "answer": (3.0, 8.0),  # reads the verdict, the top five and the heatmap, presses "Next"
    "final": (3.0, 8.0),  # the final score, then "Play again" or leaves
    "retry": (1.0, 3.0),  # a page that did not react: clicks again
}
GAMES_PER_VISIT = (1, 3)
ROUNDS = 5
FINAL_SCORE = "finish-you"  # the player's total on the final page


def _env(name: str, default: str) -> str:
    return os.environ.get(f"CARGAME_LOAD_{name}", default)


STEPS = [int(users) for users in _env("STEPS", "10,20,30,40,50").split(",")]
STEP_SECONDS = float(_env("STEP_SECONDS", "120"))
LAST_STEP_SECONDS = float(_env("LAST_STEP_SECONDS", str(STEP_SECONDS)))
SPAWN_RATE = float(_env("SPAWN_RATE", "1"))
GAMES = int(_env("GAMES", "0"))
THINK_SCALE = float(_env("THINK_SCALE", "1"))
CA = _env("CA", "")
RUN = secrets.token_hex(3)  # usernames of this run
NUMBERS = itertools.count()
QUOTA_MET: set[int] = set()  # players that played their CARGAME_LOAD_GAMES
T = TypeVar("T")


class GameLost(RuntimeError):
    """An action failed again after the person's retry: this game cannot go on."""


class EventLog:
    """Every action and game outcome as a JSON line, for bench/bench_load.py."""

    def __init__(self, path: str) -> None:
        self.file = open(path, "a", encoding="utf-8") if path else None  # noqa: SIM115
        self.users: Callable[[], int] = lambda: 0

    def write(self, kind: str, **fields: object) -> None:
        if self.file is None:
            return
        line = {"t": round(time.time(), 3), "kind": kind, "users": self.users(), **fields}
        self.file.write(json.dumps(line) + "\n")
        self.file.flush()


LOG = EventLog(_env("EVENTS", ""))


@events.init.add_listener
def _count_users(environment: Any, **_kwargs: Any) -> None:
    LOG.users = lambda: environment.runner.user_count if environment.runner else 0


def think(step: str) -> None:
    low, high = THINK_SECONDS[step]
    gevent.sleep(random.uniform(low, high) * THINK_SCALE)


def game_key(pointer: object) -> str | None:
    """The game id inside a Serverside pointer (`SERVERSIDE_{"backend_uid":..,"key":..}`)."""
    if not isinstance(pointer, str) or "{" not in pointer:
        return None
    return json.loads(pointer[pointer.index("{") :]).get("key")


class Player(HttpUser):
    """A line of visitors at one screen, each playing one to three games."""

    wait_time = constant(0)

    def on_start(self) -> None:
        self.number = next(NUMBERS)
        self.signs_in = self.number % 2 == 1  # every second player has an account
        if CA:
            self.client.verify = CA
        self.games = 0
        self.visits = 0
        self.games_left_in_visit = 0
        self.tab = BrowserTab(self.client)

    @task
    def play(self) -> None:
        """One game (the visitor arrives first when the last one left)."""
        if GAMES and self.games >= GAMES:
            QUOTA_MET.add(self.number)
            gevent.sleep(1)
            return
        try:
            if self.games_left_in_visit == 0:
                self.arrive()
            self.play_game()
        except GameLost as lost:
            LOG.write("game", outcome="lost", player=self.number, reason=str(lost))
            self.games_left_in_visit = 0  # the visitor gives up and leaves
            self.games += 1

    def arrive(self) -> None:
        """A new visitor: a fresh browser, signed in for every second player, the start page."""
        self.tab.stop_polls()
        self.client.cookies.clear()
        self.tab = BrowserTab(self.client)
        self.visits += 1
        if self.signs_in:
            self.act("sign-in", self.register)
        self.act("open", lambda attempt: self.tab.open("open", "/"))
        self.games_left_in_visit = random.randint(*GAMES_PER_VISIT)
        think("home")

    def register(self, attempt: int) -> None:
        """The registration form with its CSRF token; the app signs the new account in."""
        form = self.tab.request("GET", "/register", "sign-in form").text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
        if token is None:
            raise UnexpectedPage("sign-in: no CSRF token in the registration form")
        password = f"{secrets.token_hex(6)} drives fast"
        fields = {
            "csrf_token": token.group(1),
            "username": f"ld{RUN}p{self.number}v{self.visits}a{attempt}",
            "password": password,
            "confirm": password,
            "keep": "",
        }
        answer = self.tab.request("POST", "/register", "sign-in submit", data=fields)
        if answer.status_code != 302:
            raise UnexpectedPage(f"sign-in: the form answered {answer.status_code}")

    def play_game(self) -> None:
        starter = ids.HOME_STARTER if self.tab.pathname == "/" else ids.FINISH_STARTER
        self.act("start", lambda attempt: self.start_game(starter, attempt), ids.ATTEMPT_MAKE)
        key = game_key(self.tab.pointer)
        LOG.write("game", outcome="started", player=self.number, game=key)
        for number in range(1, ROUNDS + 1):
            self.play_round(number)
        score = find_component(self.tab.content, FINAL_SCORE)
        if score is None or not str(score["props"].get("children", "")).strip().isdigit():
            raise GameLost("finish: the final page shows no score")
        LOG.write("game", outcome="finished", player=self.number, game=key)
        self.games += 1
        self.games_left_in_visit -= 1
        think("final")

    def start_game(self, starter: ids.Starter, attempt: int) -> Any:
        """Press the start button; its progress bar polls while the rounds are prepared."""
        level = find_component(self.tab.content, starter.level)
        inputs = {f"{starter.start}.n_clicks": attempt, f"{starter.retry}.n_clicks": None}
        state = {f"{starter.level}.value": level["props"].get("value")} if level else {}
        progress = gevent.spawn(self._watch_progress, starter)
        try:
            outputs = self.tab.fire("start callback", inputs, state)
        finally:
            progress.kill()
        if outputs.get(starter.error, {}).get("is_open"):
            text = outputs.get(starter.error_text, {}).get("children")
            raise UnexpectedPage(f"start: the page says {text!r}")
        content = self.tab.navigate("start", outputs)
        if find_component(content, ids.ATTEMPT_MAKE) is None:
            raise UnexpectedPage("start: round 1 has no make tiles")
        return content

    def _watch_progress(self, starter: ids.Starter) -> None:
        for tick in itertools.count(1):
            gevent.sleep(0.3)
            # A failed poll leaves the bar standing still; the start itself decides.
            with contextlib.suppress(RequestFailed):
                self.tab.fire("start progress", {f"{starter.progress_tick}.n_intervals": tick})

    def play_round(self, number: int) -> None:
        think("make")
        makes = find_component(self.tab.content, ids.ATTEMPT_MAKE)["props"]["options"]
        make = random.choice(makes)["value"]
        models = self.act("make", lambda attempt: self.choose_make(make))
        think("model")
        model = random.choice(models)["value"]  # nothing to send: State of the lock-in
        think("lock-in")
        clicked = time.monotonic()
        self.act("lock-in", lambda attempt: self.lock_in(make, model, attempt), ids.RESULT_NEXT)
        think("answer")
        self._heatmaps_seen(clicked)
        action = "finish" if number == ROUNDS else "next"
        expected = FINAL_SCORE if action == "finish" else ids.ATTEMPT_MAKE
        self.act(action, lambda attempt: self.next_round(action, attempt), expected)

    def choose_make(self, make: str) -> list[dict[str, Any]]:
        outputs = self.tab.fire(
            "make callback",
            {f"{ids.ATTEMPT_MAKE}.value": make},
            {f"{ids.GAME_STORE}.data": self.tab.pointer},
        )
        models = outputs.get(ids.ATTEMPT_MODEL, {}).get("options") or []
        if not models:
            raise UnexpectedPage(f"make: no model tiles for {make}")
        self.tab.load_media("make", models)
        return models

    def lock_in(self, make: str, model: str, attempt: int) -> Any:
        outputs = self.tab.fire(
            "lock-in callback",
            {f"{ids.ATTEMPT_SUBMIT}.n_clicks": attempt, f"{ids.ATTEMPT_TIMED_OUT}.data": None},
            {
                f"{ids.ATTEMPT_MAKE}.value": make,
                f"{ids.ATTEMPT_MODEL}.value": model,
                f"{ids.GAME_STORE}.data": self.tab.pointer,
            },
        )
        message = outputs.get(ids.ATTEMPT_MESSAGE, {}).get("children")
        if message:
            raise UnexpectedPage(f"lock-in: the page warns {json.dumps(message)[:200]}")
        content = self.tab.navigate("lock-in", outputs)
        if find_component(content, ids.RESULT_NEXT) is None:
            raise UnexpectedPage("lock-in: the answer page has no Next button")
        return content

    def next_round(self, action: str, attempt: int) -> Any:
        outputs = self.tab.fire(
            f"{action} callback",
            {f"{ids.RESULT_NEXT}.n_clicks": attempt},
            {f"{ids.GAME_STORE}.data": self.tab.pointer},
        )
        content = self.tab.navigate(action, outputs)
        expected = FINAL_SCORE if action == "finish" else ids.ATTEMPT_MAKE
        if find_component(content, expected) is None:
            raise UnexpectedPage(f"{action}: the page has no {expected}")
        return content

    def _heatmaps_seen(self, clicked: float) -> None:
        """Log when the answer page's heatmaps were all shown (None: not before "Next")."""
        done = self.tab.poll_until_done(timeout=0)
        shown = self.tab.heatmaps_at if done else None
        seconds = None if shown is None else round(max(0.0, shown - clicked), 3)
        LOG.write("heatmaps", player=self.number, seconds=seconds, polled=self.tab.polled)

    def act(self, action: str, work: Callable[[int], T], shows: str | None = None) -> T:
        """Do an action as a person: click, and once more if the page did not react; if the
        address changed but the page did not show (`shows`: a component id of the page it
        leads to), reload it instead (F5)."""
        clicked, address = time.perf_counter(), self.tab.pathname
        for attempt in (1, 2):
            try:
                if attempt == 2 and shows and self.tab.pathname != address:
                    result: Any = self.reload(action, shows)
                else:
                    result = work(attempt)
            except (RequestFailed, UnexpectedPage) as problem:
                if attempt == 2:
                    self._record(action, clicked, problem, retried=True)
                    raise GameLost(f"{action}: {problem}") from problem
                LOG.write("retry", action=action, player=self.number, reason=str(problem))
                think("retry")
                continue
            self._record(action, clicked, None, retried=attempt == 2)
            return result
        raise AssertionError("unreachable")

    def reload(self, action: str, shows: str) -> Any:
        """The browser's reload of the current address: the page the action led to."""
        content = self.tab.open(action, self.tab.pathname)
        if find_component(content, shows) is None:
            raise UnexpectedPage(f"{action}: the reloaded {self.tab.pathname} has no {shows}")
        return content

    def _record(
        self, action: str, clicked: float, problem: Exception | None, retried: bool
    ) -> None:
        milliseconds = (time.perf_counter() - clicked) * 1000
        self.environment.events.request.fire(
            request_type="ACTION",
            name=action,
            response_time=milliseconds,
            response_length=0,
            exception=problem,
            context={},
        )
        LOG.write(
            "action",
            name=action,
            ms=round(milliseconds, 1),
            ok=problem is None,
            retried=retried,
            player=self.number,
        )


class Ramp(LoadTestShape):
    """CARGAME_LOAD_STEPS players, each step held CARGAME_LOAD_STEP_SECONDS; stops early when
    every player has played its CARGAME_LOAD_GAMES."""

    def tick(self) -> tuple[int, float] | None:
        if GAMES and len(QUOTA_MET) >= STEPS[-1]:
            return None
        elapsed, ends = self.get_run_time(), 0.0
        for index, users in enumerate(STEPS):
            ends += LAST_STEP_SECONDS if index == len(STEPS) - 1 else STEP_SECONDS
            if elapsed < ends:
                return users, SPAWN_RATE
        return None
