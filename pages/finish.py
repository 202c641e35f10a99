"""The final score, every round at a glance, whether the game was saved, and "Play again"."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, html, no_update
from dash.exceptions import PreventUpdate
from dash_extensions.enrich import DashProxy

from cargame.domain.game import GameData
from cargame.web import ids, services, state
from cargame.web.components import booth, final_score
from cargame.web.components.share import share_button
from cargame.web.components.start import register_start_callback
from cargame.web.layouts import staged_layout

PATH = "/finish"
NICKNAME_AREA = "finish-nickname-area"

dash.register_page(__name__, path=PATH, title="Final score · Beat the AI")


@staged_layout(PATH)
def layout(current, view):
    finish = services.finish_view(current)
    return html.Div(
        [
            final_score.final_score(view, finish),
            _booth_extras(finish) if finish.booth else None,
            html.Div(final_score.saved_note(finish), id=ids.FINISH_SAVED),
            html.Div(share_button(finish.share_url), className="mb-4")
            if finish.share_url
            else None,
            html.H2("Round by round", className="h5 fw-bold mb-3"),
            dbc.Row(
                [
                    dbc.Col(final_score.round_card(number, answer))
                    for number, answer in enumerate(view["rounds"], start=1)
                ],
                # One column on phones, two on tablets, every round side by side on desktops.
                className=f"g-3 mb-4 row-cols-1 row-cols-sm-2 row-cols-lg-{len(view['rounds'])}",
            ),
        ]
    )


def _booth_extras(finish):
    """The kiosk: a name for today's board and, for a guest, the QR code to keep the game."""
    cards = []
    if finish.save_status != "unsaved":
        cards.append(
            html.Div(booth.nickname_form(finish.nickname), id=NICKNAME_AREA, className="col")
        )
    if finish.take_home is not None:
        home = finish.take_home
        cards.append(
            html.Div(booth.take_home(home.qr_data_uri, home.lifetime, home.url), className="col")
        )
    if not cards:
        return None
    return dbc.Card(
        dbc.CardBody(html.Div(cards, className="row row-cols-1 row-cols-lg-2 g-4")),
        className="shadow-sm border-0 mb-4 booth-extras",
    )


def register_callbacks(app: DashProxy) -> None:
    """This page's callbacks, on this app."""
    register_start_callback(app, ids.FINISH_STARTER)

    @app.callback(
        Output(NICKNAME_AREA, "children"),
        Output(ids.FINISH_NICKNAME_MESSAGE, "children"),
        Input(ids.FINISH_NICKNAME_SAVE, "n_clicks"),
        Input(ids.FINISH_NICKNAME, "n_submit"),
        State(ids.FINISH_NICKNAME, "value"),
        State(ids.GAME_STORE, "data"),
        prevent_initial_call=True,
    )
    def save_nickname(
        clicks: int | None, submits: int | None, raw: str | None, game: GameData | None
    ) -> tuple[object, object]:
        if not (clicks or submits):
            raise PreventUpdate
        name, problem = services.save_nickname(state.as_game(game), raw)
        if name is None:
            return no_update, dbc.Alert(problem, color="warning", className="mb-0 py-2")
        return booth.nickname_saved(name), no_update
