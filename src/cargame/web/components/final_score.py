"""The final score card (totals, "Play again", the booth's "Next player"), whether the game was
saved, and one card per round."""

from __future__ import annotations

from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import dcc, html

from cargame.domain.catalog import display_name
from cargame.web import ids
from cargame.web.components import widgets as ui
from cargame.web.components.start import start_controls
from cargame.web.media import media_url

HEADLINES = {
    "player": "You beat the AI!",
    "ai": "The AI wins this time",
    "draw": "It's a draw",
}


def final_score(view, finish):
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
                            start_controls(ids.FINISH_STARTER, "Play again", len(view["rounds"])),
                            _next_player(finish.next_player_token)
                            if finish.next_player_token
                            else None,
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


def _next_player(csrf_token):
    """Booth mode: a plain form POST, so the page reloads signed out, with a fresh session."""
    return html.Form(
        [
            dcc.Input(type="hidden", name="csrf_token", value=csrf_token),
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


def saved_note(finish):
    if finish.save_status == "saved":
        return dbc.Alert(
            [
                html.Span("✓", className="me-2", **{"aria-hidden": "true"}),
                "Saved to your history. ",
                dcc.Link("See your games", href="/profile", className="alert-link"),
            ],
            color="success",
            className="mb-4",
        )
    if finish.save_status == "claimable" and finish.keep_token:
        # Flask pages, not Dash pages: plain links, so the browser really loads them. Only these
        # links carry the game to an account; signing in any other way starts afresh.
        keep = urlencode({"next": "/profile", "keep": finish.keep_token})
        return dbc.Alert(
            [
                html.P(
                    "Keep this game: register or sign in within 15 minutes and it goes into "
                    "your history and onto the leaderboard.",
                    className="mb-2",
                ),
                html.A(
                    "Register and keep it",
                    href=f"/register?{keep}",
                    id=ids.FINISH_KEEP,
                    className="btn btn-primary",
                ),
                html.A(
                    "Sign in and keep it",
                    href=f"/login?{keep}",
                    className="btn btn-outline-primary ms-2",
                ),
            ],
            color="info",
            className="mb-4",
        )
    if finish.signed_in:
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


def round_card(number, answer):
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
                    guess_line("You", answer["guess"], answer["player_points"]),
                    guess_line("AI", answer["ai_guess"], answer["ai_points"]),
                ],
                className="p-3",
            ),
        ],
        className="shadow-sm border-0 h-100 round-card",
    )


def guess_line(who, label, points):
    """One player's answer of a round with its points (the final page, past games)."""
    return html.Div(
        [
            html.Span(f"{who}: ", className="text-body-secondary"),
            html.Span(ui.car_name(label), className="me-1"),
            html.Div(ui.points_badge(points), className="mt-1"),
        ],
        className="small mb-2 round-guess",
        **{"data-points": str(points), "data-who": who.lower()},
    )
