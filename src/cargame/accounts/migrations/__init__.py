"""Alembic migrations for the accounts database, run programmatically (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, text

from cargame.accounts.db import create_db_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent
# Any fixed 64-bit number: gunicorn workers starting together take turns to migrate PostgreSQL.
POSTGRES_LOCK_KEY = 0x6361726761_6D65


def alembic_config(connection: Connection | None = None) -> AlembicConfig:
    """An Alembic config for this package's scripts, optionally bound to an open connection."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _run(url: str, action: str, revision: str) -> None:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # Batch migrations rebuild a SQLite table by copying and dropping it; with foreign
                # keys on, dropping `games` would cascade and delete every round. The pragma only
                # works outside a transaction, so it comes before the migration's own.
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    lock = text("SELECT pg_advisory_xact_lock(:key)")
                    connection.execute(lock, {"key": POSTGRES_LOCK_KEY})
                getattr(command, action)(alembic_config(connection), revision)
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()
                if broken:
                    raise RuntimeError(f"migration left rows without their parents: {broken[:5]}")
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision` (idempotent; run at start-up)."""
    _run(url, "upgrade", revision)


def downgrade(url: str, revision: str = "base") -> None:
    """Take the database at `url` down to `revision` (`base` drops every accounts table)."""
    _run(url, "downgrade", revision)
