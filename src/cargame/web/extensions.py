"""Extension instances, created unbound here and initialised by the application factory.

Flask-Caching keeps each app's backend in that app's `extensions`, and Flask-Session sets each
app's own session interface, so one instance serves any number of apps. `media_cache` holds the
opaque photo and heatmap tokens; `server_sessions` the browser sessions. Both are shared by every
worker (files, or Redis in the scaled set-up).
"""

from __future__ import annotations

from typing import Any

import redis
from cachelib import FileSystemCache
from flask_caching import Cache
from flask_session import Session

from cargame.config import Config

media_cache = Cache()
server_sessions = Session()

MEDIA_FILE_THRESHOLD = 20_000  # ~2,000 games of photos and heatmaps; the oldest go first
SESSION_FILE_THRESHOLD = 50_000  # browser sessions kept on disk before the oldest are pruned


def media_cache_settings(config: Config) -> dict[str, Any]:
    """Flask-Caching settings for `media_cache`, from the session backend choice."""
    if config.get("web", "session_backend") == "redis":
        return {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": str(config.get("web", "redis_url")),
            "CACHE_KEY_PREFIX": "cargame:",
        }
    return {
        "CACHE_TYPE": "FileSystemCache",
        "CACHE_DIR": str(config.path("cache") / "media"),
        "CACHE_THRESHOLD": MEDIA_FILE_THRESHOLD,
    }


def session_settings(config: Config) -> dict[str, Any]:
    """Flask-Session settings: Redis when scaled, else files under `[paths] cache`/web-sessions."""
    if config.get("web", "session_backend") == "redis":
        return {
            "SESSION_TYPE": "redis",
            "SESSION_REDIS": redis.Redis.from_url(str(config.get("web", "redis_url"))),
        }
    return {
        "SESSION_TYPE": "cachelib",
        "SESSION_CACHELIB": FileSystemCache(
            str(config.path("cache") / "web-sessions"), threshold=SESSION_FILE_THRESHOLD, mode=0o600
        ),
    }
