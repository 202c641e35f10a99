"""Today's booth boards for the wall and the kiosk's attract screen, as one shared snapshot.

The snapshot is computed at most once per `[booth] wall_refresh_seconds` for every viewer and
worker: it lives in the app's cache (`media_cache`: files, or Redis when scaled), and while one
worker builds a new one the others serve the last. It is plain, picklable data with `/media`
URLs only. Photo and heatmap tokens are kept per image id for a while, so a tick mints none and
the browser keeps its cached pictures. A database failure gives an "unavailable" snapshot and an
explainer failure a round without its heatmap: `snapshot()` never raises for either.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from cargame.accounts.db import db_session
from cargame.booth import board
from cargame.booth.board import Tally
from cargame.booth.names import NicknameError, assign_nickname
from cargame.domain.catalog import Catalog, CatalogError, display_name
from cargame.web.car_examples import heatmaps
from cargame.web.extensions import media_cache
from cargame.web.media import media_url
from cargame.web.runtime import WebRuntime, runtime

logger = logging.getLogger(__name__)

KEY_PREFIX = "cargame-booth:v1:"  # bump when the snapshot's fields change
TOP_SCORES = 10  # leaderboard lines: readable across a hall on a 1080p screen
RECENT_ROUNDS = 4
HARDEST_MIN_SHOWN = 3  # a car shown fewer times today says nothing about how hard it is
TOKEN_SECONDS = 1800  # photo tokens reused this long (at most a quarter of the media lifetime)
HEATMAP_RETRY_SECONDS = 60  # a failed heatmap is asked for again after this, not every tick
LAST_SECONDS = 3600  # the last good snapshot, served while another worker builds the next
LOCK_SECONDS = 60  # longer than a build takes (explainer timeout included)
UNAVAILABLE = "The leaderboard is unavailable right now; please try again."


@dataclass(frozen=True)
class ScoreLine:
    """A leaderboard line; `nickname` None shows as "Anonymous"."""

    rank: int
    nickname: str | None
    player_score: int
    ai_score: int
    winner: str


@dataclass(frozen=True)
class HardestCarView:
    """The car people named least often today, with one of its photos."""

    car: str  # "Make Model"
    shown: int
    hits: int
    photo_url: str | None


@dataclass(frozen=True)
class RoundView:
    """A recent round: the photo, the AI's heatmap, the truth and both answers."""

    truth: str  # "Make Model"
    guess: str | None  # None: no answer given
    ai_guess: str | None
    player_points: int
    ai_points: int
    nickname: str | None
    time: str  # "14:05", the fair's time of its game
    photo_url: str | None
    heatmap_url: str | None


@dataclass(frozen=True)
class BoardSnapshot:
    """Everything the wall shows for `day` (the fair's); `available` False: database down."""

    day: date
    available: bool = True
    top: tuple[ScoreLine, ...] = ()
    tally: Tally = field(default_factory=Tally)
    hardest: HardestCarView | None = None
    recent: tuple[RoundView, ...] = ()

    @property
    def empty(self) -> bool:
        """No booth game finished or round played today."""
        return self.tally.games == 0 and not self.recent

    @property
    def version(self) -> str:
        """Changes whenever anything shown changes: a wall skips updates that change nothing."""
        return hashlib.sha256(repr(self).encode()).hexdigest()[:16]


def snapshot() -> BoardSnapshot:
    """Today's boards, from the shared cache when fresh (see the module docstring)."""
    current = runtime()
    day = current.booth_settings.today()
    fresh_key = _key("board", day)
    cached = media_cache.get(fresh_key)
    if isinstance(cached, BoardSnapshot):
        return cached
    lock_key = _key("building", day)
    if not _take_lock(lock_key):
        last = media_cache.get(_key("last", day))
        if isinstance(last, BoardSnapshot):
            return last
    try:
        built = build_snapshot(current, day)
    finally:
        media_cache.delete(lock_key)
    media_cache.set(fresh_key, built, timeout=current.booth_settings.wall_refresh_seconds)
    if built.available:
        media_cache.set(_key("last", day), built, timeout=LAST_SECONDS)
    return built


def set_nickname(game_id: str, raw: str) -> str:
    """Name a finished booth game on today's board; the wall shows it on its next tick.

    Raises NicknameError with a message for the player (also when the database is down).
    """
    day = runtime().booth_settings.today()
    try:
        with db_session() as session:
            name = assign_nickname(session, game_id, raw, day)
    except SQLAlchemyError as error:
        logger.warning("cannot store a booth nickname: %s", error)
        raise NicknameError(
            "The leaderboard is unavailable right now; please try again."
        ) from error
    media_cache.delete(_key("board", day))
    return name


def build_snapshot(current: WebRuntime, day: date) -> BoardSnapshot:
    """Query today's boards and give their photos URLs (uncached; `snapshot()` shares it)."""
    start, end = current.booth_settings.day_bounds(day)
    try:
        with db_session() as session:
            top = board.top_scores(session, start, end, TOP_SCORES)
            tally = board.tally(session, start, end)
            hardest = board.hardest_car(session, start, end, HARDEST_MIN_SHOWN)
            recent = board.recent_rounds(session, RECENT_ROUNDS, since=start)
    except SQLAlchemyError as error:
        logger.warning("booth boards unavailable: %s", error)
        return BoardSnapshot(day=day, available=False)
    urls = _MediaUrls(current)
    heatmap_urls = urls.heatmaps([played.image_id for played in recent])
    zone = current.booth_settings.timezone
    return BoardSnapshot(
        day=day,
        top=tuple(
            ScoreLine(line.rank, line.nickname, line.player_score, line.ai_score, line.winner)
            for line in top
        ),
        tally=tally,
        hardest=HardestCarView(
            _car(hardest.truth), hardest.shown, hardest.hits, urls.photo(hardest.image_id)
        )
        if hardest
        else None,
        recent=tuple(
            _round_view(played, zone, urls.photo(played.image_id), heatmap_urls[played.image_id])
            for played in recent
        ),
    )


def _round_view(
    played: board.RecentRound, zone: ZoneInfo, photo: str | None, heatmap: str | None
) -> RoundView:
    return RoundView(
        truth=_car(played.truth),
        guess=_car(played.guess) if played.guess else None,
        ai_guess=_car(played.ai_guess) if played.ai_guess else None,
        player_points=played.player_points,
        ai_points=played.ai_points,
        nickname=played.nickname,
        time=played.when.astimezone(zone).strftime("%H:%M"),
        photo_url=photo,
        heatmap_url=heatmap,
    )


def _car(label: str) -> str:
    try:
        return display_name(label)
    except CatalogError:
        return label


def _key(kind: str, day: date | str) -> str:
    return f"{KEY_PREFIX}{kind}:{day}"


def _take_lock(key: str) -> bool:
    """True for the one caller that may build now (Redis: SET NX; files: a lock file)."""
    if media_cache.add(key, True, timeout=LOCK_SECONDS):
        return True
    # A file cache keeps an expired entry until pruning, and `add` takes it as present.
    if media_cache.get(key) is None:
        media_cache.delete(key)
        return bool(media_cache.add(key, True, timeout=LOCK_SECONDS))
    return False


class _MediaUrls:
    """`/media` URLs for catalog photos and their heatmaps, reusing tokens per image id."""

    def __init__(self, current: WebRuntime) -> None:
        self.current = current
        self.seconds = max(1, min(TOKEN_SECONDS, current.media.ttl_seconds // 4))
        try:
            self.catalog: Catalog | None = current.shelf.catalog()
        except CatalogError:
            logger.warning("no catalog for the booth boards' photos")
            self.catalog = None

    def photo(self, image_id: str) -> str | None:
        """The photo's URL, or None when the catalog does not have it."""
        key = _key("photo", image_id)
        token = media_cache.get(key)
        if isinstance(token, str) and self.current.media.get(token) is not None:
            return media_url(token)
        path = self._path(image_id)
        if path is None:
            return None
        token = self.current.media.add_image(path)
        media_cache.set(key, token, timeout=self.seconds)
        return media_url(token)

    def heatmaps(self, image_ids: list[str]) -> dict[str, str | None]:
        """The AI's heatmap URL per image id; missing ones asked of the explainer at once."""
        found: dict[str, str | None] = {}
        wanted: dict[str, bytes] = {}
        for image_id in dict.fromkeys(image_ids):
            token = media_cache.get(_key("heatmap", image_id))
            if token == "":  # failed a moment ago: not asked again yet
                found[image_id] = None
            elif isinstance(token, str) and self.current.media.get(token) is not None:
                found[image_id] = media_url(token)
            else:
                found[image_id] = None
                photo = self._read(image_id)
                if photo is not None:
                    wanted[image_id] = photo
        if wanted:
            overlays = asyncio.run(heatmaps(self.current.settings, list(wanted.values())))
            for image_id, overlay in zip(wanted, overlays, strict=True):
                token = self.current.media.add_png(overlay) if overlay else ""
                seconds = self.seconds if token else HEATMAP_RETRY_SECONDS
                media_cache.set(_key("heatmap", image_id), token, timeout=seconds)
                found[image_id] = media_url(token) if token else None
        return found

    def _path(self, image_id: str) -> Path | None:
        image = self.catalog.get(image_id) if self.catalog else None
        return self.catalog.path(image) if self.catalog and image else None

    def _read(self, image_id: str) -> bytes | None:
        path = self._path(image_id)
        if path is None:
            return None
        try:
            return path.read_bytes()
        except OSError:
            logger.warning("cannot read catalog photo %s", image_id)
            return None
