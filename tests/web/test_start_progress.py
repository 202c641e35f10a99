"""Progress of a game's preparation, as the start callback records it and the bar reads it."""

from __future__ import annotations

from pathlib import Path

from cargame.web.runtime import ProgressBoard, percent
from cargame.web.state import DiskStorage


def test_recorder_stores_each_step_for_the_poller(tmp_path: Path) -> None:
    storage = DiskStorage(tmp_path / "progress")
    board = ProgressBoard(storage)
    report = board.recorder("start-abc")
    assert board.percent("start-abc") == 0  # a new start begins at zero
    report(3, 7)
    assert board.percent("start-abc") == 43
    report(7, 7)
    assert board.percent("start-abc") == 100
    assert board.percent("start-someone-else") is None
    storage.close()


def test_percent_ignores_anything_that_is_not_a_step_count() -> None:
    assert percent(None) is None
    assert percent("3/7") is None
    assert percent((1, 0)) is None
    assert percent((9, 7)) == 100
