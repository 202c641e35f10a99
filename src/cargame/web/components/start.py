"""The "start a game" widget, shared by the home page and the finish page's "Play again".

While the rounds are prepared (one predict, every heatmap), the start records its steps for this
browser (`services.start_progress`); an interval, running only meanwhile, turns them into the
progress bar the player watches.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html, no_update
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate
from dash_extensions.enrich import DashProxy

from cargame.web import ids, services, state
from cargame.web.components.widgets import count_word

PROGRESS_SHOWN, PROGRESS_HIDDEN = "text-body-secondary mt-3", "d-none"


def start_controls(starter: ids.Starter, label: str, rounds: int) -> Component:
    """A start button, the message shown while the rounds are prepared, and the error box."""
    return html.Div(
        [
            dbc.Button(label, id=starter.start, color="primary", size="lg", className="px-4"),
            *start_feedback(starter, rounds),
        ]
    )


def start_feedback(starter: ids.Starter, rounds: int) -> list[Component]:
    """What a start shows besides its button: progress while preparing, the error box."""
    return [
        html.Div(
            [
                dbc.Spinner(size="sm", color="primary", spinner_class_name="me-2"),
                f"Picking {count_word(rounds)} photos and letting the AI study them…",
                dbc.Progress(
                    id=starter.progress_bar,
                    value=0,
                    striped=True,
                    animated=True,
                    className="mt-2 start-progress",
                    style={"height": "0.75rem"},
                ),
                # Polls the preparation's steps; enabled only while a game is being prepared.
                dcc.Interval(id=starter.progress_tick, interval=300, disabled=True),
            ],
            id=starter.progress,
            className="d-none text-body-secondary mt-3",
            role="status",
        ),
        dbc.Alert(
            [
                html.Div(id=starter.error_text),
                dbc.Button("Try again", id=starter.retry, color="danger", className="mt-2"),
            ],
            id=starter.error,
            color="danger",
            is_open=False,
            className="mt-3 text-start",
        ),
    ]


def register_start_callback(
    app: DashProxy, starter: ids.Starter, busy: tuple[str, object, object] | None = None
) -> None:
    """Start (or retry starting) a game from this widget; errors go to its alert.

    While it runs the start button is disabled; `busy` = (property, running value, idle value)
    names another property of the start element for elements that cannot be disabled.
    """
    prop, running_value, idle_value = busy or ("disabled", True, False)

    @app.callback(
        Output(ids.GAME_STORE, "data"),
        Output(ids.NAVIGATE, "href"),
        Output(starter.error, "is_open"),
        Output(starter.error_text, "children"),
        Input(starter.start, "n_clicks"),
        Input(starter.retry, "n_clicks"),
        running=[
            (Output(starter.start, prop), running_value, idle_value),
            (Output(starter.progress, "className"), PROGRESS_SHOWN, PROGRESS_HIDDEN),
            (Output(starter.progress_tick, "disabled"), False, True),
        ],
        prevent_initial_call=True,
    )
    def start_game(start_clicks: int | None, retry_clicks: int | None) -> tuple[object, ...]:
        # Dash also calls this when the page content appears (the store is outside the page).
        if not (start_clicks or retry_clicks):
            raise PreventUpdate
        move = services.start_game()
        if move.game is None:
            return no_update, no_update, True, move.message
        return state.pointer(move.game), move.href, False, ""

    @app.callback(
        Output(starter.progress_bar, "value"),
        Input(starter.progress_tick, "n_intervals"),
        prevent_initial_call=True,
    )
    def show_progress(_ticks: int | None) -> int:
        value = services.start_progress()
        if value is None:
            raise PreventUpdate
        return value
