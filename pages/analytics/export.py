"""/analytics/export: the filtered rounds as CSV or Parquet, pseudonymous, streamed."""

from __future__ import annotations

from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import Output, html
from dash_extensions.enrich import DashProxy

from cargame.accounts.guard import protect_output, require_role
from cargame.analytics.export import NAMES
from cargame.web import analytics_services as analytics
from cargame.web.components import analytics as ui
from cargame.web.ids import component_id
from cargame.web.layouts import records_layout

PATH = "/analytics/export"
CSV = component_id("analytics", "export-csv")
PARQUET = component_id("analytics", "export-parquet")
MESSAGE = component_id("analytics", "export-message")

dash.register_page(__name__, path=PATH, title="Export · Analytics · Beat the AI")


@require_role("analyst", PATH)
@records_layout
def layout(**_query: str) -> html.Div:
    body = dbc.Card(
        dbc.CardBody(
            [
                html.P(
                    "One row per guessed round of the games that match the filters, oldest "
                    "first. Players are pseudonyms (a keyed hash of the account), guests are "
                    '"guest"; no usernames.'
                ),
                html.Div(
                    [
                        html.A("Download CSV", id=CSV, className="btn btn-primary me-2"),
                        html.A("Download Parquet", id=PARQUET, className="btn btn-outline-primary"),
                    ],
                    className="mb-3",
                ),
                html.Div(id=MESSAGE),
                html.Details(
                    [html.Summary("Columns"), html.Code(", ".join(NAMES), className="small")]
                ),
            ]
        ),
        className="shadow-sm border-0",
    )
    return ui.page("Analytics: export", PATH, analytics.options(), body)


def register_callbacks(app: DashProxy) -> None:
    """The download links follow the filters."""
    for output in (CSV, PARQUET, MESSAGE):
        protect_output(app.server, output, "analyst")

    @app.callback(
        Output(CSV, "href"), Output(PARQUET, "href"), Output(MESSAGE, "children"), *ui.FILTER_INPUTS
    )
    def links(start, end, modes, versions, makes, levels):
        try:
            filters = analytics.filters_from(start, end, modes, versions, makes, levels)
        except analytics.FilterError as error:
            return None, None, ui.problem(str(error))
        query = urlencode(filters.to_args())
        suffix = f"?{query}" if query else ""
        return f"/analytics/export.csv{suffix}", f"/analytics/export.parquet{suffix}", None
