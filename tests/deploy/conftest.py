"""Fixtures for tests/deploy: the app served over HTTP by waitress (`scaled_stack`, the
PostgreSQL + Redis config factory, comes from tests/support_web.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support_web import Live

from cargame.config import Config


@pytest.fixture
def serve(live_server: Callable[[Config], Live]) -> Callable[[Config], str]:
    """`serve(config)`: the app under waitress on a free local port; its base URL."""
    return lambda config: live_server(config).url
