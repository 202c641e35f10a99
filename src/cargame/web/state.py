"""Games on the server, bound to the browser session that started them.

`Serverside` outputs put a GameData in a backend and only a pointer (`SERVERSIDE_{"backend_uid":
..., "key": ...}`) in the browser's `dcc.Store`. A dash-extensions pointer is a bearer token by
default; here every entry is stored as `(session id, game)` where the session id is a random value
in the signed Flask session cookie, so a pointer replayed from another browser reads as None.
Forged, malformed and expired pointers also read as None: the page says "start over", never 500.

The key of a game is its `game_id`, so each write replaces the previous state of the same game:
an older copy of the pointer cannot bring back a round whose answer was already shown.
"""

from __future__ import annotations

import hmac
import json
import logging
import pickle
import re
import secrets
from pathlib import Path
from typing import Any, Protocol

import diskcache
import redis
from dash_extensions.enrich import Serverside, ServersideBackend, ServersideOutputTransform
from flask import Flask, current_app, request, session

from cargame.config import Config
from cargame.domain.game import GameData

logger = logging.getLogger(__name__)

SESSION_KEY = "cargame_sid"  # the random per-browser value inside the signed session cookie
SESSION_ID_BYTES = 32
BACKEND_UID = "game"  # short on purpose: the uid travels to the browser inside every pointer
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")  # game ids are 32 hex digits
MAX_POINTER_CHARS = 512  # a real pointer is ~70 characters; refuse to parse anything huge
REDIS_PREFIX = "cargame:game:"
EXTENSION = "cargame.state"
STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/", "/media/", "/_favicon")


def session_id(create: bool = True) -> str | None:
    """This browser's random session id, created on first use (needs a request context)."""
    value = session.get(SESSION_KEY)
    if isinstance(value, str) and value:
        return value
    if not create:
        return None
    value = secrets.token_urlsafe(SESSION_ID_BYTES)
    session[SESSION_KEY] = value
    return value


class Storage(Protocol):
    """Bytes by key with an expiry; diskcache and Redis implement it."""

    def read(self, key: str) -> bytes | None: ...

    def write(self, key: str, payload: bytes, ttl_seconds: int) -> None: ...


class DiskStorage:
    """A diskcache folder: process- and thread-safe, survives restarts of the web process."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self._cache = diskcache.Cache(str(directory))

    def read(self, key: str) -> bytes | None:
        payload = self._cache.get(key)
        return payload if isinstance(payload, bytes) else None

    def write(self, key: str, payload: bytes, ttl_seconds: int) -> None:
        self._cache.set(key, payload, expire=ttl_seconds)

    def close(self) -> None:
        self._cache.close()


class RedisStorage:
    """Redis, shared by every web worker and container of the scaled deployment."""

    def __init__(self, url: str, prefix: str = REDIS_PREFIX) -> None:
        self.prefix = prefix
        self._client = redis.Redis.from_url(url)

    def read(self, key: str) -> bytes | None:
        payload = self._client.get(self.prefix + key)
        return payload if isinstance(payload, bytes) else None

    def write(self, key: str, payload: bytes, ttl_seconds: int) -> None:
        self._client.set(self.prefix + key, payload, ex=ttl_seconds)

    def close(self) -> None:
        self._client.close()


class SessionBoundBackend(ServersideBackend):
    """A Serverside backend whose entries only the writing session can read back."""

    def __init__(self, storage: Storage, ttl_seconds: int) -> None:
        self.storage = storage
        self.ttl_seconds = ttl_seconds

    @property
    def uid(self) -> str:
        return BACKEND_UID

    def set(self, key: str, value: Any) -> None:
        if not KEY_PATTERN.fullmatch(key):
            raise ValueError(f"not a valid state key: {key!r}")
        owner = session_id(create=True)
        payload = pickle.dumps((owner, value), protocol=pickle.HIGHEST_PROTOCOL)
        self.storage.write(key, payload, self.ttl_seconds)

    def get(self, key: object, ignore_expired: bool = False) -> Any:
        """The value, or None when the key is unknown, expired, malformed or another session's.

        `ignore_expired` is accepted for the dash-extensions interface and ignored: an expired
        game is gone, and the player starts over.
        """
        if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
            return None
        payload = self.storage.read(key)
        if payload is None:
            return None
        try:
            owner, value = pickle.loads(payload)
        except Exception:  # a truncated or foreign entry must not take the page down
            logger.warning("unreadable state entry %s", key, exc_info=True)
            return None
        current = session_id(create=False)
        if not isinstance(owner, str) or current is None:
            return None
        if not hmac.compare_digest(owner.encode(), current.encode()):
            return None
        return value

    def has(self, key: object) -> bool:
        return self.get(key) is not None


class SessionServersideTransform(ServersideOutputTransform):
    """ServersideOutputTransform that reads a bad pointer as None instead of raising."""

    def _try_load(self, data: Any, ann: Any = None) -> Any:
        if not isinstance(data, str) or not data.startswith(self.prefix):
            return data
        return self.resolve(data)

    def resolve(self, data: str) -> Any:
        """The value behind a pointer string, or None for anything not honoured."""
        if len(data) > MAX_POINTER_CHARS:
            return None
        try:
            pointer = json.loads(data[len(self.prefix) :])
        except (ValueError, RecursionError):
            return None
        if not isinstance(pointer, dict):
            return None
        backend = self._backend_registry.get(str(pointer.get("backend_uid")))
        if backend is None:
            return None
        return backend.get(pointer.get("key"))


def create_storage(config: Config) -> Storage:
    """diskcache under `[paths] cache`/sessions, or Redis when `[web] session_backend = "redis"`."""
    kind = str(config.get("web", "session_backend"))
    if kind == "redis":
        return RedisStorage(str(config.get("web", "redis_url")))
    if kind == "diskcache":
        return DiskStorage(config.path("cache") / "sessions")
    raise ValueError(f'[web] session_backend must be "diskcache" or "redis", not {kind!r}')


def create_transform(config: Config) -> SessionServersideTransform:
    """The Serverside transform with the session-bound backend the config asks for."""
    backend = SessionBoundBackend(
        create_storage(config), int(config.get("web", "session_ttl_seconds"))
    )
    return SessionServersideTransform(backends=[backend])


def init_app(server: Flask, transform: SessionServersideTransform) -> None:
    """Make the transform reachable from layouts (`load_game`) and create session ids early."""
    server.extensions[EXTENSION] = transform
    # Creating the id on the first page load, not in the first callback, avoids two parallel
    # callbacks each minting a different id for a brand-new browser.
    server.before_request(_ensure_session_id)


def _ensure_session_id() -> None:
    # Static files need no session; touching it would add Set-Cookie and Vary: Cookie.
    if not request.path.startswith(STATIC_PREFIXES):
        session_id(create=True)


def pointer(game: GameData) -> Serverside[GameData]:
    """The Serverside output for a game: stored under its game id in the session backend."""
    return Serverside(game, key=game.game_id, backend=BACKEND_UID)


def as_game(value: object) -> GameData | None:
    """The value as a GameData, or None (no game, or something forged into the store)."""
    return value if isinstance(value, GameData) else None


def load_game(data: object) -> GameData | None:
    """The game behind a raw store value, for code outside callbacks (page layouts)."""
    transform: SessionServersideTransform = current_app.extensions[EXTENSION]
    if not isinstance(data, str) or not data.startswith(transform.prefix):
        return None
    return as_game(transform.resolve(data))
