"""Heatmaps made after the game has started, shared by every web worker.

A game start waits only for the batched predict, so round 1 shows at once; a background thread
of the starting worker then asks the explainer for every round's heatmaps (round 1 first, after
`FIRST_PAGE_SECONDS` for the first page to load). What comes back goes into the shared storage
(a diskcache folder, or Redis: as the games), one entry per round with its overlays' media
tokens, so whichever worker serves an answer page can show it.

Entries, all kept as long as the media tokens they name:
- `<game>-plan`: the model, its version and each round's `HeatmapJob`, written before the game
  reaches the player: a round of a game with a plan and without an entry is still coming;
- `<game>-round-<n>`: round n's tokens once its explanations are back (none when they failed);
- `<game>-lease`: the filling thread's heartbeat, renewed every `HEARTBEAT_SECONDS`;
- `<game>-takeover-<n>`: a worker explaining round n itself.

A worker that dies while filling stops renewing its lease. An answer page still waiting then
finds no lease and its own worker explains just that round (`resolve`); the first entry written
for a round wins, so two writers never show two different heatmaps.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp
from flask import Flask, current_app

from cargame.domain import rounds
from cargame.domain.catalog import Catalog
from cargame.domain.game import GameData
from cargame.domain.rounds import GameSettings, HeatmapJob, HeatmapPair, PreparedGame
from cargame.web.media import MediaStore
from cargame.web.state import Storage

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0  # how often a filling thread says it is alive
LEASE_SECONDS = 6  # three missed heartbeats: the filling worker is gone, a page takes over
# Grad-CAM is CPU-heavy: where the explainer shares the machine, asking it at once slows the
# round-1 page the player is waiting for, whose heatmap is needed only after a guess (seconds).
FIRST_PAGE_SECONDS = 0.5


@dataclass(frozen=True)
class RoundHeatmaps:
    """A round's overlay tokens (None: no heatmap), or `pending` while they are being made."""

    ai_token: str | None = None
    truth_token: str | None = None
    pending: bool = False


PENDING = RoundHeatmaps(pending=True)
NONE = RoundHeatmaps()


@dataclass(frozen=True)
class Plan:
    """What a game's heatmaps are made from: the servable, its version and each round's job."""

    model_name: str
    version: int | None
    jobs: list[HeatmapJob]

    def dumps(self) -> bytes:
        jobs = [dataclasses.asdict(job) for job in self.jobs]
        data = {"model": self.model_name, "version": self.version, "jobs": jobs}
        return json.dumps(data).encode()

    @classmethod
    def loads(cls, payload: bytes) -> Plan | None:
        try:
            data = json.loads(payload)
            jobs = [HeatmapJob(**job) for job in data["jobs"]]
            return cls(str(data["model"]), data["version"], jobs)
        except (ValueError, TypeError, KeyError):
            logger.warning("unreadable heatmap plan")
            return None


class HeatmapBoard:
    """Every game's heatmaps in progress, in storage shared by all web workers."""

    def __init__(
        self,
        storage: Storage,
        media: MediaStore,
        settings: GameSettings,
        first_page_seconds: float = FIRST_PAGE_SECONDS,
    ) -> None:
        self.storage = storage
        self.media = media
        self.settings = settings  # where the explainer is and how long to wait for it
        self.first_page_seconds = first_page_seconds  # the fill waits this long before asking

    @property
    def ttl_seconds(self) -> int:
        return self.media.ttl_seconds

    def start(self, prepared: PreparedGame, model_name: str) -> threading.Thread:
        """Record the game's plan and lease, then fill it from a daemon thread of this worker."""
        game = prepared.game
        plan = Plan(model_name, game.model_version, prepared.jobs)
        self.storage.write(_key(game.game_id, "plan"), plan.dumps(), self.ttl_seconds)
        self._beat(game.game_id)
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        thread = threading.Thread(
            target=self._fill,
            args=(app, game.game_id, plan, prepared.photos),
            name=f"heatmaps-{game.game_id[:8]}",
            daemon=True,
        )
        thread.start()
        return thread

    def lookup(self, game: GameData, index: int) -> RoundHeatmaps:
        """Round `index`'s heatmaps as far as they are known; never waits, never explains."""
        game_round = game.rounds[index]
        if game_round.heatmap_token is not None or game_round.truth_heatmap_token is not None:
            return RoundHeatmaps(game_round.heatmap_token, game_round.truth_heatmap_token)
        stored = self.storage.read(_key(game.game_id, f"round-{index}"))
        if stored is not None:
            return _parse(stored)
        if self.storage.read(_key(game.game_id, "plan")) is None:
            return NONE  # nothing is coming: an explainer failure at an all-at-once start
        return PENDING

    def resolve(self, game: GameData, index: int, catalog: Catalog) -> RoundHeatmaps:
        """`lookup`, and when the round is still pending but nobody fills the game any more,
        explain this round here and now (with the explainer's timeout)."""
        found = self.lookup(game, index)
        if not found.pending or self.storage.read(_key(game.game_id, "lease")) is not None:
            return found
        plan_payload = self.storage.read(_key(game.game_id, "plan"))
        plan = Plan.loads(plan_payload) if plan_payload is not None else None
        if plan is None or not 0 <= index < len(plan.jobs):
            return NONE
        claim = secrets.token_hex(8).encode()
        # Two polls of the same page (or two tabs) must not both explain the round.
        held = self.storage.swap(
            _key(game.game_id, f"takeover-{index}"),
            claim,
            int(2 * self.settings.explainer_timeout) + LEASE_SECONDS,
            lambda current: current is None,
        )
        if held != claim:
            return PENDING
        logger.info("explaining round %d of game %s: its filler is gone", index + 1, game.game_id)
        photo = _photo(catalog, plan.jobs[index].image_id)
        pair: HeatmapPair = (None, None)
        if photo is not None:
            pair = asyncio.run(self._explain_one(plan, photo, plan.jobs[index]))
        return self._store(game.game_id, index, pair)

    def _fill(self, app: Flask, game_id: str, plan: Plan, photos: Sequence[bytes]) -> None:
        with app.app_context():
            try:
                asyncio.run(self._fill_rounds(game_id, plan, photos))
            except SystemExit:  # the server stops its threads: pages take over after the lease
                logger.info("background heatmaps of game %s stopped", game_id)
            except Exception:  # the thread's end: pages take over once the lease runs out
                logger.exception("background heatmaps of game %s failed", game_id)

    async def _fill_rounds(self, game_id: str, plan: Plan, photos: Sequence[bytes]) -> None:
        heartbeat = asyncio.create_task(self._heartbeat(game_id))
        try:
            await asyncio.sleep(self.first_page_seconds)
            await rounds.fetch_heatmaps(
                self._settings(plan),
                plan.version,
                photos,
                plan.jobs,
                done=lambda index, pair: self._store(game_id, index, pair),
            )
        finally:
            heartbeat.cancel()

    async def _heartbeat(self, game_id: str) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            self._beat(game_id)

    def _beat(self, game_id: str) -> None:
        self.storage.write(_key(game_id, "lease"), b"1", LEASE_SECONDS)

    async def _explain_one(self, plan: Plan, photo: bytes, job: HeatmapJob) -> HeatmapPair:
        settings = self._settings(plan)
        async with aiohttp.ClientSession() as session:
            return await rounds.job_heatmaps(session, settings, plan.version, photo, job)

    def _settings(self, plan: Plan) -> GameSettings:
        return dataclasses.replace(self.settings, model_name=plan.model_name)

    def _store(self, game_id: str, index: int, pair: HeatmapPair) -> RoundHeatmaps:
        """Keep round `index`'s overlays unless another writer was first; what is kept."""
        ai_token, truth_token = rounds.heatmap_tokens(self.media, pair)
        payload = json.dumps({"ai": ai_token, "truth": truth_token}).encode()
        kept = self.storage.swap(
            _key(game_id, f"round-{index}"),
            payload,
            self.ttl_seconds,
            lambda current: current is None,
        )
        return _parse(kept) if kept is not None else RoundHeatmaps(ai_token, truth_token)


def _key(game_id: str, part: str) -> str:
    return f"{game_id}-{part}"


def _parse(payload: bytes) -> RoundHeatmaps:
    try:
        data = json.loads(payload)
        ai_token, truth_token = data["ai"], data["truth"]
    except (ValueError, TypeError, KeyError):
        logger.warning("unreadable round heatmaps entry")
        return NONE
    if not all(token is None or isinstance(token, str) for token in (ai_token, truth_token)):
        return NONE
    return RoundHeatmaps(ai_token, truth_token)


def _photo(catalog: Catalog, image_id: str) -> bytes | None:
    image = catalog.get(image_id)
    try:
        return catalog.path(image).read_bytes() if image is not None else None
    except OSError:
        logger.warning("cannot read catalog photo %s for its heatmap", image_id)
        return None
