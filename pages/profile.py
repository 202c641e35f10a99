"""/profile: the signed-in player's games against the AI, win rate, streak and accuracy per make."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html
from flask_login import current_user

from cargame.accounts import records
from cargame.accounts.context import db_session, when_records_unavailable
from cargame.accounts.guard import require_role
from cargame.web import components as ui
from cargame.web.ids import component_id

PATH = "/profile"
SUMMARY = component_id("profile", "summary")
CHART = component_id("profile", "chart")
ACCURACY = component_id("profile", "accuracy")
HISTORY = component_id("profile", "history")
RESULTS = {"player": "Won", "ai": "Lost", "draw": "Draw"}
# Viridis ends, told apart by line style and marker too: never colour as the only cue.
PLAYER_STYLE = {"color": "#3b528b", "dash": "solid"}
AI_STYLE = {"color": "#21918c", "dash": "dash"}

dash.register_page(__name__, path=PATH, title="Your games · Beat the AI", name="Profile")


def _figure(stats: records.ProfileStats) -> go.Figure:
    times = [finished_at for finished_at, _, _ in stats.points_over_time]
    figure = go.Figure(
        [
            go.Scatter(
                x=times,
                y=[player for _, player, _ in stats.points_over_time],
                name="You",
                mode="lines+markers",
                line=PLAYER_STYLE,
                marker={"symbol": "circle", "size": 9},
            ),
            go.Scatter(
                x=times,
                y=[ai for _, _, ai in stats.points_over_time],
                name="AI",
                mode="lines+markers",
                line=AI_STYLE,
                marker={"symbol": "square", "size": 8},
            ),
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


def _summary(stats: records.ProfileStats) -> dbc.Row:
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


def _accuracy_table(stats: records.ProfileStats) -> dbc.Table:
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


def _history_table(history: list[records.GameSummary]) -> dbc.Table:
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


@require_role("player", PATH)
@when_records_unavailable(ui.unavailable)
def layout(**_query: str) -> html.Div:
    with db_session() as database:
        stats = records.profile_stats(database, current_user.id)
        history = records.player_history(database, current_user.id)
    title = ui.page_heading(f"{current_user.username}'s games", "Your record against the AI.")
    if not stats.games:
        return html.Div(
            [title, html.P("No finished games yet."), dcc.Link("Play a game", href="/")]
        )
    return html.Div(
        [
            title,
            _summary(stats),
            dcc.Graph(id=CHART, figure=_figure(stats), config={"displayModeBar": False}),
            html.H3("Accuracy per make", className="h5 mt-3"),
            _accuracy_table(stats),
            html.H3("Your games", className="h5 mt-3"),
            _history_table(history),
        ]
    )
