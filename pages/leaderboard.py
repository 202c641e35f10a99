"""/leaderboard: the registered players who beat the AI most, today, this week and all time."""

from __future__ import annotations

from typing import cast

import dash
import dash_bootstrap_components as dbc
from dash import html
from flask import has_request_context

from cargame.accounts import records
from cargame.web import services
from cargame.web.components import widgets as ui
from cargame.web.components.player_record import BY_POINTS, BY_WINS, leaderboard_table
from cargame.web.layouts import records_layout

PATH = "/leaderboard"
PERIOD_LABELS = {"today": "Today", "week": "This week", "all": "All time"}
DEFAULT_PERIOD = "week"

dash.register_page(__name__, path=PATH, title="Leaderboard · Beat the AI", name="Leaderboard")


@records_layout
def layout(period: str = DEFAULT_PERIOD, **_query: str) -> html.Div:
    selected = cast(records.Period, period if period in PERIOD_LABELS else DEFAULT_PERIOD)
    heading = ui.page_heading("Leaderboard", "Registered players who beat the AI most.")
    tabs = dbc.Nav(
        [
            dbc.NavItem(dbc.NavLink(label, href=f"{PATH}?period={key}", active=key == selected))
            for key, label in PERIOD_LABELS.items()
        ],
        pills=True,
        className="mb-3",
    )
    if not has_request_context():  # Dash validating layouts at start-up: no database to read
        return html.Div([heading, tabs])
    by_wins, by_points = services.leaderboards(selected)
    return html.Div(
        [
            heading,
            tabs,
            dbc.Row(
                [
                    dbc.Col(
                        leaderboard_table(
                            "Most wins against the AI", by_wins, "wins", BY_WINS, selected
                        )
                    ),
                    dbc.Col(
                        leaderboard_table("Most points", by_points, "points", BY_POINTS, selected)
                    ),
                ]
            ),
        ]
    )
