"""The "start a game" callback, shared by the home page and the finish page's "Play again"."""

from __future__ import annotations

from dash import Input, Output, no_update
from dash.exceptions import PreventUpdate
from dash_extensions.enrich import DashProxy

from cargame import ids, state
from cargame.extensions import GameStartError, services

PROGRESS_SHOWN, PROGRESS_HIDDEN = "text-body-secondary mt-3", "d-none"


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
        ],
        prevent_initial_call=True,
    )
    def start_game(start_clicks: int | None, retry_clicks: int | None) -> tuple[object, ...]:
        # Dash also calls this when the page content appears (the store is outside the page).
        if not (start_clicks or retry_clicks):
            raise PreventUpdate
        try:
            game = services.start_game()
        except GameStartError as message:
            return no_update, no_update, True, str(message)
        return state.pointer(game), game.expected_path, False, ""
