"""Extension instances, created unbound here and initialised by the application factory.

`cache` is a per-process memo (catalog reads, showroom tokens); `media_cache` holds the opaque
photo and heatmap tokens and is shared by every worker (files, or Redis in the scaled set-up);
`services` gives callbacks and layouts the app's config, catalog, media store and game set-up.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask_caching import Cache

from cargame import rounds
from cargame.catalog import MANIFEST, Catalog, CatalogError, CatalogImage
from cargame.clients.serving import ServingError
from cargame.config import Config
from cargame.game import GameData
from cargame.media import MediaStore, media_url

logger = logging.getLogger(__name__)

cache = Cache()
media_cache = Cache()

EXTENSION = "cargame"
CATALOG_MEMO_SECONDS = 300  # a re-imported catalog is noticed by its manifest's mtime anyway
SHOWROOM_TOKEN_SECONDS = 3600  # must stay below the media TTL so rendered URLs keep working
MEDIA_FILE_THRESHOLD = 20_000  # ~2,000 games of photos and heatmaps; the oldest go first


def cache_settings(config: Config) -> tuple[dict[str, Any], dict[str, Any]]:
    """Flask-Caching settings for `cache` and `media_cache`, from the session backend choice."""
    memo = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": CATALOG_MEMO_SECONDS}
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
            make = label.split("/", 1)[0]
            groups.setdefault(make, []).append((label, media_url(token) if token else None))
        return groups


def _stamp(root: Path) -> float:
    manifest = root / MANIFEST
    return manifest.stat().st_mtime if manifest.is_file() else 0.0


@cache.memoize(timeout=CATALOG_MEMO_SECONDS)
def _load_catalog(root: str, stamp: float) -> Catalog:
    return Catalog.load(root)


@cache.memoize(timeout=SHOWROOM_TOKEN_SECONDS)
def _showroom_tokens(root: str, stamp: float) -> dict[str, str]:
    catalog = _load_catalog(root, stamp)
    tokens = {}
    for label in catalog.labels:
        path = reference_path(catalog, label)
        if path is not None:
            tokens[label] = services.media.add_image(path)
    return tokens


def reference_path(catalog: Catalog, label: str) -> Path | None:
    """The showroom picture of a model: `catalog.references` (a file or an image id), else a
    training photo. Never a game photo, so the showroom cannot be held up against a round."""
    game_files = {image.file for image in catalog.split("game")}
    reference = catalog.references.get(label, "")
    image = catalog.get(reference) if reference else None
    if image is not None:
        reference = image.file
    if reference and reference not in game_files:
        path = (catalog.root / reference).resolve()
        if path.is_file() and path.is_relative_to(catalog.root.resolve()):
            return path
    candidates: list[CatalogImage] = sorted(
        (image for image in catalog.images if image.label == label and image.split != "game"),
        key=lambda image: (image.split != "train", image.image_id),
    )
    return catalog.path(candidates[0]) if candidates else None


services = GameServices()
