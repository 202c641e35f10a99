"""Small components the pages share: headings, notices, photos, points badges, the heatmap legend.

Everything here builds components from plain values; nothing reads the request, the game store
or the database, so Dash may call any of it at any time.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from cargame.domain.catalog import display_name
from cargame.domain.game import EXACT_MODEL_POINTS, RIGHT_MAKE_POINTS
from cargame.web import ids

APP_TITLE = "Beat the AI · Car Edition"

# The explainer draws its overlays with viridis: dark purple (little attention) to yellow (most).
HEATMAP_GRADIENT = "linear-gradient(90deg, #440154, #3b528b, #21918c, #5ec962, #fde725)"

NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")

NOTICES = {
    "expired": "That game has expired or belongs to another browser, so let's start a new one.",
    "missing": "There is no game in progress yet: start one here.",
}


def count_word(number: int) -> str:
    """`5` as `five` (digits from eleven on)."""
    return NUMBER_WORDS[number] if 0 <= number < len(NUMBER_WORDS) else str(number)


def page_heading(title: str, subtitle: str | Component | None = None) -> Component:
    children: list[Component] = [html.H1(title, className="h3 fw-bold mb-1")]
    if subtitle is not None:
        children.append(html.P(subtitle, className="text-body-secondary mb-0"))
    return html.Div(children, className="mb-4")


def notice(key: str | None) -> Component | None:
    """The alert for a `?notice=` key (fixed texts only: nothing from the URL is echoed)."""
    if key not in NOTICES:
        return None
    return dbc.Alert(NOTICES[key], color="warning", className="mb-4", dismissable=True)


def redirect_notice(href: str, message: str) -> Component:
    """Shown by a page the game is not at; the shell follows the link at once."""
    return dbc.Alert(
        [
            message,
            " ",
            dcc.Link("Continue", href=href, id=ids.REDIRECT_LINK, className="alert-link"),
        ],
        color="info",
    )


def unavailable(message: str) -> Component:
    """A page body saying what cannot be shown right now."""
    return dbc.Alert(message, color="warning", className="my-4")


def photo(src: str, alt: str, class_name: str = "") -> Component:
    return html.Img(src=src, alt=alt, className=f"img-fluid rounded car-photo {class_name}")


def points_badge(points: int) -> Component:
    """Points as icon plus words, so the meaning never rests on colour alone."""
    if points >= EXACT_MODEL_POINTS:
        icon, text, color = "✓", f"+{points} points: exact model", "success"
    elif points >= RIGHT_MAKE_POINTS:
        icon, text, color = "◐", f"+{points} point: right make", "warning"
    else:
        icon, text, color = "✗", "0 points", "secondary"
    return dbc.Badge(
        [html.Span(icon, className="me-1", **{"aria-hidden": "true"}), text],
        color=color,
        text_color="dark" if color == "warning" else None,
        className="points-badge fs-6",
    )


def car_name(label: str | None) -> str:
    return display_name(label) if label else "no answer"


def heatmap_legend() -> Component:
    """What the heatmap colours mean."""
    return html.Div(
        [
            html.Div(className="heatmap-scale", style={"background": HEATMAP_GRADIENT}),
            html.Div(
                [html.Span("little attention"), html.Span("most attention")],
                className="d-flex justify-content-between small text-body-secondary",
            ),
            html.P(
                "Bright yellow marks where the AI looked most when it decided; dark purple, "
                "where it hardly looked. The colours follow viridis, a perceptually uniform "
                "scale that reads the same for colour-blind eyes and in greyscale.",
                className="small text-body-secondary mb-0 mt-1",
            ),
        ],
        className="heatmap-legend mt-2",
    )
