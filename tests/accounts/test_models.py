"""Constraints and types of the accounts models, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from cargame.accounts import game_log
from cargame.accounts.models import Game, GameRound, User
from cargame.domain.game import GameData


def test_usernames_are_unique(
    sessions: sessionmaker[Session], make_user: Callable[..., User]
) -> None:
    make_user(sessions, "alice")
    with pytest.raises(IntegrityError):
        make_user(sessions, "alice")


def test_role_must_be_a_known_one(
    sessions: sessionmaker[Session], make_user: Callable[..., User]
) -> None:
    with pytest.raises(IntegrityError):
        make_user(sessions, "mallory", role="superuser")


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("player", {"player"}),
        ("analyst", {"player", "analyst"}),
        ("admin", {"player", "analyst", "admin"}),
    ],
)
def test_roles_include_the_less_privileged_ones(role: str, allowed: set[str]) -> None:
    user = User(username="u", password_hash="x", role=role)
    assert {
        minimum for minimum in ("player", "analyst", "admin") if user.has_role(minimum)
    } == allowed


def test_datetimes_come_back_as_aware_utc(
    sessions: sessionmaker[Session], make_user: Callable[..., User]
) -> None:
    paris = timezone(timedelta(hours=1))
    user = make_user(sessions, "bob")
    with sessions() as session:
        stored = session.get(User, user.id)
        assert stored is not None
        stored.created_at = datetime(2026, 3, 1, 13, 30, tzinfo=paris)
        session.commit()
    with sessions() as session:
        created_at = session.scalars(select(User.created_at)).one()
    assert created_at == datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    assert created_at.tzinfo is UTC


def test_naive_datetimes_are_refused(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        session.add(User(username="carol", password_hash="x", created_at=datetime(2026, 1, 1)))
        with pytest.raises(StatementError, match="naive datetime"):
            session.commit()


def test_deleting_a_game_deletes_its_rounds_and_a_user_leaves_games_anonymous(
    sessions: sessionmaker[Session],
    make_user: Callable[..., User],
    make_game: Callable[..., GameData],
) -> None:
    user = make_user(sessions, "dave")
    kept, dropped = make_game(), make_game()
    with sessions() as session:
        game_log.record_finished_game(session, kept, user.id, "solo")
        game_log.record_finished_game(session, dropped, user.id, "solo")
        # Bulk SQL deletes: the database's ON DELETE rules do the work, not the ORM.
        session.execute(delete(Game).where(Game.id == dropped.game_id))
        session.execute(delete(User).where(User.id == user.id))
        session.commit()
    with sessions() as session:
        assert session.scalars(select(GameRound.game_id).distinct()).all() == [kept.game_id]
        assert session.scalars(select(Game.user_id)).all() == [None]


def test_rounds_carry_their_games_mode_level_version_and_utc_start_day(
    sessions: sessionmaker[Session], make_game: Callable[..., GameData]
) -> None:
    """The analytics filters read these copies instead of joining games, whoever stores the
    round (the game log, or a round added on its own); the day is the UTC one."""
    evening_in_new_york = datetime(2026, 3, 1, 22, 30, tzinfo=timezone(timedelta(hours=-5)))
    game = make_game(finished_at=evening_in_new_york)
    game.level = "rookie"
    with sessions() as session:
        game_log.record_finished_game(session, game, None, "booth")
        extra = {"image_id": "extra", "truth": "Audi/A4", "ai_top5": [], "player_points": 0}
        session.add(GameRound(game_id=game.game_id, round_number=9, ai_points=0, **extra))
        session.commit()
    with sessions() as session:
        copies = session.execute(
            select(GameRound.mode, GameRound.level, GameRound.model_version, GameRound.game_day)
        ).all()
    assert len(copies) == len(game.rounds) + 1
    assert set(copies) == {("booth", "rookie", 3, date(2026, 3, 2))}


def test_winner_must_be_player_ai_or_draw(
    sessions: sessionmaker[Session], make_game: Callable[..., GameData]
) -> None:
    game = make_game()
    with sessions() as session:
        session.add(
            Game(
                id=game.game_id,
                mode="solo",
                model_name="cars",
                started_at=game.started_at,
                finished_at=game.finished_at,
                player_score=1,
                ai_score=0,
                winner="nobody",
            )
        )
        with pytest.raises(IntegrityError):
            session.commit()
