"""Extension instances, created unbound here and initialised by the application factory.

Flask-Caching keeps each app's backend in that app's `extensions`, so one instance serves any
number of apps. `media_cache` holds the opaque photo and heatmap tokens, shared by every worker
(files, or Redis in the scaled set-up).
"""

from __future__ import annotations

from typing import Any

from flask_caching import Cache

from cargame.config import Config

media_cache = Cache()

MEDIA_FILE_THRESHOLD = 20_000  # ~2,000 games of photos and heatmaps; the oldest go first


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
