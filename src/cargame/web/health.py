"""`GET /healthz`: can this web process serve a game? For load balancers and container checks.

Answered by a thin WSGI layer in front of the Flask app, so a check opens and saves no session:
the session store may be the very part that is down, and a poller is no visitor. Cheap on
purpose: one `SELECT 1` on the app's own database pool, one Redis `PING` (or a look at
the session folder), one model-status request per opponent level's servable, run side by side
and bounded by `CHECK_SECONDS` all together. 200 with `{"status": "ok", ...}` when every check
passes, else 503 naming the failing checks. The body holds no addresses, names or error texts
(those go to the log): anyone who can reach the route learns only which part is down.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import aiohttp
import redis
from flask import Flask
from sqlalchemy import text
from werkzeug import Request, Response

from cargame.accounts.db import db_session
from cargame.clients import serving
from cargame.web.runtime import WebRuntime, runtime_of

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

logger = logging.getLogger(__name__)

CHECK_SECONDS = 3.0  # all checks together; a container check runs every 10 s with a 5 s timeout
SERVICE_SECONDS = 2.0  # each network call inside a check
OK = "ok"
FAILING = "failing"
TIMED_OUT = "timeout"
PATH = "/healthz"


def check_database() -> None:
    """One `SELECT 1` through the app's own pool (what a finished game is saved with)."""
    with db_session() as session:
        session.execute(text("SELECT 1"))


def check_sessions(current: WebRuntime) -> None:
    """The session backend answers: Redis `PING`, or the session folder is writable."""
    config = current.config
    if config.get("web", "session_backend") != "redis":
        folder = config.path("cache")
        if not (folder.is_dir() and os.access(folder, os.W_OK)):
            raise OSError("the session folder is missing or read-only")
        return
    client = redis.Redis.from_url(
        str(config.get("web", "redis_url")),
        socket_timeout=SERVICE_SECONDS,
        socket_connect_timeout=SERVICE_SECONDS,
    )
    try:
        client.ping()
    finally:
        client.close()


def check_serving(current: WebRuntime) -> None:
    """Every opponent level's servable has an AVAILABLE version (`GET /v1/models/<name>`)."""
    settings = current.settings
    names = [level.servable for level in settings.levels.levels] if settings.levels else []
    asyncio.run(_model_versions(settings.serving_url, names or [settings.model_name]))


async def _model_versions(base_url: str, names: list[str]) -> None:
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(
            *(
                serving.model_version(session, base_url, name, timeout=SERVICE_SECONDS)
                for name in names
            )
        )


def run_checks(app: Flask, checks: dict[str, Callable[[], None]]) -> dict[str, str]:
    """Each check's outcome (ok, failing, timeout), all run at once within `CHECK_SECONDS`."""
    pool = concurrent.futures.ThreadPoolExecutor(len(checks), thread_name_prefix="healthz")
    futures = {name: pool.submit(_in_app, app, check) for name, check in checks.items()}
    concurrent.futures.wait(futures.values(), timeout=CHECK_SECONDS)
    # A hung check keeps its thread until its own timeout; the answer does not wait for it.
    pool.shutdown(wait=False, cancel_futures=True)
    return {name: _outcome(name, future) for name, future in futures.items()}


def _in_app(app: Flask, check: Callable[[], None]) -> None:
    with app.app_context():
        check()


def _outcome(name: str, future: concurrent.futures.Future[None]) -> str:
    if not future.done():
        logger.warning("health check %s took longer than %s s", name, CHECK_SECONDS)
        return TIMED_OUT
    error = future.exception()
    if error is not None:
        logger.warning("health check %s failed: %r", name, error)
        return FAILING
    return OK


def health(app: Flask) -> tuple[int, dict[str, object]]:
    """The status code and body: 200 when every check passes, else 503."""
    current = runtime_of(app)
    checks = run_checks(
        app,
        {
            "database": check_database,
            "sessions": lambda: check_sessions(current),
            "serving": lambda: check_serving(current),
        },
    )
    healthy = all(outcome == OK for outcome in checks.values())
    return (200 if healthy else 503), {"status": OK if healthy else "unavailable", "checks": checks}


class HealthEndpoint:
    """WSGI middleware: `GET /healthz` answered here, every other request passed on."""

    def __init__(self, app: Flask, wrapped: WSGIApplication) -> None:
        self.app = app
        self.wrapped = wrapped

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH:
            return self.wrapped(environ, start_response)
        if Request(environ).method not in ("GET", "HEAD"):
            response = Response(status=405, headers={"Allow": "GET, HEAD"})
        else:
            status, body = health(self.app)
            response = Response(json.dumps(body), status=status, mimetype="application/json")
        response.headers["Cache-Control"] = "no-store"
        return response(environ, start_response)


def init_app(server: Flask) -> None:
    """Serve `/healthz` on this app, ahead of its sessions and pages."""
    server.wsgi_app = HealthEndpoint(server, server.wsgi_app)  # type: ignore[method-assign]
