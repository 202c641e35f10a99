"""/profile: the signed-in player's games against the AI, win rate, streak and accuracy per make."""

from __future__ import annotations

from typing import cast

import dash
from dash import Input, Output, dcc, html
from dash_extensions.enrich import DashProxy

from cargame.accounts import records
from cargame.accounts.guard import protect_output, require_role
from cargame.web import services
from cargame.web.components import player_record as shown
from cargame.web.components import widgets as ui
from cargame.web.layouts import records_layout

PATH = "/profile"
HISTORY_AREA = "profile-history-area"

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
            shown.history_filter(),
            html.Div(shown.history_table(record.history), id=HISTORY_AREA),
        ]
    )


def register_callbacks(app: DashProxy) -> None:
    """This page's callbacks, on this app; the history is the player's own, so guarded."""
    protect_output(app.server, HISTORY_AREA, "player")

    @app.callback(
        Output(HISTORY_AREA, "children"),
        Input(shown.HISTORY_PERIOD, "value"),
        prevent_initial_call=True,
    )
    def show_history(period: str | None) -> object:
        chosen = cast(records.Period, period if period in shown.PERIODS else "all")
        try:
            return shown.history_table(services.player_history(chosen))
        except services.RecordsUnavailable as error:
            return ui.unavailable(str(error))
