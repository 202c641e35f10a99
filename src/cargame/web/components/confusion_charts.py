"""The confusions view's charts: the top wrong (truth -> answer) pairs and confusion matrices."""

from __future__ import annotations

from cargame.analytics.confusions import NO_ANSWER, OTHER_MAKE, Cell, Who
from cargame.domain.catalog import LABEL_SEPARATOR, display_name
from cargame.web.components import analytics as ui

WHO_LABELS = {"human": "Humans", "ai": "The AI"}
LAST_COLUMNS = (OTHER_MAKE, NO_ANSWER)  # after the real answers, in this order


def name(label: str) -> str:
    """`Make/Model` as people read it; a make or "no answer" as it is."""
    return display_name(label) if LABEL_SEPARATOR in label else label


def pairs_figure(pairs: list[Cell], who: Who) -> dict:
    """A horizontal bar per (truth -> answer) pair, most frequent on top."""
    ordered = list(reversed(pairs))  # Plotly draws the first bar at the bottom
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "x": [pair.count for pair in ordered],
            "y": [f"{name(pair.truth)} → {name(pair.guess)}" for pair in ordered],
            "marker": {"color": ui.HUMAN if who == "human" else ui.AI},
            "hovertemplate": "%{y}: %{x} rounds<extra></extra>",
        }
    ]
    title = f"{WHO_LABELS[who]}: most frequent wrong answers (top {len(pairs)})"
    return ui.figure(data, title, "Rounds", "True car → answer")


def matrix_figure(
    cells: list[Cell], who: Who, title: str, truth_title: str, guess_title: str
) -> dict:
    """A confusion matrix as a viridis heatmap with the counts written in the cells."""
    truths = sorted({cell.truth for cell in cells})
    answers = sorted({cell.guess for cell in cells} - set(LAST_COLUMNS), key=str)
    answers += [column for column in LAST_COLUMNS if any(c.guess == column for c in cells)]
    counts = {(cell.truth, cell.guess): cell.count for cell in cells}
    z = [[counts.get((truth, answer), 0) for answer in answers] for truth in truths]
    data = [
        {
            "type": "heatmap",
            "x": [name(answer) for answer in answers],
            "y": [name(truth) for truth in truths],
            "z": z,
            "text": z,
            "texttemplate": "%{text}",
            "colorscale": "Viridis",
            "colorbar": {"title": {"text": "Rounds"}},
            "hovertemplate": "True %{y}, answered %{x}: %{z} rounds<extra></extra>",
        }
    ]
    return ui.figure(
        data,
        f"{WHO_LABELS[who]}: {title}",
        guess_title,
        truth_title,
        yaxis={"autorange": "reversed", "type": "category"},
        xaxis={"type": "category"},
    )


def makes_figure(cells: list[Cell], who: Who) -> dict:
    title = "confusion matrix by make (rounds; click a row to see its models)"
    return matrix_figure(cells, who, title, "True make", "Guessed make")


def models_figure(cells: list[Cell], who: Who, make: str) -> dict:
    title = f"{make} models (rounds)"
    return matrix_figure(cells, who, title, "True model", "Guessed model")
