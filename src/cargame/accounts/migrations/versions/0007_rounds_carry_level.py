"""Each round carries its game's opponent level, so the analytics tell the levels apart.

Rookie, Pro and Expert are different servables whose version numbers coincide (`cars` v1,
`cars-pro` v1), so "per model version" alone mixed them. Existing rounds copy the level from their
game; PostgreSQL's covering indexes include it, so filtering or grouping by level stays an
index-only scan (SQLite indexes the key columns only, which do not change).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILTERED = ["game_day", "mode", "model_version"]  # as 0004 left them
KEYS: dict[str, tuple[list[str], list[str]]] = {  # name: (key columns, included columns before)
    "ix_rounds_car_figures": (
        ["truth_make", "truth"],
        [*FILTERED, "player_points", "ai_points", "ai_confidence", "ai_top5_hit"],
    ),
    "ix_rounds_answers": (
        ["truth_make", "truth"],
        [*FILTERED, "guess", "guess_make", "ai_guess", "ai_make"],
    ),
    "ix_rounds_answer_makes": (["truth_make", "guess_make", "ai_make"], FILTERED),
    "ix_rounds_game_day": (
        ["game_day", "mode", "model_version", "truth_make"],
        ["round_number", "after_truth_heatmap", "seconds", "player_points", "ai_points"],
    ),
}


def upgrade() -> None:
    with op.batch_alter_table("rounds") as rounds:
        rounds.add_column(sa.Column("level", sa.String(16), nullable=True))
    games = sa.table("games", sa.column("id"), sa.column("level", sa.String(16)))
    rounds_table = sa.table("rounds", sa.column("game_id"), sa.column("level", sa.String(16)))
    op.execute(
        rounds_table.update()
        .where(rounds_table.c.game_id == games.c.id)
        .values(level=games.c.level)
    )
    _rebuild_indexes(with_level=True)


def downgrade() -> None:
    _rebuild_indexes(with_level=False)
    with op.batch_alter_table("rounds") as rounds:
        rounds.drop_column("level")


def _rebuild_indexes(with_level: bool) -> None:
    """PostgreSQL only: the covering indexes again, with or without the level included."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, (columns, included) in KEYS.items():
        op.drop_index(name, "rounds")
        extra = ["level"] if with_level else []
        op.create_index(name, "rounds", columns, postgresql_include=[*included, *extra])
