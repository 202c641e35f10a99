"""One of the player's past games, read-only: its totals, when and against which model, and a
card per round as on the final page (photo, the car, both guesses, points)."""

from __future__ import annotations

from datetime import tzinfo

import dash_bootstrap_components as dbc
from dash import html

from cargame.accounts.game_history import PastGame, PastRound
from cargame.domain.catalog import display_name
from cargame.web.components.final_score import guess_line
from cargame.web.components.player_record import when

HEADLINES = {"player": "You beat the AI", "ai": "The AI won", "draw": "A draw"}


def summary(game: PastGame, zone: tzinfo, share=None):
    """The totals of a past game, when it finished, against which model, and sharing."""
    facts = [
        f"Finished {when(game.finished_at, zone)}",
        f"{game.model_name} v{game.model_version or '?'}",
    ]
    if game.level:
        facts.append(f"Opponent: {game.level}")
    return dbc.Card(
        dbc.CardBody(
            [
                html.P(f"Game {game.number}", className="text-primary fw-semibold mb-1"),
                html.H1(HEADLINES.get(game.winner, "Final score"), className="h3 fw-bold"),
                html.Div(
                    [
                        _total("You", game.player_score),
                        html.Span("–", className="final-dash"),
                        _total("AI", game.ai_score),
                    ],
                    className="d-flex align-items-end gap-3 mb-2",
                ),
                html.P(" · ".join(facts), className="text-body-secondary small mb-3"),
                share,
            ],
            className="p-4",
        ),
        className="hero-card shadow-sm border-0 mb-4",
    )


def _total(who, points):
    return html.Div(
        [
            html.Div(str(points), className="final-points"),
            html.Div(who, className="small text-body-secondary text-uppercase fw-semibold"),
        ],
        className="text-center",
    )


def round_card(played: PastRound, photo_url: str | None):
    """One round, read-only, as on the final page: photo, the car, both guesses and points."""
    truth = display_name(played.truth)
    if photo_url:
        picture = dbc.CardImg(
            src=photo_url,
            alt=f"Round {played.number} photo: {truth}",
            top=True,
            className="round-thumb",
        )
    else:
        picture = html.Div(
            "Photo no longer available", className="round-thumb showroom-missing small"
        )
    return dbc.Card(
        [
            picture,
            dbc.CardBody(
                [
                    html.Div(f"Round {played.number}", className="small text-body-secondary"),
                    html.Div(truth, className="fw-semibold mb-2"),
                    guess_line("You", played.guess, played.player_points),
                    guess_line("AI", played.ai_guess, played.ai_points),
                ],
                className="p-3",
            ),
        ],
        className="shadow-sm border-0 h-100 round-card",
    )
