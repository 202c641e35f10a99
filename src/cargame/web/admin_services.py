"""What the /admin page shows: the accounts, the served model versions and the catalog in use.

Every read happens here and each failure becomes something to show, never a 500: the database
(RecordsUnavailable), TF Serving (`ModelStatus.problem`) and the catalog (`CatalogSummary`
None). The page only renders what comes back.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import SQLAlchemyError

from cargame.accounts import admin
from cargame.accounts.db import db_session
from cargame.clients import model_path, request_json
from cargame.clients.serving import ServingError
from cargame.domain.catalog import SPLITS, CatalogError
from cargame.web.runtime import runtime
from cargame.web.services import RECORDS_UNAVAILABLE, RecordsUnavailable

logger = logging.getLogger(__name__)

STATUS_TIMEOUT_SECONDS = 5.0  # an admin page waits no longer than this for TF Serving's status

__all__ = [
    "CatalogSummary",
    "ModelStatus",
    "RecordsUnavailable",
    "catalog_summary",
    "model_status",
    "model_statuses",
    "users",
]


@dataclass(frozen=True)
class ModelStatus:
    """TF Serving's view of the configured model: (version, state) pairs, or why there are none."""

    url: str
    model_name: str
    versions: list[tuple[str, str]]
    problem: str | None = None
    level: str | None = None  # the opponent level this servable plays ("Rookie"), if any


@dataclass(frozen=True)
class CatalogSummary:
    """The catalog in use: its name, root folder, images per split and number of classes."""

    name: str
    root: Path
    images_per_split: dict[str, int]
    classes: int


def users() -> tuple[list[admin.UserRow], str]:
    """Every account, and the CSRF token the role forms carry (RecordsUnavailable on failure)."""
    try:
        with db_session() as database:
            rows = admin.user_rows(database)
    except SQLAlchemyError as error:
        logger.exception("database unavailable for the admin page")
        raise RecordsUnavailable(RECORDS_UNAVAILABLE) from error
    return rows, generate_csrf()


def model_statuses() -> list[ModelStatus]:
    """Every opponent level's servable as TF Serving reports it, strongest first."""
    settings = runtime().settings
    if settings.levels is None:
        return [model_status(settings.model_name)]
    ordered = sorted(settings.levels.levels, key=lambda level: not level.full_strength)
    return [model_status(level.servable, level.title) for level in ordered]


def model_status(name: str, level: str | None = None) -> ModelStatus:
    """Every version TF Serving reports for the servable `name`, with its state."""
    settings = runtime().settings
    url = settings.serving_url
    timeout = min(settings.serving_timeout, STATUS_TIMEOUT_SECONDS)
    try:
        body = asyncio.run(_fetch_status(url, name, timeout))
        versions = [
            (str(status["version"]), str(status.get("state", "UNKNOWN")))
            for status in body["model_version_status"]
        ]
    except ServingError as error:
        logger.warning("model status unavailable: %s", error)
        problem = "The model server is unreachable right now, or does not serve this model."
        return ModelStatus(url, name, [], problem, level)
    except (KeyError, TypeError) as error:
        logger.warning("malformed model status from %s: %r", url, error)
        problem = "The model server sent a status this page cannot read."
        return ModelStatus(url, name, [], problem, level)
    return ModelStatus(url, name, sorted(versions, key=_version_order), None, level)


async def _fetch_status(base_url: str, model_name: str, timeout: float) -> dict[str, object]:
    async with aiohttp.ClientSession() as session:
        url = model_path(base_url, model_name, None)
        return await request_json(session, "GET", url, timeout=timeout, error_type=ServingError)


def _version_order(pair: tuple[str, str]) -> tuple[int, str]:
    # TF Serving writes versions as strings of digits; sort them as numbers, newest last.
    return (int(pair[0]) if pair[0].isdigit() else -1, pair[0])


def catalog_summary() -> CatalogSummary | None:
    """The catalog the games draw from, or None when there is none (or it cannot be read)."""
    try:
        catalog = runtime().shelf.catalog()
    except CatalogError as error:
        logger.warning("no catalog for the admin page: %s", error)
        return None
    counts = catalog.counts()
    per_split = {split: sum(counts[split].values()) for split in SPLITS}
    return CatalogSummary(catalog.name, catalog.root, per_split, len(catalog.labels))
