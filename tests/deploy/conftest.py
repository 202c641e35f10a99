"""Fixtures for tests/deploy: the production stack (PostgreSQL + Redis) and the app served
over HTTP by waitress."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import waitress
from deploy_support import REDIS_PATTERNS

from cargame.app import create_app
from cargame.config import Config
from cargame.web.server import waitress_options


@pytest.fixture
def scaled_stack(
    make_web_config: Callable[..., Config], redis_url: str, postgres_schema_url: str
) -> Iterator[Callable[..., Config]]:
    """A config factory for PostgreSQL + Redis, as production runs; Redis keys cleaned after."""
    connection = redis.Redis.from_url(redis_url)
    before = {key for pattern in REDIS_PATTERNS for key in connection.scan_iter(pattern)}

    def build(**web: Any) -> Config:
        config = make_web_config(**{"session_backend": "redis", "redis_url": redis_url, **web})
        return config.with_overrides({"database": {"url": postgres_schema_url}})

    try:
        yield build
    finally:
        after = {key for pattern in REDIS_PATTERNS for key in connection.scan_iter(pattern)}
        if after - before:
            connection.delete(*(after - before))
        connection.close()


@pytest.fixture
def serve() -> Iterator[Callable[[Config], str]]:
    """`serve(config)`: the app under waitress on a free local port; its base URL."""
    running: list[tuple[Any, threading.Event, threading.Thread]] = []

    def start(config: Config) -> str:
        server = waitress.create_server(
            create_app(config).server,
            host="127.0.0.1",
            port=0,
            asyncore_loop_timeout=0.05,  # notice the shutdown quickly
            **waitress_options(config),
        )
        stopping = threading.Event()

        def run() -> None:
            try:
                server.run()
            except (OSError, ValueError):  # the socket closed under the loop at shutdown
                if not stopping.is_set():
                    raise

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        running.append((server, stopping, thread))
        return f"http://127.0.0.1:{server.effective_port}"

    yield start
    for server, stopping, thread in running:
        stopping.set()
        server.task_dispatcher.shutdown()
        server.close()
        thread.join(5)
