"""Waiting for a game's background heatmaps (`cargame.web.heatmaps`) in tests and benchmarks."""

from __future__ import annotations

import time
from typing import Any

from cargame.domain.game import GameData
from cargame.web.runtime import runtime_of

POLL_SECONDS = 0.02


def pending_rounds(app: Any, game: GameData) -> list[int]:
    """The rounds (0-based) whose heatmaps the app is still making."""
    board = runtime_of(app.server).heatmaps
    return [index for index in range(game.total_rounds) if board.lookup(game, index).pending]


def wait_for_heatmaps(client: Any, pointer: str, timeout: float = 15.0) -> GameData:
    """Until every round of the client's game has its heatmaps (or their failure) stored, as
    games had them at once before they were made in the background; the game."""
    game = client.game(pointer)
    assert game is not None, "no game behind the pointer"
    deadline = time.monotonic() + timeout
    while pending := pending_rounds(client.app, game):
        assert time.monotonic() < deadline, f"heatmaps of rounds {pending} never came"
        time.sleep(POLL_SECONDS)
    return game
