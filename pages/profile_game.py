"""/profile/game/<number>: one of the signed-in player's own games, round by round, read-only.

The number is the game's place in the player's own history, so no URL can name someone else's.
"""

from __future__ import annotations

import re

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from cargame.accounts.guard import require_role
from cargame.web import profile_services, share
from cargame.web.components import past_game
from cargame.web.components import widgets as ui
from cargame.web.components.share import share_button
from cargame.web.layouts import records_layout

PATH_TEMPLATE = "/profile/game/<number>"
NUMBER = re.compile(r"[1-9][0-9]{0,8}")

dash.register_page(
    __name__, path_template=PATH_TEMPLATE, title="A past game · Beat the AI", name="Past game"
)


@require_role("player", "/profile")
@records_layout
def layout(number: str | None = None, **_query: str) -> html.Div:
    found = NUMBER.fullmatch(number or "")
    view = profile_services.past_game(int(number)) if found and number else None
    back = dcc.Link("← All your games", href="/profile", className="d-inline-block mb-3")
    if view is None:
        return html.Div(
            [
                back,
                ui.page_heading("No such game", "Your history has no game with this number."),
            ]
        )
    game = view.game
    url = share.share_url(game.game_id)
    rounds = len(game.rounds)
    return html.Div(
        [
            back,
            past_game.summary(
                game, profile_services.time_zone(), share_button(url) if url else None
            ),
            html.H2("Round by round", className="h5 fw-bold mb-3"),
            dbc.Row(
                [
                    dbc.Col(past_game.round_card(played, photo))
                    for played, photo in zip(game.rounds, view.photo_urls, strict=True)
                ],
                className=f"g-3 mb-4 row-cols-1 row-cols-sm-2 row-cols-lg-{rounds}",
            ),
        ]
    )
