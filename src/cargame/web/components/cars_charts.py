"""The cars view's pieces: preset choices, the per-car table and the example photos."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dash_table, html
from dash.development.base_component import Component

from cargame.analytics import cars
from cargame.domain.catalog import display_name
from cargame.web.car_examples import Example

PERCENT = dash_table.FormatTemplate.percentage(0)
PRESET_LABELS = {
    "all": "All",
    "fools_humans": "Fools humans",
    "fools_ai": "Fools the AI",
    "hard_for_both": "Hard for both",
}
LOW, HIGH = f"{cars.LOW:.0%}", f"{cars.HIGH:.0%}"
PRESET_NOTE = (
    f"Presets count only cars shown at least {cars.MIN_SHOWN} times. "
    f"Fools humans: human accuracy below {LOW}, AI {HIGH} or more, biggest gap first. "
    f"Fools the AI: AI below {LOW}, humans {HIGH} or more, biggest gap first. "
    f"Hard for both: both below {LOW}, hardest first. Accuracy means the exact model."
)
COLUMNS = [
    {"id": "car", "name": "Car model"},
    {"id": "make", "name": "Make"},
    {"id": "shown", "name": "Times shown", "type": "numeric"},
    {"id": "human", "name": "Human accuracy", "type": "numeric", "format": PERCENT},
    {"id": "ai", "name": "AI accuracy", "type": "numeric", "format": PERCENT},
    {"id": "confidence", "name": "AI mean confidence", "type": "numeric", "format": PERCENT},
]


def preset_choice(component_id: str) -> Component:
    return dbc.RadioItems(
        id=component_id,
        options=[{"label": label, "value": value} for value, label in PRESET_LABELS.items()],
        value="all",
        inline=True,
    )


def table(component_id: str) -> Component:
    """The per-car table, sortable and filterable in the browser; a row's id is its label."""
    return dash_table.DataTable(
        id=component_id,
        columns=COLUMNS,
        data=[],
        sort_action="native",
        filter_action="native",
        page_action="native",
        page_size=15,
        style_table={"overflowX": "auto"},
        style_cell={"fontFamily": "system-ui, sans-serif", "fontSize": 13, "padding": "4px 8px"},
        style_header={"fontWeight": "600"},
    )


def rows(stats: list[cars.CarStats]) -> list[dict[str, Any]]:
    """Table rows: rates as fractions (formatted as percentages), the label as the row id."""
    return [
        {
            "id": car.label,
            "car": display_name(car.label),
            "make": car.make,
            "shown": car.shown,
            "human": round(car.human_accuracy, 4),
            "ai": round(car.ai_accuracy, 4),
            "confidence": (
                round(car.ai_mean_confidence, 4) if car.ai_mean_confidence is not None else None
            ),
        }
        for car in stats
    ]


def examples(label: str, found: list[Example]) -> Component:
    """Each photo beside the AI's heatmap, or "heatmap unavailable"."""
    name = label.replace("/", " ", 1)
    if not found:
        return html.P(f"No photos of the {name} in the catalog.", className="text-body-secondary")
    return html.Div(
        [
            html.H2(f"{name}: photos and where the AI looked", className="h6 fw-semibold"),
            dbc.Row([dbc.Col(_example(name, item), md=6, xl=4) for item in found], className="g-3"),
        ]
    )


def _example(name: str, item: Example) -> Component:
    heatmap = (
        html.Img(src=item.heatmap_url, alt=f"The AI's heatmap on a {name}", className="img-fluid")
        if item.heatmap_url
        else html.Div("heatmap unavailable", className="small text-body-secondary p-2 border")
    )
    return dbc.Row(
        [
            dbc.Col(html.Img(src=item.photo_url, alt=f"A {name}", className="img-fluid"), width=6),
            dbc.Col(heatmap, width=6),
        ],
        className="g-1",
    )
