"""Booth databases on SQLite and PostgreSQL, and hand-built booth games."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from cargame.accounts import migrations
from cargame.accounts.db import create_db_engine, session_factory
from cargame.accounts.models import Game, GameRound

NOON = datetime(2026, 3, 2, 12, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a SQLite file, then the real PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'booth.db'}"
    else:
        url = request.getfixturevalue("postgres_schema_url")
    migrations.upgrade(url)
    return url


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = create_db_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


def add_game(
    session: Session,
    game_id: str,
    rounds: list[dict[str, Any]] | None = None,
    finished_at: datetime | None = NOON,
    **game: Any,
) -> None:
    """A booth game with these rounds (numbered from 1), finished at `finished_at` unless that
    is None; its scores and winner follow from the rounds unless given."""
    rounds = rounds or []
    player = sum(facts.get("player_points", 0) for facts in rounds)
    ai = sum(facts.get("ai_points", 0) for facts in rounds)
    winner = "player" if player > ai else "ai" if ai > player else "draw"
    values: dict[str, Any] = {
        "mode": "booth",
        "model_name": "cars",
        "model_version": 1,
        "started_at": (finished_at or NOON) - timedelta(minutes=2),
        "rounds_total": 5,
        "rounds_played": len(rounds),
        "player_score": player,
        "ai_score": ai,
    }
    if finished_at is not None:
        values |= {"status": "finished", "finished_at": finished_at, "winner": winner}
    session.add(Game(id=game_id, **{**values, **game}))
    for number, facts in enumerate(rounds, start=1):
        defaults = {"image_id": f"{game_id}-{number}", "truth": "Audi/A4", "truth_make": "Audi"}
        defaults |= {"ai_top5": [], "player_points": 0, "ai_points": 0}
        session.add(GameRound(game_id=game_id, round_number=number, **{**defaults, **facts}))
    session.commit()
