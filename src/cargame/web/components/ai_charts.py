"""The AI view's charts: the reliability diagram, accuracy and top-5 hits per model."""

from __future__ import annotations

import math

from dash.development.base_component import Component

from cargame.analytics import model_quality
from cargame.analytics.stats import CalibrationBin, expected_calibration_error, wilson
from cargame.web.components import analytics as ui

PERCENT_AXIS = {"tickformat": ".0%", "range": [0, 1.05]}
REFERENCE = "#8d99a6"


def _percent_with_interval(hits: int, trials: int) -> str:
    if not trials:
        return "–"
    low, high = wilson(hits, trials)
    return f"{hits / trials:.0%} ({low:.0%}–{high:.0%})"


def summary(bins: list[CalibrationBin], versions: list[model_quality.VersionQuality]) -> Component:
    """Key figures: rounds, calibration error, exact, right-make and top-5 rates (95 % CI)."""
    total = model_quality.overall(versions)
    return ui.stat_cards(
        [
            ("Rounds", f"{total.rounds:,}"),
            ("Expected calibration error", f"{expected_calibration_error(bins):.1%}"),
            ("AI exact model", _percent_with_interval(total.exact, total.rounds)),
            ("AI right make", _percent_with_interval(total.make, total.rounds)),
            ("Truth in AI's top 5", _percent_with_interval(total.top5, total.rounds)),
        ]
    )


def reliability_figure(bins: list[CalibrationBin]) -> dict:
    """Accuracy against mean top-1 confidence per bin (marker area ~ rounds), with the diagonal."""
    largest = max(item.rounds for item in bins)
    rates = []
    for item in bins:
        low, high = wilson(round(item.accuracy * item.rounds), item.rounds)
        rates.append((item.accuracy, low, high))
    diagonal = {
        "type": "scatter",
        "mode": "lines",
        "name": "Perfectly calibrated",
        "x": [0, 1],
        "y": [0, 1],
        "line": {"color": REFERENCE, "dash": "dash"},
        "hoverinfo": "skip",
    }
    observed = {
        "type": "scatter",
        "mode": "lines+markers",
        "name": "The AI (95 % interval)",
        "x": [item.mean_confidence for item in bins],
        "y": [item.accuracy for item in bins],
        "error_y": ui.error_bars(rates),
        "line": {"color": ui.AI},
        "marker": {
            "symbol": "circle",
            "size": [8 + 22 * math.sqrt(item.rounds / largest) for item in bins],
            "line": {"color": "#440154", "width": 1},
        },
        "customdata": [[item.rounds, f"{item.low:.0%}–{item.high:.0%}"] for item in bins],
        "hovertemplate": "confidence %{customdata[1]}: %{customdata[0]} rounds<br>"
        "mean confidence %{x:.0%}, accuracy %{y:.0%}<extra></extra>",
    }
    ece = expected_calibration_error(bins)
    title = f"Reliability: top-1 confidence vs accuracy (ECE {ece:.1%}; marker size = rounds)"
    return ui.figure(
        [diagonal, observed],
        title,
        "Mean top-1 confidence in the bin",
        "Exact-model accuracy",
        xaxis={"tickformat": ".0%", "range": [0, 1.02], "dtick": 0.1},
        yaxis=PERCENT_AXIS,
    )


def versions_figure(versions: list[model_quality.VersionQuality]) -> dict:
    """Exact and right-make accuracy per model (level and version), with 95 % intervals."""
    x = [row.version for row in versions]
    data = []
    for name, attribute, color, pattern in (
        ("Exact model", "exact", "#3b528b", ""),
        ("Right make", "make", "#5ec962", "/"),
    ):
        rates = [row.rate(getattr(row, attribute)) for row in versions]
        data.append(
            {
                "type": "bar",
                "name": name,
                "x": x,
                "y": [rate for rate, _, _ in rates],
                "error_y": ui.error_bars(rates),
                "marker": {"color": color, "pattern": {"shape": pattern}},
                "customdata": [row.rounds for row in versions],
                "hovertemplate": "%{x}: %{y:.0%} of %{customdata} rounds"
                "<extra>%{fullData.name}</extra>",
            }
        )
    title = "The AI's accuracy per model (level and version), with 95 % intervals (Wilson)"
    return ui.figure(data, title, "Model version", "Accuracy", barmode="group", yaxis=PERCENT_AXIS)


def top5_figure(versions: list[model_quality.VersionQuality]) -> dict:
    """How often the truth was among the AI's top 5, per version, with the overall rate."""
    total = model_quality.overall(versions)
    rates = [row.rate(row.top5) for row in versions]
    overall_rate = total.rate(total.top5)[0]
    bars = {
        "type": "bar",
        "name": "Top-5 hit rate (95 % interval)",
        "x": [row.version for row in versions],
        "y": [rate for rate, _, _ in rates],
        "error_y": ui.error_bars(rates),
        "marker": {"color": "#21918c", "pattern": {"shape": "."}},
        "customdata": [row.rounds for row in versions],
        "hovertemplate": "%{x}: %{y:.0%} of %{customdata} rounds<extra></extra>",
    }
    line = {
        "type": "scatter",
        "mode": "lines+markers",
        "name": f"All models: {overall_rate:.0%}",
        "x": [row.version for row in versions],
        "y": [overall_rate] * len(versions),
        "line": {"color": "#440154", "dash": "dot"},
        "marker": {"symbol": "diamond"},
    }
    title = "Truth among the AI's top 5, per model (level and version)"
    return ui.figure([bars, line], title, "Model version", "Top-5 hit rate", yaxis=PERCENT_AXIS)
