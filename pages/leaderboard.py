"""/leaderboard: the registered players who beat the AI most, today, this week and all time."""

from __future__ import annotations

from typing import cast

import dash
import dash_bootstrap_components as dbc
from dash import html
from flask import has_request_context

from cargame.accounts import records
from cargame.accounts.context import db_session, when_records_unavailable
from cargame.web import components as ui
from cargame.web.ids import component_id

PATH = "/leaderboard"
BY_WINS = component_id("leaderboard", "by-wins")
BY_POINTS = component_id("leaderboard", "by-points")
PERIOD_LABELS = {"today": "Today", "week": "This week", "all": "All time"}
EMPTY_WHEN = {"today": "today yet", "week": "this week yet", "all": "yet"}
DEFAULT_PERIOD = "week"

dash.register_page(__name__, path=PATH, title="Leaderboard · Beat the AI", name="Leaderboard")


def _table(
    title: str, rows: list[records.LeaderboardRow], by: str, table_id: str, period: str
) -> html.Div:
    if not rows:
        empty = html.P(f"No games by registered players {EMPTY_WHEN[period]}. Be the first!")
        return html.Div([html.H3(title, className="h5"), empty], id=table_id)
    header = html.Thead(
        html.Tr(
            [
                html.Th("#"),
                html.Th("Player"),
                html.Th("Wins vs AI"),
                html.Th("Points"),
                html.Th("Games"),
            ]
        )
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(row.rank),
                    html.Td(row.username),
                    html.Td(html.Strong(row.wins) if by == "wins" else row.wins),
                    html.Td(html.Strong(row.points) if by == "points" else row.points),
                    html.Td(row.games),
                ]
            )
            for row in rows
        ]
    )
    return html.Div(
        [html.H3(title, className="h5"), dbc.Table([header, body], striped=True, size="sm")],
        id=table_id,
    )


@when_records_unavailable(ui.unavailable)
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
    with db_session() as database:
        by_wins = records.leaderboard(database, selected, "wins")
        by_points = records.leaderboard(database, selected, "points")
    return html.Div(
        [
            heading,
            tabs,
            dbc.Row(
                [
                    dbc.Col(_table("Most wins against the AI", by_wins, "wins", BY_WINS, selected)),
                    dbc.Col(_table("Most points", by_points, "points", BY_POINTS, selected)),
                ]
            ),
        ]
    )
