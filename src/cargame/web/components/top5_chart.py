"""The AI's top five on the answer page: one horizontal bar per car, most likely on top.

Each car's full "Make Model" name sits on its own line above its bar (wrapped at a word when
long), so names are never cut short and bars keep the card's whole width, also on a phone. The
true car is marked "✓ the car" and drawn teal and hatched, the player's guess "your guess" with a
dark outline: text, colour and pattern, never colour alone. The y axis is in pixels (one unit is
one pixel of the plot), so rows with two-line names get the room they need.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

from cargame.domain.catalog import display_name

TRUTH_BAR, OTHER_BAR, PICK_OUTLINE = "#1f7a6d", "#8d99a6", "#212529"
WRAP_CHARACTERS = 38  # a 14 px bold line fits ~40 characters in a phone-wide card (390 px)
TRUTH_MARK, GUESS_MARK = "✓ the car", "your guess"
LINE_PX = 19  # one line of a 14 px name
BAR_PX = 20
GAP_PX = 14  # between a bar and the next car's name
TOP_PX, BOTTOM_PX = 4, 4  # plot margins
X_RANGE = [0, 1.2]  # room right of a 100 % bar for its percentage


@dataclass(frozen=True)
class Row:
    """One car of the top five, as drawn."""

    label: str
    probability: float
    is_truth: bool
    is_guess: bool

    @property
    def name(self) -> str:
        return display_name(self.label)

    @property
    def marks(self) -> list[str]:
        return [
            mark
            for mark, shown in ((TRUTH_MARK, self.is_truth), (GUESS_MARK, self.is_guess))
            if shown
        ]

    @property
    def title_lines(self) -> list[str]:
        """The name wrapped at word boundaries, its marks after it (on a line of their own when
        they do not fit): a mark is never split."""
        lines = textwrap.wrap(self.name, WRAP_CHARACTERS, break_long_words=False) or [self.name]
        marks = " · ".join(self.marks)
        if not marks:
            return lines
        if len(lines[-1]) + 3 + len(marks) <= WRAP_CHARACTERS:
            return [*lines[:-1], f"{lines[-1]} · {marks}"]
        return [*lines, marks]

    @property
    def percent(self) -> str:
        return "<1%" if 0 < self.probability < 0.005 else f"{self.probability:.0%}"


def rows(predictions: list[dict[str, Any]], truth: str, guess: str | None) -> list[Row]:
    """The predictions (label, probability) as rows, in the AI's order."""
    return [
        Row(str(p["label"]), float(p["probability"]), p["label"] == truth, p["label"] == guess)
        for p in predictions
    ]


def _row_height(row: Row) -> int:
    return len(row.title_lines) * LINE_PX + BAR_PX + GAP_PX


def height_px(predictions: list[dict[str, Any]], truth: str, guess: str | None) -> int:
    """The figure's height in pixels for these rows (margins included)."""
    return TOP_PX + BOTTOM_PX + sum(_row_height(row) for row in rows(predictions, truth, guess))


def figure(predictions: list[dict[str, Any]], truth: str, guess: str | None) -> dict[str, Any]:
    """The chart as a plain figure dict (no plotly template travels with it: a small payload)."""
    drawn = rows(predictions, truth, guess)
    plot_height = sum(_row_height(row) for row in drawn)
    centres, annotations, top = [], [], plot_height
    for row in drawn:
        name_top, top = top, top - _row_height(row)
        bar_centre = name_top - len(row.title_lines) * LINE_PX - BAR_PX / 2
        centres.append(bar_centre)
        annotations.append(_title(row, bar_centre + BAR_PX / 2))
    bar = {
        "type": "bar",
        "orientation": "h",
        "x": [row.probability for row in drawn],
        "y": centres,
        "width": BAR_PX,
        "text": [row.percent for row in drawn],
        "textposition": "outside",
        "cliponaxis": False,
        "customdata": [row.name for row in drawn],
        "hovertemplate": "%{customdata}: %{x:.1%}<extra></extra>",
        "marker": {
            "color": [TRUTH_BAR if row.is_truth else OTHER_BAR for row in drawn],
            "pattern": {"shape": ["/" if row.is_truth else "" for row in drawn]},
            "line": {
                "color": [PICK_OUTLINE if row.is_guess else "rgba(0,0,0,0)" for row in drawn],
                "width": [3 if row.is_guess else 0 for row in drawn],
            },
        },
    }
    hidden = {"visible": False, "fixedrange": True}
    return {
        "data": [bar],
        "layout": {
            "height": plot_height + TOP_PX + BOTTOM_PX,
            "margin": {"l": 2, "r": 2, "t": TOP_PX, "b": BOTTOM_PX},
            "xaxis": {**hidden, "range": X_RANGE},
            "yaxis": {**hidden, "range": [0, plot_height]},
            "annotations": annotations,
            "showlegend": False,
            "plot_bgcolor": "rgba(0,0,0,0)",
            "paper_bgcolor": "rgba(0,0,0,0)",
            "font": {"size": 14, "family": "system-ui, sans-serif", "color": "#212529"},
        },
    }


def _title(row: Row, bar_top: float) -> dict[str, Any]:
    text = "<br>".join(row.title_lines)
    return {
        "x": 0,
        "y": bar_top + 2,
        "xref": "x",
        "yref": "y",
        "xanchor": "left",
        "yanchor": "bottom",
        "align": "left",
        "showarrow": False,
        "text": f"<b>{text}</b>" if row.is_truth else text,
    }


def notes(predictions: list[dict[str, Any]], truth: str, guess: str | None) -> list[str]:
    """What the marks mean, and which of the two answers are not in the top five."""
    drawn = rows(predictions, truth, guess)
    lines = []
    if any(row.is_truth for row in drawn):
        lines.append("✓ and a teal, hatched bar mark the true car.")
    else:
        lines.append(f"The true car, {display_name(truth)}, is not among the AI's top five.")
    if guess is not None and guess != truth:
        if any(row.is_guess for row in drawn):
            lines.append("Your guess has a dark outline.")
        else:
            lines.append(f"Your guess, {display_name(guess)}, is not among the AI's top five.")
    return lines


def spoken(predictions: list[dict[str, Any]], truth: str, guess: str | None) -> list[str]:
    """One line per car for screen readers: the name, its marks and the probability."""
    return [
        f"{' '.join(row.title_lines)}: {row.percent}" for row in rows(predictions, truth, guess)
    ]
