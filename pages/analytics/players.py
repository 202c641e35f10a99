"""/analytics/players: time to guess vs correctness, learning within a game, returning players
and guests who keep their game. Counts only: no player is named."""

from __future__ import annotations

import dash
from dash import html
from dash_extensions.enrich import DashProxy

from cargame.accounts.guard import require_role
from cargame.analytics import players
from cargame.analytics.filters import Filters
from cargame.web import analytics_services as analytics
from cargame.web.analytics_view import register_view
from cargame.web.components import analytics as ui
from cargame.web.components import players_charts as charts
from cargame.web.ids import component_id
from cargame.web.layouts import records_layout

PATH = "/analytics/players"
SUMMARY = component_id("analytics", "players-summary")
TIME = component_id("analytics", "players-time")
LEARNING = component_id("analytics", "players-learning")
RETURNING = component_id("analytics", "players-returning")

dash.register_page(__name__, path=PATH, title="Players · Analytics · Beat the AI", name="Players")


@require_role("analyst", PATH)
@records_layout
def layout(**_query: str) -> html.Div:
    body = html.Div(
        [
            html.Div(id=SUMMARY),
            ui.side_by_side(TIME, LEARNING),
            ui.chart(RETURNING),
        ]
    )
    return ui.page("Analytics: players", PATH, analytics.options(), body)


def register_callbacks(app: DashProxy) -> None:
    """The players view's one callback, for analysts only."""
    register_view(app, SUMMARY, (TIME, LEARNING, RETURNING), figures)


def figures(filters: Filters) -> tuple[object, ...] | None:
    learning = analytics.view(players.learning, filters)
    if not learning:
        return None
    buckets = analytics.view(players.time_to_guess, filters)
    returning = analytics.view(players.returning, filters)
    conversion = analytics.view(players.conversion, filters)
    return (
        charts.summary(buckets, returning, conversion),
        charts.time_figure(buckets) if buckets else ui.blank_figure("No timed rounds."),
        charts.learning_figure(learning),
        _returning(returning),
    )


def _returning(returning: players.Returning) -> dict:
    if returning.games_per_player:
        return charts.returning_figure(returning)
    return ui.blank_figure("No registered players in this range.")
