"""Alembic environment: uses the connection passed in by `cargame.accounts.migrations`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from cargame.accounts.db import create_db_engine
from cargame.accounts.models import Base

config = context.config
target_metadata = Base.metadata


def run_with(connection: Connection) -> None:
    """Run the migrations on an open connection (inside the caller's transaction)."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only ALTER tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    # Plain `alembic` command line: `-x url=...` or sqlalchemy.url in an ini file.
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError("no database: pass -x url=<database url>")
    engine = create_db_engine(url)
    try:
        with engine.begin() as new_connection:
            run_with(new_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; run against a database")
run_online()
