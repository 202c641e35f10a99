"""Fixtures for the real PostgreSQL and Redis services; shared fixtures come from plugins."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from support import require_service

# Fixtures every test folder may use: the tiny exported model and tiny catalogs (support_models);
# the fake model services, the web config and dash_client (support_web); Chromium options for
# dash_duo (browser).
pytest_plugins = ["support_models", "support_web", "browser"]


@pytest.fixture
def postgres_url() -> str:
    """URL of the real PostgreSQL test database."""
    require_service("127.0.0.1", 5432, "PostgreSQL")
    return os.environ.get(
        "CARGAME_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )


@pytest.fixture
def redis_url() -> str:
    """URL of the real Redis (database 15, flushed by the tests that use it)."""
    require_service("127.0.0.1", 6379, "Redis")
    return os.environ.get("CARGAME_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def postgres_schema_url(postgres_url: str) -> Iterator[str]:
    """A fresh, empty schema in the test database, dropped afterwards so reruns start clean."""
    schema = f"accounts_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
