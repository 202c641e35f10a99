"""/analytics: games per day by outcome, who wins, human vs AI accuracy over time (95 % CI)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, html
from dash_extensions.enrich import DashProxy

from cargame.accounts.guard import require_role
from cargame.analytics import overview
from cargame.analytics.filters import Filters
from cargame.web import analytics_services as analytics
from cargame.web.analytics_view import register_view
from cargame.web.components import analytics as ui
from cargame.web.components import overview_charts as charts
from cargame.web.ids import component_id
from cargame.web.layouts import records_layout

PATH = "/analytics"
SUMMARY = component_id("analytics", "overview-summary")
GAMES = component_id("analytics", "overview-games")
WINNERS = component_id("analytics", "overview-winners")
ACCURACY = component_id("analytics", "overview-accuracy")
GROUP = component_id("analytics", "overview-group")

dash.register_page(__name__, path=PATH, title="Analytics · Beat the AI", name="Analytics")


@require_role("analyst", PATH)
@records_layout
def layout(**_query: str) -> html.Div:
    body = html.Div(
        [
            html.Div(id=SUMMARY),
            ui.side_by_side(GAMES, WINNERS),
            dbc.RadioItems(
                id=GROUP,
                options=[
                    {"label": "by mode", "value": "mode"},
                    {"label": "by model (level and version)", "value": "model_version"},
                ],
                value="mode",
                inline=True,
            ),
            ui.chart(ACCURACY, height=420),
        ]
    )
    return ui.page("Analytics: overview", PATH, analytics.options(), body)


def register_callbacks(app: DashProxy) -> None:
    """The overview's one callback, for analysts only."""
    register_view(app, SUMMARY, (GAMES, WINNERS, ACCURACY), figures, Input(GROUP, "value"))


def figures(filters: Filters, group: str | None) -> tuple[object, ...] | None:
    analytics.abandon_stale_games()  # open games whose session has ended are no longer open
    days = analytics.view(overview.days, filters)
    if not days:
        return None
    players = analytics.view(overview.registered_players, filters)
    by = "model_version" if group == "model_version" else "mode"
    accuracy = analytics.view(overview.accuracy, filters, by)
    return (
        charts.summary(days, players),
        charts.games_figure(days),
        charts.winners_figure(days),
        charts.accuracy_figure(accuracy),
    )
