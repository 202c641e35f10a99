"""Typed SQLAlchemy models: users, finished games and their rounds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    MetaData,
    String,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

Role = Literal["player", "analyst", "admin"]
ROLES: tuple[Role, ...] = ("player", "analyst", "admin")  # in increasing order of privilege
WINNERS = ("player", "ai", "draw")
USERNAME_MAX_LENGTH = 32
LABEL_MAX_LENGTH = 200  # "Make/Model" labels; Stanford Cars' longest is under 60 characters


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC out, stored naive-UTC so SQLite and PostgreSQL agree."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware (UTC) value")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base with constraint names that Alembic can find on every database."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {datetime: UTCDateTime()}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class User(UserMixin, Base):
    """A registered player (or analyst, or admin)."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX_LENGTH), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="player")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    games: Mapped[list[Game]] = relationship(back_populates="user")

    def has_role(self, minimum: Role) -> bool:
        """True when this user's role is `minimum` or a more privileged one."""
        return ROLES.index(self.role) >= ROLES.index(minimum)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"<User {self.username} ({self.role})>"


class Game(Base):
    """A finished game; the primary key is `GameData.game_id`, so it is stored once only."""

    __tablename__ = "games"
    __table_args__ = (
        CheckConstraint(_in("winner", WINNERS), name="winner"),
        Index("ix_games_user_id_finished_at", "user_id", "finished_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    mode: Mapped[str] = mapped_column(String(16))
    model_name: Mapped[str] = mapped_column(String(100))
    model_version: Mapped[int | None]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime] = mapped_column(index=True)
    player_score: Mapped[int]
    ai_score: Mapped[int]
    winner: Mapped[str] = mapped_column(String(8))

    user: Mapped[User | None] = relationship(back_populates="games")
    rounds: Mapped[list[GameRound]] = relationship(
        back_populates="game",
        cascade="all, delete-orphan",
        order_by="GameRound.round_number",
        passive_deletes=True,
    )


class GameRound(Base):
    """One photo of a finished game: the truth, the guess, the AI's top-5 and the points."""

    __tablename__ = "rounds"

    game_id: Mapped[str] = mapped_column(
        ForeignKey("games.id", ondelete="CASCADE"), primary_key=True
    )
    round_number: Mapped[int] = mapped_column(primary_key=True)  # 1-based, as shown to players
    image_id: Mapped[str] = mapped_column(String(64))
    truth: Mapped[str] = mapped_column(String(LABEL_MAX_LENGTH))
    guess: Mapped[str | None] = mapped_column(String(LABEL_MAX_LENGTH))
    ai_top5: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{"label", "probability"}]
    player_points: Mapped[int]
    ai_points: Mapped[int]
    seconds: Mapped[float | None]  # from the photo being shown to the guess being locked in
    heatmap_shown: Mapped[bool] = mapped_column(default=False)

    game: Mapped[Game] = relationship(back_populates="rounds")
