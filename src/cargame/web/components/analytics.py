"""What every analytics page shares: the section tabs, the filter bar, empty states and the
look of the charts. The filter bar keeps its choices while the analyst moves between views."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, dcc, html
from dash.development.base_component import Component

from cargame.analytics.filters import MODES
from cargame.analytics.options import FilterOptions
from cargame.web.ids import component_id

DATES = component_id("analytics", "dates")
MODE = component_id("analytics", "mode")
VERSION = component_id("analytics", "version")
MAKE = component_id("analytics", "make")
LEVEL = component_id("analytics", "level")
FILTER_INPUTS = [
    Input(DATES, "start_date"),
    Input(DATES, "end_date"),
    Input(MODE, "value"),
    Input(VERSION, "value"),
    Input(MAKE, "value"),
    Input(LEVEL, "value"),
]
SECTIONS = [
    ("/analytics", "Overview"),
    ("/analytics/cars", "Cars"),
    ("/analytics/confusions", "Confusions"),
    ("/analytics/ai", "The AI"),
    ("/analytics/players", "Players"),
    ("/analytics/export", "Export"),
]
EMPTY = "No games in this range. Widen the dates or clear a filter."
HUMAN, AI = "#3b528b", "#21918c"  # viridis, told apart by line style and markers as well
FONT = {"size": 13, "family": "system-ui, sans-serif"}


def page(title: str, path: str, options: FilterOptions, body: Component) -> Component:
    """An analytics page: heading, section tabs, the filter bar and the view's own body."""
    return html.Div(
        [
            html.H1(title, className="h3 fw-bold mb-1"),
            html.P(
                "Players appear as pseudonyms; guests as one group. Dates are UTC.",
                className="text-body-secondary small mb-3",
            ),
            sections(path),
            filter_bar(options),
            body,
        ],
        className="analytics",
    )


def sections(active: str) -> Component:
    return dbc.Nav(
        [
            dbc.NavItem(dbc.NavLink(label, href=path, active=path == active))
            for path, label in SECTIONS
        ],
        pills=True,
        className="mb-3 flex-wrap",
    )


def filter_bar(options: FilterOptions) -> Component:
    """Date range, mode, opponent level, model version and make; empty means all."""
    keep = {"persistence": True, "persistence_type": "session"}
    return dbc.Card(
        dbc.CardBody(
            dbc.Row(
                [
                    _labelled(
                        "Dates (UTC)",
                        dcc.DatePickerRange(
                            id=DATES,
                            min_date_allowed=options.first_day,
                            max_date_allowed=options.last_day,
                            display_format="YYYY-MM-DD",
                            clearable=True,
                            **keep,
                        ),
                    ),
                    _labelled("Mode", _choice(MODE, [(mode, mode) for mode in MODES], keep), lg=2),
                    _labelled(
                        "Opponent",
                        _choice(LEVEL, [(v, v.capitalize()) for v in options.levels], keep),
                        lg=2,
                    ),
                    _labelled(
                        "Model version",
                        _choice(VERSION, [(v, f"v{v}") for v in options.model_versions], keep),
                        lg=2,
                    ),
                    _labelled("Make", _choice(MAKE, [(m, m) for m in options.makes], keep)),
                ],
                className="g-3",
            )
        ),
        className="mb-4 shadow-sm border-0 analytics-filters",
    )


def _labelled(label: str, control: Component, lg: int = 3) -> Component:
    return dbc.Col([dbc.Label(label, className="small fw-semibold"), control], md=6, lg=lg)


def _choice(component: str, options: list[tuple[Any, str]], keep: dict[str, Any]) -> Component:
    return dcc.Dropdown(
        id=component,
        options=[{"value": value, "label": label} for value, label in options],
        multi=True,
        placeholder="All",
        **keep,
    )


def empty(message: str = EMPTY) -> Component:
    return dbc.Alert(message, color="light", className="border analytics-empty")


def problem(message: str) -> Component:
    return dbc.Alert(message, color="warning")


def chart(component_id: str, height: int = 340) -> Component:
    """A graph slot that a callback fills."""
    return dcc.Graph(
        id=component_id,
        config={"displayModeBar": False, "responsive": True},
        style={"height": f"{height}px"},
    )


def side_by_side(left: str, right: str, widths: tuple[int, int] = (6, 6)) -> Component:
    """Two chart slots next to each other on wide screens, one above the other on phones."""
    return dbc.Row(
        [dbc.Col(chart(left), lg=widths[0]), dbc.Col(chart(right), lg=widths[1])],
        className="g-3 mb-3",
    )


def error_bars(rates: list[tuple[float, float, float]]) -> dict[str, Any]:
    """Plotly error bars from (rate, low, high) triples, e.g. Wilson intervals."""
    return {
        "type": "data",
        "symmetric": False,
        "array": [high - rate for rate, _, high in rates],
        "arrayminus": [rate - low for rate, low, _ in rates],
    }


def figure(data: list[dict[str, Any]], title: str, x: str, y: str, **layout: Any) -> dict:
    """A plain Plotly figure dict with a title and labelled axes (no template: small JSON)."""
    y_axis = {"title": {"text": y}, "gridcolor": "#e9ecef", "automargin": True}
    y_axis.update(layout.pop("yaxis", {}))
    x_axis = {"title": {"text": x}, "gridcolor": "#e9ecef", "automargin": True}
    x_axis.update(layout.pop("xaxis", {}))
    return {
        "data": data,
        "layout": {
            "title": {"text": title, "x": 0.01, "y": 0.97, "font": {"size": 15}},
            "xaxis": x_axis,
            "yaxis": y_axis,
            "margin": {"l": 56, "r": 16, "t": 76, "b": 48},
            # Above the plot, under the title: never over the axis title.
            "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.01, "x": 0},
            "plot_bgcolor": "rgba(0,0,0,0)",
            "paper_bgcolor": "rgba(0,0,0,0)",
            "font": FONT,
            **layout,
        },
    }


def day_axis(days: list[str]) -> dict[str, Any]:
    """An x axis of whole UTC days: one tick label per day, never hours or milliseconds; a
    single day gets a day of room on each side."""
    axis: dict[str, Any] = {"type": "date", "tickformat": "%b %d", "hoverformat": "%Y-%m-%d"}
    if len(days) <= 14:
        axis["dtick"] = 86_400_000
    if days:
        first, last = date.fromisoformat(min(days)), date.fromisoformat(max(days))
        axis["range"] = [str(first - timedelta(days=1)), str(last + timedelta(days=1))]
    return axis


def blank_figure(message: str = EMPTY) -> dict:
    """A figure that says there is nothing to draw."""
    return {
        "data": [],
        "layout": {
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
            "annotations": [{"text": message, "showarrow": False, "font": FONT}],
            "plot_bgcolor": "rgba(0,0,0,0)",
            "paper_bgcolor": "rgba(0,0,0,0)",
        },
    }


def stat_cards(figures: list[tuple[str, str]]) -> Component:
    """Key figures as a row of small cards: (label, value)."""
    return dbc.Row(
        [
            dbc.Col(
                dbc.Card(
                    dbc.CardBody(
                        [html.Div(label, className="small text-body-secondary"), html.H4(value)]
                    ),
                    className="shadow-sm border-0 h-100",
                ),
                xs=6,
                md=4,
                xl=2,
            )
            for label, value in figures
        ],
        className="g-2 mb-3",
    )
