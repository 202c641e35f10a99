"""Every game is recorded from its start: rounds as they are guessed, finished exactly once,
abandoned when replaced, left at sign-out, or stale after the session lifetime."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from dash_extensions.enrich import DashProxy
from dash_wire import DashClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from cargame.accounts import game_log, game_records
from cargame.accounts.db import EXTENSION
from cargame.accounts.models import Game, GameRound, utc_now
from cargame.app import create_app
from cargame.config import Config
from cargame.web import ids

from .conftest import AuthActions


@pytest.fixture
def app(web_config: Config) -> DashProxy:
    return create_app(web_config)


@pytest.fixture
def player(app: DashProxy, dash_client: Callable[[Any], DashClient]) -> DashClient:
    return dash_client(app)


def _stored(app: DashProxy, game_id: str) -> Game:
    factory: sessionmaker[Session] = app.server.extensions[EXTENSION]
    with factory() as session:
        game = session.get(Game, game_id)
        assert game is not None
        session.expunge(game)
        return game


def _rounds(app: DashProxy, game_id: str) -> list[GameRound]:
    factory: sessionmaker[Session] = app.server.extensions[EXTENSION]
    with factory() as session:
        rows = list(session.scalars(select(GameRound).where(GameRound.game_id == game_id)))
        for row in rows:
            session.expunge(row)
        return sorted(rows, key=lambda row: row.round_number)


def test_a_game_is_recorded_from_its_start_round_by_round(app, player) -> None:
    pointer = player.start_game()
    game_id = player.game(pointer).game_id
    started = _stored(app, game_id)
    assert (started.status, started.rounds_played, started.rounds_total) == ("started", 0, 5)
    assert started.finished_at is None and started.winner is None

    player.lock_in(pointer, "Audi", "A4")
    player.callback({f"{ids.RESULT_TRUTH_SWITCH}.value": True}, {f"{ids.GAME_STORE}.data": pointer})
    (first,) = _rounds(app, game_id)
    game = player.game(pointer)
    truth = game.rounds[0].truth
    assert (first.truth, first.truth_make, first.guess, first.guess_make) == (
        truth,
        truth.split("/")[0],
        "Audi/A4",
        "Audi",
    )
    assert first.ai_guess == game.rounds[0].ai_guess and first.ai_confidence is not None
    assert first.truth_heatmap_shown is True and first.seconds is not None
    assert _stored(app, game_id).rounds_played == 1

    for _ in range(4):
        player.next_round(pointer)
        player.lock_in(pointer, "Audi", "A4")
    decided = _stored(app, game_id)  # finished at the last guess, before the final page
    final = player.game(pointer)
    assert decided.status == "finished" and decided.finished_at is not None
    assert (decided.player_score, decided.ai_score) == (final.player_score, final.ai_score)
    assert decided.winner == final.winner and decided.rounds_played == 5
    player.next_round(pointer)
    assert _stored(app, game_id).finished_at == decided.finished_at  # exactly once
    rows = _rounds(app, game_id)
    assert len(rows) == 5
    # Round 1's "should have looked" was opened: every later round is marked as after it.
    assert [row.after_truth_heatmap for row in rows] == [False, True, True, True, True]


def test_a_new_game_abandons_the_open_one(app, player) -> None:
    first = player.start_game()
    player.lock_in(first, "Audi", "A4")
    first_id = player.game(first).game_id
    second = player.start_game()
    left = _stored(app, first_id)
    assert left.status == "abandoned" and left.abandoned_at is not None
    assert left.rounds_played == 1
    assert _stored(app, player.game(second).game_id).status == "started"


def test_a_start_that_abandons_the_open_game_commits_once(app, player) -> None:
    first = player.start_game()
    first_id = player.game(first).game_id
    engine = app.server.extensions[EXTENSION].kw["bind"]
    commits: list[object] = []

    def counted(connection: object) -> None:
        commits.append(connection)

    event.listen(engine, "commit", counted)
    try:
        second = player.start_game()  # abandons the first game and records itself
    finally:
        event.remove(engine, "commit", counted)
    assert len(commits) == 1
    assert _stored(app, first_id).status == "abandoned"
    assert _stored(app, player.game(second).game_id).status == "started"


def _age(app: DashProxy, game_id: str, hours: float) -> None:
    """Move a stored game's start `hours` into the past."""
    factory: sessionmaker[Session] = app.server.extensions[EXTENSION]
    with factory() as session:
        session.get(Game, game_id).started_at -= timedelta(hours=hours)
        session.commit()


def test_stale_games_are_swept_at_a_start_once_a_minute_at_most(
    app, player, dash_client, web_config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(game_records.time, "monotonic", lambda: clock[0])
    session_hours = int(web_config.get("web", "session_ttl_seconds")) / 3600
    left = player.game(player.start_game()).game_id  # the app's first start sweeps (nothing)
    _age(app, left, hours=session_hours + 1)
    other = dash_client(app)  # another visitor starts: within the minute, no sweep
    other.start_game()
    assert _stored(app, left).status == "started"
    clock[0] += game_records.STALE_SWEEP_SECONDS
    other.start_game()
    assert _stored(app, left).status == "abandoned"


def test_signing_out_or_in_abandons_the_open_game(app, player) -> None:
    auth = AuthActions(player.http)
    auth.register("leaver")
    pointer = player.start_game()
    game_id = player.game(pointer).game_id
    auth.logout()
    assert _stored(app, game_id).status == "abandoned"
    guest_game = player.start_game()
    guest_id = player.game(guest_game).game_id
    auth.login("leaver")
    assert _stored(app, guest_id).status == "abandoned"


def test_games_open_longer_than_a_session_become_abandoned(sessions, make_game) -> None:
    game = make_game()
    with sessions() as session:
        game_log.start(session, game, None, "solo")
        assert game_log.abandon_stale(session, timedelta(hours=1), now=utc_now()) == 0
        later = utc_now() + timedelta(hours=2)
        assert game_log.abandon_stale(session, timedelta(hours=1), now=later) == 1
        assert session.get(Game, game.game_id).status == "abandoned"


def test_a_finished_game_is_never_abandoned(sessions, make_game) -> None:
    game = make_game()
    with sessions() as session:
        assert game_log.record_finished_game(session, game, None, "solo")
        assert game_log.abandon(session, game.game_id) is False
        assert session.get(Game, game.game_id).status == "finished"
