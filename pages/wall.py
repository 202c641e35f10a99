"""/wall: today's booth boards on a second screen, updating by themselves; read-only, public."""

from __future__ import annotations

import dash
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from dash_extensions.enrich import DashProxy
from flask import has_request_context

from cargame.web import booth_board
from cargame.web import booth_board_view as view
from cargame.web.runtime import runtime

PATH = "/wall"
DEFAULT_REFRESH_SECONDS = 5  # only while Dash validates layouts, outside a request

dash.register_page(__name__, path=PATH, title="Today at the booth · Beat the AI", name="Wall")


def layout(**_query):
    seconds = (
        runtime().booth_settings.wall_refresh_seconds
        if has_request_context()
        else DEFAULT_REFRESH_SECONDS
    )
    return html.Div(
        [
            html.H1("Today at the booth: people against the AI", className="wall-title"),
            html.Div(
                html.P("Loading today's scores…", className="booth-board-quiet"),
                id=view.WALL_BOARD,
                **{"aria-live": "polite"},
            ),
            dcc.Interval(id=view.WALL_TICK, interval=seconds * 1000),
            dcc.Store(id=view.WALL_VERSION),
        ],
        className="wall-page booth-board",
    )


def register_callbacks(app: DashProxy) -> None:
    """This page's one callback, on this app."""

    @app.callback(
        Output(view.WALL_BOARD, "children"),
        Output(view.WALL_VERSION, "data"),
        Input(view.WALL_TICK, "n_intervals"),
        State(view.WALL_VERSION, "data"),
    )
    def refresh(_ticks: int | None, shown: object) -> tuple[object, str]:
        snapshot = booth_board.snapshot()
        if snapshot.version == shown:  # nothing new: the browser keeps what it shows
            raise PreventUpdate
        return view.board(snapshot), snapshot.version
