"""Games on the server, bound to the browser session that started them.

`Serverside` outputs put a GameData in a backend and only a pointer (`SERVERSIDE_{"backend_uid":
..., "key": ...}`) in the browser's `dcc.Store`. A dash-extensions pointer is a bearer token by
default; here every entry is stored as `(session id, game)` where the session id is a random value
in the signed Flask session, so a pointer replayed from another browser reads as None.

dash-extensions loads pointers without checking them (a malformed one raises, i.e. HTTP 500), so
`screen_pointers` runs before Dash on every callback request and swaps anything that is not a
well-formed pointer to this backend for `INVALID_POINTER`, which pages read as "start over".

The key of a game is its `game_id`. Every write is a compare-and-set (a diskcache transaction,
or Redis WATCH/MULTI): it is kept only if its `revision` is newer than the stored game's, from
the same session. Two lock-ins of one round (double click, two tabs, two workers) therefore
cannot both count, and an older copy cannot bring back a round whose answer was shown.
"""

from __future__ import annotations

import hmac
import json
import logging
import pickle
import re
import secrets
from collections.abc import Callable
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
POINTER_PREFIX = ServersideOutputTransform.prefix  # "SERVERSIDE_"
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")  # game ids are 32 hex digits
MAX_POINTER_CHARS = 512  # a real pointer is ~70 characters; refuse to parse anything huge
INVALID_POINTER = "invalid-pointer"  # what a forged pointer becomes: "that game has expired"
REDIS_PREFIX = "cargame:"
DISK_FOLDERS = {"game": "sessions"}  # the game folder's name since the first release
EXTENSION = "cargame.state"
UPDATE_COMPONENT_PATH = "/_dash-update-component"
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


Accept = Callable[[bytes | None], bool]


class Storage(Protocol):
    """Bytes by key with an expiry; diskcache and Redis implement it."""

    def read(self, key: str) -> bytes | None: ...

    def write(self, key: str, payload: bytes, ttl_seconds: int) -> None: ...

    def swap(self, key: str, payload: bytes, ttl_seconds: int, accept: Accept) -> bytes | None:
        """Atomically: write `payload` if `accept(current)`; return what is stored afterwards."""
        ...


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

    def swap(self, key: str, payload: bytes, ttl_seconds: int, accept: Accept) -> bytes | None:
        # One SQLite transaction: other threads and processes wait for it.
        with self._cache.transact():
            current = self.read(key)
            if not accept(current):
                return current
            self._cache.set(key, payload, expire=ttl_seconds)
            return payload

    def close(self) -> None:
        self._cache.close()


class RedisStorage:
    """Redis, shared by every web worker and container of the scaled deployment."""

    def __init__(self, url: str, prefix: str = REDIS_PREFIX + "game:") -> None:
        self.prefix = prefix
        self._client = redis.Redis.from_url(url)

    def read(self, key: str) -> bytes | None:
        payload = self._client.get(self.prefix + key)
        return payload if isinstance(payload, bytes) else None

    def write(self, key: str, payload: bytes, ttl_seconds: int) -> None:
        self._client.set(self.prefix + key, payload, ex=ttl_seconds)

    def swap(self, key: str, payload: bytes, ttl_seconds: int, accept: Accept) -> bytes | None:
        name = self.prefix + key

        def attempt(pipe: redis.client.Pipeline) -> bytes | None:
            current = pipe.get(name)  # WATCHed: a write by anyone else makes EXEC retry
            current = current if isinstance(current, bytes) else None
            if not accept(current):
                return current
            pipe.multi()
            pipe.set(name, payload, ex=ttl_seconds)
            return payload

        return self._client.transaction(attempt, name, value_from_callable=True)

    def close(self) -> None:
        self._client.close()


def create_storage(config: Config, namespace: str = "game") -> Storage:
    """Redis keys `cargame:<namespace>:` when `[web] session_backend = "redis"`, else a diskcache
    folder under `[paths] cache` (games in `sessions/`, anything else in `<namespace>/`)."""
    kind = str(config.get("web", "session_backend"))
    if kind == "redis":
        return RedisStorage(str(config.get("web", "redis_url")), f"{REDIS_PREFIX}{namespace}:")
    if kind == "diskcache":
        return DiskStorage(config.path("cache") / DISK_FOLDERS.get(namespace, namespace))
    raise ValueError(f'[web] session_backend must be "diskcache" or "redis", not {kind!r}')


class SessionBoundBackend(ServersideBackend):
    """A Serverside backend whose entries only the writing session can read back."""

    def __init__(self, storage: Storage, ttl_seconds: int) -> None:
        self.storage = storage
        self.ttl_seconds = ttl_seconds

    @property
    def uid(self) -> str:
        return BACKEND_UID

    def set(self, key: str, value: Any) -> None:
        """Store `value` unless the stored one is as new or newer (see `commit`)."""
        self.commit(key, value)

    def commit(self, key: str, value: Any) -> Any:
        """Compare-and-set: store `value` only if it is newer than this session's stored value
        (a GameData's `revision`) and no other session owns the key. Returns the value stored
        afterwards: `value`, or the one that got there first."""
        if not KEY_PATTERN.fullmatch(key):
            raise ValueError(f"not a valid state key: {key!r}")
        owner = session_id(create=True)
        payload = pickle.dumps((owner, value), protocol=pickle.HIGHEST_PROTOCOL)

        def newer(current: bytes | None) -> bool:
            if current is None:
                return True
            stored_owner, stored = self._unpickle(key, current)
            if stored_owner != owner:
                return False
            return getattr(value, "revision", 1) > getattr(stored, "revision", 0)

        stored = self.storage.swap(key, payload, self.ttl_seconds, newer)
        if stored is payload or stored is None:
            return value
        stored_owner, stored_value = self._unpickle(key, stored)
        return stored_value if stored_owner == owner else None  # never another session's game

    def _unpickle(self, key: str, payload: bytes) -> tuple[object, Any]:
        try:
            owner, value = pickle.loads(payload)
        except Exception:  # a truncated or foreign entry must not take the page down
            logger.warning("unreadable state entry %s", key, exc_info=True)
            return None, None
        return owner, value

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
        owner, value = self._unpickle(key, payload)
        current = session_id(create=False)
        if not isinstance(owner, str) or current is None:
            return None
        if not hmac.compare_digest(owner.encode(), current.encode()):
            return None
        return value

    def has(self, key: object) -> bool:
        return self.get(key) is not None


def pointer_key(data: object) -> str | None:
    """The game key inside a well-formed pointer to this backend, else None."""
    if not isinstance(data, str) or not data.startswith(POINTER_PREFIX):
        return None
    if len(data) > MAX_POINTER_CHARS:
        return None
    try:
        pointer = json.loads(data[len(POINTER_PREFIX) :])
    except (ValueError, RecursionError):
        return None
    if not isinstance(pointer, dict) or set(pointer) != {"backend_uid", "key"}:
        return None
    key = pointer["key"]
    if pointer["backend_uid"] != BACKEND_UID or not isinstance(key, str):
        return None
    return key if KEY_PATTERN.fullmatch(key) else None


def screened(value: object) -> object:
    """A callback argument with every malformed pointer in it replaced by `INVALID_POINTER`."""
    if isinstance(value, str):
        if value.startswith(POINTER_PREFIX) and pointer_key(value) is None:
            return INVALID_POINTER
        return value
    if isinstance(value, list):
        return [screened(item) for item in value]
    if isinstance(value, dict) and "value" in value:  # one input/state entry: {id, property, value}
        return {**value, "value": screened(value["value"])}
    return value


def screen_pointers() -> None:
    """Before Dash runs a callback: no malformed pointer reaches the Serverside transform.

    `get_json()` caches the parsed body, and Dash reads the same object, so editing it in place
    is what Dash sees.
    """
    if request.method != "POST" or not request.path.endswith(UPDATE_COMPONENT_PATH):
        return
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return
    for part in ("inputs", "state"):
        if isinstance(body.get(part), list):
            body[part] = screened(body[part])


def create_transform(backend: SessionBoundBackend) -> ServersideOutputTransform:
    """The stock Serverside transform, writing to and reading from the session-bound backend."""
    return ServersideOutputTransform(backends=[backend])


def init_app(server: Flask, config: Config) -> SessionBoundBackend:
    """Set up the app's game backend (`games()`), pointer screening and early session ids."""
    backend = SessionBoundBackend(
        create_storage(config), int(config.get("web", "session_ttl_seconds"))
    )
    server.extensions[EXTENSION] = backend
    # Creating the id on the first page load, not in the first callback, avoids two parallel
    # callbacks each minting a different id for a brand-new browser.
    server.before_request(_ensure_session_id)
    server.before_request(screen_pointers)
    return backend


def games() -> SessionBoundBackend:
    """The current app's game backend."""
    return current_app.extensions[EXTENSION]


def _ensure_session_id() -> None:
    # Static files have a null session (accounts.sessions.RevocableSessions): nothing to create.
    if not current_app.session_interface.is_null_session(session):
        session_id(create=True)


def commit(game: GameData) -> GameData:
    """Save a changed game now, compare-and-set; returns the game that is stored afterwards,
    which is the first writer's when two changes of the same revision race."""
    stored = games().commit(game.game_id, game)
    return stored if isinstance(stored, GameData) else game


def pointer(game: GameData) -> Serverside[GameData]:
    """The Serverside output for a game: stored under its game id in the session backend."""
    return Serverside(game, key=game.game_id, backend=BACKEND_UID)


def as_game(value: object) -> GameData | None:
    """The value as a GameData, or None (no game, or something forged into the store)."""
    return value if isinstance(value, GameData) else None


def load_game(data: object) -> GameData | None:
    """The game behind a raw store value, for code outside callbacks (page layouts)."""
    key = pointer_key(data)
    return None if key is None else as_game(games().get(key))
