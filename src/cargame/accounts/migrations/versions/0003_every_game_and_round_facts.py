"""Every game from its start (status, abandoned_at, rounds played), round facts for analytics.

Existing games were all finished; their rounds get makes, the AI's answer and confidence and the
top-5 hit computed from the stored labels and top-5.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LABEL = sa.String(length=200)
TALLIES = ("human_exact", "human_make", "ai_exact", "ai_make")


def upgrade() -> None:
    with op.batch_alter_table("games") as games:
        games.add_column(
            sa.Column("status", sa.String(10), nullable=False, server_default="finished")
        )
        games.add_column(sa.Column("abandoned_at", sa.DateTime(), nullable=True))
        games.add_column(
            sa.Column("rounds_total", sa.Integer(), nullable=False, server_default="0")
        )
        games.add_column(
            sa.Column("rounds_played", sa.Integer(), nullable=False, server_default="0")
        )
        games.add_column(
            sa.Column("kept_by_guest", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        for tally in TALLIES:
            games.add_column(sa.Column(tally, sa.Integer(), nullable=False, server_default="0"))
        games.alter_column("finished_at", existing_type=sa.DateTime(), nullable=True)
        games.alter_column("winner", existing_type=sa.String(8), nullable=True)
        games.create_check_constraint(
            op.f("ck_games_status"), "status IN ('started', 'finished', 'abandoned')"
        )
    op.create_index("ix_games_status_started_at", "games", ["status", "started_at"])
    op.create_index("ix_games_started_at_mode", "games", ["started_at", "mode"])
    with op.batch_alter_table("rounds") as rounds:
        rounds.add_column(sa.Column("truth_make", LABEL, nullable=False, server_default=""))
        rounds.add_column(sa.Column("guess_make", LABEL, nullable=True))
        rounds.add_column(sa.Column("ai_guess", LABEL, nullable=True))
        rounds.add_column(sa.Column("ai_make", LABEL, nullable=True))
        rounds.add_column(sa.Column("ai_confidence", sa.Double(), nullable=True))
        rounds.add_column(
            sa.Column("ai_top5_hit", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        rounds.add_column(
            sa.Column(
                "truth_heatmap_shown", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        rounds.add_column(
            sa.Column(
                "after_truth_heatmap", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    op.create_index("ix_rounds_truth_make_game_id", "rounds", ["truth_make", "game_id"])
    op.create_index(
        "ix_rounds_car_figures", "rounds", ["truth", "player_points", "ai_points", "ai_confidence"]
    )
    op.create_index("ix_rounds_answer_makes", "rounds", ["truth_make", "guess_make", "ai_make"])
    _backfill()


def _make(label: str | None) -> str | None:
    return None if label is None else label.split("/", 1)[0]


def _backfill() -> None:
    connection = op.get_bind()
    games = sa.table(
        "games",
        sa.column("id"),
        sa.column("rounds_total"),
        sa.column("rounds_played"),
        *(sa.column(tally) for tally in TALLIES),
    )
    rounds = sa.table(
        "rounds",
        sa.column("game_id"),
        sa.column("round_number"),
        sa.column("truth"),
        sa.column("guess"),
        sa.column("ai_top5", sa.JSON()),
        sa.column("truth_make"),
        sa.column("guess_make"),
        sa.column("ai_guess"),
        sa.column("ai_make"),
        sa.column("ai_confidence"),
        sa.column("ai_top5_hit"),
        sa.column("player_points"),
        sa.column("ai_points"),
    )
    rows = connection.execute(
        sa.select(
            rounds.c.game_id,
            rounds.c.round_number,
            rounds.c.truth,
            rounds.c.guess,
            rounds.c.ai_top5,
            rounds.c.player_points,
            rounds.c.ai_points,
        )
    ).all()
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        top5: list[dict[str, Any]] = list(row.ai_top5 or [])
        first = top5[0] if top5 else {}
        tally = counts.setdefault(row.game_id, dict.fromkeys(("rounds", *TALLIES), 0))
        tally["rounds"] += 1
        tally["human_exact"] += row.player_points >= 2
        tally["human_make"] += row.player_points >= 1
        tally["ai_exact"] += row.ai_points >= 2
        tally["ai_make"] += row.ai_points >= 1
        connection.execute(
            rounds.update()
            .where(rounds.c.game_id == row.game_id, rounds.c.round_number == row.round_number)
            .values(
                truth_make=_make(row.truth),
                guess_make=_make(row.guess),
                ai_guess=first.get("label"),
                ai_make=_make(first.get("label")),
                ai_confidence=first.get("probability"),
                ai_top5_hit=any(entry.get("label") == row.truth for entry in top5),
            )
        )
    for game_id, tally in counts.items():
        rounds_count = tally.pop("rounds")
        connection.execute(
            games.update()
            .where(games.c.id == game_id)
            .values(rounds_total=rounds_count, rounds_played=rounds_count, **tally)
        )


def downgrade() -> None:
    op.drop_index("ix_rounds_answer_makes", "rounds")
    op.drop_index("ix_rounds_car_figures", "rounds")
    op.drop_index("ix_rounds_truth_make_game_id", "rounds")
    with op.batch_alter_table("rounds") as rounds:
        for column in (
            "after_truth_heatmap",
            "truth_heatmap_shown",
            "ai_top5_hit",
            "ai_confidence",
            "ai_make",
            "ai_guess",
            "guess_make",
            "truth_make",
        ):
            rounds.drop_column(column)
    op.drop_index("ix_games_started_at_mode", "games")
    op.drop_index("ix_games_status_started_at", "games")
    # Games that never finished have no place in the old schema.
    op.execute("DELETE FROM games WHERE status <> 'finished'")
    with op.batch_alter_table("games") as games:
        games.drop_constraint(op.f("ck_games_status"), type_="check")
        games.alter_column("winner", existing_type=sa.String(8), nullable=False)
        games.alter_column("finished_at", existing_type=sa.DateTime(), nullable=False)
        for column in (*TALLIES, "kept_by_guest", "rounds_played", "rounds_total"):
            games.drop_column(column)
        for column in ("abandoned_at", "status"):
            games.drop_column(column)
