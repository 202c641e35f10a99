"""Extension instances, created unbound here and initialised by the application factory.

`cache` is a per-process memo (showroom tokens); `media_cache` holds the opaque
photo and heatmap tokens and is shared by every worker (files, or Redis in the scaled set-up);
`services` gives callbacks and layouts the app's config, catalog, media store and game set-up.
"""

from __future__ import annotations

import functools
import logging
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask_caching import Cache

from cargame.clients.serving import ServingError
from cargame.config import Config
from cargame.domain import rounds
from cargame.domain.catalog import MANIFEST, Catalog, CatalogError, CatalogImage, split_label
from cargame.domain.game import GameData
from cargame.web.media import MediaStore, media_url

logger = logging.getLogger(__name__)

cache = Cache()
media_cache = Cache()

EXTENSION = "cargame"
SHOWROOM_TOKEN_SECONDS = 3600  # must stay below the media TTL so rendered URLs keep working
MEDIA_FILE_THRESHOLD = 20_000  # ~2,000 games of photos and heatmaps; the oldest go first


def cache_settings(config: Config) -> tuple[dict[str, Any], dict[str, Any]]:
    """Flask-Caching settings for `cache` and `media_cache`, from the session backend choice."""
    memo = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": SHOWROOM_TOKEN_SECONDS}
    if config.get("web", "session_backend") == "redis":
        media = {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": str(config.get("web", "redis_url")),
            "CACHE_KEY_PREFIX": "cargame:",
        }
    else:
        media = {
            "CACHE_TYPE": "FileSystemCache",
            "CACHE_DIR": str(config.path("cache") / "media"),
            "CACHE_THRESHOLD": MEDIA_FILE_THRESHOLD,
        }
    return memo, media


class GameStartError(RuntimeError):
    """A game could not be prepared; the message is meant for the player."""


@dataclass(frozen=True)
class _Runtime:
    config: Config
    settings: rounds.GameSettings
    media: MediaStore


class GameServices:
    """What the pages need from the app, looked up on the current Flask app."""

    def init_app(self, server: Flask, config: Config) -> None:
        # Photos must outlive the game that shows them, which lives as long as its session entry.
        media = MediaStore(media_cache, int(config.get("web", "session_ttl_seconds")))
        server.extensions[EXTENSION] = _Runtime(
            config, rounds.GameSettings.from_config(config), media
        )

    @property
    def _runtime(self) -> _Runtime:
        return current_app.extensions[EXTENSION]

    @property
    def config(self) -> Config:
        return self._runtime.config

    @property
    def media(self) -> MediaStore:
        return self._runtime.media

    @property
    def rounds(self) -> int:
        """Rounds per game (`[web] rounds`)."""
        return self._runtime.settings.rounds

    @property
    def booth(self) -> bool:
        """True on a shared kiosk screen (`[web] booth`): one stranger after another plays."""
        return bool(self.config.get("web", "booth"))

    @property
    def game_mode(self) -> str:
        """How finished games are recorded: "booth" on a kiosk screen, else "solo"."""
        return "booth" if self.booth else "solo"

    def catalog(self) -> Catalog:
        """The configured catalog (raises CatalogError when there is none)."""
        root = self.config.path("catalog")
        return _load_catalog(str(root), _stamp(root))

    def start_game(self, progress: rounds.Progress | None = None) -> GameData:
        """A prepared game, or GameStartError with a message for the player."""
        try:
            return rounds.prepare_game(
                self.catalog(),
                self._runtime.settings,
                media=self.media,
                rng=random.Random(),
                progress=progress,
            )
        except ServingError as error:
            logger.warning("cannot start a game, model server failed: %s", error)
            raise GameStartError(
                "The AI's model server is not answering right now, so the game cannot start."
            ) from error
        except (rounds.GamePreparationError, CatalogError) as error:
            # The details (paths, counts) go to the log, not to the player's screen.
            logger.error("cannot start a game, catalog problem: %s", error)
            raise GameStartError(
                "The garage has no photos ready to play with yet. Please ask the host to set it up."
            ) from error

    def showroom(self) -> dict[str, list[tuple[str, str | None]]]:
        """Per make, its models as (label, reference picture URL or None), sorted."""
        catalog = self.catalog()
        tokens = _showroom_tokens(str(catalog.root), _stamp(catalog.root))
        groups: dict[str, list[tuple[str, str | None]]] = {}
        for label in catalog.labels:
            token = tokens.get(label)
            make = split_label(label)[0]
            groups.setdefault(make, []).append((label, media_url(token) if token else None))
        return groups


def _stamp(root: Path) -> float:
    manifest = root / MANIFEST
    return manifest.stat().st_mtime if manifest.is_file() else 0.0


@functools.lru_cache(maxsize=4)
def _load_catalog(root: str, stamp: float) -> Catalog:
    # Per process and unpickled: a re-imported catalog has a new manifest mtime, so a new key.
    return Catalog.load(root)


@cache.memoize(timeout=SHOWROOM_TOKEN_SECONDS)
def _showroom_tokens(root: str, stamp: float) -> dict[str, str]:
    catalog = _load_catalog(root, stamp)
    return {
        label: services.media.add_image(path) for label, path in reference_paths(catalog).items()
    }


def reference_paths(catalog: Catalog) -> dict[str, Path]:
    """The showroom picture of each model: `catalog.references` (a file or an image id), else a
    training photo. Never a game photo, so the showroom cannot be held up against a round."""
    game_files = {image.file for image in catalog.split("game")}
    fallbacks: dict[str, CatalogImage] = {}
    for image in sorted(catalog.images, key=lambda image: (image.split != "train", image.image_id)):
        if image.split != "game":
            fallbacks.setdefault(image.label, image)
    paths = {}
    for label in catalog.labels:
        path = _listed_reference(catalog, label, game_files)
        if path is None and label in fallbacks:
            path = catalog.path(fallbacks[label])
        if path is not None:
            paths[label] = path
    return paths


def _listed_reference(catalog: Catalog, label: str, game_files: set[str]) -> Path | None:
    reference = catalog.references.get(label, "")
    image = catalog.get(reference) if reference else None
    if image is not None:
        reference = image.file
    if not reference or reference in game_files:
        return None
    path = (catalog.root / reference).resolve()
    return path if path.is_file() and path.is_relative_to(catalog.root.resolve()) else None


services = GameServices()
