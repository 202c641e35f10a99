"""A player's record: the summary figures, the points chart, accuracy per make, past games;
and the leaderboard tables."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from cargame.accounts import records
from cargame.accounts.game_history import NumberedGame
from cargame.web.ids import component_id

SUMMARY = component_id("profile", "summary")
CHART = component_id("profile", "chart")
ACCURACY = component_id("profile", "accuracy")
HISTORY = component_id("profile", "history")
HISTORY_PERIOD = component_id("profile", "history-period")
TIME_ZONE = component_id("profile", "time-zone")  # the browser's zone name, set in the browser
PERIODS = {"all": "All games", "week": "This week", "today": "Today"}
RESULTS = {"player": "Won", "ai": "Lost", "draw": "Draw"}
# The app's primary blue and accent teal (assets/cargame.css), told apart by line style and
# marker too: never colour as the only cue.
PLAYER_STYLE = {"color": "#1f5fbf", "dash": "solid", "width": 3}
AI_STYLE = {"color": "#1f7a6d", "dash": "dash", "width": 3}
FONT = {"size": 13, "family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"}
FEW_GAMES = 7  # up to this many, each game gets a tick with its date (fits a phone's width)
CHART_HEIGHT = "300px"
WIDE_ONLY = "d-none d-sm-table-cell"  # a column phones leave out


def when(moment: datetime, zone: tzinfo) -> str:
    """A finish time as people read it, in `zone`: "12 May 2025, 14:05"."""
    return f"{moment.astimezone(zone):%-d %b %Y, %H:%M}"


def figure(stats: records.ProfileStats, zone: tzinfo) -> dict[str, Any]:
    """Points per game, you and the AI, by game number (oldest first); dates in `zone`.

    A plain figure dict: no plotly template travels with it, which keeps the payload small.
    """
    points = stats.points_over_time
    numbers = list(range(1, len(points) + 1))
    dates = [when(finished, zone) for finished, _, _ in points]
    xaxis: dict[str, Any] = {
        "title": {"text": "Game (oldest first)"},
        "range": [0.5, len(points) + 0.5],
        "tickformat": "d",
        "tickangle": 0,
        "fixedrange": True,
        "showgrid": False,
    }
    if len(points) <= FEW_GAMES:
        short = [f"{finished.astimezone(zone):%-d %b}" for finished, _, _ in points]
        xaxis.update(
            tickmode="array",
            tickvals=numbers,
            ticktext=[f"{number}<br>{day}" for number, day in zip(numbers, short, strict=True)],
        )
    players = [player for _, player, _ in points]
    ais = [ai for _, _, ai in points]
    top = max([*players, *ais, 2])
    return {
        "data": [
            _trace("You", numbers, players, dates, PLAYER_STYLE, "circle"),
            _trace("AI", numbers, ais, dates, AI_STYLE, "square"),
        ],
        "layout": {
            "title": {"text": "Points per game", "x": 0, "xanchor": "left", "font": {"size": 16}},
            "xaxis": xaxis,
            "yaxis": {
                "title": {"text": "Points"},
                "range": [-0.5, top + 0.5],  # room for the markers at 0 and at the top
                "tickformat": "d",
                "fixedrange": True,
                "gridcolor": "#e9ecef",
                "zeroline": False,
            },
            "legend": {
                "orientation": "h",
                "x": 1,
                "xanchor": "right",
                "y": 1.02,
                "yanchor": "bottom",
            },
            "margin": {"l": 56, "r": 16, "t": 56, "b": 64},
            "hovermode": "closest",
            "plot_bgcolor": "rgba(0,0,0,0)",
            "paper_bgcolor": "rgba(0,0,0,0)",
            "font": FONT,
        },
    }


def _trace(name, numbers, values, dates, line, symbol):
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "name": name,
        "x": numbers,
        "y": values,
        "customdata": dates,
        "line": line,
        "marker": {"symbol": symbol, "size": 9},
        "hovertemplate": f"Game %{{x}} · %{{customdata}}<br>{name}: %{{y}} points<extra></extra>",
    }


def chart(stats: records.ProfileStats, zone: tzinfo) -> dcc.Graph:
    return dcc.Graph(
        id=CHART,
        figure=figure(stats, zone),
        config={"displayModeBar": False, "responsive": True},
        style={"height": CHART_HEIGHT},
    )


def time_zone_store(zone_name: str) -> dcc.Store:
    """Holds the zone the page was drawn in; the browser replaces it with its own."""
    return dcc.Store(id=TIME_ZONE, data=zone_name)


def summary(stats: records.ProfileStats) -> dbc.Row:
    figures = [
        ("Games", str(stats.games)),
        ("Win rate vs AI", f"{stats.win_rate:.0%}"),
        ("Won / drawn / lost", f"{stats.wins} / {stats.draws} / {stats.losses}"),
        ("Best winning streak", str(stats.best_streak)),
    ]
    return dbc.Row(
        [
            dbc.Col(dbc.Card(dbc.CardBody([html.Small(label), html.H4(value)])), xs=6, md=3)
            for label, value in figures
        ],
        id=SUMMARY,
        className="g-2 mb-3",
    )


def accuracy_table(stats: records.ProfileStats) -> dbc.Table:
    header = html.Thead(
        html.Tr([html.Th("Make"), html.Th("Photos"), html.Th("Exact model"), html.Th("Right make")])
    )
    rows = [
        html.Tr(
            [
                html.Td(make.make),
                html.Td(make.rounds),
                html.Td(f"{make.exact_rate:.0%}"),
                html.Td(f"{make.right_make / make.rounds:.0%}"),
            ]
        )
        for make in stats.make_accuracy
    ]
    return dbc.Table([header, html.Tbody(rows)], id=ACCURACY, striped=True, size="sm")


def history_filter() -> dbc.RadioItems:
    """All games, this week's or today's."""
    return dbc.RadioItems(
        id=HISTORY_PERIOD,
        options=[{"label": label, "value": key} for key, label in PERIODS.items()],
        value="all",
        inline=True,
        className="mb-2",
    )


def history_table(history: list[NumberedGame], zone: tzinfo, zone_name: str):
    """The games, newest first; each opens its rounds at /profile/game/<number>."""
    if not history:
        return html.P("No games in this period.", id=HISTORY)
    header = html.Thead(
        html.Tr(
            [
                html.Th(f"Finished ({zone_name})"),
                html.Th("You"),
                html.Th("AI"),
                html.Th("Result"),
                html.Th("Model", className=WIDE_ONLY),
            ]
        )
    )
    rows = [
        html.Tr(
            [
                html.Td(
                    [
                        html.Span(f"#{game.number} ", className="text-body-secondary"),
                        dcc.Link(
                            when(game.finished_at, zone),
                            href=game_path(game.number),
                            title=f"Game {game.number}: see its rounds",
                        ),
                    ]
                ),
                html.Td(game.player_score),
                html.Td(game.ai_score),
                html.Td(RESULTS.get(game.winner, game.winner)),
                html.Td(f"{game.model_name} v{game.model_version or '?'}", className=WIDE_ONLY),
            ]
        )
        for game in history
    ]
    return dbc.Table(
        [header, html.Tbody(rows)],
        id=HISTORY,
        striped=True,
        size="sm",
        responsive=True,
        className="history-table",
    )


def game_path(number: int) -> str:
    """Where one of the player's past games opens."""
    return f"/profile/game/{number}"


BY_WINS = component_id("leaderboard", "by-wins")
BY_POINTS = component_id("leaderboard", "by-points")
EMPTY_WHEN = {"today": "today yet", "week": "this week yet", "all": "yet"}


def leaderboard_table(
    title: str,
    rows: list[records.LeaderboardRow],
    by: str,
    table_id: str,
    period: str,
    level_title: str | None = None,
) -> html.Div:
    """The top players by `by`; `level_title` names the opponent level the board counts."""
    if not rows:
        games = f"{level_title} games" if level_title else "games"
        empty = html.P(f"No {games} by registered players {EMPTY_WHEN[period]}. Be the first!")
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
