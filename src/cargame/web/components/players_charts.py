"""The players view's charts: time to guess, learning within a game, returning players."""

from __future__ import annotations

from typing import Any

from dash.development.base_component import Component

from cargame.analytics import players
from cargame.web.components import analytics as ui

PERCENT_AXIS = {"tickformat": ".0%", "range": [0, 1.05]}
HOVER = "%{x}: %{y:.0%} of %{customdata} rounds<extra>%{fullData.name}</extra>"


def summary(
    buckets: list[players.Hits], returning: players.Returning, conversion: players.Conversion
) -> Component:
    """Key figures: timed rounds, registered and returning players, guests who kept a game."""
    registered = returning.one_day + returning.several_days
    rate, low, high = conversion.rate()
    kept = f"{rate:.0%} ({low:.0%}–{high:.0%})" if conversion.guest_games else "–"
    return ui.stat_cards(
        [
            ("Timed rounds", f"{sum(bucket.rounds for bucket in buckets):,}"),
            ("Registered players", f"{registered:,}"),
            ("Back on 2+ days", f"{returning.several_days:,}"),
            ("Guest games finished", f"{conversion.guest_games:,}"),
            ("Kept by an account (95 % CI)", kept),
        ]
    )


def _rate_trace(rows: list[players.Hits], x: list[Any], name: str, **style: Any) -> dict:
    rates = [row.rate() for row in rows]
    return {
        "name": name,
        "x": x,
        "y": [rate for rate, _, _ in rates],
        "error_y": ui.error_bars(rates),
        "customdata": [row.rounds for row in rows],
        "hovertemplate": HOVER,
        **style,
    }


def time_figure(buckets: list[players.Hits]) -> dict:
    """Human exact accuracy per time-to-guess bucket, with 95 % intervals; bar text = rounds."""
    bars = _rate_trace(
        buckets,
        [bucket.group for bucket in buckets],
        "Exact model (95 % interval)",
        type="bar",
        marker={"color": ui.HUMAN},
        text=[f"{bucket.rounds:,} rounds" for bucket in buckets],
        textposition="inside",
    )
    title = "Time to guess vs human exact-model accuracy, with 95 % intervals (Wilson)"
    return ui.figure([bars], title, "Time to lock in a guess", "Accuracy", yaxis=PERCENT_AXIS)


def learning_figure(rows: list[players.RoundHits]) -> dict:
    """Exact accuracy by round number, for players who had or had not seen where the AI
    should have looked in an earlier round of the same game."""
    data = []
    for seen, name, color, dash_style, symbol in (
        (False, "Not yet seen where the AI should look", ui.HUMAN, "solid", "circle"),
        (True, "Saw it in an earlier round", "#5ec962", "dash", "diamond"),
    ):
        mine = [row for row in rows if row.seen_heatmap is seen]
        if not mine:
            continue
        data.append(
            _rate_trace(
                mine,
                [row.round_number for row in mine],
                name,
                type="scatter",
                mode="lines+markers",
                line={"color": color, "dash": dash_style},
                marker={"symbol": symbol, "size": 9},
            )
        )
    title = "Do players learn within a game? Exact-model accuracy by round (95 % intervals)"
    return ui.figure(
        data, title, "Round of the game", "Accuracy", xaxis={"dtick": 1}, yaxis=PERCENT_AXIS
    )


def returning_figure(returning: players.Returning) -> dict:
    """How many games each registered player played (the last bar: that many or more)."""
    games = sorted(returning.games_per_player)
    labels = [f"{count}+" if count >= players.MOST_GAMES else str(count) for count in games]
    bars = {
        "type": "bar",
        "name": "Registered players",
        "x": labels,
        "y": [returning.games_per_player[count] for count in games],
        "marker": {"color": "#440154", "pattern": {"shape": "/"}},
        "hovertemplate": "%{y} players played %{x} games<extra></extra>",
    }
    title = (
        f"Games per registered player: {returning.several_days:,} played on 2+ days, "
        f"{returning.one_day:,} on one day"
    )
    return ui.figure(
        [bars], title, "Games played", "Players", xaxis={"type": "category"}, showlegend=False
    )
