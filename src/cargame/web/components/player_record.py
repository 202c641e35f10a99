"""A player's record: the summary figures, the points chart, accuracy per make, past games;
and the leaderboard tables."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import html

from cargame.accounts import records
from cargame.web.ids import component_id

SUMMARY = component_id("profile", "summary")
CHART = component_id("profile", "chart")
ACCURACY = component_id("profile", "accuracy")
HISTORY = component_id("profile", "history")
HISTORY_PERIOD = component_id("profile", "history-period")
PERIODS = {"all": "All games", "week": "This week", "today": "Today"}
RESULTS = {"player": "Won", "ai": "Lost", "draw": "Draw"}
# Viridis ends, told apart by line style and marker too: never colour as the only cue.
PLAYER_STYLE = {"color": "#3b528b", "dash": "solid"}
AI_STYLE = {"color": "#21918c", "dash": "dash"}


def figure(stats: records.ProfileStats) -> go.Figure:
    times = [finished_at for finished_at, _, _ in stats.points_over_time]
    points = stats.points_over_time
    figure = go.Figure(
        [
            _trace(times, [player for _, player, _ in points], "You", PLAYER_STYLE, "circle"),
            _trace(times, [ai for _, _, ai in points], "AI", AI_STYLE, "square"),
        ]
    )
    figure.update_layout(
        title="Points per game",
        xaxis_title="Finished (UTC)",
        yaxis_title="Points",
        margin={"l": 40, "r": 10, "t": 40, "b": 40},
        legend={"orientation": "h", "y": -0.25},
    )
    return figure


def _trace(times, values, name, line, symbol):
    return go.Scatter(
        x=times, y=values, name=name, mode="lines+markers", line=line, marker={"symbol": symbol}
    )


def summary(stats: records.ProfileStats) -> dbc.Row:
    figures = [
        ("Games", str(stats.games)),
        ("Win rate vs AI", f"{stats.win_rate:.0%}"),
        ("Won / drawn / lost", f"{stats.wins} / {stats.draws} / {stats.losses}"),
        ("Best winning streak", str(stats.best_streak)),
    ]
    return dbc.Row(
        [
            dbc.Col(dbc.Card(dbc.CardBody([html.Small(label), html.H4(value)])), md=3)
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


def history_table(history: list[records.GameSummary]) -> dbc.Table | html.P:
    if not history:
        return html.P("No games in this period.", id=HISTORY)
    header = html.Thead(
        html.Tr(
            [
                html.Th("Finished (UTC)"),
                html.Th("You"),
                html.Th("AI"),
                html.Th("Result"),
                html.Th("Model"),
            ]
        )
    )
    rows = [
        html.Tr(
            [
                html.Td(f"{game.finished_at:%Y-%m-%d %H:%M}"),
                html.Td(game.player_score),
                html.Td(game.ai_score),
                html.Td(RESULTS.get(game.winner, game.winner)),
                html.Td(f"{game.model_name} v{game.model_version or '?'}"),
            ]
        )
        for game in history
    ]
    return dbc.Table([header, html.Tbody(rows)], id=HISTORY, striped=True, size="sm")


BY_WINS = component_id("leaderboard", "by-wins")
BY_POINTS = component_id("leaderboard", "by-points")
EMPTY_WHEN = {"today": "today yet", "week": "this week yet", "all": "yet"}


def leaderboard_table(
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
