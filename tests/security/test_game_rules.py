"""Findings 6, 8 and 10: one guess per round, a lost game cannot be dropped, and callbacks that
return account data refuse anyone but the signed-in player."""

from __future__ import annotations

import json
import threading
from typing import Any

from dash_wire import DashClient

from cargame.accounts.db import db_session
from cargame.accounts.models import Game, GameRound

from .conftest import register

GUESSES = [
    ("Audi", "A4"),
    ("Audi", "Q5"),
    ("BMW", "X5"),
    ("BMW", "M3"),
    ("Volvo", "XC90"),
    ("Volvo", "V60"),
]
RACERS = 12


def _labels_of(player: DashClient, pointer: str) -> list[tuple[str, str]]:
    game = player.game(pointer)
    return [tuple(label.split("/", 1)) for label in game.labels]  # type: ignore[misc]


def test_simultaneous_lock_ins_count_once(live) -> None:
    player = live.player()
    pointer = player.start_game()
    labels = _labels_of(player, pointer)
    cookie = player.http.get_cookie("cargame_session").value
    racers = []
    for _ in range(RACERS):
        racer = live.player()
        racer.http.set_cookie("cargame_session", cookie)
        racers.append(racer)
    start = threading.Barrier(RACERS)
    answers: list[Any] = [None] * RACERS

    def lock_in(index: int) -> None:
        make, model = labels[index % len(labels)]
        start.wait()
        answers[index] = racers[index].lock_in(pointer, make, model)

    threads = [threading.Thread(target=lock_in, args=(index,)) for index in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    game = player.game(pointer)
    assert game is not None and game.stage == "result" and game.round_number == 1
    first = game.current_round.guess
    assert first is not None
    assert all(answer["shell-navigate"]["href"] == "/result" for answer in answers)
    # Every racer's answer page shows the one guess that counted.
    for racer in racers:
        shown = json.dumps(racer.page("/result", pointer))
        assert first.split("/", 1)[1] in shown
    # The database holds the same one guess for round 1: every racer was given the first result.
    with live.app.server.app_context(), db_session() as database:
        recorded = database.get(GameRound, (game.game_id, 1))
        assert recorded is not None and recorded.guess == first
    # And a late second lock-in changes nothing.
    make, model = labels[-1]
    late = player.lock_in(pointer, make, model)
    assert late["shell-navigate"]["href"] == "/result"
    assert player.game(pointer).current_round.guess == first


def test_a_lost_game_is_recorded_even_if_a_new_one_replaces_it(live) -> None:
    player = live.player()
    assert register(player.http, "sorelooser").status_code == 302
    pointer = player.start_game()
    for _ in range(4):
        player.lock_in(pointer, "Audi", "A4")
        player.next_round(pointer)
    player.lock_in(pointer, "Audi", "A4")  # round 5's answer is on screen...
    lost = player.game(pointer)
    player.start_game()  # ... and instead of the final score, a new game
    assert "No finished games yet" not in json.dumps(player.page("/profile"))
    with live.app.server.app_context(), db_session() as database:
        stored = database.get(Game, lost.game_id)
        assert stored is not None and stored.user_id is not None
        assert (stored.player_score, stored.ai_score) == (lost.player_score, lost.ai_score)


def test_the_game_history_callback_refuses_anyone_but_the_player(live) -> None:
    from cargame.accounts import guard

    player = live.player()
    assert register(player.http, "historian").status_code == 302
    stranger = live.player()
    inputs = {"profile-history-period.value": "week"}
    assert player.callback(inputs)  # the player's own games
    refused = stranger.http.post(
        "/_dash-update-component",
        json={
            "output": "profile-history-area.children",
            "outputs": {"id": "profile-history-area", "property": "children"},
            "inputs": [{"id": "profile-history-period", "property": "value", "value": "all"}],
            "changedPropIds": ["profile-history-period.value"],
            "state": [],
        },
    )
    assert refused.status_code == 401  # not signed in
    # Every callback that writes account data is registered with the guard where it is defined.
    with live.app.server.test_request_context():
        for key in live.app.callback_map:
            if any(part in key for part in ("profile-", "analytics-", "admin-")):
                assert guard.required_role(key) is not None, key
