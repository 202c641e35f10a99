"""Photos and heatmaps by opaque, per-game URL: `/media/<token>`, never a file name or image id.

A fresh random token per photo per game means a player cannot collect id-to-answer pairs across
games. Tokens live in a Flask-Caching `Cache` (or anything with get/set and a timeout), so every
web worker that shares the cache can serve them.
"""

from __future__ import annotations

import mimetypes
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from flask import Blueprint, Response, abort

DEFAULT_TTL_SECONDS = 6 * 60 * 60  # a game takes minutes; a finished game may be reviewed a while
TOKEN_BYTES = 24  # 192 random bits: not guessable, 32 URL-safe characters
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,128}")
KEY_PREFIX = "cargame-media:"
URL_PREFIX = "/media"
PNG_TYPE = "image/png"


class CacheLike(Protocol):
    """The part of a Flask-Caching `Cache` the store uses."""

    def get(self, key: str) -> Any: ...

    def set(self, key: str, value: Any, timeout: int | None = None) -> Any: ...


class MediaItem(NamedTuple):
    """What a token stands for: ("image", catalog file path) or ("png", the PNG bytes)."""

    kind: str
    value: str | bytes


class MediaStore:
    """Maps opaque tokens to catalog photos and heatmap PNGs, for a limited time."""

    def __init__(self, cache: CacheLike, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> None:
        self.cache = cache
        self.ttl_seconds = ttl_seconds

    def add_image(self, path: Path | str) -> str:
        """A new token for a photo file (the file is read when the browser asks)."""
        return self._add(MediaItem("image", str(path)))

    def add_png(self, data: bytes) -> str:
        """A new token for PNG bytes, e.g. a heatmap overlay."""
        return self._add(MediaItem("png", bytes(data)))

    def get(self, token: str) -> MediaItem | None:
        """The item behind a token, or None when unknown, expired or malformed."""
        if not TOKEN_PATTERN.fullmatch(token):
            return None
        stored = self.cache.get(KEY_PREFIX + token)
        return MediaItem(*stored) if stored else None

    def _add(self, item: MediaItem) -> str:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        self.cache.set(KEY_PREFIX + token, tuple(item), timeout=self.ttl_seconds)
        return token


def media_url(token: str, prefix: str = URL_PREFIX) -> str:
    """The browser URL of a token."""
    return f"{prefix.rstrip('/')}/{token}"


def media_blueprint(
    store_getter: Callable[[], MediaStore], url_prefix: str = URL_PREFIX
) -> Blueprint:
    """A blueprint serving `GET <url_prefix>/<token>` from the store `store_getter()` returns."""
    blueprint = Blueprint("cargame_media", __name__, url_prefix=url_prefix)

    @blueprint.get("/<token>")
    def serve(token: str) -> Response:
        store = store_getter()
        item = store.get(token)
        if item is None:
            abort(404)
        body, mimetype = _load(item)
        response = Response(body, mimetype=mimetype)
        response.headers["Cache-Control"] = f"private, max-age={store.ttl_seconds}"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    return blueprint


def _load(item: MediaItem) -> tuple[bytes, str]:
    """The bytes and content type; no ETag or Last-Modified, which would identify the file."""
    if item.kind == "png" and isinstance(item.value, bytes):
        return item.value, PNG_TYPE
    if item.kind == "image" and isinstance(item.value, str):
        mimetype, _ = mimetypes.guess_type(item.value)
        if not mimetype or not mimetype.startswith("image/"):
            abort(404)
        try:
            return Path(item.value).read_bytes(), mimetype
        except OSError:
            abort(404)
    abort(404)
