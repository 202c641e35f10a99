"""/leaderboard: the registered players who beat the AI most, today, this week and all time,
against every opponent level or one of them."""

from __future__ import annotations

from typing import cast

import dash
import dash_bootstrap_components as dbc
from dash import html
from flask import has_request_context

from cargame.accounts import records
from cargame.web import opponents, services
from cargame.web.components import widgets as ui
from cargame.web.components.player_record import BY_POINTS, BY_WINS, leaderboard_table
from cargame.web.ids import component_id
from cargame.web.layouts import records_layout

PATH = "/leaderboard"
PERIOD_LABELS = {"today": "Today", "week": "This week", "all": "All time"}
DEFAULT_PERIOD = "week"
LEVELS = component_id("leaderboard", "levels")

dash.register_page(__name__, path=PATH, title="Leaderboard · Beat the AI", name="Leaderboard")


def _href(period: str, level: str | None) -> str:
    return f"{PATH}?period={period}" + (f"&level={level}" if level else "")


def _pills(items, selected, href, **props):
    return dbc.Nav(
        [
            dbc.NavItem(dbc.NavLink(label, href=href(key), active=key == selected))
            for key, label in items
        ],
        pills=True,
        className="mb-3",
        **props,
    )


@records_layout
def layout(period: str = DEFAULT_PERIOD, level: str = "", **_query: str) -> html.Div:
    selected = cast(records.Period, period if period in PERIOD_LABELS else DEFAULT_PERIOD)
    offered = opponents.levels()
    chosen = offered.get(level)  # an unknown level shows every level
    level_name = chosen.name if chosen else None
    heading = ui.page_heading("Leaderboard", "Registered players who beat the AI most.")
    tabs = _pills(PERIOD_LABELS.items(), selected, lambda key: _href(key, level_name))
    levels = [(None, "All levels"), *((item.name, item.title) for item in offered.levels)]
    level_tabs = _pills(levels, level_name, lambda key: _href(selected, key), id=LEVELS)
    if not has_request_context():  # Dash validating layouts at start-up: no database to read
        return html.Div([heading, tabs, level_tabs])
    by_wins, by_points = services.leaderboards(selected, level_name)
    title = chosen.title if chosen else None
    suffix = f" · {title}" if title else ""
    tables = [
        leaderboard_table(
            f"Most wins against the AI{suffix}", by_wins, "wins", BY_WINS, selected, title
        ),
        leaderboard_table(f"Most points{suffix}", by_points, "points", BY_POINTS, selected, title),
    ]
    return html.Div([heading, tabs, level_tabs, dbc.Row([dbc.Col(table) for table in tables])])
