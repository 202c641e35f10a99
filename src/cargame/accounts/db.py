"""The accounts database: its URL from config, the engine, and each app's sessions.

SQLite by default, PostgreSQL when scaled; `init_database` migrates it when the app is built.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from cargame.config import Config

EXTENSION = "cargame.accounts"

SQLITE_BUSY_TIMEOUT_SECONDS = 15.0  # wait for another process's write instead of failing at once
# Write-ahead log, synced at checkpoints: a commit costs microseconds instead of the rollback
# journal's ~7 ms of fsyncs each, readers never wait for a writer, and a
# crash of the app loses nothing; only a power cut may lose the last moments' commits.
SQLITE_PRAGMAS = ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL")


def database_url(config: Config) -> str:
    """`[database] url`, or the SQLite file `<[paths] var>/cargame.db` when it is empty."""
    url = str(config.get("database", "url")).strip()
    if url:
        return url
    return f"sqlite:///{config.path('var') / 'cargame.db'}"


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Per connection: SQLite ignores ON DELETE rules unless each connection asks for them.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()


def create_db_engine(url: str) -> Engine:
    """An engine for `url`; for a SQLite file, its folder is created, foreign keys enforced and
    the write-ahead log used (`SQLITE_PRAGMAS`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
    event.listen(engine, "connect", _set_sqlite_pragmas)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (pages render them after the session)."""
    return sessionmaker(engine, expire_on_commit=False)


def init_database(server: Flask, config: Config) -> None:
    """Migrate the accounts database to the latest schema and keep its sessions on `server`."""
    from cargame.accounts import migrations  # it builds its engine with this module

    url = database_url(config)
    migrations.upgrade(url)
    server.extensions[EXTENSION] = session_factory(create_db_engine(url))


def db_session() -> Session:
    """A new database session of the current app; use it as `with db_session() as session:`."""
    factory: sessionmaker[Session] = current_app.extensions[EXTENSION]
    return factory()
