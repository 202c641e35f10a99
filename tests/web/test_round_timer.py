"""The round timer over HTTP: a round that runs out is locked in with what is chosen, or with
nothing for 0 points; a lock-in long after the time is up counts as nothing, whatever it says."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from dash_wire import DashClient

from cargame.app import create_app
from cargame.config import Config
from cargame.domain.game import GameData
from cargame.web import ids


@pytest.fixture
def player(make_web_config: Callable[..., Config], dash_client: Callable[[Any], DashClient]):
    config = make_web_config().with_overrides({"web": {"round_seconds": 20}})
    return dash_client(create_app(config))


def rewind(client: DashClient, pointer: str, seconds: float) -> None:
    """Pretend the current round's photo appeared `seconds` earlier (in the stored game)."""
    cookie = client.http.get_cookie("cargame_session")
    headers = {"Cookie": f"cargame_session={cookie.value}"}
    from cargame.web import state

    with client.app.server.test_request_context(headers=headers):
        game: GameData = state.load_game(pointer)
        game.current_round.shown_at -= timedelta(seconds=seconds)
        game.revision += 1
        state.commit(game)


def test_a_game_starts_with_the_timer_and_the_page_shows_it(player: DashClient) -> None:
    pointer = player.start_game()
    game = player.game(pointer)
    assert game.round_seconds == 20 and game.ai_seconds is not None
    page = player.page("/attempt", pointer)
    timer = player.find(page, ids.ATTEMPT_TIMER)["props"]["data"]
    assert 19 <= timer["left"] <= 20
    assert "The AI answered in" in str(page)


def test_running_out_with_nothing_chosen_scores_zero(player: DashClient) -> None:
    pointer = player.start_game()
    rewind(player, pointer, 20)
    response = player.lock_in(pointer, None, None, timed_out=True)
    assert response[ids.NAVIGATE]["href"] == "/result"
    played = player.game(pointer).current_round
    assert played.timed_out and played.guess is None and played.player_points == 0
    assert "Time's up" in str(player.page("/result", pointer))


def test_running_out_locks_in_a_whole_answer(player: DashClient) -> None:
    pointer = player.start_game()
    rewind(player, pointer, 20)
    truth = player.game(pointer).current_round.truth
    make, model = truth.split("/")
    player.lock_in(pointer, make, model, timed_out=True)
    played = player.game(pointer).current_round
    assert played.guess == truth and not played.timed_out and played.player_points == 2


def test_a_lock_in_long_after_the_time_is_up_counts_as_nothing(player: DashClient) -> None:
    pointer = player.start_game()
    rewind(player, pointer, 60)  # e.g. the page's script was blocked
    truth = player.game(pointer).current_round.truth
    player.lock_in(pointer, *truth.split("/"))
    played = player.game(pointer).current_round
    assert played.timed_out and played.player_points == 0


def test_a_countdown_signal_before_the_time_is_up_changes_nothing(player: DashClient) -> None:
    pointer = player.start_game()
    response = player.lock_in(pointer, None, None, timed_out=True)
    assert "Choose a make" in str(response[ids.ATTEMPT_MESSAGE])
    assert player.game(pointer).stage == "attempt"


def test_the_player_can_turn_the_timer_off(player: DashClient) -> None:
    response = player.callback({f"{ids.HOME_TIMER}.value": False})
    assert "off" in response[ids.HOME_TIMER]["label"]
    pointer = player.start_game()
    assert player.game(pointer).round_seconds is None
    assert player.find(player.page("/attempt", pointer), ids.ATTEMPT_TIMER_TEXT) is None
    rewind(player, pointer, 600)
    truth = player.game(pointer).current_round.truth
    player.lock_in(pointer, *truth.split("/"))
    assert player.game(pointer).current_round.player_points == 2
