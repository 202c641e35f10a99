"""/analytics/confusions: for humans or the AI, the most frequent wrong (truth -> answer) pairs
and the confusion matrix of makes, with a drill-down to the models of one make."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html
from dash_extensions.enrich import DashProxy

from cargame.accounts.guard import protect_output, require_role
from cargame.analytics import confusions
from cargame.web import analytics_services as analytics
from cargame.web.components import analytics as ui
from cargame.web.components import confusion_charts as charts
from cargame.web.ids import component_id
from cargame.web.layouts import records_layout

PATH = "/analytics/confusions"
STATUS = component_id("analytics", "confusions-status")
WHO = component_id("analytics", "confusions-who")
PAIRS = component_id("analytics", "confusions-pairs")
MAKES = component_id("analytics", "confusions-makes")
DRILL = component_id("analytics", "confusions-drill")
MODELS = component_id("analytics", "confusions-models")
PICK_MAKE = "Choose a make (or click a row of the matrix) to see its models."

dash.register_page(
    __name__, path=PATH, title="Confusions · Analytics · Beat the AI", name="Confusions"
)


@require_role("analyst", PATH)
@records_layout
def layout(**_query: str) -> html.Div:
    options = analytics.options()
    body = html.Div(
        [
            dbc.RadioItems(
                id=WHO,
                options=[
                    {"label": label, "value": who} for who, label in charts.WHO_LABELS.items()
                ],
                value="human",
                inline=True,
                className="mb-2",
            ),
            html.P(
                "Wrong answers only in the pairs; the matrices include right answers on the "
                "diagonal. Rounds without an answer count as “no answer”.",
                className="small text-body-secondary",
            ),
            html.Div(id=STATUS),
            ui.chart(PAIRS, height=460),
            ui.chart(MAKES, height=460),
            dbc.Label("Models of one make", className="small fw-semibold mt-3"),
            dcc.Dropdown(
                id=DRILL,
                options=[{"label": make, "value": make} for make in options.makes],
                placeholder="Choose a make",
                className="mb-2",
            ),
            ui.chart(MODELS, height=460),
        ]
    )
    return ui.page("Analytics: confusions", PATH, options, body)


def _who(value: object) -> confusions.Who:
    return "ai" if value == "ai" else "human"


def register_callbacks(app: DashProxy) -> None:
    """Pairs and the make matrix; the drill-down matrix; a matrix click picks the make."""
    for output in (STATUS, PAIRS, MAKES, DRILL, MODELS):
        protect_output(app.server, output, "analyst")

    @app.callback(
        Output(STATUS, "children"),
        Output(PAIRS, "figure"),
        Output(MAKES, "figure"),
        *ui.FILTER_INPUTS,
        Input(WHO, "value"),
    )
    def show(start, end, modes, versions, makes, levels, who):
        who = _who(who)
        try:
            filters = analytics.filters_from(start, end, modes, versions, makes, levels)
            matrix = analytics.view(confusions.make_matrix, filters, who)
            pairs = analytics.view(confusions.top_pairs, filters, who)
        except (analytics.FilterError, analytics.RecordsUnavailable) as error:
            blank = ui.blank_figure(str(error))
            return ui.problem(str(error)), blank, blank
        if not matrix:
            blank = ui.blank_figure()
            return ui.empty(), blank, blank
        pairs_figure = (
            charts.pairs_figure(pairs, who) if pairs else ui.blank_figure("No wrong answers.")
        )
        return None, pairs_figure, charts.makes_figure(matrix, who)

    @app.callback(
        Output(MODELS, "figure"), *ui.FILTER_INPUTS, Input(WHO, "value"), Input(DRILL, "value")
    )
    def drill(start, end, modes, versions, makes, levels, who, make):
        if not isinstance(make, str) or not make:
            return ui.blank_figure(PICK_MAKE)
        who = _who(who)
        try:
            filters = analytics.filters_from(start, end, modes, versions, makes, levels)
            cells = analytics.view(confusions.model_matrix, filters, who, make)
        except (analytics.FilterError, analytics.RecordsUnavailable) as error:
            return ui.blank_figure(str(error))
        if not cells:
            return ui.blank_figure(f"No {make} cars were shown in this range.")
        return charts.models_figure(cells, who, make)

    @app.callback(Output(DRILL, "value"), Input(MAKES, "clickData"), prevent_initial_call=True)
    def pick(click):
        points = click.get("points") if isinstance(click, dict) else None
        point = points[0] if isinstance(points, list) and points else None
        make = point.get("y") if isinstance(point, dict) else None
        if not isinstance(make, str) or not make:
            raise dash.exceptions.PreventUpdate
        return make
