"""A round's photo and the player's guess: a make, then one of that make's models."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate
from dash_extensions.enrich import DashProxy

from cargame.domain.catalog import make_label, split_label
from cargame.domain.game import GameData, GameError
from cargame.web import components as ui
from cargame.web import ids, state
from cargame.web.media import media_url

PATH = "/attempt"

dash.register_page(__name__, path=PATH, title="Your guess · Beat the AI")


@ui.staged_layout(PATH)
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
                    dbc.Col(_guess_form(makes(current.labels)), lg=5, className="mb-4"),
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


def makes(labels: list[str]) -> list[str]:
    """The makes among the game's labels, sorted."""
    return sorted({split_label(label)[0] for label in labels})


def models(labels: list[str], make: str) -> list[str]:
    """The models of one make among the game's labels, sorted."""
    return sorted(model for brand, model in map(split_label, labels) if brand == make)


def register_callbacks(app: DashProxy) -> None:
    """This page's callbacks, on this app."""

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
        current = state.as_game(game)
        if not make or current is None:
            return [], None, True, "Choose a make first"
        return models(current.labels, make), None, False, f"Choose a {make} model"

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
        current = state.as_game(game)
        if current is None:
            return no_update, "/?notice=expired", None
        if current.stage != "attempt":
            return no_update, current.expected_path, None
        missing = _missing(make, model)
        if missing:
            return no_update, no_update, _warning(missing)
        try:
            answered = current.guess(make_label(make, model))
        except GameError:
            return no_update, no_update, _warning("That car is not in this game; pick again.")
        if answered.heatmap_token is not None:
            current.show_heatmap()  # /result opens with the AI's heatmap whenever there is one
        return state.pointer(current), current.expected_path, None


def _missing(make: str | None, model: str | None) -> str | None:
    if not make and not model:
        return "Choose a make and a model before you lock in."
    if not make:
        return "Choose a make first."
    if not model:
        return "Now choose the model too."
    return None


def _warning(text: str):
    return dbc.Alert(
        [html.Span("⚠", className="me-2", **{"aria-hidden": "true"}), text],
        color="warning",
        className="mb-0 py-2",
    )
