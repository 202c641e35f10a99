"""Photos and heatmaps by opaque, per-game URL: `/media/<token>`, never a file name or image id.

A fresh random token per photo per game means a player cannot collect id-to-answer pairs across
games. Nor can the bytes give the answer away: a photo is never sent as the catalog file (whose
hash is its image id) but re-encoded once per token, with a small random crop, scale and JPEG
quality and no metadata, so its bytes differ from the catalog and from every other game. Tokens
and the encoded photos live in a Flask-Caching `Cache` (or anything with get/set and a timeout),
so every web worker that shares the cache serves the same bytes for a token.
"""

from __future__ import annotations

import contextlib
import io
import logging
import mimetypes
import random
import re
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from flask import Blueprint, Flask, Response, abort, current_app, has_app_context
from PIL import Image, ImageOps, UnidentifiedImageError

DEFAULT_TTL_SECONDS = 6 * 60 * 60  # a game takes minutes; a finished game may be reviewed a while
TOKEN_BYTES = 24  # 192 random bits: not guessable, 32 URL-safe characters
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,128}")
KEY_PREFIX = "cargame-media:"
PHOTO_PREFIX = "cargame-media-photo:"  # the re-encoded bytes of a photo token
URL_PREFIX = "/media"
PNG_TYPE = "image/png"
JPEG_TYPE = "image/jpeg"
MAX_CROP = 0.04  # up to 4 % off each edge: the car stays whole, the pixels all move
MIN_SCALE = 0.92  # and up to 8 % smaller, so no pixel grid lines up with the catalog file
QUALITY = (78, 92)  # JPEG quality range: visually alike, byte-wise unrelated
MAX_SIDE = 1600  # served photos are at most this wide or tall: plenty for any screen here
MAX_PIXELS = 40_000_000  # a larger file is not a photo for this game (decompression bombs)
WARM_WAIT_SECONDS = 5.0  # how long a request waits for this process's encoding of its photo

logger = logging.getLogger(__name__)


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
        self._warming: dict[str, Future[None]] = {}  # photo tokens being encoded ahead
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None  # made on first use

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

    def body(self, token: str) -> tuple[bytes, str] | None:
        """The bytes and content type to send for a token, or None when there are none.

        A photo is re-encoded on its first request (or ahead, by `warm`; a request waits for
        this process's encoding in progress rather than doing it twice) and the result kept
        with the token, so a reload shows the same picture and costs nothing.
        """
        with self._lock:
            warming = self._warming.get(token)
        if warming is not None:
            with contextlib.suppress(TimeoutError):  # too slow: encoded here instead
                warming.result(timeout=WARM_WAIT_SECONDS)
        return self._body(token)

    def _body(self, token: str) -> tuple[bytes, str] | None:
        item = self.get(token)
        if item is None:
            return None
        if item.kind == "png" and isinstance(item.value, bytes):
            return item.value, PNG_TYPE
        if item.kind != "image" or not isinstance(item.value, str):
            return None
        encoded = self.cache.get(PHOTO_PREFIX + token)
        if not isinstance(encoded, bytes):
            encoded = reencode(Path(item.value), random.Random(secrets.randbits(64)))
            if encoded is None:
                return None
            self.cache.set(PHOTO_PREFIX + token, encoded, timeout=self.ttl_seconds)
        return encoded, JPEG_TYPE

    def warm(self, token: str) -> None:
        """Start encoding a photo token's bytes in a background thread and return at once, so
        the page that shows the photo finds it ready (or waits only for the rest of it)."""
        app: Flask | None = None
        if has_app_context():
            app = current_app._get_current_object()  # type: ignore[attr-defined]
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="media-warm")
            self._warming[token] = self._pool.submit(self._encode_ahead, token, app)

    def _encode_ahead(self, token: str, app: Flask | None) -> None:
        # A Flask-Caching cache belongs to its app; a plain cachelib cache needs no context.
        context = app.app_context() if app is not None else contextlib.nullcontext()
        try:
            with context:
                self._body(token)
        except Exception:
            # Only the head start is lost: the photo is encoded when the browser asks.
            logger.warning("could not encode a photo ahead", exc_info=True)
        finally:
            with self._lock:
                self._warming.pop(token, None)

    def _add(self, item: MediaItem) -> str:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        self.cache.set(KEY_PREFIX + token, tuple(item), timeout=self.ttl_seconds)
        return token


def media_url(token: str, prefix: str = URL_PREFIX) -> str:
    """The browser URL of a token."""
    return f"{prefix.rstrip('/')}/{token}"


def reencode(path: Path, rng: random.Random) -> bytes | None:
    """The photo as a fresh JPEG: randomly cropped and scaled a little, no metadata.

    None when the file is missing or not an image.
    """
    mimetype, _ = mimetypes.guess_type(path.name)
    if not mimetype or not mimetype.startswith("image/"):
        return None
    try:
        with Image.open(path) as original:
            if original.width * original.height > MAX_PIXELS:
                return None
            original.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at a smaller scale
            upright = ImageOps.exif_transpose(original)  # the tag is dropped, so apply it
            upright.thumbnail((MAX_SIDE, MAX_SIDE))
            image = upright.convert("RGB")
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError):
        return None
    width, height = image.size
    left, right = (round(width * rng.uniform(0, MAX_CROP)) for _ in range(2))
    top, bottom = (round(height * rng.uniform(0, MAX_CROP)) for _ in range(2))
    image = image.crop((left, top, max(left + 1, width - right), max(top + 1, height - bottom)))
    scale = rng.uniform(MIN_SCALE, 1.0)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    image = image.resize(size, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    # No exif, icc_profile or comment arguments: nothing of the original file travels along.
    image.save(buffer, "JPEG", quality=rng.randint(*QUALITY), optimize=True)
    return buffer.getvalue()


def media_blueprint(
    store_getter: Callable[[], MediaStore], url_prefix: str = URL_PREFIX
) -> Blueprint:
    """A blueprint serving `GET <url_prefix>/<token>` from the store `store_getter()` returns."""
    blueprint = Blueprint("cargame_media", __name__, url_prefix=url_prefix)

    @blueprint.get("/<token>")
    def serve(token: str) -> Response:
        store = store_getter()
        found = store.body(token)
        if found is None:
            abort(404)
        body, mimetype = found
        # No ETag or Last-Modified: nothing that could identify the file across games.
        response = Response(body, mimetype=mimetype)
        response.headers["Cache-Control"] = f"private, max-age={store.ttl_seconds}"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    return blueprint
