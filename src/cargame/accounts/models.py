"""Typed SQLAlchemy models: users, every game started (finished or abandoned) and its rounds."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
    event,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column, relationship

Role = Literal["player", "analyst", "admin"]
ROLES: tuple[Role, ...] = ("player", "analyst", "admin")  # in increasing order of privilege
WINNERS = ("player", "ai", "draw")
STATUSES = ("started", "finished", "abandoned")
USERNAME_MAX_LENGTH = 32
LABEL_MAX_LENGTH = 200  # "Make/Model" labels; Stanford Cars' longest is under 60 characters
# The game's facts each round carries for the analytics filters (see GameRound).
FILTERED = ("game_day", "mode", "model_version", "level")
LEVEL_MAX_LENGTH = 16  # opponent level names (cargame.domain.levels.NAME_PATTERN)
BOOTH_NAME_MAX_LENGTH = 24  # a 16-character nickname plus a " 2"-style suffix, with room


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
    """A game from its start; the primary key is `GameData.game_id`, so it is stored once only.

    "started" until the last round is guessed ("finished", exactly once) or the game is left
    ("abandoned": replaced by a new game, left at sign-in, sign-out or "Next player", or still
    open after a session's lifetime).
    """

    __tablename__ = "games"
    __table_args__ = (
        CheckConstraint(_in("winner", WINNERS), name="winner"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        Index("ix_games_user_id_finished_at", "user_id", "finished_at"),
        Index("ix_games_status_started_at", "status", "started_at"),
        Index("ix_games_started_at_mode", "started_at", "mode"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    mode: Mapped[str] = mapped_column(String(16))
    model_name: Mapped[str] = mapped_column(String(100))
    model_version: Mapped[int | None]
    # The opponent level the player chose ([levels]; its servable is model_name). Games from
    # before the levels were played against the trained model itself: "expert".
    level: Mapped[str | None] = mapped_column(String(LEVEL_MAX_LENGTH))
    status: Mapped[str] = mapped_column(String(10), default="started")
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None] = mapped_column(index=True)
    abandoned_at: Mapped[datetime | None]
    rounds_total: Mapped[int] = mapped_column(default=0)
    rounds_played: Mapped[int] = mapped_column(default=0)
    player_score: Mapped[int] = mapped_column(default=0)
    ai_score: Mapped[int] = mapped_column(default=0)
    winner: Mapped[str | None] = mapped_column(String(8))
    # Hits over the played rounds, kept with each round: per-day accuracy sums games, not rounds.
    human_exact: Mapped[int] = mapped_column(default=0)
    human_make: Mapped[int] = mapped_column(default=0)
    ai_exact: Mapped[int] = mapped_column(default=0)
    ai_make: Mapped[int] = mapped_column(default=0)
    kept_by_guest: Mapped[bool] = mapped_column(default=False)  # played as a guest, then kept

    user: Mapped[User | None] = relationship(back_populates="games")
    rounds: Mapped[list[GameRound]] = relationship(
        back_populates="game",
        cascade="all, delete-orphan",
        order_by="GameRound.round_number",
        passive_deletes=True,
    )


class GameRound(Base):
    """One guessed photo: the truth, both answers, the AI's top-5 and confidence, the points.

    Makes, the AI's answer and confidence are stored beside the labels so that analytics can
    group and filter in SQL alone.
    """

    __tablename__ = "rounds"
    __table_args__ = (
        # (make, game): the make filter of game-level views finds game ids in the index alone.
        Index("ix_rounds_truth_make_game_id", "truth_make", "game_id"),
        # Narrow covering copies of what the analytics views filter and count, so that they
        # read an index instead of every wide round row (bench/README.md, analytics). The
        # included columns are PostgreSQL's; SQLite indexes the key columns only.
        Index(
            "ix_rounds_car_figures",  # per car, calibration, per version, accuracy by make
            "truth_make",
            "truth",
            postgresql_include=[
                *FILTERED,
                "player_points",
                "ai_points",
                "ai_confidence",
                "ai_top5_hit",
            ],
        ),
        Index(
            "ix_rounds_answers",  # which label was answered instead of the truth
            "truth_make",
            "truth",
            postgresql_include=[*FILTERED, "guess", "guess_make", "ai_guess", "ai_make"],
        ),
        Index(
            "ix_rounds_answer_makes",  # which make was answered
            "truth_make",
            "guess_make",
            "ai_make",
            postgresql_include=list(FILTERED),
        ),
        Index(
            "ix_rounds_game_day",  # per day; time to guess and learning per round number
            "game_day",
            "mode",
            "model_version",
            "truth_make",
            postgresql_include=[
                "level",
                "round_number",
                "after_truth_heatmap",
                "seconds",
                "player_points",
                "ai_points",
            ],
        ),
    )

    game_id: Mapped[str] = mapped_column(
        ForeignKey("games.id", ondelete="CASCADE"), primary_key=True
    )
    round_number: Mapped[int] = mapped_column(primary_key=True)  # 1-based, as shown to players
    image_id: Mapped[str] = mapped_column(String(64))
    truth: Mapped[str] = mapped_column(String(LABEL_MAX_LENGTH))
    truth_make: Mapped[str] = mapped_column(String(LABEL_MAX_LENGTH), default="")
    guess: Mapped[str | None] = mapped_column(String(LABEL_MAX_LENGTH))
    guess_make: Mapped[str | None] = mapped_column(String(LABEL_MAX_LENGTH))
    ai_top5: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{"label", "probability"}]
    ai_guess: Mapped[str | None] = mapped_column(String(LABEL_MAX_LENGTH))
    ai_make: Mapped[str | None] = mapped_column(String(LABEL_MAX_LENGTH))
    ai_confidence: Mapped[float | None]  # the AI's top-1 probability
    ai_top5_hit: Mapped[bool] = mapped_column(default=False)  # the truth among the AI's top 5
    player_points: Mapped[int]
    ai_points: Mapped[int]
    seconds: Mapped[float | None]  # from the photo being shown to the guess being locked in
    heatmap_shown: Mapped[bool] = mapped_column(default=False)
    truth_heatmap_shown: Mapped[bool] = mapped_column(default=False)  # "should have looked"
    after_truth_heatmap: Mapped[bool] = mapped_column(default=False)  # opened in an earlier round
    # Copied from the game whenever a round is inserted (_carry_game_facts; a game's mode,
    # level, version and start never change), so the analytics filters need no join to games.
    mode: Mapped[str] = mapped_column(String(16))
    model_version: Mapped[int | None]
    level: Mapped[str | None] = mapped_column(String(LEVEL_MAX_LENGTH))  # the opponent's
    game_day: Mapped[date] = mapped_column(Date)  # the UTC day the game started

    game: Mapped[Game] = relationship(back_populates="rounds")


@event.listens_for(GameRound, "before_insert")
def _carry_game_facts(
    _mapper: Mapper[GameRound], connection: Connection, round_: GameRound
) -> None:
    """Copy the game's mode, level, model version and UTC start day onto a round being
    inserted, so that no writer (the game log, an import, a test) can leave them out or get them
    wrong."""
    facts = connection.execute(
        select(Game.mode, Game.level, Game.model_version, Game.started_at).where(
            Game.id == round_.game_id
        )
    ).one_or_none()
    if facts is None:
        return  # no such game: the foreign key refuses the round
    round_.mode, round_.level, round_.model_version = facts.mode, facts.level, facts.model_version
    round_.game_day = facts.started_at.astimezone(UTC).date()


class BoothName(Base):
    """The nickname a booth player gave a finished game, unique on the fair's day."""

    __tablename__ = "booth_names"
    __table_args__ = (UniqueConstraint("day", "name"),)

    game_id: Mapped[str] = mapped_column(
        ForeignKey("games.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date)  # in `[booth] timezone`, not UTC
    name: Mapped[str] = mapped_column(String(BOOTH_NAME_MAX_LENGTH))
