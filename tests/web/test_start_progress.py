"""Progress of a game's preparation, as the start callback records it and the bar reads it."""

from __future__ import annotations

from cachelib import SimpleCache

from cargame.web.start import percent, progress_recorder


def test_recorder_stores_each_step_for_the_poller() -> None:
    backend = SimpleCache()
    report = progress_recorder(backend, "start-progress:abc")
    assert percent(backend.get("start-progress:abc")) == 0  # a new start begins at zero
    report(3, 7)
    assert percent(backend.get("start-progress:abc")) == 43
    report(7, 7)
    assert percent(backend.get("start-progress:abc")) == 100


def test_percent_ignores_anything_that_is_not_a_step_count() -> None:
    assert percent(None) is None
    assert percent("3/7") is None
    assert percent((1, 0)) is None
    assert percent((9, 7)) == 100
