"""The overview's charts: games per day by outcome, winners, and accuracy with intervals."""

from __future__ import annotations

from cargame.analytics import overview
from cargame.web.components import analytics as ui

DAY_WIDTH = 0.8 * 86_400_000  # a bar on a date axis is as wide as given, in milliseconds
HOVER = "%{y:.0%} of %{customdata} rounds<extra>%{fullData.name}</extra>"


def summary(days: list[overview.Day], players: int):
    started = sum(day.started for day in days)
    finished = sum(day.finished for day in days)
    human, ai = sum(d.human_wins for d in days), sum(d.ai_wins for d in days)
    draws = sum(day.draws for day in days)
    rate = (lambda count: f"{count / finished:.0%}") if finished else (lambda count: "–")
    return ui.stat_cards(
        [
            ("Games started", f"{started:,}"),
            ("Finished / abandoned", f"{finished:,} / {sum(d.abandoned for d in days):,}"),
            ("Registered players", f"{players:,}"),
            ("Guest games", f"{sum(day.guest_games for day in days):,}"),
            ("Humans win", rate(human)),
            ("The AI wins", rate(ai)),
            ("Draws", rate(draws)),
        ]
    )


def games_figure(days: list[overview.Day]) -> dict:
    x = [str(day.day) for day in days]
    still_open = [day.started - day.finished - day.abandoned for day in days]
    series = [
        ("Finished", [d.finished for d in days], "#21918c"),
        ("Abandoned", [d.abandoned for d in days], "#fde725"),
        ("In progress", still_open, "#3b528b"),
    ]
    data = [
        {"type": "bar", "name": n, "x": x, "y": y, "width": DAY_WIDTH, "marker": {"color": c}}
        for n, y, c in series
    ]
    return ui.figure(
        data, "Games started per day", "Day (UTC)", "Games", barmode="stack", xaxis=ui.day_axis(x)
    )


def winners_figure(days: list[overview.Day]) -> dict:
    x = [str(day.day) for day in days]
    lines = [
        ("Humans win", [d.human_wins for d in days], ui.HUMAN, "solid", "circle"),
        ("The AI wins", [d.ai_wins for d in days], ui.AI, "dash", "square"),
        ("Draws", [d.draws for d in days], "#8d99a6", "dot", "diamond"),
    ]
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "x": x,
            "y": y,
            "line": {"color": color, "dash": dash_style},
            "marker": {"symbol": symbol},
        }
        for name, y, color, dash_style, symbol in lines
    ]
    return ui.figure(data, "Finished games by winner", "Day (UTC)", "Games", xaxis=ui.day_axis(x))


def accuracy_figure(rows: list[overview.Accuracy]) -> dict:
    """Exact-model accuracy per day with 95 % Wilson intervals, human vs AI, per group."""
    data = []
    # Models by version number (v2 before v10), then level; modes by name; unknown last.
    for group in sorted({row.group for row in rows}, key=_group_order):
        mine = [row for row in rows if row.group == group]
        x = [str(row.day) for row in mine]
        for who, hits, color, dash_style in (
            ("Humans", [r.human_exact for r in mine], ui.HUMAN, "solid"),
            ("AI", [r.ai_exact for r in mine], ui.AI, "dash"),
        ):
            rates = [row.rate(hit) for row, hit in zip(mine, hits, strict=True)]
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": f"{who} ({group})",
                    "x": x,
                    "y": [rate for rate, _, _ in rates],
                    "error_y": ui.error_bars(rates),
                    "line": {"color": color, "dash": dash_style},
                    "customdata": [row.rounds for row in mine],
                    "hovertemplate": HOVER,
                }
            )
    title = "Exact-model accuracy per day, with 95 % intervals (Wilson)"
    days = sorted({str(row.day) for row in rows})
    return ui.figure(
        data,
        title,
        "Day (UTC)",
        "Accuracy",
        yaxis={"tickformat": ".0%", "range": [0, 1.05]},
        xaxis=ui.day_axis(days),
    )


def _group_order(group: str) -> tuple[int, int, str]:
    """ "Pro v2" and "v2" by number, then name; "... unknown version" last."""
    level, _, number = group.rpartition("v")
    if number.isdigit() and level in ("", level.rstrip() + " "):
        return (0, int(number), level)
    return (1 if group.endswith("unknown version") else 0, 0, group)
