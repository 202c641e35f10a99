"""A round's photo and the player's guess: a make, then one of that make's models."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate
from dash_extensions.enrich import DashProxy

from cargame.domain.game import GameData
from cargame.web import booth_kiosk, ids, services, state
from cargame.web.components import booth
from cargame.web.components import widgets as ui
from cargame.web.layouts import staged_layout
from cargame.web.media import media_url
from cargame.web.runtime import runtime_of

PATH = "/attempt"

dash.register_page(__name__, path=PATH, title="Your guess · Beat the AI")


@staged_layout(PATH)
def layout(current, view):
    number, total = view["round_number"], view["total_rounds"]
    return html.Div(
        [
            ui.page_heading(
                f"Round {number} of {total}: which car is this?",
                "The AI has already answered. Its guess stays hidden until you lock in yours.",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            ui.photo(
                                media_url(view["image_token"]),
                                f"Round {number} photo: the car to identify",
                            ),
                            body=True,
                            className="shadow-sm border-0",
                        ),
                        lg=7,
                        className="mb-4",
                    ),
                    dbc.Col(
                        _tile_form(services.makes_of(current))
                        if services.is_booth()
                        else _guess_form(services.makes_of(current)),
                        lg=5,
                        className="mb-4",
                    ),
                ]
            ),
        ]
    )


def _guess_form(make_options):
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Your guess", className="h5 mb-3"),
                dbc.Label("Make", html_for=ids.ATTEMPT_MAKE, className="fw-semibold"),
                dcc.Dropdown(
                    id=ids.ATTEMPT_MAKE,
                    options=make_options,
                    placeholder="Choose a make (type to search)",
                    className="mb-3",
                ),
                dbc.Label("Model", html_for=ids.ATTEMPT_MODEL, className="fw-semibold"),
                dcc.Dropdown(
                    id=ids.ATTEMPT_MODEL,
                    options=[],
                    disabled=True,
                    placeholder="Choose a make first",
                    className="mb-4",
                ),
                dbc.Button(
                    "Lock in my guess",
                    id=ids.ATTEMPT_SUBMIT,
                    color="primary",
                    size="lg",
                    className="w-100",
                ),
                html.Div(id=ids.ATTEMPT_MESSAGE, role="alert", className="mt-3"),
                html.P(
                    "Keyboard: Tab moves between fields, typing filters a list, Enter picks.",
                    className="small text-body-secondary mt-3 mb-0",
                ),
            ]
        ),
        className="shadow-sm border-0 h-100",
    )


def _tile_form(makes):
    """The booth's touch-first guess: tap a make, then one of its models (with its picture)."""
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Your guess", className="h4 mb-3"),
                html.Div("Make", className="fw-semibold fs-5 mb-2", id="attempt-make-label"),
                booth.tiles(ids.ATTEMPT_MAKE, booth.make_options(makes)),
                html.Div(
                    "Tap a make to see its models",
                    id=ids.ATTEMPT_MODEL_HINT,
                    className="fw-semibold fs-5 mt-4 mb-2",
                ),
                booth.tiles(ids.ATTEMPT_MODEL, []),
                dbc.Button(
                    "Lock in my guess",
                    id=ids.ATTEMPT_SUBMIT,
                    color="primary",
                    size="lg",
                    className="w-100 mt-4 booth-touch",
                ),
                html.Div(id=ids.ATTEMPT_MESSAGE, role="alert", className="mt-3"),
            ]
        ),
        className="shadow-sm border-0 h-100",
    )


def register_callbacks(app: DashProxy) -> None:
    """This page's callbacks, on this app."""
    if runtime_of(app.server).booth:
        _register_tile_callback(app)
    else:
        _register_dropdown_callback(app)
    _register_lock_in(app)


def _register_tile_callback(app: DashProxy) -> None:
    @app.callback(
        Output(ids.ATTEMPT_MODEL, "options"),
        Output(ids.ATTEMPT_MODEL, "value"),
        Output(ids.ATTEMPT_MODEL_HINT, "children"),
        Input(ids.ATTEMPT_MAKE, "value"),
        State(ids.GAME_STORE, "data"),
        prevent_initial_call=True,
    )
    def offer_model_tiles(make: str | None, game: GameData | None) -> tuple[object, ...]:
        models = booth_kiosk.model_tiles(state.as_game(game), make)
        if not models:
            return [], None, "Tap a make to see its models"
        return booth.model_options(models), None, f"Which {make}?"


def _register_dropdown_callback(app: DashProxy) -> None:
    @app.callback(
        Output(ids.ATTEMPT_MODEL, "options"),
        Output(ids.ATTEMPT_MODEL, "value"),
        Output(ids.ATTEMPT_MODEL, "disabled"),
        Output(ids.ATTEMPT_MODEL, "placeholder"),
        Input(ids.ATTEMPT_MAKE, "value"),
        State(ids.GAME_STORE, "data"),
        prevent_initial_call=True,
    )
    def offer_models(make: str | None, game: GameData | None) -> tuple[object, ...]:
        models = services.models_of(state.as_game(game), make)
        if not models:
            return [], None, True, "Choose a make first"
        return models, None, False, f"Choose a {make} model"


def _register_lock_in(app: DashProxy) -> None:
    @app.callback(
        Output(ids.GAME_STORE, "data"),
        Output(ids.NAVIGATE, "href"),
        Output(ids.ATTEMPT_MESSAGE, "children"),
        Input(ids.ATTEMPT_SUBMIT, "n_clicks"),
        State(ids.ATTEMPT_MAKE, "value"),
        State(ids.ATTEMPT_MODEL, "value"),
        State(ids.GAME_STORE, "data"),
        prevent_initial_call=True,
    )
    def lock_in(
        clicks: int | None, make: str | None, model: str | None, game: GameData | None
    ) -> tuple[object, ...]:
        # Dash also calls this when the page content appears (the store is outside the page).
        if not clicks:
            raise PreventUpdate
        move = services.lock_in(state.as_game(game), make, model)
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
