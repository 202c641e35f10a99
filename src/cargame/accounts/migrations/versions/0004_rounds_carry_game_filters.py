"""Each round carries its game's mode, model version and start day, with covering indexes.

The analytics filters (dates, modes, model versions) then read the rounds alone instead of
joining a million rounds to their games (bench/README.md, analytics). Existing rounds copy the
facts from their game; the indexes include what the views count, so PostgreSQL can answer from
an index instead of the wide round rows.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILTERED = ["game_day", "mode", "model_version"]
INDEXES: dict[str, tuple[list[str], list[str]]] = {  # name: (key columns, included columns)
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
OLD_INDEXES = {  # as 0003 created them
    "ix_rounds_car_figures": ["truth", "player_points", "ai_points", "ai_confidence"],
    "ix_rounds_answer_makes": ["truth_make", "guess_make", "ai_make"],
}
# Index-only scans skip the heap only on pages that VACUUM has marked all-visible; rounds are
# mostly inserted, so PostgreSQL's default (after 20 % new rows) would leave weeks of rounds to
# be read from the heap. Vacuum after 1 % instead.
AUTOVACUUM = "autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_scale_factor = 0.01"


def upgrade() -> None:
    with op.batch_alter_table("rounds") as rounds:
        rounds.add_column(sa.Column("mode", sa.String(16), nullable=True))
        rounds.add_column(sa.Column("model_version", sa.Integer(), nullable=True))
        rounds.add_column(sa.Column("game_day", sa.Date(), nullable=True))
    _copy_game_facts()
    for name in OLD_INDEXES:
        op.drop_index(name, "rounds")
    with op.batch_alter_table("rounds") as rounds:
        rounds.alter_column("mode", existing_type=sa.String(16), nullable=False)
        rounds.alter_column("game_day", existing_type=sa.Date(), nullable=False)
    for name, (columns, included) in INDEXES.items():
        op.create_index(name, "rounds", columns, postgresql_include=included)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE rounds SET ({AUTOVACUUM})")


def _copy_game_facts() -> None:
    """One UPDATE ... FROM games (PostgreSQL, and SQLite since 3.33)."""
    games = sa.table(
        "games",
        sa.column("id"),
        sa.column("mode"),
        sa.column("model_version"),
        sa.column("started_at", sa.DateTime()),
    )
    rounds = sa.table(
        "rounds",
        sa.column("game_id"),
        sa.column("mode"),
        sa.column("model_version"),
        sa.column("game_day", sa.Date()),
    )
    op.execute(
        rounds.update()
        .where(rounds.c.game_id == games.c.id)
        .values(
            mode=games.c.mode,
            model_version=games.c.model_version,
            game_day=sa.func.date(games.c.started_at),  # started_at is stored in UTC
        )
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        names = ", ".join(setting.split(" = ")[0] for setting in AUTOVACUUM.split(", "))
        op.execute(f"ALTER TABLE rounds RESET ({names})")
    for name in INDEXES:
        op.drop_index(name, "rounds")
    with op.batch_alter_table("rounds") as rounds:
        for column in ("game_day", "model_version", "mode"):
            rounds.drop_column(column)
    for name, columns in OLD_INDEXES.items():
        op.create_index(name, "rounds", columns)
