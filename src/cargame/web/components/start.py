"""The "start a game" widget, shared by the home page and the finish page's "Play again".

The player picks the AI opponent first: one large radio tile per level (tap it, or Tab to the
group and choose with the arrow keys), with its accuracy measured on the game split; the level
played last in this browser's session is preselected, else the configured default.

While the rounds are prepared (one predict; the heatmaps follow in the background), the start
records its steps for this browser (`services.start_progress`); an interval, running only
meanwhile, turns them into the progress bar the player watches.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate
from dash_extensions.enrich import DashProxy

from cargame.web import ids, opponents, services, state
from cargame.web.components.widgets import count_word

# Shown while a game is prepared, but visible only after 0.4 s (`.start-progress-delayed`).
PROGRESS_SHOWN = "text-body-secondary mt-3 start-progress-delayed"
PROGRESS_HIDDEN = "d-none"


def start_controls(starter: ids.Starter, label: str, rounds: int) -> Component:
    """The level picker, a start button, the message shown while the rounds are prepared, and
    the error box."""
    return html.Div(
        [
            level_picker(starter) if starter.picks_level else None,
            dbc.Button(label, id=starter.start, color="primary", size="lg", className="px-4"),
            *start_feedback(starter, rounds),
        ]
    )


def level_picker(starter: ids.Starter) -> Component:
    """One large radio tile per opponent level, the last one played (or the default) chosen."""
    choices = opponents.level_choices()
    tiles = dbc.RadioItems(
        id=starter.level,
        name=starter.level,  # one radio group: the arrow keys move between the tiles
        options=[{"label": _level_tile(choice), "value": choice.name} for choice in choices],
        value=opponents.chosen_level(),
        className="booth-tiles mb-3",
        input_class_name="btn-check",
        label_class_name="btn btn-outline-primary booth-tile",
        label_checked_class_name="active",
    )
    legend = html.Legend("Your opponent", className="fs-6 fw-semibold mb-2")
    # With a single level there is nothing to choose, but the start still reads the picker.
    return html.Fieldset([legend, tiles], className="mb-1" if len(choices) > 1 else "d-none")


def _level_tile(choice: opponents.LevelChoice) -> Component:
    strength = f"about {choice.top1:.0%} right" if choice.top1 is not None else "the AI"
    return html.Span(
        [
            html.Span(choice.title),
            html.Small(strength, className="fw-normal fs-6"),
        ],
        className="d-flex flex-column align-items-center",
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
    # The attract screen has no picker: it starts at this browser's level or the default.
    level_state = [State(starter.level, "value")] if starter.picks_level else []

    @app.callback(
        Output(ids.GAME_STORE, "data"),
        Output(ids.NAVIGATE, "href"),
        Output(starter.error, "is_open"),
        Output(starter.error_text, "children"),
        Input(starter.start, "n_clicks"),
        Input(starter.retry, "n_clicks"),
        *level_state,
        running=[
            (Output(starter.start, prop), running_value, idle_value),
            (Output(starter.progress, "className"), PROGRESS_SHOWN, PROGRESS_HIDDEN),
            (Output(starter.progress_tick, "disabled"), False, True),
        ],
        prevent_initial_call=True,
    )
    def start_game(
        start_clicks: int | None, retry_clicks: int | None, level: object = None
    ) -> tuple[object, ...]:
        # Dash also calls this when the page content appears (the store is outside the page).
        if not (start_clicks or retry_clicks):
            raise PreventUpdate
        move = services.start_game(level if isinstance(level, str) else None)
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
