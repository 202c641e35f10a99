"""/analytics/cars: per car model, times shown, human and AI accuracy, AI confidence; presets
for the cars that fool humans, fool the AI or are hard for both; example photos with heatmaps."""

from __future__ import annotations

import dash
from dash import Input, Output, html
from dash_extensions.enrich import DashProxy

from cargame.accounts.guard import protect_output, require_role
from cargame.analytics import cars
from cargame.web import analytics_services as analytics
from cargame.web import car_examples
from cargame.web.components import analytics as ui
from cargame.web.components import cars_charts as charts
from cargame.web.ids import component_id
from cargame.web.layouts import records_layout

PATH = "/analytics/cars"
STATUS = component_id("analytics", "cars-status")
PRESET = component_id("analytics", "cars-preset")
TABLE = component_id("analytics", "cars-table")
EXAMPLES = component_id("analytics", "cars-examples")
MAX_LABEL_CHARS = 200  # no stored label is longer (LABEL_MAX_LENGTH)
PICK = "Select a row to see example photos of that car with the AI's heatmap."

dash.register_page(__name__, path=PATH, title="Cars · Analytics · Beat the AI", name="Cars")


@require_role("analyst", PATH)
@records_layout
def layout(**_query: str) -> html.Div:
    body = html.Div(
        [
            charts.preset_choice(PRESET),
            html.P(charts.PRESET_NOTE, className="small text-body-secondary mt-1"),
            html.Div(id=STATUS),
            charts.table(TABLE),
            html.Div(html.P(PICK, className="text-body-secondary"), id=EXAMPLES, className="mt-4"),
        ]
    )
    return ui.page("Analytics: cars", PATH, analytics.options(), body)


def register_callbacks(app: DashProxy) -> None:
    """The table and the examples of the selected car, for analysts only."""
    for output in (STATUS, TABLE, EXAMPLES):
        protect_output(app.server, output, "analyst")

    @app.callback(
        Output(STATUS, "children"),
        Output(TABLE, "data"),
        Output(TABLE, "active_cell"),
        *ui.FILTER_INPUTS,
        Input(PRESET, "value"),
    )
    def show(start, end, modes, versions, makes, levels, preset):
        preset = preset if preset in cars.PRESETS else "all"
        try:
            filters = analytics.filters_from(start, end, modes, versions, makes, levels)
            stats = analytics.view(cars.car_stats, filters, preset)
            # An empty preset says so only when the range has rounds at all.
            any_rounds = bool(stats) or bool(analytics.view(cars.car_stats, filters))
        except (analytics.FilterError, analytics.RecordsUnavailable) as error:
            return ui.problem(str(error)), [], None
        if not any_rounds:
            return ui.empty(), [], None
        if not stats:
            return ui.empty("No car fits this preset in this range."), [], None
        return None, charts.rows(stats), None

    @app.callback(Output(EXAMPLES, "children"), Input(TABLE, "active_cell"))
    def examples(active_cell):
        label = active_cell.get("row_id") if isinstance(active_cell, dict) else None
        if not isinstance(label, str) or not 0 < len(label) <= MAX_LABEL_CHARS:
            return html.P(PICK, className="text-body-secondary")
        return charts.examples(label, car_examples.examples(label))
