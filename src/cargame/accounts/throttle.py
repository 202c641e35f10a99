"""Slow down password guessing with Flask-Limiter, without letting anyone lock out an owner.

Every sign-in attempt counts, in moving windows that grow: a few quick retries are fine, a
guesser waits a minute, then a quarter of an hour, then an hour. Attempts are counted before the
password is checked (one atomic hit), so a burst of parallel guesses cannot slip through.
Attempts count per (address, username) and, more generously, per address (a booth or an office
NAT is many people). Nothing counts per username alone, so whoever guesses someone's password
from their own address never stops the owner from signing in elsewhere. Counters live in memory
for the one-process default and in Redis, shared by every worker, when scaled.
"""

from __future__ import annotations

import time

from flask import Blueprint, Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded

from cargame.config import Config

EXTENSION = "cargame.throttle"
# Growing delays: after 5 quick failures wait a minute, after 10 a quarter of an hour, and so on.
PER_ACCOUNT_FROM_ADDRESS = "5 per minute; 10 per 15 minutes; 20 per hour; 50 per day"
PER_ADDRESS = "30 per 15 minutes; 100 per hour; 300 per day"
KEY_LENGTH = 64  # longer typed usernames are cut: no registered name is longer


def client_address() -> str:
    """The client's address as the WSGI server (and any trusted proxy) reported it."""
    return request.remote_addr or "unknown"


def account_key() -> str:
    """(address, typed username) for the per-account limit."""
    username = str(request.form.get("username", "")).strip().lower()[:KEY_LENGTH]
    return f"{client_address()}|{username}"


def init_app(server: Flask, config: Config, blueprint: Blueprint, endpoint: str) -> Limiter:
    """A limiter for this app, counting failed POSTs to the sign-in `endpoint` of `blueprint`."""
    redis_backed = config.get("web", "session_backend") == "redis"
    limiter = Limiter(
        key_func=client_address,
        storage_uri=str(config.get("web", "redis_url")) if redis_backed else "memory://",
        strategy="moving-window",
        key_prefix="cargame-throttle",
        headers_enabled=True,  # Retry-After on 429
    )
    limiter.init_app(server)
    for limits, key in ((PER_ACCOUNT_FROM_ADDRESS, account_key), (PER_ADDRESS, client_address)):
        limiter.limit(
            limits,
            key_func=key,
            methods=["POST"],
            exempt_when=lambda: request.endpoint != endpoint,
            scope="sign-in",
        )(blueprint)
    server.extensions[EXTENSION] = limiter
    return limiter


def paused_message(error: RateLimitExceeded) -> str:
    """What the sign-in page says while sign-in is paused for this address."""
    seconds = _retry_after(error)
    minutes = max(1, round(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many sign-in attempts from here. Sign-in is paused: try again in {minutes} {unit}."


def _retry_after(error: RateLimitExceeded) -> float:
    limiter: Limiter = current_app.extensions[EXTENSION]
    breached = limiter.current_limit
    if breached is None:
        return float(error.limit.limit.get_expiry())
    return max(0.0, breached.reset_at - time.time())
