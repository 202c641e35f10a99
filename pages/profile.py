"""/profile: the signed-in player's games against the AI, win rate, streak and accuracy per make."""

from __future__ import annotations

import dash
from dash import dcc, html

from cargame.accounts.guard import require_role
from cargame.web import services
from cargame.web.components import player_record as shown
from cargame.web.components import widgets as ui
from cargame.web.layouts import records_layout

PATH = "/profile"

dash.register_page(__name__, path=PATH, title="Your games · Beat the AI", name="Profile")


@require_role("player", PATH)
@records_layout
def layout(**_query: str) -> html.Div:
    record = services.player_record()
    stats = record.stats
    title = ui.page_heading(f"{record.username}'s games", "Your record against the AI.")
    if not stats.games:
        return html.Div(
            [title, html.P("No finished games yet."), dcc.Link("Play a game", href="/")]
        )
    return html.Div(
        [
            title,
            shown.summary(stats),
            dcc.Graph(id=shown.CHART, figure=shown.figure(stats), config={"displayModeBar": False}),
            html.H3("Accuracy per make", className="h5 mt-3"),
            shown.accuracy_table(stats),
            html.H3("Your games", className="h5 mt-3"),
            shown.history_table(record.history),
        ]
    )
