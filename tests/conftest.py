"""Shared test helpers: the optional ../shared data and the real PostgreSQL / Redis services."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
REQUIRE_SERVICES = os.environ.get("CARGAME_REQUIRE_SERVICES") == "1"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test when it is absent."""
    path = SHARED_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"internal test data not available: {path}")
    return path


def require_service(host: str, port: int, name: str) -> None:
    """Skip (or fail, with CARGAME_REQUIRE_SERVICES=1) when a service is not listening."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return
    except OSError as error:
        message = f"{name} not reachable at {host}:{port}: {error}"
        if REQUIRE_SERVICES:
            pytest.fail(message + " (CARGAME_REQUIRE_SERVICES=1)")
        pytest.skip(message)


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
