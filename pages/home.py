"""Start page: what the game is, how scoring works, and the button that starts a game."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from dash_extensions.enrich import DashProxy

from cargame.domain.game import EXACT_MODEL_POINTS, RIGHT_MAKE_POINTS
from cargame.web import booth_kiosk, ids, services
from cargame.web.components import booth
from cargame.web.components import widgets as ui
from cargame.web.components.start import register_start_callback, start_controls
from cargame.web.runtime import runtime_of

dash.register_page(__name__, path="/", title=ui.APP_TITLE, name="Play")


def layout(game=None, notice=None, **_query):
    current = services.game_in_progress(game)
    rounds = services.rounds_per_game()
    if services.is_booth() and current is None:
        kiosk = booth_kiosk.settings()
        return booth.attract_screen(
            booth_kiosk.attract_view(), ids.ATTRACT_STARTER, rounds, kiosk.attract_seconds
        )
    return html.Div(
        [
            ui.notice(notice),
            dbc.Row(
                [
                    dbc.Col(_intro(current, rounds), lg=7, className="mb-4"),
                    dbc.Col(_scoring(rounds), lg=5, className="mb-4"),
                ]
            ),
        ]
    )


def _intro(current, rounds):
    resume = []
    if current is not None:
        resume = [
            dcc.Link(
                f"Continue your game (round {current.round_number} of {current.total_rounds})",
                href=current.expected_path,
                className="btn btn-outline-secondary btn-lg ms-md-2 mt-2 mt-md-0",
            )
        ]
    return dbc.Card(
        dbc.CardBody(
            [
                html.P("Beat the AI · Car Edition", className="text-primary fw-semibold mb-1"),
                html.H1("Can you name the car before the AI does?", className="display-6 fw-bold"),
                html.P(
                    f"You and a neural network look at the same {ui.count_word(rounds)} car "
                    "photos and both name "
                    "the make and model. After each round you see the AI's five best guesses, "
                    "how sure it was, and a heatmap of where in the photo it looked.",
                    className="lead",
                ),
                html.Div(
                    [
                        start_controls(ids.HOME_STARTER, "Let's play", rounds),
                        *resume,
                    ],
                    className="my-4",
                ),
                _timer_switch(services.round_seconds(), services.timer_on()),
                html.P(
                    [
                        "Want to study first? Every model the AI knows is in the ",
                        dcc.Link("showroom", href="/showroom"),
                        ".",
                    ],
                    className="mb-0 text-body-secondary",
                ),
            ],
            className="p-4 p-lg-5",
        ),
        className="hero-card shadow-sm h-100 border-0",
    )


def _timer_switch(seconds, on):
    if not seconds:
        return None
    return dbc.Switch(
        id=ids.HOME_TIMER,
        label=_timer_label(seconds, on),
        value=on,
        className="mb-3 fs-5",
    )


def _timer_label(seconds, on):
    if on:
        return f"Round timer: {seconds} s per photo (turn off to take your time)"
    return "Round timer off: take your time"


def _scoring(rounds):
    rules = [
        ("✓", f"{EXACT_MODEL_POINTS} points", "the exact make and model"),
        ("◐", f"{RIGHT_MAKE_POINTS} point", "the right make, another model"),
        ("✗", "0 points", "a different make"),
    ]
    return dbc.Card(
        [
            dbc.CardHeader(html.H2("How scoring works", className="h5 mb-0")),
            dbc.ListGroup(
                [
                    dbc.ListGroupItem(
                        [
                            html.Span(icon, className="rule-icon me-3", **{"aria-hidden": "true"}),
                            html.Span([html.Strong(points), f" for {what}"]),
                        ],
                        className="d-flex align-items-center py-3",
                    )
                    for icon, points, what in rules
                ],
                flush=True,
            ),
            dbc.CardBody(
                html.P(
                    "The AI is scored the same way on its top answer. "
                    f"{ui.count_word(rounds).capitalize()} rounds; the higher total wins.",
                    className="mb-0 text-body-secondary",
                )
            ),
        ],
        className="shadow-sm h-100 border-0",
    )


def register_callbacks(app: DashProxy) -> None:
    """This page's callbacks, on this app."""
    register_start_callback(app, ids.HOME_STARTER)

    @app.callback(
        Output(ids.HOME_TIMER, "label"),
        Input(ids.HOME_TIMER, "value"),
        prevent_initial_call=True,
    )
    def choose_timer(on: bool | None) -> str:
        services.set_timer(bool(on))
        return _timer_label(services.round_seconds(), bool(on))

    if runtime_of(app.server).booth:
        register_start_callback(
            app, ids.ATTRACT_STARTER, busy=("className", "attract attract-busy", "attract")
        )
        # The slides cycle in the browser; after a while the page reloads for fresh figures.
        app.clientside_callback(
            """function (ticks, deck) {
                if (!deck) { return window.dash_clientside.no_update; }
                if (ticks && ticks >= deck.reload_after) { window.location.reload(); }
                return "attract-deck show-" + ((ticks || 0) % (deck.slides || 1));
            }""",
            Output(ids.ATTRACT_DECK, "className"),
            Input(ids.ATTRACT_TICK, "n_intervals"),
            State(ids.ATTRACT_COUNT, "data"),
            prevent_initial_call=True,
        )
