"""The Alembic migrations build exactly the models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from cargame.accounts import migrations
from cargame.accounts.db import create_db_engine, database_url
from cargame.accounts.models import Base
from cargame.config import Config

TABLES = {"users", "games", "rounds", "booth_names"}


def _tables_and_revision(url: str) -> tuple[set[str], str | None]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names()) - {"alembic_version"}
            revision = MigrationContext.configure(connection).get_current_revision()
            return tables, revision
    finally:
        engine.dispose()


def test_upgrade_builds_the_models_schema(database_url: str) -> None:
    migrations.upgrade(database_url)
    migrations.upgrade(database_url)  # start-up runs it every time: the second run is a no-op

    head = ScriptDirectory.from_config(migrations.alembic_config()).get_current_head()
    assert _tables_and_revision(database_url) == (TABLES, head)
    engine = create_db_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_downgrade_removes_everything_and_upgrade_restores_it(database_url: str) -> None:
    migrations.upgrade(database_url)
    migrations.downgrade(database_url, "base")
    assert _tables_and_revision(database_url) == (set(), None)
    migrations.upgrade(database_url)
    assert _tables_and_revision(database_url)[0] == TABLES


def test_migrations_have_a_single_head() -> None:
    scripts = ScriptDirectory.from_config(migrations.alembic_config())
    assert len(scripts.get_heads()) == 1


def test_workers_starting_together_both_migrate(postgres_schema_url: str) -> None:
    errors: list[BaseException] = []

    def start_worker() -> None:
        try:
            migrations.upgrade(postgres_schema_url)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    workers = [threading.Thread(target=start_worker) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not any(worker.is_alive() for worker in workers), "a migrating worker hung"
    assert errors == []
    assert _tables_and_revision(postgres_schema_url)[0] == TABLES


def test_default_database_is_a_sqlite_file_in_var(config: Config, tmp_path: Path) -> None:
    url = database_url(config.with_overrides({"database": {"url": ""}}))
    assert url == f"sqlite:///{tmp_path / 'var' / 'cargame.db'}"
    migrations.upgrade(url)  # creates the var folder too
    assert (tmp_path / "var" / "cargame.db").is_file()


def test_the_sqlite_file_writes_ahead_and_enforces_foreign_keys(tmp_path: Path) -> None:
    """WAL with NORMAL sync: a commit (three per game start) costs no fsync of its own."""
    engine = create_db_engine(f"sqlite:///{tmp_path / 'cargame.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_finished_games_keep_their_facts_across_the_analytics_migration(database_url: str) -> None:
    """A database from before 0003 (finished games only): its games become "finished" with
    their round counts, and its rounds get makes, the AI's answer, confidence and top-5 hit."""
    migrations.upgrade(database_url, "0002")
    engine = create_db_engine(database_url)
    top5 = '[{"label": "BMW/M3", "probability": 0.7}, {"label": "Audi/A4", "probability": 0.2}]'
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO games (id, mode, model_name, model_version, started_at, finished_at,"
                " player_score, ai_score, winner) VALUES ('g1', 'solo', 'cars', 3,"
                " '2026-11-30 10:00:00', '2026-11-30 10:02:00', 2, 0, 'player')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO rounds (game_id, round_number, image_id, truth, guess, ai_top5,"
                " player_points, ai_points, seconds, heatmap_shown)"
                f" VALUES ('g1', 1, 'img', 'Audi/A4', 'Audi/A4', '{top5}', 2, 0, 3.5, true)"
            )
        )
    migrations.upgrade(database_url)
    with engine.connect() as connection:
        game = connection.execute(
            text(
                "SELECT status, rounds_played, rounds_total, kept_by_guest,"
                " human_exact, human_make, ai_exact, ai_make FROM games"
            )
        ).one()
        assert tuple(game) == ("finished", 1, 1, False, 1, 1, 0, 0)
        row = connection.execute(
            text(
                "SELECT truth_make, guess_make, ai_guess, ai_make, ai_confidence, ai_top5_hit,"
                " truth_heatmap_shown FROM rounds"
            )
        ).one()
        assert tuple(row) == ("Audi", "Audi", "BMW/M3", "BMW", 0.7, True, False)
    engine.dispose()


def test_rounds_get_their_games_mode_version_and_day_in_the_filters_migration(
    database_url: str,
) -> None:
    """Rounds stored before 0004 copy their game's mode, model version (unknown stays unknown)
    and start day, as the analytics filters now read them."""
    migrations.upgrade(database_url, "0003")
    engine = create_db_engine(database_url)
    games = [("late", "booth", 2, "2026-11-30 23:59:59"), ("early", "solo", None, "2026-12-01")]
    with engine.begin() as connection:
        for game_id, mode, version, started_at in games:
            connection.execute(
                text(
                    "INSERT INTO games (id, mode, model_name, model_version, started_at,"
                    " player_score, ai_score) VALUES (:id, :mode, 'cars', :version,"
                    " :started_at, 0, 0)"
                ),
                {"id": game_id, "mode": mode, "version": version, "started_at": started_at},
            )
            for number in (1, 2):
                connection.execute(
                    text(
                        "INSERT INTO rounds (game_id, round_number, image_id, truth, ai_top5,"
                        " player_points, ai_points, heatmap_shown) VALUES (:id, :number, 'img',"
                        " 'Audi/A4', '[]', 0, 0, false)"
                    ),
                    {"id": game_id, "number": number},
                )
    migrations.upgrade(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT game_id, mode, model_version, game_day FROM rounds"
                " ORDER BY game_id, round_number"
            )
        ).all()
    engine.dispose()
    days = [str(row[3]) for row in rows]  # a date on PostgreSQL, ISO text on SQLite
    assert [tuple(row[:3]) for row in rows] == [
        ("early", "solo", None),
        ("early", "solo", None),
        ("late", "booth", 2),
        ("late", "booth", 2),
    ]
    assert days == ["2026-12-01", "2026-12-01", "2026-11-30", "2026-11-30"]


def test_games_from_before_the_levels_were_played_against_the_expert(database_url: str) -> None:
    """Migration 0006 adds games.level; games recorded before it played the trained model itself,
    the "expert" level. Downgrading drops the column and keeps the games."""
    migrations.upgrade(database_url, "0005")
    engine = create_db_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO games (id, mode, model_name, model_version, started_at,"
                " player_score, ai_score) VALUES ('old', 'solo', 'cars', 3,"
                " '2026-12-01 10:00:00', 0, 0)"
            )
        )
    migrations.upgrade(database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO games (id, mode, model_name, level, started_at, player_score,"
                " ai_score) VALUES ('new', 'solo', 'cars-rookie', 'rookie', '2026-12-07', 0, 0)"
            )
        )
        rows = connection.execute(text("SELECT id, level FROM games ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [("new", "rookie"), ("old", "expert")]
    migrations.downgrade(database_url, "0005")
    with engine.connect() as connection:
        columns = {column["name"] for column in inspect(connection).get_columns("games")}
        count = connection.execute(text("SELECT count(*) FROM games")).scalar_one()
    engine.dispose()
    assert "level" not in columns and count == 2


def test_rounds_carry_their_games_level(database_url: str) -> None:
    """Migration 0007 copies each game's level onto its rounds; new rounds get it on insert.
    The levels are separate servables whose version numbers coincide, so analytics must be able
    to tell them apart from the rounds alone."""
    migrations.upgrade(database_url, "0006")
    engine = create_db_engine(database_url)
    insert_game = (
        "INSERT INTO games (id, mode, model_name, level, model_version, started_at,"
        " player_score, ai_score) VALUES (:id, 'solo', :servable, :level, 1, '2026-12-01', 0, 0)"
    )
    insert_round = (
        "INSERT INTO rounds (game_id, round_number, image_id, truth, truth_make, ai_top5,"
        " ai_top5_hit, player_points, ai_points, heatmap_shown, truth_heatmap_shown,"
        " after_truth_heatmap, mode, model_version, game_day) VALUES (:id, 1, 'i', 'Audi/A4',"
        " 'Audi', '[]', false, 0, 0, false, false, false, 'solo', 1, '2026-12-01')"
    )
    with engine.begin() as connection:
        for game, servable, level in (("r", "cars-rookie", "rookie"), ("x", "cars", "expert")):
            facts = {"id": game, "servable": servable, "level": level}
            connection.execute(text(insert_game), facts)
            connection.execute(text(insert_round), {"id": game})
    migrations.upgrade(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT game_id, level FROM rounds ORDER BY game_id"))
        assert [tuple(row) for row in rows] == [("r", "rookie"), ("x", "expert")]
    migrations.downgrade(database_url, "0006")
    with engine.connect() as connection:
        columns = {column["name"] for column in inspect(connection).get_columns("rounds")}
        count = connection.execute(text("SELECT count(*) FROM rounds")).scalar_one()
    engine.dispose()
    assert "level" not in columns and count == 2
