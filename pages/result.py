"""A round's answer: the photo beside the heatmap, both guesses, the AI's top five, the points."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, html, no_update
from dash.exceptions import PreventUpdate
from dash_extensions.enrich import DashProxy

from cargame.domain.game import GameData, GameError
from cargame.web import ids, services, state
from cargame.web.components import answer
from cargame.web.layouts import staged_layout

PATH = "/result"

dash.register_page(__name__, path=PATH, title="The answer · Beat the AI")


POLL_SECONDS = 0.5  # how often a page waiting for its heatmaps asks again


@staged_layout(PATH)
def layout(current, view):
    reveal, pending = services.answer_view(current)
    number, total = view["round_number"], view["total_rounds"]
    last = number == total
    # The verdict, both answers and "Next" first: they fit the first screen on a laptop and a
    # phone; the pictures and the AI's top five follow.
    return html.Div(
        [
            answer.verdict_card(
                reveal,
                number,
                total,
                dbc.Button(
                    "See the result →" if last else "Next round →",
                    id=ids.RESULT_NEXT,
                    color="primary",
                    size="lg",
                    className="px-4 w-100 booth-touch",
                ),
            ),
            answer.pictures(reveal, number, pending, POLL_SECONDS),
            dbc.Row(
                [
                    dbc.Col(answer.chart_card(reveal), lg=7, className="mb-4"),
                    dbc.Col(answer.legend_card(), lg=5, className="mb-4"),
                ]
            ),
        ]
    )


def register_callbacks(app: DashProxy) -> None:
    """This page's callbacks, on this app."""

    @app.callback(
        Output(ids.RESULT_TRUTH_HEATMAP, "className"),
        Input(ids.RESULT_TRUTH_SWITCH, "value"),
        State(ids.GAME_STORE, "data"),
        prevent_initial_call=True,
    )
    def toggle_truth_heatmap(show_truth: bool | None, game: GameData | None) -> str:
        if not show_truth:
            return answer.HIDDEN
        services.show_truth_heatmap(state.as_game(game))
        return answer.SHOWN

    @app.callback(
        Output(ids.RESULT_AI_PICTURE, "children"),
        Output(ids.RESULT_TRUTH_PICTURE, "children"),
        Output(ids.RESULT_HEATMAP_POLL, "disabled"),
        Input(ids.RESULT_HEATMAP_POLL, "n_intervals"),
        State(ids.GAME_STORE, "data"),
        prevent_initial_call=True,
    )
    def show_heatmaps(ticks: int | None, game: GameData | None) -> tuple[object, ...]:
        try:
            reveal, pending = services.poll_heatmaps(
                state.as_game(game), (ticks or 0) * POLL_SECONDS
            )
        except GameError:  # the game moved on (another tab): nothing to show here
            return no_update, no_update, True
        if pending:
            raise PreventUpdate
        return answer.ai_heatmap(reveal), answer.truth_heatmap(reveal), True

    @app.callback(
        Output(ids.GAME_STORE, "data"),
        Output(ids.NAVIGATE, "href"),
        Input(ids.RESULT_NEXT, "n_clicks"),
        State(ids.GAME_STORE, "data"),
        prevent_initial_call=True,
    )
    def next_round(clicks: int | None, game: GameData | None) -> tuple[object, ...]:
        # Dash also calls this when the page content appears (the store is outside the page).
        if not clicks:
            raise PreventUpdate
        move = services.next_round(state.as_game(game))
        return state.pointer(move.game) if move.game else no_update, move.href or no_update
