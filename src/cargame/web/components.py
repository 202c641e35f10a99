"""The page shell (header with the running score, footer) and components the pages share.

Everything here builds components from plain values; nothing reads the request or the game
store, so Dash may call any of it at any time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from cargame.accounts import menu
from cargame.domain.catalog import display_name
from cargame.domain.game import EXACT_MODEL_POINTS, RIGHT_MAKE_POINTS, GameData
from cargame.web import ids, state

APP_TITLE = "Beat the AI · Car Edition"

# The explainer draws its overlays with viridis: dark purple (little attention) to yellow (most).
HEATMAP_GRADIENT = "linear-gradient(90deg, #440154, #3b528b, #21918c, #5ec962, #fde725)"

NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")

NOTICES = {
    "expired": "That game has expired or belongs to another browser, so let's start a new one.",
    "missing": "There is no game in progress yet: start one here.",
}


def shell() -> Component:
    """The app layout around every page: game store, navigator, header, page, footer."""
    return html.Div(
        [
            dcc.Store(id=ids.GAME_STORE, storage_type="session"),
            dcc.Location(id=ids.NAVIGATE, refresh="callback-nav"),
            header(),
            html.Main(
                dbc.Container(dash.page_container, className="py-4"),
                id="main",
                className="flex-grow-1",
            ),
            footer(),
        ],
        className="d-flex flex-column min-vh-100",
    )


def header() -> Component:
    """Brand, navigation, the running score and who is signed in."""
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(
                    [html.Span(className="brand-mark me-2", **{"aria-hidden": "true"}), APP_TITLE],
                    href="/",
                    className="fw-bold",
                ),
                dbc.Nav(
                    [
                        dbc.NavItem(dbc.NavLink("Play", href="/", active="exact")),
                        dbc.NavItem(dbc.NavLink("Showroom", href="/showroom", active="exact")),
                        dbc.NavItem(
                            dbc.NavLink("Leaderboard", href="/leaderboard", active="exact")
                        ),
                    ],
                    navbar=True,
                    # A row even on phones: three links do not need a collapsing menu.
                    className="me-auto flex-row gap-3",
                ),
                html.Div(
                    scoreboard(None),
                    id=ids.SCOREBOARD,
                    role="status",
                    **{"aria-live": "polite"},
                ),
                menu.account_menu(),
            ],
            fluid="lg",
            className="flex-wrap gap-2",
        ),
        color="dark",
        dark=True,
        className="shadow-sm",
    )


def scoreboard(game: GameData | None) -> Component:
    """`You 3 · 2 AI · Round 2/5`, or a hint when no game is running."""
    if game is None:
        return html.Span("No game in progress", className="text-white-50 small")
    progress = (
        "Final score"
        if game.stage == "finished"
        else f"Round {game.round_number}/{game.total_rounds}"
    )
    return html.Div(
        [
            html.Span(progress, className="scoreboard-round"),
            html.Span(["You ", html.Strong(str(game.player_score), className="score-you")]),
            html.Span("vs", className="text-white-50"),
            html.Span([html.Strong(str(game.ai_score), className="score-ai"), " AI"]),
        ],
        className="scoreboard d-flex align-items-center gap-2",
    )


def footer() -> Component:
    return html.Footer(
        dbc.Container(
            [
                html.Span(f"{APP_TITLE} · ", className="fw-semibold"),
                "A person and a neural network name the same cars. ",
                "The heatmaps are Grad-CAM explanations of the network's answer.",
            ],
            fluid="lg",
            className="small text-body-secondary py-3",
        ),
        className="border-top bg-body-tertiary mt-4",
    )


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


def staged_layout(
    path: str,
) -> Callable[[Callable[[GameData, dict[str, Any]], Component]], Callable[..., Component]]:
    """A page layout shown only at its game stage: `render(game, public_view)`, else a redirect."""

    def decorate(
        render: Callable[[GameData, dict[str, Any]], Component],
    ) -> Callable[..., Component]:
        # Dash Pages passes the routing state (`game`) and the query string as keywords.
        def layout(game: object = None, **_query: object) -> Component:
            current = state.load_game(game)
            redirect = guard(game, current, path)
            if redirect is not None or current is None:
                return redirect
            return render(current, current.public_view())

        layout.__doc__ = render.__doc__
        return layout

    return decorate


def guard(raw_pointer: object, game: GameData | None, path: str) -> Component | None:
    """A redirect when this page does not match the game's stage, else None."""
    if game is None:
        reason = "expired" if raw_pointer else "missing"
        return redirect_notice(f"/?notice={reason}", "No game to show here.")
    if game.expected_path != path:
        return redirect_notice(game.expected_path, "Taking you back to your game…")
    return None


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


def start_controls(
    button_id: str,
    label: str,
    progress_id: str,
    error_id: str,
    error_text_id: str,
    retry_id: str,
    rounds: int,
) -> Component:
    """A start button, the message shown while the rounds are prepared, and the error box."""
    return html.Div(
        [
            dbc.Button(label, id=button_id, color="primary", size="lg", className="px-4"),
            html.Div(
                [
                    dbc.Spinner(size="sm", color="primary", spinner_class_name="me-2"),
                    f"Picking {count_word(rounds)} photos and letting the AI study them…",
                    dbc.Progress(
                        id=ids.progress_bar(progress_id),
                        value=0,
                        striped=True,
                        animated=True,
                        className="mt-2 start-progress",
                        style={"height": "0.75rem"},
                    ),
                    # Polls the preparation's steps; enabled only while a game is being prepared.
                    dcc.Interval(id=ids.progress_tick(progress_id), interval=300, disabled=True),
                ],
                id=progress_id,
                className="d-none text-body-secondary mt-3",
                role="status",
            ),
            dbc.Alert(
                [
                    html.Div(id=error_text_id),
                    dbc.Button("Try again", id=retry_id, color="danger", className="mt-2"),
                ],
                id=error_id,
                color="danger",
                is_open=False,
                className="mt-3 text-start",
            ),
        ]
    )
