"""The final score, every round at a glance, whether the game was saved, and "Play again"."""

from __future__ import annotations

import logging

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from dash_extensions.enrich import DashProxy
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import SQLAlchemyError

from cargame.accounts.context import SaveStatus, save_status
from cargame.domain.catalog import display_name
from cargame.web import components as ui
from cargame.web import ids
from cargame.web.extensions import services
from cargame.web.media import media_url
from cargame.web.start import register_start_callback

logger = logging.getLogger(__name__)

PATH = "/finish"
HEADLINES = {
    "player": "You beat the AI!",
    "ai": "The AI wins this time",
    "draw": "It's a draw",
}

dash.register_page(__name__, path=PATH, title="Final score · Beat the AI")


@ui.staged_layout(PATH)
def layout(current, view):
    return html.Div(
        [
            _final_score(view),
            html.Div(_saved_note(_save_status(current.game_id)), id=ids.FINISH_SAVED),
            html.H2("Round by round", className="h5 fw-bold mb-3"),
            dbc.Row(
                [
                    dbc.Col(_round_card(number, answer))
                    for number, answer in enumerate(view["rounds"], start=1)
                ],
                # One column on phones, two on tablets, every round side by side on desktops.
                className=f"g-3 mb-4 row-cols-1 row-cols-sm-2 row-cols-lg-{len(view['rounds'])}",
            ),
        ]
    )


def _final_score(view):
    return dbc.Card(
        dbc.CardBody(
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.P("Final score", className="text-primary fw-semibold mb-1"),
                            html.H1(HEADLINES[view["winner"]], className="display-6 fw-bold"),
                            html.Div(
                                [
                                    _total("You", view["player_score"], "finish-you"),
                                    html.Span("–", className="final-dash"),
                                    _total("AI", view["ai_score"], "finish-ai"),
                                ],
                                className="d-flex align-items-end gap-3",
                            ),
                        ],
                        md=7,
                    ),
                    dbc.Col(
                        [
                            ui.start_controls(
                                ids.FINISH_AGAIN,
                                "Play again",
                                ids.FINISH_PROGRESS,
                                ids.FINISH_ERROR,
                                ids.FINISH_ERROR_TEXT,
                                retry_id=ids.FINISH_RETRY,
                                rounds=services.rounds,
                            ),
                            _next_player() if services.booth else None,
                        ],
                        md=5,
                        className="text-md-end mt-3 mt-md-0",
                    ),
                ],
                className="align-items-center",
            ),
            className="p-4",
        ),
        className="hero-card shadow-sm border-0 mb-4",
    )


def _next_player():
    """Booth mode: a plain form POST, so the page reloads signed out, with a fresh session."""
    return html.Form(
        [
            dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
            html.Button(
                "Next player",
                id=ids.FINISH_NEXT_PLAYER,
                type="submit",
                className="btn btn-outline-secondary btn-lg px-4",
            ),
            html.P(
                "Signs out and clears this screen for the next person.",
                className="small text-body-secondary mt-2 mb-0",
            ),
        ],
        action="/next-player",
        method="post",
        className="mt-3",
    )


def _save_status(game_id: str) -> SaveStatus:
    try:
        return save_status(game_id)
    except SQLAlchemyError:
        # The game was not recorded either; the score page must still show.
        logger.exception("could not look up finished game %s", game_id)
        return "unsaved"


def _saved_note(status: SaveStatus):
    if status == "saved":
        return dbc.Alert(
            [
                html.Span("✓", className="me-2", **{"aria-hidden": "true"}),
                "Saved to your history. ",
                dcc.Link("See your games", href="/profile", className="alert-link"),
            ],
            color="success",
            className="mb-4",
        )
    if status == "claimable":
        # Flask pages, not Dash pages: plain links, so the browser really loads them.
        return dbc.Alert(
            [
                html.P(
                    "Keep this game: register or sign in now and it goes into your history "
                    "and onto the leaderboard.",
                    className="mb-2",
                ),
                html.A("Register", href="/register?next=/profile", className="btn btn-primary"),
                html.A(
                    "Sign in",
                    href="/login?next=/profile",
                    className="btn btn-outline-primary ms-2",
                ),
            ],
            color="info",
            className="mb-4",
        )
    if current_user.is_authenticated:
        # Signed in but not stored: the save failed (logged). Say so rather than stay silent.
        return dbc.Alert(
            "This game could not be saved to your history; the score above is still yours.",
            color="warning",
            className="mb-4",
        )
    return None


def _total(who, points, component_id):
    return html.Div(
        [
            html.Div(str(points), id=component_id, className="final-points"),
            html.Div(who, className="small text-body-secondary text-uppercase fw-semibold"),
        ],
        className="text-center",
    )


def _round_card(number, answer):
    return dbc.Card(
        [
            dbc.CardImg(
                src=media_url(answer["image_token"]),
                alt=f"Round {number} photo: {display_name(answer['truth'])}",
                top=True,
                className="round-thumb",
            ),
            dbc.CardBody(
                [
                    html.Div(f"Round {number}", className="small text-body-secondary"),
                    html.Div(display_name(answer["truth"]), className="fw-semibold mb-2"),
                    _guess_line("You", answer["guess"], answer["player_points"]),
                    _guess_line("AI", answer["ai_guess"], answer["ai_points"]),
                ],
                className="p-3",
            ),
        ],
        className="shadow-sm border-0 h-100 round-card",
    )


def _guess_line(who, label, points):
    return html.Div(
        [
            html.Span(f"{who}: ", className="text-body-secondary"),
            html.Span(ui.car_name(label), className="me-1"),
            html.Div(ui.points_badge(points), className="mt-1"),
        ],
        className="small mb-2 round-guess",
        **{"data-points": str(points), "data-who": who.lower()},
    )


def register_callbacks(app: DashProxy) -> None:
    """This page's callbacks, on this app."""
    register_start_callback(
        app,
        start=ids.FINISH_AGAIN,
        retry=ids.FINISH_RETRY,
        error=ids.FINISH_ERROR,
        error_text=ids.FINISH_ERROR_TEXT,
        progress=ids.FINISH_PROGRESS,
    )
