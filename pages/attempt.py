"""A round's photo and the player's guess: a make, then one of that make's models."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from dash_extensions.enrich import DashProxy

from cargame.domain.game import GameData
from cargame.web import booth_kiosk, ids, services, state
from cargame.web.components import booth
from cargame.web.components import widgets as ui
from cargame.web.layouts import staged_layout
from cargame.web.media import media_url

PATH = "/attempt"

dash.register_page(__name__, path=PATH, title="Your guess · Beat the AI")


FILTER_FROM = 13  # with this many makes or more, a filter box narrows the make tiles


@staged_layout(PATH)
def layout(current, view):
    number, total = view["round_number"], view["total_rounds"]
    makes = services.makes_of(current)
    return html.Div(
        [
            ui.page_heading(
                f"Round {number} of {total}: which car is this?",
                _ai_note(view.get("ai_seconds")),
            ),
            _timer(current.seconds_left(), f"{view['game_id']}-{number}"),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            ui.photo(
                                media_url(view["image_token"]),
                                f"Round {number} photo: the car to identify",
                                "guess-photo",
                            ),
                            body=True,
                            className="shadow-sm border-0",
                        ),
                        lg=7,
                        className="mb-4",
                    ),
                    dbc.Col(
                        _tile_form(makes),
                        lg=5,
                        className="mb-4",
                    ),
                ]
            ),
        ]
    )


def _ai_note(ai_seconds):
    if ai_seconds is None:
        return "The AI has already answered. Its guess stays hidden until you lock in yours."
    took = "under 0.01 s" if ai_seconds < 0.01 else f"{ai_seconds:.2f} s"
    return f"The AI answered in {took}. Its guess stays hidden until you lock in yours."


def _timer(seconds_left, key):
    """The round's countdown; at zero the page locks in what is chosen."""
    timed_out = dcc.Store(id=ids.ATTEMPT_TIMED_OUT, data=None)
    if seconds_left is None:
        return html.Div([dcc.Store(id=ids.ATTEMPT_TIMER, data=None), timed_out])
    left = max(0, int(round(seconds_left)))
    return html.Div(
        [
            html.Span("Time left", className="small text-body-secondary me-2"),
            html.Strong(f"{left} s", id=ids.ATTEMPT_TIMER_TEXT, className="round-timer-text"),
            dbc.Progress(
                value=100,
                id=ids.ATTEMPT_TIMER_BAR,
                className="round-timer-bar flex-grow-1 ms-3",
                style={"height": "0.75rem"},
            ),
            dcc.Store(id=ids.ATTEMPT_TIMER, data={"left": max(0.0, seconds_left), "key": key}),
            timed_out,
            dcc.Interval(id=ids.ATTEMPT_TICK, interval=250),
        ],
        className="round-timer d-flex align-items-center mb-3",
        role="timer",
        **{"aria-live": "off"},
    )


def _tile_form(makes):
    """Tap a make, then one of its models (with its showroom picture); Tab reaches each group,
    the arrow keys choose. With many makes, typing in the filter box narrows the tiles; it is
    never needed, so a touch screen does not have to open its keyboard."""
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Your guess", className="h4 mb-3"),
                html.Div("Make", className="fw-semibold fs-5 mb-2", id="attempt-make-label"),
                _make_filter(makes) if len(makes) >= FILTER_FROM else None,
                booth.tiles(ids.ATTEMPT_MAKE, booth.make_options(makes)),
                html.Div(
                    "Tap a make to see its models",
                    id=ids.ATTEMPT_MODEL_HINT,
                    className="fw-semibold fs-5 mt-4 mb-2",
                ),
                booth.tiles(ids.ATTEMPT_MODEL, []),
                html.Div(_submit(), className="mt-4"),
            ]
        ),
        className="shadow-sm border-0 h-100",
    )


def _make_filter(makes):
    return html.Div(
        [
            dbc.Label(
                "Filter the makes", html_for=ids.ATTEMPT_MAKE_FILTER, className="visually-hidden"
            ),
            dbc.Input(
                id=ids.ATTEMPT_MAKE_FILTER,
                type="search",
                placeholder=f"Filter {len(makes)} makes (optional)",
                autocomplete="off",
                debounce=False,
                className="mb-2",
            ),
            dcc.Store(id=ids.ATTEMPT_MAKES, data=makes),
        ]
    )


def _submit():
    return html.Div(
        [
            dbc.Button(
                "Lock in my guess",
                id=ids.ATTEMPT_SUBMIT,
                color="primary",
                size="lg",
                className="w-100 booth-touch",
            ),
            html.Div(id=ids.ATTEMPT_MESSAGE, role="alert", className="mt-3"),
        ]
    )


def register_callbacks(app: DashProxy) -> None:
    """This page's callbacks, on this app."""

    @app.callback(
        Output(ids.ATTEMPT_MODEL, "options"),
        Output(ids.ATTEMPT_MODEL, "value"),
        Output(ids.ATTEMPT_MODEL_HINT, "children"),
        Input(ids.ATTEMPT_MAKE, "value"),
        State(ids.GAME_STORE, "data"),
        prevent_initial_call=True,
    )
    def offer_models(make: str | None, game: GameData | None) -> tuple[object, ...]:
        models = booth_kiosk.model_tiles(state.as_game(game), make)
        if not models:
            return [], None, "Tap a make to see its models"
        return booth.model_options(models), None, f"Which {make}?"

    # Many makes: the filter box narrows the make tiles in the browser (the chosen one stays).
    app.clientside_callback(
        """function (text, makes, chosen) {
            var needle = (text || "").trim().toLowerCase();
            return (makes || [])
                .filter(function (make) {
                    return !needle || make === chosen || make.toLowerCase().indexOf(needle) >= 0;
                })
                .map(function (make) { return {label: make, value: make}; });
        }""",
        Output(ids.ATTEMPT_MAKE, "options"),
        Input(ids.ATTEMPT_MAKE_FILTER, "value"),
        State(ids.ATTEMPT_MAKES, "data"),
        State(ids.ATTEMPT_MAKE, "value"),
        prevent_initial_call=True,
    )

    # The countdown runs in the browser; at zero it asks the server to lock in (once).
    app.clientside_callback(
        """function (ticks, timer) {
            var ns = window.dash_clientside;
            if (!timer || timer.left === undefined) { return ns.no_update; }
            var clock = window.cargameRoundTimer;
            if (!clock || clock.key !== timer.key) {
                clock = window.cargameRoundTimer = {
                    key: timer.key, end: Date.now() + 1000 * timer.left,
                    total: Math.max(1, timer.left), done: false
                };
            }
            if (clock.done) { return ns.no_update; }
            var left = Math.max(0, (clock.end - Date.now()) / 1000);
            var text = Math.ceil(left) + " s";
            if (left <= 0) {
                clock.done = true;
                return [text, 0, Date.now()];
            }
            return [text, Math.round(100 * left / clock.total), ns.no_update];
        }""",
        Output(ids.ATTEMPT_TIMER_TEXT, "children"),
        Output(ids.ATTEMPT_TIMER_BAR, "value"),
        Output(ids.ATTEMPT_TIMED_OUT, "data"),
        Input(ids.ATTEMPT_TICK, "n_intervals"),
        State(ids.ATTEMPT_TIMER, "data"),
        prevent_initial_call=True,
    )
    _register_lock_in(app)


def _register_lock_in(app: DashProxy) -> None:
    @app.callback(
        Output(ids.GAME_STORE, "data"),
        Output(ids.NAVIGATE, "href"),
        Output(ids.ATTEMPT_MESSAGE, "children"),
        Input(ids.ATTEMPT_SUBMIT, "n_clicks"),
        Input(ids.ATTEMPT_TIMED_OUT, "data"),
        State(ids.ATTEMPT_MAKE, "value"),
        State(ids.ATTEMPT_MODEL, "value"),
        State(ids.GAME_STORE, "data"),
        prevent_initial_call=True,
    )
    def lock_in(
        clicks: int | None,
        timed_out: object,
        make: str | None,
        model: str | None,
        game: GameData | None,
    ) -> tuple[object, ...]:
        # Dash also calls this when the page content appears (the store is outside the page).
        if not (clicks or timed_out):
            raise PreventUpdate
        ran_out = ctx.triggered_id == ids.ATTEMPT_TIMED_OUT
        move = services.lock_in(state.as_game(game), make, model, timed_out=ran_out)
        return (
            state.pointer(move.game) if move.game else no_update,
            move.href or no_update,
            _warning(move.message) if move.message else None,
        )


def _warning(text: str):
    return dbc.Alert(
        [html.Span("⚠", className="me-2", **{"aria-hidden": "true"}), text],
        color="warning",
        className="mb-0 py-2",
    )
