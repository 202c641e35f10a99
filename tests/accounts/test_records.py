"""Finished games are stored once, guests can claim theirs, and each player sees only their own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cargame.accounts import game_log, records
from cargame.accounts.game_records import game_decided, keep_token
from cargame.accounts.models import Game, GameRound, User
from cargame.domain.game import GameData, Prediction, Round, new_game


def _count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_finished_game_is_stored_with_every_round(
    sessions: sessionmaker[Session],
    make_user: Callable[..., User],
    make_game: Callable[..., GameData],
) -> None:
    user = make_user(sessions, "alice")
    game = make_game(
        guesses=["Audi/A4", "BMW/M3", "Audi/TT"], truths=["Audi/A4", "BMW/M3", "Ford/Focus"]
    )
    with sessions() as session:
        assert game_log.record_finished_game(session, game, user.id, "booth") is True
    with sessions() as session:
        stored = session.get(Game, game.game_id)
        assert stored is not None
        assert (stored.user_id, stored.mode, stored.model_name, stored.model_version) == (
            user.id,
            "booth",
            "cars",
            3,
        )
        assert (stored.player_score, stored.ai_score, stored.winner) == (4, 1, "player")
        assert stored.finished_at == game.finished_at
        assert [
            (
                r.round_number,
                r.truth,
                r.guess,
                r.player_points,
                r.ai_points,
                r.seconds,
                r.heatmap_shown,
            )
            for r in stored.rounds
        ] == [
            (1, "Audi/A4", "Audi/A4", 2, 1, 4.0, True),
            (2, "BMW/M3", "BMW/M3", 2, 0, 4.0, False),
            (3, "Ford/Focus", "Audi/TT", 0, 0, 4.0, False),
        ]
        assert stored.rounds[0].ai_top5 == [
            {"label": "Audi/TT", "probability": 0.7},
            {"label": "Ford/Focus", "probability": 0.2},
        ]
        assert stored.rounds[0].image_id == game.rounds[0].image_id


def test_a_game_is_never_counted_twice(
    sessions: sessionmaker[Session], make_game: Callable[..., GameData]
) -> None:
    game = make_game()
    with sessions() as first:
        assert game_log.record_finished_game(first, game, None, "solo") is True
        assert game_log.record_finished_game(first, game, None, "solo") is False  # double click
    with sessions() as other_worker:  # a retry on another process: the primary key refuses it
        assert game_log.record_finished_game(other_worker, game, None, "solo") is False
        # The session is still usable after the rolled-back insert.
        assert other_worker.scalar(select(func.count()).select_from(Game)) == 1
    assert _count(sessions, GameRound) == len(game.rounds)


def test_an_undecided_game_is_refused(
    sessions: sessionmaker[Session], make_game: Callable[..., GameData]
) -> None:
    rounds = [
        Round("img-1", "token-1", "Audi/A4", [Prediction("Audi/A4", 0.9)]),
        Round("img-2", "token-2", "BMW/M3", [Prediction("Audi/A4", 0.9)]),
    ]
    game = new_game(rounds, ["Audi/A4", "BMW/M3"], "cars")
    game.guess("Audi/A4")  # one round guessed, one to go
    with sessions() as session, pytest.raises(game_log.RecordError, match="not finished"):
        game_log.record_finished_game(session, game, None, "solo")
    game.stage = "finished"  # a state that lies: "finished" with a round never guessed
    with sessions() as session, pytest.raises(game_log.RecordError, match="not finished"):
        game_log.record_finished_game(session, game, None, "solo")
    with sessions() as session, pytest.raises(game_log.RecordError, match="mode"):
        game_log.record_finished_game(session, make_game(), None, "party")
    assert _count(sessions, Game) == 0


def test_a_game_is_recorded_once_its_last_guess_is_in(sessions: sessionmaker[Session]) -> None:
    """The score is final at the last guess: the record does not wait for the final page."""
    rounds = [Round("img-1", "token-1", "Audi/A4", [Prediction("Audi/A4", 0.9)])]
    game = new_game(rounds, ["Audi/A4", "BMW/M3"], "cars")
    game.guess("BMW/M3")  # the player lost the only round and never opens the final score
    with sessions() as session:
        assert game_log.record_finished_game(session, game, None, "solo")
        stored = session.get(Game, game.game_id)
        assert stored.finished_at == game.rounds[0].guessed_at and stored.winner == "ai"
    game.next_round()  # later the player does open it: nothing new is stored
    with sessions() as session:
        assert not game_log.record_finished_game(session, game, None, "solo")


def test_a_recent_guest_game_can_be_claimed_once(
    sessions: sessionmaker[Session],
    make_user: Callable[..., User],
    make_game: Callable[..., GameData],
) -> None:
    alice, bob = make_user(sessions, "alice"), make_user(sessions, "bob")
    guest_game = make_game()
    old_game = make_game(
        finished_at=datetime.now(UTC) - game_log.CLAIM_WINDOW - timedelta(minutes=1)
    )
    with sessions() as session:
        game_log.record_finished_game(session, guest_game, None, "booth")
        game_log.record_finished_game(session, old_game, None, "booth")
        assert game_log.claim_guest_game(session, guest_game.game_id, alice.id) is True
        assert game_log.claim_guest_game(session, guest_game.game_id, bob.id) is False
        assert game_log.claim_guest_game(session, old_game.game_id, alice.id) is False
        assert [game.game_id for game in records.player_history(session, alice.id)] == [
            guest_game.game_id
        ]
        assert records.player_history(session, bob.id) == []


def test_history_and_stats_belong_to_one_player(
    sessions: sessionmaker[Session],
    make_user: Callable[..., User],
    make_game: Callable[..., GameData],
) -> None:
    alice, bob = make_user(sessions, "alice"), make_user(sessions, "bob")
    start = datetime(2026, 5, 4, 10, tzinfo=UTC)
    # Alice: win, win, loss, win, draw (the AI always answers Audi/TT).
    alice_games = [
        make_game(guesses=["Audi/A4"], truths=["Audi/A4"], finished_at=start),
        make_game(guesses=["BMW/M3"], truths=["BMW/M3"], finished_at=start + timedelta(hours=1)),
        make_game(
            guesses=["Ford/Focus"], truths=["Audi/TT"], finished_at=start + timedelta(hours=2)
        ),
        make_game(guesses=["Audi/A4"], truths=["Audi/A4"], finished_at=start + timedelta(hours=3)),
        make_game(guesses=["Audi/TT"], truths=["Audi/TT"], finished_at=start + timedelta(hours=4)),
    ]
    bob_game = make_game(guesses=["BMW/M3"], truths=["Ford/Focus"], finished_at=start)
    with sessions() as session:
        for game in alice_games:
            game_log.record_finished_game(session, game, alice.id, "solo")
        game_log.record_finished_game(session, bob_game, bob.id, "solo")

        history = records.player_history(session, alice.id)
        stats = records.profile_stats(session, alice.id)
        bob_history = records.player_history(session, bob.id)

    assert [game.game_id for game in history] == [game.game_id for game in reversed(alice_games)]
    assert bob_game.game_id not in {game.game_id for game in history}
    assert [game.game_id for game in bob_history] == [bob_game.game_id]
    assert (stats.games, stats.wins, stats.draws, stats.losses) == (5, 3, 1, 1)
    assert stats.win_rate == pytest.approx(0.6)
    assert stats.best_streak == 2
    assert [points for _, points, _ in stats.points_over_time] == [2, 2, 0, 2, 2]
    assert [ai for _, _, ai in stats.points_over_time] == [1, 0, 2, 1, 2]
    assert stats.points_over_time[0][0] == start
    assert stats.make_accuracy == [
        records.MakeAccuracy("Audi", rounds=4, exact=3, right_make=3),
        records.MakeAccuracy("BMW", rounds=1, exact=1, right_make=1),
    ]


@pytest.mark.parametrize(
    ("winners", "streak"),
    [([], 0), (["ai"], 0), (["player", "draw", "player", "player"], 2), (["player"] * 3, 3)],
)
def test_best_streak(winners: list[str], streak: int) -> None:
    assert records.best_streak(winners) == streak


def test_period_starts() -> None:
    now = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)  # a Thursday
    assert records.period_start("today", now) == datetime(2026, 11, 26, tzinfo=UTC)
    assert records.period_start("week", now) == datetime(2026, 11, 23, tzinfo=UTC)
    assert records.period_start("all", now) is None


def test_leaderboard_ranks_registered_players_by_period(
    sessions: sessionmaker[Session],
    make_user: Callable[..., User],
    make_game: Callable[..., GameData],
) -> None:
    now = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)
    alice, bob, carol = (make_user(sessions, name) for name in ("alice", "bob", "carol"))
    win = {"guesses": ["Audi/A4"], "truths": ["Audi/A4"]}  # 2 points, AI 1
    big_loss = {"guesses": ["Audi/A4", "Audi/A4"], "truths": ["Audi/TT", "Audi/TT"]}  # 2 vs 4
    plays = [
        (alice, win, now - timedelta(hours=1)),
        (alice, win, now - timedelta(days=2)),  # Tuesday: this week, not today
        (bob, win, now - timedelta(hours=2)),
        (bob, big_loss, now - timedelta(hours=3)),
        (bob, big_loss, now - timedelta(hours=4)),
        (carol, win, now - timedelta(days=30)),
        (carol, win, now - timedelta(days=31)),
        (carol, win, now - timedelta(days=32)),
        (None, win, now - timedelta(minutes=5)),  # a guest: never on the leaderboard
    ]
    with sessions() as session:
        for user, kind, finished_at in plays:
            game = make_game(**kind, finished_at=finished_at)
            game_log.record_finished_game(session, game, user.id if user else None, "solo")

        def board(period: str, by: str) -> list[tuple[int, str, int, int]]:
            rows = records.leaderboard(session, period, by, now=now)  # type: ignore[arg-type]
            return [(row.rank, row.username, row.wins, row.points) for row in rows]

        assert board("today", "wins") == [(1, "bob", 1, 6), (2, "alice", 1, 2)]
        assert board("today", "points") == [(1, "bob", 1, 6), (2, "alice", 1, 2)]
        assert board("week", "wins") == [(1, "alice", 2, 4), (2, "bob", 1, 6)]
        assert board("week", "points") == [(1, "bob", 1, 6), (2, "alice", 2, 4)]
        assert board("all", "wins") == [(1, "carol", 3, 6), (2, "alice", 2, 4), (3, "bob", 1, 6)]
        assert board("all", "points") == [(1, "carol", 3, 6), (2, "bob", 1, 6), (3, "alice", 2, 4)]


def test_leaderboard_ties_share_a_rank(
    sessions: sessionmaker[Session],
    make_user: Callable[..., User],
    make_game: Callable[..., GameData],
) -> None:
    with sessions() as session:
        for name, wins in (("dora", 1), ("erin", 1), ("finn", 2), ("gus", 0)):
            user = make_user(sessions, name)
            for _ in range(wins):
                game = make_game(guesses=["Audi/A4"], truths=["Audi/A4"])
                game_log.record_finished_game(session, game, user.id, "solo")
        rows = records.leaderboard(session, "all", "wins")
    assert [(row.rank, row.username) for row in rows] == [(1, "finn"), (2, "dora"), (2, "erin")]
    assert all(set(vars(row)) == {"rank", "username", "wins", "points", "games"} for row in rows)


def test_the_leaderboard_filters_by_opponent_level(
    sessions: sessionmaker[Session],
    make_user: Callable[..., User],
    make_game: Callable[..., GameData],
) -> None:
    """Each game records its level; a level's board counts only games against that level."""
    plays = [("hana", "rookie", 3), ("ivan", "expert", 1), ("hana", "expert", 0)]
    with sessions() as session:
        for name, level, wins in plays:
            user = session.scalar(select(User).where(User.username == name))
            user = user or make_user(sessions, name)
            for _ in range(max(wins, 1)):
                truths = ["Audi/A4"] if wins else ["Audi/TT", "Audi/TT"]
                game = make_game(guesses=["Audi/A4"] * len(truths), truths=truths)
                game.level = level
                game_log.record_finished_game(session, game, user.id, "solo")

        def board(level: str | None) -> list[tuple[str, int, int]]:
            rows = records.leaderboard(session, "all", "wins", level=level)
            return [(row.username, row.wins, row.games) for row in rows]

        assert board("rookie") == [("hana", 3, 3)]
        assert board("expert") == [("ivan", 1, 1), ("hana", 0, 1)]
        assert board("pro") == []
        assert board(None) == [("hana", 3, 4), ("ivan", 1, 1)]
        hana = session.scalar(select(User).where(User.username == "hana"))
        history = records.player_history(session, hana.id)
    assert sorted(game.level for game in history) == ["expert"] + ["rookie"] * 3


def _finish_route(server: Flask, game: GameData) -> None:
    @server.post("/test-finish")
    def finish() -> str:
        return str(game_decided(game, "booth"))

    @server.post("/test-keep")
    def keep() -> str:
        return keep_token(game.game_id)


def _history(server_sessions: sessionmaker[Session], username: str) -> list[str]:
    with server_sessions() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        return [summary.game_id for summary in records.player_history(session, user.id)]


def test_a_guest_who_registers_keeps_only_the_game_they_asked_to_keep(
    server: Flask,
    client: FlaskClient,
    auth,
    server_sessions: sessionmaker[Session],
    make_game: Callable[..., GameData],
) -> None:
    game = make_game()
    _finish_route(server, game)
    assert client.post("/test-finish").get_data(as_text=True) == "True"
    assert client.post("/test-finish").get_data(as_text=True) == "False"  # reload: stored once
    token = client.post("/test-keep").get_data(as_text=True)
    auth.register("newcomer", keep_from=f"/register?keep={token}")
    assert _history(server_sessions, "newcomer") == [game.game_id]


def test_registering_without_keep_takes_no_guest_game(
    server: Flask,
    client: FlaskClient,
    auth,
    server_sessions: sessionmaker[Session],
    make_game: Callable[..., GameData],
) -> None:
    game = make_game()
    _finish_route(server, game)
    client.post("/test-finish")
    auth.register("passerby")
    assert _history(server_sessions, "passerby") == []


def test_a_game_finished_while_signed_in_is_the_players(
    server: Flask,
    client: FlaskClient,
    auth,
    server_sessions: sessionmaker[Session],
    make_user: Callable[..., User],
    make_game: Callable[..., GameData],
) -> None:
    player, other = make_user(server_sessions, "player1"), make_user(server_sessions, "other")
    game = make_game()
    _finish_route(server, game)
    auth.login("player1")
    client.post("/test-finish")
    auth.logout()
    auth.login("other")  # the same browser, the next person: nothing left to claim
    with server_sessions() as session:
        assert [g.game_id for g in records.player_history(session, player.id)] == [game.game_id]
        assert records.player_history(session, other.id) == []
