"""The "start a game" callback, shared by the home page and the finish page's "Play again".

While the rounds are prepared (one predict, every heatmap), the start callback records its steps
under this browser's session id in the shared media cache; an interval, running only meanwhile,
turns them into the progress bar the player watches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dash import Input, Output, no_update
from dash.exceptions import PreventUpdate
from dash_extensions.enrich import DashProxy

from cargame.web import extensions, ids, state
from cargame.web.extensions import GameStartError, services

PROGRESS_SHOWN, PROGRESS_HIDDEN = "text-body-secondary mt-3", "d-none"
PROGRESS_SECONDS = 120  # longer than any game start (timeouts: 15 s predict, 30 s explain)


def _progress_key() -> str:
    return f"start-progress:{state.session_id()}"


def progress_recorder(backend: Any, key: str) -> Callable[[int, int], None]:
    """A `prepare_game` progress callback that stores (done, total) where the poller reads it."""
    backend.set(key, (0, 1), timeout=PROGRESS_SECONDS)
    return lambda done, total: backend.set(key, (done, total), timeout=PROGRESS_SECONDS)


def percent(value: object) -> int | None:
    """(done, total) as a whole percentage, or None for anything else."""
    if not (isinstance(value, tuple) and len(value) == 2):
        return None
    done, total = value
    if not (isinstance(done, int) and isinstance(total, int) and total > 0):
        return None
    return max(0, min(100, round(100 * done / total)))


def register_start_callback(
    app: DashProxy, *, start: str, retry: str, error: str, error_text: str, progress: str
) -> None:
    """Start (or retry starting) a game from these buttons; errors go to this page's alert."""

    @app.callback(
        Output(ids.GAME_STORE, "data"),
        Output(ids.NAVIGATE, "href"),
        Output(error, "is_open"),
        Output(error_text, "children"),
        Input(start, "n_clicks"),
        Input(retry, "n_clicks"),
        running=[
            (Output(start, "disabled"), True, False),
            (Output(progress, "className"), PROGRESS_SHOWN, PROGRESS_HIDDEN),
            (Output(ids.progress_tick(progress), "disabled"), False, True),
        ],
        prevent_initial_call=True,
    )
    def start_game(start_clicks: int | None, retry_clicks: int | None) -> tuple[object, ...]:
        # Dash also calls this when the page content appears (the store is outside the page).
        if not (start_clicks or retry_clicks):
            raise PreventUpdate
        # The cachelib backend itself: the steps are reported from inside asyncio.run().
        recorder = progress_recorder(extensions.media_cache.cache, _progress_key())
        try:
            game = services.start_game(progress=recorder)
        except GameStartError as message:
            return no_update, no_update, True, str(message)
        return state.pointer(game), game.expected_path, False, ""

    @app.callback(
        Output(ids.progress_bar(progress), "value"),
        Input(ids.progress_tick(progress), "n_intervals"),
        prevent_initial_call=True,
    )
    def show_progress(_ticks: int | None) -> int:
        value = percent(extensions.media_cache.get(_progress_key()))
        if value is None:
            raise PreventUpdate
        return value
