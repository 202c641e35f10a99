"""/profile: the signed-in player's games against the AI, win rate, streak and accuracy per make;
dates in the browser's time zone, and each game opens at /profile/game/<number>."""

from __future__ import annotations

from datetime import tzinfo
from typing import cast

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from dash_extensions.enrich import DashProxy

from cargame.accounts import records
from cargame.accounts.guard import protect_output, require_role
from cargame.web import profile_services, services
from cargame.web.components import player_record as shown
from cargame.web.components import widgets as ui
from cargame.web.layouts import records_layout

PATH = "/profile"
HISTORY_AREA = "profile-history-area"

dash.register_page(__name__, path=PATH, title="Your games · Beat the AI", name="Profile")

# The browser's time zone into a cookie (read by the server for every later page) and into the
# store, which redraws the dates when they were drawn in another zone.
SAY_TIME_ZONE = f"""
function (_id, drawn) {{
    var zone = "UTC";
    try {{ zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; }} catch (e) {{}}
    var secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie = "{profile_services.TIME_ZONE_COOKIE}=" + encodeURIComponent(zone)
        + "; path=/; max-age=31536000; SameSite=Lax" + secure;
    return zone === drawn ? window.dash_clientside.no_update : zone;
}}
"""


@require_role("player", PATH)
@records_layout
def layout(**_query: str) -> html.Div:
    zone = profile_services.time_zone()
    zone_name = profile_services.zone_name(zone)
    record = profile_services.profile(zone)
    stats = record.stats
    title = ui.page_heading(f"{record.username}'s games", "Your record against the AI.")
    if not stats.games:
        return html.Div(
            [
                shown.time_zone_store(zone_name),
                title,
                html.P("No finished games yet."),
                dcc.Link("Play a game", href="/"),
            ]
        )
    return html.Div(
        [
            shown.time_zone_store(zone_name),
            title,
            shown.summary(stats),
            dbc.Card(dbc.CardBody(shown.chart(stats, zone)), className="shadow-sm border-0 mb-4"),
            html.H2("Your games", className="h5 fw-bold"),
            html.P("Open a game to see it round by round.", className="text-body-secondary small"),
            shown.history_filter(),
            html.Div(
                shown.history_table(record.history, zone, zone_name),
                id=HISTORY_AREA,
                className="mb-4",
            ),
            html.H2("Accuracy per make", className="h5 fw-bold"),
            shown.accuracy_table(stats),
        ]
    )


def register_callbacks(app: DashProxy) -> None:
    """This page's callbacks, on this app; the chart and history are the player's own, so
    guarded by their output ids. Both redraw when the browser's time zone arrives."""
    protect_output(app.server, HISTORY_AREA, "player")
    protect_output(app.server, shown.CHART, "player")
    protect_output(app.server, shown.TIME_ZONE, "player")  # runs in the browser; guarded anyway
    app.clientside_callback(
        SAY_TIME_ZONE,
        Output(shown.TIME_ZONE, "data"),
        Input(shown.TIME_ZONE, "id"),
        State(shown.TIME_ZONE, "data"),
    )

    @app.callback(
        Output(shown.CHART, "figure"),
        Output(HISTORY_AREA, "children"),
        Input(shown.TIME_ZONE, "data"),
        State(shown.HISTORY_PERIOD, "value"),
        prevent_initial_call=True,
    )
    def redraw_dates(zone_name: str | None, period: str | None) -> tuple[object, object]:
        zone = profile_services.zone_of(zone_name) or profile_services.time_zone()
        try:
            figure = shown.figure(profile_services.stats(), zone)
        except services.RecordsUnavailable:
            figure = dash.no_update
        return figure, _history(period, zone)

    @app.callback(
        Output(HISTORY_AREA, "children"),
        Input(shown.HISTORY_PERIOD, "value"),
        State(shown.TIME_ZONE, "data"),
        prevent_initial_call=True,
    )
    def show_history(period: str | None, zone_name: str | None) -> object:
        return _history(period, profile_services.zone_of(zone_name) or profile_services.time_zone())


def _history(period: str | None, zone: tzinfo) -> object:
    chosen = cast(records.Period, period if period in shown.PERIODS else "all")
    try:
        games = profile_services.history(chosen, zone)
    except services.RecordsUnavailable as error:
        return ui.unavailable(str(error))
    return shown.history_table(games, zone, profile_services.zone_name(zone))
