"""/analytics/ai: calibration of the AI's confidence, accuracy and top-5 hits per model."""

from __future__ import annotations

import dash
from dash import html
from dash_extensions.enrich import DashProxy

from cargame.accounts.guard import require_role
from cargame.analytics import model_quality
from cargame.analytics.filters import Filters
from cargame.web import analytics_services as analytics
from cargame.web.analytics_view import register_view
from cargame.web.components import ai_charts as charts
from cargame.web.components import analytics as ui
from cargame.web.ids import component_id
from cargame.web.layouts import records_layout

PATH = "/analytics/ai"
SUMMARY = component_id("analytics", "ai-summary")
RELIABILITY = component_id("analytics", "ai-reliability")
VERSIONS = component_id("analytics", "ai-versions")
TOP5 = component_id("analytics", "ai-top5")

dash.register_page(__name__, path=PATH, title="The AI · Analytics · Beat the AI", name="The AI")


@require_role("analyst", PATH)
@records_layout
def layout(**_query: str) -> html.Div:
    body = html.Div(
        [
            html.Div(id=SUMMARY),
            ui.chart(RELIABILITY, height=460),
            ui.side_by_side(VERSIONS, TOP5, (7, 5)),
        ]
    )
    return ui.page("Analytics: the AI", PATH, analytics.options(), body)


def register_callbacks(app: DashProxy) -> None:
    """The AI view's one callback, for analysts only."""
    register_view(app, SUMMARY, (RELIABILITY, VERSIONS, TOP5), figures)


def figures(filters: Filters) -> tuple[object, ...] | None:
    bins = analytics.view(model_quality.calibration, filters)
    per_version = analytics.view(model_quality.versions, filters)
    if not per_version:
        return None
    reliability = (
        charts.reliability_figure(bins)
        if bins
        else ui.blank_figure("No AI confidences recorded in this range.")
    )
    return (
        charts.summary(bins, per_version),
        reliability,
        charts.versions_figure(per_version),
        charts.top5_figure(per_version),
    )
