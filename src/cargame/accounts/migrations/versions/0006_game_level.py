"""Opponent levels: each game records the level the player chose.

Games recorded before the levels were played against the trained model itself, the strongest
level, named "expert" in the default configuration.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE_LEVELS = "expert"


def upgrade() -> None:
    with op.batch_alter_table("games") as batch:
        batch.add_column(sa.Column("level", sa.String(length=16), nullable=True))
    games = sa.table("games", sa.column("level", sa.String(length=16)))
    op.execute(games.update().values(level=BEFORE_LEVELS))


def downgrade() -> None:
    with op.batch_alter_table("games") as batch:
        batch.drop_column("level")
