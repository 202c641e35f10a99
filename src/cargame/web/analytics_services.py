"""What the analytics pages ask for: filter choices and one view's figures, from the database.

Each call opens its own database session; a database failure becomes RecordsUnavailable, which
the pages show as a notice. Filter values from the browser are parsed here (FilterError).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from cargame.accounts import game_log
from cargame.accounts.db import db_session
from cargame.analytics.filters import FilterError, Filters
from cargame.analytics.options import FilterOptions, filter_options
from cargame.web.runtime import runtime
from cargame.web.services import RECORDS_UNAVAILABLE, RecordsUnavailable

logger = logging.getLogger(__name__)

Result = TypeVar("Result")
ANALYTICS_WORK_MEM = "64MB"  # per sort or hash of one analyst's query; the default is 4 MB

__all__ = [
    "FilterError",
    "Filters",
    "RecordsUnavailable",
    "abandon_stale_games",
    "filters_from",
    "options",
    "view",
]


def filters_from(*values: object) -> Filters:
    """The filter bar's (start, end, modes, versions, makes, levels) as Filters; raises
    FilterError."""
    return Filters.from_values(*values)


def abandon_stale_games() -> None:
    """Mark games still open after a session's lifetime "abandoned" before counting them."""
    ttl = timedelta(seconds=int(runtime().config.get("web", "session_ttl_seconds")))
    view(lambda session, _filters: game_log.abandon_stale(session, ttl), Filters())


def _tune(session: Session) -> None:
    """PostgreSQL: sort and hash the big GROUP BYs in memory, and skip JIT compilation, which
    costs more than it saves on these one-off queries (bench/README.md, analytics)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{ANALYTICS_WORK_MEM}'"))
        session.execute(text("SET LOCAL jit = off"))


def options() -> FilterOptions:
    """The choices the filter bar offers."""
    return view(lambda session, _filters: filter_options(session), Filters())


def view(query: Callable[..., Result], filters: Filters, *args: Any, **kwargs: Any) -> Result:
    """`query(session, filters, ...)` in a fresh database session."""
    try:
        with db_session() as database:
            _tune(database)
            return query(database, filters, *args, **kwargs)
    except SQLAlchemyError as error:
        logger.exception("database unavailable for analytics")
        raise RecordsUnavailable(RECORDS_UNAVAILABLE) from error
