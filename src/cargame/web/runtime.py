"""What one web app owns at run time, set up by the factory and kept in `app.extensions`.

`runtime()` is the typed accessor for the current app; two apps in one process (tests) each
have their own config, catalog memo, media store, progress board and game backend.
"""

from __future__ import annotations

import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from flask import Flask, current_app

from cargame.booth.settings import BoothSettings
from cargame.config import Config
from cargame.domain.catalog import MANIFEST, Catalog, CatalogImage
from cargame.domain.rounds import GameSettings, Progress
from cargame.web import state
from cargame.web.extensions import media_cache
from cargame.web.heatmaps import HeatmapBoard
from cargame.web.media import MediaStore

EXTENSION = "cargame"
SHOWROOM_TOKEN_SECONDS = 3600  # how long one set of showroom URLs is reused before new tokens
PROGRESS_SECONDS = 120  # longer than any game start (timeouts: 15 s predict, 30 s explain)

GameMode = Literal["solo", "booth"]


class CatalogShelf:
    """The configured catalog, loaded once per manifest change, and its showroom tokens."""

    def __init__(self, root: Path, media: MediaStore) -> None:
        self.root = root
        self.media = media
        self._lock = threading.Lock()
        self._catalog: tuple[float, Catalog] | None = None
        self._showroom: tuple[float, float, dict[str, str]] | None = None

    def catalog(self) -> Catalog:
        """The catalog (raises CatalogError when there is none); reloaded after a re-import."""
        stamp = self._stamp()
        with self._lock:
            if self._catalog is None or self._catalog[0] != stamp:
                self._catalog = (stamp, Catalog.load(self.root))
            return self._catalog[1]

    def showroom_tokens(self) -> dict[str, str]:
        """A media token per label for its reference picture, renewed well before they expire."""
        catalog, stamp, now = self.catalog(), self._stamp(), time.monotonic()
        # Tokens must outlive the pages that show them: renew at half the media lifetime at most.
        lifetime = min(SHOWROOM_TOKEN_SECONDS, self.media.ttl_seconds / 2)
        with self._lock:
            if self._showroom is None or self._showroom[0] != stamp or self._showroom[1] < now:
                tokens = {
                    label: self.media.add_image(path)
                    for label, path in reference_paths(catalog).items()
                }
                self._showroom = (stamp, now + lifetime, tokens)
            return self._showroom[2]

    def _stamp(self) -> float:
        manifest = self.root / MANIFEST
        return manifest.stat().st_mtime if manifest.is_file() else 0.0


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


class ProgressBoard:
    """How far each browser's game start has come: written by the start, read by its poller."""

    def __init__(self, storage: state.Storage) -> None:
        self.storage = storage

    def recorder(self, owner: str) -> Progress:
        """A `prepare_game` progress callback storing (done, total) under `owner`."""
        self.storage.write(owner, struct.pack("!II", 0, 1), PROGRESS_SECONDS)

        def record(done: int, total: int) -> None:
            self.storage.write(owner, struct.pack("!II", done, total), PROGRESS_SECONDS)

        return record

    def percent(self, owner: str) -> int | None:
        """The recorded progress as a whole percentage, or None when nothing is recorded."""
        payload = self.storage.read(owner)
        if payload is None or len(payload) != struct.calcsize("!II"):
            return None
        return percent(struct.unpack("!II", payload))


def percent(value: object) -> int | None:
    """(done, total) as a whole percentage, or None for anything else."""
    if not (isinstance(value, tuple) and len(value) == 2):
        return None
    done, total = value
    if not (isinstance(done, int) and isinstance(total, int) and total > 0):
        return None
    return max(0, min(100, round(100 * done / total)))


@dataclass(frozen=True)
class WebRuntime:
    """The app-scoped objects the web services use."""

    config: Config
    settings: GameSettings
    media: MediaStore
    shelf: CatalogShelf
    progress: ProgressBoard
    booth_settings: BoothSettings
    heatmaps: HeatmapBoard  # heatmaps made after a game starts, shared by every worker

    @property
    def booth(self) -> bool:
        """True on a shared kiosk screen (`[web] booth`): one stranger after another plays."""
        return self.booth_settings.enabled

    @property
    def mode(self) -> GameMode:
        """How finished games are recorded: "booth" on a kiosk screen, else "solo"."""
        return "booth" if self.booth else "solo"


def init_app(server: Flask, config: Config) -> WebRuntime:
    """Create this app's runtime; `media_cache` must be initialised on `server` already."""
    # Photos and heatmaps must outlive the pages of the game that shows them; in Redis, where
    # they are the largest values, the production profile keeps them hours rather than a day.
    media = MediaStore(media_cache, int(config.get("web", "media_ttl_seconds")))
    settings = GameSettings.from_config(config)
    created = WebRuntime(
        config=config,
        settings=settings,
        media=media,
        shelf=CatalogShelf(config.path("catalog"), media),
        progress=ProgressBoard(state.create_storage(config, "progress")),
        booth_settings=BoothSettings.from_config(config),
        heatmaps=HeatmapBoard(state.create_storage(config, "heatmaps"), media, settings),
    )
    server.extensions[EXTENSION] = created
    return created


def runtime() -> WebRuntime:
    """The current app's runtime."""
    return current_app.extensions[EXTENSION]


def runtime_of(server: Flask) -> WebRuntime:
    """The runtime of `server`, outside a request (while the factory registers callbacks)."""
    return server.extensions[EXTENSION]
