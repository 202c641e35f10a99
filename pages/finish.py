"""The final score, every round at a glance, whether the game was saved, and "Play again"."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html
from dash_extensions.enrich import DashProxy

from cargame.web import ids, services
from cargame.web.components import final_score
from cargame.web.components.start import register_start_callback
from cargame.web.layouts import staged_layout

PATH = "/finish"

dash.register_page(__name__, path=PATH, title="Final score · Beat the AI")


@staged_layout(PATH)
def layout(current, view):
    finish = services.finish_view(current)
    return html.Div(
        [
            final_score.final_score(view, finish),
            html.Div(final_score.saved_note(finish), id=ids.FINISH_SAVED),
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


def register_callbacks(app: DashProxy) -> None:
    """This page's callbacks, on this app."""
    register_start_callback(app, ids.FINISH_STARTER)
